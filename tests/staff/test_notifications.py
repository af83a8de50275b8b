"""Staff notifications (docs/product.md §2, §5): who hears what, exactly once per event
and audience, after commit, in the recipient's language, never with the reporter's identity, and
never lost when the broker is down."""

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import User
from agencies.models import SlaPolicy
from complaints import tasks, workflow
from complaints.deadlines import clocks
from complaints.deadlines import sweep as sla
from complaints.models import Audience, Clock, ClockKind, EventType, Notification
from complaints.outbox import notify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))
IDENTITY = ("Alice", "Rahmawati", "alice@warga.id", "8529860111")


def mails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def rows(user, **filters):
    return Notification.objects.filter(recipient=user, **filters)


def assert_no_identity(text):
    for part in IDENTITY:
        assert part not in text


@pytest.mark.parametrize("level", ["umum", "anonim", "rahasia"])
def test_new_disposition_reaches_the_liaisons_once_without_the_reporter(
    level, client_for, file_report, operator, liaison_pu, liaison_dinkes, head_pu, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the reporter's receipt goes out here
        c = file_report(privacy=level)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(
            f"/petugas/laporan/{c.tracking_id}/", {"action": "verify", "verify-agencies": ["dinas-pu"]}
        )
    assert response.status_code == 302
    d = c.dispositions.get()
    got = rows(liaison_pu)
    assert {(n.channel, n.template, n.audience) for n in got} == {
        ("inapp", "disposed", Audience.STAFF),
        ("email", "disposed", Audience.STAFF),
    }
    assert all(n.sent_at for n in got)
    [message] = mails_to(liaison_pu)
    assert message.subject == f"[LAPOR Daerah] {c.tracking_id} — Disposisi baru untuk Dinas PU"
    assert f"/opd/disposisi/{d.pk}/" in message.body
    assert "Tenggat tindak lanjut pertama" in message.body
    assert_no_identity(message.subject + message.body)
    assert_no_identity(got.get(channel="inapp").text)
    assert not rows(liaison_dinkes).exists() and not rows(head_pu).exists()
    # Delivering again, by the task or the beat, sends nothing more.
    for n in got:
        assert notify.deliver(n.pk) is False
        tasks.deliver_notification.apply(args=(n.pk,))
    assert notify.flush_outbox(older_than_seconds=0) == 0
    assert len(mails_to(liaison_pu)) == 1


def test_the_reporters_reply_reaches_the_liaisons_without_its_text(
    disposed_report, liaison_pu, citizen, operator, django_capture_on_commit_callbacks
):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Kapan Anda ada di rumah?")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reply(c.pk, by=citizen, body="Saya Alice, di rumah setiap sore, hubungi 0852-9860-111.")
    [message] = mails_to(liaison_pu)
    assert "Tanggapan baru dari pelapor" in message.subject
    assert "Baca tanggapannya" in message.body
    assert_no_identity(message.body)
    assert not mails_to(operator)


def test_a_returned_report_reaches_the_operators_with_the_review_link(
    client_for, disposed_report, liaison_pu, operator, django_capture_on_commit_callbacks
):
    c = disposed_report()
    d = c.dispositions.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(liaison_pu).post(
            f"/opd/disposisi/{d.pk}/", {"action": "return", "return-reason": "Kewenangan Balai Jalan Nasional."}
        )
    assert response.status_code == 302
    [message] = mails_to(operator)
    assert message.subject.endswith("Laporan dikembalikan oleh Dinas PU")
    assert f"/petugas/laporan/{c.tracking_id}/" in message.body
    assert "Kewenangan Balai Jalan Nasional." in message.body  # the OPD's reason is staff-written
    assert rows(operator, template="returned", audience=Audience.STAFF).count() == 2  # in-app and email


def test_refused_return_and_subdisposition_reach_the_liaisons(
    client_for, disposed_report, liaison_pu, liaison_bina_marga, operator, django_capture_on_commit_callbacks
):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami di sini.")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(operator).post(
            f"/petugas/laporan/{c.tracking_id}/",
            {"action": "refuse_return", "refuse_return-disposition": d.pk, "refuse_return-note": "Jalan kabupaten."},
        )
    [refused] = mails_to(liaison_pu)
    assert "Pengembalian ditolak" in refused.subject and "Jalan kabupaten." in refused.body
    with django_capture_on_commit_callbacks(execute=True):
        client_for(liaison_pu).post(
            f"/opd/disposisi/{d.pk}/", {"action": "subdispose", "subdispose-unit": "dinas-pu-bina-marga"}
        )
    [unit] = mails_to(liaison_bina_marga)
    child = c.dispositions.get(parent=d)
    assert "Disposisi untuk Bidang Bina Marga" in unit.subject and f"/opd/disposisi/{child.pk}/" in unit.body
    assert len(mails_to(liaison_pu)) == 1  # the actor is not told about their own action


