"""Clocks and sweeps (PRODUCT.md §5, STYLE rules 3 and 4).

`sla_sweep(now)` climbs every running clock's ladder as of `now`. It is a pure function of the
database and `now`: beat runs it every `SLA_SWEEP_INTERVAL` seconds, `manage.py sla_sweep --now`
runs it at any instant, and tests run it under `time_machine`.

The ladder of a clock that binds staff (verification, re-disposition, first follow-up, information,
settlement): a *reminder* `reminder_before_days` working days before the deadline, *overdue* once
the deadline has passed, *escalated* `escalation_after_days` working days after it. The settlement
clock's overdue step is the 60-day ceiling ("lewat 60 hari": a `ceiling_passed` event and the
disposition's flag). The reporter-reply clock ends in `workflow.auto_close`; the tunda clock in a
reminder to the reporter and then `workflow.auto_archive`.

Exactly once is a database fact: each step is a `ClockStep` row under a unique (clock, step)
constraint, created in the same short transaction as its timeline event and outbox rows. Parallel
sweeps share the work: each claims one clock at a time with `select_for_update(skip_locked=True)`
and then the report (never waiting while holding a lock, so sweeps cannot deadlock with a
workflow action that locks the report and then stops its clocks).

`recompute_open_deadlines()` moves open deadlines after a holiday change — later, never earlier.
"""

import logging
from collections import Counter
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies import calendar
from agencies.models import SlaPolicy

from . import notify, workflow
from .clocks import MIRROR
from .models import (
    STAFF_CLOCKS,
    Audience,
    Clock,
    ClockKind,
    ClockStep,
    Complaint,
    Disposition,
    Event,
    EventType,
    StepKind,
)

log = logging.getLogger("lapor.sla")

BATCH_SIZE = 200
# A clock skipped because a workflow action held its report is retried at the end of the sweep,
# at most this many times; after that the next sweep picks it up.
RETRY_PASSES = 2
OPERATOR_CLOCKS = (ClockKind.VERIFICATION, ClockKind.REDISPOSITION)
ACTION_CLOCKS = (ClockKind.REPORTER_REPLY, ClockKind.TUNDA)
STEP_EVENT = {
    StepKind.REMINDER: EventType.REMINDER,
    StepKind.OVERDUE: EventType.OVERDUE,
    StepKind.ESCALATED: EventType.ESCALATED,
}


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


def _start_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _pending(step):
    return ~Exists(ClockStep.objects.filter(clock_id=OuterRef("pk"), step=step))


def due_clocks(now, policy):
    """Running clocks with at least one step due at `now`, selected in SQL on `due_at` (the
    partial index `clock_running_due`). The bounds are the exact inverse of `ladder`:

    - reminder (end of the working day k working days before the deadline) has passed
      ⇔ the deadline's date is on or before W, the k-th working day counted from today;
    - escalation (end of the e-th working day after the deadline) has passed
      ⇔ the deadline's date is before X, the e-th working day before today.
    """
    today = calendar.local_date(now)
    reminder_bound = calendar.add_working_days(today - timedelta(days=1), policy.reminder_before_days)
    escalation_bound = _start_of_day(
        calendar.local_date(calendar.subtract_working_days(now, policy.escalation_after_days))
    )
    staff = Q(kind__in=STAFF_CLOCKS) & (
        Q(due_at__lte=reminder_bound) & _pending(StepKind.REMINDER)
        | Q(due_at__lt=now) & _pending(StepKind.OVERDUE)
        | Q(due_at__lt=escalation_bound) & _pending(StepKind.ESCALATED)
    )
    tunda = Q(kind=ClockKind.TUNDA) & (
        Q(due_at__lte=reminder_bound) & _pending(StepKind.REMINDER) | Q(due_at__lt=now) & _pending(StepKind.ACTION)
    )
    reply = Q(kind=ClockKind.REPORTER_REPLY, due_at__lt=now) & _pending(StepKind.ACTION)
    return Clock.objects.filter(stopped_at__isnull=True, due_at__lte=reminder_bound).filter(staff | tunda | reply)


