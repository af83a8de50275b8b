"""The notification outbox (docs/architecture.md, rules 3 and 5).

Workflow functions call `for_event(event)` inside their transaction: it writes one `Notification`
row per recipient and channel (a unique key makes a second write a no-op) and, after commit, asks
Celery to deliver them. If the broker is down the rows wait; `flush_outbox` (beat) retries them.
The SLA sweep, which writes thousands of rows, reads the staff once (`staff_snapshot`), writes the
rows of many events in one statement (`deferred_outbox`, `write_outbox`) and hands them over a
batch to a message (`bulk_delivery`, task `deliver_notifications`).
Messages are rendered when sent, under the report's privacy at that moment, in the recipient's
language, from one template per audience and event type (`templates/notifications/reporter/` for
the reporter and followers, `templates/notifications/staff/` for staff, each with a `default.txt`).
Staff messages never carry the reporter's identity, nor text the reporter wrote (they read it on the
report's page, behind the access rules).

Who hears what (docs/product.md §2, §5):

- the reporter: `REPORTER_EVENTS` on every channel they use; followers (supporters, merged
  duplicates' reporters) `FOLLOWER_EVENTS` in the app;
- liaisons of the agency: a new disposition, sub-disposition or refused return; the reporter's
  reply, completion or reopening (liaisons of the live dispositions);
- operators: a returned report ("bukan kewenangan"), a completed tunda report;
- the SLA ladder names its own recipients (`sla._recipients`, passed as `extra`): reminders to the
  liaisons or operators, overdue to the head and the operators, escalated to the auditors and the
  head.

Over all of these: nobody who holds any role in the organisation a report names as terlapor is told
about it as staff (an Inspektorat auditor hears nothing of a report accusing the Inspektorat), and
nobody is told about a report they cannot see (`_may_tell`).
"""

import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from accounts.models import Membership, Role
from complaints.models import ACTIVE_DISPOSITION, Audience, Channel, EventType, Notification, Support
from complaints.outbox import delivery
from lapor import publish

# Staff hear about these (liaisons: new work and the reporter's side of the dialogue; operators:
# returns and completed tunda reports). The SLA ladder's events come with their recipients.
LIAISON_WORK_EVENTS = {EventType.DISPOSED, EventType.SUBDISPOSED, EventType.RETURN_REFUSED}
REPORTER_SIDE_EVENTS = {EventType.REPLY, EventType.COMPLETED, EventType.REOPENED}

log = logging.getLogger("lapor.notify")

# Events the reporter hears about (on every channel they use), and the followers (supporters and
# merged duplicates' reporters) in the app.
REPORTER_EVENTS = {
    EventType.FILED,
    EventType.VERIFIED,
    EventType.POSTPONED,
    EventType.ARCHIVED,
    EventType.FORWARDED,
    EventType.FOLLOWUP,
    EventType.QUESTION,
    EventType.FINISHED,
    EventType.CLOSED,
    EventType.EXTENDED,
    EventType.MERGED,
    EventType.REMINDER,  # tunda completion reminder
}
FOLLOWER_EVENTS = {EventType.FOLLOWUP, EventType.FINISHED, EventType.CLOSED}


# Recipient lookups ------------------------------------------------------------------------------
RECIPIENT_ROLES = (Role.OPERATOR, Role.LIAISON, Role.HEAD, Role.AUDITOR)
_snapshot = ContextVar("notify_staff_snapshot", default=None)


class _StaffSnapshot:
    """The active memberships of the recipient roles, and every role held in an agency (to tell
    who is staff of a report's terlapor), read in one query on first use."""

    def __init__(self):
        self._by_role = None
        self._by_user = None

    def _load(self):
        if self._by_role is None:
            self._by_role = {r: [] for r in RECIPIENT_ROLES}
            self._by_user = {}
            qs = Membership.objects.filter(Q(role__in=RECIPIENT_ROLES) | Q(agency__isnull=False), user__is_active=True)
            for m in qs.select_related("user", "agency"):
                self._by_user.setdefault(m.user_id, []).append(m)
                if m.role in self._by_role:
                    self._by_role[m.role].append(m)

    def memberships(self, role):
        self._load()
        return self._by_role[role]

    def memberships_of(self, user_id):
        self._load()
        return self._by_user.get(user_id, [])


