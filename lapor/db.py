"""Telling "the database is out of reach" apart from "this query was wrong".

A refused connection, a server that went away mid-request and a connection dropped by a restart
or failover all mean the same to a caller: stop, answer 503 (or end the sweep), and let the next
request or run reconnect. A statement timeout, a deadlock or a constraint leave the connection
usable and are ordinary errors of the code that ran them.
"""

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections


def connection_gone(using=DEFAULT_DB_ALIAS):
    """True when the connection of `using` is closed or broken (or was never opened)."""
    raw = connections[using].connection
    if raw is None:
        return True
    # psycopg2: `closed` is 0 while open, 1 closed, 2 broken; psycopg 3 has `closed` and `broken`.
    return bool(getattr(raw, "closed", False)) or bool(getattr(raw, "broken", False))


def sqlstate(exc):
    """The SQLSTATE of a database error, from the driver's exception it was raised from."""
    for err in (exc, exc.__cause__):
        code = getattr(err, "pgcode", None) or getattr(err, "sqlstate", None)
        if code:
            return code
    return None


def _lost(exc, using):
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if connections[using].vendor == "postgresql":
        # No SQLSTATE: the client could not reach the server or lost it (refused, reset, closed);
        # class 08 are connection exceptions; 57P01-57P05 the server ending the session (shutdown,
        # crash, starting up). A statement timeout (57014) or a deadlock (40P01) are not outages.
        code = sqlstate(exc)
        return code is None or code.startswith(("08", "57P"))
    return connection_gone(using)


def database_unavailable(exc, using=DEFAULT_DB_ALIAS):
    """True when `exc`, or an exception it was raised from or during, is the database being out
    of reach rather than an error of the statement."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _lost(exc, using):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe(exc):
    """One line naming the error, for a log line that replaces a traceback."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__
