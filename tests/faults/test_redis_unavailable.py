"""Redis is an accelerator: with the cache's Redis refusing connections (down) or accepting them
and never answering (hung), every cache call is a quick miss, and what counted in the cache keeps
a safe rule — the calendar reads the holiday table, the login lockout counts in the database, the
SMS rate counts stored messages, the API throttles let requests through, the dashboards' lock does
not wait. No redis-server is needed: a closed port is a Redis that is down, a socket that is
listened on but never read is a Redis that is hung."""

import socket
import time
from datetime import date

import pytest
from django.core.cache import cache

from accounts.models import LoginFailure
from lapor import cache as redis_cache
from lapor import publish
from tests.conftest import before_and_after, check_a_success_resets_the_count

PASSWORD = "rahasia-sekali-123"


def _options():
    return {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "SOCKET_TIMEOUT": 0.5,
        "CONNECTION_POOL_CLASS": "lapor.cache.ConnectionPool",
    }


def _use_redis(settings, url):
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": _options()}}


@pytest.fixture(autouse=True)
def _fresh_pause():
    yield from before_and_after(redis_cache.reset)


@pytest.fixture
def redis_down(settings):
    """The cache on a port where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    _use_redis(settings, f"redis://127.0.0.1:{port}/0")


@pytest.fixture
def redis_hung(settings):
    """The cache on a socket that accepts connections (the kernel's backlog) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    _use_redis(settings, f"redis://127.0.0.1:{s.getsockname()[1]}/0")
    yield
    s.close()


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


@pytest.mark.parametrize("outage", ["redis_down", "redis_hung"])
def test_every_cache_call_is_a_quick_miss(outage, request):
    request.getfixturevalue(outage)
    (value, first) = timed(lambda: cache.get("k", "default"))
    assert value == "default" and first < 1.5
    assert redis_cache.unavailable()
    start = time.monotonic()
    assert cache.get("k") is None
    cache.set("k", 1, 10)
    assert cache.add("k", 1, 10) is None
    assert cache.incr("k") is None
    cache.delete("k")
    assert cache.get_many(["a", "b"]) == {}
    assert time.monotonic() - start < 0.1  # paused: no network round trip at all


def test_the_pause_ends_and_redis_is_asked_again(redis_down, monkeypatch):
    cache.get("k")
    assert redis_cache.unavailable()
    monkeypatch.setattr(redis_cache, "REDIS_RETRY_AFTER", 0.2)
    redis_cache._trip(RuntimeError("again"))
    time.sleep(0.3)
    assert not redis_cache.unavailable()


def test_hand_overs_are_skipped_while_the_brokers_redis_is_failing(redis_down):
    class Task:
        calls = 0

        def delay(self, *args):
            Task.calls += 1

    cache.get("k")
    assert publish.send(Task(), 1) is False and Task.calls == 0
    redis_cache.reset()
    assert publish.send(Task(), 1) is True and Task.calls == 1


@pytest.mark.django_db
def test_the_calendar_reads_the_holiday_table_without_the_cache(redis_down):
    from agencies import calendar
    from agencies.models import Holiday

    holiday = date(2026, 12, 24)  # a Thursday
    Holiday.objects.create(date=holiday, name="Cuti bersama Natal", kind=Holiday.Kind.CUTI_BERSAMA)
    calendar._local["version"] = None
    assert not calendar.is_working_day(holiday)
    assert calendar.next_working_day(date(2026, 12, 23)) == date(2026, 12, 25)


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["redis_down", "redis_hung"])
def test_login_lockout_counts_in_the_database_without_the_cache(outage, request, client, citizen, settings):
    request.getfixturevalue(outage)
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    start = time.monotonic()
    for attempt in range(2):
        r = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": f"salah-{attempt}"})
        assert r.status_code == 400
    r = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": "salah-3"})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.content.decode()
    # Locked: even the right password is refused; from another address the owner gets in.
    assert client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}).status_code == 429
    other = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    assert time.monotonic() - start < 5
    assert LoginFailure.objects.count() == 6  # three failures, each for the pair and the address


