"""A full or read-only disk: a clear 503, nothing half-stored, and the citizen keeps what they typed.

The disk is made full for real: RLIMIT_FSIZE makes the kernel refuse any write past a size in
this process (EFBIG, as ENOSPC would), so a file is cut off halfway exactly as on a full disk.
A read-only mount is simulated by a storage whose writes fail with EROFS (tests run as root,
for whom a chmod'ed folder stays writable).
"""

import contextlib
import errno
import io
import os
import resource
import signal
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints.evidence import uploads
from complaints.evidence.storage import AtomicFileSystemStorage
from complaints.models import Attachment, Complaint
from tests.filing import report_form

pytestmark = pytest.mark.django_db

TITLE = "Jembatan kayu di Lamokato patah"
BODY = "Jembatan kayu penghubung dusun patah sejak banjir minggu lalu, anak sekolah harus memutar jauh."


@contextlib.contextmanager
def disk_full_after(limit):
    """Every file write of this process beyond `limit` bytes fails, as on a disk that fills up."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


class ReadOnlyMedia(FileSystemStorage):
    """The media volume mounted read-only (the outside world)."""

    def _save(self, name, content):
        raise OSError(errno.EROFS, "Read-only file system", name)


def files_on_disk(settings):
    found = []
    for root, _dirs, names in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, n) for n in names]
    return found


def small_png():  # stored: 83 bytes, thumbnail 631 bytes
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, format="PNG")
    return out.getvalue()


def png_with_big_thumbnail():  # stored: ~700 bytes, thumbnail ~2 KB
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(out, format="PNG")
    return out.getvalue()


def noisy_jpeg():  # ~20 KB however it is encoded
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(out, format="JPEG")
    return out.getvalue()


def form_data(region, **files):
    """The portal's road report without a point or agencies, with `files`."""
    details = {"location_text": "Dusun II, dekat masjid", "incident_date": "2026-11-20", "privacy": "anonim"}
    return report_form(region, TITLE, BODY, details=False, **details, **files)


# The storage itself ------------------------------------------------------------------------------
def test_the_storage_never_leaves_a_partial_file(settings, tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with disk_full_after(1000), pytest.raises(OSError):
        storage.save("attachments/ab/bukti.jpg", ContentFile(b"x" * 5000))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    name = storage.save("attachments/ab/bukti.jpg", ContentFile(b"x" * 5000))
    assert (tmp_path / name).read_bytes() == b"x" * 5000
    # An existing name is never replaced.
    other = storage.save("attachments/ab/bukti.jpg", ContentFile(b"y"))
    assert other != name and (tmp_path / name).read_bytes() == b"x" * 5000


# API upload --------------------------------------------------------------------------------------
def api_upload(citizen, c, data):
    from rest_framework.test import APIClient

    from accounts.auth import issue_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(citizen)}")
    upload = SimpleUploadedFile("bukti.jpg", data)
    return client.post(f"/api/v1/complaints/{c.tracking_id}/attachments/", {"file": upload}, format="multipart")


def test_api_upload_on_a_full_disk_is_503_and_leaves_nothing(citizen, file_report, settings):
    c = file_report()
    with disk_full_after(1500):
        r = api_upload(citizen, c, noisy_jpeg())
    assert r.status_code == 503
    assert r.json() == {"detail": str(uploads.StorageUnavailable.default_message)}
    assert not Attachment.objects.exists()
    assert files_on_disk(settings) == []
    # Once there is room again, the same upload works.
    assert api_upload(citizen, c, noisy_jpeg()).status_code == 201


def test_an_image_whose_thumbnail_cannot_be_written_is_removed_too(citizen, file_report, settings):
    c = file_report()
    with disk_full_after(1500):  # the image (~700 bytes) fits, its thumbnail (~2 KB) does not
        r = api_upload(citizen, c, png_with_big_thumbnail())
    assert r.status_code == 503
    assert not Attachment.objects.exists()
    assert files_on_disk(settings) == []


