"""Account forms: login (with the brute-force lock), registration (with consent), verification
codes, profile, account deletion."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import ratelimit
from .models import User, validate_nik
from .phone import normalize_phone


def lockout_message(seconds):
    minutes = max(1, (seconds + 59) // 60)
    return ngettext(
        "Terlalu banyak percobaan masuk yang gagal. Demi keamanan akun, coba lagi dalam %(n)d menit.",
        "Terlalu banyak percobaan masuk yang gagal. Demi keamanan akun, coba lagi dalam %(n)d menit.",
        minutes,
    ) % {"n": minutes}


class LoginForm(forms.Form):
    username = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Kata sandi"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": _("Email atau kata sandi salah."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        self.locked_seconds = 0
        super().__init__(*args, **kwargs)

    def clean(self):
        username = (self.cleaned_data.get("username") or "").lower()
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        user, self.locked_seconds = ratelimit.attempt_login(self.request, username, password)
        if self.locked_seconds:
            raise ValidationError(lockout_message(self.locked_seconds), code="locked")
        if user is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user = user
        return self.cleaned_data


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's login, under the same lock as the web login and the API token, with the
    second factor's code (accounts.second_factor) for the staff who must use one."""

    otp_token = forms.CharField(
        label=_("Kode autentikasi dua langkah"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Enam angka dari aplikasi autentikator Anda, atau satu kode cadangan."),
    )

    def clean(self):
        from . import second_factor

        username = (self.cleaned_data.get("username") or "").strip().lower()
        password = self.cleaned_data.get("password")
        if username and password:
            user, locked = ratelimit.attempt_login(self.request, username, password)
            if locked:
                raise ValidationError(lockout_message(locked), code="locked")
            if user is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(user)
            device, message, locked = second_factor.check_login_code(
                self.request, user, self.cleaned_data.get("otp_token")
            )
            if message:
                raise ValidationError(message, code="locked" if locked else "second_factor")
            if device is not None:
                # django-otp's login signal marks the session verified with this device.
                user.otp_device = device
            self.user_cache = user
        return self.cleaned_data


def _clean_phone(value):
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Nomor telepon wajib diisi."), code="required")
    return normalize_phone(value)


# The contact fields the registration and profile forms share (their help texts differ).
def _email_field(**kwargs):
    return forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}), **kwargs
    )


def _full_name_field(**kwargs):
    return forms.CharField(
        label=_("Nama lengkap"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}), **kwargs
    )


def _phone_field(**kwargs):
    attrs = {"autocomplete": "tel", "inputmode": "tel", "type": "tel"}
    return forms.CharField(label=_("Nomor telepon"), max_length=20, widget=forms.TextInput(attrs=attrs), **kwargs)


def _code_field(label, max_length, **attrs):
    """A one-time code typed from an email, an SMS or an authenticator app."""
    attrs = {"inputmode": "numeric", "autocomplete": "one-time-code", **attrs}
    return forms.CharField(label=label, max_length=max_length, widget=forms.TextInput(attrs=attrs))


