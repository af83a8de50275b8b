"""Read replicas (docs/architecture.md, "Read replicas").

With `DATABASE_REPLICA_URLS` set, settings add the aliases `replica_1`, `replica_2`, … and list them
in `DATABASE_REPLICAS`. `ReplicaRouter` sends every query to the primary (`default`) except the
reads of a view marked `reads_from_replica` (a GET), and only until that request writes:

- a write of any kind on the primary inside the scope (a model saved, a row locked, an UPDATE run
  with `.using("default")` or a raw cursor) sends every later read of the scope to the primary, so
  a request reads its own writes. One place notices it: the statements the primary runs;
- a replica is used only when it is still a standby (`pg_is_in_recovery()`: a promoted server is
  no longer a replica of this primary) and has replayed the publication generation the primary
  holds when the scope first reads, or the one the page cache read for its key
  (`complaints.common.publication`): every change the public can see moves the generation in its
  own transaction, so such a replica holds every such change the primary held by then. A page kept
  under a generation is never older than it, and a report whose privacy was just raised is not
  shown from a lagging replica; unrelated writes elsewhere on the server do not keep the replica
  out. The visitor's account and roles are read on the primary before the scope begins;
- a replica that cannot be reached (refused, reset, timed out) or was promoted is left alone for
  `REPLICA_RETRY_AFTER` seconds in this process and the primary answers; one lost in the middle of
  a view, or that cancels a read conflicting with the WAL it replays, makes the view run again on
  the primary (it had written nothing). Any other error is the view's and is raised.

Outside a scope nothing changes: the workflow, staff pages, sign-in and sessions use the primary.
"""

import contextlib
import logging
import random
import re
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import FileResponse

from complaints.common import publication
from lapor.db import connection_gone, database_unavailable, describe, sqlstate
from lapor.pause import Pause

log = logging.getLogger("lapor.database")

# Seconds a replica that could not be reached, or was promoted, is left alone (per process).
REPLICA_RETRY_AFTER = 30.0
_paused = {}  # alias: Pause

# What a standby says of itself: true while it replays a primary's WAL, false once promoted. (The
# tests' mirror of the test database is a primary: they fake the answer here.)
IN_RECOVERY = "pg_is_in_recovery()"
# The SQLSTATE a standby cancels a read with when it conflicts with the WAL it replays.
RECOVERY_CONFLICT = "40001"

# Methods whose views only read: a POST to a marked view runs on the primary.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Statements that change nothing. Anything else on the primary inside a scope — INSERT, UPDATE,
# DELETE, a lock, a sequence, a CTE — counts as a write.
_READ_ONLY = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK|SET|SHOW|EXPLAIN)\b", re.IGNORECASE)
_WRITES_ANYWAY = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bnextval\s*\(", re.IGNORECASE)


class _Scope:
    """One request's routing: the replica chosen at its first read, and whether it has written."""

    __slots__ = ("chosen", "generation", "primary_failed_before", "replica", "wrote")

    def __init__(self, generation=None):
        self.chosen = False
        self.generation = generation  # the primary's, when the caller has read it already
        self.replica = None
        self.wrote = False
        self.primary_failed_before = connections[DEFAULT_DB_ALIAS].errors_occurred

    def read_alias(self):
        if self.wrote:
            return DEFAULT_DB_ALIAS
        if not self.chosen:
            self.chosen = True
            self.replica = _caught_up_replica(self.generation)
        return self.replica or DEFAULT_DB_ALIAS


_scope = ContextVar("lapor_replica_scope", default=None)


def replica_in_use():
    """The replica the current scope reads from now, or None (the primary)."""
    scope = _scope.get()
    if scope is None or scope.wrote or not scope.chosen:
        return None
    return scope.replica


# The decision ---------------------------------------------------------------------------------
def reset():
    """Forget replicas left alone (tests; the pause also ends by itself)."""
    _paused.clear()


def _available():
    return [alias for alias in settings.DATABASE_REPLICAS if not (alias in _paused and _paused[alias].active())]


def _leave_alone(alias, why):
    if _paused.setdefault(alias, Pause()).start(REPLICA_RETRY_AFTER):
        log.warning("read replica %s %s; reading from the primary for %.0f s", alias, why, REPLICA_RETRY_AFTER)
    with contextlib.suppress(Error):
        connections[alias].close()


def _position(alias):
    """(whether `alias` is still a standby, the generation it has replayed): one query."""
    from complaints.models import Publication

    connection = connections[alias]
    table = connection.ops.quote_name(Publication._meta.db_table)
    with connection.cursor() as cursor:
        # Two constants of this module and a table name: nothing from outside.
        cursor.execute(f"SELECT {IN_RECOVERY}, (SELECT generation FROM {table} WHERE id = %s)", [publication.ROW])  # noqa: S608
        in_recovery, generation = cursor.fetchone()
    return bool(in_recovery), generation or 0


def _caught_up_replica(generation=None):
    """A reachable standby that has replayed `generation` (None: the one the primary holds now), or
    None."""
    candidates = _available()
    if not candidates:
        return None
    if generation is None:
        generation = publication.current()
    random.shuffle(candidates)
    for alias in candidates:
        try:
            in_recovery, replayed = _position(alias)
        except Error as exc:  # refused, reset, timed out: the primary answers meanwhile
            _leave_alone(alias, f"unavailable ({describe(exc)})")
            continue
        if not in_recovery:
            _leave_alone(
                alias,
                "is not in recovery (promoted?): not a replica of this primary; remove it from DATABASE_REPLICA_URLS",
            )
            continue
        if replayed >= generation:
            # From here on an error on this connection is the scope's (see _replica_failed).
            connections[alias].errors_occurred = False
            return alias
        log.debug("read replica %s has not replayed generation %s yet; reading from the primary", alias, generation)
    return None


# Noticing writes ------------------------------------------------------------------------------
def writes(sql):
    """Whether a statement may change something (or lock it): anything but a plain read."""
    sql = str(sql)
    return not _READ_ONLY.match(sql) or bool(_WRITES_ANYWAY.search(sql))


def _watch_primary(execute, sql, params, many, context):
    scope = _scope.get()
    if scope is not None and not scope.wrote and writes(sql):
        scope.wrote = True
    return execute(sql, params, many, context)


@contextlib.contextmanager
def _entered(scope):
    token = _scope.set(scope)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_watch_primary):
            yield scope
    finally:
        _scope.reset(token)


