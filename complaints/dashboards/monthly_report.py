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


def _p(text, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


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
    chart.bars[0].fillColor = colors.HexColor("#1d4f91")
    drawing.add(chart)
    drawing.add(String(40, 152, title, fontName="Helvetica-Bold", fontSize=9))
    return drawing


def build_pdf(user, month, agency=None, now=None):
    """The report as PDF bytes (reportlab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    data = figures(user, month, agency, now)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8)
    out = io.BytesIO()
    subject = agency.name if agency else settings.REGION_NAME
    month_label = date_format(month, "F Y")
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.2 * cm,
        bottomMargin=1.2 * cm,
        title=_("Laporan bulanan %(subject)s %(month)s") % {"subject": subject, "month": month_label},
        author=settings.SITE_NAME,
    )
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [
        _p(
            _("Laporan bulanan %(site)s — %(subject)s") % {"site": settings.SITE_NAME, "subject": subject},
            styles["Title"],
        ),
        _p(
            _("Bulan: %(month)s. Dibuat %(now)s.")
            % {"month": month_label, "now": timezone.localtime(now or timezone.now()).strftime("%Y-%m-%d %H:%M")},
            styles["BodyText"],
        ),
        _p(_("Ringkasan laporan yang masuk bulan ini"), styles["Heading2"]),
    ]
    totals = data["totals"]
    story.append(
        Table(
            [
                [str(label) for _key, label in dashboards.RECAP_COLUMNS],
                [totals[key] for key, _label in dashboards.RECAP_COLUMNS],
            ],
            style=grid,
        )
    )
    story += [Spacer(1, 8), _p(_("Kinerja OPD"), styles["Heading2"])]
    rows = list(agency_table(data["rows"]))
    header = [_p(h, small) for h in rows[0]]
    story.append(Table([header, *[[("" if v is None else v) for v in r] for r in rows[1:]]], style=grid, repeatRows=1))
    trend = data["trend"]
    labels = [date_format(r["month"], "M Y") for r in trend]
    story += [
        Spacer(1, 8),
        _p(_("Tren %(n)s bulan") % {"n": TREND_MONTHS}, styles["Heading2"]),
        _bar_drawing(_("Laporan masuk per bulan"), labels, [r["total"] for r in trend]),
        _bar_drawing(_("Tindak lanjut pertama tepat waktu (%)"), labels, [r["rate"] for r in trend], percent=True),
        Table(
            [
                [_("Bulan"), _("Pengaduan"), _("Selesai"), _("Tepat waktu"), _("Terlambat"), _("Tepat waktu (%)")],
                *[
                    [label, r["total"], r["selesai"], r["on_time"], r["late"], "" if r["rate"] is None else r["rate"]]
                    for label, r in zip(labels, trend, strict=True)
                ],
            ],
            style=grid,
        ),
        Spacer(1, 8),
        _p(_("Rekomendasi sanksi TPP bulan ini"), styles["Heading2"]),
    ]
    if data["sanctions"]:
        story.append(
            Table(
                [
                    [_("Instansi"), _("Status"), _("Jumlah bukti"), _("Bukti susulan"), _("Hari terlambat")],
                    *[
                        [s.agency.name, s.get_status_display(), len(s.evidence), late_evidence(s), days_late(s)]
                        for s in data["sanctions"]
                    ],
                ],
                style=grid,
            )
        )
    else:
        story.append(_p(_("Tidak ada rekomendasi sanksi TPP bulan ini."), styles["BodyText"]))
    story.append(Spacer(1, 6))
    story.append(
        _p(
            _(
                "Angka dihitung atas laporan yang masuk pada bulan tersebut. Laporan rahasia ikut dihitung pada angka "
                "per OPD. Dokumen ini tidak memuat identitas pelapor."
            ),
            small,
        )
    )
    doc.build(story)
    return out.getvalue()