# The sweep -------------------------------------------------------------------------------------
def sla_sweep(now=None, *, batch_size=BATCH_SIZE):
    """One pass over every running clock as of `now` (system only: beat, `manage.py sla_sweep`).
    Creates the due `ClockStep` rows with their events and notifications, auto-closes and
    auto-archives through the workflow. Returns a Counter of what it did. Safe to run in many
    processes at once and to re-run after a crash: each step still happens once."""
    now = now or timezone.now()
    policy = SlaPolicy.current()
    counts = Counter()
    retry = []
    last = None
    while True:
        qs = due_clocks(now, policy).order_by("due_at", "pk")
        if last is not None:
            qs = qs.filter(Q(due_at__gt=last[0]) | Q(due_at=last[0], pk__gt=last[1]))
        batch = list(qs.values_list("pk", "due_at")[:batch_size])
        if not batch:
            break
        for pk, _due in batch:
            if _claim_and_climb(pk, now, policy, counts) == "busy":
                retry.append(pk)
        last = batch[-1][1], batch[-1][0]
    for _pass in range(RETRY_PASSES):
        retry = [pk for pk in retry if _claim_and_climb(pk, now, policy, counts) == "busy"]
        if not retry:
            break
    if retry:
        counts["deferred"] += len(retry)
    return counts


def _claim_and_climb(clock_id, now, policy, counts):
    """Claim one clock and its report without waiting, and take its due steps, in one
    transaction. Returns "busy" when a workflow action holds the report (retry later)."""
    try:
        with transaction.atomic():
            clock = (
                Clock.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("agency", "disposition__agency")
                .filter(pk=clock_id, stopped_at__isnull=True)
                .first()
            )
            if clock is None:
                return "gone"  # stopped meanwhile, or another sweep holds it and will finish it
            complaint = Complaint.objects.select_for_update(skip_locked=True).filter(pk=clock.complaint_id).first()
            if complaint is None:
                return "busy"
            clock.complaint = complaint
            counts["clocks"] += 1
            _climb(clock, now, policy, counts)
            return "done"
    except Exception:  # noqa: BLE001 - one bad clock must not stop the sweep; it is retried next time
        log.exception("sla_sweep: clock %s failed; its transaction was rolled back", clock_id)
        counts["errors"] += 1
        return "error"


def _climb(clock, now, policy, counts):
    done = set(ClockStep.objects.filter(clock=clock).values_list("step", flat=True))
    for step, at in ladder(clock, policy):
        if not now > at:
            break  # the ladder is ordered: nothing after a step that is not due yet
        if step in done:
            continue
        if step == StepKind.REMINDER and now > clock.due_at:
            # A sweep that runs late skips the reminder whose deadline has passed (§5).
            if _record(clock, step, at, now, skipped=True):
                counts["reminder_skipped"] += 1
            continue
        if step == StepKind.ACTION:
            _act(clock, at, now, counts)
            continue
        row = _record(clock, step, at, now)
        if row is None:
            continue
        event = _step_event(clock, step, at, policy)
        row.event = event
        row.save(update_fields=["event"])
        counts["ceiling_passed" if event.type == EventType.CEILING_PASSED else step] += 1


def _record(clock, step, at, now, skipped=False):
    """The step's row, or None when it already exists (another process recorded it)."""
    try:
        with transaction.atomic():
            return ClockStep.objects.create(clock=clock, step=step, due_at=at, done_at=now, skipped=skipped)
    except IntegrityError:
        return None


def _act(clock, at, now, counts):
    row = _record(clock, StepKind.ACTION, at, now)
    if row is None:
        return
    c = clock.complaint
    if clock.kind == ClockKind.REPORTER_REPLY:
        result, label = workflow.auto_close(c.pk, now=now), "auto_closed"
    else:
        result, label = workflow.auto_archive(c.pk, now=now), "auto_archived"
    if result is None:
        # The report is no longer in the state the clock was for: nothing to do, ever.
        row.skipped = True
        row.save(update_fields=["skipped"])
        counts[f"{label}_skipped"] += 1
        return
    row.event = Event.objects.filter(complaint=c).order_by("-pk").first()
    row.save(update_fields=["event"])
    counts[label] += 1