@contextmanager
def staff_snapshot():
    """Within the block (one SLA sweep) the recipient lookups below read the staff memberships
    once instead of once per event: the sweep's thousands of steps name the same few operators,
    liaisons, heads and auditors. A membership changed meanwhile counts from the next block on."""
    if _snapshot.get() is not None:
        yield
        return
    token = _snapshot.set(_StaffSnapshot())
    try:
        yield
    finally:
        _snapshot.reset(token)


def _memberships(role, agency_ids=None):
    snapshot = _snapshot.get()
    if snapshot is None:
        qs = Membership.objects.filter(role=role, user__is_active=True)
        if agency_ids is not None:
            qs = qs.filter(agency_id__in=agency_ids)
        return qs.select_related("user", "agency")
    if agency_ids is None:
        return snapshot.memberships(role)
    wanted = set(agency_ids) - {None}  # as SQL's IN: no agency matches None
    return [m for m in snapshot.memberships(role) if m.agency_id in wanted]


def _users_with(role, agency_ids=None):
    return list({m.user for m in _memberships(role, agency_ids)})


def operators_for(complaint):
    """The operators, less those whose agency is the report's terlapor (privacy._conflicted)."""
    from complaints.privacy import _conflicted

    result = {}
    for m in _memberships(Role.OPERATOR):
        if not _conflicted(complaint, m.agency):
            result[m.user_id] = m.user
    return list(result.values())


def liaisons_of(agency_ids):
    return _users_with(Role.LIAISON, agency_ids)


def heads_of(agency_ids):
    return _users_with(Role.HEAD, agency_ids)


def auditors():
    return _users_with(Role.AUDITOR)


def reporter_channels(complaint, user):
    channels = [Notification.Channel.INAPP]
    if user.email and not user.sms_only:
        channels.append(Notification.Channel.EMAIL)
    # Only to a number the account proved: a number merely typed may be someone else's.
    if user.phone and user.phone_verified and (complaint.channel == Channel.SMS or user.sms_only):
        channels.append(Notification.Channel.SMS)
    return channels


def staff_channels(user):
    channels = [Notification.Channel.INAPP]
    if user.email:
        channels.append(Notification.Channel.EMAIL)
    return channels


def recipients_for(event):
    """[(user, audience, channels)] for one timeline event."""
    c = event.complaint
    out = []
    # A staff-only entry (the SLA ladder's reminders) never reaches the reporter.
    if event.type in REPORTER_EVENTS and event.audience != Audience.STAFF and c.reporter_id:
        if event.actor_id != c.reporter_id:
            out.append((c.reporter, Audience.REPORTER, reporter_channels(c, c.reporter)))
        elif event.type == EventType.FILED and c.reporter.email and not c.reporter.sms_only:
            # Their own filing: the receipt by mail as well (the page's receipt is gone with the tab;
            # an SMS filing is answered by SMS already).
            out.append((c.reporter, Audience.REPORTER, [Notification.Channel.EMAIL]))
    if event.type in FOLLOWER_EVENTS and event.audience == Audience.PUBLIC:
        for s in Support.objects.filter(complaint=c).select_related("user"):
            out.append((s.user, Audience.PUBLIC, [Notification.Channel.INAPP]))
    # The duplicate's reporter is told through REPORTER_EVENTS on the duplicate itself.
    if event.type in LIAISON_WORK_EVENTS and event.disposition_id:
        for u in liaisons_of([event.disposition.agency_id]):
            out.append((u, Audience.STAFF, staff_channels(u)))
    if event.type in REPORTER_SIDE_EVENTS and c.reporter_id and event.actor_id == c.reporter_id:
        agency_ids = list(c.dispositions.filter(status__in=ACTIVE_DISPOSITION).values_list("agency_id", flat=True))
        for u in liaisons_of(agency_ids):
            out.append((u, Audience.STAFF, staff_channels(u)))
        if event.type == EventType.COMPLETED:
            for u in operators_for(c):
                out.append((u, Audience.STAFF, staff_channels(u)))
    if event.type == EventType.REPLY and event.actor_id != c.reporter_id and c.reporter_id:
        out.append((c.reporter, Audience.REPORTER, reporter_channels(c, c.reporter)))
    if event.type == EventType.RETURNED:
        for u in operators_for(c):
            out.append((u, Audience.STAFF, staff_channels(u)))
    # Reminder, overdue, escalated and the 60-day ceiling: the sweep passes the recipients of its
    # step as `extra` (see complaints.deadlines.sweep._recipients).
    return out


