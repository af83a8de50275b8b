"""API token authentication with expiring tokens (`Authorization: Token …`)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user):
    """Create a new token for `user`; only its hash is stored."""
    raw = secrets.token_hex(20)
    ApiToken.objects.create(
        key=_digest(raw), user=user, expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    )
    return raw


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key=_digest(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Token tidak valid."))
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Token kedaluwarsa. Silakan masuk lagi."))
        return token.user, token
