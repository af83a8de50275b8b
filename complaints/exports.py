"""CSV and XLSX exports of report lists and dashboard tables (PRODUCT.md §3, §7).

Exports never carry identities: a report row has its tracking id, dates, classification, status,
privacy level, title and agencies, never the reporter (identity is reachable only per report,
through the logged view or reveal). Column names follow the national recap (Pengaduan, Belum
Terverifikasi, …). Lists are streamed: CSV row by row (`StreamingHttpResponse`), XLSX through
openpyxl's write-only mode into a temporary file, so a million rows never sit in memory. Cells
are guarded against formula injection by `sanctions._cell`, the payroll export's guard.
"""

import csv
import tempfile

from django.db.models import Prefetch
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .dashboards import RECAP_COLUMNS
from .models import Disposition, Status
from .sanctions import _cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1000
RECAP_STATUS_LABELS = {key: label for key, label in RECAP_COLUMNS if key in Status.values}


def report_header():
    return [
        _("Nomor pelacakan"),
        _("Tanggal masuk"),
        _("Jenis"),
        _("Kategori"),
        _("Kecamatan"),
        _("Status"),
        _("Privasi"),
        _("Judul"),
        _("OPD"),
    ]


def report_rows(reports):
    """Header + one row per report of `reports` (already the viewer's visible scope), read in
    chunks with the dispositions prefetched per chunk."""
    yield report_header()
    qs = reports.select_related("category", "kecamatan").prefetch_related(
        Prefetch(
            "dispositions",
            queryset=Disposition.objects.filter(parent__isnull=True).select_related("agency").order_by("pk"),
            to_attr="top_dispositions",
        )
    )
    for c in qs.iterator(chunk_size=CHUNK):
        yield [
            c.tracking_id,
            timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
            c.get_kind_display(),
            c.category.name if c.category else "",
            c.kecamatan.name if c.kecamatan else "",
            str(RECAP_STATUS_LABELS.get(c.status, c.get_status_display())),
            c.get_privacy_display(),
            c.title,
            ", ".join(d.agency.name for d in c.top_dispositions),
        ]


def _number(value):
    return "" if value is None else value


def agency_header():
    return [
        _("Instansi"),
        *[str(label) for _key, label in RECAP_COLUMNS],
        _("Tepat waktu"),
        _("Terlambat"),
        _("Tepat waktu (%)"),
        _("Median respons pertama (hari kerja)"),
        _("Lewat tenggat sekarang"),
        _("Lewat 60 hari"),
        _("Eskalasi"),
        _("Dikembalikan"),
        _("Dibuka kembali (%)"),
        _("Rata-rata penilaian"),
        _("Rekomendasi sanksi TPP"),
    ]


def agency_table(rows):
    """Header + one row per `dashboards.AgencyRow`."""
    yield agency_header()
    for r in rows:
        yield [
            r.agency.name,
            *[r.counts[key] for key, _label in RECAP_COLUMNS],
            r.on_time,
            r.late,
            _number(r.on_time_rate),
            _number(r.median),
            r.overdue,
            r.ceiling,
            r.escalated,
            r.returned,
            _number(r.reopen_rate),
            _number(r.mean_rating),
            r.sanctions,
        ]


def trend_table(trend):
    yield [_("Bulan"), *[str(label) for _key, label in RECAP_COLUMNS], _("Tepat waktu"), _("Terlambat")]
    for row in trend:
        yield [
            row["month"].strftime("%Y-%m"),
            *[row[key] for key, _label in RECAP_COLUMNS],
            row["on_time"],
            row["late"],
        ]


def breakdown_table(title, items):
    yield [title, str(RECAP_COLUMNS[0][1])]
    for _key, label, n in items:
        yield [label or "—", n]


class _Echo:
    """A file-like object whose write returns the line: csv.writer feeds the stream with it."""

    def write(self, value):
        return value


def _value(value):
    """A cell: translated labels as text, text guarded against formula injection."""
    return _cell(str(value) if isinstance(value, Promise) else value)


def csv_response(rows, filename):
    """Stream `rows` (an iterable of lists) as a UTF-8 CSV download (with a BOM, for Excel)."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([_value(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_file(sheets):
    """A temporary file holding a workbook with one write-only sheet per (title, rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.freeze_panes = "A2"
        for i, row in enumerate(rows):
            if i == 0:
                cells = []
                for value in row:
                    cell = WriteOnlyCell(ws, value=str(value))
                    cell.font = bold
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([_value(v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    wb.save(out)
    out.seek(0)
    return out


def xlsx_response(sheets, filename):
    return FileResponse(xlsx_file(sheets), as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)
