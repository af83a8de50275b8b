"""Clocks and sweeps (docs/product.md §5, docs/clocks.md, docs/architecture.md, rules 3 and 4).

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
sweeps share the work: each claims `CLAIM_SIZE` clocks at a time with
`select_for_update(skip_locked=True)` and then their reports (never waiting while holding a lock,
so sweeps cannot deadlock with a workflow action that locks the report and then stops its clocks).
At 1M reports a sweep takes thousands of steps, so the cost per step is kept to memory: the staff
are read once per sweep (`notify.staff_snapshot`), each clock's steps are decided in memory (a
clock that fails keeps nothing), and what the clocks of one transaction decided is written in a
few statements (events, outbox rows, steps) and handed to the broker in a few messages
(`notify.bulk_delivery`).

`recompute_open_deadlines()` moves open deadlines after a holiday change — later, never earlier —
through `complaints.deadlines.clocks`, the one writer of deadlines.
"""

import logging
from collections import Counter, defaultdict
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role
from agencies import calendar
from agencies.models import SlaPolicy
from complaints import workflow
from complaints.common import publication
from complaints.deadlines.clocks import (
    effective_due,
    forget_next_steps,
    ladder,
    move_deadline,
    next_step_at,
    record_next_steps,
    responsible_for,
)
from complaints.models import (
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
from complaints.outbox import notify
from lapor.db import database_unavailable, describe

log = logging.getLogger("lapor.sla")

BATCH_SIZE = 200
SWEEP_PAGE = 5000  # candidate clocks per query of a `_due_walks` walk (ids and next steps only)
# Clocks claimed, and their steps taken, per transaction: one commit (a disk flush) for many clocks,
# while a workflow action on one of their reports waits a fraction of a second at most.
CLAIM_SIZE = 25
# A clock skipped because a workflow action held its report is retried at the end of the sweep,
# at most this many times; after that the next sweep picks it up.
RETRY_PASSES = 2
ACTION_CLOCKS = (ClockKind.REPORTER_REPLY, ClockKind.TUNDA)
STEP_EVENT = {
    StepKind.REMINDER: EventType.REMINDER,
    StepKind.OVERDUE: EventType.OVERDUE,
    StepKind.ESCALATED: EventType.ESCALATED,
}


class _DatabaseLost(Exception):
    """The database went out of reach: the sweep stops (see `sla_sweep`)."""


# The selection ---------------------------------------------------------------------------------
def due_clocks(now, policy=None):
    """Running clocks with a step due at `now`, or whose next step is not known yet: the union of
    `_due_walks`, which the sweep reads one at a time. `_climb` then decides on the ladder itself,
    so a clock looked at too early only gets its next step written."""
    return Clock.objects.filter(stopped_at__isnull=True).filter(Q(next_step_at__isnull=True) | Q(next_step_at__lt=now))


def _due_walks(now):
    """The two halves of `due_clocks`, each an ordered walk of its own partial index
    (docs/clocks.md), as (queryset, order): the clocks whose next step is not known yet
    (`next_step_at` NULL: written before the column, or cleared by a change of the policy;
    `clock_next_step_unknown`, empty most of the time), then those with a step due, in the order
    of that step (`clock_next_step`). With the OR of the two, or any other order, PostgreSQL
    walked every running clock to find none due: most stopped clocks have no next step either,
    so it believed most running ones had none."""
    running = Clock.objects.filter(stopped_at__isnull=True)
    return (
        (running.filter(next_step_at__isnull=True), ("pk",)),
        (running.filter(next_step_at__lt=now), ("next_step_at", "pk")),
    )


# The sweep -------------------------------------------------------------------------------------
def sla_sweep(now=None, *, batch_size=SWEEP_PAGE):
    """One pass over every running clock as of `now` (system only: beat, `manage.py sla_sweep`).
    Creates the due `ClockStep` rows with their events and notifications, auto-closes and
    auto-archives through the workflow. Returns a Counter of what it did. Safe to run in many
    processes at once and to re-run after a crash: each step still happens once.

    When the database goes out of reach the sweep stops at once with one log line and
    `database_lost` in its counts: what was committed before stands, the transaction in flight
    is rolled back whole, and the next sweep takes the rest. (Retrying clock by clock against a
    database that is gone would only write a traceback for each.)"""
    counts = Counter()
    try:
        return _sweep(now or timezone.now(), batch_size, counts)
    except Exception as exc:
        lost = exc.__cause__ if isinstance(exc, _DatabaseLost) else exc
        if not isinstance(exc, _DatabaseLost) and not database_unavailable(exc):
            raise
        log.error(
            "sla_sweep: database unavailable after %s clocks; sweep stopped, the next one continues (%s)",
            counts["clocks"],
            describe(lost),
        )
        counts["database_lost"] = 1
        return counts


def _sweep(now, batch_size, counts):
    policy = SlaPolicy.current()
    retry = []
    # One sweep names the same few staff thousands of times: read the memberships once.
    with notify.staff_snapshot():
        for walk, order in _due_walks(now):
            # Keyset pages in the walk's order: a clock climbed meanwhile has moved its next step
            # past `now` and left the walk; one deferred to `retry` is not read twice.
            last = None
            while True:
                qs = walk.order_by(*order)
                if last is not None:
                    qs = qs.filter(_after(order, last))
                batch = list(qs.values_list(*order)[:batch_size])
                for chunk in _chunks([row[-1] for row in batch]):
                    retry += _claim_and_climb(chunk, now, policy, counts)
                if len(batch) < batch_size:
                    break  # that was the last of them: spare the query that would find none
                last = batch[-1]
        for _pass in range(RETRY_PASSES):
            retry = [pk for chunk in _chunks(retry) for pk in _claim_and_climb(chunk, now, policy, counts)]
            if not retry:
                break
    if retry:
        counts["deferred"] += len(retry)
    return counts


def _after(order, row):
    """Rows after `row` in the order (a, ..., pk): the keyset condition."""
    *keys, pk = row
    if not keys:
        return Q(pk__gt=pk)
    (field,), (value,) = order[:-1], keys
    return Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk})


