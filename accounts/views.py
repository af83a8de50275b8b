"""Account pages (mounted at /akun/): log in and out, register (with consent), verify the email
address and the phone number, profile, password reset, the personal-data download and account
deletion."""

import json
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import second_factor, services, verification
from .forms import (
    CodeForm,
    DeleteAccountForm,
    EnrolmentForm,
    LockedPasswordChangeForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    SecondFactorForm,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_language(response, user):
    """Keep the user's chosen language across sessions (LocaleMiddleware reads the cookie)."""
    language = user.preferred_language or settings.LANGUAGE_CODE
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _wait_message(seconds):
    if seconds > verification.RESEND_INTERVAL.total_seconds():
        return _("Terlalu banyak permintaan kode hari ini. Coba lagi besok.")
    return _("Tunggu %(s)s detik sebelum meminta kode baru.") % {"s": seconds}


def _resend(request, purpose, sent_message):
    """The "send a new code" button of the verification pages: a message saying it was sent, or
    how long to wait."""
    wait = verification.resend(request.user, purpose)
    if wait:
        messages.error(request, _wait_message(wait))
    else:
        messages.success(request, sent_message)


def _code_accepted(form, verify, user):
    """A verification page's code form: `verify(user, code)` with a valid form's code; a refused
    code becomes the form's error. True when the code was accepted."""
    if not form.is_valid():
        return False
    try:
        verify(user, form.cleaned_data["code"])
    except verification.CodeError as err:
        form.add_error("code", err.message)
        return False
    return True


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_landing(request.user, next_url))
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        next_url = _landing(user, next_url)
        if second_factor.needs_second_factor(user) and second_factor.has_device(user):
            # Half a login: the session holds who typed the right password, not a signed-in user,
            # until the code step (login_code) is passed.
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "at": int(time.time()),
                "next": next_url,
                "hash": user.get_session_auth_hash(),
            }
            return redirect("accounts:login_code")
        login(request, user, backend=BACKEND)
        if second_factor.needs_second_factor(user):
            # No device yet: enrolment first (SecondFactorMiddleware lets nothing else through).
            next_url = f"{reverse('accounts:second_factor')}?{urlencode({'next': next_url})}"
        return _with_language(redirect(next_url), user)
    status = 429 if form.locked_seconds else (400 if form.is_bound else 200)
    context = {
        "form": form,
        "next": next_url,
        "register_url": f"{reverse('accounts:register')}?{urlencode({'next': next_url})}",
        "for_filing": next_url.startswith(reverse("complaints:file")),
    }
    response = render(request, "accounts/login.html", context, status=status)
    if form.locked_seconds:
        response["Retry-After"] = str(form.locked_seconds)
    return response


PENDING_KEY = "_second_factor_pending"
AFTER_VERIFY_KEY = "_after_verify"
# Staff whose day starts at a work list (the queue, the inbox, the head's view, the audit).
WORK_ROLES = ("operator", "liaison", "head", "auditor")


def _landing(user, next_url):
    """Where a sign-in without a `next` leads: staff to their work list, a superadmin with no
    other role to the admin, citizens to their account page."""
    if next_url != settings.LOGIN_REDIRECT_URL:
        return next_url
    if any(user.has_role(role) for role in WORK_ROLES):
        return reverse("staff:workspace")
    if user.is_superuser:
        return reverse("admin:index")
    return next_url


