"""Account services (writes): registration, whose account a new report belongs to on each channel
(`reporter_for`), attaching a proved phone number (and with it an SMS reporter's account), profile
changes, the personal data export and erasure (UU 27/2022 PDP)."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .models import ApiToken, OneTimeCode, User


class AccountError(Exception):
    """A request the account services refuse; `message` is for the user."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


# Who files a report (docs/product.md §2, §6) ------------------------------------------------------
# Channels as `complaints.models.Channel` stores them (this app does not import `complaints`).
SIGNED_IN_CHANNELS = frozenset({"web", "mobile"})
SMS_CHANNEL = "sms"
TYPED_CHANNELS = frozenset({"open311", "walk-in", "phone", "social"})


@dataclass(frozen=True)
class Reporter:
    """The account a new report belongs to, as `reporter_for` finds it.

    `account` None: nobody (an anonymous walk-in, or an SMS number whose account is closed).
    `attach` False: the report is filed unattached and `account`'s owner is asked to confirm it.
    `confirm_via` ("email" or "sms") and `confirm_to`: where the confirmation link goes, empty when
    nobody is asked. `contact`: what the filer typed, kept on an unattached report."""

    account: User | None
    attach: bool = True
    confirm_via: str = ""
    confirm_to: str = ""
    contact: str = ""


def _sms_account(phone, create):
    # Only an account that proved the number owns it: one that merely typed it at registration or
    # in its profile gets no SMS report, reply or status answer from it. The sender of an SMS
    # proves the number, so a new account is an SMS-only account with the number verified and a
    # placeholder address that never receives mail.
    user = User.objects.filter(phone=phone, phone_verified=True).first()
    if user is not None:
        return user if user.is_active else None
    if not create:
        return None
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=f"sms-{phone.lstrip('+')}@sms.invalid",
                password=None,
                phone=phone,
                sms_only=True,
                phone_verified=True,
            )
    except IntegrityError:  # created meanwhile by a concurrent message
        return User.objects.filter(phone=phone, phone_verified=True, is_active=True).first()


def _owner_of(email, phone):
    """(account, via, target) of the existing account an email or a number names, or (None, "",
    ""). The email wins when both name an account. A number names the account that proved it,
    else a phone-only account that holds it unproved (proving the number through the link is all
    it takes to own such an account); a number merely typed into a web account's profile names
    nobody. The account may be inactive."""
    if email:
        user = User.objects.filter(email__iexact=email, erased_at__isnull=True).first()
        if user is not None:
            return user, "email", user.email
    if phone:
        user = (
            User.objects.filter(phone=phone, phone_verified=True).first()
            or User.objects.filter(phone=phone, sms_only=True, erased_at__isnull=True).order_by("pk").first()
        )
        if user is not None:
            return user, "sms", phone
    return None, "", ""


def _new_reporter(name, email, phone):
    # No password (the citizen may set one through "lupa sandi"), `sms_only` when only a number
    # is known, the number unverified; a concurrent twin is found instead.
    address = email or f"{phone.lstrip('+')}@sms.lapor.invalid"
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=address,
                password=None,
                full_name=name[:150],
                display_name=name.split()[0][:80] if name.split() else "",
                phone=phone or None,
                sms_only=not email,
            )
    except IntegrityError:  # made by a parallel request a moment ago
        user = User.objects.filter(email__iexact=address, erased_at__isnull=True).first()
        if user is None:
            raise
        return user


