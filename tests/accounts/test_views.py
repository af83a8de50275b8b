"""Account pages: registration (consent, phone verification and SMS-account claim), email verification, login with the
brute-force lock, profile, password reset, data download and account erasure."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import OneTimeCode, User
from complaints import workflow
from complaints.models import Complaint, IdentityAccess, InboundSms, Notification
from tests.conftest import check_a_success_resets_the_count, fail_logins, profile_form

PASSWORD = "rahasia-sekali-123"
REGISTRATION = {
    "email": "Citra@Warga.id",
    "full_name": "Citra Lestari",
    "phone": "0812-3456-7890",
    "nik": "",
    "password1": "Kopi-Tubruk-2026",
    "password2": "Kopi-Tubruk-2026",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The login lock lives in the cache; LocMemCache is shared by every test of the process.
    from django.core.cache import cache

    cache.clear()


def code_from(message):
    return re.search(r"\b(\d{6})\b", message.body).group(1)


@pytest.fixture
def register(client, django_capture_on_commit_callbacks):
    def post(**changes):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/akun/daftar/", {**REGISTRATION, **changes})

    return post


# Registration ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_register_creates_account_records_consent_and_mails_a_code(client, register):
    response = register()
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/"
    user = User.objects.get(email="citra@warga.id")
    assert user.phone == "+6281234567890"
    assert user.privacy_consent_at is not None
    assert not user.email_verified
    assert user.check_password("Kopi-Tubruk-2026")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["citra@warga.id"]
    assert OneTimeCode.objects.filter(user=user, purpose="verify_email").count() == 1
    # Signed in straight away, on the verification page.
    assert client.get("/akun/verifikasi/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"consent": ""}, "consent", "menyetujui pemberitahuan privasi"),
        ({"email": ""}, "email", ""),
        ({"phone": "12345"}, "phone", "tidak valid"),
        ({"phone": "08abc"}, "phone", "hanya boleh berisi angka"),
        ({"nik": "12345"}, "nik", "16 digit"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", ""),
        ({"password2": "lain-lagi-2026"}, "password2", "tidak sama"),
        ({"full_name": ""}, "full_name", ""),
    ],
)
def test_register_refuses_bad_input_and_keeps_what_was_typed(register, changes, field, message):
    response = register(**changes)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert message in str(form.errors[field])
    assert not User.objects.filter(email="citra@warga.id").exists()
    assert response.context["form"]["full_name"].value() == changes.get("full_name", "Citra Lestari")
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_register_refuses_an_email_already_in_use_but_never_says_so_of_a_phone(register, citizen):
    response = register(email="ALICE@warga.id")
    assert response.status_code == 400 and "sudah terdaftar" in str(response.context["form"].errors["email"])
    # Another account's number: accepted like any other, stored unverified, the owner keeps it.
    response = register(phone="+62 852 9860 111")
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/"
    newcomer = User.objects.get(email="citra@warga.id")
    assert (newcomer.phone, newcomer.phone_verified) == ("+628529860111", False)
    assert User.objects.get(pk=citizen.pk).phone == "+628529860111"


@pytest.mark.django_db
def test_registering_the_phone_of_an_sms_account_claims_it_with_an_sms_code(
    client, register, sms_outbox, region, django_capture_on_commit_callbacks
):
    sms_user = User.objects.create_user(
        email="sms-6285211112222@sms.invalid", phone="085211112222", sms_only=True, phone_verified=True
    )
    report = workflow.file_complaint(
        reporter=sms_user, title="Lampu jalan mati", body="Lampu jalan mati seminggu.", channel="sms"
    )
    response = register(phone="+62 852 1111 2222")
    # The same answer as for any number: the account is made, the number waits for its code.
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/"
    user = User.objects.get(email="citra@warga.id")
    assert (user.phone, user.phone_verified) == ("+6285211112222", False)
    assert Complaint.objects.get(pk=report.pk).reporter_id == sms_user.pk  # nothing moved yet
    assert len(sms_outbox) == 1 and sms_outbox[0][0] == "+6285211112222"
    code = re.search(r"\b(\d{6})\b", sms_outbox[0][1]).group(1)
    assert client.get("/saya/").context["page"].paginator.count == 0

    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/akun/verifikasi/telepon/", {"code": wrong})
    assert response.status_code == 400 and "Kode salah" in str(response.context["form"].errors)
    assert OneTimeCode.objects.get(user=user, purpose="verify_phone").attempts == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/verifikasi/telepon/", {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified and user.check_password("Kopi-Tubruk-2026") and user.privacy_consent_at
    assert Complaint.objects.get(pk=report.pk).reporter_id == user.pk
    sms_user.refresh_from_db()
    assert not sms_user.is_active and sms_user.phone is None
    assert len(mail.outbox) == 1  # the email still needs its own verification
    assert client.get("/saya/").context["page"].paginator.count == 1


# Email verification --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_verify_email_with_the_mailed_code(client, register):
    register()
    code = code_from(mail.outbox[0])
    response = client.post("/akun/verifikasi/", {"code": code, "next": "/lapor/"})
    assert response.status_code == 302 and response["Location"] == "/lapor/"
    assert User.objects.get(email="citra@warga.id").email_verified
    assert client.get("/lapor/").status_code == 200


@pytest.mark.django_db
def test_wrong_codes_are_counted_and_locked_after_five(client, register):
    register()
    code = code_from(mail.outbox[0])
    wrong = "999999" if code != "999999" else "888888"
    for _ in range(5):
        response = client.post("/akun/verifikasi/", {"code": wrong})
        assert response.status_code == 400
    assert "Terlalu banyak percobaan" in str(response.context["form"].errors)
    response = client.post("/akun/verifikasi/", {"code": code})
    assert response.status_code == 400
    assert not User.objects.get(email="citra@warga.id").email_verified


@pytest.mark.django_db
def test_expired_code_is_refused(client, register):
    register()
    code = code_from(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post("/akun/verifikasi/", {"code": code})
    assert response.status_code == 400 and "kedaluwarsa" in str(response.context["form"].errors)


@pytest.mark.django_db
def test_resend_is_throttled_and_retires_the_old_code(client, register, django_capture_on_commit_callbacks):
    register()
    first = code_from(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/verifikasi/", {"resend": "1"})
    assert len(mail.outbox) == 1  # too soon
    with time_machine.travel(timezone.now() + timedelta(seconds=61)), django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/verifikasi/", {"resend": "1"})
    assert len(mail.outbox) == 2
    second = code_from(mail.outbox[1])
    if first != second:
        assert client.post("/akun/verifikasi/", {"code": first}).status_code == 400
    assert client.post("/akun/verifikasi/", {"code": second}).status_code == 302


@pytest.mark.django_db
def test_at_most_five_codes_a_day(client, register, django_capture_on_commit_callbacks):
    register()
    start = timezone.now()
    for minute in range(1, 8):
        with (
            time_machine.travel(start + timedelta(minutes=2 * minute)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post("/akun/verifikasi/", {"resend": "1"}, follow=True)
    assert len(mail.outbox) == 5
    assert "Coba lagi besok" in response.content.decode()
    with time_machine.travel(start + timedelta(days=1, minutes=1)), django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/verifikasi/", {"resend": "1"})
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_unverified_user_cannot_file(client, register):
    register()
    response = client.get("/lapor/")
    assert response.status_code == 302 and response["Location"].startswith("/akun/verifikasi/")


# Login and brute force ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_login_and_logout(client, citizen):
    response = client.post("/akun/masuk/", {"username": "ALICE@warga.id", "password": PASSWORD, "next": "/saya/"})
    assert response.status_code == 302 and response["Location"] == "/saya/"
    assert client.get("/akun/").status_code == 200
    assert client.post("/akun/keluar/").status_code == 302
    assert client.get("/akun/").status_code == 302


@pytest.mark.django_db
def test_login_refuses_an_outside_next(client, citizen):
    response = client.post(
        "/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/akun/"


@pytest.mark.django_db
def test_staff_log_in_the_same_way(client, operator):
    response = client.post("/akun/masuk/", {"username": "operator@kominfo.go.id", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_a_clear_error(client, citizen):
    response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": "salah"})
    assert response.status_code == 400
    assert "Email atau kata sandi salah" in response.content.decode()


@pytest.mark.django_db
def test_five_failures_lock_the_account_from_that_address_for_fifteen_minutes(client, citizen, settings):
    assert settings.LOGIN_LOCKOUT_ATTEMPTS == 5 and settings.LOGIN_LOCKOUT_SECONDS == 900
    response = fail_logins(client, 5)
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()
    # Even the right password is refused while locked.
    response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD})
    assert response.status_code == 429 and "15 menit" in response.content.decode()
    # The owner from another address is not locked out.
    other = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    client.post("/akun/keluar/")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD})
        assert response.status_code == 302


@pytest.mark.django_db
def test_success_resets_the_count(client, citizen):
    check_a_success_resets_the_count(client, failures=4)


@pytest.mark.django_db
def test_lockout_is_configurable(client, citizen, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 2
    settings.LOGIN_LOCKOUT_SECONDS = 60
    client.post("/akun/masuk/", {"username": "alice@warga.id", "password": "x1"})
    response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": "x2"})
    assert response.status_code == 429 and "1 menit" in response.content.decode()


@pytest.mark.django_db
def test_erased_accounts_cannot_log_in(client, citizen):
    from accounts.services import erase_account

    erase_account(citizen)
    response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": PASSWORD})
    assert response.status_code == 400


# Profile -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_profile_change_of_email_needs_verification_again(client, citizen, django_capture_on_commit_callbacks):
    client.force_login(citizen)
    data = profile_form(
        full_name="Alice R.",
        display_name="Ali",
        email="alice.baru@warga.id",
        phone="0852 9860 111",
        language="en",
        current_password=PASSWORD,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/profil/", data)
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/"
    citizen.refresh_from_db()
    assert citizen.email == "alice.baru@warga.id" and not citizen.email_verified
    assert citizen.display_name == "Ali" and citizen.preferred_language == "en"
    assert response.cookies["django_language"].value == "en"
    assert mail.outbox[0].to == ["alice.baru@warga.id"]


@pytest.mark.django_db
def test_profile_takes_a_phone_of_another_account_unverified_and_says_nothing(
    client, citizen, other_citizen, sms_outbox, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=other_citizen.pk).update(phone_verified=True)
    client.force_login(citizen)
    data = profile_form(full_name="Alice", display_name="", phone="0813-1111-2222", current_password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/profil/", data)
    # The same answer as for a fresh number; no code goes to a number another web account proved,
    # and that account keeps it.
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/telepon/"
    citizen.refresh_from_db()
    assert (citizen.phone, citizen.phone_verified) == ("+6281311112222", False)
    assert sms_outbox == []
    assert User.objects.get(pk=other_citizen.pk).phone == "+6281311112222"
    assert OneTimeCode.objects.filter(user=citizen, purpose="verify_phone").count() == 1


@pytest.mark.django_db
def test_profile_shows_only_my_own_details(client, citizen, other_citizen):
    client.force_login(citizen)
    body = client.get("/akun/profil/").content.decode()
    assert "alice@warga.id" in body and "bob@warga.id" not in body


# Password reset ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_password_reset_by_mail(client, citizen):
    response = client.post("/akun/lupa-sandi/", {"email": "alice@warga.id"})
    assert response.status_code == 302 and response["Location"] == "/akun/lupa-sandi/terkirim/"
    link = re.search(r"https?://[^/]+(/akun/lupa-sandi/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "Teh-Manis-2027", "new_password2": "Teh-Manis-2027"}
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password("Teh-Manis-2027")


@pytest.mark.django_db
def test_password_reset_does_not_say_whether_an_email_exists(client):
    response = client.post("/akun/lupa-sandi/", {"email": "tidak.ada@warga.id"})
    assert response.status_code == 302 and len(mail.outbox) == 0


# Personal data ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_data_download_holds_my_data_and_nobody_elses(client, citizen, other_citizen, file_report):
    mine = file_report(privacy="rahasia", title="Laporan milik Alice")
    file_report(reporter=other_citizen, title="Laporan milik Bob")
    client.force_login(citizen)
    response = client.get("/akun/data/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == "alice@warga.id" and data["account"]["phone"] == "+628529860111"
    assert [r["tracking_id"] for r in data["reports"]] == [mine.tracking_id]
    assert "Bob" not in response.content.decode()


@pytest.mark.django_db
def test_delete_account_erases_identity_and_keeps_reports(client, citizen, disposed_report, operator, region):
    report = disposed_report(privacy="umum")
    User.objects.filter(pk=citizen.pk).update(phone_verified=True)  # her number: its SMS log is hers
    InboundSms.objects.create(sender="+628529860111", text="LAPOR lampu mati")
    client.force_login(citizen)
    assert client.get("/akun/hapus/").status_code == 200
    assert client.post("/akun/hapus/", {"password": "salah", "confirm": "on"}).status_code == 400
    assert client.post("/akun/hapus/", {"password": PASSWORD}).status_code == 400
    response = client.post("/akun/hapus/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    user = User.objects.get(pk=citizen.pk)
    assert user.erased_at and not user.is_active
    assert user.full_name == "" and user.display_name == "" and user.phone is None and user.nik == ""
    assert "alice" not in user.email and not user.has_usable_password()
    assert not Notification.objects.filter(recipient=user).exists()
    assert not InboundSms.objects.filter(sender="+628529860111").exists()
    report.refresh_from_db()
    assert report.reporter_id == user.pk  # the report stays, without the identity
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200
    assert "Alice" not in page.content.decode()
    # Signed out everywhere: the account is inactive.
    assert client.get("/akun/").status_code == 302
    # Staff still see the report, and the identity log still works for them.
    assert IdentityAccess.objects.count() == 0


@pytest.mark.django_db
def test_staff_cannot_erase_their_own_account(client, operator):
    client.force_login(operator)
    response = client.post("/akun/hapus/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    operator.refresh_from_db()
    assert operator.is_active and operator.full_name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/akun/masuk/", "/akun/daftar/", "/akun/lupa-sandi/", "/akun/profil/", "/akun/", "/akun/hapus/"]
)
def test_account_pages_are_small(client, citizen, url):
    if url not in ("/akun/masuk/", "/akun/daftar/", "/akun/lupa-sandi/"):
        client.force_login(citizen)
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.content) < 100_000
    assert b'<html lang="id">' in response.content


@pytest.mark.django_db
def test_account_pages_speak_english(client):
    client.cookies["django_language"] = "en"
    body = client.get("/akun/daftar/").content.decode()
    assert '<html lang="en">' in body
    assert "Password" in body and "Kata sandi" not in body


@pytest.mark.django_db
def test_the_goal_survives_sign_up_from_the_filing_link_to_the_form(client, django_capture_on_commit_callbacks):
    """ "Buat laporan" → the login page says why → "Daftar" keeps where they were going →
    after the emailed code (by the link in the mail too) the citizen is on the filing form."""
    login = client.get("/lapor/")
    assert login.status_code == 302 and login["Location"].startswith("/akun/masuk/?next=/lapor/")
    page = client.get(login["Location"]).content.decode()
    assert "Untuk membuat laporan, masuk dengan akun Anda atau daftar lebih dulu" in page
    assert 'href="/akun/daftar/?next=%2Flapor%2F"' in page
    form = client.get("/akun/daftar/?next=%2Flapor%2F").content.decode()
    assert '<input type="hidden" name="next" value="/lapor/">' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/akun/daftar/", {**REGISTRATION, "next": "/lapor/"})
    assert response.status_code == 302 and response["Location"] == "/akun/verifikasi/?next=%2Flapor%2F"
    # The link in the mail carries the code, not the goal: the session remembers it.
    done = client.post("/akun/verifikasi/", {"code": code_from(mail.outbox[0])})
    assert done.status_code == 302 and done["Location"] == "/lapor/"
    assert client.get("/lapor/").status_code == 200


@pytest.mark.django_db
def test_sign_up_never_sends_anyone_to_another_site(client, register):
    response = register(next="https://jahat.example/phish")
    assert response["Location"] == "/akun/verifikasi/"
    from django.test import Client

    page = Client().get("/akun/daftar/?next=https://jahat.example/")
    html = page.content.decode()
    assert page.status_code == 200 and 'value="https://jahat.example/"' not in html  # not kept as the goal
    assert "next=https%3A" not in html  # nor passed on to the login link
