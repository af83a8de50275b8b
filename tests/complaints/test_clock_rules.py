"""Clock rules across the lifecycle, with worked dates (November 2026 has no holiday; day 1 is the
first working day after the clock starts, a deadline is the end of its last working day):

- a follow-up stops the clocks waiting for it in any disposition state, also after a reopen, when
  the disposition is already ditindaklanjuti and has a new clock;
- an escalation recorded after its month's recommendation was made goes into the next month
  built, marked late: never dropped, never counted twice.

Both for every clock a follow-up stops: the first follow-up clock and the information clock."""

import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from complaints import workflow
from complaints.dashboards import exports
from complaints.deadlines import sanctions
from complaints.deadlines.clocks import FOLLOWUP_STOPS
from complaints.models import (
    Clock,
    ClockKind,
    ClockStep,
    DispositionStatus,
    Event,
    EventType,
    Sanction,
    SanctionEvidence,
    StepKind,
)
from tests.clock import at, end_of, local, sweep
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NOVEMBER, DECEMBER = date(2026, 11, 1), date(2026, 12, 1)


@pytest.fixture(params=[ClockKind.FOLLOWUP, ClockKind.INFORMATION])
def kind(request):
    """Each clock a follow-up stops: an aduan's first follow-up clock (5 working days, Dinas PU)
    or a permintaan informasi's clock (10 working days, PPID)."""
    return request.param


@pytest.fixture
def handled(kind, region, file_report, operator, liaison_pu):
    """handled(instant, title) → a report of `kind` verified and disposed at `instant`, and the
    liaison of the OPD that has it."""
    if kind == ClockKind.FOLLOWUP:
        liaison, fields, agency = liaison_pu, {}, "dinas-pu"
    else:
        liaison = make_user("ppid@pemda.go.id", "Pipi PPID", ("liaison", region.ppid))
        fields, agency = {"kind": "informasi", "category": region.info}, "ppid"

    def make(instant, title):
        c = at(instant, file_report, title=title, **fields)
        at(instant, workflow.verify, c.pk, by=operator, agencies=[agency])
        return c

    make.liaison, make.agency = liaison, agency
    return make


def test_kinds_cover_every_clock_a_followup_stops():
    assert set(FOLLOWUP_STOPS) == {ClockKind.FOLLOWUP, ClockKind.INFORMATION}


# A follow-up after a reopen ----------------------------------------------------------------------
def reopened_on_friday_6(handled, citizen):
    """A report handled from Monday 2 November, finished and accepted, reopened by the citizen on
    Friday 6 November at 10:00: (report, its disposition)."""
    c = handled(local(2026, 11, 2, 10), "Jalan berlubang di depan pasar")
    d = c.dispositions.get()
    liaison = handled.liaison
    at(local(2026, 11, 3, 9), workflow.followup, c.pk, by=liaison, disposition=d.pk, body="Sudah kami tinjau.")
    at(local(2026, 11, 4, 9), workflow.finish, c.pk, by=liaison, disposition=d.pk)
    at(local(2026, 11, 5, 9), workflow.accept, c.pk, by=citizen)
    at(local(2026, 11, 6, 10), workflow.reopen, c.pk, by=citizen, body="Masalahnya muncul lagi setelah hujan.")
    return c, d


def test_a_followup_after_a_reopen_stops_the_new_clock(kind, handled, citizen):
    c, d = reopened_on_friday_6(handled, citizen)

    d.refresh_from_db()
    assert d.status == DispositionStatus.DITINDAKLANJUTI
    reopened = Clock.objects.get(disposition=d, kind=kind, stopped_at__isnull=True)
    # From Friday 6 November: Mon 9 = day 1; 5 working days end Friday 13, 10 end Friday 20.
    expected = end_of(2026, 11, 13) if kind == ClockKind.FOLLOWUP else end_of(2026, 11, 20)
    assert reopened.due_at == expected and d.due_at == expected

    at(
        local(2026, 11, 9, 10),
        workflow.followup,
        c.pk,
        by=handled.liaison,
        disposition=d.pk,
        body="Tim turun lagi hari ini.",
    )
    reopened.refresh_from_db()
    d.refresh_from_db()
    assert reopened.stopped_at == local(2026, 11, 9, 10) and reopened.stop_reason == "followed_up"
    assert d.due_at is None  # off the overdue queues
    assert not Clock.objects.filter(disposition=d, kind__in=FOLLOWUP_STOPS, stopped_at__isnull=True).exists()

    # Past the deadline and its escalation (Wednesday 18 or 25 November): nothing of the ladder.
    sweep(local(2026, 11, 30, 9))
    assert not ClockStep.objects.filter(clock__complaint=c).exists()
    assert not Event.objects.filter(
        complaint=c, type__in=[EventType.REMINDER, EventType.OVERDUE, EventType.ESCALATED]
    ).exists()
    result = sanctions.build_month(NOVEMBER, now=local(2026, 12, 1, 6))
    assert result["created"] == [] and result["late"] == 0
    assert not SanctionEvidence.objects.exists()


def test_a_reopened_clock_not_answered_still_climbs_its_ladder(kind, handled, citizen):
    """The rule stops clocks on a follow-up only: a reopened disposition nobody answers escalates."""
    c, d = reopened_on_friday_6(handled, citizen)
    sweep(local(2026, 11, 30, 9))
    reopened = Clock.objects.get(disposition=d, kind=kind, started_at=local(2026, 11, 6, 10))
    assert set(reopened.steps.values_list("step", flat=True)) == {
        StepKind.REMINDER,
        StepKind.OVERDUE,
        StepKind.ESCALATED,
    }
    made = sanctions.build_month(NOVEMBER, now=local(2026, 12, 1, 6))["created"]
    assert [e["clock"] for s in made for e in s.evidence] == [reopened.pk]