def reporter_for(channel, *, user=None, phone="", email="", name="", create=True):
    """The one answer to "whose report is this?" for every channel. Returns a `Reporter`.

    - web and mobile: the signed-in `user` (the views checked that the account is verified);
    - sms: the account that proved the sender's `phone` (the SMS proves it), made on first use
      when `create`; a closed account gets nothing;
    - open311 and the operators' manual entry (walk-in, phone, social): the filer only typed an
      `email` or a `phone`, which proves nothing (docs/product.md §6). An address that names an
      existing account: the report is filed unattached and the owner confirms it. Nobody's: a new
      account (`create`) gets the report; a phone-only one proves its number through the link.
      Open311 files by email: a number already on any account is neither copied nor asked.
      Neither address: nobody (an anonymous walk-in)."""
    if channel in SIGNED_IN_CHANNELS:
        return Reporter(user)
    if channel == SMS_CHANNEL:
        return Reporter(_sms_account(phone, create))
    if channel not in TYPED_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    email = (email or "").strip().lower()
    if channel == "open311" and phone and User.objects.filter(phone=phone).exists():
        phone = ""
    contact = ", ".join(part for part in (phone, email) if part)[:150]
    if not (email or phone):
        return Reporter(None, contact=contact)
    owner, via, target = _owner_of(email, phone)
    if owner is not None:
        if not owner.is_active:
            return Reporter(owner, attach=False, contact=contact)
        return Reporter(owner, attach=False, confirm_via=via, confirm_to=target, contact=contact)
    if not create:
        return Reporter(None, contact=contact)
    account = _new_reporter(name or "", email, phone)
    if account.sms_only and account.phone and not account.phone_verified:
        return Reporter(account, confirm_via="sms", confirm_to=account.phone, contact=contact)
    return Reporter(account, contact=contact)


@transaction.atomic
def register(*, email, password, full_name, phone, nik="", language="id"):
    """Anyone registers a citizen account (email not yet verified; consent recorded now). The phone
    is stored unverified: it is the account's only once the code texted to it comes back
    (`verification.send_phone_verification`, then `verify_phone`). The caller has validated the
    fields. Returns the new User."""
    return User.objects.create_user(
        email=email,
        password=password,
        full_name=full_name,
        phone=phone,
        nik=nik or "",
        preferred_language=language,
        privacy_consent_at=timezone.now(),
    )


def register_from(data, *, password, language):
    """`register` with the email, name, phone and NIK taken from a registration form's or the API
    serializer's validated `data` (the two name the password field differently)."""
    return register(
        email=data["email"],
        password=password,
        full_name=data["full_name"],
        phone=data["phone"],
        nik=data["nik"],
        language=language,
    )


@transaction.atomic
def attach_phone(user):
    """Make the number on `user`'s account theirs: called only by `verification.verify_phone`,
    after the code texted to that number came back. If an SMS reporter's account holds the number,
    its reports, supports and notifications move to `user` and that account is closed (the person
    who proved the number is the person who texted from it). A number another web account has
    proved is refused (AccountError): it is never taken over. Returns the updated user."""
    from complaints.common import publication
    from complaints.models import Attachment, Complaint, Notification, Support

    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.phone or user.phone_verified:
        return user
    owner = User.objects.select_for_update().filter(phone=user.phone, phone_verified=True).exclude(pk=user.pk).first()
    if owner is not None:
        if not owner.sms_only:
            raise AccountError(_("Nomor telepon ini sudah terhubung dengan akun lain. Masuk dengan akun itu."))
        Complaint.objects.filter(reporter=owner).update(reporter=user)
        publication.bump()  # the reports' public name is now this account's (a bulk update sends no signal)
        Attachment.objects.filter(uploaded_by=owner).update(uploaded_by=user)
        Notification.objects.filter(recipient=owner).update(recipient=user)
        Support.objects.filter(user=owner).exclude(
            complaint__in=Support.objects.filter(user=user).values("complaint")
        ).update(user=user)
        owner.phone = None
        owner.phone_verified = False
        owner.is_active = False
        # Free the placeholder address too: should the number later leave this account, its next
        # SMS makes a fresh SMS account under that address.
        owner.email = f"merged-{owner.pk}@sms.invalid"
        owner.set_unusable_password()
        owner.save(update_fields=["phone", "phone_verified", "is_active", "email", "password"])
        ApiToken.objects.filter(user=owner).delete()
        OneTimeCode.objects.filter(user=owner).delete()
    # Any other account that merely typed this number loses it: the number has an owner now.
    User.objects.filter(phone=user.phone, phone_verified=False).exclude(pk=user.pk).update(phone=None)
    user.phone_verified = True
    user.save(update_fields=["phone_verified"])
    return user


