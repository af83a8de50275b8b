"""Attacks on a whistle-blower's identity through accounts, replayed: a number typed by someone who
does not hold it, registration as an oracle of who reported by SMS, reports filed "as" a citizen
by an Open311 key holder or an operator."""

import hashlib
import hmac
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services, verification
from accounts.models import OneTimeCode, User
from complaints import workflow
from complaints.models import Complaint, Open311Key, ReporterClaim
from complaints.outbox import notify

pytestmark = pytest.mark.django_db

SECRET = "rahasia-webhook-uji"
SUSPECT = "+6285211112222"
REGISTER = "/api/v1/auth/register/"
LINK = re.compile(r"/akun/konfirmasi-laporan/[^/\s]+/")


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SMS_WEBHOOK_SECRET = SECRET


@pytest.fixture
def sms(client, django_capture_on_commit_callbacks):
    """sms(text, sender) → the gateway's JSON answer."""

    def post(text, sender=SUSPECT):
        raw = urlencode({"from": sender, "text": text}).encode()
        signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic(
                "POST",
                "/sms/inbound/",
                raw,
                content_type="application/x-www-form-urlencoded",
                HTTP_X_SIGNATURE=signature,
            )
        assert response.status_code == 200, response.content
        return response.json()

    return post


@pytest.fixture
def register(api, django_capture_on_commit_callbacks):
    def post(email, phone):
        payload = {"email": email, "password": "kata-sandi-panjang-2026", "full_name": "Sapta Mata", "phone": phone}
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(REGISTER, {**payload, "consent": True}, format="json")

    return post


def verified(user):
    User.objects.filter(pk=user.pk).update(email_verified=True)
    return User.objects.get(pk=user.pk)


def code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


# A number belongs to an account only once its code came back ----------------------------------
def test_a_number_typed_at_registration_captures_no_sms_report(register, sms, client_for):
    """The spy registers with the suspect's number (no code asked); the suspect then reports by SMS."""
    assert register("spy@contoh.id", "0852-1111-2222").status_code == 201
    spy = verified(User.objects.get(email="spy@contoh.id"))
    answer = sms("LAPOR RAHASIA Kepala dinas meminta setoran dari setiap proyek jalan.")
    c = Complaint.objects.get(tracking_id=answer["tracking_id"])
    assert c.reporter_id != spy.pk
    assert (c.reporter.phone, c.reporter.sms_only, c.reporter.phone_verified) == (SUSPECT, True, True)
    spy_api = client_for(spy)
    mine = spy_api.get("/api/v1/complaints/?mine=true").json()
    assert c.tracking_id not in str(mine)
    assert spy_api.get(f"/api/v1/complaints/{c.tracking_id}/").status_code == 404
    assert spy_api.post(f"/api/v1/complaints/{c.tracking_id}/withdraw/", {}, format="json").status_code == 404
    assert Complaint.objects.get(pk=c.pk).status == "belum_terverifikasi"


def test_cek_and_balas_from_a_number_answer_only_for_its_proved_owner(register, sms, file_report):
    assert register("spy@contoh.id", SUSPECT).status_code == 201
    spy = verified(User.objects.get(email="spy@contoh.id"))
    spys_own = file_report(reporter=spy, privacy="rahasia", title="Laporan rahasia si pendaftar")
    # Whoever holds the number cannot read or answer in the name of the account that typed it.
    assert "tidak ditemukan" in sms(f"CEK {spys_own.tracking_id}")["reply"]
    assert "tidak ditemukan" in sms(f"BALAS {spys_own.tracking_id} Ini balasan dari nomor itu.")["reply"]
    assert not spys_own.events.filter(type="reply").exists()


def test_no_sms_notice_goes_to_an_unproved_number(region, operator, sms_outbox, django_capture_on_commit_callbacks):
    typed = User.objects.create_user(email="walkin@sms.lapor.invalid", phone=SUSPECT, sms_only=True)
    c = workflow.file_complaint(reporter=typed, title="Lampu jalan mati", body="Lampu jalan mati seminggu.")
    assert notify.Notification.Channel.SMS not in notify.reporter_channels(c, typed)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.postpone(c.pk, by=operator, reason="Sebutkan nama desa.")
    assert sms_outbox == []


