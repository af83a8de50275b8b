"""Evidence files (docs/product.md §3): checked by content, never by name.

Images (JPEG, PNG, WebP) are decoded and re-encoded without any metadata (EXIF, GPS, XMP,
comments) and thumbnailed; an image that cannot be re-encoded is refused, so the original bytes
are never stored. PDFs are rebuilt as pictures of their pages in a bounded child process (see
`complaints.evidence.pdfraster` for why), so only what the pages show survives; they are always served as
downloads. Anything else is refused with a clear message.

Decoding is bounded so that one upload costs about a second of CPU and a few hundred MB at
worst: a JPEG is decoded at a reduced scale (`Image.draft`) near the stored size, PNG and WebP
(which cannot be) have a lower pixel cap, a file that would expand far beyond its own size is
refused before decoding, and images are stored at most `UPLOAD_IMAGE_MAX_SIDE` pixels long.
Each account may store `UPLOAD_RATE_PER_HOUR` files an hour, counted in the database.

Storage: files are written before their row, each under a temporary name renamed into place once
complete (`complaints.evidence.storage`), and removed again when the row is not stored. A disk that is full
or read-only answers `StorageUnavailable` (503) instead of a server error.
"""

import contextlib
import contextvars
import io
import logging
import subprocess
import sys
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from complaints.common import idempotency
from complaints.errors import Invalid, WorkflowError

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = (320, 320)
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Bytes per pixel once decoded, by the mode Pillow opens the image in (unknown modes count as 4).
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "I;16": 2, "RGB": 3, "YCbCr": 3, "RGBA": 4, "CMYK": 4}
# Below this decoded size an image is cheap whatever its compression: screenshots of chats and
# forms compress far better than photos and must still pass.
RATIO_EXEMPT_BYTES = 32 * 1024 * 1024
# Up to this many decoded pixels an image is resampled straight to the stored size.
EXACT_RESIZE_PIXELS = 8_000_000
ALLOWED = "JPEG, PNG, WebP, PDF"


@dataclass
class Processed:
    content: bytes
    content_type: str
    thumbnail: bytes | None = None


class StorageUnavailable(WorkflowError):
    """The server could not write or process a file (disk full, read-only media, no process
    available): not the citizen's fault, worth retrying later."""

    status_code = 503
    default_message = gettext_lazy(
        "Lampiran tidak dapat disimpan karena penyimpanan server sedang bermasalah. Coba lagi beberapa "
        "saat lagi, atau kirim tanpa lampiran."
    )


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


def _too_large(limit=None):
    return _("Gambar terlalu besar (resolusi maksimum %(mp)s megapiksel). Kirim foto dengan resolusi lebih kecil.") % {
        "mp": (limit or settings.UPLOAD_MAX_IMAGE_PIXELS) // 1_000_000
    }


def _check_bounds(probe, data):
    """Refuse, from the header alone, an image whose decoding would cost far more than a photo.

    A JPEG is decoded at a reduced scale (`Image.draft`), so what is allocated is its drafted size;
    its declared size still bounds the entropy decoding. PNG and WebP cannot be decoded at a
    smaller scale, so their declared size is what is allocated. Either way, a file that would
    expand to much more than its own size times `UPLOAD_MAX_COMPRESSION_RATIO` is a bomb, not a
    photo."""
    # A 16-bit PNG inflates and unfilters twice the bytes of its 8-bit mode: count it twice.
    args = probe.tile[0].args if probe.tile else None
    depth = 2 if ";16" in str(args[0] if isinstance(args, tuple) and args else args) else 1
    pixels = probe.width * probe.height * depth
    decoded = pixels * MODE_BYTES.get(probe.mode, 4)
    if decoded > RATIO_EXEMPT_BYTES and decoded > len(data) * settings.UPLOAD_MAX_COMPRESSION_RATIO:
        log.info("Image refused: %sx%s %s from %s bytes", probe.width, probe.height, probe.mode, len(data))
        _refuse(
            _(
                "Gambar tidak dapat diterima: ukurannya setelah dibuka terlalu besar dibanding ukuran berkasnya. "
                "Kirim foto atau tangkapan layar biasa."
            )
        )
    if probe.format == "JPEG":
        if pixels > settings.UPLOAD_MAX_JPEG_PIXELS:
            _refuse(_too_large(settings.UPLOAD_MAX_JPEG_PIXELS))
        side = settings.UPLOAD_IMAGE_MAX_SIDE
        scale = min(1.0, side / max(probe.size))
        probe.draft(probe.mode, (max(1, int(probe.width * scale)), max(1, int(probe.height * scale))))
        pixels = probe.width * probe.height * depth
    if pixels > settings.UPLOAD_MAX_IMAGE_PIXELS:
        _refuse(_too_large())


