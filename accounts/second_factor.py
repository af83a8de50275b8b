"""The second factor for staff who can see identities (docs/product.md §9): operators, auditors,
superadmins, and anyone with Django admin access, on every way in — the web login, the Django
admin's login and the API token (`otp`, docs/product.md §8).

The devices are django-otp's: a TOTP device (RFC 6238: SHA-1, 6 digits, 30 s) in an authenticator
app, and a static device holding ten single-use backup codes. A TOTP code is accepted once: the
device remembers the last time step it accepted (`last_t`) and refuses that step and any earlier
one, so a code seen over a shoulder or in a proxy log cannot be used again. A backup code is
deleted when it is used.

A wrong code counts toward the same login lock as a wrong password (accounts.ratelimit), per
account and client address; for these accounts a right password alone does not clear that count,
only a right code does.

A staff member with no device yet is signed in but can reach nothing but enrolment
(`SecondFactorMiddleware`), where they scan the QR code, confirm it with a first code and receive
their backup codes, once.
"""

import re

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import ratelimit

BACKUP_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")


def needs_second_factor(user):
    """Whether `user` must pass a second factor: the identity roles (operator, auditor,
    superadmin) and every account with Django admin access."""
    return bool(user is not None and user.is_authenticated and user.needs_second_factor)


def has_device(user):
    """Whether `user` has a confirmed TOTP device (enrolment done)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def _clean(code):
    return re.sub(r"[\s-]", "", str(code or "")).lower()


def verify(user, code):
    """The device of `user` that accepts `code` (and so will not accept it again), or None.

    Six digits are tried on the TOTP device only, anything else on the backup codes only, so that a
    mistyped code of one kind does not add to the other device's throttle."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = _clean(code)
    if not code or len(code) > 16:
        return None
    model = TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        # Locked: two requests with the same code cannot both pass the replay check.
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(code):
                return device
    return None


def check_login_code(request, user, code):
    """The second step of a login, on every way in. Returns `(device, message, locked_seconds)`:
    the device that accepted the code (None for an account that needs no second factor, with no
    message), or None and the refusal. A wrong code counts as a failed login; a right one clears
    the account+address count."""
    from .forms import lockout_message

    if not needs_second_factor(user):
        return None, None, 0
    if not has_device(user):
        return None, no_device_message(), 0
    username, ip = user.get_username(), ratelimit.client_ip(request)
    locked = ratelimit.seconds_locked(username, ip)
    if locked:
        return None, lockout_message(locked), locked
    if not _clean(code):
        return None, _("Masukkan kode autentikasi dua langkah dari aplikasi autentikator Anda."), 0
    device = verify(user, code)
    if device is None:
        locked = ratelimit.record_failure(username, ip)
        if locked:
            return None, lockout_message(locked), locked
        return None, _("Kode autentikasi dua langkah salah atau sudah dipakai."), 0
    ratelimit.reset(username, ip)
    return device, None, 0


def no_device_message():
    return _(
        "Akun petugas ini belum memasang autentikasi dua langkah. Masuk lewat halaman Masuk di situs untuk "
        "memasangnya, atau minta superadmin memulihkannya."
    )


# Enrolment ---------------------------------------------------------------------------------------
def pending_device(user):
    """The TOTP device being enrolled (unconfirmed), made on first call; its secret stays the same
    until enrolment is confirmed, so a reload shows the same QR code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Aplikasi autentikator"), confirmed=False)
    return device


def confirm_enrolment(user, device, code):
    """Confirm the enrolling `device` with its first code. Returns the backup codes (shown once)
    or None when the code is wrong. Every other device of the account is replaced."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = _clean(code)
    if not TOTP_CODE.fullmatch(code):
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_backup_codes(user)


def new_backup_codes(user):
    """Replace the account's backup codes with BACKUP_CODE_COUNT fresh ones; returns them."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name=_("Kode cadangan"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def enrol(user):
    """A confirmed TOTP device and backup codes for `user` at once (seed_demo, tests); returns the
    device. An existing confirmed device is kept."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Aplikasi autentikator"), confirmed=True)
        new_backup_codes(user)
    return device


def base32_secret(device):
    """The device's secret as authenticator apps take it typed in (RFC 4648 base32, no padding)."""
    from base64 import b32encode

    return b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device):
    """The device's otpauth:// address as an inline SVG QR code (no script, no external image:
    the CSP allows neither)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=4, light="#fff", title=_("Kode QR"))


def reset(user):
    """Remove every device of `user` (a lost phone): their next sign-in leads to enrolment. Their
    sessions and API tokens end too, so whoever holds the old device holds nothing."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import services

    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get("otp_totp.TOTPDevice", 0)
        StaticDevice.objects.filter(user=user).delete()
        services.sign_out_everywhere(user)
    return removed


# The gate ----------------------------------------------------------------------------------------
# What a signed-in staff member who has not passed the second factor may still reach (the language
# links in the header included: they only set the language cookie).
OPEN_PREFIXES = ("/static/", "/bahasa/", "/healthz", "/favicon.ico")


def _open_paths():
    return {reverse("accounts:second_factor"), reverse("accounts:logout")}


class SecondFactorMiddleware:
    """Staff who must use a second factor and whose session has not passed it (no device yet, or
    a device reset) reach only enrolment and sign-out: pages redirect to enrolment, the API
    answers 403 JSON to a session. Requests carrying an API token are left to the API, whose
    tokens are issued only after the code (accounts.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and self._blocked(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Pasang dan pakai autentikasi dua langkah terlebih dahulu.")}, status=403
                )
            target = reverse("accounts:second_factor")
            if request.method == "GET":
                target += "?" + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    def _blocked(self, request):
        path = request.path_info
        if path.startswith(OPEN_PREFIXES) or path in _open_paths():
            return False
        if path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META:
            return False
        user = request.user
        return needs_second_factor(user) and not user.is_verified()