def test_overdue_and_escalation_reach_heads_operators_and_auditors_once(
    disposed_report, liaison_pu, head_pu, operator, auditor, auditor_bkd, django_capture_on_commit_callbacks
):
    c = disposed_report()
    clock = Clock.objects.get(complaint=c, kind=ClockKind.FOLLOWUP)
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_sweep(clocks.reminder_at(clock, SlaPolicy.current()) + datetime.timedelta(hours=1))
    reminder = {n.recipient_id for n in Notification.objects.filter(template="reminder", channel="email")}
    assert reminder == {liaison_pu.pk}
    overdue_at = clock.due_at + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_sweep(overdue_at)
        sla.sla_sweep(overdue_at)  # a second sweep (or a second worker) changes nothing
    overdue = {n.recipient_id for n in Notification.objects.filter(template="overdue", channel="email")}
    assert overdue == {head_pu.pk, operator.pk}
    [head_mail] = [m for m in mails_to(head_pu) if "Lewat tenggat" in m.subject]
    assert f"/opd/disposisi/{c.dispositions.get().pk}/" in head_mail.body
    assert_no_identity(head_mail.body)
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_sweep(overdue_at + datetime.timedelta(days=10))
        sla.sla_sweep(overdue_at + datetime.timedelta(days=11))
    escalated = {n.recipient_id for n in Notification.objects.filter(template="escalated", channel="email")}
    assert escalated == {auditor.pk, auditor_bkd.pk, head_pu.pk}
    [auditor_mail] = [m for m in mails_to(auditor) if "Eskalasi" in m.subject]
    assert c.get_absolute_url() in auditor_mail.body
    for user in (head_pu, operator, auditor):
        subjects = [m.subject for m in mails_to(user)]
        assert len(subjects) == len(set(subjects))  # one message per event


def test_broker_unreachable_during_the_action(
    client_for, file_report, operator, liaison_pu, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def down(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notification, "delay", down)
    c = file_report()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(
            f"/petugas/laporan/{c.tracking_id}/", {"action": "verify", "verify-agencies": ["dinas-pu"]}
        )
    assert response.status_code == 302  # the action stands; only the messages wait
    assert c.dispositions.get().agency.slug == "dinas-pu"
    assert len(calls) == 1  # one failed hand-over ends the attempt: the request does not wait per row
    waiting = Notification.objects.filter(complaint=c, sent_at__isnull=True)
    assert waiting.filter(recipient=liaison_pu).count() == 2
    assert mail.outbox == []
    monkeypatch.undo()
    delivered = notify.flush_outbox(older_than_seconds=0)
    assert delivered == waiting.model.objects.filter(complaint=c).count() and delivered >= 4
    assert len(mails_to(liaison_pu)) == 1
    assert notify.flush_outbox(older_than_seconds=0) == 0
    assert len(mails_to(liaison_pu)) == 1


def test_messages_follow_the_recipient_language(region, file_report, operator, django_capture_on_commit_callbacks):
    english = make_user("en@pemda.go.id", "English Liaison", ("liaison", region.pu))
    User.objects.filter(pk=english.pk).update(preferred_language="en")
    indonesian = make_user("id@pemda.go.id", "Liaison Indonesia", ("liaison", region.pu))
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=WIB), tick=False):  # due 4 December
        c = file_report()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    [en] = mails_to(english)
    [id_] = mails_to(indonesian)
    assert "December" in en.body and "Desember" not in en.body
    assert "Desember" in id_.body and "Jumat, 4 Desember 2026" in id_.body


def test_sms_stays_short_and_indonesian(region, operator, sms_outbox, django_capture_on_commit_callbacks):
    sms_user = User.objects.create_user(
        email="6285298601110@sms.lapor.invalid",
        phone="085298601110",
        sms_only=True,
        phone_verified=True,  # made by the gateway: the sender holds the number
        preferred_language="en",
    )
    c = workflow.file_complaint(
        reporter=sms_user,
        title="Lampu jalan mati",
        channel="sms",
        category=region.roads,
        body="Lampu jalan di Jl. Poros mati total sejak minggu lalu.",
    )
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=WIB), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            workflow.postpone(c.pk, by=operator, reason="Sebutkan nama desa.")
    [(to, text)] = sms_outbox
    assert to == "+6285298601110" and "\n" not in text
    assert c.tracking_id in text and "Desember" in text and f"BALAS {c.tracking_id}" in text


def test_link_for_each_audience(disposed_report, operator, liaison_pu, citizen, auditor):
    c = disposed_report()
    d = c.dispositions.get()
    event = c.events.get(type=EventType.DISPOSED)

    def link(user, audience):
        return notify.link_for(Notification(recipient=user, complaint=c, event=event, audience=audience))

    assert link(operator, Audience.STAFF) == f"/petugas/laporan/{c.tracking_id}/"
    assert link(liaison_pu, Audience.STAFF) == f"/opd/disposisi/{d.pk}/"
    assert link(auditor, Audience.STAFF) == c.get_absolute_url()
    assert link(citizen, Audience.REPORTER) == c.get_absolute_url()


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_one_row_once(region, file_report, operator, liaison_pu):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update skip_locked) are a PostgreSQL fact")
    c = file_report()
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])  # committed: on_commit ran eagerly
    mail.outbox.clear()
    Notification.objects.update(sent_at=None)
    pks = list(Notification.objects.filter(recipient=liaison_pu).values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append([notify.deliver(pk) for pk in pks])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sum(r) for r in results) == len(pks)
    assert len(mails_to(liaison_pu)) == 1
    assert timezone.now() >= Notification.objects.get(pk=pks[0]).sent_at
