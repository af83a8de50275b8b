"""Who may call an endpoint at all. What a caller may do to one report is decided by
`complaints.privacy.can(...)` inside the workflow; what they see, by `complaints.privacy`."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class IsActiveUser(BasePermission):
    message = _("Silakan masuk terlebih dahulu.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class VerifiedReporter(IsActiveUser):
    """Filing and supporting a report take a verified account, by the same rule as the web
    (`accounts.verification.is_verified_reporter`)."""

    def has_permission(self, request, view):
        from accounts.verification import is_verified_reporter

        if not super().has_permission(request, view):
            return False
        if not is_verified_reporter(request.user):
            self.message = _("Verifikasi email Anda dahulu untuk membuat atau mendukung laporan.")
            return False
        return True
