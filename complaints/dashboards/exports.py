"""CSV and XLSX exports of report lists and dashboard tables (docs/product.md §3, §7).

Exports never carry identities: a report row has its tracking id, dates, classification, status,
privacy level, title and agencies, never the reporter (identity is reachable only per report,
through the logged view or reveal). Column names follow the national recap (Pengaduan, Belum
Terverifikasi, …). Lists are streamed: CSV row by row (`StreamingHttpResponse`), XLSX through
openpyxl's write-only mode into a temporary file, so a million rows never sit in memory.

Every spreadsheet this application hands out (these lists and tables, the statistics, the staff
activity log, the TPP payroll export) is written by `csv_response`/`csv_bytes` and
`xlsx_file`/`xlsx_bytes` below, and every cell goes through `safe_cell`, the guard against formula
(CSV/DDE) injection:

- CSV: every cell is quoted (`csv.QUOTE_ALL`), and text is neutralised by `safe_cell`.
- XLSX: text cells are written as text (inline strings, `data_type "s"`), so a string that starts
  with `=` can never become a formula; numbers stay numbers. The text is the same neutralised
  text as in the CSV, so copying it out of the workbook or saving it as CSV cannot revive it.
"""

import csv
import io
import re
import tempfile

from django.db.models import Prefetch
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from complaints.dashboards.figures import RECAP_COLUMNS
from complaints.deadlines import sanctions as sanction_rules
from complaints.models import Disposition, Status

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


# A spreadsheet starts a formula (or a DDE call) at `=`, `+`, `-` or `@` (the full-width forms
# too: Excel in East Asian locales reads them as the ASCII ones), and drops a leading tab or CR
# before looking at the rest. Each of these can open a cell, and so can each of these after a
# separator: a viewer whose list separator is not ours (`;` in Indonesian Excel, `,` elsewhere, or
# a tab when pasted) cuts the cell there, and a line break is where a pasted or mis-quoted cell is
# cut too. Spaces between the separator and the trigger do not help: they are trimmed.
_TRIGGERS = "=+\\-@\t\r\uff1d\uff0b\uff0d\uff20"
_OPENINGS = re.compile(rf"(^|[,;\t\r\n])([^\S\t\r\n]*)(?=[{_TRIGGERS}])")
# Control characters other than tab and line breaks: a workbook cannot hold them, and a viewer
# that drops them would join what they kept apart (`;\x07=` would become `;=`).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    """Spreadsheet formula-injection guard for one exported cell (any caller; changes nothing).

    Text is returned with a single quote `'` (OWASP's advice: a spreadsheet shows what follows it
    as plain text) inserted before every trigger (`= + - @`, their full-width forms, tab, CR)
    that opens the cell or follows a separator (`,` `;` tab, line break) after optional spaces,
    so however a spreadsheet cuts the cell, no piece starts a formula:
    `=1+1` → `'=1+1`, `Jalan rusak;=cmd|' /C calc'!A0` → `Jalan rusak;'=cmd|' /C calc'!A0`,
    `a, -2` → `a, '-2`. Windows line ends (CR LF) become LF first, a spreadsheet's own line break
    in a cell, so a CR is left only where it was sent on its own; other control characters are
    dropped first, so removing them cannot join a separator to a trigger. Anything else that is text (a lazy
    translation too) comes back as `str`; numbers, dates and None are returned untouched, so they
    stay numbers in a workbook."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    return _OPENINGS.sub(r"\1\2'", _CONTROL.sub("", value).replace("\r\n", "\n"))


class _Echo:
    """A file-like object whose write returns the line: csv.writer feeds the stream with it."""

    def write(self, value):
        return value


def csv_response(rows, filename):
    """Stream `rows` (an iterable of lists) as a UTF-8 CSV download (with a BOM, for Excel): every
    cell quoted and passed through `safe_cell`. Any view may call it; it changes nothing."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def stream():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def csv_bytes(rows):
    """`rows` as the bytes of a UTF-8 CSV file (with a BOM), quoted and guarded like
    `csv_response`: for the small exports built in memory. Any caller; changes nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _text_cell(ws, value, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # text, whatever it starts with: never a formula
    if font is not None:
        cell.font = font
    return cell


def _xlsx_row(ws, row, font=None):
    cells = []
    for value in row:
        value = safe_cell(value)
        if isinstance(value, str):
            cells.append(_text_cell(ws, value, font))
        elif font is not None and value is not None:
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(ws, value=value)
            cell.font = font
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _write_workbook(sheets, out):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows, *widths in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.freeze_panes = "A2"
        for column, width in enumerate(widths[0] if widths else (), 1):
            ws.column_dimensions[get_column_letter(column)].width = width
        for i, row in enumerate(rows):
            ws.append(_xlsx_row(ws, row, bold if i == 0 else None))
    wb.save(out)
    out.seek(0)
    return out


def xlsx_file(sheets):
    """A temporary file holding a workbook with one write-only sheet per `(title, rows)` or
    `(title, rows, column widths)`: the first row bold and frozen, text written as text through
    `safe_cell`, numbers as numbers. Any caller; changes nothing."""
    return _write_workbook(sheets, tempfile.TemporaryFile())  # noqa: SIM115 - FileResponse closes it


def xlsx_bytes(sheets):
    """The bytes of the workbook `xlsx_file` would write: for the small exports built in memory."""
    return _write_workbook(sheets, io.BytesIO()).getvalue()


def xlsx_response(sheets, filename):
    return FileResponse(xlsx_file(sheets), as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)


# The TPP payroll export (docs/product.md §5): rows from `deadlines.sanctions.payroll_rows`.
def sanctions_csv(sanctions):
    """The payroll export of `sanctions` as CSV bytes, through the spreadsheet writer above
    (every cell quoted, text guarded against formulas). Any caller; changes nothing."""
    return csv_bytes(sanction_rules.payroll_rows(sanctions))


def sanctions_xlsx(sanctions):
    """The payroll export of `sanctions` as XLSX bytes, through the spreadsheet writer above
    (text cells written as text, numbers as numbers). Any caller; changes nothing."""
    widths = (30, 9, 12, 14, 28, 20, 18, 16, 24, 17, 50, 14)
    return xlsx_bytes([(_("Sanksi TPP"), sanction_rules.payroll_rows(sanctions), widths)])
