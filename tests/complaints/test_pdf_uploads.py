"""PDF evidence: only what the pages show survives, and a hostile PDF cannot stall a worker.

The hostile PDFs are built here the way a reporter's tools would write them: a scanned photo with
EXIF (artist, GPS), a comment with its author, scripts run on opening and on the page, an
embedded file, a tracker link, document information and XMP metadata.
"""

import io
import re
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints.errors import Invalid
from complaints.evidence import uploads

SECRETS = [
    b"Budi Pelapor",  # /Info author, XMP creator and the comment's /T
    b"SecretArtist",  # EXIF Artist of the embedded photo
    b"Exif\x00\x00",  # any EXIF block at all (it holds the GPS position)
    b"trackerlapor",  # the URI link
    b"alert",  # /OpenAction and page /AA JavaScript
    b"NIK 7371",  # the embedded file
    b"Mawar",  # the comment's text and XMP
]
FORBIDDEN_KEYS = [
    b"/Info",
    b"/Metadata",
    b"/Annots",
    b"/OpenAction",
    b"/AA",
    b"/JavaScript",
    b"/JS",
    b"/EmbeddedFiles",
    b"/URI",
    b"/AcroForm",
    b"/Names",
    b"/Author",
]


def photo_with_exif():
    img = Image.new("RGB", (200, 150), (30, 120, 200))
    exif = Image.Exif()
    exif[0x013B] = "SecretArtist Budi Pelapor"  # Artist
    exif[0x8825] = {1: "S", 2: (5.0, 30.0, 12.0), 3: "E", 4: (122.0, 10.0, 44.0)}  # GPS
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def hostile_pdf(pages=2):
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link, Text
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(400, 300))
    for n in range(pages):
        c.setFont("Helvetica", 18)
        c.drawString(20, 260, f"Bukti pungli halaman {n + 1}")
        c.rect(20, 20, 100, 100, fill=1, stroke=0)  # a black square at a known place
        c.showPage()
    c.save()

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    # The photo goes in as its JPEG bytes, EXIF included, as a scanner or a phone's "save as PDF"
    # embeds it.
    jpeg = photo_with_exif()
    image = StreamObject()
    image._data = jpeg
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(200),
            NameObject("/Height"): NumberObject(150),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    image_ref = writer._add_object(image)
    for p in writer.pages:
        draw = StreamObject()
        draw.set_data(b"q 160 0 0 120 200 20 cm /Photo Do Q")
        p[NameObject("/Contents")] = ArrayObject([p.raw_get("/Contents"), writer._add_object(draw)])
        resources = p["/Resources"]
        resources[NameObject("/XObject")] = DictionaryObject({NameObject("/Photo"): image_ref})
    writer.add_metadata({"/Author": "Budi Pelapor", "/Title": "Laporan Jl. Mawar 3"})
    xmp = StreamObject()
    xmp.set_data(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Budi Pelapor, Jl. Mawar 3</dc:creator></x:xmpmeta>')
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    note = Text(text="Difoto dari rumah saya, Jl. Mawar 3", rect=(150, 150, 170, 170))
    note[NameObject("/T")] = TextStringObject("Budi Pelapor")
    writer.add_annotation(page_number=0, annotation=note)
    writer.add_annotation(
        page_number=0, annotation=Link(rect=(20, 250, 300, 280), url="https://trackerlapor.example/p?id=budi")
    )
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('open');")}
    )
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('page');")}
            )
        }
    )
    writer.add_attachment("ktp.txt", b"NIK 7371010101010001 Budi Pelapor")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_hostile_pdf_carries_every_secret():
    """The fixture itself: each secret is really in the uploaded bytes (otherwise the test below
    would prove nothing)."""
    from pypdf import PdfReader

    raw = hostile_pdf()
    for secret in SECRETS:
        assert secret in raw or secret in _inflated(raw), secret
    reader = PdfReader(io.BytesIO(raw))
    assert reader.metadata["/Author"] == "Budi Pelapor"
    assert "/Annots" in reader.pages[0] and "/AA" in reader.pages[0]
    assert "/OpenAction" in reader.trailer["/Root"] and reader.attachments


