import pytest
from django.core.cache import cache
from django.utils import timezone

from lapor.tasks import HEARTBEAT_KEY, heartbeat


@pytest.mark.django_db
def test_healthz_503_without_a_worker_then_200(client):
    cache.delete(HEARTBEAT_KEY)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["database"]["status"] == "up"
    assert r.json()["worker"]["status"] == "down"
    heartbeat()
    r = client.get("/healthz")
    assert r.status_code == 200, r.json()
    assert {r.json()[k]["status"] for k in ("database", "cache", "broker", "worker")} == {"up"}


@pytest.mark.django_db
def test_healthz_stale_heartbeat_is_down(client):
    cache.set(HEARTBEAT_KEY, (timezone.now() - timezone.timedelta(minutes=10)).isoformat(), 300)
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_home_page_renders_in_both_languages(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "Buat laporan" in r.content.decode()
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
