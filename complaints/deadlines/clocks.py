"""Deadlines (docs/clocks.md, docs/product.md §5): the one module that writes them.

Each clock is a `Clock` row whose `due_at` is computed once, when it starts, and mirrored in the
report's or disposition's deadline column (`MIRROR`), so that queues sort and sweeps select in SQL
(docs/architecture.md, rule 4). Every write of a `due_at`, of one of its mirrors, of
`Complaint.monitor_due_at` (the nearest live disposition deadline) and of `Disposition.next_due_at`
(the deadline the liaison's inbox sorts by) is here; the workflow, the sweep
(`complaints.deadlines.sweep`) and the holiday recompute call these functions, and
tests/complaints/test_clock_writers.py checks that no other module writes them.

Each running clock also keeps `next_step_at`, the instant of the next step of its ladder (`ladder`):
the sweep selects the clocks due with one index range scan on it, so its cost follows the work that
is due, not the clocks that run. `None` means "not known yet": the next sweep looks at the clock and
writes it (`record_next_steps`); a clock whose ladder is done keeps `LADDER_DONE`. Anything that
changes a ladder's instants (a moved deadline, a holiday change, a change of the policy's reminder
or escalation days) sets it back to `None` (`forget_next_steps`): looking once too early costs a
read, looking too late would cost a step.

A clock that continues another (a unit's clock inheriting its OPD's deadline, an extended
information request) names it in `Clock.continues`. Who answers for a clock at each step of its
ladder is `responsible_for`; the sweep notifies them and the sanctions list them.
"""

from datetime import UTC, datetime
from typing import NamedTuple

from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Role
from agencies import calendar
from agencies.models import Agency, AgencyKind, SlaPolicy
from complaints.models import (
    ACTIVE_DISPOSITION,
    STAFF_CLOCKS,
    Clock,
    ClockKind,
    Complaint,
    Disposition,
    StepKind,
)

# Where each clock's deadline is mirrored: (on the disposition?, column).
MIRROR = {
    ClockKind.VERIFICATION: (False, "verification_due_at"),
    ClockKind.REDISPOSITION: (False, "redisposition_due_at"),
    ClockKind.REPORTER_REPLY: (False, "autoclose_due_at"),
    ClockKind.TUNDA: (False, "tunda_due_at"),
    ClockKind.FOLLOWUP: (True, "due_at"),
    ClockKind.INFORMATION: (True, "due_at"),
    ClockKind.SETTLEMENT: (True, "settlement_due_at"),
}

POLICY_LENGTH = {
    ClockKind.VERIFICATION: "verification_days",
    ClockKind.REDISPOSITION: "redisposition_days",
    ClockKind.FOLLOWUP: "followup_days",
    ClockKind.INFORMATION: "information_days",
    ClockKind.SETTLEMENT: "settlement_calendar_days",
    ClockKind.REPORTER_REPLY: "reporter_reply_days",
    ClockKind.TUNDA: "tunda_days",
}

OPERATOR_CLOCKS = (ClockKind.VERIFICATION, ClockKind.REDISPOSITION)

# The clocks that wait for an OPD's follow-up, and so the clocks a follow-up on a disposition stops
# whatever state the disposition is in: the first-follow-up clock (started at disposition, after a
# refused return and after a reopen) and, for a permintaan informasi, the information clock that
# replaces it. The 60-day settlement clock is not one of them: only finishing stops it.
FOLLOWUP_STOPS = (ClockKind.FOLLOWUP, ClockKind.INFORMATION)

# Stop reasons of a clock that another continues (the successor names it in `Clock.continues`).
SUBDISPOSED = "subdisposed"
EXTENDED = "extended"
# A clock stopped by one of these was answered; these hand over to a successor clock that names it
# in `Clock.continues` (the unit that received the sub-disposition, the extended information
# request), which is counted instead (docs/clocks.md).
ANSWERED = ("followed_up", "finished")
HANDED_OVER = (SUBDISPOSED, EXTENDED)


