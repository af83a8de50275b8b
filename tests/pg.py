"""PostgreSQL helpers shared by the tests that drill a lost connection."""

import psycopg2
from django.db import connection


def terminate(pid):
    """End backend `pid` from a connection of its own, as a restart or failover would."""
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"] or None, port=s["PORT"] or None
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
