"""Spreadsheet formula injection: whatever a reporter, an agency name or a staff member's browser
puts in a cell, no export hands a spreadsheet a formula, however the file is cut into cells."""

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from complaints import workflow
from complaints.dashboards.exports import safe_cell, xlsx_bytes
from tests.dashboards.test_exports import body

pytestmark = pytest.mark.django_db

TRIGGERS = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
SEPARATOR = "Jalan rusak;=cmd|' /C calc'!A0"
ATTACKS = [
    '=HYPERLINK("http://jahat.example","klik")',
    "+1+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 diawali tab",
    "\r=1+1 diawali CR",
    SEPARATOR,
    "Jalan rusak, +cmd|' /C calc'!A0",
    "Jalan rusak;   @SUM(1+1)",
    "Jalan rusak\t-2+3 dengan tab",
    "Jalan rusak\n=1+1 di baris kedua",
    "Jalan rusak\r\n=1+1 di baris kedua (CR LF)",
    "Jalan rusak;\uff1d1+1 lebar penuh",
]
QUOTED_LINE = re.compile(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*')


def assert_inert_csv(text):
    """Every cell quoted; read with `,` or `;` as the separator, or cut naively at every
    separator and line break, no piece starts a formula."""
    text = text.removeprefix("\ufeff")
    assert QUOTED_LINE.fullmatch(text.rstrip("\r\n").replace("\r\n", "\n").split("\n")[0])
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        # Every cell quoted: the row written back with quotes everywhere is what was sent.
        line = io.StringIO()
        csv.writer(line, quoting=csv.QUOTE_ALL).writerow(row)
        assert line.getvalue() in text
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in row:
                assert not cell.lstrip(" ").startswith(TRIGGERS), (delimiter, cell)
    for piece in re.split(r"[,;\t\r\n]", text):
        assert not piece.lstrip(' "').startswith(TRIGGERS), piece
    return rows


def workbook_cells(data):
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    return book


def test_report_titles_every_attack_shape(november, client_for, auditor, file_report, now):
    reports = [file_report(title=attack) for attack in ATTACKS]
    c = client_for(auditor)
    rows = assert_inert_csv(body(c.get("/audit/laporan/ekspor.csv", {"metrik": "total"})).decode("utf-8-sig"))
    titles = {row[0]: row[7] for row in rows[1:]}
    for report in reports:
        assert titles[report.tracking_id] == safe_cell(report.title)
    separator = next(r for r in reports if r.title == SEPARATOR)
    assert titles[separator.tracking_id] == "Jalan rusak;'=cmd|' /C calc'!A0"

    book = workbook_cells(body(c.get("/audit/laporan/ekspor.xlsx", {"metrik": "total"})))
    sheet_rows = {row[0].value: row for row in book.worksheets[0].iter_rows(min_row=2)}
    for report in reports:
        cell = sheet_rows[report.tracking_id][7]
        assert cell.data_type == "s" and cell.value == safe_cell(report.title)
        for piece in re.split(r"[,;\t\r\n]", cell.value):
            assert not piece.lstrip(" ").startswith(TRIGGERS)


def test_agency_names_in_dashboard_and_public_tables(november, region, client_for, auditor, client, now):
    region.dinkes.name = SEPARATOR
    region.dinkes.save(update_fields=["name"])
    region.pu.name = "@Dinas PU, -1+1"
    region.pu.save(update_fields=["name"])
    c = client_for(auditor)
    for url, params in (("/audit/ekspor.csv", {"tabel": "opd"}), ("/statistik/ekspor.csv", {"tabel": "opd"})):
        page = client if url.startswith("/statistik") else c
        rows = assert_inert_csv(body(page.get(url, params)).decode("utf-8-sig"))
        names = {row[0] for row in rows[1:]}
        assert "Jalan rusak;'=cmd|' /C calc'!A0" in names and "'@Dinas PU, '-1+1" in names

    book = workbook_cells(body(c.get("/audit/ekspor.xlsx")))
    opd = {row[0].value: row for row in book["Kinerja OPD"].iter_rows(min_row=2)}
    dinkes = opd["Jalan rusak;'=cmd|' /C calc'!A0"]
    assert dinkes[0].data_type == "s"
    assert dinkes[1].value == 2 and dinkes[1].data_type == "n"  # numbers stay numbers
    assert opd["'@Dinas PU, '-1+1"][1].value == 6
    public = workbook_cells(body(client.get("/statistik/ekspor.xlsx")))
    names = {row[0].value for row in public["Kinerja OPD"].iter_rows(min_row=2)}
    assert "Jalan rusak;'=cmd|' /C calc'!A0" in names


def test_staff_activity_reason_and_user_agent(region, file_report, operator, auditor, client_for):
    c = file_report(privacy="rahasia")
    review = client_for(operator).post(
        reverse("staff:review", kwargs={"tracking_id": c.tracking_id}),
        {"action": "identity"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_USER_AGENT="=cmd|' /C calc'!A0; +Mozilla",
    )
    assert review.status_code == 200
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    reason = "Pemeriksaan dugaan pungli;=cmd|' /C calc'!A0 memerlukan keterangan pelapor."
    workflow.reveal(c.pk, by=auditor, reason=reason)
    text = body(client_for(auditor).get("/audit/petugas/ekspor.csv")).decode("utf-8-sig")
    rows = assert_inert_csv(text)
    assert "Pemeriksaan dugaan pungli;'=cmd|' /C calc'!A0 memerlukan keterangan pelapor." in {r[6] for r in rows}
    assert "'=cmd|' /C calc'!A0; '+Mozilla" in {r[8] for r in rows}


def test_cells_are_neutralised_but_plain_text_is_untouched():
    assert safe_cell("Jalan berlubang di depan pasar, sudah 2-3 minggu") == (
        "Jalan berlubang di depan pasar, sudah 2-3 minggu"
    )
    assert safe_cell("a;\t=b") == "a;'\t'=b"  # a tab after the separator is a trigger, and a separator
    assert safe_cell("  =1+1") == "  '=1+1"
    assert safe_cell(7) == 7 and safe_cell(None) is None and safe_cell(4.5) == 4.5
    # A control character cannot hide a trigger from the guard, nor break a workbook.
    assert safe_cell("Jalan rusak;\x07=cmd|' /C calc'!A0") == "Jalan rusak;'=cmd|' /C calc'!A0"
    book = workbook_cells(xlsx_bytes([("Uji", [["Judul"], ["\x00=1+1", 3]])]))
    assert [[c.value for c in row] for row in book.active.iter_rows()] == [["Judul", None], ["'=1+1", 3]]
