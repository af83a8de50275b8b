"""The second factor for staff who can see identities (docs/product.md §8, §9): the web login, the
Django admin and the API token ask operators, auditors and superadmins for a TOTP code; a used code
is refused; a backup code works once; a staff member without a device reaches only enrolment; a
lost device is reset on the server."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import second_factor
from accounts.models import ApiToken
from tests.conftest import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

PASSWORD = "rahasia-sekali-123"
LOGIN = "/akun/masuk/"
CODE = "/akun/masuk/kode/"
ENROL = "/akun/dua-langkah/"
TOKEN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def no_device_throttle(settings):
    """django-otp also slows down a device after a wrong code (1 s, 2 s, 4 s…); tests that type a
    right code straight after a wrong one turn that off to see the login's own rules."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def password_step(client, user, **extra):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, "next": "/petugas/"}, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


# Who ------------------------------------------------------------------------------------------
def test_identity_roles_and_admin_users_need_it_other_staff_and_citizens_do_not(
    operator, auditor, superadmin, liaison_pu, head_pu, citizen
):
    for user in (operator, auditor, superadmin):
        assert second_factor.needs_second_factor(user), user
    for user in (liaison_pu, head_pu, citizen):
        assert not second_factor.needs_second_factor(user), user


# Web login --------------------------------------------------------------------------------------
def test_web_login_of_enrolled_staff_needs_the_code(client, operator):
    second_factor.enrol(operator)
    response = password_step(client, operator)
    assert response.status_code == 302 and response["Location"] == CODE
    # The password alone signs nobody in: staff pages still ask for a login.
    assert not signed_in(client)
    assert client.get("/petugas/")["Location"].startswith("/akun/masuk/")
    page = client.get(CODE)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(CODE, {"code": totp_code(operator)})
    assert response.status_code == 302 and response["Location"] == "/petugas/"
    assert signed_in(client)
    assert client.get("/petugas/").status_code == 200


