"""Sessions and API tokens of an account: a password change or reset revokes every token and
session; "sign out everywhere" ends them all; moving the email or phone takes the password."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.auth import issue_token
from accounts.models import ApiToken, User
from tests.conftest import profile_form

pytestmark = pytest.mark.django_db

PASSWORD = "rahasia-sekali-123"
NEW_PASSWORD = "kata-sandi-baru-yang-panjang-2027"
ME = "/api/v1/me/"


def token_client(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return api


def logged_in(user):
    """A browser with its own session of `user` (a stolen cookie works the same)."""
    browser = Client()
    browser.force_login(user)
    assert browser.get("/akun/profil/").status_code == 200
    return browser


def is_logged_out(browser):
    response = browser.get("/akun/profil/")
    return response.status_code == 302 and response["Location"].startswith("/akun/masuk/")


# Password reset and change ---------------------------------------------------------------------
def test_token_issued_before_a_password_reset_is_refused_after_it(citizen):
    api = token_client(citizen)
    assert api.get(ME).status_code == 200
    victim_browser = logged_in(citizen)

    reset = Client()
    assert reset.post("/akun/lupa-sandi/", {"email": "alice@warga.id"}).status_code == 302
    link = re.search(r"/akun/lupa-sandi/[^/\s]+/[^/\s]+/", mail.outbox[0].body).group(0)
    form_url = reset.get(link)["Location"]
    response = reset.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/akun/lupa-sandi/selesai/"

    assert api.get(ME).status_code == 401
    assert not ApiToken.objects.filter(user=citizen).exists()
    assert is_logged_out(victim_browser)
    # A token issued after the reset works and keeps the usual lifetime.
    fresh = token_client(User.objects.get(pk=citizen.pk))
    assert fresh.get(ME).status_code == 200


def test_own_password_change_keeps_this_session_and_ends_the_others(citizen):
    api = token_client(citizen)
    other_device = logged_in(citizen)
    this_browser = logged_in(citizen)
    response = this_browser.post(
        "/akun/profil/sandi/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/akun/profil/"
    assert User.objects.get(pk=citizen.pk).check_password(NEW_PASSWORD)
    assert this_browser.get("/akun/profil/").status_code == 200
    assert is_logged_out(other_device)
    assert api.get(ME).status_code == 401


def test_own_password_change_needs_the_old_password(citizen):
    browser = logged_in(citizen)
    api = token_client(citizen)
    response = browser.post(
        "/akun/profil/sandi/",
        {"old_password": "tebakan-salah", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert User.objects.get(pk=citizen.pk).check_password(PASSWORD)
    assert api.get(ME).status_code == 200


def test_admin_password_change_of_a_user_revokes_their_tokens_and_sessions(citizen, superadmin):
    api = token_client(citizen)
    victim_browser = logged_in(citizen)
    admin = Client()
    admin.force_login(superadmin)
    response = admin.post(
        f"/admin/accounts/user/{citizen.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=citizen.pk).check_password(NEW_PASSWORD)
    assert api.get(ME).status_code == 401
    assert is_logged_out(victim_browser)


def test_a_password_hash_upgrade_at_login_revokes_nothing(citizen, settings):
    # Logging in with a password stored under an older hasher rewrites the hash; that is no change.
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    User.objects.filter(pk=citizen.pk).update(password=make_password(PASSWORD, hasher="md5"))
    api = token_client(citizen)
    browser = Client()
    assert browser.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}).status_code == 302
    assert User.objects.get(pk=citizen.pk).password.startswith("pbkdf2_sha256$")
    assert api.get(ME).status_code == 200


# Sign out everywhere ------------------------------------------------------------------------------
def test_stolen_session_cookie_is_refused_after_signing_out_everywhere(citizen):
    victim = logged_in(citizen)
    thief = Client()
    thief.cookies = victim.cookies.__class__(victim.cookies)  # the copied session cookie
    assert thief.get("/akun/profil/").status_code == 200
    api = token_client(citizen)

    assert "Keluar dari semua perangkat" in victim.get("/akun/profil/").content.decode()
    response = victim.post("/akun/keluar-semua/")
    assert response.status_code == 302 and response["Location"] == "/akun/masuk/"
    assert is_logged_out(thief)
    assert is_logged_out(victim)
    assert api.get(ME).status_code == 401
    # The owner logs in again as usual.
    again = Client()
    assert again.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}).status_code == 302
    assert again.get("/akun/profil/").status_code == 200


def test_sign_out_everywhere_is_a_post(citizen):
    browser = logged_in(citizen)
    assert browser.get("/akun/keluar-semua/").status_code == 405
    assert browser.get("/akun/profil/").status_code == 200


def test_api_logout_all_revokes_every_token_and_session(citizen, other_citizen):
    phone_app, laptop_app = token_client(citizen), token_client(citizen)
    browser = logged_in(citizen)
    bystander = token_client(other_citizen)
    assert phone_app.post("/api/v1/auth/logout-all/").status_code == 204
    assert phone_app.get(ME).status_code == 401
    assert laptop_app.get(ME).status_code == 401
    assert is_logged_out(browser)
    assert bystander.get(ME).status_code == 200
    assert APIClient().post("/api/v1/auth/logout-all/").status_code == 401


def test_logout_all_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/auth/logout-all/" in schema.json()["paths"]


# Email and phone changes take the password --------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"email": "pencuri@jahat.id"},
        {"email": "pencuri@jahat.id", "current_password": "tebakan-salah"},
        {"phone": "0813 9999 0000"},
    ],
)
def test_email_or_phone_change_without_the_password_is_refused(citizen, change):
    thief = logged_in(citizen)
    response = thief.post("/akun/profil/", profile_form(**change))
    assert response.status_code == 400
    assert "kata sandi Anda saat ini" in response.content.decode()
    user = User.objects.get(pk=citizen.pk)
    assert (user.email, user.phone, user.email_verified) == ("alice@warga.id", "+628529860111", True)


def test_other_profile_fields_change_without_the_password(citizen):
    browser = logged_in(citizen)
    response = browser.post("/akun/profil/", profile_form(display_name="Ali"))
    assert response.status_code == 302
    assert User.objects.get(pk=citizen.pk).display_name == "Ali"


def test_new_phone_with_the_password_still_waits_for_its_code(citizen, sms_outbox):
    browser = logged_in(citizen)
    response = browser.post("/akun/profil/", profile_form(phone="0813 9999 0000", current_password=PASSWORD))
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/telepon/"
    user = User.objects.get(pk=citizen.pk)
    assert (user.phone, user.phone_verified) == ("+6281399990000", False)


def test_admin_taking_the_password_away_revokes_the_tokens(citizen, superadmin):
    api = token_client(citizen)
    admin = Client()
    admin.force_login(superadmin)
    response = admin.post(
        f"/admin/accounts/user/{citizen.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(pk=citizen.pk).has_usable_password()
    assert api.get(ME).status_code == 401


def test_a_stolen_session_cannot_guess_the_password_through_the_account_pages(citizen, settings):
    """The password typed again on the profile, the password change and the account deletion is
    under the login lock: after LOGIN_LOCKOUT_ATTEMPTS wrong guesses even the right password is
    refused there, and on the login page from the same address."""
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    thief = logged_in(citizen)
    guesses = [
        ("/akun/profil/", profile_form(email="pencuri@jahat.id", current_password="tebakan-1")),
        (
            "/akun/profil/sandi/",
            {"old_password": "tebakan-2", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
        ("/akun/hapus/", {"password": "tebakan-3", "confirm": "on"}),
    ]
    for url, data in guesses:
        assert thief.post(url, data).status_code == 400, url
    response = thief.post("/akun/profil/", profile_form(email="pencuri@jahat.id", current_password=PASSWORD))
    assert response.status_code == 400
    assert "Terlalu banyak percobaan" in response.content.decode()
    response = thief.post(
        "/akun/profil/sandi/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 400 and "Terlalu banyak percobaan" in response.content.decode()
    user = User.objects.get(pk=citizen.pk)
    assert user.email == "alice@warga.id" and user.check_password(PASSWORD) and user.erased_at is None
    assert Client().post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}).status_code != 302
