"""Evidence files (PRODUCT.md §3): checked by content, never by name.

Images (JPEG, PNG, WebP) are decoded and re-encoded without any metadata (EXIF, GPS, XMP,
comments) and thumbnailed; an image that cannot be re-encoded is refused, so the original bytes
are never stored. PDFs are rewritten without document metadata and always served as downloads.
Anything else is refused with a clear message.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from .errors import Invalid

# Far below Pillow's default: a 20000×20000 PNG is only ~390 KB on the wire.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ALLOWED = "JPEG, PNG, WebP, PDF"


@dataclass
class Processed:
    content: bytes
    content_type: str
    thumbnail: bytes | None = None


def _refuse(message):
    raise Invalid(message, fields={"file": [message]})


def sniff(head):
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.lstrip()[:5] == b"%PDF-":
        return "application/pdf"
    return None


def _image(data, content_type):
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if IMAGE_TYPES.get(probe.format) != content_type:
                    _refuse(_("Isi berkas tidak sesuai dengan jenis gambar."))
                if probe.width * probe.height > MAX_PIXELS:
                    _refuse(_("Gambar terlalu besar (resolusi maksimum 40 megapiksel)."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                fmt = IMAGE_TYPES_REVERSE[content_type]
                if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
                elif img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    img = img.convert("RGBA")
                # Pillow's encoders fall back on `img.info` for what is not passed to save(): the
                # JPEG comment and the PNG ICC profile would survive. Keep only the palette
                # transparency, which is pixel data.
                img.info = {k: v for k, v in img.info.items() if k == "transparency"}
                out = io.BytesIO()
                # No exif=, no icc_profile=, no pnginfo=: nothing of the original's metadata survives.
                img.save(out, format=fmt, quality=85, optimize=True)
                thumb = img.copy()
                thumb.thumbnail(THUMBNAIL_SIZE)
                if thumb.mode not in ("RGB", "L"):
                    thumb = thumb.convert("RGB")
                tout = io.BytesIO()
                thumb.save(tout, format="JPEG", quality=75)
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(_("Gambar terlalu besar (resolusi maksimum 40 megapiksel)."))
    except Exception:  # noqa: BLE001 - any decoder failure means the file is refused
        _refuse(_("Gambar rusak atau tidak dapat dibaca."))
    return Processed(out.getvalue(), content_type, tout.getvalue())


IMAGE_TYPES_REVERSE = {v: k for k, v in IMAGE_TYPES.items()}


def _pdf(data):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _refuse(_("PDF yang dikunci kata sandi tidak dapat diterima."))
        writer = PdfWriter()
        for page in reader.pages:
            for key in ("/Metadata", "/PieceInfo"):
                if NameObject(key) in page:
                    del page[NameObject(key)]
            writer.add_page(page)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except Invalid:
        raise
    except Exception:  # noqa: BLE001
        _refuse(_("PDF rusak atau tidak dapat dibaca."))
    return Processed(out.getvalue(), "application/pdf")


def process(uploaded):
    """Check and clean one uploaded file; returns `Processed` or raises `Invalid`."""
    size = getattr(uploaded, "size", None)
    limit = settings.UPLOAD_MAX_FILE_BYTES
    if size is not None and size > limit:
        _refuse(_("Berkas terlalu besar (maksimum %(mb)s MB).") % {"mb": limit // (1024 * 1024)})
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        _refuse(_("Berkas terlalu besar (maksimum %(mb)s MB).") % {"mb": limit // (1024 * 1024)})
    if not data:
        _refuse(_("Berkas kosong."))
    content_type = sniff(data[:64])
    if content_type is None:
        _refuse(_("Jenis berkas tidak diterima. Gunakan %(types)s.") % {"types": ALLOWED})
    if content_type == "application/pdf":
        return _pdf(data)
    return _image(data, content_type)


def check_report_limits(complaint, incoming_count=1, incoming_bytes=0):
    existing = complaint.attachments.aggregate(total=Sum("size")) if complaint.pk else {}
    count = (complaint.attachments.count() if complaint.pk else 0) + incoming_count
    total = (existing.get("total") or 0) + incoming_bytes
    if count > settings.UPLOAD_MAX_FILES:
        _refuse(_("Maksimum %(n)s lampiran per laporan.") % {"n": settings.UPLOAD_MAX_FILES})
    if total > settings.UPLOAD_MAX_REPORT_BYTES:
        _refuse(
            _("Total lampiran melebihi %(mb)s MB per laporan.")
            % {"mb": settings.UPLOAD_MAX_REPORT_BYTES // (1024 * 1024)}
        )


@transaction.atomic
def add_attachment(complaint, *, by, uploaded, processed=None, event=None):
    """Store one cleaned file on `complaint` under a random name. The reporter attaches evidence;
    staff attach files to their follow-ups (`event`). Returns the Attachment."""
    from .models import Attachment

    processed = processed or process(uploaded)
    check_report_limits(complaint, 1, len(processed.content))
    a = Attachment(
        complaint=complaint,
        event=event,
        uploaded_by=by,
        content_type=processed.content_type,
        size=len(processed.content),
        original_name=(getattr(uploaded, "name", "") or "")[:255],
    )
    a.file.save("x", ContentFile(processed.content), save=False)
    if processed.thumbnail:
        a.thumbnail.save("x", ContentFile(processed.thumbnail), save=False)
    a.save()
    return a