# Late escalations --------------------------------------------------------------------------------
def test_a_late_escalation_goes_into_the_next_month_built(
    kind, handled, region, disposed_report, dinkes_report_of_monday_16, auditor, auditor_bkd, client
):
    # Charged to an agency that gets a November recommendation: escalated Thursday 12 November (a
    # follow-up clock: due Monday 9) or Thursday 19 November (an information clock: due Monday 16).
    early = handled(local(2026, 11, 2, 10), "Jalan berlubang di depan pasar")
    # Due Monday 23 November (from Monday 16 for 5 working days, from Monday 9 for 10), escalated
    # at the end of Thursday 26 November.
    start = local(2026, 11, 16, 10) if kind == ClockKind.FOLLOWUP else local(2026, 11, 9, 10)
    late = handled(start, "Gorong-gorong ambrol di Jl. Poros")
    # Charged to an agency without a November recommendation, due and escalated on the same days.
    late_dinkes = dinkes_report_of_monday_16()
    sweep(local(2026, 11, 20, 9))
    november = sanctions.build_month(NOVEMBER, now=local(2026, 12, 1, 6))
    assert [s.agency.slug for s in november["created"]] == [handled.agency]
    frozen = Sanction.objects.get(month=NOVEMBER)
    assert [e["tracking_id"] for e in frozen.evidence] == [early.tracking_id]
    assert frozen.evidence[0]["late"] is False and frozen.evidence[0]["escalation_month"] == "2026-11"

    # The beat was down: both late escalations are recorded on Wednesday 2 December.
    sweep(local(2026, 12, 2, 9))
    steps = {
        s.clock.complaint_id: s
        for s in ClockStep.objects.filter(step=StepKind.ESCALATED).select_related("clock", "clock__complaint")
    }
    assert timezone.localtime(steps[late.pk].due_at) == end_of(2026, 11, 26)
    assert timezone.localtime(steps[late_dinkes.pk].due_at) == end_of(2026, 11, 26)
    assert steps[late.pk].clock.kind == kind

    # November is not built again; December's build (1 January, 06:00) takes both, marked late.
    december = sanctions.build_month(DECEMBER, now=local(2027, 1, 1, 6))
    made = {s.agency.slug: s for s in december["created"]}
    assert sorted(made) == sorted([handled.agency, "dinkes"])
    for slug, report in ((handled.agency, late), ("dinkes", late_dinkes)):
        (item,) = made[slug].evidence
        assert item["tracking_id"] == report.tracking_id and item["step"] == steps[report.pk].pk
        assert item["late"] is True and item["escalation_month"] == "2026-11"
        assert sanctions.late_evidence(made[slug]) == 1
    # November's frozen evidence is untouched; every escalation counted exactly once.
    frozen.refresh_from_db()
    assert [e["tracking_id"] for e in frozen.evidence] == [early.tracking_id]
    counted = list(SanctionEvidence.objects.values_list("step__clock__complaint", "sanction__month"))
    assert sorted(counted) == sorted([(early.pk, NOVEMBER), (late.pk, DECEMBER), (late_dinkes.pk, DECEMBER)])

    # Re-running either month changes nothing.
    again = sanctions.build_month(DECEMBER, now=local(2027, 1, 2, 6))
    assert again["created"] == [] and again["late"] == 0
    assert sanctions.build_month(NOVEMBER, now=local(2027, 1, 2, 6))["created"] == []
    assert SanctionEvidence.objects.count() == 3

    # Visible as late in the payroll export and on the page.
    ours = made[handled.agency]
    sanctions.confirm(ours.pk, auditor_bkd, "Tidak ada tindak lanjut tanpa alasan yang sah.")
    rows = list(csv.reader(io.StringIO(exports.sanctions_csv([Sanction.objects.get(pk=ours.pk)]).decode("utf-8-sig"))))
    assert rows[0][-1] == "Bukti susulan dari bulan sebelumnya"
    assert rows[1][:3] == [ours.agency.name, "2026-12", "1"] and rows[1][-1] == "1"
    client.force_login(auditor)
    page = client.get(f"/audit/sanksi/{ours.pk}/").content.decode()
    assert "Susulan: dieskalasi pada bulan 2026-11" in page
    assert "(1 susulan dari bulan sebelumnya)" in page


def test_an_escalation_waiting_for_its_recommendation_is_late_then_carried(handled, kind):
    """A re-run of the month after the late escalation reports it as waiting (the frozen evidence
    keeps it out) and the next month still takes it."""
    handled(local(2026, 11, 2, 10), "Jalan berlubang di depan pasar")
    start = local(2026, 11, 16, 10) if kind == ClockKind.FOLLOWUP else local(2026, 11, 9, 10)
    late = handled(start, "Gorong-gorong ambrol di Jl. Poros")
    sweep(local(2026, 11, 20, 9))
    sanctions.build_month(NOVEMBER, now=local(2026, 12, 1, 6))
    sweep(local(2026, 12, 2, 9))
    rerun = sanctions.build_month(NOVEMBER, now=local(2026, 12, 2, 10))
    assert rerun["created"] == [] and rerun["late"] == 1
    december = sanctions.build_month(DECEMBER, now=local(2027, 1, 1, 6))
    (item,) = december["created"][0].evidence
    assert item["tracking_id"] == late.tracking_id and item["late"] is True
