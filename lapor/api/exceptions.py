"""JSON errors for the whole API (docs/product.md §8: `{"detail": …}` or field errors with 4xx).

Service errors (`lapor.errors.ServiceError`, which the workflow's and the sanctions' errors
extend) map to their status: `NotFound` 404, `Forbidden` 403, `TransitionError` 409, `Invalid` 400 with its field errors beside `detail`. A model's own
`full_clean` (Django's ValidationError) is bad input too: 400. Every 404 of a report carries the
same body whether the report is missing or not visible. A body Django refuses while it is read
(over `DATA_UPLOAD_MAX_MEMORY_SIZE`: 413; too many fields: 400) is JSON like every other error.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from lapor.errors import NOT_FOUND_MESSAGE, ServiceError


def _messages(values):
    if isinstance(values, list | tuple):
        return [str(v) for v in values]
    return [str(values)]


def error_body(detail, fields=None):
    body = {"detail": str(detail)}
    for name, messages in (fields or {}).items():
        body["non_field_errors" if name in ("__all__", "detail") else name] = _messages(messages)
    return body


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(error_body(exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        set_rollback()
        message = str(exc) if exc.args and str(exc) else NOT_FOUND_MESSAGE
        return Response({"detail": message}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body(_("Data tidak valid."), fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when the parser reads it.
        set_rollback()
        return Response({"detail": _("Isi permintaan terlalu besar.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        # Too many fields, a broken multipart stream: the request is unusable, not a server error.
        set_rollback()
        return Response({"detail": _("Permintaan tidak dapat dibaca.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        set_rollback()
        return Response({"detail": str(exc) or _("Anda tidak berwenang melakukan tindakan ini.")}, status=403)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        data = response.data
        if isinstance(data, list):
            data = {"non_field_errors": data}
        if "detail" not in data:
            data = {"detail": _("Data tidak valid."), **data}
        response.data = data
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(response.data)}
    return response
