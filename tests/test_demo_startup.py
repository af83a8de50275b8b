"""What `make demo` relies on at start-up: links in mail follow PORT, the worker reports itself
healthy at once, and the filesystem broker names a host (kombu warns without one)."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.cache import cache

ROOT = Path(__file__).resolve().parent.parent


def settings_value(name, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT", "REDIS_URL")}
    environ.update(env)
    code = f"import django, os; django.setup(); from django.conf import settings; print(settings.{name})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "lapor.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_site_url_follows_the_port_unless_set():
    assert settings_value("SITE_URL", PORT="8765") == "http://127.0.0.1:8765"
    assert settings_value("SITE_URL") == "http://127.0.0.1:8000"
    assert settings_value("SITE_URL", PORT="8765", SITE_URL="https://lapor.example.go.id/") == (
        "https://lapor.example.go.id"
    )


def test_the_filesystem_broker_names_a_host():
    from kombu import Connection

    url = settings_value("CELERY_BROKER_URL")
    assert url.startswith("filesystem://")
    assert Connection(url).hostname == "localhost"


def test_a_starting_worker_writes_its_first_heartbeat_for_every_queue_it_consumes():
    from django.conf import settings

    from lapor.celery import app, first_heartbeat
    from lapor.tasks import heartbeat_key

    queues = list(settings.TASKS_BY_QUEUE)
    for queue in queues:
        cache.delete(heartbeat_key(queue))
    first_heartbeat(sender=None)  # no -Q, as in `make demo`: all three
    assert all(cache.get(heartbeat_key(queue)) for queue in queues)

    for queue in queues:
        cache.delete(heartbeat_key(queue))
    app.amqp.queues.select(["notifications"])  # what `-Q notifications` does in the worker
    try:
        first_heartbeat(sender=None)
    finally:
        app.amqp.queues.select(queues)
    assert [queue for queue in queues if cache.get(heartbeat_key(queue))] == ["notifications"]