@transaction.atomic
def update_profile(user, *, full_name, display_name, email, phone, language):
    """The user changes their own contact details. A new email must be verified again (the
    caller sends the code); a new phone is unverified until its own code comes back (the caller
    sends that one too). Returns (user, email_changed, phone_changed)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    email = email.lower()
    email_changed = email != user.email
    phone_changed = (phone or None) != user.phone
    user.full_name = full_name
    user.display_name = display_name
    user.email = email
    user.phone = phone or None
    user.preferred_language = language
    fields = ["full_name", "display_name", "email", "phone", "preferred_language"]
    if email_changed:
        user.email_verified = False
        fields.append("email_verified")
    if phone_changed:
        user.phone_verified = False
        fields.append("phone_verified")
    user.save(update_fields=fields)
    return user, email_changed, phone_changed


@transaction.atomic
def sign_out_everywhere(user):
    """The user ends every session and revokes every API token of their account ("Keluar dari
    semua perangkat", on the profile page and the API). Called by the account's owner only. The
    account's session generation goes up, so every session made before, on any device and in any
    session store, stops matching the session auth hash; the tokens are deleted. The caller logs
    the current session out (web) or answers with no token (API). Returns the updated user."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    ApiToken.objects.filter(user_id=user.pk).delete()
    user.refresh_from_db(fields=["session_generation"])
    return user


def export_data(user):
    """Everything the portal holds about `user`, for the user themselves (PDP right of access):
    the account, their reports with their timeline entries and files, the reports they follow,
    their notifications, and who viewed or revealed their identity. The account is this app's; the
    rest comes from the apps that hold it (`signals.personal_data_requested`)."""

    def iso(value):
        return value.isoformat() if value else None

    payload = {
        "exported_at": iso(timezone.now()),
        "account": {
            "email": user.email,
            "email_verified": user.email_verified,
            "full_name": user.full_name,
            "display_name": user.display_name,
            "phone": user.phone,
            "phone_verified": user.phone_verified,
            "nik": user.nik,
            "preferred_language": user.preferred_language,
            "date_joined": iso(user.date_joined),
            "last_login": iso(user.last_login),
            "privacy_consent_at": iso(user.privacy_consent_at),
            "roles": sorted(str(r) for r in user.roles()),
        },
    }
    for _receiver, sections in signals.personal_data_requested.send(sender=User, user=user):
        payload.update(sections or {})
    return payload


@transaction.atomic
def erase_account(user):
    """The citizen deletes their own account (PDP right to erasure): their identity is erased —
    name, display name, email (replaced by a placeholder), phone, NIK, NIP, file names, manual
    contact fields and the numbers in the SMS log — the account is deactivated with `erased_at`,
    and their codes, tokens and notifications are deleted. Reports, timelines and supports stay,
    without the identity (an umum report then shows "Warga"). Staff accounts are closed by a
    superadmin, not here. Called by the "hapus akun" view only. The rows of other apps are erased
    by their receivers of `signals.account_erasing`, in this transaction."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at:
        return user
    if user.is_staff_member or user.is_staff or user.is_superuser:
        raise AccountError("staff")
    old_phone, old_phone_verified = user.phone, user.phone_verified
    now = timezone.now()
    user.full_name = ""
    user.display_name = ""
    user.email = f"erased-{user.pk}@erased.invalid"
    user.phone = None
    user.nik = ""
    user.nip = ""
    user.email_verified = False
    user.phone_verified = False
    user.sms_only = False
    user.is_active = False
    user.erased_at = now
    user.set_unusable_password()
    user.save()
    OneTimeCode.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    signals.account_erasing.send(sender=User, user=user, phone=old_phone, phone_verified=old_phone_verified)
    return user
