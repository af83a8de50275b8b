"""Endpoint permissions of the complaints API that need the complaints app (the shared ones are
in `lapor.api.permissions`)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from complaints.deadlines import sanctions


class ReadsSanctions(BasePermission):
    """Auditors (every kind) and heads of an agency read TPP sanction recommendations."""

    message = _("Hanya auditor dan pimpinan instansi yang dapat melihat rekomendasi sanksi.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and sanctions.may_read(request.user))
