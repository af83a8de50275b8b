"""Rebuild an uploaded PDF as pictures of its pages, in a separate, bounded process.

Why rasterise (pypdfium2) rather than rebuild the document (pikepdf): a PDF hides identifying
data in far more places than a list of keys to delete can keep up with — document and XMP
metadata, annotation authors, scripts and actions, links, form fields, embedded files, but also
the metadata of every embedded image, fonts, hidden layers, text drawn off the page or in white,
incremental updates that keep earlier versions. A copy of the page content streams carries much
of that along. A picture of each page carries only what the page shows; the new file is written
here from scratch (a catalogue, pages and one JPEG each, no document information dictionary), so
nothing of the original's structure can survive. The price is that text is no longer selectable,
which evidence for a complaint does not need. PDFium is the renderer browsers use on hostile
documents every day; it is used here without a form environment, so no script in the document
ever runs. Annotations (comments, links, form widgets) are not drawn: their visible appearance is
not page content and a comment's icon or text can carry its author.

The parent (`complaints.evidence.uploads`) runs this file as a child process with the PDF on stdin and
reads the new PDF from stdout. The child limits its own CPU time and address space before it
parses anything, and the parent kills it after a wall-clock timeout, so a hostile document can
neither stall a web worker nor exhaust its memory. Exit codes: 0 done, 2 unreadable, 3 locked with
a password, 4 too many pages, 5 out of memory. Only pypdfium2 and Pillow are imported: no Django.
"""

import io
import resource
import sys

EXIT_UNREADABLE = 2
EXIT_ENCRYPTED = 3
EXIT_TOO_MANY_PAGES = 4
EXIT_TOO_COMPLEX = 5


def limit_self(cpu_seconds, memory_bytes):
    """Cap this process: SIGXCPU (then SIGKILL) after `cpu_seconds` of CPU, allocation failures
    beyond `memory_bytes` of address space."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def image_pdf(pages):
    """A new PDF with one full-page JPEG per page. `pages` is a list of (width_pt, height_pt,
    jpeg_bytes, width_px, height_px). Written by hand so the file holds exactly this: no document
    information dictionary, no XMP, no file identifier, no producer string."""
    out = io.BytesIO()
    offsets = []

    def obj(body):
        offsets.append(out.tell())
        out.write(f"{len(offsets)} 0 obj\n".encode())
        out.write(body)
        out.write(b"\nendobj\n")
        return len(offsets)

    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    # Objects 1 (catalogue) and 2 (page tree) come first; each page takes three more.
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(len(pages)))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(f"<< /Type /Pages /Count {len(pages)} /Kids [{kids}] >>".encode())
    for i, (w, h, jpeg, px_w, px_h) in enumerate(pages):
        page_no, content_no, image_no = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        obj(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2f} {h:.2f}] "
            f"/Resources << /XObject << /Im0 {image_no} 0 R >> >> /Contents {content_no} 0 R >>".encode()
        )
        assert len(offsets) == page_no
        draw = f"q {w:.2f} 0 0 {h:.2f} 0 0 cm /Im0 Do Q".encode()
        obj(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        obj(
            f"<< /Type /XObject /Subtype /Image /Width {px_w} /Height {px_h} /ColorSpace /DeviceRGB "
            f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
            + jpeg
            + b"\nendstream"
        )
    xref = out.tell()
    out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def rasterise(data, *, max_pages, dpi, max_page_pixels, quality):
    """Render every page of `data` at `dpi` (lower for a page that would exceed
    `max_page_pixels`) and return the new image-only PDF. Raises SystemExit with an exit code
    above when the document cannot be rebuilt."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        # PDFium reports a document locked with a user password as a password error.
        raise SystemExit(EXIT_ENCRYPTED if "password" in str(err).lower() else EXIT_UNREADABLE) from None
    try:
        count = len(doc)
        if count == 0:
            raise SystemExit(EXIT_UNREADABLE)
        if count > max_pages:
            raise SystemExit(EXIT_TOO_MANY_PAGES)
        pages = []
        for index in range(count):
            page = doc[index]
            w, h = page.get_size()
            if not (w > 0 and h > 0):
                raise SystemExit(EXIT_UNREADABLE)
            scale = dpi / 72
            if (w * scale) * (h * scale) > max_page_pixels:
                scale = (max_page_pixels / (w * h)) ** 0.5
            bitmap = page.render(scale=scale, may_draw_forms=False, draw_annots=False)
            img = bitmap.to_pil()
            if img.mode != "RGB":
                img = img.convert("RGB")
            img.info = {}
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=quality, optimize=True)
            pages.append((w, h, buf.getvalue(), img.width, img.height))
            del bitmap, img
            page.close()
    except pdfium.PdfiumError:
        raise SystemExit(EXIT_UNREADABLE) from None
    finally:
        doc.close()
    return image_pdf(pages)


def main(argv):
    max_pages, dpi, max_page_pixels, quality, cpu_seconds, memory_bytes = (int(a) for a in argv[1:7])
    limit_self(cpu_seconds, memory_bytes)
    data = sys.stdin.buffer.read()
    try:
        result = rasterise(data, max_pages=max_pages, dpi=dpi, max_page_pixels=max_page_pixels, quality=quality)
    except MemoryError:
        raise SystemExit(EXIT_TOO_COMPLEX) from None
    sys.stdout.buffer.write(result)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main(sys.argv)
