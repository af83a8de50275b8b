"""Account services (writes): registration, attaching a proved phone number (and with it an SMS
reporter's account), profile changes, the personal data export and erasure (UU 27/2022 PDP)."""

from django.db import transaction
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


@transaction.atomic
def attach_phone(user):
    """Make the number on `user`'s account theirs: called only by `verification.verify_phone`,
    after the code texted to that number came back. If an SMS reporter's account holds the number,
    its reports, supports and notifications move to `user` and that account is closed (the person
    who proved the number is the person who texted from it). A number another web account has
    proved is refused (AccountError): it is never taken over. Returns the updated user."""
    from complaints.models import Attachment, Complaint, Notification, Support

    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.phone or user.phone_verified:
        return user
    owner = User.objects.select_for_update().filter(phone=user.phone, phone_verified=True).exclude(pk=user.pk).first()
    if owner is not None:
        if not owner.sms_only:
            raise AccountError(_("Nomor telepon ini sudah terhubung dengan akun lain. Masuk dengan akun itu."))
        Complaint.objects.filter(reporter=owner).update(reporter=user)
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
