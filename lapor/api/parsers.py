"""The API's parsers: DRF's JSON, form and multipart parsers with every text passed through the
text gate (`lapor.textgate`) and their errors in the request's language. A lone surrogate is a 400
naming the field; anything else unusable is a 400 `{"detail"}`."""

from django.utils.translation import gettext_lazy
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from lapor.textgate import BadText, clean_data


def _gate(data):
    try:
        return clean_data(data)
    except BadText as err:
        raise ValidationError({err.field: [str(err.message)]})


class _Gated:
    """DRF's parser below it, with the parsed texts through the gate; a body DRF cannot read is a
    400 saying `unreadable` (None: DRF's own message)."""

    unreadable = None

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except ParseError:
            if self.unreadable is None:
                raise
            raise ParseError(self.unreadable)
        if isinstance(parsed, parsers.DataAndFiles):
            return parsers.DataAndFiles(_gate(parsed.data), parsed.files)
        return _gate(parsed)


class JSONParser(_Gated, parsers.JSONParser):
    unreadable = gettext_lazy("Isi permintaan bukan JSON yang valid.")


class FormParser(_Gated, parsers.FormParser):
    pass


class MultiPartParser(_Gated, parsers.MultiPartParser):
    unreadable = gettext_lazy("Isi multipart tidak dapat dibaca.")
