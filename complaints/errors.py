"""Errors raised by the workflow; the HTML views and the API map them to 400/403/404/409."""

from django.utils.translation import gettext_lazy as _

from lapor.errors import ServiceError


class WorkflowError(ServiceError):
    status_code = 400
    default_message = _("Permintaan tidak dapat diproses.")


class Invalid(WorkflowError):
    status_code = 400
    default_message = _("Data tidak valid.")


class Forbidden(WorkflowError):
    status_code = 403
    default_message = _("Anda tidak berwenang melakukan tindakan ini.")


class NotFound(WorkflowError):
    status_code = 404
    default_message = _("Laporan tidak ditemukan.")


class TransitionError(WorkflowError):
    status_code = 409
    default_message = _("Tindakan ini tidak dapat dilakukan pada status laporan sekarang.")