# Events and recipients ---------------------------------------------------------------------------
def _when(instant):
    local = timezone.localtime(instant)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _staff(users):
    return [(u, Audience.STAFF, notify.staff_channels(u)) for u in users]


def _recipients(clock, step):
    """§5: reminder → the liaisons (operators for their own clocks); overdue → the head and the
    operators (the head of Diskominfo for operator clocks); escalated → auditors and the head."""
    c, d = clock.complaint, clock.disposition
    head_agencies = [a for a in {clock.agency_id, d.agency_id if d else None} if a]
    if step == StepKind.REMINDER:
        if clock.kind in OPERATOR_CLOCKS:
            return _staff(notify.operators_for(c))
        return _staff(notify.liaisons_of([d.agency_id])) if d else []
    if step == StepKind.OVERDUE:
        return _staff(notify.heads_of(head_agencies)) + _staff(notify.operators_for(c))
    return _staff(notify.auditors()) + _staff(notify.heads_of(head_agencies))


def _step_event(clock, step, at, policy):
    """The timeline entry of one step (staff only, or the reporter for a tunda reminder) and its
    outbox rows. Escalation is a signal: nothing of the report itself changes."""
    c, d = clock.complaint, clock.disposition
    tunda = clock.kind == ClockKind.TUNDA
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "clock": ClockKind(clock.kind).label,
            "agency": (d.agency.display if d else (clock.agency.display if clock.agency else _("operator"))),
            "due": _when(clock.due_at),
            "days": policy.escalation_after_days,
        }
        type_ = STEP_EVENT[step]
        if tunda:
            body = _(
                "Laporan Anda akan diarsipkan jika tidak dilengkapi sebelum %(due)s. "
                "Balas lewat situs atau SMS: BALAS %(tid)s <kelengkapan>."
            ) % {**names, "tid": c.tracking_id}
        elif step == StepKind.REMINDER:
            body = _("Pengingat: tenggat %(clock)s (%(agency)s) berakhir %(due)s.") % names
        elif step == StepKind.OVERDUE and clock.kind == ClockKind.SETTLEMENT:
            type_ = EventType.CEILING_PASSED
            body = _("Lewat 60 hari: penyelesaian oleh %(agency)s melewati batas %(due)s.") % names
        elif step == StepKind.OVERDUE:
            body = _("Lewat tenggat: %(clock)s (%(agency)s), tenggat %(due)s.") % names
        else:
            body = (
                _(
                    "Dieskalasi ke pimpinan dan auditor: %(clock)s (%(agency)s) lewat %(days)s hari kerja dari "
                    "tenggat %(due)s."
                )
                % names
            )
        label = _("Sistem")
    if type_ == EventType.CEILING_PASSED:
        Disposition.objects.filter(pk=d.pk).update(ceiling_passed=True)
    event = Event.objects.create(
        complaint=c,
        type=type_,
        actor=None,
        actor_label=label,
        actor_role="system",
        audience=Audience.REPORTER if tunda else Audience.STAFF,
        body=body,
        disposition=d,
        data={
            "clock": clock.pk,
            "clock_kind": clock.kind,
            "step": step,
            "due_at": timezone.localtime(clock.due_at).isoformat(),
            "step_due_at": timezone.localtime(at).isoformat(),
            "agency": clock.agency.slug if clock.agency_id else None,
        },
    )
    # The tunda reminder reaches the reporter through notify's reporter rule (every channel they
    # used, SMS included); staff steps name their recipients here.
    notify.for_event(event, extra=[] if tunda else _recipients(clock, step))
    return event


# Holiday changes -------------------------------------------------------------------------------
WORKING_DAY_CLOCKS = [k for k in ClockKind if k != ClockKind.SETTLEMENT]  # settlement is in calendar days


