"""One brute-force lock for every way in (web login, Django admin, API token, password reset
request), counted on the real client address behind the trusted proxies."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.second_factor import enrol
from tests.conftest import totp_code

PASSWORD = "rahasia-sekali-123"
WEB = "/akun/masuk/"
ADMIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
RESET = "/akun/lupa-sandi/"
PROXY = "172.18.0.5"  # the reverse proxy: REMOTE_ADDR of every request that comes through it


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def via_proxy(client_address, forged=None):
    """What Django sees of a request the proxy forwarded: the proxy appends the peer it saw."""
    chain = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def admin_login(client, password, otp="", **extra):
    form = {"username": "root@pemda.go.id", "password": password, "otp_token": otp, "next": "/admin/"}
    return client.post(ADMIN, form, **extra)


@pytest.mark.django_db
def test_admin_login_is_locked_after_the_failures_even_for_the_right_password(client, superadmin, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    enrol(superadmin)
    for attempt in range(4):
        r = admin_login(client, f"salah-{attempt}")
        assert r.status_code == 200 and "Terlalu banyak percobaan" not in r.content.decode()
    assert "Terlalu banyak percobaan" in admin_login(client, "salah-4").content.decode()
    # Locked: even the right password is refused.
    r = admin_login(client, "x", totp_code(superadmin))
    assert r.status_code == 200
    assert "Terlalu banyak percobaan" in r.content.decode()
    # Not logged in: the user list (phones, NIK) stays closed.
    users = client.get("/admin/accounts/user/")
    assert users.status_code == 302 and users["Location"].startswith("/admin/login/")
    # The owner from another address gets in.
    assert admin_login(client, "x", totp_code(superadmin), REMOTE_ADDR="10.9.8.7").status_code == 302
    assert client.get("/admin/accounts/user/").status_code == 200


@pytest.mark.django_db
def test_web_admin_and_api_share_one_count(client, citizen, superadmin, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    api = APIClient()
    admin_login(client, "salah-admin")
    client.post(WEB, {"username": "root@pemda.go.id", "password": "salah-web"})
    r = api.post(TOKEN, {"username": "root@pemda.go.id", "password": "salah-api"}, format="json")
    assert r.status_code == 429  # the third failure, whichever door the first two came through
    assert client.post(WEB, {"username": "root@pemda.go.id", "password": "x"}).status_code == 429
    assert "Terlalu banyak percobaan" in admin_login(client, "x").content.decode()
    # API failures lock the web login too.
    for _ in range(3):
        api.post(TOKEN, {"username": "alice@warga.id", "password": "salah"}, format="json")
    assert client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_an_attacker_behind_the_proxy_cannot_lock_out_the_operator(client, operator, behind_proxy):
    enrol(operator)
    attacker = APIClient()
    for attempt in range(50):
        attacker.post(
            TOKEN,
            {"username": "operator@kominfo.go.id", "password": f"tebak-{attempt}"},
            format="json",
            **via_proxy("203.0.113.66"),
        )
    assert (
        attacker.post(
            TOKEN,
            {"username": "operator@kominfo.go.id", "password": PASSWORD},
            format="json",
            **via_proxy("203.0.113.66"),
        ).status_code
        == 429
    )
    # The operator, at their own address, through the same proxy: in on the web (on to the code
    # step) and the API.
    r = client.post(WEB, {"username": "operator@kominfo.go.id", "password": PASSWORD}, **via_proxy("198.51.100.7"))
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/kode/"
    r = APIClient().post(
        TOKEN,
        {"username": "operator@kominfo.go.id", "password": PASSWORD, "otp": totp_code(operator)},
        format="json",
        **via_proxy("198.51.100.7"),
    )
    assert r.status_code == 200 and r.json()["token"]


@pytest.mark.django_db
def test_spraying_many_accounts_locks_that_address_only(client, citizen, behind_proxy, settings):
    settings.LOGIN_LOCKOUT_IP_ATTEMPTS = 10
    for n in range(10):
        client.post(WEB, {"username": f"warga{n}@contoh.id", "password": "salah"}, **via_proxy("203.0.113.66"))
    r = client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}, **via_proxy("203.0.113.66"))
    assert r.status_code == 429
    r = client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}, **via_proxy("198.51.100.7"))
    assert r.status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(client, citizen, settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    for n in range(3):
        client.post(WEB, {"username": "alice@warga.id", "password": "salah"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    # A fresh forged "address" does not escape the lock on the real one.
    r = client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert r.status_code == 429


@pytest.mark.django_db
def test_behind_the_proxy_only_the_hop_it_wrote_counts(client, citizen, behind_proxy, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    for n in range(3):
        client.post(
            WEB, {"username": "alice@warga.id", "password": "salah"}, **via_proxy("203.0.113.66", f"10.0.0.{n}")
        )
    r = client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}, **via_proxy("203.0.113.66", "10.0.0.99"))
    assert r.status_code == 429


@pytest.mark.django_db
def test_password_reset_requests_are_under_the_same_lock(client, citizen, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    for _ in range(3):
        assert client.post(RESET, {"email": "alice@warga.id"}).status_code == 302
    assert len(mail.outbox) == 3
    r = client.post(RESET, {"email": "alice@warga.id"})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.content.decode()
    assert len(mail.outbox) == 3  # no fourth email
    # The reset requests count with the login failures: the login from this address is locked too.
    assert client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}).status_code == 429
    # From another address the owner can still ask for a link.
    assert client.post(RESET, {"email": "alice@warga.id"}, REMOTE_ADDR="10.9.8.7").status_code == 302
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_a_locked_login_refuses_the_reset_link_too(client, citizen, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    for attempt in range(3):
        client.post(WEB, {"username": "alice@warga.id", "password": f"salah-{attempt}"})
    assert client.post(RESET, {"email": "alice@warga.id"}).status_code == 429
    assert mail.outbox == []


@pytest.mark.django_db
def test_each_further_lock_lasts_twice_as_long_and_a_right_login_clears_the_back_off(client, citizen, settings):
    """Growing back-off per account+address: 60 s, then 120 s, then 240 s, capped at the maximum;
    the web's 429 says how long in Retry-After. The owner's right login resets it."""
    import time_machine

    settings.LOGIN_LOCKOUT_ATTEMPTS = 2
    settings.LOGIN_LOCKOUT_SECONDS = 60
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 200

    def fail_until_locked():
        client.post(WEB, {"username": "alice@warga.id", "password": "salah"})
        r = client.post(WEB, {"username": "alice@warga.id", "password": "salah"})
        assert r.status_code == 429
        return int(r["Retry-After"])

    with time_machine.travel("2026-12-07 09:00:00+08:00", tick=False) as clock:
        assert fail_until_locked() == 60
        clock.shift(61)
        assert fail_until_locked() == 120
        clock.shift(60)  # half-way through the second lock: still locked, even the right password
        r = client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD})
        assert r.status_code == 429 and int(r["Retry-After"]) == 60
        clock.shift(61)
        assert fail_until_locked() == 200  # 240 s capped at LOGIN_LOCKOUT_MAX_SECONDS
        clock.shift(201)
        # The owner signs in: the back-off starts again from the first step.
        assert client.post(WEB, {"username": "alice@warga.id", "password": PASSWORD}).status_code == 302
        client.logout()
        assert fail_until_locked() == 60