def for_event(event, extra=()):
    """Write the outbox rows for `event` (plus `extra` [(user, audience, channels)]) and queue
    their delivery after commit. Inside `deferred_outbox()` the rows are only collected: the
    block's owner writes them, in the same transaction, with `write_outbox` (and gets the ids)."""
    rows = _rows_for(event, extra)
    collected = _deferred.get()
    if collected is not None:
        collected.extend(rows)
        return []
    return write_outbox(rows)


def _may_tell(complaint, user, audience, decided):
    """Whether a notice about `complaint` may reach `user` in `audience` (`decided`: the answers
    so far for this event, by user and audience). Staff of the organisation the report names as
    terlapor hear nothing of it through any role (`privacy.in_accused_organisation`), and nobody
    is told about a report they cannot see (`privacy.is_visible`). Within one SLA sweep the staff
    come from the snapshot, picked by roles that see the report by construction (`sla._recipients`:
    global readers, the head of the charged agency, the liaisons and heads of the disposition), so
    only the terlapor rule is checked there, in memory; elsewhere each recipient's visibility is
    asked of the database."""
    from complaints.privacy import in_accused_organisation, is_visible

    key = (user.pk, audience)
    if key in decided:
        return decided[key]
    allowed = True
    if complaint is not None:
        snapshot = _snapshot.get()
        if audience == Audience.STAFF:
            held = snapshot.memberships_of(user.pk) if snapshot is not None else user.memberships
            allowed = not in_accused_organisation(complaint, held)
        if allowed and snapshot is None and user.pk != complaint.reporter_id:
            allowed = is_visible(complaint, user)
    decided[key] = allowed
    return allowed


def _rows_for(event, extra):
    rows = []
    seen = set()
    decided = {}
    for user, audience, channels in [*recipients_for(event), *extra]:
        if user is None or not user.is_active:
            continue
        # Nobody hears of what they did themselves, except the reporter's receipt of their filing.
        own_receipt = event.type == EventType.FILED and audience == Audience.REPORTER
        if event.actor_id and user.pk == event.actor_id and not own_receipt:
            continue
        if not _may_tell(event.complaint, user, audience, decided):
            continue
        for channel in channels:
            key = (user.pk, channel)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel,
                    complaint=event.complaint,
                    event=event,
                    template=event.type,
                    audience=audience,
                    # An event still to be inserted (the sweep's, in bulk) gets its key on write.
                    dedup_key=f"event:{event.pk}" if event.pk else "",
                )
            )
    return rows


def write_outbox(rows):
    """Insert outbox rows (of one event or many) and queue their delivery after commit."""
    for n in rows:
        if not n.dedup_key:
            n.dedup_key = f"event:{n.event.pk}"
    ids = _create_all(rows)
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return ids


# The SLA sweep decides the steps of a few dozen clocks per transaction in memory (a clock that
# fails keeps nothing) and then writes what they decided together: their events in one statement,
# their outbox rows in another. It collects each clock's rows here.
_deferred = ContextVar("notify_deferred_outbox", default=None)


@contextmanager
def deferred_outbox():
    """Collect, rather than write, the rows `for_event` makes within the block; yields the list."""
    rows = []
    token = _deferred.set(rows)
    try:
        yield rows
    finally:
        _deferred.reset(token)


