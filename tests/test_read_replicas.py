"""Read replicas (complaints/common/replicas.py, docs/architecture.md "Read replicas"), against the test
mirror `replica_1` (tests/conftest.py): a second connection to the test database, so what it
reads is what a caught-up replica would hold (the tests fake its answer to `pg_is_in_recovery()`:
the mirror is the primary itself). Pages marked replica-safe read from it, everything else and
every read after a write of the same request from the primary; the publication generation is
read once, on the primary; an unreachable or promoted replica, or one that dies or cancels a read
during a view, leaves the page to the primary, while the view's own errors are raised.
tests/test_replica_drill.py does the same against a real streaming replica.

On SQLite (no replicas: settings refuse them) only the router's plain decisions are tested."""

import contextlib
import csv
import io
import logging
import socket

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.http import JsonResponse
from django.urls import path

from agencies.models import Agency, Category
from complaints import workflow
from complaints.common import publication, replicas
from complaints.common.pagecache import HEADER
from complaints.models import IdentityAccess
from tests import pg

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
REPLICA = "replica_1"


def on_the_mirror(test):
    # Committed data: a replica's connection never sees another connection's open transaction.
    test = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])(test)
    return pytest.mark.skipif(not POSTGRES, reason="read replicas are PostgreSQL's (settings refuse them on SQLite)")(
        test
    )


# The router's plain decisions (any database) ----------------------------------------------------
def test_outside_a_marked_scope_everything_goes_to_the_primary(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    router = replicas.ReplicaRouter()
    assert router.db_for_read(Category) == "default"
    assert router.db_for_write(Category) == "default"


def test_only_the_primary_is_migrated():
    router = replicas.ReplicaRouter()
    assert router.allow_migrate("default", "complaints") is True
    assert router.allow_migrate(REPLICA, "complaints") is False


def test_rows_read_from_a_replica_may_point_to_rows_of_the_primary(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    agency, category = Agency(), Category()
    agency._state.db, category._state.db = REPLICA, "default"
    assert replicas.ReplicaRouter().allow_relation(category, agency) is True


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "complaints_complaint"."id" FROM "complaints_complaint"', False),
        ('SAVEPOINT "s1_x1"', False),
        ('RELEASE SAVEPOINT "s1_x1"', False),
        ('INSERT INTO "complaints_identityaccess" ("complaint_id") VALUES (%s)', True),
        ('UPDATE "complaints_publication" SET "generation" = ("generation" + 1)', True),
        ('DELETE FROM "django_session" WHERE "session_key" = %s', True),
        ('SELECT "complaints_complaint"."id" FROM "complaints_complaint" WHERE id = 1 FOR UPDATE OF "x"', True),
        ("SELECT nextval('complaints_complaint_id_seq')", True),
        ("WITH moved AS (UPDATE x SET y = 1 RETURNING id) SELECT * FROM moved", True),
    ],
)
def test_anything_but_a_plain_read_counts_as_a_write(sql, writes):
    assert replicas.writes(sql) is writes


# Against the mirror (PostgreSQL) --------------------------------------------------------------
@pytest.fixture
def replica(settings, monkeypatch):
    if REPLICA not in connections:
        pytest.skip("no replica_1 mirror (tests/conftest.py adds it on PostgreSQL)")
    settings.DATABASE_REPLICAS = [REPLICA]
    # The mirror is the primary: it answers that it is not in recovery. A standby would say true.
    monkeypatch.setattr(replicas, "IN_RECOVERY", "true")
    replicas.reset()
    yield connections[REPLICA]
    replicas.reset()


@contextlib.contextmanager
def statements():
    """[(alias, sql)] of every statement run on the primary and on the replica, in order."""
    seen = []

    def recorder(alias):
        def record(execute, sql, params, many, context):
            seen.append((alias, str(sql)))
            return execute(sql, params, many, context)

        return record

    with (
        connections["default"].execute_wrapper(recorder("default")),
        connections[REPLICA].execute_wrapper(recorder(REPLICA)),
    ):
        yield seen


def on(seen, alias, table=""):
    return [sql for a, sql in seen if a == alias and table in sql]


