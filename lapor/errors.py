"""The error every service layer raises for a refusal the caller can act on. The HTML views and
the API (`lapor.api.exceptions`) map it to its status; `complaints.errors` builds on it."""

from django.utils.translation import gettext_lazy as _

# One message for "missing" and "not visible" alike (docs/architecture.md, rule 1).
NOT_FOUND_MESSAGE = _("Laporan tidak ditemukan.")


class ServiceError(Exception):
    status_code = 400
    default_message = _("Permintaan tidak dapat diproses.")

    def __init__(self, message=None, fields=None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))