def _create_all(rows):
    """Insert the rows in one statement; if one of them exists already (the unique key: this
    event's outbox was written before), insert them one by one and skip the existing ones."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            return [n.pk for n in Notification.objects.bulk_create(rows)]
    except IntegrityError:
        return [n.pk for n in rows if _insert_once(n)]


def _insert_once(n):
    """Insert `n` unless its (dedup key, recipient, channel) exists; whether it was inserted."""
    n.pk = None
    try:
        with transaction.atomic():
            n.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def reset_broker_state():
    """Forget a past broker failure (tests; an operator who knows the broker is back)."""
    publish.reset()


def enqueue(ids):
    """Hand the rows to the broker; a broker outage only delays them (the beat retries). The
    first failure ends the attempt and pauses further attempts for a while (lapor.publish).
    Inside `bulk_delivery()` the rows are collected and handed over in batches when it ends."""
    from complaints import tasks

    pending = _bulk.get()
    if pending is not None:
        pending.extend(ids)
        return
    _hand_over(len(ids), [(tasks.deliver_notification, pk, 1) for pk in ids])


# The SLA sweep writes thousands of rows; a message per row costs it a fraction of a millisecond
# each, more than the rest of its work. It hands them over this many to a message: the rows of
# one sweep transaction, as a rule.
DELIVERY_BATCH = 500
_bulk = ContextVar("notify_bulk_delivery", default=None)


@contextmanager
def bulk_delivery():
    """The rows queued (after commit) within the block go to the broker when it ends, as
    `deliver_notifications` messages of up to DELIVERY_BATCH rows: the SLA sweep wraps each of its
    transactions in one. Each row is still delivered once (`deliver` locks it and records it)."""
    from complaints import tasks

    if _bulk.get() is not None:
        yield
        return
    pending = []
    token = _bulk.set(pending)
    try:
        yield
    finally:
        _bulk.reset(token)
        batches = [pending[i : i + DELIVERY_BATCH] for i in range(0, len(pending), DELIVERY_BATCH)]
        _hand_over(len(pending), [(tasks.deliver_notifications, batch, len(batch)) for batch in batches])


def _hand_over(total, messages):
    """Send [(task, argument, rows)] in order, stopping at the first failure (see `enqueue`)."""
    if not messages:
        return
    if publish.paused():
        log.info("broker recently unavailable; %s notification(s) wait for flush_outbox", total)
        return
    for task, argument, rows in messages:
        if not publish.send(task, argument):  # the broker is down: flush_outbox will pick them up
            log.warning("broker unavailable; %s notification(s) stay in the outbox", total)
            return
        total -= rows


def redact_unseen(user, notifications):
    """For the lists that show `user` their own notices (the API inbox, the personal-data export):
    a notice about a report the user cannot see (now, or ever: a row written before the rules
    above, or suppressed at delivery) keeps its date and type but loses its report, subject and
    text, as on the notifications page. In memory only; returns the notices as a list."""
    from complaints.models import Complaint

    items = list(notifications)
    ids = {n.complaint_id for n in items if n.complaint_id}
    visible = set(Complaint.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for n in items:
        if n.complaint_id and n.complaint_id not in visible:
            n.complaint = None
            n.subject = n.text = ""
    return items


# Delivery -------------------------------------------------------------------------------------
def _path(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a deployment without that page: the report's own page
        return None


def link_for(notification):
    """The page a notification leads to, for its recipient: the operator's review page, the OPD's
    disposition page, or the report's own page (reporter, followers, auditors)."""
    from accounts.models import Role
    from complaints.privacy import _subtree_ids, roles_on

    c, user = notification.complaint, notification.recipient
    if c is None:
        return _path("complaints:notifications") or "/"
    fallback = c.get_absolute_url()
    if notification.audience != Audience.STAFF or user is None:
        return fallback
    roles = roles_on(c, user)
    if any(m.role == Role.OPERATOR for m, _live in roles):
        return _path("staff:review", c.tracking_id) or fallback
    subtree = set()
    for m, _live in roles:
        if m.role in (Role.LIAISON, Role.HEAD):
            subtree.update(_subtree_ids(user)[m.agency_id])
    if subtree:
        event = notification.event
        if event is not None and event.disposition_id and event.disposition.agency_id in subtree:
            disposition_id = event.disposition_id
        else:
            disposition_id = (
                c.dispositions.filter(agency_id__in=subtree)
                .order_by("-created_at")
                .values_list("pk", flat=True)
                .first()
            )
        return _path("opd:disposition", disposition_id) or fallback
    return fallback


