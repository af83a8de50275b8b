"""Uploads are checked by content and cleaned of metadata."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints.errors import Invalid
from complaints.evidence import uploads


def jpeg_with_gps():
    img = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    gps = {1: "S", 2: (5.0, 30.0, 0.0), 3: "E", 4: (122.0, 10.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_jpeg_loses_exif_and_gps():
    raw = jpeg_with_gps()
    assert b"SecretPhoneMaker" in raw
    result = uploads.process(SimpleUploadedFile("foto.jpg", raw))
    assert result.content_type == "image/jpeg"
    assert b"SecretPhoneMaker" not in result.content
    with Image.open(io.BytesIO(result.content)) as img:
        assert not img.getexif()
        assert "exif" not in img.info
    assert result.thumbnail and result.thumbnail[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("fmt,ctype", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_reencoded(fmt, ctype):
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, format=fmt)
    assert uploads.process(SimpleUploadedFile("x.bin", out.getvalue())).content_type == ctype


def _srgb_profile():
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize(
    "fmt,extra",
    [
        ("JPEG", {"comment": b"Foto oleh Siti, Jl. Mawar 3", "xmp": b"<x:xmpmeta>Jl. Mawar 3</x:xmpmeta>"}),
        ("PNG", {}),
        ("WEBP", {"xmp": b"<x:xmpmeta>Jl. Mawar 3</x:xmpmeta>"}),
    ],
)
def test_no_metadata_survives_in_the_file_or_its_thumbnail(fmt, extra):
    """Not only EXIF: comments, XMP, text chunks and colour profiles are metadata too, and Pillow
    would copy a JPEG comment and a PNG profile from the original unless told otherwise."""
    from PIL import PngImagePlugin

    kwargs = {"icc_profile": _srgb_profile(), **extra}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Foto oleh Siti, Jl. Mawar 3")
        kwargs["pnginfo"] = info
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format=fmt, **kwargs)
    assert b"Mawar" in out.getvalue()
    result = uploads.process(SimpleUploadedFile("foto.bin", out.getvalue()))
    for data in (result.content, result.thumbnail):
        assert b"Mawar" not in data
        with Image.open(io.BytesIO(data)) as img:
            kept = set(img.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "loop", "background"}
            assert kept == set(), kept


def test_palette_transparency_is_kept():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="PNG", transparency=0)
    result = uploads.process(SimpleUploadedFile("ikon.png", out.getvalue()))
    with Image.open(io.BytesIO(result.content)) as img:
        assert img.info.get("transparency") == 0


def test_html_named_jpg_is_refused():
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script></html>"))
    assert "Jenis berkas tidak diterima" in str(err.value.message)


def test_truncated_image_is_refused():
    with pytest.raises(Invalid):
        uploads.process(SimpleUploadedFile("foto.jpg", jpeg_with_gps()[:200]))


def test_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    assert len(out.getvalue()) < 2_000_000
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("bomb.png", out.getvalue()))
    assert "megapiksel" in str(err.value.message)


def test_oversize_is_refused(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 1000
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("big.jpg", jpeg_with_gps() + b"\0" * 2000))
    assert "terlalu besar" in str(err.value.message)


def test_pdf_metadata_is_removed():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Budi Pelapor", "/Title": "Rahasia"})
    out = io.BytesIO()
    writer.write(out)
    assert b"Budi Pelapor" in out.getvalue()
    result = uploads.process(SimpleUploadedFile("surat.pdf", out.getvalue()))
    assert result.content_type == "application/pdf"
    assert b"Budi Pelapor" not in result.content
    assert len(PdfReader(io.BytesIO(result.content)).pages) == 1


@pytest.mark.django_db
def test_stored_under_a_random_name(file_report, citizen):
    c = file_report()
    a = uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("rumah-saya-jl-mawar-3.jpg", jpeg_with_gps()))
    assert "mawar" not in a.file.name and a.file.name.endswith(".jpg")
    assert a.original_name == "rumah-saya-jl-mawar-3.jpg"
    assert a.size == a.file.size


@pytest.mark.django_db
def test_per_report_count_limit(file_report, citizen, settings):
    settings.UPLOAD_MAX_FILES = 1
    c = file_report()
    uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("a.jpg", jpeg_with_gps()))
    with pytest.raises(Invalid):
        uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("b.jpg", jpeg_with_gps()))


@pytest.mark.django_db
def test_files_are_served_only_to_who_may_see_them(client, disposed_report, citizen, other_citizen, operator):
    from complaints import workflow

    c = disposed_report(privacy="umum")
    a = uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("a.jpg", jpeg_with_gps()))
    url = f"/lampiran/{a.key}/"
    assert client.get(url).status_code == 200  # public report, public file
    workflow.set_attachment_public(c.pk, by=operator, attachment=a.pk, public=False)
    assert client.get(url).status_code == 404
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    client.force_login(citizen)
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"SecretPhoneMaker" not in b"".join(r.streaming_content)
    workflow.change_privacy(c.pk, by=citizen, privacy_level="rahasia")
    client.logout()
    workflow.set_attachment_public(c.pk, by=operator, attachment=a.pk, public=True)
    assert client.get(url).status_code == 404  # rahasia: nothing for the public
    assert client.get(f"/lampiran/{a.key}/thumb/").status_code == 404