def _chunks(ids, size=CLAIM_SIZE):
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _claim_and_climb(clock_ids, now, policy, counts):
    """Claim these clocks and their reports without waiting and take their due steps, in one short
    transaction. Each clock's steps are decided in memory (their events, outbox rows and step
    rows), a workflow action under its own savepoint; a clock that fails keeps nothing and is
    retried by the next sweep, the others stand. What the clocks decided is written together at
    the end, in a few statements. Returns the ids of the clocks whose report a workflow action
    held (retry later). A clock stopped meanwhile, or held by another sweep (which will finish
    it), is left out."""
    busy, done_here, crash = [], Counter(), None
    try:
        # Their outbox rows go to the broker in a few messages once the transaction commits.
        with notify.bulk_delivery(), transaction.atomic():
            clocks, reports, taken = _claim(clock_ids)
            writes = _Writes()  # of the clocks done
            acted = set()  # reports a workflow action changed in this transaction
            for clock in clocks:
                if clock.complaint_id not in reports:
                    busy.append(clock.pk)
                    continue
                if clock.complaint_id in acted:
                    # The action may have stopped this clock and changed the report: read both again.
                    if not Clock.objects.filter(pk=clock.pk, stopped_at__isnull=True).exists():
                        continue
                    reports.update(_lock_reports({clock.complaint_id}))
                clock.complaint = reports[clock.complaint_id]
                done_here["clocks"] += 1
                mine, decided = Counter(), _Writes()
                try:
                    # Steps are decided in memory; a clock that may act on its report through the
                    # workflow does so under a savepoint, so that it too keeps nothing if it fails.
                    acts = clock.kind in ACTION_CLOCKS
                    with notify.deferred_outbox() as outbox, transaction.atomic() if acts else nullcontext():
                        _climb(clock, taken[clock.pk], now, policy, mine, decided)
                    decided.outbox = outbox
                    decided.next_steps[clock.pk] = next_step_at(
                        clock, taken[clock.pk] | {row.step for row in decided.steps}, policy
                    )
                except Exception as exc:  # noqa: BLE001 - one bad clock must not stop the sweep; it is retried next time
                    if database_unavailable(exc):
                        raise
                    log.exception("sla_sweep: clock %s failed; nothing of it was kept", clock.pk)
                    done_here["errors"] += 1
                    continue
                except BaseException as exc:  # noqa: BLE001 - told to stop: keep the finished clocks, then stop
                    crash = exc
                    break
                writes.extend(decided)
                done_here.update(mine)
                if mine["auto_closed"] or mine["auto_archived"]:
                    acted.add(clock.complaint_id)
            writes.write()
    except Exception as exc:  # noqa: BLE001 - the next sweep does these clocks
        if crash is not None:
            raise crash from None
        if database_unavailable(exc):
            raise _DatabaseLost() from exc
        if len(clock_ids) > 1:
            # A statement of the batch failed (a constraint, a lost connection): one at a time,
            # so that one bad clock does not hold back the others.
            log.warning("sla_sweep: clocks %s failed together; retrying them one by one", clock_ids)
            return [pk for chunk in _chunks(clock_ids, 1) for pk in _claim_and_climb(chunk, now, policy, counts)]
        log.exception("sla_sweep: clock %s failed; its transaction was rolled back", clock_ids[0])
        counts["errors"] += 1
        return []
    if crash is not None:
        raise crash
    counts.update(done_here)
    return busy


