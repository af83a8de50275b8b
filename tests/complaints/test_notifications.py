"""The outbox: rows written in the transaction, delivered after commit, exactly once."""

import pytest
from django.core import mail

from complaints import workflow
from complaints.models import Notification
from complaints.outbox import notify

pytestmark = pytest.mark.django_db


def test_postpone_notifies_the_reporter_once_per_channel(file_report, operator, django_capture_on_commit_callbacks):
    c = file_report()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto lokasi.")
    rows = Notification.objects.filter(complaint=c, template="postponed")
    assert {(n.recipient_id, n.channel) for n in rows} == {(c.reporter_id, "inapp"), (c.reporter_id, "email")}
    assert all(n.sent_at for n in rows)
    assert len([m for m in mail.outbox if c.tracking_id in m.subject]) == 1
    assert "Mohon lampirkan foto lokasi." in mail.outbox[-1].body
    # Running delivery again sends nothing more.
    for n in rows:
        assert notify.deliver(n.pk) is False
    assert len(mail.outbox) == 1


def test_broker_outage_keeps_rows_for_the_retry(file_report, operator, monkeypatch, django_capture_on_commit_callbacks):
    from complaints import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with django_capture_on_commit_callbacks(execute=True):  # the filing's receipt goes out first
        c = file_report()
    mail.outbox.clear()
    monkeypatch.setattr(tasks.deliver_notification, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto lokasi.")
    assert Notification.objects.filter(complaint=c, sent_at__isnull=True).count() == 2
    assert mail.outbox == []
    assert notify.flush_outbox(older_than_seconds=0) == 2
    assert len(mail.outbox) == 1
    assert notify.flush_outbox(older_than_seconds=0) == 0


def test_sms_reporters_hear_by_sms(region, operator, sms_outbox, django_capture_on_commit_callbacks):
    from accounts.models import User

    sms_user = User.objects.create_user(
        email="628529860111@sms.lapor.invalid", phone="085298601110", sms_only=True, phone_verified=True
    )
    c = workflow.file_complaint(
        reporter=sms_user,
        title="Lampu jalan mati",
        body="Lampu jalan di Jl. Poros mati total.",
        channel="sms",
        category=region.roads,
    )
    assert c.privacy == "rahasia"  # SMS reports are rahasia unless the reporter says otherwise
    with django_capture_on_commit_callbacks(execute=True):
        workflow.postpone(c.pk, by=operator, reason="Sebutkan nama desa.")
    assert [to for to, _text in sms_outbox] == ["+6285298601110"]
    assert c.tracking_id in sms_outbox[0][1]
    assert mail.outbox == []


def test_followers_lose_notifications_when_privacy_is_raised(
    disposed_report, liaison_pu, citizen, other_citizen, django_capture_on_commit_callbacks
):
    c = disposed_report(privacy="umum")
    workflow.support(c.pk, by=other_citizen)
    d = c.dispositions.get()
    event = workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami tinjau.")
    follower_row = Notification.objects.get(event=event, recipient=other_citizen)
    workflow.change_privacy(c.pk, by=citizen, privacy_level="rahasia")  # before delivery
    notify.deliver(follower_row.pk)
    follower_row.refresh_from_db()
    assert follower_row.sent_at and follower_row.text == ""
    assert "suppressed" in follower_row.last_error


def test_in_app_notice_is_a_title_and_one_short_line(file_report, operator, django_capture_on_commit_callbacks):
    """The app shows what happened in one line and links to the report; the greeting, the
    details and the address are for mail only."""
    c = file_report()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto lokasi.")
    inapp = Notification.objects.get(complaint=c, template="postponed", channel="inapp")
    email = Notification.objects.get(complaint=c, template="postponed", channel="email")
    assert "\n" not in inapp.text and len(inapp.text) <= 300
    assert "Mohon lampirkan foto lokasi." in inapp.text
    for mail_only in ("Yth.", "http://", "https://", "[LAPOR", "Nomor laporan"):
        assert mail_only not in inapp.text and mail_only not in inapp.subject
    assert inapp.subject and c.tracking_id not in inapp.subject
    # Mail keeps its full form.
    assert email.text.startswith("Yth.") and email.subject.startswith("[")


def test_a_citizen_filing_on_the_web_gets_the_receipt_by_mail(file_report, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        c = file_report()
    rows = Notification.objects.filter(complaint=c, template="filed")
    assert {(n.recipient_id, n.channel) for n in rows} == {(citizen.pk, "email")}
    (message,) = [m for m in mail.outbox if c.tracking_id in m.subject]
    assert message.to == [citizen.email] and "sudah kami terima" in message.body
