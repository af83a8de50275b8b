"""The SLA engine (docs/product.md §5): each clock's ladder before, at and after its instants, exactly
once, in the deployment's time zone; holiday changes; policy changes."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import timezone

from agencies.models import Holiday, SlaPolicy
from complaints import models, workflow
from complaints.deadlines import clocks
from complaints.deadlines import sweep as sla
from complaints.models import ClockKind, ClockStep, Complaint, Disposition, Event, EventType, Notification, StepKind
from complaints.outbox import notify
from tests.concurrency import run_at_once
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

MICRO = timedelta(microseconds=1)
MARCH_2026 = {
    date(2026, 3, 18): "Cuti bersama Nyepi",
    date(2026, 3, 19): "Hari Suci Nyepi",
    date(2026, 3, 20): "Cuti bersama Idul Fitri",
    date(2026, 3, 21): "Idul Fitri",
    date(2026, 3, 23): "Cuti bersama Idul Fitri",
    date(2026, 3, 24): "Cuti bersama Idul Fitri",
}


def local(*args):
    """An aware instant in the deployment's (current) time zone."""
    return timezone.make_aware(datetime(*args))


def end_of(y, m, d):
    return local(y, m, d, 23, 59, 59, 999999)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep(instant) → the sweep's counts, run with the clock moved to `instant` and the
    notifications delivered after commit (as the worker would)."""

    def run(instant):
        with time_machine.travel(instant, tick=False), django_capture_on_commit_callbacks(execute=True):
            return sla.sla_sweep()

    return run


@pytest.fixture
def at():
    """at(instant, fn, *args, **kw): call a workflow function at `instant`."""

    def call(instant, fn, *args, **kwargs):
        with time_machine.travel(instant, tick=False):
            return fn(*args, **kwargs)

    return call


@pytest.fixture
def march_holidays(db):
    for day, name in MARCH_2026.items():
        Holiday.objects.create(date=day, name=name)


def steps_of(clock):
    return {s.step: s for s in ClockStep.objects.filter(clock=clock)}


def recipients(event):
    return {
        (n.recipient.email, n.channel) for n in Notification.objects.filter(event=event).select_related("recipient")
    }


def emails_to(address, tracking_id=None):
    return [m for m in mail.outbox if address in m.to and (tracking_id is None or tracking_id in m.subject)]


def clock_of(complaint, kind, disposition=None):
    qs = models.Clock.objects.filter(complaint=complaint, kind=kind)
    if disposition is not None:
        qs = qs.filter(disposition=disposition)
    return qs.order_by("-started_at", "-pk").first()


# The worked example: verification clock across Nyepi and Idul Fitri ------------------------------
def test_worked_example_verification_ladder(
    march_holidays, file_report, operator, head_diskominfo, auditor, sweep, at, citizen
):
    c = at(local(2026, 3, 13, 10), file_report)  # Friday 13 March 2026, 10:00 WIB
    clock = clock_of(c, ClockKind.VERIFICATION)
    assert clock.due_at == end_of(2026, 3, 25) == c.verification_due_at
    assert clock.agency.slug == "diskominfo"

    # Reminder: end of Tuesday 17 March (the working day before the deadline).
    assert sweep(end_of(2026, 3, 17)) == {}
    counts = sweep(local(2026, 3, 18, 8))
    assert counts["reminder"] == 1
    reminder = steps_of(clock)[StepKind.REMINDER]
    assert (reminder.due_at, reminder.done_at, reminder.skipped) == (end_of(2026, 3, 17), local(2026, 3, 18, 8), False)
    assert reminder.event.type == EventType.REMINDER and reminder.event.audience == models.Audience.STAFF
    assert recipients(reminder.event) == {("operator@kominfo.go.id", "inapp"), ("operator@kominfo.go.id", "email")}
    assert emails_to(citizen.email) == []  # the reporter never hears of staff deadlines

    # Overdue: not at the deadline's last microsecond, right after it.
    assert sweep(end_of(2026, 3, 25)) == {}
    assert sweep(end_of(2026, 3, 25) + MICRO)["overdue"] == 1
    overdue = steps_of(clock)[StepKind.OVERDUE]
    assert overdue.due_at == clock.due_at
    assert {email for email, _ch in recipients(overdue.event)} == {"kepala@kominfo.go.id", "operator@kominfo.go.id"}

    # Escalated three working days later: Thu 26, Fri 27, Mon 30 March.
    assert sweep(end_of(2026, 3, 30)) == {}
    assert sweep(local(2026, 3, 31, 0, 0, 1))["escalated"] == 1
    escalated = steps_of(clock)[StepKind.ESCALATED]
    assert escalated.due_at == end_of(2026, 3, 30)
    assert {email for email, _ch in recipients(escalated.event)} == {
        "kepala@kominfo.go.id",
        "auditor@inspektorat.go.id",
    }

    # Nothing more, ever; the report itself did not change.
    assert sweep(local(2026, 6, 1)) == {}
    assert Complaint.objects.get(pk=c.pk).status == models.Status.BELUM_TERVERIFIKASI
    assert len(emails_to("operator@kominfo.go.id", c.tracking_id)) == 2  # reminder + overdue
    # The head of Diskominfo reads the unverified report, so both notices reach them (not suppressed).
    assert len(emails_to("kepala@kominfo.go.id", c.tracking_id)) == 2  # overdue + escalated
    assert not Notification.objects.filter(recipient=head_diskominfo, sent_at__isnull=True).exists()
    assert not Notification.objects.filter(recipient=head_diskominfo, last_error__startswith="suppressed").exists()


@pytest.mark.parametrize(
    "zone, utc_deadline",
    [
        ("Asia/Jakarta", datetime(2026, 3, 25, 16, 59, 59, 999999, tzinfo=ZoneInfo("UTC"))),  # WIB +7
        ("Asia/Makassar", datetime(2026, 3, 25, 15, 59, 59, 999999, tzinfo=ZoneInfo("UTC"))),  # WITA +8
        ("Asia/Jayapura", datetime(2026, 3, 25, 14, 59, 59, 999999, tzinfo=ZoneInfo("UTC"))),  # WIT +9
    ],
)
def test_deadlines_follow_the_deployment_time_zone(
    settings, zone, utc_deadline, march_holidays, file_report, operator, sweep, at
):
    settings.TIME_ZONE = zone
    with timezone.override(ZoneInfo(zone)):
        c = at(local(2026, 3, 13, 10), file_report)
        clock = clock_of(c, ClockKind.VERIFICATION)
        assert clock.due_at == utc_deadline
        abbreviation = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}[zone]
        assert timezone.localtime(clock.due_at).strftime("%H:%M %Z") == "23:59 " + abbreviation
        # One minute before local midnight the deadline still holds; one second after, it is overdue.
        assert "overdue" not in sweep(local(2026, 3, 25, 23, 59))
        assert sweep(local(2026, 3, 26, 0, 0, 1))["overdue"] == 1
        event = steps_of(clock)[StepKind.OVERDUE].event
        assert event.body.endswith(" 23.59 " + abbreviation + ".") or (" " + abbreviation) in event.body


# First follow-up: disposition clocks ------------------------------------------------------------
def test_followup_ladder_and_recipients(
    disposed_report, liaison_pu, head_pu, operator, auditor, auditor_bkd, liaison_dinkes, sweep, at
):
    c = at(local(2026, 11, 2, 10), disposed_report)  # Monday
    d = c.dispositions.get()
    clock = clock_of(c, ClockKind.FOLLOWUP, d)
    assert clock.due_at == end_of(2026, 11, 9) == d.due_at
    before_c = model_to_dict(Complaint.objects.get(pk=c.pk))
    before_d = model_to_dict(Disposition.objects.get(pk=d.pk))

    assert "reminder" not in sweep(end_of(2026, 11, 6))
    assert sweep(end_of(2026, 11, 6) + MICRO)["reminder"] == 1
    assert recipients(steps_of(clock)[StepKind.REMINDER].event) == {
        ("pu@pemda.go.id", "inapp"),
        ("pu@pemda.go.id", "email"),
    }

    assert "overdue" not in sweep(end_of(2026, 11, 9))
    assert sweep(end_of(2026, 11, 9) + MICRO)["overdue"] == 1
    overdue = steps_of(clock)[StepKind.OVERDUE].event
    assert {e for e, _ch in recipients(overdue)} == {"kepala.pu@pemda.go.id", "operator@kominfo.go.id"}
    assert overdue.disposition_id == d.pk

    assert "escalated" not in sweep(end_of(2026, 11, 12))
    assert sweep(end_of(2026, 11, 12) + MICRO)["escalated"] == 1
    escalated = steps_of(clock)[StepKind.ESCALATED].event
    assert {e for e, _ch in recipients(escalated)} == {
        "kepala.pu@pemda.go.id",
        "auditor@inspektorat.go.id",
        "auditor@bkd.go.id",
    }
    assert emails_to("dinkes@pemda.go.id") == []

    # Escalation is a signal: the report's and the disposition's own fields are untouched.
    assert model_to_dict(Complaint.objects.get(pk=c.pk)) == before_c
    assert model_to_dict(Disposition.objects.get(pk=d.pk)) == before_d
    # Staff see the ladder on the timeline; the public and the reporter do not.
    assert set(
        Event.objects.filter(complaint=c, type__in=["reminder", "overdue", "escalated"]).values_list(
            "audience", flat=True
        )
    ) == {models.Audience.STAFF}


def test_a_followup_stops_the_ladder(disposed_report, liaison_pu, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    clock = clock_of(c, ClockKind.FOLLOWUP, d)
    sweep(local(2026, 11, 7))
    at(local(2026, 11, 9, 15), workflow.followup, c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami tambal.")
    sweep(local(2026, 11, 20))
    assert set(steps_of(clock)) == {StepKind.REMINDER}


def test_subdisposition_inherits_the_deadline_and_is_charged_to_the_opd(
    region, disposed_report, liaison_pu, liaison_bina_marga, head_pu, sweep, at
):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    at(local(2026, 11, 4, 9), workflow.subdispose, c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = c.dispositions.get(parent=d)
    clock = clock_of(c, ClockKind.FOLLOWUP, child)
    assert clock.due_at == end_of(2026, 11, 9) and clock.agency_id == region.pu.pk
    assert sweep(local(2026, 11, 7))["reminder"] == 1
    assert {e for e, _ch in recipients(steps_of(clock)[StepKind.REMINDER].event)} == {"binamarga@pemda.go.id"}
    assert sweep(local(2026, 11, 10))["overdue"] == 1
    assert "kepala.pu@pemda.go.id" in {e for e, _ch in recipients(steps_of(clock)[StepKind.OVERDUE].event)}


def test_redisposition_clock(disposed_report, liaison_pu, operator, head_diskominfo, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    reason = "Jalan provinsi, bukan kewenangan kabupaten."
    at(local(2026, 11, 3, 10), workflow.return_disposition, c.pk, by=liaison_pu, disposition=d.pk, reason=reason)
    clock = clock_of(c, ClockKind.REDISPOSITION)
    assert clock.due_at == end_of(2026, 11, 4) == Complaint.objects.get(pk=c.pk).redisposition_due_at
    assert "reminder" not in sweep(end_of(2026, 11, 3))
    assert sweep(local(2026, 11, 4, 1))["reminder"] == 1
    assert {e for e, _ch in recipients(steps_of(clock)[StepKind.REMINDER].event)} == {"operator@kominfo.go.id"}
    assert "overdue" not in sweep(end_of(2026, 11, 4))
    assert sweep(local(2026, 11, 5, 0, 0, 1))["overdue"] == 1
    assert {e for e, _ch in recipients(steps_of(clock)[StepKind.OVERDUE].event)} == {
        "kepala@kominfo.go.id",
        "operator@kominfo.go.id",
    }


def test_information_request_and_its_extension(region, file_report, operator, citizen, sweep, at):
    c = at(local(2026, 11, 2, 10), file_report, kind="informasi", category=region.info)
    at(local(2026, 11, 2, 11), workflow.verify, c.pk, by=operator, agencies=["ppid"])
    ppid_liaison = make_user("ppid@pemda.go.id", "Pipi PPID", ("liaison", region.ppid))
    d = c.dispositions.get()
    first = clock_of(c, ClockKind.INFORMATION, d)
    assert first.due_at == end_of(2026, 11, 16)  # 10 working days
    assert not models.Clock.objects.filter(complaint=c, kind=ClockKind.FOLLOWUP).exists()
    at(
        local(2026, 11, 12, 9),
        workflow.extend,
        c.pk,
        by=ppid_liaison,
        disposition=d.pk,
        reason="Dokumen perlu diambil dari arsip daerah.",
    )
    second = clock_of(c, ClockKind.INFORMATION, d)
    assert second.pk != first.pk and second.due_at == end_of(2026, 11, 25)  # + 7 working days
    extended = Event.objects.get(complaint=c, type=EventType.EXTENDED)
    assert (citizen.email, "email") in recipients(extended)  # the reporter is told of the extension
    assert sweep(local(2026, 11, 17)) == {}  # the old deadline passed, but that clock stopped
    assert sweep(local(2026, 11, 25, 0, 0, 1))["reminder"] == 1
    assert steps_of(first) == {}
    assert set(steps_of(second)) == {StepKind.REMINDER}
    assert sweep(end_of(2026, 11, 25) + MICRO)["overdue"] == 1


def test_settlement_ceiling(disposed_report, liaison_pu, head_pu, operator, auditor, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    # A first follow-up alone does not stop the 60-day ceiling.
    at(local(2026, 11, 3, 10), workflow.followup, c.pk, by=liaison_pu, disposition=d.pk, body="Sedang dikerjakan.")
    clock = clock_of(c, ClockKind.SETTLEMENT, d)
    assert clock.due_at == end_of(2027, 1, 1) == Disposition.objects.get(pk=d.pk).settlement_due_at
    assert sweep(end_of(2026, 12, 31) + MICRO)["reminder"] == 1
    assert "ceiling_passed" not in sweep(end_of(2027, 1, 1))
    assert not Disposition.objects.get(pk=d.pk).ceiling_passed
    counts = sweep(end_of(2027, 1, 1) + MICRO)
    assert counts["ceiling_passed"] == 1 and "overdue" not in counts
    step = steps_of(clock)[StepKind.OVERDUE]
    assert step.event.type == EventType.CEILING_PASSED and step.event.audience == models.Audience.STAFF
    assert "60" in step.event.body
    assert Disposition.objects.get(pk=d.pk).ceiling_passed
    assert {e for e, _ch in recipients(step.event)} == {"kepala.pu@pemda.go.id", "operator@kominfo.go.id"}
    # Mon 4, Tue 5, Wed 6 January.
    assert "escalated" not in sweep(end_of(2027, 1, 6))
    assert sweep(end_of(2027, 1, 6) + MICRO)["escalated"] == 1


def test_reporter_reply_auto_closes_once(disposed_report, liaison_pu, citizen, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    at(local(2026, 11, 3, 10), workflow.followup, c.pk, by=liaison_pu, disposition=d.pk, body="Sudah diperbaiki.")
    at(local(2026, 11, 4, 10), workflow.finish, c.pk, by=liaison_pu, disposition=d.pk)
    clock = clock_of(c, ClockKind.REPORTER_REPLY)
    assert clock.due_at == end_of(2026, 11, 18)
    assert sweep(end_of(2026, 11, 18)) == {}  # no reminder on the reporter's own clock
    assert Complaint.objects.get(pk=c.pk).status == models.Status.PROSES
    assert sweep(end_of(2026, 11, 18) + MICRO)["auto_closed"] == 1
    c.refresh_from_db()
    assert c.status == models.Status.SELESAI and c.closed_at == end_of(2026, 11, 18) + MICRO
    action = steps_of(clock)[StepKind.ACTION]
    assert action.event.type == EventType.CLOSED and not action.skipped
    assert sweep(local(2026, 12, 30)) == {}
    assert Event.objects.filter(complaint=c, type=EventType.CLOSED).count() == 1
    assert (
        Notification.objects.filter(
            event=action.event, recipient=citizen, channel="email", sent_at__isnull=False
        ).count()
        == 1
    )
    assert len(emails_to(citizen.email, c.tracking_id)) == 1  # only the closing was delivered in this test


def test_a_reporter_reply_restarts_the_auto_close_clock(disposed_report, liaison_pu, citizen, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    at(local(2026, 11, 3, 10), workflow.followup, c.pk, by=liaison_pu, disposition=d.pk, body="Sudah diperbaiki.")
    at(local(2026, 11, 4, 10), workflow.finish, c.pk, by=liaison_pu, disposition=d.pk)
    at(local(2026, 11, 17, 10), workflow.reply, c.pk, by=citizen, body="Masih ada satu lubang lagi.")
    assert "auto_closed" not in sweep(local(2026, 11, 19))
    assert Complaint.objects.get(pk=c.pk).status == models.Status.PROSES
    assert sweep(local(2026, 12, 2))["auto_closed"] == 1


@pytest.fixture
def sms_reporter(db):
    from accounts.models import User

    # Made by the gateway, so the number is proved (the sender holds it).
    return User.objects.create_user(
        email="6285298601110@sms.lapor.invalid", phone="085298601110", sms_only=True, phone_verified=True
    )


@pytest.fixture
def tunda_sms_report(region, sms_reporter, operator, at):
    """tunda_sms_report() → a report by SMS filed Monday 2 November 09:00, postponed at 10:00."""

    def make():
        c = at(
            local(2026, 11, 2, 9),
            workflow.file_complaint,
            reporter=sms_reporter,
            title="Lampu jalan mati",
            body="Lampu jalan di Jl. Poros mati total.",
            channel="sms",
            category=region.roads,
        )
        at(local(2026, 11, 2, 10), workflow.postpone, c.pk, by=operator, reason="Sebutkan nama desa.")
        return c

    return make


def test_tunda_reminds_on_every_channel_then_archives(tunda_sms_report, sms_reporter, sms_outbox, sweep):
    c = tunda_sms_report()
    clock = clock_of(c, ClockKind.TUNDA)
    assert clock.due_at == end_of(2026, 11, 16)
    sms_outbox.clear()
    assert sweep(end_of(2026, 11, 13)) == {}
    assert sweep(end_of(2026, 11, 13) + MICRO)["reminder"] == 1
    reminder = steps_of(clock)[StepKind.REMINDER].event
    assert reminder.audience == models.Audience.REPORTER
    assert recipients(reminder) == {(sms_reporter.email, "inapp"), (sms_reporter.email, "sms")}
    assert len(sms_outbox) == 1 and c.tracking_id in sms_outbox[0][1] and "BALAS" in sms_outbox[0][1]
    assert emails_to("operator@kominfo.go.id", c.tracking_id) == []
    assert sweep(end_of(2026, 11, 16)) == {}
    assert sweep(end_of(2026, 11, 16) + MICRO)["auto_archived"] == 1
    c.refresh_from_db()
    assert (c.status, c.archive_reason) == (models.Status.ARSIP, models.ArchiveReason.NO_COMPLETION)
    assert len(sms_outbox) == 2  # and told when it happens
    assert sweep(local(2026, 12, 1)) == {}


def test_verification_pauses_while_tunda_and_resumes_with_the_days_left(
    file_report, operator, citizen, head_diskominfo, sweep, at
):
    c = at(local(2026, 11, 2, 10), file_report)  # Monday: due end of Thursday 5 November
    first = clock_of(c, ClockKind.VERIFICATION)
    assert first.due_at == end_of(2026, 11, 5)
    at(local(2026, 11, 3, 10), workflow.postpone, c.pk, by=operator, reason="Mohon sebutkan lokasi persisnya.")
    first.refresh_from_db()
    assert (first.stopped_at, first.stop_reason) == (local(2026, 11, 3, 10), "paused")
    assert Complaint.objects.get(pk=c.pk).verification_days_left == 2  # Wednesday 4 and Thursday 5
    # Paused: the old deadline passes without a step.
    assert "overdue" not in sweep(local(2026, 11, 6, 10))
    assert steps_of(first) == {}

    at(local(2026, 11, 9, 10), workflow.complete, c.pk, by=citizen, body="Di depan Pasar Baru, sisi timur.")
    resumed = clock_of(c, ClockKind.VERIFICATION)
    assert resumed.pk != first.pk and resumed.length == 2
    assert resumed.due_at == end_of(2026, 11, 11) == Complaint.objects.get(pk=c.pk).verification_due_at
    assert "reminder" not in sweep(end_of(2026, 11, 10))
    assert sweep(end_of(2026, 11, 10) + MICRO)["reminder"] == 1
    assert "overdue" not in sweep(end_of(2026, 11, 11))
    assert sweep(end_of(2026, 11, 11) + MICRO)["overdue"] == 1
    assert set(steps_of(resumed)) == {StepKind.REMINDER, StepKind.OVERDUE}


def test_a_late_sweep_skips_the_reminder_but_records_the_rest(
    disposed_report, liaison_pu, head_pu, tunda_sms_report, sms_outbox, sweep, at
):
    c = at(local(2026, 11, 2, 10), disposed_report)
    clock = clock_of(c, ClockKind.FOLLOWUP)
    late = local(2026, 11, 20, 9)  # the beat was down for two weeks
    counts = sweep(late)
    assert (counts["reminder_skipped"], counts["overdue"], counts["escalated"]) == (1, 1, 1)
    s = steps_of(clock)
    assert s[StepKind.REMINDER].skipped and s[StepKind.REMINDER].event is None
    assert emails_to("pu@pemda.go.id") == []
    # Evidence: the instant each step was due, and the instant it was recorded.
    assert (s[StepKind.OVERDUE].due_at, s[StepKind.OVERDUE].done_at) == (end_of(2026, 11, 9), late)
    assert (s[StepKind.ESCALATED].due_at, s[StepKind.ESCALATED].done_at) == (end_of(2026, 11, 12), late)

    # A tunda report whose sweep came late: archived, and no reminder after the fact.
    t = tunda_sms_report()
    sms_outbox.clear()
    counts = sweep(local(2026, 11, 25))
    assert counts["auto_archived"] == 1 and counts["reminder_skipped"] == 1
    assert len(sms_outbox) == 1 and t.tracking_id in sms_outbox[0][1]
    assert Notification.objects.get(complaint=t, channel="sms", event__type=EventType.ARCHIVED).sent_at


# Exactly once ---------------------------------------------------------------------------------------
LADDER_EVENTS = [EventType.REMINDER, EventType.OVERDUE, EventType.ESCALATED]


def _ladder_complete(clocks):
    for clock in clocks:
        assert sorted(steps_of(clock)) == sorted([StepKind.REMINDER, StepKind.OVERDUE, StepKind.ESCALATED])
        assert all(not s.skipped for s in steps_of(clock).values())


def _one_email_each():
    """Every email of the ladder was sent, exactly once (the workflow's own mails stay undelivered here)."""
    rows = Notification.objects.filter(channel="email", event__type__in=LADDER_EVENTS).select_related("recipient")
    assert rows and all(n.sent_at for n in rows)
    for n in rows:
        matching = [m for m in mail.outbox if m.to == [n.recipient.email] and m.subject == n.subject]
        assert len(matching) == 1, (n.recipient.email, n.subject)
    assert len(mail.outbox) == len(rows)


@pytest.fixture
def ten_reminders(disposed_report, liaison_pu, head_pu, operator, auditor, at):
    """Ten reports disposed to Dinas PU on Monday 2 November 2026 with staff to tell."""
    reports = [at(local(2026, 11, 2, 10, i), disposed_report, title=f"Jalan berlubang nomor {i}") for i in range(10)]
    mail.outbox.clear()
    return [clock_of(c, ClockKind.FOLLOWUP) for c in reports]


def test_repeated_sweeps_do_each_step_once(ten_reminders, sweep):
    for day in (7, 7, 10, 13, 13, 30):  # November 2026; some days twice
        sweep(local(2026, 11, day))
    _ladder_complete(ten_reminders)
    assert Event.objects.filter(type__in=["reminder", "overdue", "escalated"]).count() == 30
    _one_email_each()


class Crash(BaseException):
    """Not an Exception: like a worker killed in the middle, it escapes the sweep's handlers."""


@pytest.mark.parametrize("failure", [RuntimeError, Crash])
def test_a_sweep_that_fails_midway_is_rerun_to_the_same_result(ten_reminders, sweep, monkeypatch, failure):
    real = notify.for_event
    calls = {"n": 0}

    def flaky(event, extra=()):
        calls["n"] += 1
        if calls["n"] == 15:  # the 15th step of the second sweep: after its ClockStep row was written
            raise failure("mid-way")
        return real(event, extra=extra)

    sweep(local(2026, 11, 7))  # the ten reminders
    monkeypatch.setattr(notify, "for_event", flaky)
    if failure is Crash:
        with pytest.raises(Crash):
            sweep(local(2026, 11, 13))
    else:
        assert sweep(local(2026, 11, 13))["errors"] == 1
    # The failing clock kept nothing of its transaction: no step without its event and outbox rows.
    assert not ClockStep.objects.filter(event__isnull=True, skipped=False).exists()
    done = ClockStep.objects.count()
    assert 10 < done < 30
    monkeypatch.setattr(notify, "for_event", real)
    assert sweep(local(2026, 11, 13)).get("errors", 0) == 0
    _ladder_complete(ten_reminders)
    _one_email_each()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (SKIP LOCKED) need PostgreSQL; SQLite has one writer"
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_share_the_work(ten_reminders):
    # Twenty more clocks: enough to overlap.
    more = [clock_of(c, ClockKind.FOLLOWUP) for c in _more_reports(20)]
    clocks = ten_reminders + more
    results, errors = [], []
    for now in (local(2026, 11, 7), local(2026, 11, 13)):  # the reminders, then overdue and escalation
        done, failed = run_at_once(lambda now=now: sla.sla_sweep(now))
        results += done
        errors += failed
    assert not errors and len(results) == 4
    total = sum(r["reminder"] + r["overdue"] + r["escalated"] for r in results)
    assert total == 90  # no step done twice, none dropped
    assert sum(r["deferred"] for r in results) == 0
    _ladder_complete(clocks)
    assert Event.objects.filter(type__in=["reminder", "overdue", "escalated"]).count() == 90
    _one_email_each()


def _more_reports(n):
    from complaints.models import Complaint as C

    reporter = C.objects.first().reporter
    operator = make_user("operator2@kominfo.go.id", "Opa Operator", ("operator", _region_agency("diskominfo")))
    out = []
    for i in range(n):
        with time_machine.travel(local(2026, 11, 2, 11, i), tick=False):
            c = workflow.file_complaint(
                reporter=reporter, title=f"Drainase tersumbat {i}", body="Saluran air tersumbat sampah sejak seminggu."
            )
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        out.append(c)
    mail.outbox.clear()
    return out


def _region_agency(slug):
    from agencies.models import Agency

    return Agency.objects.get(slug=slug)


# Holidays and policy --------------------------------------------------------------------------------
def test_a_new_holiday_moves_open_deadlines_later(disposed_report, liaison_pu, at, django_capture_on_commit_callbacks):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    followup = clock_of(c, ClockKind.FOLLOWUP, d)
    settlement = clock_of(c, ClockKind.SETTLEMENT, d)
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2026, 11, 5), name="Hari Jadi Kabupaten", kind=Holiday.Kind.LOCAL)
    followup.refresh_from_db()
    assert followup.due_at == end_of(2026, 11, 10)
    assert Disposition.objects.get(pk=d.pk).due_at == end_of(2026, 11, 10)
    settlement_before = settlement.due_at
    settlement.refresh_from_db()
    assert settlement.due_at == settlement_before  # calendar days: holidays do not count
    event = Event.objects.get(complaint=c, type=EventType.CALENDAR_CHANGED)
    assert event.audience == models.Audience.STAFF and event.disposition_id is None
    assert event.data["clocks"] == [
        {
            "clock": followup.pk,
            "kind": ClockKind.FOLLOWUP,
            "from": end_of(2026, 11, 9).isoformat(),
            "to": end_of(2026, 11, 10).isoformat(),
        }
    ]
    assert "Tindak lanjut pertama" in event.body and "Dinas PU" in event.body

    # Removing it again never moves the deadline earlier, and writes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.filter(date=date(2026, 11, 5)).delete()
    followup.refresh_from_db()
    assert followup.due_at == end_of(2026, 11, 10)
    assert Event.objects.filter(complaint=c, type=EventType.CALENDAR_CHANGED).count() == 1