class _Writes:
    """The rows decided for some clocks, written together: the steps are rows under the unique
    (clock, step) constraint, in the transaction of their events and outbox rows. The clocks are
    locked and their steps were read under the lock, so the step rows are new; should one exist
    all the same, the constraint fails the transaction and nothing of it is kept."""

    def __init__(self):
        self.events, self.outbox, self.steps, self.ceilings = [], [], [], []
        self.next_steps = {}  # {clock pk: the instant of its next step}

    def extend(self, other):
        self.events += other.events
        self.outbox += other.outbox
        self.steps += other.steps
        self.ceilings += other.ceilings
        self.next_steps.update(other.next_steps)

    def write(self):
        if connection.features.can_return_rows_from_bulk_insert:
            Event.objects.bulk_create(self.events)
        else:  # the outbox and step rows need the events' keys
            for event in self.events:
                event.save()
        notify.write_outbox(self.outbox)
        ClockStep.objects.bulk_create(self.steps)
        if self.ceilings:
            Disposition.objects.filter(pk__in=self.ceilings).update(ceiling_passed=True)
        if self.events or self.ceilings:  # bulk writes send no signals: the public pages move on here
            publication.bump()
        record_next_steps(self.next_steps)


def _claim(clock_ids):
    """(clocks in the given order, {pk: report}, {clock pk: steps it has}) of the running clocks
    among `clock_ids` that no other sweep holds, locked, and those of their reports that no
    workflow action holds, locked."""
    order = {pk: i for i, pk in enumerate(clock_ids)}
    clocks = sorted(
        Clock.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("agency", "disposition__agency")
        .filter(pk__in=clock_ids, stopped_at__isnull=True)
        .order_by(),
        key=lambda clock: order[clock.pk],
    )
    reports = _lock_reports({clock.complaint_id for clock in clocks})
    taken = defaultdict(set)
    steps = ClockStep.objects.filter(clock_id__in=[clock.pk for clock in clocks if clock.complaint_id in reports])
    for clock_id, step in steps.values_list("clock_id", "step"):
        taken[clock_id].add(step)
    return clocks, reports, taken


def _lock_reports(complaint_ids):
    """{pk: report} of those not held by a workflow action, locked (never waiting)."""
    if not complaint_ids:
        return {}
    qs = Complaint.objects.select_for_update(skip_locked=True, of=("self",)).select_related("terlapor_agency")
    return qs.filter(pk__in=complaint_ids).order_by().in_bulk()


def _climb(clock, done, now, policy, counts, decided):
    """Decide the due steps of a claimed clock (`done`: the steps it has) into `decided`."""
    for step, at in ladder(clock, policy):
        if not now > at:
            break  # the ladder is ordered: nothing after a step that is not due yet
        if step in done:
            continue
        if step == StepKind.REMINDER and now > clock.due_at:
            # A sweep that runs late skips the reminder whose deadline has passed (§5).
            decided.steps.append(_step_row(clock, step, at, now, skipped=True))
            counts["reminder_skipped"] += 1
        elif step == StepKind.ACTION:
            decided.steps.append(_act(clock, at, now, counts))
        else:
            event = _step_event(clock, step, at, policy, decided)
            decided.steps.append(_step_row(clock, step, at, now, event=event))
            counts["ceiling_passed" if event.type == EventType.CEILING_PASSED else step] += 1


