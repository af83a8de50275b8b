"""The monthly PDF as an official document: a letterhead with the region, Diskominfo, the period
and the date of issue; "Halaman n dari N" on every page; no text running over a cell edge; no
header word broken in two; numbers in the Indonesian format."""

import datetime
import io

import pdfplumber
import pytest

from agencies.models import Agency
from complaints.dashboards import monthly_report
from complaints.models import Sanction

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


def pages_of(data):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [
            {
                "text": page.extract_text() or "",
                "words": page.extract_words(keep_blank_chars=False, use_text_flow=True),
                "edges": [e for e in page.edges if e["orientation"] == "v"],
            }
            for page in pdf.pages
        ]


def crossings(page):
    """Words that a vertical cell edge runs through (text overprinting its neighbour's cell)."""
    found = []
    for word in page["words"]:
        for edge in page["edges"]:
            overlaps_vertically = edge["top"] < word["bottom"] - 0.5 and edge["bottom"] > word["top"] + 0.5
            if overlaps_vertically and word["x0"] + 0.5 < edge["x0"] < word["x1"] - 0.5:
                found.append((word["text"], round(edge["x0"])))
    return found


@pytest.fixture
def many_agencies(region):
    """Enough long-named agencies that the scoreboard runs over a page."""
    for i in range(40):
        Agency.objects.create(
            slug=f"opd-{i}",
            name=f"Dinas Pemberdayaan Masyarakat, Perempuan dan Perlindungan Anak Wilayah {i}",
            kind="opd",
        )


@pytest.fixture
def pdf(november, many_agencies, auditor, region, now):
    Sanction.objects.create(agency=region.dinkes, month=NOVEMBER, evidence=[])
    return pages_of(monthly_report.build_pdf(auditor, NOVEMBER, now=now))


def test_every_page_is_numbered_n_of_total(pdf):
    assert len(pdf) >= 2
    for number, page in enumerate(pdf, start=1):
        assert f"Halaman {number} dari {len(pdf)}" in page["text"]


def test_the_letterhead_names_region_diskominfo_period_and_issue_date(pdf, settings, now):
    first = pdf[0]["text"]
    assert f"PEMERINTAH {settings.REGION_NAME.upper()}" in first
    assert "DISKOMINFO" in first.upper() or "KOMUNIKASI DAN INFORMATIKA" in first.upper()
    assert "Periode: 1–30 November 2026" in first
    assert "Diterbitkan" in first and "WIB" in first


def test_no_text_runs_over_a_cell_edge(pdf):
    assert all(page["edges"] for page in pdf[:1])  # the tables are drawn as a grid
    for page in pdf:
        assert crossings(page) == []


def test_header_words_are_whole_and_numbers_indonesian(pdf):
    words = {w["text"] for page in pdf for w in page["words"]}
    for whole in ("Pengaduan", "Terverifikasi", "Ditindaklanjuti", "Dikembalikan", "Eskalasi"):
        assert whole in words
    text = "\n".join(page["text"] for page in pdf)
    assert "60,0" in text and "4,5" in text  # Dinas PU's on-time rate and median
    assert "60.0" not in text and "100.0" not in text


def test_the_crossing_check_sees_an_overprint():
    """The check itself: a word drawn across a grid line is reported."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.line(100, 500, 100, 540)
    c.setFont("Helvetica", 10)
    c.drawString(80, 515, "Pengaduan")
    c.save()
    assert crossings(pages_of(out.getvalue())[0]) == [("Pengaduan", 100)]