def test_a_holiday_after_the_deadline_or_on_a_closed_clock_changes_nothing(
    disposed_report, liaison_pu, at, django_capture_on_commit_callbacks
):
    c = at(local(2026, 11, 2, 10), disposed_report)
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2026, 11, 20), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    assert clock_of(c, ClockKind.FOLLOWUP).due_at == end_of(2026, 11, 9)
    assert not Event.objects.filter(type=EventType.CALENDAR_CHANGED).exists()


def test_holiday_change_keeps_steps_taken_and_inherited_deadlines(
    disposed_report, liaison_pu, sweep, at, django_capture_on_commit_callbacks
):
    c = at(local(2026, 11, 2, 10), disposed_report)
    d = c.dispositions.get()
    at(local(2026, 11, 4, 9), workflow.subdispose, c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = c.dispositions.get(parent=d)
    clock = clock_of(c, ClockKind.FOLLOWUP, child)
    sweep(local(2026, 11, 7))  # the reminder was sent
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2026, 11, 6), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    clock.refresh_from_db()
    # The unit keeps the OPD's deadline, moved by the one holiday (not re-counted from its own start).
    assert clock.due_at == end_of(2026, 11, 10) == Disposition.objects.get(pk=child.pk).due_at
    assert set(steps_of(clock)) == {StepKind.REMINDER}  # never undone
    assert sweep(end_of(2026, 11, 10) + MICRO)["overdue"] == 1