# `Clock.next_step_at` of a clock whose ladder is done: never before any `now`.
LADDER_DONE = datetime(9999, 1, 1, tzinfo=UTC)


def diskominfo():
    return Agency.objects.filter(kind=AgencyKind.DISKOMINFO).order_by("pk").first()


# The report's monitored deadline ---------------------------------------------------------------
def next_live_due():
    """For a report (`OuterRef("pk")`): the nearest deadline of its live dispositions (the first
    follow-up or information deadline while it runs, else the 60-day settlement)."""
    return Subquery(
        Disposition.objects.filter(complaint_id=OuterRef("pk"), status__in=ACTIVE_DISPOSITION)
        .annotate(next_due=Coalesce("due_at", "settlement_due_at"))
        .filter(next_due__isnull=False)
        .order_by("next_due")
        .values("next_due")[:1]
    )


def inbox_due():
    """For a disposition (the row itself): the deadline the liaison's inbox sorts it by while it is
    live — its own running deadline, else the nearest running deadline of its live units (a
    sub-disposition carries the clock on), else its 60-day settlement; None once it is not live."""
    units = Disposition.objects.filter(parent=OuterRef("pk"), status__in=ACTIVE_DISPOSITION, due_at__isnull=False)
    nearest_unit = Subquery(units.order_by("due_at").values("due_at")[:1])
    return Case(When(status__in=ACTIVE_DISPOSITION, then=Coalesce(F("due_at"), nearest_unit, F("settlement_due_at"))))


def refresh_monitor_due(complaint_ids=None):
    """Recompute the deadlines the lists sort by, after a disposition deadline or a disposition
    status changed: `Disposition.next_due_at` of the reports' dispositions, then
    `Complaint.monitor_due_at` of the reports (None: every report; the benchmark's loader and the
    migration that added the column). Two UPDATEs; with None, only the rows that are live or still
    carry a value are written."""
    dispositions = Disposition.objects.filter(Q(status__in=ACTIVE_DISPOSITION) | Q(next_due_at__isnull=False))
    if complaint_ids is not None:
        dispositions = Disposition.objects.filter(complaint_id__in=complaint_ids)
    dispositions.update(next_due_at=inbox_due())
    qs = Complaint.objects.all() if complaint_ids is None else Complaint.objects.filter(pk__in=complaint_ids)
    return qs.update(monitor_due_at=next_live_due())


# Mirrors ---------------------------------------------------------------------------------------
def _mirror(complaint, disposition, kind, value):
    """Write `value` into the column mirroring a clock of `kind`."""
    on_disposition, column = MIRROR[kind]
    target = disposition if on_disposition else complaint
    setattr(target, column, value)
    target.save(update_fields=[column])
    if on_disposition:
        refresh_monitor_due([complaint.pk])


# The ladder ------------------------------------------------------------------------------------
def reminder_at(clock, policy):
    return calendar.subtract_working_days(clock.due_at, policy.reminder_before_days)


def escalation_at(clock, policy):
    return calendar.add_working_days(clock.due_at, policy.escalation_after_days)


def ladder(clock, policy):
    """[(step, instant it is due)] of `clock`, in order. A step happens once `now` is past its
    instant (the deadline itself, 23:59:59.999999 of the last working day, is still on time)."""
    if clock.kind in STAFF_CLOCKS:
        return [
            (StepKind.REMINDER, reminder_at(clock, policy)),
            (StepKind.OVERDUE, clock.due_at),
            (StepKind.ESCALATED, escalation_at(clock, policy)),
        ]
    if clock.kind == ClockKind.TUNDA:
        return [(StepKind.REMINDER, reminder_at(clock, policy)), (StepKind.ACTION, clock.due_at)]
    return [(StepKind.ACTION, clock.due_at)]


