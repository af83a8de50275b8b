"""CSV, XLSX and the monthly PDF: they open, hold the expected rows, and never an identity."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from complaints import tasks
from complaints.dashboards import monthly_report
from complaints.models import MonthlyReport

pytestmark = pytest.mark.django_db
RECAP = ["Pengaduan", "Belum Terverifikasi", "Belum Ditindaklanjuti", "Proses", "Selesai", "Tunda", "Arsip"]


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_report_list_csv_is_streamed_without_identities(november, client_for, auditor, citizen, now):
    r = client_for(auditor).get("/audit/laporan/ekspor.csv", {"metrik": "total", "opd": "dinas-pu"})
    assert r.status_code == 200 and r.streaming and r["Content-Type"].startswith("text/csv")
    text = body(r).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Nomor pelacakan" and "Status" in rows[0]
    assert {row[0] for row in rows[1:]} == {
        c.tracking_id for c in (november.a, november.b, november.c, november.d, november.e, november.f)
    }
    statuses = {row[0]: row[5] for row in rows[1:]}
    assert statuses[november.a.tracking_id] == "Selesai" and statuses[november.d.tracking_id] == "Belum Ditindaklanjuti"
    for secret in (citizen.email, citizen.full_name, citizen.display_name, citizen.phone):
        assert secret not in text


def test_report_list_xlsx_opens_with_the_rows(november, client_for, auditor, citizen, now):
    r = client_for(auditor).get("/audit/laporan/ekspor.xlsx", {"metrik": "late"})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(body(r)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Nomor pelacakan"
    assert {row[0] for row in rows[1:]} == {november.c.tracking_id, november.d.tracking_id, november.g.tracking_id}
    assert all(citizen.email not in str(cell) for row in rows for cell in row)


def test_dashboard_tables_export(november, client_for, auditor, now):
    c = client_for(auditor)
    text = body(c.get("/audit/ekspor.csv", {"tabel": "opd"})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][1:8] == RECAP
    pu = next(row for row in rows if row[0] == "Dinas PU")
    assert pu[1:8] == ["6", "0", "2", "2", "2", "0", "0"]
    assert pu[8:12] == ["3", "2", "60.0", "4.5"]
    wb = load_workbook(io.BytesIO(body(c.get("/audit/ekspor.xlsx"))), read_only=True)
    assert wb.sheetnames == ["Kinerja OPD", "Tren bulanan", "Per jenis", "Per kategori", "Per kecamatan"]
    opd = list(wb["Kinerja OPD"].iter_rows(values_only=True))
    assert list(opd[0][1:8]) == RECAP
    dinkes = next(row for row in opd if row[0] == "Dinas Kesehatan")
    assert dinkes[1] == 2 and dinkes[11] == 3.5 and dinkes[13] == 1  # median 3.5, one past 60 days
    trend = list(wb["Tren bulanan"].iter_rows(values_only=True))
    assert len(trend) == 13 and trend[-1][0] == "2026-11" and trend[-1][1] == 9


def test_head_exports_only_their_agency(november, client_for, head_pu, now):
    text = body(client_for(head_pu).get("/audit/laporan/ekspor.csv", {"metrik": "total"})).decode("utf-8-sig")
    assert november.a.tracking_id in text and november.e.tracking_id in text
    for other in (november.g, november.h, november.i):
        assert other.tracking_id not in text
    table = body(client_for(head_pu).get("/audit/ekspor.csv")).decode("utf-8-sig")
    assert "Dinas PU" in table and "Dinas Kesehatan" not in table


def test_public_exports_keep_the_suppression(november, client, now):
    text = body(client.get("/statistik/ekspor.csv", {"tabel": "opd"})).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    # Dinas PU's 6 is hidden too: with the 8 published reports, it would give away Dinkes' 2.
    assert rows["Dinas PU"][1] == "≥ 5" and rows["Dinas Kesehatan"][1] == "< 5"
    wb = load_workbook(io.BytesIO(body(client.get("/statistik/ekspor.xlsx"))), read_only=True)
    kecamatan = list(wb["Per kecamatan"].iter_rows(values_only=True))
    assert kecamatan[1] == ("Kota", 5)  # the rahasia report is not counted by area


def test_formula_injection_is_neutralised(november, client_for, auditor, file_report, now):
    c = file_report(title='=HYPERLINK("http://jahat.example")')
    text = body(client_for(auditor).get("/audit/laporan/ekspor.csv", {"metrik": "total"})).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] == c.tracking_id)
    assert row[7].startswith("'=")


def test_monthly_pdf_through_the_task(
    november, client_for, auditor, head_pu, head_dinkes, django_capture_on_commit_callbacks, now
):
    c = client_for(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/audit/laporan-bulanan/", {"bulan": "2026-11", "opd": ""})
    assert r.status_code == 302
    report = MonthlyReport.objects.get()
    assert report.status == MonthlyReport.Status.DONE and report.agency is None and report.requested_by == auditor
    download = c.get(f"/audit/laporan-bulanan/{report.pk}/unduh/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body(download))).pages)
    assert "Kinerja OPD" in text and "Dinas PU" in text and "Dinas Kesehatan" in text
    assert "60,0" in text and "4,5" in text  # PU's on-time rate and median, in the Indonesian format
    assert "Rekomendasi sanksi TPP" in text
    assert "Alice" not in text and "alice@" not in text
    # Heads read their own agency's reports only; the region report is not theirs.
    assert client_for(head_pu).get(f"/audit/laporan-bulanan/{report.pk}/unduh/").status_code == 404
    assert client_for(head_pu).post("/audit/laporan-bulanan/", {"bulan": "2026-11", "opd": "dinkes"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client_for(head_pu).post("/audit/laporan-bulanan/", {"bulan": "2026-11", "opd": "dinas-pu"}).status_code
            == 302
        )
    own = MonthlyReport.objects.get(agency__slug="dinas-pu")
    assert client_for(head_pu).get(f"/audit/laporan-bulanan/{own.pk}/unduh/").status_code == 200
    assert client_for(head_dinkes).get(f"/audit/laporan-bulanan/{own.pk}/unduh/").status_code == 404
    assert c.post("/audit/laporan-bulanan/", {"bulan": "2026-13"}).status_code == 400


def test_the_task_builds_once(november, auditor, region, now):
    report = MonthlyReport.objects.create(month=datetime.date(2026, 11, 1), agency=region.dinkes, requested_by=auditor)
    assert tasks.build_monthly_report(report.pk) == MonthlyReport.Status.DONE
    assert tasks.build_monthly_report(report.pk) is None  # a retried task finds it claimed
    report.refresh_from_db()
    text = "\n".join(p.extract_text() for p in PdfReader(report.file.open("rb")).pages)
    assert "Dinas Kesehatan" in text and "Dinas PU" not in text
    # November alone: G only (H was filed in September), answered late after 6 working days.
    (row,) = monthly_report.figures(auditor, datetime.date(2026, 11, 1), region.dinkes)["rows"]
    assert (row.counts["total"], row.on_time, row.late, row.median) == (1, 0, 1, 6)
    words = " ".join(text.split())
    assert "Dinas Kesehatan 1 0 0 1 0 0 0" in words  # by status: one report, in proses
    assert "Dinas Kesehatan 0 1 0,0 6,0" in words  # on time, late, on-time %, median


def test_only_auditors_and_own_heads_request(auditor, head_pu, liaison_pu, region):
    assert monthly_report.may_request(auditor) and monthly_report.may_request(auditor, region.dinkes)
    assert monthly_report.may_request(head_pu, region.pu) and not monthly_report.may_request(head_pu, region.dinkes)
    assert not monthly_report.may_request(head_pu) and not monthly_report.may_request(liaison_pu, region.pu)


def test_pages_offering_csv_say_what_the_file_is(november, client, client_for, auditor, now):
    """Each page with a CSV download carries the note (dashboards/_csv_note.html) once, and the
    note tells the truth about the file: UTF-8 with a BOM, commas, every cell quoted, decimal point."""
    c = client_for(auditor)
    pages = {
        "/audit/": c,
        "/audit/laporan/?metrik=total": c,
        "/audit/petugas/": c,
        "/statistik/": client,
        "/data/": client,
    }
    for url, who in pages.items():
        html = who.get(url).content.decode()
        assert "Unduh CSV" in html, url
        assert html.count('class="muted csv-note noprint"') == 1, url
        note = html.split('class="muted csv-note noprint">', 1)[1].split("</p>", 1)[0]
        assert "kolom dipisah koma (,)" in note and "angka desimal memakai titik" in note, url
        assert "Dari Teks/CSV" in note, url
    raw = body(c.get("/audit/ekspor.csv", {"tabel": "opd"}))
    assert raw.startswith("\ufeff".encode())
    first = raw.decode("utf-8-sig").splitlines()[0]
    assert first.startswith('"Instansi","Pengaduan",') and ";" not in first
    pu = next(line for line in raw.decode("utf-8-sig").splitlines() if line.startswith('"Dinas PU"'))
    assert '"60.0"' in pu and '"4.5"' in pu