def _step_row(clock, step, at, now, *, skipped=False, event=None):
    return ClockStep(clock=clock, step=step, due_at=at, done_at=now, skipped=skipped, event=event)


def _act(clock, at, now, counts):
    """Auto-close or auto-archive through the workflow, at once (under the clock's savepoint)."""
    c = clock.complaint
    if clock.kind == ClockKind.REPORTER_REPLY:
        result, label = workflow.auto_close(c.pk, now=now), "auto_closed"
    else:
        result, label = workflow.auto_archive(c.pk, now=now), "auto_archived"
    if result is None:
        # The report is no longer in the state the clock was for: nothing to do, ever.
        counts[f"{label}_skipped"] += 1
        return _step_row(clock, StepKind.ACTION, at, now, skipped=True)
    counts[label] += 1
    event = Event.objects.filter(complaint=c).order_by("-pk").first()
    return _step_row(clock, StepKind.ACTION, at, now, event=event)


# Events and recipients ---------------------------------------------------------------------------
def _when(instant):
    local = timezone.localtime(instant)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _staff(users):
    return [(u, Audience.STAFF, notify.staff_channels(u)) for u in users]


def _recipients(clock, step):
    """docs/clocks.md, "Who answers": reminder → those who must act (`clocks.responsible_for`: the
    liaisons, or the operators for their own clocks); overdue → the heads who answer for the clock
    and the operators, who monitor every report; escalated → the auditors and those heads. The
    operators are those who read the report; `notify` then leaves out, whatever the role, everyone
    who is staff of the report's terlapor (an auditor of an accused Inspektorat)."""
    c = clock.complaint
    answer = responsible_for(clock, step)
    heads = _staff(notify.heads_of([r.agency_id for r in answer if r.role == Role.HEAD]))
    if step == StepKind.REMINDER:
        users = []
        for r in answer:
            if r.role == Role.OPERATOR:
                users += notify.operators_for(c)
            elif r.role == Role.LIAISON:
                users += notify.liaisons_of([r.agency_id])
        return _staff(users)
    if step == StepKind.OVERDUE:
        return heads + _staff(notify.operators_for(c))
    return _staff(notify.auditors()) + heads


def _step_event(clock, step, at, policy, decided):
    """The timeline entry of one step (staff only, or the reporter for a tunda reminder) and its
    outbox rows, into `decided` (written with the other clocks'). Escalation is a signal: nothing
    of the report itself changes."""
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
        decided.ceilings.append(d.pk)
    event = Event(
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
    decided.events.append(event)
    notify.for_event(event, extra=[] if tunda else _recipients(clock, step))
    return event


# Holiday changes -------------------------------------------------------------------------------
WORKING_DAY_CLOCKS = [k for k in ClockKind if k != ClockKind.SETTLEMENT]  # settlement is in calendar days


def recompute_open_deadlines(since=None, *, batch_size=BATCH_SIZE):
    """After the holiday table changed (agencies.signals, via a task): move the deadlines of open
    working-day clocks that end on or after `since` (a date; None: all) to what today's calendar
    gives — later, never earlier; steps already taken stay. Updates the mirrored columns and
    notes `calendar_changed` on each affected report's staff timeline. Returns the number of
    clocks moved."""
    forget_next_steps()  # working days moved: every running ladder may have (even with its deadline kept)
    base = Clock.objects.filter(stopped_at__isnull=True, kind__in=WORKING_DAY_CLOCKS)
    if since is not None:
        base = base.filter(due_at__gte=calendar.start_of_day(since))
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
    running = list(base.filter(complaint=c).select_for_update(of=("self",)).select_related("disposition__agency"))
    changes = []
    for clock in running:
        new = effective_due(clock)
        if new <= clock.due_at:
            continue
        old = clock.due_at
        move_deadline(clock, c, new)
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