def next_step_at(clock, taken, policy):
    """The instant of the first step of `clock`'s ladder not in `taken`, or `LADDER_DONE`."""
    for step, at in ladder(clock, policy):
        if step not in taken:
            return at
    return LADDER_DONE


def record_next_steps(instants):
    """{clock pk: instant}: what the sweep found next for the clocks it looked at, in one UPDATE."""
    if instants:
        Clock.objects.filter(pk__in=list(instants)).update(
            next_step_at=Case(*(When(pk=pk, then=Value(at)) for pk, at in instants.items()))
        )


def forget_next_steps(clocks=None):
    """Set the running clocks' next steps (a queryset of clocks; None: all) back to "not known
    yet", after something their ladders' instants depend on changed: the next sweep looks at each
    of them once. Returns their number."""
    qs = Clock.objects.all() if clocks is None else clocks
    return qs.filter(stopped_at__isnull=True).update(next_step_at=None)


# Starting and stopping -------------------------------------------------------------------------
def start_clock(complaint, kind, now, *, disposition=None, days=None, due_at=None, continues=None):
    """Start a clock of `kind` at `now` (`days` overrides the policy length; `due_at` fixes the
    deadline, for a clock that `continues` another). Returns the Clock."""
    policy = SlaPolicy.current()
    length = days if days is not None else getattr(policy, POLICY_LENGTH[kind])
    if due_at is None:
        if kind == ClockKind.SETTLEMENT:
            due_at = calendar.add_calendar_days(now, length)
        else:
            due_at = calendar.add_working_days(now, length)
    if disposition is not None:
        agency = disposition.agency.top
    elif kind in OPERATOR_CLOCKS:
        agency = diskominfo()
    else:
        agency = None
    clock = Clock(
        complaint=complaint,
        disposition=disposition,
        kind=kind,
        agency=agency,
        started_at=now,
        length=length,
        due_at=due_at,
        continues=continues,
    )
    clock.next_step_at = next_step_at(clock, (), policy)
    clock.save(force_insert=True)
    _mirror(complaint, disposition, kind, due_at)
    return clock


def stop_clocks(complaint, kinds, now, reason, *, disposition=None):
    """Stop the running clocks of `kinds` (of `disposition` when given) and clear their columns
    (a disposition's settlement deadline stays: the 60-day ceiling is shown after it stops).
    With a disposition, the report's monitored deadline is refreshed too: its callers change the
    disposition's status with it."""
    qs = Clock.objects.filter(complaint=complaint, kind__in=kinds, stopped_at__isnull=True)
    if disposition is not None:
        qs = qs.filter(disposition=disposition)
    stopped = list(qs)
    qs.update(stopped_at=now, stop_reason=reason, next_step_at=None)
    kinds = {c.kind for c in stopped} | set(kinds)
    for column in sorted({MIRROR[kind][1] for kind in kinds if not MIRROR[kind][0]}):
        setattr(complaint, column, None)
        complaint.save(update_fields=[column])
    if disposition is not None:
        if any(MIRROR[kind][0] and kind != ClockKind.SETTLEMENT for kind in kinds):
            disposition.due_at = None
            disposition.save(update_fields=["due_at"])
        refresh_monitor_due([complaint.pk])
    return stopped


def stop_followup_clocks(complaint, disposition, now):
    """A follow-up was posted on `disposition` (workflow.followup, under the report's lock): stop
    its running `FOLLOWUP_STOPS` clocks and clear its deadline column, in any disposition state (a
    reopened disposition is ditindaklanjuti and has a new follow-up clock). Returns those clocks."""
    return stop_clocks(complaint, FOLLOWUP_STOPS, now, "followed_up", disposition=disposition)


def running(complaint, kind, disposition=None):
    qs = Clock.objects.filter(complaint=complaint, kind=kind, stopped_at__isnull=True)
    if disposition is not None:
        qs = qs.filter(disposition=disposition)
    return qs.order_by("-started_at").first()


