"""Daily digests for people who follow an area or a category (docs/product.md §2; README, "Ikuti
wilayah").

`AreaFollow` says who follows what (a kecamatan, a kelurahan and/or a category; all that are set
must match). Once a day (beat, task `complaints.tasks.send_area_digests`) `build_digests(now)`
decides, follow by follow, whether there is news since the last digest: in one transaction it
locks the follow, writes an `AreaDigest` row for (follow, day) under the unique constraint
`area_digest_once` and moves the follow's window on. A second run the same day, or a concurrent
one, finds the row and does nothing: one digest per follow per day is a database fact
(docs/architecture.md, rule 3). `deliver(pk)` then renders and sends it once, as `notify.deliver`
does an outbox row: locked, rendered at send time as the public sees the reports at that moment,
marked sent; a failure is recorded and retried by `flush_digests` (beat).

A digest carries only what the public reads (docs/privacy.md): the title, the operator's public
summary or the public text, the kecamatan/kelurahan, the category and the status — never the
reporter, never an anonim report's free-text location, never a rahasia report (the reports come
from `Complaint.objects.visible_to(AnonymousUser())`).

Links in mail are signed (django.core.signing): the confirmation of an address that has no verified
account, and the one-click unsubscribe (also sent as `List-Unsubscribe`, RFC 8058).
"""

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from complaints.models import AreaDigest, AreaFollow, Audience, Complaint, Event, EventType
from complaints.outbox import delivery
from complaints.privacy import public_text

log = logging.getLogger("lapor.digests")

CONFIRM_SALT = "complaints.follow.confirm"
UNSUBSCRIBE_SALT = "complaints.follow.unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week
MAX_ITEMS = 50  # per section of one digest; the rest is on the feed
# Timeline entries (public ones) that change a report's status.
STATUS_EVENTS = (
    EventType.DISPOSED,
    EventType.FORWARDED,
    EventType.FINISHED,
    EventType.ACCEPTED,
    EventType.CLOSED,
    EventType.REOPENED,
    EventType.ARCHIVED,
    EventType.WITHDRAWN,
    EventType.MERGED,
    EventType.POSTPONED,
)


# Signed links ------------------------------------------------------------------------------------
def _email_tag(email):
    """A keyed digest of the address: a token stays bound to it (a row id alone could be reused),
    and the address itself never appears in a URL, where access logs would keep it."""
    return salted_hmac("complaints.follow.email", email.strip().lower()).hexdigest()[:20]


def confirm_token(follow):
    return signing.dumps({"f": follow.pk, "h": _email_tag(follow.email)}, salt=CONFIRM_SALT)


def unsubscribe_token(follow):
    return signing.dumps({"f": follow.pk, "h": _email_tag(follow.email)}, salt=UNSUBSCRIBE_SALT)


def _follow_from(token, salt, max_age=None):
    """The follow a signed token names, or None (tampered, expired, or already gone)."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(data, dict):
        return None
    follow = AreaFollow.objects.filter(pk=data.get("f")).first() if isinstance(data.get("f"), int) else None
    if follow is None or not constant_time_compare(_email_tag(follow.email), str(data.get("h", ""))):
        return None
    return follow


def follow_for_confirmation(token):
    return _follow_from(token, CONFIRM_SALT, CONFIRM_MAX_AGE)


def follow_for_unsubscribe(token):
    return _follow_from(token, UNSUBSCRIBE_SALT)


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(follow):
    return absolute(f"/ikuti/berhenti/{unsubscribe_token(follow)}/")


def confirm_url(follow):
    return absolute(f"/ikuti/konfirmasi/{confirm_token(follow)}/")


def send_confirmation(follow, language=None):
    """Mail the confirmation link to an address that no verified account vouches for."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "follow": follow,
            "what": describe(follow),
            "link": confirm_url(follow),
            "site_name": settings.SITE_NAME,
        }
        subject = " ".join(render_to_string("notifications/follow/confirm_subject.txt", context).split())
        text = render_to_string("notifications/follow/confirm.txt", context).strip()
    EmailMessage(subject, text, None, [follow.email]).send()


# What a follow covers ----------------------------------------------------------------------------
def describe(follow):
    """The follow in words: "Kelurahan Lamokato · Jalan dan jembatan"."""
    from django.utils.translation import gettext

    parts = []
    if follow.kelurahan_id:
        parts.append(gettext("Kelurahan/desa %(name)s") % {"name": follow.kelurahan.name})
    elif follow.kecamatan_id:
        parts.append(gettext("Kecamatan %(name)s") % {"name": follow.kecamatan.name})
    if follow.category_id:
        parts.append(gettext("kategori %(name)s") % {"name": _category_name(follow.category)})
    return " · ".join(parts)


