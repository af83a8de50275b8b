"""The SMS gateway (docs/product.md §6, §8): `POST /sms/inbound/`.

The gateway posts each message (form or JSON: `from`, `text`, optional `id`) signed with
`X-Signature` = hex HMAC-SHA256 of the raw body under `SMS_WEBHOOK_SECRET`; a bad or missing
signature, or no secret configured, is 403. Each message is an `InboundSms` row, unique on the
gateway's id, claimed before anything else happens: a retried delivery finds the row and answers the
same reply without filing again.

Commands (keywords in any case):
- `LAPOR [UMUM|ANONIM|RAHASIA] <isi>` files a report (rahasia unless the sender says otherwise,
  channel sms) for the account keyed by the normalised number, created on first use.
- `CEK <nomor>` answers the status of the sender's own report or of a public one.
- `BALAS <nomor> <isi>` completes a tunda report, otherwise replies in the dialogue (own reports).
- anything else gets a short help.

Replies are short, in Indonesian, with the tracking id. They leave through the pluggable SMS
backend from a Celery task queued after commit (`tasks.send_sms_reply`), sent once and retried on
failure. A number may send `SMS_RATE_LIMIT_PER_HOUR` messages an hour; past that it hears once
that it must wait, and further messages are stored but neither handled nor answered.
"""

import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import services
from accounts.phone import normalize_phone
from complaints import privacy, workflow
from complaints.channels.api.serializers import normalize_tracking_id
from complaints.errors import WorkflowError
from complaints.models import ACTIVE_DISPOSITION, Channel, DispositionStatus, InboundSms, Privacy, Status
from lapor import publish
from lapor.textgate import BadText, clean_data

log = logging.getLogger("lapor.sms")

MAX_TEXT = 2000
COMMAND_RE = re.compile(r"^\s*(LAPOR|CEK|BALAS)\b[\s:.,-]*(.*)$", re.IGNORECASE | re.DOTALL)
PRIVACY_RE = re.compile(r"^(UMUM|ANONIM|RAHASIA)\b[\s:.,-]*(.*)$", re.IGNORECASE | re.DOTALL)
TITLE_LENGTH = 80


class BadRequest(Exception):
    pass


def rate_limit():
    return int(getattr(settings, "SMS_RATE_LIMIT_PER_HOUR", 10))


# Transport ---------------------------------------------------------------------------------------
def signature_ok(request):
    secret = settings.SMS_WEBHOOK_SECRET
    given = request.headers.get("X-Signature", "").strip().lower()
    if not secret or not given:
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def _clean(value):
    return str(value if value is not None else "").replace("\x00", "").strip()


def parse(request):
    """(sender, text, gateway_id) from a form or JSON body; BadRequest when unusable."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(_("Isi permintaan bukan JSON yang valid."))
        if not isinstance(data, dict):
            raise BadRequest(_("Isi permintaan harus berupa objek JSON."))
    else:
        data = request.POST
    try:
        data = clean_data(data)
    except BadText as err:
        raise BadRequest(f"{err.field}: {err.message}")
    sender, text, gateway_id = _clean(data.get("from")), _clean(data.get("text")), _clean(data.get("id"))
    if not sender:
        raise BadRequest(_("Nomor pengirim (from) wajib diisi."))
    try:
        sender = normalize_phone(sender)
    except ValidationError as err:
        raise BadRequest(err.messages[0])
    if len(text) > MAX_TEXT:
        raise BadRequest(_("Pesan terlalu panjang."))
    if len(gateway_id) > 100:
        raise BadRequest(_("id pesan terlalu panjang."))
    return sender, text, gateway_id or None


def _answer(msg, duplicate=False, status="ok"):
    return JsonResponse(
        {
            "status": status,
            "duplicate": duplicate,
            "reply": msg.reply,
            "tracking_id": msg.complaint.tracking_id if msg.complaint_id else None,
        }
    )


def _over_rate(sender):
    """Count this message for `sender`; returns how far over the hourly limit it is (0: within).
    The count lives in the cache; when the cache cannot count (Redis down: django-redis answers
    None), the sender's stored messages of the last hour are counted instead, this one included."""
    key = "sms-rate:" + hashlib.sha256(f"{settings.SECRET_KEY}:{sender}".encode()).hexdigest()[:32]
    if cache.add(key, 1, 3600):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 3600)
            count = 1
    if count is None:
        since = timezone.now() - timedelta(hours=1)
        count = InboundSms.objects.filter(sender=sender, received_at__gte=since).count() + 1
    return max(0, count - rate_limit())