def test_api_upload_on_read_only_media_is_503(citizen, file_report, settings):
    c = file_report()
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.ReadOnlyMedia"}}
    r = api_upload(citizen, c, small_png())
    assert r.status_code == 503 and "penyimpanan server" in r.json()["detail"]
    assert not Attachment.objects.exists()


# Web filing --------------------------------------------------------------------------------------
def test_web_filing_keeps_the_typed_text_and_stores_nothing_when_evidence_cannot_be_written(
    client, citizen, region, settings
):
    """The first photo is written, the second hits the full disk: the report is not filed, the
    first photo is removed again, and the form comes back with the title and body."""
    client.force_login(citizen)
    photos = [SimpleUploadedFile("a.png", small_png()), SimpleUploadedFile("b.jpg", noisy_jpeg())]
    with disk_full_after(1500):
        r = client.post("/lapor/", form_data(region, files=photos))
    assert r.status_code == 503
    form = r.context["form"]
    assert form["title"].value() == TITLE and form["body"].value() == BODY
    page = r.content.decode()
    assert TITLE in page and BODY in page
    assert "belum terkirim" in page and "penyimpanan server" in page
    assert r.context["reselect_files"] is True
    assert not Complaint.objects.exists() and not Attachment.objects.exists()
    assert files_on_disk(settings) == []


def test_web_filing_on_read_only_media(client, citizen, region, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.ReadOnlyMedia"}}
    client.force_login(citizen)
    r = client.post("/lapor/", form_data(region, files=[SimpleUploadedFile("a.png", small_png())]))
    assert r.status_code == 503
    assert r.context["form"]["body"].value() == BODY
    assert not Complaint.objects.exists()
    # Without the evidence the same report goes through.
    r = client.post("/lapor/", form_data(region))
    assert r.status_code == 302 and Complaint.objects.count() == 1


def test_a_reply_with_evidence_on_a_full_disk(client, citizen, disposed_report, settings):
    c = disposed_report()
    client.force_login(citizen)
    with disk_full_after(1500):
        r = client.post(
            c.get_absolute_url(),
            {
                "action": "reply",
                "reply-body": "Foto tambahan dari lokasi.",
                "reply-files": [SimpleUploadedFile("a.png", small_png()), SimpleUploadedFile("b.jpg", noisy_jpeg())],
            },
        )
    assert r.status_code == 503
    assert "penyimpanan server" in r.content.decode()
    assert not Attachment.objects.exists() and files_on_disk(settings) == []
    assert not c.events.filter(body="Foto tambahan dari lokasi.").exists()


# What a killed worker leaves ---------------------------------------------------------------------
def test_files_without_a_row_are_removed_once_old(citizen, file_report, settings):
    """A worker killed between the file and the row, or a commit that failed after the files were
    written, leaves files no row refers to; the daily clean removes them (and unfinished
    temporary files), never a file in use or one young enough to be awaiting its commit."""
    from django.core.management import call_command

    c = file_report()
    kept = uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("a.jpg", noisy_jpeg()))
    folder = settings.MEDIA_ROOT / "attachments" / "ab"
    folder.mkdir(parents=True)
    orphan, partial, young = folder / "orphan.jpg", folder / ".partial-x1", folder / "young.jpg"
    for path in (orphan, partial, young):
        path.write_bytes(b"x" * 10)
    two_hours_ago = time.time() - 7200
    for path in (orphan, partial, settings.MEDIA_ROOT / kept.file.name, settings.MEDIA_ROOT / kept.thumbnail.name):
        os.utime(path, (two_hours_ago, two_hours_ago))
    out = io.StringIO()
    call_command("clean_media", stdout=out)
    assert "2 berkas" in out.getvalue()
    assert not orphan.exists() and not partial.exists() and young.exists()
    assert kept.file.storage.exists(kept.file.name) and kept.thumbnail.storage.exists(kept.thumbnail.name)
