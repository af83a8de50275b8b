"""Errors raised by the workflow; the HTML views and the API map them to 400/403/404/409."""

from django.utils.translation import gettext_lazy as _

from lapor.errors import NOT_FOUND_MESSAGE, ServiceError


class WorkflowError(ServiceError):
    """A refusal by the workflow: 400 with `ServiceError`'s message unless a kind below says otherwise."""


def _kind(name, status_code, default_message):
    return type(name, (WorkflowError,), {"status_code": status_code, "default_message": default_message})


Invalid = _kind("Invalid", 400, _("Data tidak valid."))
Forbidden = _kind("Forbidden", 403, _("Anda tidak berwenang melakukan tindakan ini."))
NotFound = _kind("NotFound", 404, NOT_FOUND_MESSAGE)
TransitionError = _kind("TransitionError", 409, _("Tindakan ini tidak dapat dilakukan pada status laporan sekarang."))
