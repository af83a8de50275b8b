"""The SMS gateway webhook: signature, idempotency, LAPOR / CEK / BALAS, help, rate limit, replies
sent once through the backend."""

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from accounts.models import User
from complaints import workflow
from complaints.models import Complaint, InboundSms, Privacy, Status

pytestmark = pytest.mark.django_db

SECRET = "rahasia-webhook-uji"
URL = "/sms/inbound/"
PHONE = "0852-9860-111"  # Alice's number, written differently


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SMS_WEBHOOK_SECRET = SECRET


def sign(raw):
    return hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """send(text, sender=…, id=…, as_json=False) → the response, with on-commit tasks run."""

    def post(text, sender="+62 811 2222 3333", id=None, as_json=False, signature=None):
        data = {"from": sender, "text": text, **({"id": id} if id else {})}
        if as_json:
            raw, ctype = json.dumps(data).encode(), "application/json"
        else:
            raw, ctype = urlencode(data).encode(), "application/x-www-form-urlencoded"
        headers = {} if signature is False else {"HTTP_X_SIGNATURE": signature or sign(raw)}
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic("POST", URL, raw, content_type=ctype, **headers)

    return post


# Signature --------------------------------------------------------------------------------------
@pytest.fixture
def citizen(citizen):
    """Alice, who proved her number with the code texted to it: the number's SMS are hers."""
    User.objects.filter(pk=citizen.pk).update(phone_verified=True)
    citizen.phone_verified = True
    return citizen


def test_missing_or_bad_signature_is_403(send, settings):
    assert send("LAPOR jalan rusak sekali di sini", signature=False).status_code == 403
    assert send("LAPOR jalan rusak sekali di sini", signature="00" * 32).status_code == 403
    settings.SMS_WEBHOOK_SECRET = ""
    assert send("LAPOR jalan rusak sekali di sini").status_code == 403
    assert not InboundSms.objects.exists() and not Complaint.objects.exists()


def test_signature_covers_the_raw_body(client):
    raw = urlencode({"from": "08112222333", "text": "CEK LPR-0000-0000"}).encode()
    tampered = urlencode({"from": "08112222333", "text": "CEK LPR-1111-1111"}).encode()
    r = client.generic(
        "POST", URL, tampered, content_type="application/x-www-form-urlencoded", HTTP_X_SIGNATURE=sign(raw)
    )
    assert r.status_code == 403


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize(
    "data", [{"text": "LAPOR x"}, {"from": "12", "text": "CEK"}, {"from": "0811\x00", "text": "x"}]
)
def test_bad_payload_is_400(client, data):
    raw = json.dumps(data).encode()
    r = client.generic("POST", URL, raw, content_type="application/json", HTTP_X_SIGNATURE=sign(raw))
    assert r.status_code == 400 and r.json()["detail"]


def test_bad_json_is_400(client):
    raw = b"{bukan json"
    r = client.generic("POST", URL, raw, content_type="application/json", HTTP_X_SIGNATURE=sign(raw))
    assert r.status_code == 400


# LAPOR -----------------------------------------------------------------------------------------
def test_lapor_files_a_rahasia_report_for_a_new_sms_account(send, sms_outbox, region, operator):
    r = send("lapor Jalan di depan SD 3 berlubang besar, bahaya untuk anak sekolah.", id="gw-1")
    assert r.status_code == 200
    c = Complaint.objects.get()
    assert (c.channel, c.privacy, c.status) == ("sms", Privacy.RAHASIA, Status.BELUM_TERVERIFIKASI)
    assert c.body == "Jalan di depan SD 3 berlubang besar, bahaya untuk anak sekolah."
    assert len(c.title) <= 81 and c.title.startswith("Jalan di depan SD 3")
    user = c.reporter
    assert (user.sms_only, user.phone, user.email) == (True, "+6281122223333", "sms-6281122223333@sms.invalid")
    assert not user.has_usable_password()
    assert r.json()["tracking_id"] == c.tracking_id
    assert sms_outbox == [("+6281122223333", r.json()["reply"])]
    assert c.tracking_id in sms_outbox[0][1] and "diterima" in sms_outbox[0][1]
    msg = InboundSms.objects.get()
    assert (msg.gateway_id, msg.complaint, msg.reply_sent_at is not None) == ("gw-1", c, True)
    # The report waits in the operator queue like any other, with its verification deadline.
    from django.test import Client

    staff = Client()
    staff.force_login(operator)
    queue = staff.get("/petugas/", {"tab": "belum", "channel": "sms"})
    assert queue.status_code == 200
    assert [row.tracking_id for row in queue.context["rows"]] == [c.tracking_id]
    assert c.verification_due_at is not None


