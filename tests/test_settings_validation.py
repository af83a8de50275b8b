"""A mail or SMS setting the portal cannot use stops the start with a clear message — web
(gunicorn loads lapor.wsgi), the worker and beat (celery -A lapor loads lapor.celery) and every
manage.py command — instead of failing quietly at the first message."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(module, **env):
    """Import `module` in a fresh interpreter with `env` on top of the test environment."""
    environ = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "SMS_BACKEND", "SMS_GATEWAY_URL")}
    environ.update(DJANGO_SETTINGS_MODULE="lapor.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def databases_with(**env):
    """(DATABASE_REPLICAS, DATABASES) as the settings make them from `env`, in a fresh interpreter."""
    environ = dict(os.environ, DJANGO_SETTINGS_MODULE="lapor.settings", **env)
    code = "import json; from lapor import settings as s; print(json.dumps([s.DATABASE_REPLICAS, s.DATABASES]))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# the message a start stops with → the setting that causes it
BAD_SETTINGS = {
    "EMAIL_URL: unknown scheme smpt://": {"EMAIL_URL": "smpt://mail.example.go.id:587"},
    "EMAIL_URL: unknown scheme (none)": {"EMAIL_URL": "mail.example.go.id"},
    "SMS_BACKEND: unknown backend 'twilio'": {"SMS_BACKEND": "twilio"},
    "SMS_BACKEND: no module 'nosuch.backends'": {"SMS_BACKEND": "nosuch.backends.Gateway"},
    "SMS_BACKEND=http needs SMS_GATEWAY_URL": {"SMS_BACKEND": "http"},
    "DATABASE_REPLICA_URLS: read replicas need PostgreSQL": {
        "DATABASE_URL": "sqlite://:memory:",
        "DATABASE_REPLICA_URLS": "postgres://lapor@replica.example.go.id/lapor",
    },
    "DATABASE_REPLICA_URLS: replica 2 is not a postgres:// URL": {
        "DATABASE_URL": "postgres://lapor@db.example.go.id/lapor",
        "DATABASE_REPLICA_URLS": "postgres://lapor@replica.example.go.id/lapor,mysql://lapor@other.example.go.id/lapor",
    },
}


@pytest.mark.parametrize("message", BAD_SETTINGS)
@pytest.mark.parametrize("module", ["lapor.settings", "lapor.wsgi", "lapor.celery"])
def test_a_bad_setting_stops_the_start(message, module):
    result = start(module, **BAD_SETTINGS[message])
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: " + message in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"EMAIL_URL": "smtp://user:pass@mail.example.go.id:587/?tls=1", "SMS_BACKEND": "file"},
        {"EMAIL_URL": "smtps://mail.example.go.id", "SMS_BACKEND": "console"},
        {"EMAIL_URL": "console://", "SMS_BACKEND": "tests.conftest.RecordingSms"},
        {"SMS_BACKEND": "http", "SMS_GATEWAY_URL": "https://sms.example.go.id/send"},
    ],
)
def test_good_settings_start(env):
    result = start("lapor.settings", **env)
    assert result.returncode == 0, result.stderr


def test_each_replica_is_an_alias_with_the_primarys_connection_options():
    """docs/architecture.md, "Read replicas": replica_1, replica_2, … in DATABASE_REPLICAS, kept open
    and checked like the primary, no request transaction, a short connect timeout unless the URL
    names one, and a mirror of the test database in a test run."""
    replicas, databases = databases_with(
        DATABASE_URL="postgres://lapor@db.example.go.id/lapor",
        DATABASE_REPLICA_URLS="postgres://lapor@r1.example.go.id/lapor, postgres://lapor@r2.example.go.id/lapor?connect_timeout=5",
        DB_CONN_MAX_AGE="120",
    )
    assert replicas == ["replica_1", "replica_2"] and set(databases) == {"default", *replicas}
    assert [databases[r]["HOST"] for r in replicas] == ["r1.example.go.id", "r2.example.go.id"]
    assert [databases[r]["OPTIONS"]["connect_timeout"] for r in replicas] == [2, 5]
    for alias in replicas:
        replica = databases[alias]
        assert (replica["CONN_MAX_AGE"], replica["CONN_HEALTH_CHECKS"]) == (120, True)
        assert replica["ATOMIC_REQUESTS"] is False and replica["TEST"] == {"MIRROR": "default"}
    assert databases["default"]["ATOMIC_REQUESTS"] is True
    # JIT off on every PostgreSQL connection (docs/operations.md, "PostgreSQL").
    assert {databases[a]["OPTIONS"]["options"] for a in databases} == {"-c jit=off"}


def test_postgresql_connections_run_without_jit_unless_the_url_says_otherwise(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    _replicas, databases = databases_with(
        DATABASE_URL="postgres://lapor@db.example.go.id/lapor?options=-c%20jit%3Don",
        DATABASE_REPLICA_URLS="postgres://lapor@r1.example.go.id/lapor",
    )
    assert databases["default"]["OPTIONS"]["options"] == "-c jit=on"
    assert databases["replica_1"]["OPTIONS"]["options"] == "-c jit=on"


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_the_loaded_application_is_kept_out_of_the_garbage_collectors_walks(interface):
    # What loading made lives as long as the process (lapor/servers.py): frozen once loaded.
    code = (
        "import gc; from lapor import servers; before = gc.get_freeze_count(); "
        f"servers.application_for({interface!r}); print(before, gc.get_freeze_count())"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert before == 0 and after > 10000