class RegistrationForm(forms.Form):
    email = _email_field(help_text=_("Kami kirim kode verifikasi ke alamat ini."))
    full_name = _full_name_field(help_text=_("Tidak ditampilkan ke publik."))
    phone = _phone_field(help_text=_("Contoh: 0852 9860 1111. Hanya untuk menghubungi Anda tentang laporan."))
    nik = forms.CharField(
        label=_("NIK (opsional)"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("16 digit sesuai KTP. Hanya dilihat operator untuk memastikan identitas bila diperlukan."),
    )
    password1 = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minimal 8 karakter, jangan hanya angka, jangan mirip email atau nama Anda."),
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    consent = forms.BooleanField(
        label=_("Saya telah membaca pemberitahuan privasi dan setuju data saya diproses untuk menangani laporan saya."),
        error_messages={"required": _("Anda perlu menyetujui pemberitahuan privasi untuk mendaftar.")},
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                _("Email ini sudah terdaftar. Silakan masuk, atau pakai “Lupa kata sandi”."), code="taken"
            )
        return email

    def clean_phone(self):
        # Only the format: whether the number is known (another account's, an SMS reporter's) is
        # never said here. It is stored unverified and becomes the account's when the code texted
        # to it comes back.
        return _clean_phone(self.cleaned_data.get("phone"))

    def clean_nik(self):
        nik = (self.cleaned_data.get("nik") or "").strip().replace(" ", "")
        if nik:
            validate_nik(nik)
        return nik

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", ValidationError(_("Kedua kata sandi tidak sama."), code="mismatch"))
        elif p1:
            probe = User(email=data.get("email") or "", full_name=data.get("full_name") or "")
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as err:
                self.add_error("password1", err)
        return data


class CodeForm(forms.Form):
    code = _code_field(_("Kode 6 digit"), 12, pattern="[0-9 ]*")

    def clean_code(self):
        code = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(code) != 6:
            raise ValidationError(_("Kode terdiri dari 6 angka."), code="format")
        return code


class SecondFactorForm(forms.Form):
    """The second step of the web login: a TOTP code or one backup code."""

    code = forms.CharField(
        label=_("Kode autentikasi dua langkah"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
        help_text=_("Enam angka dari aplikasi autentikator Anda, atau satu kode cadangan."),
    )


class EnrolmentForm(forms.Form):
    """Enrolment is confirmed with the first code the new authenticator shows."""

    code = _code_field(_("Kode 6 angka dari aplikasi"), 12, pattern="[0-9 ]*")


class ProfileForm(forms.Form):
    full_name = _full_name_field()
    display_name = forms.CharField(
        label=_("Nama tampilan"),
        max_length=80,
        required=False,
        help_text=_("Nama yang tampil pada laporan umum Anda. Kosong: nama depan Anda."),
    )
    email = _email_field(help_text=_("Jika diubah, Anda perlu memverifikasi email baru."))
    phone = _phone_field()
    language = forms.ChoiceField(label=_("Bahasa"), choices=settings.LANGUAGES)
    current_password = forms.CharField(
        label=_("Kata sandi saat ini"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Wajib diisi bila Anda mengubah email atau nomor telepon."),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = user = request.user
        kwargs.setdefault(
            "initial",
            {
                "full_name": user.full_name,
                "display_name": user.display_name,
                "email": user.email,
                "phone": user.phone or "",
                "language": user.preferred_language or settings.LANGUAGE_CODE,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise ValidationError(_("Email ini sudah dipakai akun lain."), code="taken")
        return email

    def clean_phone(self):
        # As at registration: a new number is stored unverified, and whose it is is never said.
        return _clean_phone(self.cleaned_data.get("phone"))

    def clean(self):
        data = super().clean()
        email, phone = data.get("email"), data.get("phone")
        contact_changed = (email is not None and email != self.user.email) or (
            phone is not None and (phone or None) != self.user.phone
        )
        # Whoever holds a session is not necessarily its owner: moving the account's email or
        # phone (where reset codes go) takes the password as well.
        if contact_changed:
            ok, locked = ratelimit.confirm_password(self.request, self.user, data.get("current_password"))
            if locked:
                self.add_error("current_password", ValidationError(lockout_message(locked), code="locked"))
            elif not ok:
                self.add_error(
                    "current_password",
                    ValidationError(
                        _("Masukkan kata sandi Anda saat ini untuk mengubah email atau nomor telepon."),
                        code="password_required",
                    ),
                )
        return data


def _confirm_password(request, user, password, wrong_message, wrong_code):
    """`password` checked under the login lock (`ratelimit.confirm_password`): returned when right,
    a ValidationError when the lock holds or it is wrong."""
    ok, locked = ratelimit.confirm_password(request, user, password)
    if locked:
        raise ValidationError(lockout_message(locked), code="locked")
    if not ok:
        raise ValidationError(wrong_message, code=wrong_code)
    return password


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Kata sandi Anda"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(
        label=_("Saya mengerti: identitas saya dihapus permanen, laporan saya tetap ada tanpa identitas."),
        error_messages={"required": _("Centang pernyataan ini untuk melanjutkan.")},
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = request.user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        return _confirm_password(
            self.request, self.user, self.cleaned_data["password"], _("Kata sandi salah."), "wrong"
        )


class LockedPasswordChangeForm(PasswordChangeForm):
    """Django's own password change, with the old password checked under the login lock."""

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(request.user, *args, **kwargs)

    def clean_old_password(self):
        wrong = self.error_messages["password_incorrect"]
        return _confirm_password(
            self.request, self.user, self.cleaned_data["old_password"], wrong, "password_incorrect"
        )