def test_lapor_uses_the_existing_account_of_the_number(send, citizen, region):
    send("LAPOR Lampu jalan di Lamokato mati sejak Senin malam.", sender=PHONE, as_json=True)
    c = Complaint.objects.get()
    assert c.reporter == citizen
    assert User.objects.count() == 1


def test_lapor_privacy_keyword(send, region):
    send("LAPOR UMUM Taman kota kotor, sampah berserakan di mana-mana.")
    assert Complaint.objects.get().privacy == Privacy.UMUM


def test_lapor_too_short_gets_the_format(send, sms_outbox):
    r = send("LAPOR rusak")
    assert not Complaint.objects.exists()
    assert "Format: LAPOR" in r.json()["reply"] and sms_outbox[0][1] == r.json()["reply"]


def test_retried_delivery_never_files_twice(send, sms_outbox, region):
    first = send("LAPOR Jembatan kayu di desa hampir roboh, mohon segera diperbaiki.", id="gw-42")
    again = send("LAPOR Jembatan kayu di desa hampir roboh, mohon segera diperbaiki.", id="gw-42")
    assert Complaint.objects.count() == 1 and InboundSms.objects.count() == 1
    assert again.json()["reply"] == first.json()["reply"] and again.json()["duplicate"] is True
    assert len(sms_outbox) == 1  # the reply went out once


def test_messages_without_id_are_each_handled(send, region):
    send("LAPOR Jembatan kayu di desa hampir roboh, mohon segera diperbaiki.")
    send("LAPOR Jembatan kayu di desa hampir roboh, mohon segera diperbaiki.")
    assert Complaint.objects.count() == 2


def test_deactivated_account_files_nothing(send, citizen):
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    r = send("LAPOR Lampu jalan di Lamokato mati sejak Senin malam.", sender=PHONE)
    assert not Complaint.objects.exists() and "tidak aktif" in r.json()["reply"]


# CEK -------------------------------------------------------------------------------------------
def test_cek_own_rahasia_report(send, file_report, sms_outbox):
    c = file_report(privacy="rahasia")
    r = send(f"cek {c.tracking_id.lower()}", sender=PHONE)
    assert r.json()["reply"].startswith(f"{c.tracking_id}: Belum terverifikasi")


def test_cek_public_report_from_any_number(send, disposed_report):
    c = disposed_report()
    reply = send(f"CEK {c.tracking_id}").json()["reply"]
    assert c.tracking_id in reply and "Belum ditindaklanjuti" in reply and "Dinas PU" in reply


@pytest.mark.parametrize("privacy,state", [("rahasia", "verified"), ("umum", "unverified")])
def test_cek_someone_elses_hidden_report_looks_missing(send, file_report, operator, privacy, state):
    c = file_report(privacy=privacy)
    if state == "verified":
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    hidden = send(f"CEK {c.tracking_id}").json()["reply"]
    missing = send("CEK LPR-0000-0000").json()["reply"]
    assert "tidak ditemukan" in hidden and hidden.replace(c.tracking_id, "X") == missing.replace("LPR-0000-0000", "X")
    assert "Belum" not in hidden


