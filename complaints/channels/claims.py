"""Reports filed for someone else: Open311 clients and operators' manual entry.

Whoever files such a report only types an email or a phone number; typing it proves nothing. So a
report is never attached to an existing account on that say-so: it is filed unattached, with the
contact kept on the report (seen only by those who may see the reporter's identity), and the owner
of that address gets a link (signed, valid `CLAIM_MAX_AGE`) to confirm that the report is theirs.
Confirming attaches it; declining leaves it unattached. A phone-only walk-in with no account gets
a new account at once, but its number is unproved until the link texted to it is opened, so no SMS
notice goes to it before then.

Who an address names is `accounts.services.reporter_for`'s answer.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import User
from complaints.models import Complaint, ReporterClaim

log = logging.getLogger("lapor.claims")

CLAIM_SALT = "lapor.reporter-claim"
CLAIM_MAX_AGE = timedelta(days=14)


def file_for_contact(*, channel, name, email="", phone="", file):
    """File a report for a person known only by the `name`, `email` and `phone` someone typed
    (operators' manual entry, Open311). `file(reporter=..., walkin_name=..., walkin_contact=...)`
    files the report and returns it. `accounts.services.reporter_for` says whose it is: an
    address that names an existing account gets the report unattached, the contact kept on it,
    and the owner asked to confirm (`ask_owner`); a new account gets it at once, and a phone-only
    one is asked to prove its number. Returns the Complaint. Runs in the caller's transaction."""
    who = services.reporter_for(channel, name=name, email=email, phone=phone)
    if who.account is None:
        c = file(reporter=None, walkin_name=name, walkin_contact="")
    elif not who.attach:
        c = file(reporter=None, walkin_name=name or str(_("Pelapor")), walkin_contact=who.contact)
    else:
        c = file(reporter=who.account, walkin_name="", walkin_contact="")
    if who.confirm_via:
        ask_owner(c, who.account, who.confirm_via, who.confirm_to)
    return c


def token_for(claim):
    """The signed token of a claim's link."""
    return signing.dumps(claim.pk, salt=CLAIM_SALT)


def link_for(claim):
    return settings.SITE_URL.rstrip("/") + reverse("accounts:confirm_report", args=[token_for(claim)])


def claim_from_token(token):
    """The open claim a link names, or None (bad signature, expired, already answered)."""
    try:
        pk = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        ReporterClaim.objects.select_related("complaint", "user")
        .filter(pk=pk, confirmed_at__isnull=True, declined_at__isnull=True, user__is_active=True)
        .first()
    )


@transaction.atomic
def ask_owner(complaint, user, via, target):
    """Record that `complaint` waits for `user` to confirm it and send them the link (after commit)
    by `via` to `target`. Called by manual entry and Open311 filing. Returns the ReporterClaim."""
    claim = ReporterClaim.objects.create(complaint=complaint, user=user, via=via, target=target)
    link = link_for(claim)
    tracking_id = complaint.tracking_id
    site = settings.SITE_NAME

    if via == ReporterClaim.Via.SMS:
        with translation.override("id"):  # SMS are short and in Indonesian
            text = _(
                "%(site)s: laporan %(id)s dicatat dengan nomor ini. Jika benar laporan Anda, konfirmasi: %(link)s"
            ) % {"site": site, "id": tracking_id, "link": link}

        def send():
            from complaints.outbox.smsbackends import send_sms

            try:
                send_sms(target, text)
            except Exception as exc:  # noqa: BLE001 - the report stays, unattached
                log.warning("claim SMS not sent: %s", type(exc).__name__)

    else:
        context = {
            "site_name": site,
            "tracking_id": tracking_id,
            "link": link,
            "days": CLAIM_MAX_AGE.days,
            "channel": complaint.get_channel_display(),
        }
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject = render_to_string("accounts/email/claim_subject.txt", context).strip()
            body = render_to_string("accounts/email/claim_body.txt", context)

        def send():
            try:
                send_mail(subject, body, None, [target])
            except Exception as exc:  # noqa: BLE001 - the report stays, unattached
                log.warning("claim mail not sent: %s", type(exc).__name__)

    transaction.on_commit(send)
    return claim


@transaction.atomic
def confirm(claim):
    """The owner of the address opened the link and confirmed (the confirmation page only). The
    report is attached to their account if it is still unattached, and the contact kept on it is
    dropped; a link that went to a number proves it, so the number becomes the account's
    (`accounts.services.attach_phone`). Returns True when the claim was answered now."""
    claim = ReporterClaim.objects.select_for_update().select_related("user").get(pk=claim.pk)
    if claim.confirmed_at or claim.declined_at:
        return False
    user = claim.user
    if claim.via == ReporterClaim.Via.SMS and user.phone == claim.target and not user.phone_verified:
        try:
            services.attach_phone(user)
        except services.AccountError:
            return False  # another account proved the number meanwhile: this one no longer owns it
    c = Complaint.objects.select_for_update().get(pk=claim.complaint_id)
    if c.reporter_id is None:
        c.reporter = user
        c.walkin_name = ""
        c.walkin_contact = ""
        c.save(update_fields=["reporter", "walkin_name", "walkin_contact"])
    claim.confirmed_at = timezone.now()
    claim.save(update_fields=["confirmed_at"])
    return True


@transaction.atomic
def decline(claim):
    """The owner of the address says the report is not theirs (the confirmation page only): it
    stays unattached and the link stops working; a phone-only account made with a number its
    holder disowns loses that number. Returns True when answered now."""
    claim = ReporterClaim.objects.select_for_update().select_related("user").get(pk=claim.pk)
    if claim.confirmed_at or claim.declined_at:
        return False
    user = claim.user
    if claim.via == ReporterClaim.Via.SMS and user.sms_only and user.phone == claim.target and not user.phone_verified:
        User.objects.filter(pk=user.pk).update(phone=None)
    claim.declined_at = timezone.now()
    claim.save(update_fields=["declined_at"])
    return True