def _category_name(category):
    """The category in the active language (its English name when there is one)."""
    if category is None:
        return ""
    if (translation.get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


def area_filter(follow):
    q = Q()
    if follow.kecamatan_id:
        q &= Q(kecamatan_id=follow.kecamatan_id)
    if follow.kelurahan_id:
        q &= Q(kelurahan_id=follow.kelurahan_id)
    if follow.category_id:
        q &= Q(category_id=follow.category_id)
    return q


def _public_reports(follow):
    return Complaint.objects.visible_to(AnonymousUser()).public().filter(area_filter(follow))


def news(follow, since, until):
    """(newly published reports, [(report, latest status event)]) in (since, until], public only."""
    reports = _public_reports(follow).select_related("category", "kecamatan", "kelurahan")
    published = list(reports.filter(verified_at__gt=since, verified_at__lte=until).order_by("verified_at", "pk"))
    new_ids = {c.pk for c in published}
    events = (
        Event.objects.filter(
            complaint__in=reports.values("pk"),
            audience=Audience.PUBLIC,
            type__in=STATUS_EVENTS,
            created_at__gt=since,
            created_at__lte=until,
        )
        .exclude(complaint_id__in=new_ids)
        .select_related("complaint__category", "complaint__kecamatan", "complaint__kelurahan")
        .order_by("-created_at", "-pk")
    )
    changed = {}
    for e in events:
        changed.setdefault(e.complaint_id, (e.complaint, e))
    changes = sorted(changed.values(), key=lambda pair: (pair[1].created_at, pair[1].pk))
    return published, changes


def _count(follow, since, until):
    published, changes = news(follow, since, until)
    return len(published) + len(changes)


# Deciding: one row per follow per day -----------------------------------------------------------
def build_digests(now=None):
    """Decide today's digests; returns the ids of the rows written (each to be delivered once)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    ids = []
    candidates = (
        AreaFollow.objects.filter(confirmed_at__isnull=False, confirmed_at__lt=now)
        .exclude(digests__day=day)
        .values_list("pk", flat=True)
    )
    for pk in list(candidates):
        digest = _decide(pk, day, now)
        if digest is not None:
            ids.append(digest)
    return ids


def _decide(pk, day, now):
    with transaction.atomic():
        follow = (
            AreaFollow.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, confirmed_at__isnull=False)
            .select_related("kecamatan", "kelurahan", "category")
            .first()
        )
        if follow is None or AreaDigest.objects.filter(follow=follow, day=day).exists():
            return None  # another run holds it, decided it already, or it was unsubscribed
        since = follow.last_digest_at or follow.confirmed_at
        items = _count(follow, since, now)
        if not items:
            return None  # nothing new: no mail, and the window stays open
        try:
            with transaction.atomic():
                digest = AreaDigest.objects.create(follow=follow, day=day, since=since, until=now, items=items)
        except IntegrityError:
            return None
        follow.last_digest_at = now
        follow.save(update_fields=["last_digest_at"])
        return digest.pk


# Sending -----------------------------------------------------------------------------------------
def _language(follow):
    return getattr(follow.user, "preferred_language", None) or settings.LANGUAGE_CODE


def render(digest):
    """(subject, text, count) of a digest, rendered now as the public reads its reports."""
    follow = digest.follow
    published, changes = news(follow, digest.since, digest.until)
    public = AnonymousUser()
    with translation.override(_language(follow)):
        rows = [
            {
                "c": c,
                "category": _category_name(c.category),
                "text": public_text(c, public),
                "link": absolute(c.get_absolute_url()),
            }
            for c in published[:MAX_ITEMS]
        ]
        changed = [{"c": c, "event": e, "link": absolute(c.get_absolute_url())} for c, e in changes[:MAX_ITEMS]]
        context = {
            "what": describe(follow),
            "published": rows,
            "more_published": max(0, len(published) - MAX_ITEMS),
            "changes": changed,
            "more_changes": max(0, len(changes) - MAX_ITEMS),
            "since": timezone.localtime(digest.since),
            "until": timezone.localtime(digest.until),
            "unsubscribe": unsubscribe_url(follow),
            "manage": absolute("/ikuti/"),
            "feed": absolute("/laporan/"),
            "site_name": settings.SITE_NAME,
        }
        subject = " ".join(render_to_string("notifications/follow/digest_subject.txt", context).split())
        text = render_to_string("notifications/follow/digest.txt", context).strip()
    return subject, text, len(published) + len(changes)


def _send(digest):
    subject, text, count = render(digest)
    if not count:
        digest.last_error = "suppressed: nothing public any more"
    else:
        digest.subject, digest.text = subject[:200], text
        link = unsubscribe_url(digest.follow)
        EmailMessage(
            digest.subject,
            text,
            None,
            [digest.follow.email],
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        ).send()


def deliver(pk):
    """Send one digest exactly once: the row is locked (others skip it), sent, and marked sent in
    the same transaction; a failure is recorded for `flush_digests`."""
    digests = AreaDigest.objects.select_related(
        "follow__user", "follow__kecamatan", "follow__kelurahan", "follow__category"
    )
    return delivery.deliver_once(digests, pk, _send, log, "digest")


def flush_digests(older_than_seconds=30, limit=500, max_attempts=10):
    """Deliver digests that were decided but not sent (mail down, a worker crash)."""
    return delivery.flush(AreaDigest, deliver, older_than_seconds, limit, max_attempts)


def send_area_digests(now=None):
    """The daily run: decide today's digests, then send each once."""
    ids = build_digests(now)
    sent = sum(1 for pk in ids if deliver(pk))
    return {"decided": len(ids), "sent": sent}