@csrf_exempt
@require_POST
def inbound(request):
    """The gateway's webhook (see the module docstring)."""
    if not signature_ok(request):
        return JsonResponse({"detail": _("Tanda tangan tidak valid.")}, status=403)
    try:
        sender, text, gateway_id = parse(request)
    except BadRequest as err:
        return JsonResponse({"detail": str(err)}, status=400)
    if gateway_id:
        known = InboundSms.objects.select_related("complaint").filter(gateway_id=gateway_id).first()
        if known is not None:
            return _answer(known, duplicate=True)
    over = _over_rate(sender)
    try:
        with transaction.atomic():
            msg = InboundSms.objects.create(gateway_id=gateway_id, sender=sender, text=text)
    except IntegrityError:  # the same id delivered twice at once: the other request handles it
        known = InboundSms.objects.select_related("complaint").get(gateway_id=gateway_id)
        return _answer(known, duplicate=True)
    status = "ok"
    with translation.override("id"):  # SMS reporters read Indonesian (docs/product.md §6)
        if over == 1:
            msg.reply, status = (
                _("%(site)s: terlalu banyak SMS dari nomor ini. Coba lagi dalam 1 jam.") % {"site": settings.SITE_NAME},
                "rate_limited",
            )
        elif over > 1:
            status = "rate_limited"  # told once already: stored, not handled, not answered
        else:
            msg.reply, msg.complaint = handle(sender, text)
    msg.save(update_fields=["reply", "complaint"])
    if msg.reply:
        transaction.on_commit(lambda: queue_reply(msg.pk))
    return _answer(msg, status=status)


def queue_reply(pk):
    from complaints import tasks

    if not publish.send(tasks.send_sms_reply, pk):  # broker down: tasks.flush_sms_replies picks it up
        log.warning("broker unavailable; SMS reply %s waits", pk)


def send_reply(pk):
    """Send the reply of InboundSms `pk` exactly once (the row is locked and marked in the same
    transaction). Returns True when sent; raises after recording a failure, so the task retries."""
    from complaints.outbox.smsbackends import send_sms

    failure = None
    with transaction.atomic():
        msg = (
            InboundSms.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, reply_sent_at__isnull=True)
            .exclude(reply="")
            .exclude(sender="")
            .first()
        )
        if msg is None:
            return False
        msg.reply_attempts += 1
        try:
            send_sms(msg.sender, msg.reply)
            msg.reply_sent_at = timezone.now()
        except Exception as exc:  # noqa: BLE001 - recorded, then retried
            failure = exc
            log.warning("SMS reply %s failed: %s", pk, type(exc).__name__)
        msg.save(update_fields=["reply_attempts", "reply_sent_at"])
    if failure is not None:
        raise RuntimeError(f"SMS reply {pk} not sent") from failure
    return True


def unsent_replies(older_than_seconds=60, max_attempts=10, limit=500):
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        InboundSms.objects.filter(reply_sent_at__isnull=True, received_at__lte=cutoff, reply_attempts__lt=max_attempts)
        .exclude(reply="")
        .exclude(sender="")
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


# Commands ----------------------------------------------------------------------------------------
def help_text():
    return _(
        "%(site)s: kirim LAPOR <isi laporan> untuk melapor, CEK <nomor laporan> untuk melihat status, "
        "BALAS <nomor laporan> <pesan> untuk menanggapi."
    ) % {"site": settings.SITE_NAME}


def handle(sender, text):
    """(reply, complaint or None) for one message from `sender` (a normalised number)."""
    match = COMMAND_RE.match(text or "")
    if not match:
        return help_text(), None
    command, rest = match.group(1).upper(), match.group(2).strip()
    if command == "LAPOR":
        return lapor(sender, rest)
    if command == "CEK":
        return cek(sender, rest)
    return balas(sender, rest)


def title_from(body):
    """A report title from the first words of a message (SMS, Open311): at most 80 characters."""
    words, title = body.split(), ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > TITLE_LENGTH:
            break
        title = candidate
    if len(title) < 5:
        title = body[:TITLE_LENGTH]
    return title if len(title) == len(body) else title.rstrip(".,;:") + "…"


def _error_text(err):
    if isinstance(err, WorkflowError):
        for messages in err.fields.values():
            return str(messages[0] if isinstance(messages, list | tuple) else messages)
        return str(err.message)
    return "; ".join(err.messages)


