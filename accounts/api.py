"""Account endpoints of the API (docs/product.md §8): registration, expiring tokens, the caller's own
profile and email and phone verification. Validation is the web registration form's (`accounts.forms`);
tokens come from `accounts.auth.issue_token` (only their hash is stored); verification codes from
`accounts.verification`."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from lapor.api.permissions import IsActiveUser
from lapor.api.responses import errors
from lapor.api.serializers import ErrorSerializer, iso
from lapor.api.throttles import ScopedThrottle

from . import second_factor, services, verification
from . import serializers as s
from .auth import issue_token
from .forms import LoginForm, lockout_message
from .models import ApiToken, User

STRICT = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedThrottle]


class RegisterView(APIView):
    """Anyone registers a citizen account; the email is confirmed with a code sent to it."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = STRICT
    throttle_scope = "auth_register"

    @extend_schema(
        summary="Daftar akun pelapor",
        description="Membuat akun (email dan telepon belum terverifikasi; kode dikirim ke email dan lewat "
        "SMS ke nomor itu; jawabannya sama untuk nomor apa pun). Nomor menjadi milik akun setelah kodenya "
        "dikirim balik ke `/api/v1/auth/verify-phone/`. Tidak memberi token: minta token di `/api/v1/auth/token/`. `consent`: lihat keterangannya.",
        request=s.RegisterSerializer,
        responses={201: s.ProfileSerializer, **errors(400)},
        examples=[
            OpenApiExample(
                "Pendaftaran",
                request_only=True,
                value={
                    "email": "warga@contoh.id",
                    "password": "kata-sandi-panjang-2026",
                    "full_name": "Siti Aminah",
                    "phone": "0852 9860 1111",
                    "consent": True,
                },
            )
        ],
    )
    def post(self, request):
        ser = s.RegisterSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            with transaction.atomic():
                user = services.register_from(
                    d, password=d["password"], language=getattr(request, "LANGUAGE_CODE", None) or "id"
                )
        except IntegrityError:
            # The same email or phone registered by a concurrent request after the check above.
            raise ValidationError({"email": [_("Email atau nomor telepon ini baru saja didaftarkan. Silakan masuk.")]})
        verification.send_email_verification(user)
        # The same for every number: the phone is stored unverified and a code goes to it; whether
        # it is known (another account's, an SMS reporter's) is never said here.
        verification.send_phone_verification(user)
        user = User.objects.get(pk=user.pk)
        return Response(s.ProfileSerializer(user).data, status=status.HTTP_201_CREATED)


def _second_factor_ok(request, user, code):
    """Staff who can see identities give their second factor here too (docs/product.md §8, §9):
    `(None, 0)` when the account needs none or the code is right, else `(refusal, locked_seconds)`.
    An account with no device yet is refused (enrolment is on the web); a missing, wrong or
    already used code is refused, and a wrong one counts toward the login lock."""
    _device, refusal, locked = second_factor.check_login_code(request, user, code)
    return refusal, locked


class TokenView(APIView):
    """Exchange email + password for an expiring token; DELETE revokes the token in use."""

    throttle_classes = STRICT
    throttle_scope = "auth_token"

    def get_permissions(self):
        return [IsActiveUser()] if self.request.method == "DELETE" else [AllowAny()]

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if request.method == "POST":
            # A stale token sent along with the login must not stop the client getting a new one.
            drf_request.authenticators = ()
        return drf_request

    @extend_schema(
        summary="Masuk: token API",
        description="Token berlaku terbatas (`expires_at`); kirim sebagai `Authorization: Token <token>`. "
        "Operator, auditor dan superadmin mengirim juga `otp`: kode 6 angka saat ini dari aplikasi autentikator "
        "(TOTP, RFC 6238: SHA-1, 30 detik) atau satu kode cadangan; kode yang sudah dipakai ditolak, dan akun "
        "petugas yang belum memasang autentikasi dua langkah (di situs, `/akun/dua-langkah/`) tidak mendapat token. "
        "Salah berulang kali (kata sandi atau kode) mengunci akun+alamat sementara (429).",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, **errors(400, 403)},
        examples=[
            OpenApiExample(
                "Masuk", request_only=True, value={"username": "warga@contoh.id", "password": "kata-sandi-panjang-2026"}
            )
        ],
    )
    def post(self, request):
        ser = s.TokenRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        form = LoginForm(
            request, data={"username": ser.validated_data["username"], "password": ser.validated_data["password"]}
        )
        if not form.is_valid():
            if form.locked_seconds:
                return Response(
                    {"detail": lockout_message(form.locked_seconds)},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(form.locked_seconds)},
                )
            return Response({"detail": _("Email atau kata sandi salah.")}, status=status.HTTP_400_BAD_REQUEST)
        user = form.user
        refusal, locked = _second_factor_ok(request, user, ser.validated_data.get("otp"))
        if locked:
            return Response(
                {"detail": refusal}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(locked)}
            )
        if refusal:
            return Response({"detail": refusal, "otp": [refusal]}, status=status.HTTP_400_BAD_REQUEST)
        raw = issue_token(user)
        token = ApiToken.objects.filter(user=user).order_by("-created_at").first()
        User.objects.filter(pk=user.pk).update(last_login=token.created_at)
        return Response({"token": raw, "expires_at": iso(token.expires_at)})

    @extend_schema(
        summary="Keluar: cabut token ini",
        request=None,
        responses={204: OpenApiResponse(description="Token dicabut."), **errors(401)},
    )
    def delete(self, request):
        if isinstance(request.auth, ApiToken):
            ApiToken.objects.filter(pk=request.auth.pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Sign out everywhere: every API token and every web session of the caller's account end."""

    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Keluar dari semua perangkat",
        description="Mencabut semua token API akun Anda (termasuk token yang dipakai) dan mengakhiri semua "
        "sesi web akun Anda. Minta token baru di `/api/v1/auth/token/`.",
        request=None,
        responses={204: OpenApiResponse(description="Semua token dan sesi diakhiri."), **errors(401)},
    )
    def post(self, request):
        services.sign_out_everywhere(request.user)
        if request.session.get("_auth_user_id"):
            # Called from a logged-in browser session: that one ends now, not on its next request.
            request.session.flush()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(summary="Profil Anda", responses={200: s.ProfileSerializer, **errors(401)})
    def get(self, request):
        return Response(s.ProfileSerializer(request.user).data)