# Registration says the same for every number ----------------------------------------------------
def test_registration_answers_the_same_for_a_fresh_a_taken_and_an_sms_reporters_number(
    register, other_citizen, sms, sms_outbox
):
    User.objects.filter(pk=other_citizen.pk).update(phone_verified=True)  # Bob's proved number
    sms("LAPOR RAHASIA Ada pungutan liar di kantor kecamatan setiap pagi.")  # the suspect reports
    sms_outbox.clear()
    answers = {
        "fresh": register("a@contoh.id", "0852 3333 4444"),
        "bob": register("b@contoh.id", "0813-1111-2222"),
        "suspect": register("c@contoh.id", "0852 1111 2222"),
    }

    def shape(r):
        body = r.json()
        return r.status_code, sorted(body), body.get("phone_verified"), body.get("email_verified"), body.get("roles")

    assert {name: shape(r) for name, r in answers.items()} == {name: shape(answers["fresh"]) for name in answers}
    assert answers["fresh"].status_code == 201
    # A code went to the fresh number and to the SMS reporter's, worded alike and telling nothing
    # of reports; none to the number another web account proved (it can never move).
    assert sorted(to for to, _ in sms_outbox) == sorted(["+6285233334444", SUSPECT])
    texts = {to: re.sub(r"\d{6}", "000000", text) for to, text in sms_outbox}
    assert texts["+6285233334444"] == texts[SUSPECT] and "SMS" not in texts[SUSPECT]
    # Nothing is attached before the code comes back.
    assert not User.objects.filter(email="c@contoh.id", phone_verified=True).exists()
    assert Complaint.objects.get().reporter.email.endswith("@sms.invalid")


def test_the_web_form_says_the_same_for_every_number(client, other_citizen, sms, django_capture_on_commit_callbacks):
    User.objects.filter(pk=other_citizen.pk).update(phone_verified=True)
    sms("LAPOR RAHASIA Ada pungutan liar di kantor kecamatan setiap pagi.")
    pages = []
    for n, phone in enumerate(["0852 3333 4444", "0813-1111-2222", "0852 1111 2222"]):
        client.logout()
        data = {
            "email": f"w{n}@contoh.id",
            "full_name": "Sapta Mata",
            "phone": phone,
            "password1": "Kopi-Tubruk-2026",
            "password2": "Kopi-Tubruk-2026",
            "consent": "on",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/akun/daftar/", data, follow=True)
        pages.append((response.redirect_chain, [str(m) for m in response.context["messages"]]))
    assert pages[0] == pages[1] == pages[2]
    assert pages[0][0] == [("/akun/verifikasi/", 302)]


def test_a_wrong_code_reads_the_same_whoever_owns_the_number(register, other_citizen, client_for):
    User.objects.filter(pk=other_citizen.pk).update(phone_verified=True)
    register("a@contoh.id", "0852 3333 4444")
    register("b@contoh.id", "0813-1111-2222")
    answers = []
    for email in ("a@contoh.id", "b@contoh.id"):
        user = User.objects.get(email=email)
        r = client_for(user).post("/api/v1/auth/verify-phone/", {"code": "000001"}, format="json")
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] and answers[0][0] == 400


def test_proving_the_number_claims_the_sms_reports_and_never_takes_a_web_accounts_number(
    register, sms, sms_outbox, client_for, other_citizen
):
    report = Complaint.objects.get(tracking_id=sms("LAPOR Jalan di depan pasar berlubang besar.")["tracking_id"])
    sms_account = report.reporter
    sms_outbox.clear()
    register("siti@contoh.id", "0852 1111 2222")
    siti = verified(User.objects.get(email="siti@contoh.id"))
    code = code_in(sms_outbox[-1][1])
    r = client_for(siti).post("/api/v1/auth/verify-phone/", {"code": code}, format="json")
    assert r.status_code == 200 and r.json()["phone_verified"] is True
    assert Complaint.objects.get(pk=report.pk).reporter_id == siti.pk
    assert not User.objects.get(pk=sms_account.pk).is_active
    # From now on the number's SMS are Siti's.
    later = sms("LAPOR Lampu jalan di depan pasar juga mati.")
    assert Complaint.objects.get(tracking_id=later["tracking_id"]).reporter_id == siti.pk
    # Should she give the number up, its next SMS makes a fresh SMS account again.
    User.objects.filter(pk=siti.pk).update(phone=None, phone_verified=False)
    again = sms("LAPOR Jembatan kayu di ujung desa mulai lapuk.")
    assert Complaint.objects.get(tracking_id=again["tracking_id"]).reporter.sms_only
    # A number another web account proved is never taken over, even with a valid code.
    User.objects.filter(pk=other_citizen.pk).update(phone_verified=True)
    User.objects.filter(pk=siti.pk).update(phone="+6281311112222", phone_verified=False)
    with pytest.raises(services.AccountError):
        services.attach_phone(User.objects.get(pk=siti.pk))
    assert User.objects.get(pk=other_citizen.pk).phone_verified


