"""The monthly PDF report (docs/product.md §7) for the region or one OPD: a summary by status, the OPD
scoreboard, the trend of the last six months as charts, and the month's TPP sanction
recommendations. No identities: only aggregates and agencies.

Auditors (and superadmins) request and read every report; a head requests and reads those of
their own agency. `request_report` stores a `MonthlyReport` row and queues the Celery task after
the commit; the task (`tasks.build_monthly_report`) calls `generate`, which claims the row with a
compare-and-set update, so a retried or duplicated task builds the file once. A request whose task
never reached a worker (the broker was down) stays pending until beat's `retry_pending` builds it.
"""

import io
import logging
from datetime import timedelta
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies import calendar
from complaints.dashboards import figures as dashboards
from complaints.dashboards.exports import agency_table
from complaints.deadlines.sanctions import days_late, late_evidence
from complaints.errors import Forbidden, NotFound
from complaints.models import Complaint, MonthlyReport, Sanction
from lapor import publish

log = logging.getLogger(__name__)
TREND_MONTHS = 6
# A request younger than this still has its own task on the way: the retry leaves it to it.
RETRY_AFTER = timedelta(minutes=1)
RETRY_BATCH = 20


# Access -----------------------------------------------------------------------------------------
def may_request(user, agency=None):
    """Auditors and superadmins: the region or any agency; a head: their own agency."""
    viewer = dashboards.Viewer(user)
    if viewer.reads_all:
        return True
    return agency is not None and agency.pk in viewer.head_roots


def reports_for(user):
    """The monthly reports `user` may read, newest month first."""
    viewer = dashboards.Viewer(user)
    qs = MonthlyReport.objects.select_related("agency", "requested_by")
    if viewer.reads_all:
        return qs
    return qs.filter(agency_id__in=viewer.head_roots)


def get_report(user, pk):
    report = reports_for(user).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("Laporan bulanan tidak ditemukan."))
    return report


@transaction.atomic
def request_report(*, by, month, agency=None):
    """Any auditor or superadmin (any agency, or the region), or a head (their own agency), asks
    for the report of `month` (a first-of-month date): a pending row, built after the commit."""
    if not may_request(by, agency):
        raise Forbidden(_("Anda tidak berwenang meminta laporan bulanan ini."))
    report = MonthlyReport.objects.create(month=month.replace(day=1), agency=agency, requested_by=by)
    transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def _enqueue(pk):
    from complaints import tasks

    if not publish.send(tasks.build_monthly_report, pk):  # broker down: the row stays pending until the retry
        log.warning("broker unavailable; monthly report #%s stays pending", pk)


def retry_pending(now=None):
    """Build the requests still pending a minute after they were made: their task was lost (the
    broker was down when they were asked for, or the message was dropped). System only (beat,
    every OUTBOX_RETRY_INTERVAL seconds, on a worker). Each is claimed by `generate`, so one a
    late task or another retry already took is left alone. Returns the number built (done or
    failed)."""
    now = now or timezone.now()
    pending = (
        MonthlyReport.objects.filter(status=MonthlyReport.Status.PENDING, created_at__lt=now - RETRY_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    return sum(1 for pk in list(pending) if generate(pk) is not None)


# Building ---------------------------------------------------------------------------------------
def generate(pk):
    """Build the PDF of one pending report (the task calls this). Returns the new status, or None
    when another worker already claimed it."""
    claimed = MonthlyReport.objects.filter(pk=pk, status=MonthlyReport.Status.PENDING).update(
        status=MonthlyReport.Status.RUNNING
    )
    if not claimed:
        return None
    report = MonthlyReport.objects.select_related("agency", "requested_by").get(pk=pk)
    try:
        data = build_pdf(report.requested_by, report.month, report.agency)
    except Exception as exc:  # noqa: BLE001 - recorded on the row, shown to the requester
        log.exception("monthly report #%s failed", pk)
        MonthlyReport.objects.filter(pk=pk).update(
            status=MonthlyReport.Status.FAILED, error=str(exc)[:255], finished_at=timezone.now()
        )
        return MonthlyReport.Status.FAILED
    report.file.save(f"{report.month:%Y-%m}.pdf", ContentFile(data), save=False)
    report.status = MonthlyReport.Status.DONE
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "status", "finished_at"])
    return MonthlyReport.Status.DONE


def figures(user, month, agency=None, now=None):
    """The numbers of the report, as the requester's dashboard computes them."""
    viewer = dashboards.Viewer(user) if user is not None else None
    base = viewer.base() if viewer is not None else Complaint.objects.none()
    agencies = viewer.agencies() if viewer is not None else dashboards.top_agencies().none()
    if agency is not None:
        agencies = agencies.filter(pk=agency.pk)
    f = dashboards.Filters(start=month, end=month, agency=agency)
    reports = dashboards.scope(base, f)
    start = month
    for _i in range(TREND_MONTHS - 1):
        start = calendar.previous_month(start)
    trend_filters = dashboards.Filters(start=start, end=month, agency=agency)
    sanctions = Sanction.objects.filter(month=month).select_related("agency").order_by("agency__name")
    if agency is not None:
        sanctions = sanctions.filter(agency=agency)
    elif viewer is not None and not viewer.reads_all:
        sanctions = sanctions.filter(agency_id__in=viewer.head_roots)
    return {
        "totals": dashboards.status_totals(reports),
        "rows": dashboards.agency_rows(reports, agencies, f, now),
        "trend": dashboards.monthly_trend(dashboards.scope(base, trend_filters), trend_filters, now),
        "sanctions": list(sanctions),
    }


