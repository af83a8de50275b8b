"""Serializers of the account endpoints (`accounts.api`): the caller's profile, registration,
tokens and verification codes."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lapor.api.serializers import TextField, iso

from .models import Role


class MembershipSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    agency = TextField(allow_null=True, help_text=_("Slug instansi, atau null."))


class ProfileSerializer(serializers.Serializer):
    """The caller's own account (their own data: PDP right of access)."""

    email = serializers.EmailField()
    full_name = TextField()
    display_name = TextField()
    phone = TextField(allow_null=True)
    nik = TextField(allow_blank=True)
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()
    sms_only = serializers.BooleanField()
    preferred_language = TextField()
    privacy_consent_at = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()
    roles = MembershipSerializer(many=True)

    def to_representation(self, user):
        return {
            "email": user.email,
            "full_name": user.full_name,
            "display_name": user.display_name,
            "phone": user.phone,
            "nik": user.nik,
            "email_verified": user.email_verified,
            "phone_verified": user.phone_verified,
            "sms_only": user.sms_only,
            "preferred_language": user.preferred_language,
            "privacy_consent_at": iso(user.privacy_consent_at),
            "date_joined": iso(user.date_joined),
            "roles": [{"role": m.role, "agency": m.agency.slug if m.agency_id else None} for m in user.memberships],
        }


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = TextField(write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"})
    full_name = TextField(max_length=150)
    phone = TextField(max_length=20)
    nik = TextField(max_length=16, required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(
        error_messages={"required": _("Anda perlu menyetujui pemberitahuan privasi untuk mendaftar.")},
        help_text=_(
            "Wajib: persetujuan atas pemberitahuan privasi (/privasi/), seperti pada formulir pendaftaran "
            "web. true dicatat sebagai persetujuan; false atau tidak dikirim menolak pendaftaran (400)."
        ),
    )

    # The web registration form holds the rules (email unique, phone format, NIK format, password
    # strength); the API validates through it so both surfaces refuse the same things.
    FORM_FIELDS = {"password1": "password", "password2": "password"}

    def validate(self, attrs):
        from accounts.forms import RegistrationForm

        if attrs.get("consent") is not True:
            raise serializers.ValidationError(
                {"consent": [_("Anda perlu menyetujui pemberitahuan privasi untuk mendaftar.")]}
            )
        form = RegistrationForm(
            data={
                "email": attrs["email"],
                "full_name": attrs["full_name"],
                "phone": attrs["phone"],
                "nik": attrs.get("nik") or "",
                "password1": attrs["password"],
                "password2": attrs["password"],
                "consent": "on",
            }
        )
        if not form.is_valid():
            errors = {}
            for name, messages in form.errors.items():
                key = self.FORM_FIELDS.get(name, name)
                errors.setdefault("non_field_errors" if key == "__all__" else key, []).extend(messages)
            raise serializers.ValidationError(errors)
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = TextField(max_length=254, help_text=_("Alamat email akun."))
    password = TextField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    otp = TextField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text=_(
            "Kode autentikasi dua langkah (TOTP 6 angka, atau satu kode cadangan), wajib bagi operator, auditor "
            "dan superadmin."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = TextField()
    expires_at = serializers.DateTimeField()


class CodeSerializer(serializers.Serializer):
    code = TextField(max_length=12)