# Clocks that continue another ------------------------------------------------------------------
def hand_over(complaint, parent, child, kind, now):
    """A sub-disposition (workflow.subdispose): the running `kind` clock of `parent` stops and
    `child`'s clock continues it with the same deadline (docs/clocks.md, "Sub-dispositions");
    the child shows the parent's 60-day ceiling. Returns the child's clock, or None when the
    parent had none running."""
    inherited = running(complaint, kind, parent)
    clock = None
    if inherited:
        stop_clocks(complaint, [inherited.kind], now, SUBDISPOSED, disposition=parent)
        clock = start_clock(
            complaint,
            inherited.kind,
            now,
            disposition=child,
            days=inherited.length,
            due_at=inherited.due_at,
            continues=inherited,
        )
    _mirror(complaint, child, ClockKind.SETTLEMENT, parent.settlement_due_at)
    return clock


def extend_information(complaint, disposition, now, days):
    """An information request extended once (workflow.extend): the running information clock
    stops and a new one continues it, due `days` working days after its deadline (or after `now`
    when none runs). Returns the new clock."""
    current = running(complaint, ClockKind.INFORMATION, disposition)
    base = current.due_at if current else now
    stop_clocks(complaint, [ClockKind.INFORMATION], now, EXTENDED, disposition=disposition)
    return start_clock(
        complaint,
        ClockKind.INFORMATION,
        now,
        disposition=disposition,
        days=days,
        due_at=calendar.add_working_days(base, days),
        continues=current,
    )


# Holiday changes -------------------------------------------------------------------------------
def effective_due(clock, depth=0):
    """The deadline `clock` has under today's calendar: its start plus its length in working days
    (a clock continuing another on a different disposition — a sub-disposition — keeps the other's
    deadline; one continuing a clock of its own disposition — an extension — adds its length to
    the other's deadline), never earlier than the deadline it already has."""
    natural = None
    previous = clock.continues if depth < 10 and clock.continues_id else None
    if previous is not None:
        natural = effective_due(previous, depth + 1)
        if previous.disposition_id == clock.disposition_id:
            natural = calendar.add_working_days(natural, clock.length)
    if natural is None:
        natural = calendar.add_working_days(clock.started_at, clock.length)
    return max(natural, clock.due_at)


def move_deadline(clock, complaint, due_at):
    """Move a running clock's deadline and its mirror (the holiday recompute, sla)."""
    clock.due_at = due_at
    clock.next_step_at = None  # its ladder moved with it: the next sweep looks again
    clock.save(update_fields=["due_at", "next_step_at"])
    _mirror(complaint, clock.disposition, clock.kind, due_at)


# Who answers for a clock -----------------------------------------------------------------------
class Responsible(NamedTuple):
    role: str
    agency_id: int | None


def responsible_for(clock, step):
    """[(role, agency id)] who answer for `clock` at `step` of its ladder (docs/clocks.md, "Who
    answers"), heads first: the reminder goes to those who must act (the liaisons of the
    disposition's agency; the operators of Diskominfo for the verification and re-disposition
    clocks); from the overdue step on, the heads of the agency held to the clock (the top-level
    OPD, or Diskominfo) and of the disposition's agency (a unit) answer with them. The sweep
    notifies them (`sla._recipients`); a sanction lists them as the people of record
    (`sanctions._People`)."""
    d = clock.disposition
    if d is not None:
        doers = [Responsible(Role.LIAISON, d.agency_id)]
    elif clock.kind in OPERATOR_CLOCKS:
        doers = [Responsible(Role.OPERATOR, clock.agency_id)]
    else:
        doers = []
    if step == StepKind.REMINDER:
        return doers
    heads = [Responsible(Role.HEAD, a) for a in dict.fromkeys([clock.agency_id, d.agency_id if d else None]) if a]
    return heads + doers
