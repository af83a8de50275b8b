"""The API's parsers: DRF's JSON, form and multipart parsers with every text passed through the
text gate (`lapor.textgate`) and their errors in the request's language. A lone surrogate is a 400
naming the field; anything else unusable is a 400 `{"detail"}`."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from lapor.textgate import BadText, clean_data


def _gate(data):
    try:
        return clean_data(data)
    except BadText as err:
        raise ValidationError({err.field: [str(err.message)]})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(_("Isi permintaan bukan JSON yang valid."))
        return _gate(data)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _gate(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            result = super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(_("Isi multipart tidak dapat dibaca."))
        return parsers.DataAndFiles(_gate(result.data), result.files)
