"""Starting and stopping clocks (docs/product.md §5). Each clock is a `Clock` row whose `due_at` is
computed once, when it starts, and mirrored in the report's or disposition's deadline column.
The sweep that climbs their ladders lives in `complaints.deadlines.sweep`."""

from agencies import calendar
from agencies.models import Agency, AgencyKind, SlaPolicy
from complaints.models import Clock, ClockKind

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


# The clocks that wait for an OPD's follow-up, and so the clocks a follow-up on a disposition stops
# whatever state the disposition is in: the first-follow-up clock (started at disposition, after a
# refused return and after a reopen) and, for a permintaan informasi, the information clock that
# replaces it. The 60-day settlement clock is not one of them: only finishing stops it.
FOLLOWUP_STOPS = (ClockKind.FOLLOWUP, ClockKind.INFORMATION)

# A clock stopped by one of these was answered; these hand over to a successor clock (the unit
# that received the sub-disposition, the extended information request), which is counted instead.
ANSWERED = ("followed_up", "finished")
HANDED_OVER = ("subdisposed", "extended")


def diskominfo():
    return Agency.objects.filter(kind=AgencyKind.DISKOMINFO).order_by("pk").first()


def start_clock(complaint, kind, now, *, disposition=None, days=None, due_at=None):
    """Start a clock of `kind` at `now` (`days` overrides the policy length; `due_at` fixes the
    deadline, for a sub-disposition that inherits its parent's). Returns the Clock."""
    length = days if days is not None else getattr(SlaPolicy.current(), POLICY_LENGTH[kind])
    if due_at is None:
        if kind == ClockKind.SETTLEMENT:
            due_at = calendar.add_calendar_days(now, length)
        else:
            due_at = calendar.add_working_days(now, length)
    if disposition is not None:
        agency = disposition.agency.top
    elif kind in (ClockKind.VERIFICATION, ClockKind.REDISPOSITION):
        agency = diskominfo()
    else:
        agency = None
    clock = Clock.objects.create(
        complaint=complaint,
        disposition=disposition,
        kind=kind,
        agency=agency,
        started_at=now,
        length=length,
        due_at=due_at,
    )
    on_disposition, column = MIRROR[kind]
    target = disposition if on_disposition else complaint
    setattr(target, column, due_at)
    target.save(update_fields=[column])
    return clock


def stop_clocks(complaint, kinds, now, reason, *, disposition=None):
    """Stop the running clocks of `kinds` (of `disposition` when given) and clear their columns."""
    qs = Clock.objects.filter(complaint=complaint, kind__in=kinds, stopped_at__isnull=True)
    if disposition is not None:
        qs = qs.filter(disposition=disposition)
    stopped = list(qs)
    qs.update(stopped_at=now, stop_reason=reason)
    for kind in {c.kind for c in stopped} | set(kinds):
        on_disposition, column = MIRROR[kind]
        if on_disposition and disposition is not None and kind != ClockKind.SETTLEMENT:
            disposition.due_at = None
            disposition.save(update_fields=["due_at"])
        elif not on_disposition:
            setattr(complaint, column, None)
            complaint.save(update_fields=[column])
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