@pytest.mark.django_db
def test_a_success_clears_the_database_count(redis_down, client, citizen, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    check_a_success_resets_the_count(client, failures=2)


@pytest.mark.django_db
def test_api_token_lockout_holds_without_the_cache(redis_down, citizen, settings):
    from rest_framework.test import APIClient

    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    api = APIClient()
    for _ in range(3):
        api.post("/api/v1/auth/token/", {"username": "alice@warga.id", "password": "salah"}, format="json")
    r = api.post("/api/v1/auth/token/", {"username": "alice@warga.id", "password": PASSWORD}, format="json")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0


@pytest.mark.django_db
def test_admin_and_reset_share_the_database_count_behind_the_proxy(redis_down, client, superadmin, settings):
    from django.core import mail

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    attacker = {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    owner = {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    from accounts.second_factor import enrol
    from tests.conftest import totp_code

    enrol(superadmin)
    form = {"username": "root@pemda.go.id", "next": "/admin/"}
    client.post("/admin/login/", {**form, "password": "salah-1"}, **attacker)
    client.post("/akun/lupa-sandi/", {"email": "root@pemda.go.id"}, **attacker)
    r = client.post("/admin/login/", {**form, "password": "salah-2"}, **attacker)
    assert "Terlalu banyak percobaan" in r.content.decode()
    r = client.post("/admin/login/", {**form, "password": "x", "otp_token": totp_code(superadmin)}, **attacker)
    assert "Terlalu banyak percobaan" in r.content.decode()
    assert client.get("/admin/accounts/user/").status_code == 302
    assert client.post("/akun/lupa-sandi/", {"email": "root@pemda.go.id"}, **attacker).status_code == 429
    assert len(mail.outbox) == 1
    assert LoginFailure.objects.count() == 6  # three attempts, each for the pair and the address
    # The owner at their own address, through the same proxy, gets in.
    assert (
        client.post("/admin/login/", {**form, "password": "x", "otp_token": totp_code(superadmin)}, **owner).status_code
        == 302
    )
    assert client.get("/admin/accounts/user/").status_code == 200


@pytest.mark.django_db
def test_api_throttles_fail_open_without_the_cache(redis_down, settings, region):
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api = APIClient()
    assert [api.get("/api/v1/complaints/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_sms_rate_limit_counts_stored_messages_without_the_cache(redis_down, settings, region, client):
    import hashlib
    import hmac
    from urllib.parse import urlencode

    from complaints.models import InboundSms

    settings.SMS_WEBHOOK_SECRET = "rahasia-webhook-uji"
    settings.SMS_RATE_LIMIT_PER_HOUR = 2
    statuses = []
    for i in range(4):
        raw = urlencode({"from": "+62 811 2222 3333", "text": f"CEK LPR-0000-000{i}"}).encode()
        signature = hmac.new(b"rahasia-webhook-uji", raw, hashlib.sha256).hexdigest()
        r = client.generic(
            "POST", "/sms/inbound/", raw, content_type="application/x-www-form-urlencoded", HTTP_X_SIGNATURE=signature
        )
        assert r.status_code == 200
        statuses.append(r.json()["status"])
    assert statuses == ["ok", "ok", "rate_limited", "rate_limited"]
    assert InboundSms.objects.count() == 4  # every message stored


def test_single_flight_figures_are_computed_without_waiting_for_a_lock(redis_hung):
    from complaints.common.pagination import cached_value

    calls = []
    start = time.monotonic()
    for _ in range(3):
        assert cached_value("figures", 300, lambda: calls.append(1) or {"n": 1}, single_flight=True) == {"n": 1}
    assert len(calls) == 3 and time.monotonic() - start < 1.5


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["redis_down", "redis_hung"])
def test_pages_answer_without_the_cache(outage, request, client, settings, file_report):
    request.getfixturevalue(outage)
    settings.LIST_COUNT_CACHE_SECONDS = 30
    settings.DASHBOARD_CACHE_SECONDS = 300
    file_report()
    for url in ("/", "/laporan/", "/statistik/", "/api/v1/complaints/"):
        r, seconds = timed(lambda url=url: client.get(url))
        assert r.status_code == 200, url
        assert seconds < 2, (url, seconds)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["cache"]["status"] == "down"


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["redis_down", "redis_hung"])
def test_open311_and_manual_entry_file_without_the_cache(outage, request, client, client_for, operator, region):
    """The two channels the real-process drill does not drive: an Open311 client and an operator
    entering a walk-in report both file, within the time bound, while Redis is down or hung."""
    from complaints.models import Complaint, Open311Key
    from tests.staff.test_operator import manual

    request.getfixturevalue(outage)
    key = Open311Key.objects.create(name="Aplikasi warga").key
    fields = {
        "api_key": key,
        "service_code": "jalan",
        "address_string": "Jl. Poros Desa",
        "email": "warga.baru@contoh.id",
        "description": "Lubang besar di jalan poros desa, motor sering jatuh.",
    }
    r, seconds = timed(lambda: client.post("/open311/v2/requests.json", fields))
    assert r.status_code == 201, r.content
    assert seconds < 2, seconds
    r, seconds = timed(lambda: client_for(operator).post("/petugas/input/", manual(region)))
    assert r.status_code == 302, r.content
    assert seconds < 2, seconds
    assert Complaint.objects.count() == 2
