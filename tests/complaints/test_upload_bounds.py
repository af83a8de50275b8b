"""One upload costs a bounded amount of CPU and memory; a decompression bomb is refused before it
is decoded; an account cannot flood the server with files.

CPU and memory are measured in a child process: Pillow allocates its pixels outside Python's
allocator (tracemalloc does not see them), so the honest measure is the peak resident size of a
process that does nothing but the upload, before and after it.
"""

import io
import json
import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageChops

from complaints.errors import Invalid
from complaints.evidence import uploads
from complaints.models import Attachment, Complaint
from tests.filing import report_form

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024

CHILD = """
import json, os, resource, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from complaints.evidence import uploads
from complaints.errors import Invalid

data = open(sys.argv[1], "rb").read()
uploaded = SimpleUploadedFile("bukti", data)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu = time.process_time()
wall = time.monotonic()
try:
    p = uploads.process(uploaded)
    result = {"content_type": p.content_type, "size": len(p.content)}
    with open(sys.argv[2], "wb") as out:
        out.write(p.content)
except Invalid as err:
    result = {"refused": str(err.message)}
result["cpu"] = time.process_time() - cpu
result["wall"] = time.monotonic() - wall
result["rss_growth"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(json.dumps(result))
"""


def measure(path, tmp_path):
    """Process the file at `path` in a fresh process; its CPU seconds, peak RSS growth in bytes
    and outcome (the stored file is written to tmp_path/stored)."""
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-c", CHILD, str(path), str(tmp_path / "stored")],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "lapor.settings", "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def _smooth(size, cells, mode, seed):
    rng = random.Random(seed)
    small = Image.frombytes(mode, cells, rng.randbytes(cells[0] * cells[1] * len(mode)))
    return small.resize(size, Image.BICUBIC)


@pytest.fixture(scope="module")
def phone_jpeg(tmp_path_factory):
    """A 48 MP (8000×6000) photo as a phone stores it: smooth scene plus sensor noise, so it
    compresses like a real one (about 4 MB at quality 85)."""
    path = tmp_path_factory.mktemp("img") / "phone.jpg"
    scene = _smooth((8000, 6000), (80, 60), "RGB", 1)
    ImageChops.add(scene, Image.effect_noise((8000, 6000), 1.5).convert("RGB"), 1.0, -128).save(path, quality=85)
    return path


@pytest.fixture(scope="module")
def worst_png(tmp_path_factory):
    """The costliest PNG accepted: RGBA at the 16 MP cap, compressing well but not past the ratio."""
    path = tmp_path_factory.mktemp("img") / "worst.png"
    _smooth((4000, 4000), (4, 4), "RGBA", 2).save(path)
    return path


def _png_bytes(img):
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def test_a_48_megapixel_phone_photo_costs_under_a_second_and_200_mb(phone_jpeg, tmp_path, settings):
    data = phone_jpeg.read_bytes()
    assert 3 * MB < len(data) <= settings.UPLOAD_MAX_FILE_BYTES
    result = measure(phone_jpeg, tmp_path)
    assert result.get("content_type") == "image/jpeg", result
    assert result["cpu"] <= 1.0, result
    assert result["rss_growth"] <= 200 * MB, result
    with Image.open(tmp_path / "stored") as stored:
        assert max(stored.size) <= 2048 and stored.size[0] / stored.size[1] == pytest.approx(8000 / 6000, rel=0.01)


def test_the_worst_accepted_png_costs_under_a_second_and_200_mb(worst_png, tmp_path, settings):
    data = worst_png.read_bytes()
    assert len(data) <= settings.UPLOAD_MAX_FILE_BYTES
    with Image.open(worst_png) as img:
        assert img.mode == "RGBA" and img.width * img.height == settings.UPLOAD_MAX_IMAGE_PIXELS
    result = measure(worst_png, tmp_path)
    assert result.get("content_type") == "image/png", result
    assert result["cpu"] <= 1.0, result
    assert result["rss_growth"] <= 200 * MB, result
    with Image.open(tmp_path / "stored") as stored:
        assert max(stored.size) <= 2048 and stored.mode == "RGBA"