def test_a_number_gets_at_most_five_codes_a_day_however_many_accounts_ask(
    region, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(8):
            user = services.register(
                email=f"bom{n}@contoh.id", password="kata-sandi-panjang-2026", full_name="Bom", phone=SUSPECT
            )
            verification.send_phone_verification(user)
    assert len(sms_outbox) == verification.MAX_CODES_PER_DAY
    # Every account still got its code row: the answer never showed the cap.
    assert OneTimeCode.objects.filter(purpose="verify_phone", target=SUSPECT).count() == 8


def test_profile_change_to_an_sms_reporters_number_claims_nothing_until_proved(
    client, citizen, sms, sms_outbox, django_capture_on_commit_callbacks
):
    report = Complaint.objects.get(tracking_id=sms("LAPOR RAHASIA Pungli di loket perizinan.")["tracking_id"])
    client.force_login(citizen)
    data = {
        "full_name": "Alice",
        "display_name": "",
        "email": "alice@warga.id",
        "phone": SUSPECT,
        "language": "id",
        "current_password": "rahasia-sekali-123",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/akun/profil/", data).status_code == 302
    assert Complaint.objects.get(pk=report.pk).reporter_id != citizen.pk
    assert "Pungli" not in client.get("/saya/").content.decode()


# Open311 and manual entry attach only what the owner confirms --------------------------------------
@pytest.fixture
def open311(client, region, django_capture_on_commit_callbacks):
    key = Open311Key.objects.create(name="Aplikasi kota").key

    def post(**fields):
        data = {
            "api_key": key,
            "service_code": "jalan",
            "lat": "-4.6",
            "long": "121.9",
            "description": "Lubang besar di tikungan dekat jembatan.",
            "privacy": "rahasia",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/open311/v2/requests.json", data)

    return post


def test_an_open311_key_holder_cannot_file_as_a_citizen(open311, citizen, client_for, client):
    r = open311(email="alice@warga.id")
    assert r.status_code == 201
    c = Complaint.objects.get(tracking_id=r.json()[0]["service_request_id"])
    assert c.reporter_id is None
    assert c.tracking_id not in str(client_for(citizen).get("/api/v1/complaints/?mine=true").json())
    [message] = mail.outbox
    assert message.to == ["alice@warga.id"] and c.tracking_id in message.body
    link = LINK.search(message.body).group(0)
    # Opening the link (a mail scanner does) attaches nothing; a forged or altered token is refused.
    assert client.get(link).status_code == 200
    assert Complaint.objects.get(pk=c.pk).reporter_id is None
    assert client.post(link[:-3] + "xx/", {"answer": "yes"}).status_code == 404
    # Alice says it is not hers: it stays unattached and the link is spent.
    assert client.post(link, {"answer": "no"}).status_code == 302
    assert Complaint.objects.get(pk=c.pk).reporter_id is None
    assert client.post(link, {"answer": "yes"}).status_code == 404
    assert ReporterClaim.objects.get().declined_at is not None


def test_the_confirmation_link_attaches_and_expires(open311, citizen, client_for, client):
    r = open311(email="alice@warga.id")
    c = Complaint.objects.get(tracking_id=r.json()[0]["service_request_id"])
    link = LINK.search(mail.outbox[0].body).group(0)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert client.post(link, {"answer": "yes"}).status_code == 404
    assert client.post(link, {"answer": "yes"}).status_code == 302
    c.refresh_from_db()
    assert (c.reporter_id, c.walkin_contact) == (citizen.pk, "")
    assert c.tracking_id in str(client_for(citizen).get("/api/v1/complaints/?mine=true").json())


def test_manual_entry_with_a_proved_number_waits_for_its_owner(
    client, client_for, operator, region, sms, sms_outbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    owner = Complaint.objects.get(
        tracking_id=sms("LAPOR Jalan di depan pasar berlubang besar.")["tracking_id"]
    ).reporter
    sms_outbox.clear()
    op = Client()
    op.force_login(operator)
    data = {
        "channel": "walk-in",
        "kind": "aduan",
        "title": "Pungli di loket perizinan",
        "body": "Petugas loket meminta uang tambahan untuk mempercepat izin.",
        "category": region.roads.pk,
        "privacy": "rahasia",
        "reporter_name": "Orang Lain",
        "reporter_phone": "0852-1111-2222",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert op.post("/petugas/input/", data).status_code == 302
    c = Complaint.objects.get(title="Pungli di loket perizinan")
    assert c.reporter_id is None and c.walkin_contact == SUSPECT
    [(to, text)] = sms_outbox
    assert to == SUSPECT and c.tracking_id in text
    assert client.post(LINK.search(text).group(0), {"answer": "yes"}).status_code == 302
    assert Complaint.objects.get(pk=c.pk).reporter_id == owner.pk