# The document --------------------------------------------------------------------------------
# An official document of the region: a letterhead (region, Diskominfo, the service), the period
# and the date of issue, tables whose columns are as wide as their longest word (a cell wraps
# between words, never inside one, and never runs into the next cell), headings kept with what
# follows them, numbers in the Indonesian format and "Halaman n dari N" on every page.
FONT, BOLD = "Helvetica", "Helvetica-Bold"
CELL_SIZE = 7
CELL_PADDING = 3  # reportlab's default left and right cell padding, in points


def _num(value, decimals=None):
    """A number as an Indonesian reader writes it: 1.234 and 60,0 (whatever the active language,
    an official document of the region is in Indonesian)."""
    if value is None or value == "":
        return ""
    from django.utils.formats import number_format
    from django.utils.translation import override

    with override("id"):
        return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _styles():
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=CELL_SIZE, leading=CELL_SIZE + 1.5, splitLongWords=0)
    return {
        "body": body,
        "small": body.clone("small", fontSize=7.5, leading=9),
        "title": body.clone("title", fontName=BOLD, fontSize=14, leading=17, spaceAfter=4),
        "h2": body.clone("h2", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "cell": cell,
        "number": cell.clone("number", alignment=TA_RIGHT),
        "head": cell.clone("head", fontName=BOLD),
    }


def _p(text, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def _widest_word(text, font):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return max((stringWidth(word, font, CELL_SIZE) for word in str(text).split()), default=0)


def _table(rows, width, *, numeric_from=1, name_share=None):
    """A grid table filling `width`: the first column (names) takes what the others leave, each
    other column is as wide as its widest word; every cell is a paragraph that wraps between
    words. Columns from `numeric_from` on are numbers, right-aligned."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    st = _styles()
    header, *body = rows
    columns = len(header)
    need = [
        max(
            [_widest_word(header[i], BOLD)] + [_widest_word(r[i], FONT) for r in body],
        )
        + 2 * CELL_PADDING
        + 1
        for i in range(columns)
    ]
    rest = sum(need[1:])
    first = max(need[0], width - rest) if name_share is None else max(need[0], width * name_share)
    spare = width - first - rest
    widths = [first] + [w + spare / max(columns - 1, 1) for w in need[1:]]
    if sum(widths) > width + 0.5:
        raise ValueError(f"a table of {columns} columns does not fit the page: {sum(widths):.0f} > {width:.0f} pt")
    cells = [[_p(h, st["head"]) for h in header]]
    for r in body:
        cells.append([_p(v, st["number"] if i >= numeric_from else st["cell"]) for i, v in enumerate(r)])
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    return Table(cells, colWidths=widths, style=style, repeatRows=1, hAlign="LEFT")


def _numbered_canvas(footer):
    """A canvas class that writes `footer` and "Halaman n dari N" at the foot of every page (the
    total is known once every page is laid out: each page is kept and drawn at the end)."""
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width, _height = self._pagesize
                self.setFont(FONT, 7.5)
                self.setFillGray(0.3)
                self.drawString(42, 24, footer)
                self.drawRightString(
                    width - 42, 24, _("Halaman %(page)s dari %(total)s") % {"page": self._pageNumber, "total": total}
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def _letterhead(subject, month, issued):
    """The first lines: region, Diskominfo, the service; the title, the period and the issue date."""
    from reportlab.lib import colors
    from reportlab.platypus import HRFlowable

    from agencies.models import Agency, AgencyKind

    st = _styles()
    diskominfo = Agency.objects.filter(kind=AgencyKind.DISKOMINFO, parent__isnull=True).order_by("pk").first()
    center = {"alignment": 1}
    last_day = calendar.next_month(month) - timedelta(days=1)
    return [
        _p(_("PEMERINTAH %(region)s") % {"region": settings.REGION_NAME.upper()}, st["h2"].clone("lh1", **center)),
        _p(
            (diskominfo.name if diskominfo else _("Dinas Komunikasi dan Informatika")).upper(),
            st["body"].clone("lh2", fontName=BOLD, **center),
        ),
        _p(_("Pengelola %(site)s") % {"site": settings.SITE_NAME}, st["small"].clone("lh3", **center)),
        HRFlowable(width="100%", thickness=1.2, color=colors.black, spaceBefore=4, spaceAfter=8),
        _p(_("Laporan Bulanan Pengelolaan Pengaduan — %(subject)s") % {"subject": subject}, st["title"]),
        _p(
            _("Periode: %(first)s–%(last)s. Diterbitkan %(issued)s WIB.")
            % {
                "first": date_format(month, "j"),
                "last": date_format(last_day, "j F Y"),
                "issued": date_format(issued, "j F Y") + " " + issued.strftime("%H.%M"),
            },
            st["body"],
        ),
    ]


def _bar_drawing(title, labels, values, *, percent=False):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(480, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 420, 110
    chart.data = [[v or 0 for v in values]]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max([v or 0 for v in values] + [1])
    chart.valueAxis.valueMax = 100 if percent else max(4, top)
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: _num(v, 0)
    chart.bars[0].fillColor = colors.HexColor("#1d4f91")
    drawing.add(chart)
    drawing.add(String(40, 152, title, fontName=BOLD, fontSize=9))
    return drawing


def build_pdf(user, month, agency=None, now=None):
    """The report as PDF bytes (reportlab)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak, KeepTogether, SimpleDocTemplate, Spacer

    data = figures(user, month, agency, now)
    st = _styles()
    out = io.BytesIO()
    subject = agency.name if agency else settings.REGION_NAME
    month_label = date_format(month, "F Y")
    issued = timezone.localtime(now or timezone.now())
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.2 * cm,
        bottomMargin=1.6 * cm,
        title=_("Laporan bulanan %(subject)s %(month)s") % {"subject": subject, "month": month_label},
        author=settings.SITE_NAME,
    )
    width = doc.width
    story = _letterhead(subject, month, issued)
    story.append(_p(_("Ringkasan laporan yang masuk bulan ini"), st["h2"]))
    totals = data["totals"]
    story.append(
        _table(
            [
                [str(label) for _key, label in dashboards.RECAP_COLUMNS],
                [_num(totals[key]) for key, _label in dashboards.RECAP_COLUMNS],
            ],
            width,
            numeric_from=0,
            name_share=1 / len(dashboards.RECAP_COLUMNS),
        )
    )
    # The scoreboard in two tables, so that every column is wide enough for its words: the
    # reports by status, then the promises kept.
    rows = list(agency_table(data["rows"]))
    header, body = rows[0], rows[1:]
    split = 1 + len(dashboards.RECAP_COLUMNS)
    decimals = {header.index(h): 1 for h in header if "(%)" in h} | {
        i: 1 for i, h in enumerate(header) if h in (_("Median respons pertama (hari kerja)"), _("Rata-rata penilaian"))
    }

    def formatted(r):
        return [r[0], *[_num(v, decimals.get(i)) for i, v in enumerate(r) if i > 0]]

    body = [formatted(r) for r in body]
    story += [
        _p(_("Kinerja OPD: laporan menurut status"), st["h2"]),
        _table([header[:split], *[r[:split] for r in body]], width, name_share=0.3),
        _p(_("Kinerja OPD: ketepatan waktu dan tindak lanjut"), st["h2"]),
        _table([[header[0], *header[split:]], *[[r[0], *r[split:]] for r in body]], width, name_share=0.25),
    ]
    trend = data["trend"]
    labels = [date_format(r["month"], "M Y") for r in trend]
    story += [
        CondPageBreak(9 * cm),
        _p(_("Tren %(n)s bulan") % {"n": TREND_MONTHS}, st["h2"]),
        KeepTogether(
            [
                _bar_drawing(_("Laporan masuk per bulan"), labels, [r["total"] for r in trend]),
                _bar_drawing(
                    _("Tindak lanjut pertama tepat waktu (%)"), labels, [r["rate"] for r in trend], percent=True
                ),
            ]
        ),
        _table(
            [
                [_("Bulan"), _("Pengaduan"), _("Selesai"), _("Tepat waktu"), _("Terlambat"), _("Tepat waktu (%)")],
                *[
                    [
                        label,
                        _num(r["total"]),
                        _num(r["selesai"]),
                        _num(r["on_time"]),
                        _num(r["late"]),
                        _num(r["rate"], 1),
                    ]
                    for label, r in zip(labels, trend, strict=True)
                ],
            ],
            width,
            name_share=0.2,
        ),
        _p(_("Rekomendasi sanksi TPP bulan ini"), st["h2"]),
    ]
    if data["sanctions"]:
        story.append(
            _table(
                [
                    [_("Instansi"), _("Status"), _("Jumlah bukti"), _("Bukti susulan"), _("Hari terlambat")],
                    *[
                        [
                            s.agency.name,
                            str(s.get_status_display()),
                            _num(len(s.evidence)),
                            _num(late_evidence(s)),
                            _num(days_late(s)),
                        ]
                        for s in data["sanctions"]
                    ],
                ],
                width,
                numeric_from=2,
                name_share=0.35,
            )
        )
    else:
        story.append(_p(_("Tidak ada rekomendasi sanksi TPP bulan ini."), st["body"]))
    story.append(Spacer(1, 6))
    story.append(
        _p(
            _(
                "Angka dihitung atas laporan yang masuk pada bulan tersebut. Laporan rahasia ikut dihitung pada angka "
                "per OPD. Dokumen ini tidak memuat identitas pelapor."
            ),
            st["small"],
        )
    )
    footer = _("%(site)s — Laporan bulanan %(subject)s, %(month)s") % {
        "site": settings.SITE_NAME,
        "subject": subject,
        "month": month_label,
    }
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return out.getvalue()
