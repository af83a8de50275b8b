"""Users and their roles.

Usernames are email addresses. Phone and NIK are personal data (UU 27/2022): they are never shown
to the public and are used only for their purpose (SMS reporting, identification by an operator).
Roles are rows (`Membership`): a user may hold several, each optionally tied to an agency.
"""

import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .phone import normalize_phone


def validate_nik(value):
    if not re.fullmatch(r"\d{16}", value or ""):
        raise ValidationError(_("NIK harus 16 digit angka."), code="invalid_nik")


class Role(models.TextChoices):
    PELAPOR = "pelapor", _("Pelapor")
    OPERATOR = "operator", _("Operator")
    LIAISON = "liaison", _("Admin penghubung")
    HEAD = "head", _("Pimpinan")
    AUDITOR = "auditor", _("Auditor")
    SUPERADMIN = "superadmin", _("Superadmin")


STAFF_ROLES = {Role.OPERATOR, Role.LIAISON, Role.HEAD, Role.AUDITOR, Role.SUPERADMIN}
# Staff who can see identities log in with a second factor (docs/product.md §9).
IDENTITY_ROLES = {Role.OPERATOR, Role.AUDITOR, Role.SUPERADMIN}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, email_verified=True)
        user = self._create(email, password, **extra)
        Membership.objects.get_or_create(user=user, role=Role.SUPERADMIN, agency=None)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150, blank=True)
    display_name = models.CharField(
        _("nama tampilan"), max_length=80, blank=True, help_text=_("Nama yang tampil pada laporan umum.")
    )
    # Several accounts may have typed the same number; only one may have proved it (the code sent to
    # it came back), and only that one is the number's owner for SMS reports, replies and notices.
    phone = models.CharField(_("nomor telepon"), max_length=20, blank=True, null=True, db_index=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[validate_nik])
    nip = models.CharField(_("NIP"), max_length=18, blank=True, help_text=_("Untuk pegawai (ASN)."))
    email_verified = models.BooleanField(_("email terverifikasi"), default=False)
    phone_verified = models.BooleanField(_("telepon terverifikasi"), default=False)
    # An account created by the SMS channel: keyed by phone, no email of its own yet.
    sms_only = models.BooleanField(default=False)
    preferred_language = models.CharField(max_length=5, default="id")
    privacy_consent_at = models.DateTimeField(_("persetujuan privasi"), null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    is_staff = models.BooleanField(_("akses admin"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised by "sign out everywhere": it is part of the session auth hash, so every session made
    # before the raise stops matching and is logged out on its next request, without scanning the
    # session table.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=models.Q(phone_verified=True), name="user_verified_phone_unique"
            )
        ]

    def __str__(self):
        # Never the email or phone: logs and admin lists carry no identity beyond the id.
        return f"user #{self.pk}"

    def clean(self):
        super().clean()
        self.email = (self.email or "").lower()
        if self.phone:
            self.phone = normalize_phone(self.phone)
        if not self.phone:
            self.phone = None

    def save(self, *args, **kwargs):
        self.email = (self.email or "").lower()
        if self.phone:
            self.phone = normalize_phone(self.phone)
        else:
            self.phone = None
        # `_password` is set by set_password() and left unset by a mere hash upgrade at login, so
        # this is a real change or reset, by whatever path (reset link, own change, admin,
        # changepassword): the API tokens go with the old password. Sessions already stop
        # matching, since the session auth hash is derived from the password hash.
        password_changed = (self._password is not None or self._password_unusable) and not self._state.adding
        super().save(*args, **kwargs)
        self._password_unusable = False
        if password_changed:
            ApiToken.objects.filter(user_id=self.pk).delete()

    _password_unusable = False

    def set_unusable_password(self):
        # Taking the password away (admin, erasure, merge) is a change too: see save().
        super().set_unusable_password()
        self._password_unusable = True

    def _get_session_auth_hash(self, secret=None):
        if not self.session_generation:
            # Unchanged from Django's hash, so sessions made before this field existed stay valid.
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    # Roles -------------------------------------------------------------------------------
    @cached_property
    def memberships(self):
        if not self.is_authenticated or self.pk is None:
            return []
        return list(self.membership_set.select_related("agency", "agency__root"))

    def roles(self):
        roles = {m.role for m in self.memberships}
        if self.is_active:
            roles.add(Role.PELAPOR)
        return roles

    def has_role(self, role, agency=None):
        return any(m.role == role and (agency is None or m.agency_id == agency.pk) for m in self.memberships)

    def agencies_for(self, *roles):
        return [m.agency for m in self.memberships if m.role in roles and m.agency_id]

    @property
    def is_staff_member(self):
        return any(m.role in STAFF_ROLES for m in self.memberships)

    @property
    def needs_second_factor(self):
        """Staff who can see identities, and anyone with Django admin access, sign in with a second
        factor (docs/product.md §9; accounts.second_factor)."""
        return bool(self.is_superuser or self.is_staff or any(m.role in IDENTITY_ROLES for m in self.memberships))


class Membership(models.Model):
    """One role held by one user, optionally for one agency (liaison of Dinas PU, say)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("instansi"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("peran pengguna")
        verbose_name_plural = _("peran pengguna")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "agency"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(agency__isnull=True), name="membership_unique_noagency"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.agency or ''}".strip()

    def clean(self):
        if self.role in (Role.LIAISON, Role.HEAD, Role.OPERATOR) and not self.agency_id:
            raise ValidationError({"agency": _("Peran ini memerlukan instansi.")})


class ApiToken(models.Model):
    """API tokens that expire (docs/product.md §9)."""

    key = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"token of user #{self.user_id}"


class OneTimeCode(models.Model):
    """Codes for email and phone verification and password reset (`claim_phone`: codes of the
    former SMS-account claim step, kept so stored rows stay valid)."""

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        VERIFY_PHONE = "verify_phone"
        CLAIM_PHONE = "claim_phone"
        RESET_PASSWORD = "reset_password"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    target = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self):
        return f"{self.purpose} code of user #{self.user_id}"


class LoginFailure(models.Model):
    """A failed login counted in the database because the cache could not count it (Redis down):
    the lockout's fallback (accounts.ratelimit). `key` is the same hashed account+address or
    address key the cache would use: no account name or address is stored."""

    key = models.CharField(max_length=80)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self):
        return f"login failure at {self.at:%Y-%m-%d %H:%M}"