def test_cek_staff_number_gets_no_staff_view(send, file_report, operator):
    """An SMS sender is only a number: a staff member's phone does not open staff views."""
    User.objects.filter(pk=operator.pk).update(phone="+628119998888")
    c = file_report(privacy="rahasia")
    assert "tidak ditemukan" in send(f"CEK {c.tracking_id}", sender="08119998888").json()["reply"]


def test_cek_tunda_tells_the_owner_how_to_complete(send, file_report, operator):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon lokasi persisnya.")
    assert f"BALAS {c.tracking_id}" in send(f"CEK {c.tracking_id}", sender=PHONE).json()["reply"]


# BALAS -----------------------------------------------------------------------------------------
def test_balas_completes_a_tunda_report(send, file_report, operator):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon lokasi persisnya.")
    reply = send(f"BALAS {c.tracking_id} Di depan Pasar Baru sisi timur.", sender=PHONE).json()["reply"]
    c.refresh_from_db()
    assert c.status == Status.BELUM_TERVERIFIKASI and "kelengkapan diterima" in reply
    assert c.events.filter(type="completed", body="Di depan Pasar Baru sisi timur.").exists()


def test_balas_replies_in_the_dialogue(send, disposed_report, liaison_pu):
    c = disposed_report()
    workflow.followup(c.pk, by=liaison_pu, disposition=c.dispositions.get().pk, body="Di sisi mana?")
    reply = send(f"Balas {c.tracking_id} Sisi kiri dari arah pasar.", sender=PHONE).json()["reply"]
    assert "diterima" in reply
    assert c.events.filter(type="reply", actor__phone="+628529860111").exists()


def test_balas_only_by_the_owner(send, disposed_report):
    c = disposed_report()
    reply = send(f"BALAS {c.tracking_id} Saya juga mengalami ini.").json()["reply"]
    assert "Hanya pelapor" in reply and not c.events.filter(type="reply").exists()


def test_balas_wrong_status_says_so(send, file_report):
    c = file_report()
    reply = send(f"BALAS {c.tracking_id} Ada kabar?", sender=PHONE).json()["reply"]
    assert reply.startswith(c.tracking_id) and "tidak dapat" in reply


def test_balas_without_text_gets_the_format(send, file_report):
    c = file_report()
    assert "Format: BALAS" in send(f"BALAS {c.tracking_id}", sender=PHONE).json()["reply"]


# Help, rate limit, delivery ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["halo", "", "LAPORAN jalan", "cekk LPR-0000-0000"])
def test_anything_else_gets_help(send, text):
    reply = send(text).json()["reply"]
    assert "LAPOR" in reply and "CEK" in reply and "BALAS" in reply


def test_rate_limit_per_phone(send, sms_outbox, settings, region):
    settings.SMS_RATE_LIMIT_PER_HOUR = 3
    replies = [send(f"CEK LPR-0000-000{i}").json() for i in range(6)]
    assert [r["status"] for r in replies] == ["ok", "ok", "ok", "rate_limited", "rate_limited", "rate_limited"]
    assert len(sms_outbox) == 4  # three answers and one "please wait"
    assert "terlalu banyak" in sms_outbox[3][1].lower()
    assert InboundSms.objects.count() == 6
    # Another number is not affected.
    assert send("CEK LPR-0000-0000", sender="081233334444").json()["status"] == "ok"


def test_failed_reply_is_retried_and_sent_once(send, sms_outbox, monkeypatch):
    from complaints import tasks
    from complaints.channels import sms
    from tests.conftest import RecordingSms

    calls = {"n": 0}
    original = RecordingSms.send

    def flaky(self, to, text):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("gateway down")
        original(self, to, text)

    monkeypatch.setattr(RecordingSms, "send", flaky)
    send("halo")
    msg = InboundSms.objects.get()
    # Eager Celery retried the task at once; the row records one failure and one success.
    assert msg.reply_sent_at is not None and msg.reply_attempts == 2 and len(sms_outbox) == 1
    assert sms.send_reply(msg.pk) is False and tasks.flush_sms_replies() == 0
    assert len(sms_outbox) == 1


