"""Indonesian phone numbers in one canonical form, so `0852-9860-111` and `+62852 9860 111`
are the same person."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw):
    """Return the number as +62… (E.164 without spaces) or raise ValidationError."""
    if raw is None:
        raise ValidationError(_("Nomor telepon wajib diisi."), code="required")
    digits = re.sub(r"[\s\-().]", "", str(raw))
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits.isdigit():
        raise ValidationError(_("Nomor telepon hanya boleh berisi angka."), code="invalid")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not digits.startswith("62") or not 10 <= len(digits) <= 15:
        raise ValidationError(
            _("Nomor telepon Indonesia tidak valid. Contoh: 0812-3456-7890 atau +62 812-3456-7890."), code="invalid"
        )
    return "+" + digits
