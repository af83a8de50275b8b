"""One-time codes: email and phone verification.

A code is six digits, stored only as a keyed hash (`OneTimeCode.code_hash`), valid for a limited
time and a limited number of attempts; sending a new code retires the older ones of the same
purpose. Email goes out after the surrounding transaction commits (a rolled-back registration
sends nothing); the SMS of a phone verification goes, after commit too, through the pluggable SMS backend.

Callers: the registration and profile views, the API's registration and profile endpoints
(`send_email_verification`, `send_phone_verification`), and the verification pages and endpoints
(`verify_email`, `verify_phone`).
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .models import OneTimeCode

log = logging.getLogger("lapor.accounts")


def is_verified_reporter(user):
    """The one rule, for the web and the API alike, on who may file or support a report: an active
    account whose email is confirmed, or an SMS reporter's account (keyed by its number) whose
    number is proved. A web account that proved only its phone verifies its email first."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.email_verified or (user.sms_only and user.phone_verified))
    )


EMAIL_CODE_TTL = timedelta(hours=24)
PHONE_CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
# A new code may be requested once a minute: enough for a lost mail, too slow to flood an inbox.
RESEND_INTERVAL = timedelta(seconds=60)
# And at most this many per day and purpose: a phone or inbox cannot be flooded, and a claim code
# cannot be guessed by asking for fresh ones all day.
MAX_CODES_PER_DAY = 5


class CodeError(ValidationError):
    """A code was refused; `message` says why, in the user's language."""


def _hash(code, purpose, target):
    return salted_hmac(f"lapor.otc.{purpose}", f"{target}|{code}").hexdigest()


def _new_code(user, purpose, target, ttl, *, enforce_daily_limit=False):
    now = timezone.now()
    if enforce_daily_limit and seconds_until_resend(user, purpose) > RESEND_INTERVAL.total_seconds():
        raise CodeError(_("Terlalu banyak permintaan kode hari ini. Coba lagi besok."), code="daily_limit")
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.create(
        user=user, purpose=purpose, target=target, code_hash=_hash(code, purpose, target), expires_at=now + ttl
    )
    return code


def seconds_until_resend(user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL):
    """Seconds before another code of `purpose` may be sent to `user` (0: now): one a minute, and
    MAX_CODES_PER_DAY in any 24 hours."""
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.filter(user=user, purpose=purpose, created_at__gte=now - timedelta(days=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:MAX_CODES_PER_DAY]
    )
    if not recent:
        return 0
    ready = recent[0] + RESEND_INTERVAL
    if len(recent) >= MAX_CODES_PER_DAY:
        ready = max(ready, recent[-1] + timedelta(days=1))
    wait = (ready - now).total_seconds()
    return int(wait) + 1 if wait > 0 else 0