def test_flush_sends_replies_left_by_a_broker_outage(send, sms_outbox, monkeypatch):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from complaints import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_sms_reply, "delay", down)
    assert send("halo").status_code == 200
    assert sms_outbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert tasks.flush_sms_replies() == 1
    assert len(sms_outbox) == 1


def test_beat_retries_unsent_replies_and_notifications(settings):
    """The flushes above only help if beat runs them: both are on the schedule, at the retry interval."""
    from lapor.celery import app

    app.finalize(auto=True)
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["complaints.tasks.flush_sms_replies"] == settings.OUTBOX_RETRY_INTERVAL
    assert schedule["complaints.tasks.flush_outbox"] == settings.OUTBOX_RETRY_INTERVAL
    assert schedule["complaints.tasks.sla_sweep"] == settings.SLA_SWEEP_INTERVAL
    assert "complaints.tasks.tpp_sanctions" in schedule


def test_an_sms_reporter_hears_each_step_by_sms(
    send, sms_outbox, region, operator, liaison_pu, django_capture_on_commit_callbacks
):
    """docs/product.md §6: a reporter who came by SMS hears the tunda request, each OPD follow-up and
    question, the finish and the closing by SMS, short, in Indonesian, with the tracking id."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from complaints.deadlines import sweep as sla
    from complaints.models import Notification

    send("LAPOR Lampu jalan di Jl. Poros mati total sejak minggu lalu.", sender="+62 813 4444 5555")
    c = Complaint.objects.get()
    reporter = c.reporter
    assert reporter.sms_only and c.channel == "sms"
    sms_outbox.clear()

    def step(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            fn(*args, **kwargs)
        texts = [text for to, text in sms_outbox if to == reporter.phone]
        sms_outbox.clear()
        return texts

    tunda = step(workflow.postpone, c.pk, by=operator, reason="Sebutkan nama desa atau kelurahannya.")
    step(workflow.complete, c.pk, by=reporter, body="Desa Lamoare, depan masjid.")
    step(workflow.verify, c.pk, by=operator, agencies=["dinas-pu"])
    d = c.dispositions.get()
    followup = step(workflow.followup, c.pk, by=liaison_pu, disposition=d.pk, body="Petugas sudah ke lokasi.")
    question = step(workflow.question, c.pk, by=liaison_pu, disposition=d.pk, body="Tiang nomor berapa?")
    finished = step(workflow.finish, c.pk, by=liaison_pu, disposition=d.pk)
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        closed = step(sla.sla_sweep)
    c.refresh_from_db()
    assert c.status == Status.SELESAI
    for texts in (tunda, followup, question, finished, closed):
        assert len(texts) == 1, texts
        assert c.tracking_id in texts[0] and len(texts[0]) <= 320
    assert "desa" in tunda[0].lower() or "lengkap" in tunda[0].lower()
    # One SMS row per event: a second sweep or flush sends nothing again.
    assert Notification.objects.filter(recipient=reporter, channel="sms", sent_at__isnull=True).count() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        assert step(sla.sla_sweep) == []


# The privacy rule of the SMS surface ----------------------------------------------------------
@pytest.mark.parametrize("privacy_level", ["umum", "anonim", "rahasia"])
@pytest.mark.parametrize("state", ["unverified", "verified"])
def test_get_for_sms_reaches_own_and_public_reports_only(
    request, privacy_level, state, citizen, other_citizen, operator
):
    from complaints import privacy
    from tests.privacy_matrix import build_report

    c = build_report(request, privacy_level, state)
    public = state == "verified" and privacy_level != "rahasia"
    assert privacy.get_for_sms(citizen, c.tracking_id) == c
    assert (privacy.get_for_sms(other_citizen, c.tracking_id) == c) == public
    assert (privacy.get_for_sms(None, c.tracking_id) == c) == public
    assert (privacy.get_for_sms(operator, c.tracking_id) == c) == public  # no staff view by SMS