# The email and phone verification endpoints: `verify(user, code)` with the code sent; the
# caller's profile, or a 400 naming the code. (Comments, not docstrings: a view's docstring is its
# description in the API schema.)
class _CheckCodeView(APIView):
    permission_classes = [IsActiveUser]
    throttle_classes = STRICT
    throttle_scope = "auth_token"
    verify = None  # staticmethod(user, code), raising verification.CodeError

    def post(self, request):
        ser = s.CodeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            self.verify(request.user, ser.validated_data["code"])
        except verification.CodeError as err:
            message = err.messages[0] if err.messages else _("Kode tidak valid.")
            return Response({"detail": message, "code": [message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ProfileSerializer(User.objects.get(pk=request.user.pk)).data)


def _check_code_schema(summary):
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            request=s.CodeSerializer,
            responses={200: s.ProfileSerializer, **errors(400, 401)},
            examples=[OpenApiExample("Kode", request_only=True, value={"code": "123456"})],
        )
    )


# A new verification code of `purpose`, unless there is nothing to verify (409 with
# `refusal(user)`) or the last code is too recent (429 with Retry-After).
class _ResendCodeView(APIView):
    permission_classes = [IsActiveUser]
    throttle_classes = STRICT
    throttle_scope = "auth_register"
    purpose = sent_message = None

    def refusal(self, user):
        raise NotImplementedError

    def post(self, request):
        refusal = self.refusal(request.user)
        if refusal:
            return Response({"detail": refusal}, status=status.HTTP_409_CONFLICT)
        wait = verification.resend(request.user, self.purpose)
        if wait:
            return Response(
                {"detail": _("Tunggu %(s)s detik sebelum meminta kode baru.") % {"s": wait}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        return Response({"detail": self.sent_message}, status=status.HTTP_202_ACCEPTED)


def _resend_schema(summary):
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            request=None,
            responses={202: OpenApiResponse(ErrorSerializer, description="Kode dikirim."), **errors(401, 409)},
        )
    )


@_check_code_schema("Verifikasi email dengan kode")
class VerifyEmailView(_CheckCodeView):
    verify = staticmethod(verification.verify_email)


@_check_code_schema("Verifikasi nomor telepon dengan kode SMS")
class VerifyPhoneView(_CheckCodeView):
    """The caller gives back the code texted to the number on their account; the number (and the
    reports an SMS reporter filed from it) then joins the account."""

    verify = staticmethod(verification.verify_phone)


@_resend_schema("Kirim ulang kode verifikasi email")
class ResendVerificationView(_ResendCodeView):
    purpose = verification.OneTimeCode.Purpose.VERIFY_EMAIL
    sent_message = gettext_lazy("Kode verifikasi dikirim ke email Anda.")

    def refusal(self, user):
        return _("Email Anda sudah terverifikasi.") if user.email_verified else None


@_resend_schema("Kirim ulang kode verifikasi telepon")
class ResendPhoneCodeView(_ResendCodeView):
    purpose = verification.OneTimeCode.Purpose.VERIFY_PHONE
    sent_message = gettext_lazy("Kode verifikasi dikirim lewat SMS.")

    def refusal(self, user):
        return _("Tidak ada nomor telepon yang menunggu verifikasi.") if not user.phone or user.phone_verified else None