@pytest.mark.parametrize("cached", [True, False], ids=["cache-on", "cache-off"])
@on_the_mirror
def test_a_public_page_reads_from_the_replica_and_the_generation_from_the_primary(
    client, disposed_report, replica, settings, cached
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60 if cached else 0
    settings.PAGE_CACHE_HEADER = True
    disposed_report(title="Jembatan retak di Zelvoran")
    with statements() as seen:
        page = client.get("/laporan/")
    assert page.status_code == 200 and "Zelvoran" in page.content.decode()
    assert on(seen, REPLICA, '"complaints_complaint"'), seen
    assert not on(seen, "default", '"complaints_complaint"'), on(seen, "default")
    # The generation is read on the primary before anything else, once (the cache's key and the
    # replica's check share it); the replica is asked for its own once, to see that it has
    # replayed it.
    assert seen[0][0] == "default" and '"complaints_publication"' in seen[0][1], seen[0]
    assert len(on(seen, "default", '"complaints_publication"')) == 1, on(seen, "default")
    assert len(on(seen, REPLICA, '"complaints_publication"')) == 1
    if cached:
        assert page[HEADER] == "miss"


@on_the_mirror
def test_open311_and_the_dashboards_read_from_the_replica(client, client_for, disposed_report, auditor, replica):
    c = disposed_report(title="Drainase tersumbat di Zelvoran")
    with statements() as seen:
        listed = client.get("/open311/v2/requests.json")
        body = b"".join(listed.streaming_content).decode()  # the list is read while it streams
    assert listed.status_code == 200 and c.tracking_id in body
    assert on(seen, REPLICA, '"complaints_complaint"') and not on(seen, "default", '"complaints_complaint"')

    staff = client_for(auditor)
    with statements() as seen:
        dashboard = staff.get("/audit/")
    assert dashboard.status_code == 200
    assert on(seen, REPLICA, '"complaints_complaint"') and not on(seen, "default", '"complaints_complaint"')

    # An export streams after its view returned: its rows are read from the replica while it does.
    with statements() as seen:
        export = staff.get("/audit/laporan/ekspor.csv", {"metrik": "total"})
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert export.status_code == 200 and c.tracking_id in {row[0] for row in rows[1:]}
    assert on(seen, REPLICA, '"complaints_complaint"') and not on(seen, "default", '"complaints_complaint"')


@on_the_mirror
def test_unmarked_pages_and_posts_never_touch_the_replica(client_for, client, citizen, disposed_report, replica):
    disposed_report()
    with statements() as seen:
        assert client_for(citizen).get("/akun/").status_code == 200
        # A marked page's POST runs on the primary: Open311's filing looks its key up there (and
        # refuses this one).
        refused = client.post("/open311/v2/requests.json", {"service_code": "jalan", "api_key": "bukan-kunci"})
        assert refused.status_code == 403
    assert not on(seen, REPLICA) and on(seen, "default")
    assert on(seen, "default", '"complaints_open311key"')


@on_the_mirror
def test_a_signed_in_visitor_on_a_public_page(client_for, citizen, disposed_report, replica):
    c = disposed_report(title="Lampu jalan padam di Zelvoran")
    visitor = client_for(citizen)
    with statements() as seen:
        page = visitor.get(c.get_absolute_url())
    assert page.status_code == 200 and "Zelvoran" in page.content.decode()
    assert on(seen, REPLICA, '"complaints_complaint"')
    # Still signed in afterwards: the session and account were read on the primary.
    assert not on(seen, REPLICA, 'FROM "django_session"') and not on(seen, REPLICA, 'FROM "accounts_user"')
    assert visitor.get("/akun/").status_code == 200


# A read after a write: test views, each writing differently ------------------------------------------
def _read_write_read(write):
    @replicas.reads_from_replica
    def view(request):
        before = replicas.replica_in_use()
        slugs = list(Category.objects.values_list("slug", flat=True))
        write()
        slugs += list(Category.objects.values_list("slug", flat=True))
        return JsonResponse({"before": before, "after": replicas.replica_in_use(), "slugs": slugs})

    return view


def _lock():
    with transaction.atomic():
        list(Category.objects.select_for_update().filter(slug="jalan"))


WRITES = {
    "a model saved": lambda: Category.objects.filter(slug="jalan").first().save(),
    "a bulk update": lambda: Category.objects.filter(slug="jalan").update(name="Jalan raya"),
    "an update through an explicit alias": publication.bump,  # the router is never asked
    "a row locked": _lock,
}
_lost_runs = []


def _recovery_conflict(replica):
    # What a standby does to a read that conflicts with the WAL it replays: cancels it, with this
    # SQLSTATE and message.
    with replica.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'canceling statement due to conflict with recovery' "
            "USING ERRCODE = 'serialization_failure'; END $$"
        )