def _context(notification):
    c, event = notification.complaint, notification.event
    staff = notification.audience == Audience.STAFF
    disposition = event.disposition if event is not None and event.disposition_id else None
    reporter_wrote = bool(event and c and c.reporter_id and event.actor_id == c.reporter_id)
    folder = "staff" if staff else "reporter"
    template = notification.template or "default"
    return {
        "n": notification,
        "complaint": c,
        "event": event,
        "disposition": disposition,
        "user": notification.recipient,
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
        "staff": staff,
        "follower": notification.audience == Audience.PUBLIC,
        "link": settings.SITE_URL + link_for(notification),
        # Staff messages leave out what the reporter wrote: it may name them, and an email travels
        # beyond the access rules. Staff read it on the page.
        "show_body": bool(event and event.body)
        and (not staff or not reporter_wrote)
        and (staff or event.audience != Audience.STAFF),
        "message": [f"notifications/{folder}/{template}.txt", f"notifications/{folder}/default.txt"],
    }


def render(notification):
    """(subject, text) rendered now, in the recipient's language, under the report's current
    privacy; None if the recipient may no longer see the report at all."""
    from complaints.privacy import is_visible

    c = notification.complaint
    user = notification.recipient
    if c is not None and user is not None and not is_visible(c, user):
        return None
    context = _context(notification)
    sms = notification.channel == Notification.Channel.SMS
    # In the app: the message's title and one short line; the page links to the report. Mail has
    # the greeting, the report's details and the link; SMS is one line.
    inapp = notification.channel == Notification.Channel.INAPP
    # SMS are short and in Indonesian (docs/product.md §6); mail and the app follow the recipient.
    language = "id" if sms else (getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE)
    subject_template = "notifications/inapp_subject.txt" if inapp else "notifications/subject.txt"
    text_template = "notifications/sms.txt" if sms else "notifications/inapp.txt" if inapp else "notifications/body.txt"
    with translation.override(language):
        subject = " ".join(render_to_string(subject_template, context).split())
        text = render_to_string(text_template, context)
    if sms or inapp:
        text = " ".join(text.split())
    else:
        text = re.sub(r"\n[ \t]*(\n[ \t]*)+", "\n\n", text).strip()
    return subject, text


def _send(n):
    from complaints.outbox.smsbackends import send_sms

    rendered = render(n)
    unproved = n.channel == Notification.Channel.SMS and not (n.recipient.phone and n.recipient.phone_verified)
    if rendered is None:
        n.last_error = "suppressed: no longer visible to the recipient"
    elif unproved:
        # The number changed since this was queued and is not proved yet: it may be anyone's.
        n.last_error = "suppressed: phone not verified"
    else:
        n.subject, n.text = rendered
        if n.channel == Notification.Channel.EMAIL:
            send_mail(n.subject, n.text, None, [n.recipient.email])
        elif n.channel == Notification.Channel.SMS:
            send_sms(n.recipient.phone, n.text)


def deliver(pk):
    """Send one outbox row exactly once: the row is locked (others skip it) and marked sent in the
    same transaction."""
    rows = Notification.objects.select_related("recipient", "complaint", "event")
    return delivery.deliver_once(rows, pk, _send, log, "notification")


def flush_outbox(older_than_seconds=30, limit=500, max_attempts=10):
    """Deliver rows that were not delivered (broker down, worker crash, gateway error)."""
    return delivery.flush(Notification, deliver, older_than_seconds, limit, max_attempts)
