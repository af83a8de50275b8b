import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from lapor.tasks import heartbeat, heartbeat_key


@pytest.mark.django_db
def test_healthz_503_without_a_worker_then_200(client):
    for queue in settings.TASKS_BY_QUEUE:
        cache.delete(heartbeat_key(queue))
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["database"]["status"] == "up"
    assert r.json()["worker"]["status"] == "down"
    for queue in settings.TASKS_BY_QUEUE:
        heartbeat(queue)
    r = client.get("/healthz")
    assert r.status_code == 200, r.json()
    assert {r.json()[k]["status"] for k in ("database", "cache", "broker", "worker")} == {"up"}


@pytest.mark.django_db
def test_healthz_needs_a_worker_on_every_queue(client):
    """Workers split per queue (docs/operations.md): one queue without a worker is enough for 503,
    and the answer names it."""
    heartbeat("deadlines")
    heartbeat("notifications")
    cache.delete(heartbeat_key("reports"))
    r = client.get("/healthz")
    assert r.status_code == 503
    queues = r.json()["worker"]["queues"]
    assert {name: check["status"] for name, check in queues.items()} == {
        "deadlines": "up",
        "notifications": "up",
        "reports": "down",
    }
    heartbeat("reports")
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_stale_heartbeat_is_down(client):
    for queue in settings.TASKS_BY_QUEUE:
        heartbeat(queue)
    assert client.get("/healthz").status_code == 200
    stale = (timezone.now() - timezone.timedelta(minutes=10)).isoformat()
    cache.set(heartbeat_key("notifications"), stale, 300)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["worker"]["queues"]["notifications"] == {"status": "down", "last_heartbeat": stale}


@pytest.mark.django_db
def test_home_page_renders_in_both_languages(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "Buat laporan" in r.content.decode()
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