def test_a_png_bomb_under_the_old_cap_is_refused_at_once_without_allocating(tmp_path):
    """154 KB that decodes to 6300×6300 RGBA (159 MB): refused from its header."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_bytes(Image.new("RGBA", (6300, 6300), (0, 0, 0, 0))))
    assert bomb.stat().st_size < 200_000
    result = measure(bomb, tmp_path)
    assert "refused" in result, result
    assert result["wall"] < 0.5 and result["cpu"] < 0.5, result
    assert result["rss_growth"] < 10 * MB, result


def test_a_tiny_file_that_would_expand_hugely_is_refused_before_decoding():
    """3000×3000 RGBA (9 MP, under the pixel cap) in a few KB: the ratio refuses it."""
    data = _png_bytes(Image.new("RGBA", (3000, 3000), "white"))
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("layar.png", data))
    assert "dibanding ukuran berkasnya" in str(err.value.message)


def test_a_phone_screenshot_that_compresses_well_is_accepted():
    """A mostly white chat screenshot compresses ~1000×, but decoding it is cheap: accepted."""
    img = Image.new("RGBA", (1440, 3200), "white")
    for y in range(100, 3000, 300):
        img.paste((20, 120, 60, 255), (100, y, 1300, y + 120))
    data = _png_bytes(img)
    assert 1440 * 3200 * 4 / len(data) > 200
    result = uploads.process(SimpleUploadedFile("layar.png", data))
    with Image.open(io.BytesIO(result.content)) as stored:
        assert stored.size == (922, 2048)


def test_the_png_pixel_cap_is_settable(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    ok = _smooth((1000, 1000), (10, 10), "RGB", 3)
    assert uploads.process(SimpleUploadedFile("a.png", _png_bytes(ok))).content_type == "image/png"
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("b.png", _png_bytes(_smooth((1100, 1000), (11, 10), "RGB", 3))))
    assert "maksimum 1 megapiksel" in str(err.value.message)


def test_a_jpeg_too_large_even_when_drafted_is_refused(settings):
    settings.UPLOAD_MAX_JPEG_PIXELS = 2_000_000
    out = io.BytesIO()
    Image.new("RGB", (2000, 1100), "gray").save(out, format="JPEG")
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("a.jpg", out.getvalue()))
    assert "maksimum 2 megapiksel" in str(err.value.message)


# Per-account rate --------------------------------------------------------------------------------
def _small_png():
    return _png_bytes(Image.new("RGB", (16, 16), "white"))


@pytest.mark.django_db
def test_the_api_answers_429_past_the_hourly_rate_and_counts_from_the_database(citizen, file_report, settings):
    from rest_framework.test import APIClient

    from accounts.auth import issue_token

    settings.UPLOAD_RATE_PER_HOUR = 2
    settings.UPLOAD_MAX_FILES = 10
    # The cache is unreachable: the count must not depend on it.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    first, second = file_report(), file_report()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(citizen)}")

    def post(c):
        upload = SimpleUploadedFile("bukti.png", _small_png())
        return client.post(f"/api/v1/complaints/{c.tracking_id}/attachments/", {"file": upload}, format="multipart")

    assert post(first).status_code == 201
    assert post(second).status_code == 201
    r = post(first)
    assert r.status_code == 429
    assert "maksimum 2 berkas per jam" in r.json()["detail"]
    assert Attachment.objects.filter(uploaded_by=citizen).count() == 2
    # An hour later the account may upload again.
    Attachment.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert post(first).status_code == 201


@pytest.mark.django_db
def test_web_filing_past_the_hourly_rate_is_a_form_error_and_files_nothing(client, citizen, region, settings):
    settings.UPLOAD_RATE_PER_HOUR = 2
    client.force_login(citizen)
    title = "Lampu jalan mati di Jl. Sultan Hasanuddin"
    body = "Sudah dua minggu lampu jalan di depan pasar mati, jalan sangat gelap pada malam hari."
    data = report_form(region, title, body, details=False, location_text="Depan pasar", privacy="anonim")
    data["incident_date"] = "2026-11-20"

    def files(n):
        return [SimpleUploadedFile(f"{i}.png", _small_png()) for i in range(n)]

    r = client.post("/lapor/", {**data, "files": files(3)})
    assert r.status_code == 429
    assert "maksimum 2 berkas per jam" in " ".join(r.context["form"].errors["files"])
    assert not Complaint.objects.exists() and not Attachment.objects.exists()
    r = client.post("/lapor/", {**data, "files": files(2)})
    assert r.status_code == 302 and Attachment.objects.filter(uploaded_by=citizen).count() == 2