MISHAPS = {
    "the connection ends": lambda replica: pg.terminate(replica.connection.get_backend_pid()),
    "a read is cancelled by recovery": _recovery_conflict,
}


def _statement_timeout(replica):
    with replica.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")
        try:
            cursor.execute("SELECT pg_sleep(5)")
        finally:
            cursor.execute("SET statement_timeout = 0")


def _bad_query(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM agencies_category")


# Errors of the view's own: a replica would not be to blame, the primary would raise them too.
OWN_ERRORS = {"a bad query": _bad_query, "a statement timeout": _statement_timeout}


def _replica_fails_midway(mishap):
    @replicas.reads_from_replica
    def view(request):
        first = list(Category.objects.values_list("slug", flat=True))
        alias = replicas.replica_in_use()
        _lost_runs.append(alias)
        if alias:
            mishap(connections[alias])
        second = list(Category.objects.values_list("slug", flat=True))
        return JsonResponse({"slugs": first + second})

    return view


urlpatterns = [
    *(path(f"write/{n}/", _read_write_read(write)) for n, write in enumerate(WRITES.values())),
    *(path(f"lost/{n}/", _replica_fails_midway(mishap)) for n, mishap in enumerate(MISHAPS.values())),
    *(path(f"own/{n}/", _replica_fails_midway(error)) for n, error in enumerate(OWN_ERRORS.values())),
]


@on_the_mirror
@pytest.mark.urls(__name__)
@pytest.mark.parametrize("number", range(len(WRITES)), ids=list(WRITES))
def test_every_read_after_a_write_of_the_request_is_on_the_primary(client, region, replica, number):
    with statements() as seen:
        answer = client.get(f"/write/{number}/")
    assert answer.status_code == 200
    assert answer.json()["before"] is None  # nothing chosen before the first read
    assert answer.json()["after"] is None and "jalan" in answer.json()["slugs"]
    category_reads = [(alias, sql) for alias, sql in seen if '"agencies_category"' in sql and sql.startswith("SELECT")]
    first, last = category_reads[0], category_reads[-1]
    assert first[0] == REPLICA and last[0] == "default", category_reads


@on_the_mirror
def test_the_page_read_after_a_logged_identity_look_is_on_the_primary(client_for, disposed_report, operator, replica):
    """An operator's look at an anonim report writes its IdentityAccess row (docs/privacy.md)
    while the page renders: from then on the page reads from the primary."""
    c = disposed_report(privacy="anonim", title="Pungutan di loket Zelvoran")
    with statements() as seen:
        page = client_for(operator).get(c.get_absolute_url())
    assert page.status_code == 200 and IdentityAccess.objects.filter(complaint=c, user=operator).exists()
    write = next(i for i, (alias, sql) in enumerate(seen) if sql.startswith('INSERT INTO "complaints_identityaccess"'))
    assert seen[write][0] == "default"
    assert any(alias == REPLICA for alias, _sql in seen[:write])
    assert not any(alias == REPLICA for alias, _sql in seen[write:]), seen[write:]


# A replica that is behind, unreachable or lost ---------------------------------------------------------
@on_the_mirror
def test_a_replica_behind_the_primary_is_not_read(client, disposed_report, operator, replica):
    """A lagging replica, played by the mirror's connection inside a REPEATABLE READ transaction
    whose snapshot was taken before the privacy raise: it holds the old generation and the old
    privacy. The page is read on the primary, and the report is gone from it."""
    c = disposed_report(title="Sampah menumpuk di Zelvoran")
    with transaction.atomic(using=REPLICA):
        with replica.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        stale = publication.current(using=REPLICA)  # the snapshot is taken here
        workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
        assert publication.current() > stale == publication.current(using=REPLICA)
        with statements() as seen:
            page = client.get("/laporan/")
    assert page.status_code == 200 and "Zelvoran" not in page.content.decode()
    assert on(seen, "default", '"complaints_complaint"')
    assert on(seen, REPLICA) and not on(seen, REPLICA, '"complaints_complaint"'), on(seen, REPLICA)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@on_the_mirror
def test_an_unreachable_replica_leaves_the_pages_to_the_primary(client, disposed_report, replica, caplog):
    disposed_report(title="Banjir di Zelvoran")
    replica.close()
    port = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = free_port()  # nothing listens there: connections are refused
    try:
        with caplog.at_level(logging.WARNING, logger="lapor.database"):
            for _ in range(3):
                page = client.get("/laporan/")
                assert page.status_code == 200 and "Zelvoran" in page.content.decode()
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
    # One line for the outage; the next requests within the pause do not try the replica again.
    lines = [r.getMessage() for r in caplog.records if "read replica" in r.getMessage()]
    assert len(lines) == 1 and "replica_1 unavailable" in lines[0], lines
    # After the pause the replica is tried again.
    replicas.reset()
    with statements() as seen:
        assert client.get("/laporan/").status_code == 200
    assert on(seen, REPLICA, '"complaints_complaint"')


@on_the_mirror
@pytest.mark.urls(__name__)
@pytest.mark.parametrize("number", range(len(MISHAPS)), ids=list(MISHAPS))
def test_a_replica_failing_during_a_view_leaves_the_view_to_the_primary(client, region, replica, caplog, number):
    _lost_runs.clear()
    with caplog.at_level(logging.INFO, logger="lapor.database"):
        answer = client.get(f"/lost/{number}/")
    assert answer.status_code == 200 and "jalan" in answer.json()["slugs"]
    assert _lost_runs == [REPLICA, None]  # once on the replica, again on the primary
    lines = [r.getMessage() for r in caplog.records if "read replica" in r.getMessage()]
    if list(MISHAPS)[number] == "the connection ends":
        assert len(lines) == 1 and "replica_1 unavailable" in lines[0], lines  # left alone for a while
    else:
        assert len(lines) == 1 and "cancelled a read" in lines[0], lines  # still in service
        assert replicas._available() == [REPLICA]


@on_the_mirror
@pytest.mark.urls(__name__)
@pytest.mark.parametrize("number", range(len(OWN_ERRORS)), ids=list(OWN_ERRORS))
def test_an_error_of_the_view_on_the_replica_is_raised_not_retried(client, region, replica, number):
    from django.db import Error

    _lost_runs.clear()
    with pytest.raises(Error):
        client.get(f"/own/{number}/")
    assert _lost_runs == [REPLICA]  # not run again on the primary
    assert replicas._available() == [REPLICA]  # and the replica is not to blame


@on_the_mirror
def test_a_promoted_replica_is_not_read(client, disposed_report, replica, monkeypatch, caplog):
    """A standby promoted to a primary of its own no longer replays ours: whatever its generation,
    the primary answers, one line says why, and it is not asked again until the pause ends."""
    disposed_report(title="Banjir di Zelvoran")
    monkeypatch.setattr(replicas, "IN_RECOVERY", "false")  # what a promoted server answers
    with caplog.at_level(logging.WARNING, logger="lapor.database"), statements() as seen:
        for _ in range(2):
            page = client.get("/laporan/")
            assert page.status_code == 200 and "Zelvoran" in page.content.decode()
    assert on(seen, "default", '"complaints_complaint"')
    assert len(on(seen, REPLICA)) == 1 and not on(seen, REPLICA, '"complaints_complaint"'), on(seen, REPLICA)
    lines = [r.getMessage() for r in caplog.records if "read replica" in r.getMessage()]
    assert len(lines) == 1 and "replica_1 is not in recovery" in lines[0], lines
    # Back in recovery (rebuilt as a standby) and past the pause: read again.
    monkeypatch.setattr(replicas, "IN_RECOVERY", "true")
    replicas.reset()
    with statements() as seen:
        assert client.get("/laporan/").status_code == 200
    assert on(seen, REPLICA, '"complaints_complaint"')
