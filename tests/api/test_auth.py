"""Registration, tokens (expiring, hashed, revocable), profile, email verification, throttles."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import ApiToken, OneTimeCode, User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"


def register_payload(**extra):
    return {
        "email": "Siti@Contoh.id",
        "password": "kata-sandi-panjang-2026",
        "full_name": "Siti Aminah",
        "phone": "0852 1234 5678",
        "consent": True,
        **extra,
    }


def test_register_creates_an_unverified_account_and_sends_a_code(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(REGISTER, register_payload(consent=True, nik="7371011234567890"), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["email"] == "siti@contoh.id"
    assert body["phone"] == "+6285212345678"
    assert body["email_verified"] is False
    assert body["privacy_consent_at"] is not None
    assert "token" not in body and "password" not in body
    user = User.objects.get(email="siti@contoh.id")
    assert user.check_password("kata-sandi-panjang-2026") and user.nik == "7371011234567890"
    assert OneTimeCode.objects.filter(user=user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["siti@contoh.id"]


def test_register_without_consent_is_400_and_creates_nothing(api):
    payload = register_payload()
    del payload["consent"]
    r = api.post(REGISTER, payload, format="json")
    assert r.status_code == 400
    assert r.json()["detail"] and r.json()["consent"]
    assert not User.objects.filter(email="siti@contoh.id").exists()


def test_register_records_the_same_consent_as_the_web_form(api, client):
    before = timezone.now()
    assert api.post(REGISTER, register_payload(), format="json").status_code == 201
    assert User.objects.get(email="siti@contoh.id").privacy_consent_at >= before
    web = {
        "email": "web@contoh.id",
        "full_name": "Web",
        "phone": "0852 1234 0000",
        "password1": "kata-sandi-panjang-2026",
        "password2": "kata-sandi-panjang-2026",
        "consent": "on",
    }
    assert client.post("/akun/daftar/", web).status_code == 302
    assert User.objects.get(email="web@contoh.id").privacy_consent_at >= before


def test_register_refused_consent_is_400(api):
    r = api.post(REGISTER, register_payload(consent=False), format="json")
    assert r.status_code == 400
    assert "consent" in r.json() and r.json()["detail"]
    assert not User.objects.filter(email="siti@contoh.id").exists()


# field → a value of it that registration refuses
REGISTER_REFUSED = {
    "email": "bukan-email",
    "password": "123",
    "phone": "12",
    "nik": "123",
    "full_name": "",
}


@pytest.mark.parametrize("field", REGISTER_REFUSED)
def test_register_field_errors(api, field):
    r = api.post(REGISTER, register_payload(**{field: REGISTER_REFUSED[field]}), format="json")
    assert r.status_code == 400
    assert field in r.json() and r.json()["detail"]


def test_register_taken_email_is_refused_a_taken_phone_is_not_said(api, citizen):
    r = api.post(REGISTER, register_payload(email="ALICE@warga.id", phone="+62 852 9860 111"), format="json")
    assert r.status_code == 400
    assert "email" in r.json() and "phone" not in r.json()


def test_register_phone_of_an_sms_account_gets_the_answer_of_any_number(api, django_capture_on_commit_callbacks):
    User.objects.create_user(
        email="sms-6285212345678@sms.invalid", phone="+6285212345678", sms_only=True, phone_verified=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(REGISTER, register_payload(), format="json")
    assert r.status_code == 201
    assert (r.json()["phone"], r.json()["phone_verified"]) == ("+6285212345678", False)


def test_token_then_authorized_calls(api, citizen):
    r = api.post(TOKEN, {"username": "alice@warga.id", "password": "rahasia-sekali-123"}, format="json")
    assert r.status_code == 200
    raw = r.json()["token"]
    assert r.json()["expires_at"]
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key=raw).exists()
    assert ApiToken.objects.filter(user=citizen).count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@warga.id"
    assert me.json()["roles"] == []


def test_token_form_encoded_works_too(api, citizen):
    r = api.post(TOKEN, {"username": "alice@warga.id", "password": "rahasia-sekali-123"})
    assert r.status_code == 200 and r.json()["token"]


def test_wrong_password_is_400_with_detail(api, citizen):
    r = api.post(TOKEN, {"username": "alice@warga.id", "password": "salah"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"detail": "Email atau kata sandi salah."}


def test_repeated_failures_lock_the_account_from_that_address(api, citizen, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    for _i in range(3):
        api.post(TOKEN, {"username": "alice@warga.id", "password": "salah"}, format="json")
    r = api.post(TOKEN, {"username": "alice@warga.id", "password": "rahasia-sekali-123"}, format="json")
    assert r.status_code == 429 and r["Retry-After"]


def test_tokens_expire(api, citizen, client_for):
    client = client_for(citizen)
    assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        r = client.get("/api/v1/me/")
    assert r.status_code == 401
    assert "kedaluwarsa" in r.json()["detail"].lower()


def test_inactive_user_token_refused(citizen, client_for):
    client = client_for(citizen)
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    assert client.get("/api/v1/me/").status_code == 401


def test_delete_token_revokes_it(citizen, client_for):
    client = client_for(citizen)
    assert client.delete(TOKEN).status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=citizen).exists()


def test_a_stale_token_does_not_block_a_new_login(api, citizen):
    api.credentials(HTTP_AUTHORIZATION="Token 0000")
    r = api.post(TOKEN, {"username": "alice@warga.id", "password": "rahasia-sekali-123"}, format="json")
    assert r.status_code == 200


def test_me_requires_a_token(api):
    r = api.get("/api/v1/me/")
    assert r.status_code == 401 and r.json()["detail"]


def test_me_lists_roles(operator, client_for):
    body = client_for(operator).get("/api/v1/me/").json()
    assert body["roles"] == [{"role": "operator", "agency": "diskominfo"}]


def test_verify_email_with_the_code(api, django_capture_on_commit_callbacks, client_for):
    from accounts import verification

    api.post(REGISTER, register_payload(), format="json")
    user = User.objects.get(email="siti@contoh.id")
    code = verification.send_email_verification(user)
    client = client_for(user)
    bad = client.post("/api/v1/auth/verify-email/", {"code": "000000" if code != "000000" else "111111"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    ok = client.post("/api/v1/auth/verify-email/", {"code": code}, format="json")
    assert ok.status_code == 200 and ok.json()["email_verified"] is True


def test_resend_verification_waits_between_codes(api, client_for):
    api.post(REGISTER, register_payload(), format="json")
    client = client_for(User.objects.get(email="siti@contoh.id"))
    assert client.post("/api/v1/auth/verify-email/resend/").status_code == 429  # the registration just sent one
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert client.post("/api/v1/auth/verify-email/resend/").status_code == 202


def test_token_endpoint_is_throttled(api, citizen, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_token": "3/min"},
    }
    codes = [api.post(TOKEN, {"username": "x@y.id", "password": "salah"}, format="json").status_code for _i in range(4)]
    assert codes == [400, 400, 400, 429]


def test_register_is_throttled(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_register": "1/hour"},
    }
    assert api.post(REGISTER, register_payload(), format="json").status_code == 201
    r = api.post(REGISTER, register_payload(email="lain@contoh.id", phone="0852 1234 9999"), format="json")
    assert r.status_code == 429 and r.json()["detail"]


def test_anonymous_and_user_rates(api, citizen, client_for, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
            "user": "3/min",
        },
    }
    assert [api.get("/api/v1/categories/").status_code for _i in range(3)] == [200, 200, 429]
    client = client_for(citizen)
    assert [client.get("/api/v1/categories/").status_code for _i in range(4)] == [200, 200, 200, 429]


def test_forwarded_for_header_does_not_dodge_the_anonymous_rate(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"},
    }
    assert api.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 200
    assert api.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR="10.0.0.2").status_code == 429