def _image(data, content_type):
    """Decode within bounds (`_check_bounds`), then store the picture at most
    `UPLOAD_IMAGE_MAX_SIDE` pixels on its long side, re-encoded without any metadata."""
    # Pillow's own guard, as an error: nothing we accept comes near it.
    Image.MAX_IMAGE_PIXELS = max(settings.UPLOAD_MAX_JPEG_PIXELS, settings.UPLOAD_MAX_IMAGE_PIXELS)
    side = settings.UPLOAD_IMAGE_MAX_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if IMAGE_TYPES.get(probe.format) != content_type:
                    _refuse(_("Isi berkas tidak sesuai dengan jenis gambar."))
                _check_bounds(probe, data)
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                _check_bounds(img, data)  # sets the JPEG draft scale on this image too
                img.load()
                # Down to the stored size before anything copies the image. A large image is first
                # reduced by a whole factor (a box filter, several times cheaper than resampling all
                # of it); one of a few megapixels is resampled to exactly the stored size.
                if img.width * img.height > EXACT_RESIZE_PIXELS:
                    factor = -(-max(img.size) // side)
                else:
                    factor = max(img.size) // side
                if factor > 1 and img.mode in ("L", "LA", "RGB", "RGBA"):
                    small = img.reduce(factor)
                    img.close()  # frees the full-size pixels now
                    img = small
                img.thumbnail((side, side), reducing_gap=None)
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
                if fmt == "PNG":
                    # zlib level 3: level 9 (optimize) costs seconds on a photo, for a few % less.
                    img.save(out, format=fmt, compress_level=3)
                else:
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
        _refuse(_too_large())
    except Exception:  # noqa: BLE001 - any decoder failure means the file is refused
        _refuse(_("Gambar rusak atau tidak dapat dibaca."))
    return Processed(out.getvalue(), content_type, tout.getvalue())


IMAGE_TYPES_REVERSE = {v: k for k, v in IMAGE_TYPES.items()}


PDFRASTER = Path(__file__).with_name("pdfraster.py")


def _pdf(data):
    """Rebuild a PDF as one picture per page (`complaints.evidence.pdfraster`), in a child process bounded
    in pages, pixels per page, CPU time, memory and wall-clock time."""
    from complaints.evidence import pdfraster

    cpu = settings.PDF_MAX_CPU_SECONDS
    args = [
        settings.PDF_MAX_PAGES,
        settings.PDF_RENDER_DPI,
        settings.PDF_MAX_PAGE_PIXELS,
        settings.PDF_JPEG_QUALITY,
        cpu,
        settings.PDF_MAX_MEMORY_MB * 1024 * 1024,
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script and integer arguments; the PDF goes to stdin
            [sys.executable, "-I", str(PDFRASTER), *map(str, args)],
            input=data,
            capture_output=True,
            timeout=cpu * 4 + 2,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _refuse(_("PDF terlalu rumit untuk diproses. Kirim halaman yang penting saja, atau fotonya."))
    except OSError as err:
        log.error("PDF rebuild could not start: %s", err)
        raise StorageUnavailable(_("Berkas PDF tidak dapat diproses saat ini. Coba lagi beberapa saat lagi.")) from None
    if done.returncode == pdfraster.EXIT_ENCRYPTED:
        _refuse(_("PDF yang dikunci kata sandi tidak dapat diterima."))
    if done.returncode == pdfraster.EXIT_TOO_MANY_PAGES:
        _refuse(
            _("PDF terlalu banyak halaman (maksimum %(n)s). Kirim halaman yang penting saja.")
            % {"n": settings.PDF_MAX_PAGES}
        )
    if done.returncode < 0 or done.returncode == pdfraster.EXIT_TOO_COMPLEX:
        log.info("PDF rebuild stopped by its limits (exit %s)", done.returncode)
        # Killed by its own limits (SIGXCPU, SIGKILL) or crashed while rendering.
        _refuse(_("PDF terlalu rumit untuk diproses. Kirim halaman yang penting saja, atau fotonya."))
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        _refuse(_("PDF rusak atau tidak dapat dibaca."))
    return Processed(done.stdout, "application/pdf")


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


class UploadRateExceeded(WorkflowError):
    """The account has stored `UPLOAD_RATE_PER_HOUR` files in the last hour."""

    status_code = 429
    default_message = gettext_lazy("Terlalu banyak lampiran dalam satu jam terakhir. Coba lagi nanti.")


def check_upload_rate(user, incoming=1):
    """Refuse (`UploadRateExceeded`, 429) when `user` would store more than `UPLOAD_RATE_PER_HOUR`
    files within an hour. Counted from the attachment rows in the database, so the limit holds
    when the cache is down; rows of the caller's own open transaction count too. For the views
    and the API before they process files, and for `add_attachment`; changes nothing."""
    from django.utils import timezone

    from complaints.models import Attachment

    limit = settings.UPLOAD_RATE_PER_HOUR
    if user is None or not getattr(user, "pk", None):
        return
    since = timezone.now() - timedelta(hours=1)
    recent = Attachment.objects.filter(uploaded_by=user, created_at__gte=since).count()
    if recent + incoming > limit:
        message = _(
            "Terlalu banyak lampiran dari akun Anda dalam satu jam terakhir (maksimum %(n)s berkas per jam). "
            "Coba lagi nanti."
        ) % {"n": limit}
        raise UploadRateExceeded(message, fields={"file": [message]})


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


# One submission's files (the citizen's and the staff's forms) ------------------------------------
def _short_name(f):
    name = (getattr(f, "name", "") or _("berkas")).rsplit("/", 1)[-1]
    return name if len(name) <= 60 else name[:57] + "…"


def prepare(files, *, by):
    """Check and clean every file of one form submission before anything is stored, for the
    citizen's and the staff's forms alike: `by`'s hourly rate (`UploadRateExceeded`), the number
    of files, each file, and their total size. Returns ([(uploaded, processed)], [error
    messages]): a bad file refuses the whole submission."""
    if files:
        check_upload_rate(by, len(files))  # refused before any file is decoded
    if len(files) > settings.UPLOAD_MAX_FILES:
        return [], [
            _("Maksimum %(n)s berkas per laporan; Anda memilih %(m)s.")
            % {"n": settings.UPLOAD_MAX_FILES, "m": len(files)}
        ]
    processed, errors, total = [], [], 0
    for f in files:
        try:
            p = process(f)
        except Invalid as err:
            errors.append(f"{_short_name(f)}: {err.message}")
            continue
        processed.append((f, p))
        total += len(p.content)
    if not errors and total > settings.UPLOAD_MAX_REPORT_BYTES:
        errors.append(
            _("Total lampiran melebihi %(mb)s MB per laporan.")
            % {"mb": settings.UPLOAD_MAX_REPORT_BYTES // (1024 * 1024)}
        )
    return processed, errors


def attach_prepared(complaint, *, by, prepared, event=None):
    """Store the files `prepare` cleaned; if one cannot be written, those already written go too
    (the caller's transaction rolls back their rows)."""
    with removed_on_error():
        for uploaded, p in prepared:
            add_attachment(complaint, by=by, uploaded=uploaded, processed=p, event=event)


# Files written by `add_attachment` inside the `removed_on_error` blocks now open (innermost last).
_written = contextvars.ContextVar("uploads_written", default=())


def _delete_files(storage, names):
    for name in names:
        try:
            storage.delete(name)
        except OSError as err:  # a read-only disk cannot delete either; say which file is left
            log.error("Could not remove attachment file %s after a failed upload: %s", name, err)


@contextlib.contextmanager
def removed_on_error():
    """Around a transaction that stores attachments: if it does not complete (an exception leaves
    the block, so the rows roll back), the files already written in it are deleted too. Django
    has no rollback hook; this is the one for files. For the views and API that call
    `add_attachment`; changes nothing when the block succeeds."""
    from django.core.files.storage import default_storage

    written = []
    token = _written.set((*_written.get(), written))
    try:
        yield
    except BaseException:
        _delete_files(default_storage, written)
        raise
    finally:
        _written.reset(token)


def _store(field, content):
    """Write one file for `field`; returns its name. A full or read-only disk raises
    `StorageUnavailable`; the storage leaves no partial file behind (it renames a complete
    temporary file into place)."""
    try:
        field.save("x", ContentFile(content), save=False)
    except OSError as err:
        log.error("Attachment file could not be written: %s", err)
        raise StorageUnavailable() from None
    for written in _written.get():
        written.append(field.name)
    return field.name


def add_attachment(complaint, *, by, uploaded, processed=None, event=None):
    """Store one cleaned file on `complaint` under a random name. The reporter attaches evidence;
    staff attach files to their follow-ups (`event`). The files are written first, then the row;
    if anything fails the files written here are removed again (a caller that stores more in the
    same transaction wraps it in `removed_on_error`). Returns the Attachment; raises `Invalid`
    (400) for a refused file, `UploadRateExceeded` (429) past the account's hourly rate and
    `StorageUnavailable` (503) when the disk cannot take it."""
    from complaints.models import Attachment

    check_upload_rate(by)  # before the decoding it would cost
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
    names = []
    try:
        names.append(_store(a.file, processed.content))
        if processed.thumbnail:
            names.append(_store(a.thumbnail, processed.thumbnail))
        with transaction.atomic():
            a.save()
    except BaseException:
        _delete_files(a.file.storage, names)
        raise
    return a


def remove_orphan_files(older_than=timedelta(hours=1)):
    """Delete attachment files that no row refers to, and temporary files of writes that never
    finished, once they are older than `older_than`. They are what a worker killed mid-upload, a
    transaction rolled back after its files were written, or a crash between the file and the
    row leaves behind. Run daily by beat and by `manage.py clean_media`; younger files are left
    alone, since their row may not be committed yet. Files held for a report never filed
    (`hold_prepared`) go after a day. Returns how many files (and held folders) were removed."""
    import os
    import time

    from django.core.files.storage import default_storage
    from django.db.models import Q

    from complaints.models import Attachment

    held = remove_held_files(max(older_than, HELD_MAX_AGE))
    root = Path(default_storage.path("attachments"))
    if not root.is_dir():
        return held
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for folder, _dirs, names in os.walk(root):
        candidates = {}
        for n in names:
            path = Path(folder) / n
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            if n.startswith(".partial-"):
                path.unlink(missing_ok=True)
                removed += 1
            else:
                candidates[path.relative_to(default_storage.path("")).as_posix()] = path
        if not candidates:
            continue
        names_in_use = set()
        for f, t in Attachment.objects.filter(Q(file__in=candidates) | Q(thumbnail__in=candidates)).values_list(
            "file", "thumbnail"
        ):
            names_in_use.update((f, t))
        for name, path in candidates.items():
            if name not in names_in_use:
                path.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.warning("Removed %s attachment file(s) without a row", removed)
    return removed + held


def file_once_with_files(user, key, file, prepared):
    """`idempotency.file_once`, then the files `prepare` cleaned stored on the new report, in one
    transaction (the citizen's filing form and the operators' manual entry): when a file cannot
    be stored there is no report and no file. A replay stores nothing. Returns `(complaint,
    replayed)`."""
    with removed_on_error(), transaction.atomic():
        complaint, replayed = idempotency.file_once(user, key, file)
        if not replayed:
            attach_prepared(complaint, by=user, prepared=prepared)
    return complaint, replayed


# Files held across the filing form's similar-reports step ----------------------------------------
# The browser forgets chosen files when the form comes back, so the files of a first submit that
# stops at the similar-reports step are checked and cleaned then, kept here under a random token
# bound to the account, and stored on the report when the citizen files it ("Tetap kirim laporan
# saya") — or removed by `remove_held_files` a day later.
HELD_ROOT = "held"
HELD_MAX_AGE = timedelta(days=1)


class _HeldUpload:
    """Stands in for the uploaded file: `add_attachment` reads only its name."""

    def __init__(self, name):
        self.name = name


def _held_dir(user, token):
    if not user or not getattr(user, "pk", None) or not isinstance(token, str):
        return None
    if len(token) != 32 or any(ch not in "0123456789abcdef" for ch in token):
        return None
    return f"{HELD_ROOT}/{int(user.pk)}/{token}"


def hold_prepared(prepared, *, by):
    """Keep the files `prepare` cleaned for `by` until the report is filed; returns the token
    (empty when there is nothing to keep). `StorageUnavailable` when the disk cannot take them."""
    import json
    import secrets

    from django.core.files.storage import default_storage

    if not prepared:
        return ""
    token = secrets.token_hex(16)
    folder = _held_dir(by, token)
    manifest = []
    try:
        for n, (uploaded, p) in enumerate(prepared):
            default_storage.save(f"{folder}/{n}.bin", ContentFile(p.content))
            if p.thumbnail:
                default_storage.save(f"{folder}/{n}.thumb", ContentFile(p.thumbnail))
            manifest.append(
                {
                    "name": (getattr(uploaded, "name", "") or "")[:255],
                    "content_type": p.content_type,
                    "thumbnail": bool(p.thumbnail),
                }
            )
        default_storage.save(f"{folder}/manifest.json", ContentFile(json.dumps(manifest).encode()))
    except OSError as err:
        log.error("Held files could not be written: %s", err)
        drop_held(token, by=by)
        raise StorageUnavailable() from None
    return token


def held_files(token, *, by):
    """The files kept under `token` for `by`, as `prepare` returns them ([(uploaded, processed)]);
    [] for an unknown, expired or someone else's token."""
    import json

    from django.core.files.storage import default_storage

    folder = _held_dir(by, token)
    if folder is None:
        return []
    try:
        with default_storage.open(f"{folder}/manifest.json") as f:
            manifest = json.loads(f.read())
        prepared = []
        for n, item in enumerate(manifest):
            with default_storage.open(f"{folder}/{n}.bin") as f:
                content = f.read()
            thumbnail = None
            if item.get("thumbnail"):
                with default_storage.open(f"{folder}/{n}.thumb") as f:
                    thumbnail = f.read()
            prepared.append((_HeldUpload(item.get("name") or ""), Processed(content, item["content_type"], thumbnail)))
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return prepared


def drop_held(token, *, by):
    """Remove the files kept under `token` (once stored on the report, or given up)."""
    import shutil

    from django.core.files.storage import default_storage

    folder = _held_dir(by, token)
    if folder is not None:
        shutil.rmtree(default_storage.path(folder), ignore_errors=True)


def remove_held_files(older_than=HELD_MAX_AGE):
    """Remove held files whose report was never filed, once older than `older_than`."""
    import shutil
    import time

    from django.core.files.storage import default_storage

    root = Path(default_storage.path(HELD_ROOT))
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for user_dir in root.iterdir():
        for folder in user_dir.iterdir() if user_dir.is_dir() else ():
            try:
                if folder.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
