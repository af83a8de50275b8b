"""The text gate: every text that enters the portal is normalised here, once.

What comes in — HTML forms and query strings (`TextGateMiddleware`), API bodies (the DRF parsers
in `lapor.api.parsers`), the SMS webhook and Open311 — passes through `clean_text`:

- line ends become ``\\n`` (a textarea sends ``\\r\\n``);
- control characters other than newline and tab are removed, and so are U+FFFE and U+FFFF: they
  are invisible, come from copy-paste or a gateway's encoding, and would make the Open311 XML
  malformed. Removing (rather than refusing) keeps a citizen's report when a stray byte rode
  along with it;
- lone surrogates (``"\\ud800"`` in JSON) are refused: they are not text, cannot be stored, and
  there is no character to guess in their place. `BadText` names the field;
- the result is Unicode NFC, so the same word typed on two keyboards is stored the same way.

Passwords are secrets, not text to tidy: they are only checked for lone surrogates and otherwise
passed on unchanged, so a password set before the gate still works.

`xml_safe` is the output side: what is already stored (rows older than the gate) is stripped of
characters XML 1.0 cannot carry before it is written into an XML document.
"""

import re
import unicodedata

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

# C0 controls except tab and newline (carriage returns are turned into newlines first), DEL, C1
# controls, and the two non-characters XML forbids.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Everything XML 1.0 cannot carry (and the C1 controls it discourages): the controls above and
# any surrogate. Tab, newline and carriage return are allowed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")

BAD_TEXT_MESSAGE = _("Teks berisi karakter yang tidak sah (surrogate tunggal). Periksa kembali isian ini.")


class BadText(ValueError):
    """A text that cannot be accepted; `field` names where it was (dotted for nested data)."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field or "non_field_errors"
        self.message = BAD_TEXT_MESSAGE


def is_secret(field):
    return "password" in (field or "").lower()


def clean_text(value, field=None):
    """Normalise one text as described in the module docstring; raises `BadText` naming `field`.
    Any caller that receives text from outside may use it; it changes nothing but the string."""
    if _SURROGATE.search(value):
        raise BadText(field)
    if is_secret(field):
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return unicodedata.normalize("NFC", value)


def clean_data(data, field=None):
    """`clean_text` applied to every string in parsed data (dicts, lists, QueryDicts); numbers,
    booleans and None pass unchanged. Returns a cleaned copy; raises `BadText` with the dotted
    path of the first bad value (its key for a mapping, ``name.0`` for a list item)."""
    if isinstance(data, str):
        return clean_text(data, field)
    if isinstance(data, QueryDict):
        return clean_querydict(data)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            name = clean_text(key, field) if isinstance(key, str) else key
            out[name] = clean_data(value, f"{field}.{name}" if field else name)
        return out
    if isinstance(data, list | tuple):
        return [clean_data(item, f"{field}.{i}" if field else str(i)) for i, item in enumerate(data)]
    return data


def clean_querydict(data):
    """A cleaned, immutable copy of a QueryDict (form or query string); files are not touched."""
    out = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        name = clean_text(key)
        out.setlist(name, [clean_text(v, name) if isinstance(v, str) else v for v in values])
    out._mutable = False
    return out


def xml_safe(value):
    """`value` with every character XML 1.0 cannot carry removed (for stored text written as XML)."""
    return _XML_INVALID.sub("", value)


_gated_classes = {}


def _gated(cls):
    """A subclass of the request class whose form data is cleaned as soon as it is parsed, so
    nothing reads the body early (a signed webhook still sees its raw body) and every reader of
    `request.POST` — forms, views, DRF's fallback — gets the same cleaned data."""
    if cls not in _gated_classes:

        def _load_post_and_files(self):
            super(gated, self)._load_post_and_files()
            self._post = clean_querydict(self._post)

        gated = type(f"Gated{cls.__name__}", (cls,), {"_load_post_and_files": _load_post_and_files})
        _gated_classes[cls] = gated
    return _gated_classes[cls]


class TextGateMiddleware:
    """Cleans the query string at once and the form body when it is first read (see `_gated`).
    Form encodings cannot carry a lone surrogate (Django decodes them with replacement), so this
    never refuses: it only removes and normalises."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = clean_querydict(request.GET)
        if not hasattr(request, "_post"):
            request.__class__ = _gated(request.__class__)
        return self.get_response(request)