def _use(user, purpose, target, code):
    """Use the live code of `purpose` for `target`: returns None, or the CodeError to raise once
    the transaction that counted the failed attempt has committed (raising inside it would roll
    the count back and give an attacker unlimited tries)."""
    now = timezone.now()
    otc = (
        OneTimeCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, target=target, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if otc is None:
        return CodeError(_("Tidak ada kode yang berlaku. Minta kode baru."), code="no_code")
    if otc.expires_at <= now:
        return CodeError(_("Kode sudah kedaluwarsa. Minta kode baru."), code="expired")
    if otc.attempts >= MAX_ATTEMPTS:
        return CodeError(_("Terlalu banyak percobaan. Minta kode baru."), code="too_many")
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if not constant_time_compare(otc.code_hash, _hash(code, purpose, target)):
        otc.attempts += 1
        otc.save(update_fields=["attempts"])
        left = MAX_ATTEMPTS - otc.attempts
        if left <= 0:
            return CodeError(_("Kode salah. Terlalu banyak percobaan: minta kode baru."), code="too_many")
        return CodeError(_("Kode salah. Sisa percobaan: %(n)s.") % {"n": left}, code="wrong")
    otc.used_at = now
    otc.save(update_fields=["used_at"])
    return None


def _mail_after_commit(subject, body, to):
    def send():
        try:
            send_mail(subject, body, None, [to])
        except Exception as exc:  # noqa: BLE001 - the user can ask for the code again
            log.warning("verification mail not sent: %s", type(exc).__name__)

    transaction.on_commit(send)


def send_email_verification(user):
    """Send `user` a code confirming their email address (registration, email change, "resend").
    Creates a OneTimeCode (older unused ones are retired); the mail leaves after commit."""
    code = _new_code(user, OneTimeCode.Purpose.VERIFY_EMAIL, user.email, EMAIL_CODE_TTL)
    context = {
        "user": user,
        "code": code,
        "site_name": settings.SITE_NAME,
        "link": f"{settings.SITE_URL}/akun/verifikasi/?kode={code}",
        "hours": int(EMAIL_CODE_TTL.total_seconds() // 3600),
    }
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
        body = render_to_string("accounts/email/verify_body.txt", context)
    _mail_after_commit(subject, body, user.email)
    return code


def verify_email(user, code):
    """Confirm `user`'s current email address with `code`; raises CodeError when refused.
    Sets `email_verified`. Returns the user."""
    from .models import User

    with transaction.atomic():
        error = _use(user, OneTimeCode.Purpose.VERIFY_EMAIL, user.email, code)
        if error is None:
            User.objects.filter(pk=user.pk).update(email_verified=True)
    if error is not None:
        raise error
    user.email_verified = True
    return user


def _phone_sms_after_commit(phone, text):
    from complaints.outbox.smsbackends import send_sms

    def send():
        try:
            send_sms(phone, text)
        except Exception as exc:  # noqa: BLE001 - the user can ask for the code again
            log.warning("phone verification SMS not sent: %s", type(exc).__name__)

    transaction.on_commit(send)


def _phone_may_be_texted(user, phone):
    """Whether a verification code for `phone` may leave for `user`. Not when another web account
    has proved the number (it can never move, so its owner is spared a stranger's code), and not
    past MAX_CODES_PER_DAY codes to that number from all accounts together (no SMS bombing by
    registering again and again). The caller answers the same either way."""
    from .models import User

    owner = User.objects.filter(phone=phone, phone_verified=True).exclude(pk=user.pk).first()
    if owner is not None and not owner.sms_only:
        return False
    sent = OneTimeCode.objects.filter(
        purpose=OneTimeCode.Purpose.VERIFY_PHONE, target=phone, created_at__gte=timezone.now() - timedelta(days=1)
    ).count()
    return sent <= MAX_CODES_PER_DAY


def send_phone_verification(user):
    """Start proving that `user` holds the number on their account (registration, a profile
    change, "resend"): a code is stored for that number and texted to it after commit. Every
    number gets the same treatment as far as the caller can see: the code row exists even when no
    SMS leaves (see `_phone_may_be_texted`), so no answer tells whether a number is known.
    Nothing is attached to the account until `verify_phone` takes the code back. Returns nothing."""
    phone = user.phone
    if not phone or user.phone_verified:
        return
    code = _new_code(user, OneTimeCode.Purpose.VERIFY_PHONE, phone, PHONE_CODE_TTL)
    if not _phone_may_be_texted(user, phone):
        return
    minutes = int(PHONE_CODE_TTL.total_seconds() // 60)
    with translation.override("id"):  # SMS reporters read Indonesian
        text = _(
            "%(site)s: kode %(code)s untuk memverifikasi nomor ini di akun web. Berlaku %(minutes)s menit. "
            "Abaikan jika Anda tidak mendaftar."
        ) % {"site": settings.SITE_NAME, "code": code, "minutes": minutes}
    _phone_sms_after_commit(phone, text)


def resend(user, purpose):
    """The "send me a new code" button and endpoint: a new code of `purpose` goes to `user` unless
    the last one is too recent. Returns the seconds to wait (`seconds_until_resend`), 0 once sent."""
    wait = seconds_until_resend(user, purpose)
    if not wait:
        email = purpose == OneTimeCode.Purpose.VERIFY_EMAIL
        (send_email_verification if email else send_phone_verification)(user)
    return wait


def verify_phone(user, code):
    """`user` gives back the code texted to the number on their account; raises CodeError when
    refused (the same refusals for every number). On success the number becomes theirs
    (`accounts.services.attach_phone`: an SMS reporter's account on it is merged in; a number
    another web account proved is refused). Returns the user."""
    from . import services
    from .models import User

    user = User.objects.get(pk=user.pk)
    if not user.phone:
        raise CodeError(_("Tidak ada kode yang berlaku. Minta kode baru."), code="no_code")
    with transaction.atomic():
        error = _use(user, OneTimeCode.Purpose.VERIFY_PHONE, user.phone, code)
    if error is not None:
        raise error
    try:
        return services.attach_phone(user)
    except services.AccountError as err:
        raise CodeError(err.message, code="taken")
    except IntegrityError:  # another account proved the same number at the same moment
        raise CodeError(_("Nomor telepon ini sudah terhubung dengan akun lain. Masuk dengan akun itu."), code="taken")