def test_a_moved_extra_working_day_recomputes_from_its_old_date(
    disposed_report, at, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        saturday = Holiday.objects.create(date=date(2026, 11, 7), name="Sabtu masuk", kind=Holiday.Kind.WORKING_DAY)
    c = at(local(2026, 11, 2, 10), disposed_report)
    clock = clock_of(c, ClockKind.FOLLOWUP)
    assert clock.due_at == end_of(2026, 11, 7)
    with django_capture_on_commit_callbacks(execute=True):
        saturday.date = date(2026, 11, 14)
        saturday.save()
    clock.refresh_from_db()
    assert clock.due_at == end_of(2026, 11, 9)


def test_recompute_falls_back_in_process_when_the_broker_is_down(
    disposed_report, at, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    c = at(local(2026, 11, 2, 10), disposed_report)
    monkeypatch.setattr(tasks.recompute_deadlines, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=date(2026, 11, 5), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    assert clock_of(c, ClockKind.FOLLOWUP).due_at == end_of(2026, 11, 10)


def test_policy_change_applies_to_clocks_started_after_it(disposed_report, sweep, at):
    first = at(local(2026, 11, 2, 10), disposed_report)
    policy = SlaPolicy.current()
    policy.followup_days = 2
    policy.save()
    second = at(local(2026, 11, 2, 11), disposed_report, title="Jembatan retak di Desa Lamokato")
    old, new = clock_of(first, ClockKind.FOLLOWUP), clock_of(second, ClockKind.FOLLOWUP)
    assert (old.length, old.due_at) == (5, end_of(2026, 11, 9))
    assert (new.length, new.due_at) == (2, end_of(2026, 11, 4))
    sweep(local(2026, 11, 5, 9))
    assert StepKind.OVERDUE in steps_of(new) and StepKind.OVERDUE not in steps_of(old)


# The next step: what the sweep selects on (docs/clocks.md, "The sweep's cost") ------------------
def test_each_running_clock_knows_its_next_step_and_a_done_ladder_is_not_read_again(disposed_report, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)
    clock = clock_of(c, ClockKind.FOLLOWUP, c.dispositions.get())
    assert clock.next_step_at == end_of(2026, 11, 6)  # the reminder, one working day before the deadline
    sweep(end_of(2026, 11, 6) + MICRO)
    clock.refresh_from_db()
    assert clock.next_step_at == end_of(2026, 11, 9)  # the deadline: the overdue step
    sweep(local(2026, 11, 20))  # overdue and escalated
    clock.refresh_from_db()
    assert clock.next_step_at == clocks.LADDER_DONE
    # Nothing is due any more: the next sweeps select no clock of this report (only its 60-day
    # settlement clock, due much later, runs beside it), and take nothing.
    later = local(2026, 11, 23, 9)
    assert not sla.due_clocks(later).filter(complaint=c).exists()
    assert "clocks" not in sweep(later)
    assert ClockStep.objects.filter(clock=clock).count() == 3


def test_the_selection_is_a_range_on_the_next_step(db):
    sql = str(sla.due_clocks(local(2026, 11, 2, 10)).query)
    assert "next_step_at" in sql and "ClockStep".lower() not in sql.lower() and "EXISTS" not in sql


def test_a_clock_whose_next_step_is_not_known_is_read_by_the_next_sweep(disposed_report, sweep, at):
    # A row from before the column, or one a bulk loader wrote without it: looked at once.
    c = at(local(2026, 11, 2, 10), disposed_report)
    clock = clock_of(c, ClockKind.FOLLOWUP, c.dispositions.get())
    models.Clock.objects.filter(pk=clock.pk).update(next_step_at=None)
    counts = sweep(local(2026, 11, 4, 9))  # before the reminder: nothing to take, the next step known
    assert "reminder" not in counts
    clock.refresh_from_db()
    assert clock.next_step_at == end_of(2026, 11, 6)
    models.Clock.objects.filter(pk=clock.pk).update(next_step_at=None)
    assert sweep(local(2026, 11, 13, 9))["escalated"] == 1  # all of its due steps at once
    assert set(steps_of(clock)) == {StepKind.REMINDER, StepKind.OVERDUE, StepKind.ESCALATED}


@pytest.mark.parametrize("batch_size", [1, 2, sla.SWEEP_PAGE])
def test_the_sweep_pages_through_both_walks_and_takes_every_due_step_once(
    disposed_report, at, django_capture_on_commit_callbacks, batch_size
):
    # Four reports due Monday 9 November; two of their clocks have no next step known. Small pages
    # cross from the unknown walk to the due walk and between equal next steps (the keyset's pk).
    reports = [at(local(2026, 11, 2, 10), disposed_report) for _ in range(4)]
    followups = [clock_of(c, ClockKind.FOLLOWUP, c.dispositions.get()) for c in reports]
    models.Clock.objects.filter(pk__in=[followups[0].pk, followups[2].pk]).update(next_step_at=None)
    with time_machine.travel(end_of(2026, 11, 9) + MICRO, tick=False), django_capture_on_commit_callbacks(execute=True):
        counts = sla.sla_sweep(batch_size=batch_size)
        again = sla.sla_sweep(batch_size=batch_size)
    # Past the deadline the reminder is recorded as skipped and the overdue step taken.
    assert counts["overdue"] == 4 and counts["reminder_skipped"] == 4
    assert "overdue" not in again and "reminder_skipped" not in again
    for clock in followups:
        assert set(steps_of(clock)) == {StepKind.REMINDER, StepKind.OVERDUE}
        clock.refresh_from_db()
        assert clock.next_step_at == end_of(2026, 11, 12)  # the escalation, three working days on


def test_the_walks_are_ordered_by_their_own_index(db):
    # Each walk is ordered by the key of its partial index (clock_next_step_unknown,
    # clock_next_step), which is what lets PostgreSQL stop at the first clock not due.
    (unknown, unknown_order), (due, due_order) = sla._due_walks(local(2026, 11, 2, 10))
    assert unknown_order == ("pk",) and due_order == ("next_step_at", "pk")
    indexes = {i.name: i for i in models.Clock._meta.indexes}
    assert indexes["clock_next_step_unknown"].fields == ["id"]
    assert str(indexes["clock_next_step_unknown"].condition) == str(
        Q(stopped_at__isnull=True, next_step_at__isnull=True)
    )
    assert indexes["clock_next_step"].fields == ["next_step_at"]
    assert "IS NULL" in str(unknown.query) and "< " in str(due.query)


def test_a_policy_change_of_the_escalation_days_moves_running_ladders(disposed_report, sweep, at):
    c = at(local(2026, 11, 2, 10), disposed_report)  # due Monday 9 November
    clock = clock_of(c, ClockKind.FOLLOWUP, c.dispositions.get())
    sweep(end_of(2026, 11, 9) + MICRO)  # reminder and overdue
    clock.refresh_from_db()
    assert clock.next_step_at == end_of(2026, 11, 12)  # escalation: three working days later
    policy = SlaPolicy.current()
    policy.escalation_after_days = 1
    policy.save()
    assert "escalated" not in sweep(end_of(2026, 11, 10))
    assert sweep(end_of(2026, 11, 10) + MICRO)["escalated"] == 1


def test_a_holiday_removed_after_the_deadline_brings_the_next_step_forward(
    disposed_report, sweep, at, django_capture_on_commit_callbacks
):
    holiday = Holiday.objects.create(date=date(2026, 11, 11), name="Hari jadi kabupaten")
    c = at(local(2026, 11, 2, 10), disposed_report)  # due Monday 9 November
    clock = clock_of(c, ClockKind.FOLLOWUP, c.dispositions.get())
    sweep(end_of(2026, 11, 9) + MICRO)
    clock.refresh_from_db()
    assert clock.next_step_at == end_of(2026, 11, 13)  # three working days, Wednesday 11 a holiday
    # The holiday is withdrawn: the deadline stays (never earlier), the escalation comes a day
    # sooner, and a next step remembered from before must not hold it back.
    with django_capture_on_commit_callbacks(execute=True):
        holiday.delete()
    assert "escalated" not in sweep(end_of(2026, 11, 12))
    assert sweep(end_of(2026, 11, 12) + MICRO)["escalated"] == 1
    clock.refresh_from_db()
    assert clock.due_at == end_of(2026, 11, 9)


# The selection in SQL matches the ladder --------------------------------------------------------
@pytest.mark.parametrize("days", range(0, 22))
def test_sql_selection_matches_the_ladder(march_holidays, disposed_report, at, days):
    c = at(local(2026, 3, 11, 10), disposed_report)  # due 25 March: the ladder crosses Nyepi and Idul Fitri
    for hour in (0, 12, 23):
        now = local(2026, 3, 11, hour) + timedelta(days=days)
        policy = SlaPolicy.current()
        selected = set(sla.due_clocks(now, policy).values_list("pk", flat=True))
        for clock in models.Clock.objects.filter(complaint=c, stopped_at__isnull=True):
            due = any(now > instant for _step, instant in sla.ladder(clock, policy))
            assert (clock.pk in selected) == due, (clock.kind, now)


# The command ----------------------------------------------------------------------------------------
def test_command_runs_a_sweep_at_the_given_instant(ten_reminders, capsys):
    call_command("sla_sweep", "--now", "2026-11-07T09:00:00+07:00")
    assert capsys.readouterr().out.strip() == "sla_sweep 2026-11-07T09:00:00+07:00: clocks=10 reminder=10"
    call_command("sla_sweep", "--now", "2026-11-13T09:00:00+07:00")
    assert capsys.readouterr().out.strip() == "sla_sweep 2026-11-13T09:00:00+07:00: clocks=10 overdue=10 escalated=10"
    call_command("sla_sweep", "--now", "2026-11-13T09:00:00")  # naive: the deployment's time zone
    assert capsys.readouterr().out.strip() == "sla_sweep 2026-11-13T09:00:00+07:00: nothing due"
    assert ClockStep.objects.count() == 30


@pytest.mark.parametrize("value", ["kemarin", "2026-13-01", "2026-11-31T10:00"])
def test_command_rejects_a_bad_instant(db, value):
    with pytest.raises(CommandError, match="ISO-8601"):
        call_command("sla_sweep", "--now", value)


# The sweep's cost -----------------------------------------------------------------------------------
def _sweep_queries(instant):
    """The SQL of one sweep at `instant` (deliveries left out: they run in the worker)."""
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(instant, tick=False), CaptureQueriesContext(connection) as ctx:
        counts = sla.sla_sweep()
    return counts, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("reports, more_staff", [(1, 0), (20, 30)])
def test_a_sweeps_queries_grow_with_neither_clocks_nor_staff(
    region, disposed_report, liaison_pu, head_pu, operator, auditor, at, reports, more_staff
):
    for i in range(reports):
        at(local(2026, 11, 2, 10, i), disposed_report, title=f"Jalan berlubang nomor {i}")
    for i in range(more_staff):
        role, agency = [("liaison", region.pu), ("head", region.pu), ("operator", region.diskominfo)][i % 3]
        make_user(f"staf{i}@pemda.go.id", f"Staf {i}", (role, agency), ("auditor", region.inspektorat))
    counts, _sql = _sweep_queries(local(2026, 11, 7))  # the reminders
    assert counts["reminder"] == reports
    counts, sql = _sweep_queries(local(2026, 11, 13))  # overdue and escalated: heads, operators, auditors
    assert (counts["overdue"], counts["escalated"]) == (reports, reports)
    # policy, the two walks of due clocks (next step unknown, next step due); then in one transaction: claim the clocks, their reports and their steps,
    # read the staff, write the events, the outbox rows, the steps and the clocks' next steps
    # (savepoints included). The
    # outbox rows go in one INSERT, or as few as the database's limit on parameters allows
    # (SQLite: a few dozen rows a statement; PostgreSQL: all of them).
    outbox = [q for q in sql if q.startswith('INSERT INTO "complaints_notification"')]
    rows = Notification.objects.filter(event__type__in=(EventType.OVERDUE, EventType.ESCALATED)).count()
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    per_statement = connection.ops.bulk_batch_size(fields, [None] * rows)
    assert len(outbox) == -(-rows // per_statement)
    # (One of them moves the public pages' generation on: complaints.common.publication.)
    assert len(sql) - len(outbox) <= 15, "\n".join(q[:120] for q in sql)
    assert sum('FROM "accounts_membership"' in q for q in sql) == 1  # the staff, read once per sweep
    assert Notification.objects.filter(event__type=EventType.ESCALATED).count() == reports * 2 * (2 + more_staff)


def test_one_sweep_leaves_out_the_operators_of_each_reports_terlapor(
    region, disposed_report, operator, head_pu, liaison_pu, sweep, at
):
    # An operator seconded from Dinas Kesehatan: conflicted on reports about Dinkes, not on others.
    seconded = make_user("operator@dinkes.go.id", "Oka Operator", ("operator", region.puskesmas))
    about_dinkes = at(local(2026, 11, 2, 10), disposed_report, terlapor_agency=region.dinkes)
    other = at(local(2026, 11, 2, 10, 5), disposed_report, title="Jembatan retak di Desa Lamokato")
    assert sweep(local(2026, 11, 10, 9))["overdue"] == 2  # one sweep: one reading of the staff serves both
    overdue = {c.pk: steps_of(clock_of(c, ClockKind.FOLLOWUP))[StepKind.OVERDUE].event for c in (about_dinkes, other)}
    assert {e for e, _ch in recipients(overdue[about_dinkes.pk])} == {head_pu.email, operator.email}
    assert {e for e, _ch in recipients(overdue[other.pk])} == {head_pu.email, operator.email, seconded.email}


@pytest.mark.django_db(transaction=True)
def test_a_sweep_hands_its_outbox_to_the_broker_in_a_few_messages(ten_reminders, monkeypatch):
    from complaints import tasks

    batches, singles = [], []
    monkeypatch.setattr(tasks.deliver_notifications, "delay", lambda pks: batches.append(list(pks)))
    monkeypatch.setattr(tasks.deliver_notification, "delay", singles.append)
    with time_machine.travel(local(2026, 11, 13), tick=False):
        counts = sla.sla_sweep()
    assert (counts["overdue"], counts["escalated"]) == (10, 10)
    rows = Notification.objects.filter(event__type__in=LADDER_EVENTS)
    assert singles == [] and len(batches) == 1  # ten clocks: one transaction, one message
    assert sorted(pk for batch in batches for pk in batch) == sorted(rows.values_list("pk", flat=True))
    # The worker delivers each row once, however often the message comes.
    for _ in range(2):
        for batch in batches:
            tasks.deliver_notifications.apply(args=(batch,))
    _one_email_each()


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_costs_a_sweep_one_attempt_and_delays_its_mail(ten_reminders, monkeypatch):
    from complaints import tasks

    _more_reports(20)  # thirty clocks: two transactions
    calls = []

    def down(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notifications, "delay", down)
    monkeypatch.setattr(tasks.deliver_notification, "delay", down)
    with time_machine.travel(local(2026, 11, 13), tick=False):
        counts = sla.sla_sweep()
    assert (counts["overdue"], counts["escalated"]) == (30, 30)
    assert len(calls) == 1  # the first failure ends the hand-over for a while
    assert mail.outbox == []
    monkeypatch.undo()
    assert (
        notify.flush_outbox(older_than_seconds=0) == Notification.objects.filter(event__type__in=LADDER_EVENTS).count()
    )
    _one_email_each()