def _inflated(raw):
    """The uncompressed contents of every Flate stream: a secret hidden in a compressed stream is
    still a secret."""
    found = []
    for m in re.finditer(rb"stream\r?\n", raw):
        chunk = raw[m.end() : m.end() + 200_000]
        try:
            found.append(zlib.decompressobj().decompress(chunk))
        except zlib.error:
            continue
    return b"".join(found)


def test_only_the_visible_pages_survive():
    from pypdf import PdfReader

    raw = hostile_pdf(pages=2)
    result = uploads.process(SimpleUploadedFile("bukti.pdf", raw))
    assert result.content_type == "application/pdf"
    stored = result.content
    for secret in SECRETS:
        assert secret not in stored and secret not in _inflated(stored), secret
    for key in FORBIDDEN_KEYS:
        assert key not in stored, key

    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 2
    assert reader.metadata is None and reader.xmp_metadata is None
    root = reader.trailer["/Root"]
    assert set(root.keys()) == {"/Type", "/Pages"}
    for page in reader.pages:
        assert set(page.keys()) == {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 400, 300]
        for image in page.images:  # every picture re-encoded: no EXIF, no comment, no XMP
            with Image.open(io.BytesIO(image.data)) as img:
                assert not img.getexif()
                assert not ({"exif", "xmp", "comment", "icc_profile"} & set(img.info))


def test_the_page_still_shows_what_it_showed():
    """Rasterised, not blanked: the black square and the blue photo are where they were."""
    import pypdfium2 as pdfium

    result = uploads.process(SimpleUploadedFile("bukti.pdf", hostile_pdf(pages=1)))
    page = pdfium.PdfDocument(result.content)[0]
    img = page.render(scale=1).to_pil().convert("RGB")  # 400×300 px, origin top-left
    r, g, b = img.getpixel((70, 300 - 70))
    assert r < 40 and g < 40 and b < 40  # inside the black square
    r, g, b = img.getpixel((280, 300 - 80))
    assert b > 150 and r < 80  # inside the photo
    assert img.getpixel((150, 150))[0] > 230  # blank paper stays blank
    text = pdfium.PdfDocument(result.content)[0].get_textpage().get_text_range()
    assert text == ""  # no text layer: nothing hidden in one either


def test_too_many_pages_is_refused(settings):
    settings.PDF_MAX_PAGES = 2
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("tebal.pdf", hostile_pdf(pages=3)))
    assert "terlalu banyak halaman" in str(err.value.message) and "2" in str(err.value.message)


def _pdf_with_page(mediabox, content=b""):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=mediabox[0], height=mediabox[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_huge_page_is_drawn_smaller_not_at_full_size(settings):
    """A 5 m × 5 m page at 150 dpi would be 870 megapixels; it is drawn within the pixel cap and
    keeps its size in points."""
    from pypdf import PdfReader

    settings.PDF_MAX_PAGE_PIXELS = 1_000_000
    result = uploads.process(SimpleUploadedFile("poster.pdf", _pdf_with_page((14400, 14400))))
    page = PdfReader(io.BytesIO(result.content)).pages[0]
    assert [round(float(v)) for v in page.mediabox] == [0, 0, 14400, 14400]
    (image,) = page.images
    with Image.open(io.BytesIO(image.data)) as img:
        assert img.width * img.height <= 1_000_000


def slow_pdf(rectangles):
    """A small file whose one page takes seconds of CPU to draw."""
    ops = b"".join(b"%d %d 300 300 re f\n" % (i % 300, (i * 7) % 500) for i in range(rectangles))
    stream = zlib.compress(ops, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % (i + 1) + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_pdf_that_takes_too_long_is_refused_quickly(settings):
    settings.PDF_MAX_CPU_SECONDS = 1
    data = slow_pdf(40_000)
    assert len(data) < 200_000
    started = time.monotonic()
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("lambat.pdf", data))
    assert "terlalu rumit" in str(err.value.message)
    assert time.monotonic() - started < 1 * 4 + 2 + 1  # the wall-clock bound, whatever the load


def test_password_locked_pdf_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("rahasia-pelapor")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("kunci.pdf", out.getvalue()))
    assert "kata sandi" in str(err.value.message)


def test_broken_pdf_is_refused():
    with pytest.raises(Invalid) as err:
        uploads.process(SimpleUploadedFile("rusak.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100))
    assert "PDF rusak" in str(err.value.message)