def _streamed_in(scope, chunks):
    """A streamed answer's chunks, each produced inside `scope` (an export reads while it streams,
    after the view has returned)."""
    iterator = iter(chunks)
    while True:
        with _entered(scope):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def _replica_failed(scope):
    """Whether the error that ended the scope came from its replica, before the scope wrote
    anything."""
    alias = scope.replica
    primary = connections[DEFAULT_DB_ALIAS]
    return (
        alias is not None
        and not scope.wrote
        and connections[alias].errors_occurred
        and (scope.primary_failed_before or not primary.errors_occurred)
    )


def _cancelled_by_recovery(exc):
    """Whether `exc`, or an error it was raised from, is a standby cancelling a read that conflicts
    with the WAL it replays."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if sqlstate(exc) == RECOVERY_CONFLICT:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _identify(request):
    """Load the visitor's session, account and roles on the primary, before the scope: who is
    asking, and what they may see, never lags."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        user.memberships  # noqa: B018 - a cached property: loaded now, on the primary


def run_view(view, request, args, kwargs, *, generation=None):
    """`view(request, *args, **kwargs)`, its reads from a caught-up replica until it writes (see
    `reads_from_replica`). `generation`: the primary's, when the caller has just read it (the page
    cache's key): the replica must have replayed it, and it is not read again."""
    if request.method not in SAFE_METHODS or not settings.DATABASE_REPLICAS or _scope.get() is not None:
        return view(request, *args, **kwargs)
    _identify(request)
    scope = _Scope(generation)
    try:
        with _entered(scope):
            response = view(request, *args, **kwargs)
    except Error as exc:
        if not _replica_failed(scope):
            raise
        if connection_gone(scope.replica) or database_unavailable(exc, using=scope.replica):
            _leave_alone(scope.replica, f"unavailable ({describe(exc)})")
        elif _cancelled_by_recovery(exc):
            log.info("read replica %s cancelled a read (%s); the primary answers", scope.replica, describe(exc))
        else:
            raise  # the view's own error (a bad query, a constraint): the primary would raise it too
        return view(request, *args, **kwargs)
    if response.streaming and not isinstance(response, FileResponse) and not response.is_async:
        response.streaming_content = _streamed_in(scope, response.streaming_content)
    return response


def reads_from_replica(view):
    """Mark a view whose GET only reads (or reads before it writes): its reads may come from a
    caught-up replica until it writes. Streamed answers read inside the same scope. A replica lost
    during the view, or cancelling one of its reads, makes the view run again on the primary:
    nothing was written (a failure while an answer streams ends the answer, as the primary's
    would)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return run_view(view, request, args, kwargs)

    return wrapped


# The router -----------------------------------------------------------------------------------
class ReplicaRouter:
    """Reads inside a replica scope go to the scope's replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if scope is None:
            return DEFAULT_DB_ALIAS
        return scope.read_alias()

    def db_for_write(self, model, **hints):
        # Writes always go to the primary; the scope notices them there (_watch_primary).
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # A replica holds the primary's rows: an object read from one may point to one of the other.
        ours = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