def test_citizen_and_liaison_log_in_with_the_password_alone(client, citizen, liaison_pu):
    # Each lands where their day starts: the citizen on the account page, the liaison at work.
    for user, lands in ((citizen, "/akun/"), (liaison_pu, "/petugas/ruang-kerja/")):
        c = Client()
        response = c.post(LOGIN, {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == lands
        assert signed_in(c)
        assert c.get(LOGIN)["Location"] == lands  # signed in already: the same place


def test_staff_land_on_their_work_list_unless_they_asked_for_a_page(client, operator, liaison_pu, auditor):
    """A sign-in without `next` leads staff to their queue, inbox or audit; a `next` wins."""
    second_factor.enrol(auditor)
    for user, work in ((liaison_pu, "/opd/"), (auditor, "/audit/")):
        c = Client()
        first = c.post(LOGIN, {"username": user.email, "password": PASSWORD})
        if first["Location"] == CODE:
            first = c.post(CODE, {"code": totp_code(user)})
        assert first["Location"] == "/petugas/ruang-kerja/"
        assert c.get(first["Location"])["Location"] == work
    c = Client()
    asked = c.post(f"{LOGIN}?next=/statistik/", {"username": liaison_pu.email, "password": PASSWORD})
    assert asked["Location"] == "/statistik/"


def test_wrong_code_is_refused_and_counts_toward_the_lock(client, operator, settings, no_device_throttle):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    second_factor.enrol(operator)
    password_step(client, operator)
    right = totp_code(operator)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 400 and "salah" in response.content.decode()
    assert not signed_in(client)
    # The password again (right: it does not clear the count), then a second wrong code.
    password_step(client, operator)
    assert client.post(CODE, {"code": wrong}).status_code == 400
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 429 and "Terlalu banyak percobaan" in response.content.decode()
    # Locked: neither the right code nor the right password gets in from this address.
    assert client.post(CODE, {"code": right})["Location"] == LOGIN
    assert password_step(client, operator).status_code == 429
    assert not signed_in(client)
    # The owner at another address is not locked out.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert password_step(other, operator, REMOTE_ADDR="10.9.8.7")["Location"] == CODE
    assert other.post(CODE, {"code": right}, REMOTE_ADDR="10.9.8.7")["Location"] == "/petugas/"


def test_a_used_code_is_refused(client, operator):
    second_factor.enrol(operator)
    code = totp_code(operator)
    password_step(client, operator)
    assert client.post(CODE, {"code": code})["Location"] == "/petugas/"
    # The same code again, in another browser with the right password: refused.
    other = Client()
    password_step(other, operator)
    response = other.post(CODE, {"code": code})
    assert response.status_code == 400 and "sudah dipakai" in response.content.decode()
    assert not signed_in(other)


def test_a_backup_code_works_once(client, operator):
    second_factor.enrol(operator)
    device = StaticDevice.objects.get(user=operator)
    codes = list(StaticToken.objects.filter(device=device).values_list("token", flat=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    password_step(client, operator)
    assert client.post(CODE, {"code": codes[0]})["Location"] == "/petugas/"
    assert device.token_set.count() == 9
    other = Client()
    password_step(other, operator)
    assert other.post(CODE, {"code": codes[0]}).status_code == 400
    assert not signed_in(other)


def test_the_code_step_without_the_password_step_leads_back_to_login(client, operator):
    second_factor.enrol(operator)
    response = client.post(CODE, {"code": totp_code(operator)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not signed_in(client)


def test_the_password_step_expires(client, operator, settings):
    second_factor.enrol(operator)
    password_step(client, operator)
    settings.SECOND_FACTOR_PENDING_SECONDS = -1
    assert client.post(CODE, {"code": totp_code(operator)})["Location"] == LOGIN
    assert not signed_in(client)


# Enrolment --------------------------------------------------------------------------------------
def _secret_on(page):
    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert match, "no secret shown"
    return match.group(1)


def _code_for(secret, offset=0):
    import time

    generator = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    generator.time = time.time() + offset * 30
    return f"{generator.token():06d}"


def test_staff_without_a_device_reach_only_enrolment(client, operator, no_device_throttle):
    response = password_step(client, operator)
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    assert signed_in(client)
    for url in ("/petugas/", "/akun/", "/akun/profil/", "/audit/", "/"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked["Location"].startswith(ENROL), url
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["detail"]
    assert client.post("/api/v1/complaints/LPR-AAAA-BBBB/verify/", {}).status_code == 403
    page = client.get(ENROL)
    assert page.status_code == 200
    html = page.content.decode()
    # The QR code is an inline SVG (no script, no external image: the CSP allows neither).
    assert "<svg" in html and "<script>" not in html
    secret = _secret_on(html)
    # A wrong code does not enrol.
    wrong = f"{(int(_code_for(secret)) + 1) % 1000000:06d}"
    assert client.post(ENROL, {"code": wrong}).status_code == 400
    assert not TOTPDevice.objects.filter(user=operator, confirmed=True).exists()
    done = client.post(ENROL, {"code": _code_for(secret), "next": "/petugas/"})
    assert done.status_code == 200
    backup = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(backup) == 10
    assert set(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True)) == set(backup)
    assert client.get("/petugas/").status_code == 200
    # The backup codes are shown once: the page now only says the second factor is active.
    again = client.get(ENROL).content.decode()
    assert not any(code in again for code in backup) and "<svg" not in again
    # The next sign-in asks for the new device's code.
    fresh = Client()
    assert password_step(fresh, operator)["Location"] == CODE
    assert fresh.post(CODE, {"code": _code_for(secret, offset=1)})["Location"] == "/petugas/"


def test_staff_at_enrolment_can_switch_the_language(client, operator):
    """The enrolment page's header links to the other language: that link is open before the
    second factor, as the language switch it replaced was."""
    password_step(client, operator)
    page = client.get(ENROL).content.decode()
    assert f'href="/bahasa/en/?next={ENROL}"' in page
    switched = client.get(f"/bahasa/en/?next={ENROL}")
    assert switched.status_code == 302 and switched["Location"] == ENROL
    assert switched.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get(ENROL).content.decode()


def test_an_old_password_only_session_of_enrolled_staff_must_give_the_code(operator):
    """A staff session from before the second factor (or one whose device was replaced) is not
    verified: it is sent to give a code before anything else."""
    second_factor.enrol(operator)
    client = Client()
    client.force_login(operator)  # this test opts out of the conftest's marking
    response = client.get("/petugas/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    page = client.get(ENROL).content.decode()
    assert "<svg" not in page  # no new secret for an enrolled account
    response = client.post(ENROL, {"code": totp_code(operator), "next": "/petugas/"})
    assert response.status_code == 302 and response["Location"] == "/petugas/"
    assert client.get("/petugas/").status_code == 200


def test_citizens_are_not_sent_to_enrolment(client, citizen):
    client.post(LOGIN, {"username": citizen.email, "password": PASSWORD})
    assert client.get("/akun/").status_code == 200
    assert client.get(ENROL)["Location"] == "/akun/"
    assert not TOTPDevice.objects.filter(user=citizen).exists()


# Django admin -----------------------------------------------------------------------------------
def admin_login(client, user, password=PASSWORD, otp="", **extra):
    form = {"username": user.email, "password": password, "otp_token": otp, "next": "/admin/"}
    return client.post(ADMIN_LOGIN, form, **extra)


@pytest.fixture
def root(superadmin):
    superadmin.set_password(PASSWORD)
    superadmin.save()
    second_factor.enrol(superadmin)
    return superadmin


def test_admin_login_needs_the_code(client, root):
    page = client.get(ADMIN_LOGIN).content.decode()
    assert 'name="otp_token"' in page
    response = admin_login(client, root)
    assert response.status_code == 200 and not signed_in(client)
    assert client.get("/admin/accounts/user/")["Location"].startswith(ADMIN_LOGIN)
    response = admin_login(client, root, otp=totp_code(root))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/accounts/user/").status_code == 200


def test_admin_refuses_a_used_code_and_a_staff_without_a_device(client, root, operator):
    code = totp_code(root)
    assert admin_login(client, root, otp=code).status_code == 302
    other = Client()
    response = admin_login(other, root, otp=code)
    assert response.status_code == 200 and "sudah dipakai" in response.content.decode()
    assert other.get("/admin/accounts/user/")["Location"].startswith(ADMIN_LOGIN)
    # An admin user who never enrolled is told to enrol on the site, and stays out.
    operator.is_staff = True
    operator.is_superuser = True
    operator.save()
    response = admin_login(Client(), operator, otp="123456")
    assert response.status_code == 200 and "belum memasang autentikasi dua langkah" in response.content.decode()


def test_a_password_only_session_does_not_open_the_admin(root):
    client = Client()
    client.force_login(root)  # not verified: this test opts out of the conftest's marking
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302


def test_admin_wrong_codes_are_under_the_login_lock(client, root, settings, no_device_throttle):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    right = totp_code(root)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _attempt in range(2):
        response = admin_login(client, root, otp=wrong)
        assert "Terlalu banyak percobaan" not in response.content.decode()
    assert "Terlalu banyak percobaan" in admin_login(client, root, otp=wrong).content.decode()
    # Locked: the right password and code are refused from here, and the web login is locked too.
    assert "Terlalu banyak percobaan" in admin_login(client, root, otp=right).content.decode()
    assert client.get("/admin/accounts/user/").status_code == 302
    assert Client().post(LOGIN, {"username": root.email, "password": PASSWORD}).status_code == 429
    # The owner elsewhere gets in.
    other = Client()
    assert admin_login(other, root, otp=right, REMOTE_ADDR="10.9.8.7").status_code == 302


# API token --------------------------------------------------------------------------------------
def token(user, otp=None, **extra):
    body = {"username": user.email, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return APIClient().post(TOKEN, body, format="json", **extra)


def test_api_token_for_staff_needs_a_device_and_the_code(operator, no_device_throttle):
    response = token(operator, "123456")
    assert response.status_code == 400 and response.json()["detail"] and "otp" in response.json()
    second_factor.enrol(operator)
    for otp in (None, "", "000000" if totp_code(operator) != "000000" else "111111"):
        response = token(operator, otp)
        assert response.status_code == 400, otp
        assert response.json()["detail"], otp
    assert not ApiToken.objects.filter(user=operator).exists()
    code = totp_code(operator)
    response = token(operator, code)
    assert response.status_code == 200 and response.json()["token"]
    # Replayed: refused.
    response = token(operator, code)
    assert response.status_code == 400 and response.json()["detail"]
    assert ApiToken.objects.filter(user=operator).count() == 1


def test_api_token_for_citizens_and_liaisons_needs_no_code(citizen, liaison_pu):
    for user in (citizen, liaison_pu):
        response = token(user)
        assert response.status_code == 200 and response.json()["token"]


def test_api_wrong_codes_count_and_the_password_alone_does_not_clear_them(operator, settings, no_device_throttle):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    second_factor.enrol(operator)
    right = totp_code(operator)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    assert token(operator, wrong).status_code == 400
    assert token(operator, wrong).status_code == 400
    # A right password with no code clears nothing: the next wrong code locks.
    assert token(operator, "").status_code == 400
    response = token(operator, wrong)
    assert response.status_code == 429 and response["Retry-After"]
    assert token(operator, right).status_code == 429
    assert token(operator, right, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_a_token_session_is_not_blocked_by_the_enrolment_gate(operator, client_for):
    """An API token is issued only after the code, so a request carrying one is left to the API."""
    second_factor.enrol(operator)
    raw = token(operator, totp_code(operator)).json()["token"]
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.status_code == 200


# Lost device ------------------------------------------------------------------------------------
def test_reset_second_factor_removes_the_devices_and_ends_the_sessions(client, operator):
    second_factor.enrol(operator)
    password_step(client, operator)
    client.post(CODE, {"code": totp_code(operator)})
    assert client.get("/petugas/").status_code == 200
    raw = token(operator, totp_code(operator, offset=1)).json()["token"]
    out = StringIO()
    call_command("reset_second_factor", operator.email.upper(), stdout=out)
    assert f"user #{operator.pk}" in out.getvalue() and operator.email not in out.getvalue()
    assert not TOTPDevice.objects.filter(user=operator).exists()
    assert not StaticDevice.objects.filter(user=operator).exists()
    # The old session and token are gone; the next sign-in leads to enrolment.
    assert client.get("/petugas/")["Location"].startswith("/akun/masuk/")
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401
    assert password_step(Client(), operator)["Location"].startswith(ENROL)
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "tidak-ada@pemda.go.id")


def test_totp_code_prints_the_current_code_only_with_debug(operator, settings):
    second_factor.enrol(operator)
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("totp_code", operator.email)
    settings.DEBUG = True
    out = StringIO()
    call_command("totp_code", operator.email, stdout=out)
    assert out.getvalue().strip() in {totp_code(operator, offset) for offset in (0, 1)}