def lapor(sender, rest):
    chosen_privacy = None  # the channel's default (workflow.DEFAULT_PRIVACY): rahasia
    chosen = PRIVACY_RE.match(rest)
    if chosen:
        chosen_privacy, rest = chosen.group(1).lower(), chosen.group(2)
    body = " ".join(rest.split())
    if len(body) < 10:
        return _("Format: LAPOR <isi laporan, minimal 10 huruf>. Contoh: LAPOR Jalan di depan pasar berlubang."), None
    user = services.reporter_for(Channel.SMS, phone=sender).account
    if user is None:
        return _("%(site)s: akun untuk nomor ini tidak aktif.") % {"site": settings.SITE_NAME}, None
    try:
        c = workflow.file_complaint(
            reporter=user, title=title_from(body), body=body, channel=Channel.SMS, privacy=chosen_privacy
        )
    except (WorkflowError, ValidationError) as err:
        return _("Laporan belum diterima: %(error)s") % {"error": _error_text(err)}, None
    privacy_note = {
        Privacy.RAHASIA: _("rahasia"),
        Privacy.ANONIM: _("anonim"),
        Privacy.UMUM: _("umum"),
    }[c.privacy]
    return (
        _("%(site)s: laporan %(privacy)s Anda diterima, nomor %(id)s. Cek status: CEK %(id)s")
        % {"site": settings.SITE_NAME, "privacy": privacy_note, "id": c.tracking_id},
        c,
    )


def _not_found(raw):
    return _("Laporan %(id)s tidak ditemukan. Periksa nomornya (contoh: LPR-7K2M-9QXD).") % {
        "id": (raw or "")[:20] or "?"
    }


def _locate(sender, raw):
    tracking_id = normalize_tracking_id(raw)
    if tracking_id is None:
        return None, None
    user = services.reporter_for(Channel.SMS, phone=sender, create=False).account
    return privacy.get_for_sms(user, tracking_id), user


def status_text(c, owner):
    parts = [f"{c.tracking_id}: {c.get_status_display()}."]
    agencies = [
        d.agency.short_name or d.agency.name
        for d in c.dispositions.select_related("agency").filter(
            parent__isnull=True, status__in=[*ACTIVE_DISPOSITION, DispositionStatus.SELESAI]
        )
    ]
    if agencies and c.status not in (Status.ARSIP,):
        parts.append(_("Ditangani: %(agencies)s.") % {"agencies": ", ".join(agencies)})
    if c.status == Status.ARSIP and c.archive_reason:
        parts.append(_("Alasan: %(reason)s.") % {"reason": c.get_archive_reason_display()})
    if owner and workflow.Action.COMPLETE in workflow.available_actions(c, owner):
        parts.append(_("Mohon lengkapi: BALAS %(id)s <kelengkapan>.") % {"id": c.tracking_id})
    return " ".join(str(p) for p in parts)


def cek(sender, rest):
    raw = rest.split()[0] if rest.split() else ""
    c, user = _locate(sender, raw)
    if c is None:
        return _not_found(raw), None
    return status_text(c, user if privacy.is_reporter(c, user or AnonymousUser()) else None), c


def balas(sender, rest):
    pieces = rest.split(None, 1)
    raw = pieces[0] if pieces else ""
    body = " ".join(pieces[1].split()) if len(pieces) > 1 else ""
    c, user = _locate(sender, raw)
    if c is None:
        return _not_found(raw), None
    if user is None or not privacy.is_reporter(c, user):
        return _("Hanya pelapor yang dapat membalas laporan %(id)s.") % {"id": c.tracking_id}, c
    if not body:
        return _("Format: BALAS %(id)s <pesan>.") % {"id": c.tracking_id}, c
    try:
        # The table says whether this reply completes a tunda report; otherwise it is a reply (and
        # the workflow refuses it, with its reason, when the report takes no reply).
        if workflow.Action.COMPLETE in workflow.available_actions(c, user):
            workflow.complete(c.pk, by=user, body=body)
            return _("%(id)s: kelengkapan diterima, laporan kembali menunggu verifikasi.") % {"id": c.tracking_id}, c
        workflow.reply(c.pk, by=user, body=body)
    except WorkflowError as err:
        return f"{c.tracking_id}: {_error_text(err)}", c
    return _("%(id)s: tanggapan Anda diterima.") % {"id": c.tracking_id}, c
