"""Serializer plumbing every API app shares: strict text fields, timestamps in the deployment's
time zone, and the documented error shapes (`{"detail": …}`, docs/product.md §8)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class TextField(serializers.CharField):
    """DRF's CharField turns a JSON number or boolean into text; a text field here accepts only a
    string (form bodies are always strings), so the schema's `type: string` is what is enforced."""

    default_error_messages = {"not_text": _("Harus berupa teks.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class SlugTextField(TextField, serializers.SlugField):
    pass


def iso(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


# Errors (documentation only) -------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    detail = TextField(help_text=_("Pesan kesalahan untuk pengguna, dalam bahasa permintaan."))


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` plus one entry per invalid field: a list of messages (or, for a list "
    "or an object field, the errors of its items).",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": {},
}