def _predecessor(clock, reason):
    """The clock this one continued: the parent disposition's clock it inherited from a
    sub-disposition ("subdisposed"), or the information clock it extended ("extended"). The
    workflow stops the old one and starts the new one at the same instant."""
    if reason == "subdisposed":
        d = clock.disposition
        if d is None or d.parent_id is None:
            return None
        disposition_id = d.parent_id
    else:
        disposition_id = clock.disposition_id
    return (
        Clock.objects.filter(
            disposition_id=disposition_id, kind=clock.kind, stop_reason=reason, stopped_at=clock.started_at
        )
        .select_related("disposition")
        .first()
    )


def effective_due(clock, depth=0):
    """The deadline `clock` has under today's calendar: its start plus its length in working days
    (a sub-disposition keeps its parent's deadline; an extension adds to the extended deadline),
    never earlier than the deadline it already has."""
    natural = None
    if depth < 10 and clock.disposition_id:
        inherited = _predecessor(clock, "subdisposed")
        if inherited is not None:
            natural = effective_due(inherited, depth + 1)
        elif clock.kind == ClockKind.INFORMATION:
            extended = _predecessor(clock, "extended")
            if extended is not None:
                natural = calendar.add_working_days(effective_due(extended, depth + 1), clock.length)
    if natural is None:
        natural = calendar.add_working_days(clock.started_at, clock.length)
    return max(natural, clock.due_at)


def recompute_open_deadlines(since=None, *, batch_size=BATCH_SIZE):
    """After the holiday table changed (agencies.signals, via a task): move the deadlines of open
    working-day clocks that end on or after `since` (a date; None: all) to what today's calendar
    gives — later, never earlier; steps already taken stay. Updates the mirrored columns and
    notes `calendar_changed` on each affected report's staff timeline. Returns the number of
    clocks moved."""
    base = Clock.objects.filter(stopped_at__isnull=True, kind__in=WORKING_DAY_CLOCKS)
    if since is not None:
        base = base.filter(due_at__gte=_start_of_day(since))
    moved, last = 0, 0
    while True:
        ids = list(
            base.filter(complaint_id__gt=last)
            .order_by("complaint_id")
            .values_list("complaint_id", flat=True)
            .distinct()[:batch_size]
        )
        if not ids:
            return moved
        for complaint_id in ids:
            moved += _recompute_complaint(complaint_id, base)
        last = ids[-1]


@transaction.atomic
def _recompute_complaint(complaint_id, base):
    # The report first, then its clocks: the same order as the workflow (the sweep never waits).
    c = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if c is None:
        return 0
    clocks = list(base.filter(complaint=c).select_for_update(of=("self",)).select_related("disposition__agency"))
    changes = []
    for clock in clocks:
        new = effective_due(clock)
        if new <= clock.due_at:
            continue
        old, clock.due_at = clock.due_at, new
        clock.save(update_fields=["due_at"])
        on_disposition, column = MIRROR[clock.kind]
        target = clock.disposition if on_disposition else c
        setattr(target, column, new)
        target.save(update_fields=[column])
        changes.append((clock, old, new))
    if changes:
        with translation.override(settings.LANGUAGE_CODE):
            lines = [
                _("Tenggat %(clock)s%(agency)s diundur dari %(old)s ke %(new)s.")
                % {
                    "clock": ClockKind(clock.kind).label,
                    "agency": f" ({clock.disposition.agency.display})" if clock.disposition_id else "",
                    "old": _when(old),
                    "new": _when(new),
                }
                for clock, old, new in changes
            ]
            Event.objects.create(
                complaint=c,
                type=EventType.CALENDAR_CHANGED,
                actor_label=_("Sistem"),
                actor_role="system",
                audience=Audience.STAFF,
                body="\n".join(lines),
                data={
                    "clocks": [
                        {
                            "clock": clock.pk,
                            "kind": clock.kind,
                            "from": timezone.localtime(old).isoformat(),
                            "to": timezone.localtime(new).isoformat(),
                        }
                        for clock, old, new in changes
                    ]
                },
            )
    return len(changes)