def _pending_user(request):
    """The user who passed the password step in this session and has yet to give the code, while
    that step is fresh (SECOND_FACTOR_PENDING_SECONDS) and the password unchanged; else None."""
    from .models import User

    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, None
    if time.time() - pending.get("at", 0) > settings.SECOND_FACTOR_PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None, None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        del request.session[PENDING_KEY]
        return None, None
    return user, pending


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """The second step of the web login for staff with a second factor (docs/product.md §9): a
    TOTP code, or one backup code. A wrong code counts toward the login lock."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Masukkan email dan kata sandi Anda terlebih dahulu."))
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device, message, locked = second_factor.check_login_code(request, user, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_KEY]
            user.otp_device = device  # django-otp's login signal marks the session verified
            login(request, user, backend=BACKEND)
            return _with_language(redirect(pending["next"]), user)
        form.add_error("code", message)
        if locked:
            # Locked: the password step starts again once the lock ends.
            del request.session[PENDING_KEY]
            status = 429
        else:
            status = 400
    elif form.is_bound:
        status = 400
    response = render(request, "accounts/login_code.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(locked)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Enrolment in the second factor, and re-verifying a session with it. With no confirmed
    device: a QR code and the secret as text for an authenticator app, confirmed with its first
    code, then ten backup codes shown once. With a device but a session that has not used it (a
    session from before enrolment was required): its code."""
    user = request.user
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    if not second_factor.needs_second_factor(user):
        return redirect(next_url)
    enrolled = second_factor.has_device(user)
    if enrolled and user.is_verified():
        return render(request, "accounts/second_factor.html", {"state": "active", "next": next_url})
    if enrolled:
        form = SecondFactorForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            device, message, locked = second_factor.check_login_code(request, user, form.cleaned_data["code"])
            if device is not None:
                from django_otp import login as otp_login

                otp_login(request, device)
                request.session.cycle_key()
                return redirect(next_url)
            form.add_error("code", message)
            status = 429 if locked else 400
        elif form.is_bound:
            status = 400
        context = {"state": "verify", "form": form, "next": next_url}
        return render(request, "accounts/second_factor.html", context, status=status)
    device = second_factor.pending_device(user)
    form = EnrolmentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = second_factor.confirm_enrolment(user, device, form.cleaned_data["code"])
        if codes is not None:
            from django_otp import login as otp_login

            device.refresh_from_db()
            otp_login(request, device)
            request.session.cycle_key()
            # Shown once, in this answer only (no-store): not kept anywhere they could be read again.
            context = {"state": "done", "backup_codes": codes, "next": next_url}
            return render(request, "accounts/second_factor.html", context)
        form.add_error("code", _("Kode salah atau sudah kedaluwarsa. Masukkan kode yang sedang tampil di aplikasi."))
        status = 400
    elif form.is_bound:
        status = 400
    context = {
        "state": "enrol",
        "form": form,
        "next": next_url,
        "qr_svg": second_factor.qr_svg(device),
        "secret": second_factor.base32_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "accounts/second_factor.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request):
    if request.method == "POST":
        logout(request)
        messages.success(request, _("Anda sudah keluar."))
        return redirect("/")
    return render(request, "accounts/logout.html")


@sensitive_post_parameters("password1", "password2", "nik")
@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    """Every valid registration gets the same answer, whatever the phone number: the account is
    made with the number unverified, a code goes to the email and one to the number. The number
    (and an SMS reporter's reports on it) joins the account only when its code comes back."""
    # Where the visitor was going (the filing form, say): kept through registration and the
    # email code, so they arrive there once verified.
    next_url = _safe_next(request, "")
    if request.user.is_authenticated:
        return redirect(next_url or "accounts:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.register_from(
            data, password=data["password1"], language=translation.get_language() or settings.LANGUAGE_CODE
        )
        verification.send_email_verification(user)
        verification.send_phone_verification(user)
        login(request, user, backend=BACKEND)
        messages.success(
            request,
            _(
                "Akun dibuat. Kami mengirim kode verifikasi ke email Anda, dan kode lain lewat SMS ke nomor "
                "telepon Anda."
            ),
        )
        if next_url:
            request.session[AFTER_VERIFY_KEY] = next_url  # for the link in the mail, too
            return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
        return redirect("accounts:verify")
    return render(
        request, "accounts/register.html", {"form": form, "next": next_url}, status=400 if form.is_bound else 200
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify_phone(request):
    """The number on the account is confirmed with the code texted to it. Until then no SMS report,
    reply or notice is tied to it; once confirmed, reports sent by SMS from it join this account."""
    user = request.user
    if not user.phone or user.phone_verified:
        if request.method == "GET":
            messages.info(
                request,
                _("Nomor telepon Anda sudah terverifikasi.") if user.phone else _("Isi nomor telepon Anda di profil."),
            )
        return redirect("accounts:profile")
    status = 200
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        _resend(request, verification.OneTimeCode.Purpose.VERIFY_PHONE, _("Kode baru sudah dikirim lewat SMS."))
        return redirect("accounts:verify_phone")
    if request.method == "POST":
        status = 400
        if _code_accepted(form, verification.verify_phone, user):
            messages.success(
                request,
                _(
                    "Nomor telepon Anda terverifikasi. Laporan yang Anda kirim lewat SMS dari nomor ini kini ada di akun ini."
                ),
            )
            return redirect("accounts:home")
    return render(request, "accounts/verify_phone.html", {"form": form}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    user = request.user
    next_url = _safe_next(request, request.session.get(AFTER_VERIFY_KEY) or reverse("accounts:home"))
    if user.email_verified and request.method == "GET":
        messages.info(request, _("Email Anda sudah terverifikasi."))
        return redirect(next_url)
    status = 200
    if request.method == "POST" and "resend" in request.POST:
        _resend(
            request,
            verification.OneTimeCode.Purpose.VERIFY_EMAIL,
            _("Kode baru sudah dikirim ke %(email)s.") % {"email": user.email},
        )
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
    if request.method == "POST":
        form = CodeForm(request.POST)
        status = 400
        if _code_accepted(form, verification.verify_email, user):
            messages.success(request, _("Terima kasih, email Anda sudah terverifikasi."))
            request.session.pop(AFTER_VERIFY_KEY, None)
            return redirect(next_url)
    else:
        form = CodeForm(initial={"code": request.GET.get("kode", "")[:12]})
    return render(request, "accounts/verify.html", {"form": form, "next": next_url}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_report(request, token):
    """The link sent to the owner of an email or number that an Open311 client or an operator gave
    for a report: the report joins their account only when they confirm here (a POST, so a mail
    scanner that opens the link attaches nothing). No login: the signed link is the proof."""
    from complaints.channels import claims

    claim = claims.claim_from_token(token)
    if claim is None:
        return render(request, "accounts/confirm_report.html", {"claim": None}, status=404)
    if request.method == "POST":
        if request.POST.get("answer") == "yes":
            done = claims.confirm(claim)
            message = _("Terima kasih. Laporan %(id)s kini ada di akun Anda.")
        elif request.POST.get("answer") == "no":
            done = claims.decline(claim)
            message = _("Terima kasih. Laporan %(id)s tidak dihubungkan dengan akun Anda.")
        else:
            return render(request, "accounts/confirm_report.html", {"claim": claim}, status=400)
        if not done:
            return render(request, "accounts/confirm_report.html", {"claim": None}, status=409)
        messages.success(request, message % {"id": claim.complaint.tracking_id})
        return redirect("/")
    return render(request, "accounts/confirm_report.html", {"claim": claim})


@login_required
def home(request):
    from complaints.models import Complaint, Notification

    user = request.user
    context = {
        "report_count": Complaint.objects.visible_to(user).filter(reporter=user).count(),
        "unread": Notification.objects.filter(
            recipient=user, channel=Notification.Channel.INAPP, read_at__isnull=True
        ).count(),
    }
    return render(request, "accounts/home.html", context)


@sensitive_post_parameters("current_password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        user, email_changed, phone_changed = services.update_profile(
            request.user,
            full_name=d["full_name"],
            display_name=d["display_name"],
            email=d["email"],
            phone=d["phone"],
            language=d["language"],
        )
        translation.activate(user.preferred_language)
        if phone_changed:
            verification.send_phone_verification(user)
        if email_changed:
            verification.send_email_verification(user)
            messages.success(request, _("Profil disimpan. Verifikasi email baru Anda dengan kode yang kami kirim."))
            response = redirect("accounts:verify")
        elif phone_changed and user.phone:
            messages.success(
                request, _("Profil disimpan. Verifikasi nomor baru Anda dengan kode yang kami kirim lewat SMS.")
            )
            response = redirect("accounts:verify_phone")
        else:
            messages.success(request, _("Profil disimpan."))
            response = redirect("accounts:profile")
        return _with_language(response, user)
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.is_bound else 200)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request):
    """The user changes their own password. Saving it revokes every API token and ends every other
    session of the account (the password hash changes); this browser's session is kept, re-keyed to
    the new password."""
    form = LockedPasswordChangeForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(
            request, _("Kata sandi diubah. Anda keluar dari perangkat lain dan token aplikasi Anda dicabut.")
        )
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["POST"])
def logout_everywhere(request):
    """Keluar dari semua perangkat: every session of the account (this one too) and every API
    token end."""
    services.sign_out_everywhere(request.user)
    logout(request)
    messages.success(request, _("Anda sudah keluar dari semua perangkat. Token aplikasi Anda juga dicabut."))
    return redirect("accounts:login")


@login_required
@never_cache
def data_export(request):
    """The user's own data as a JSON download (PDP right of access)."""
    payload = services.export_data(request.user)
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="data-saya-{stamp}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@sensitive_post_parameters("password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete_account(request):
    user = request.user
    form = DeleteAccountForm(request, request.POST or None)
    staff = user.is_staff_member or user.is_staff or user.is_superuser
    if request.method == "POST" and not staff and form.is_valid():
        services.erase_account(user)
        logout(request)
        messages.success(request, _("Akun Anda sudah dihapus. Laporan Anda tetap tersimpan tanpa identitas."))
        return redirect("/")
    status = 403 if staff and request.method == "POST" else (400 if form.is_bound else 200)
    return render(request, "accounts/delete.html", {"form": form, "staff": staff}, status=status)
