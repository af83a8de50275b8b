"""Dashboards (docs/product.md §7): the auditor's dashboard under /audit/ (heads: their own OPD), its
drill-down lists and exports, the logged identity reveal from a drill-down, the monthly PDF
reports, the operators' workload under /petugas/beban-kerja/ and the public statistics at
/statistik/.

Thin views: the figures come from `complaints.dashboards.figures` (SQL aggregates over the viewer's
`visible_to` scope), files from `complaints.dashboards.exports` and `complaints.dashboards.monthly_report`. Bad filter
values give a 400 page with the form's localised errors; a page the user may not open is a 403.
"""

from dataclasses import replace
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from agencies import calendar
from agencies.models import Area, Category
from complaints import privacy, workflow
from complaints.common.forms import text_area
from complaints.common.pagecache import public_page
from complaints.common.pagination import page_of, query_without
from complaints.common.replicas import reads_from_replica
from complaints.dashboards import audit_views as views_audit
from complaints.dashboards import charts, exports, monthly_report, rollups
from complaints.dashboards import figures as dashboards
from complaints.dashboards.panels import _cache_key, _cached_figures, _month_labels, _period_label, _trend_group, _url
from complaints.deadlines.sanctions import parse_month
from complaints.errors import Invalid, NotFound, WorkflowError
from complaints.models import ACTIVE_DISPOSITION, Complaint, Disposition, Event, EventType, Kind, MonthlyReport, Status

PAGE_SIZE = 50
STATUS_KEYS = [key for key, _label in dashboards.RECAP_COLUMNS]
ROW_METRICS = (
    *STATUS_KEYS,
    "on_time",
    "late",
    "responded",
    "overdue",
    "ceiling",
    "escalated",
    "returned",
    "reopened",
    "rated",
)


# Filters --------------------------------------------------------------------------------------
class MonthField(forms.CharField):
    """A `YYYY-MM` month (what <input type="month"> sends) → its first day."""

    # Browsers without a month picker show a text box: the hint is an example, as on the other
    # month inputs ("Bulan (mis. 2026-11)").
    widget = forms.TextInput(
        attrs={"type": "month", "placeholder": gettext_lazy("mis. 2026-11"), "pattern": r"\d{4}-\d{2}"}
    )

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except Invalid as exc:
            raise forms.ValidationError(exc.fields["month"])


class DashboardForm(forms.Form):
    dari = MonthField(label=gettext_lazy("Dari bulan"), required=False)
    sampai = MonthField(label=gettext_lazy("Sampai bulan"), required=False)
    opd = forms.ModelChoiceField(label=gettext_lazy("Instansi"), queryset=None, to_field_name="slug", required=False)
    kategori = forms.ModelChoiceField(
        label=gettext_lazy("Kategori"), queryset=None, to_field_name="slug", required=False
    )
    kecamatan = forms.ModelChoiceField(
        label=gettext_lazy("Kecamatan"), queryset=None, to_field_name="code", required=False
    )
    jenis = forms.ChoiceField(label=gettext_lazy("Jenis"), required=False)

    def __init__(self, data=None, *, agencies=None, public=False):
        super().__init__(data)
        self.public = public
        self.fields["kategori"].queryset = Category.objects.order_by("order", "name")
        self.fields["kategori"].empty_label = _("Semua kategori")
        self.fields["jenis"].choices = [("", _("Semua jenis")), *Kind.choices]
        if public:
            # Per-OPD figures count rahasia reports; narrowing them to an area would break §3.
            del self.fields["kecamatan"], self.fields["opd"]
        else:
            self.fields["opd"].queryset = agencies.order_by("name")
            self.fields["opd"].empty_label = _("Semua instansi")
            self.fields["kecamatan"].queryset = Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name")
            self.fields["kecamatan"].empty_label = _("Semua kecamatan")

    def clean(self):
        data = super().clean()
        if "dari" in self.errors or "sampai" in self.errors:
            return data
        start, end = data.get("dari"), data.get("sampai")
        default_start, default_end = dashboards.default_period()
        if start is None and end is None:
            start, end = default_start, default_end
        elif end is None:
            end = max(start, default_end)
        elif start is None:
            start = end
            for _i in range(11):
                start = calendar.previous_month(start)
        if start > end:
            raise forms.ValidationError(_("Bulan awal harus sebelum atau sama dengan bulan akhir."))
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months > dashboards.MAX_MONTHS:
            raise forms.ValidationError(_("Rentang paling lama %(n)s bulan.") % {"n": dashboards.MAX_MONTHS})
        data["start"], data["end"] = start, end
        return data

    def filters(self):
        d = self.cleaned_data
        return dashboards.Filters(
            start=d["start"],
            end=d["end"],
            agency=d.get("opd"),
            category=d.get("kategori"),
            kecamatan=d.get("kecamatan"),
            kind=d.get("jenis") or "",
        )


def _viewer(request):
    viewer = dashboards.Viewer(request.user)
    if not viewer.allowed:
        raise PermissionDenied(_("Dasbor ini untuk auditor dan pimpinan instansi."))
    return viewer


def _form(request, viewer):
    return DashboardForm(request.GET, agencies=viewer.agencies())


def _bad_request(request, template, context):
    return render(request, template, context, status=400)


def _text_400(form):
    messages = [str(m) for errors in form.errors.values() for m in errors]
    return HttpResponse(" ".join(messages), status=400, content_type="text/plain; charset=utf-8")


# The auditor's dashboard ----------------------------------------------------------------------------
def _dashboard_data(viewer, f):
    """Everything the dashboard and its exports show for `viewer` and the filters (cached)."""
    return _cached_figures(_cache_key("audit", viewer.user, f), lambda: _compute_dashboard_data(viewer, f))


def _compute_dashboard_data(viewer, f):
    from_rollups = rollups.audit_figures(viewer, f)
    if from_rollups is not None:
        return from_rollups
    reports, row_reports, agencies = dashboards.audit_scopes(viewer, f)
    return {
        "rows": dashboards.agency_rows(row_reports, agencies, f),
        "totals": dashboards.status_totals(reports),
        "trend": dashboards.monthly_trend(reports, f),
        "kinds": dashboards.kind_breakdown(reports),
        "categories": dashboards.breakdown(reports, "category", "category__name"),
        "kecamatan": dashboards.breakdown(
            privacy.for_area_breakdown(reports).filter(kecamatan__isnull=False), "kecamatan", "kecamatan__name"
        ),
        "generated_at": timezone.now(),
    }


@require_GET
@login_required
@never_cache
def audit(request):
    """/audit/: per OPD figures, totals, breakdowns and monthly trend charts; every number links to
    the reports behind it."""
    viewer = _viewer(request)
    form = _form(request, viewer)
    if not form.is_valid():
        return _bad_request(request, "dashboards/audit.html", {"form": form, "invalid": True})
    f = form.filters()
    data = _dashboard_data(viewer, f)
    params = f.params()
    base_params = {k: v for k, v in params.items() if k != "opd"}
    for row in data["rows"]:
        row.links = {
            metric: _url("dashboards:reports", base_params, metrik=metric, opd=row.agency.slug)
            for metric in ROW_METRICS
        }
        row.status_cells = [(row.counts[key], row.links[key]) for key in STATUS_KEYS]
        row.sanctions_url = f"{reverse('sanctions:list')}?bulan={f.end:%Y-%m}"
    totals = [
        (key, label, data["totals"][key], _url("dashboards:reports", params, metrik=key))
        for key, label in dashboards.RECAP_COLUMNS
    ]
    context = {
        "form": form,
        "f": f,
        "rows": data["rows"],
        "totals": totals,
        "trend": data["trend"],
        "chart_group": _trend_group(data["trend"], "audit"),
        "kinds": data["kinds"],
        "categories": data["categories"],
        "kecamatan": data["kecamatan"],
        "recap": dashboards.RECAP_COLUMNS,
        "query": urlencode(params),
        "reads_all": viewer.reads_all,
        "export_csv_url": reverse("dashboards:export-csv"),
        "period_label": _period_label(f),
        "generated_at": data["generated_at"],
    }
    return render(request, "dashboards/audit.html", context)


TABLES = {
    "opd": gettext_lazy("Kinerja OPD"),
    "tren": gettext_lazy("Tren bulanan"),
    "jenis": gettext_lazy("Per jenis"),
    "kategori": gettext_lazy("Per kategori"),
    "kecamatan": gettext_lazy("Per kecamatan"),
}


def _tables(data):
    return {
        "opd": lambda: exports.agency_table(data["rows"]),
        "tren": lambda: exports.trend_table(data["trend"]),
        "jenis": lambda: exports.breakdown_table(_("Jenis"), data["kinds"]),
        "kategori": lambda: exports.breakdown_table(_("Kategori"), data["categories"]),
        "kecamatan": lambda: exports.breakdown_table(_("Kecamatan"), data["kecamatan"]),
    }


@require_GET
@login_required
def audit_export(request, fmt):
    viewer = _viewer(request)
    form = _form(request, viewer)
    if not form.is_valid():
        return _text_400(form)
    f = form.filters()
    return _tables_response(
        request, fmt, lambda: _tables(_dashboard_data(viewer, f)), f"dasbor-{f.start:%Y-%m}-{f.end:%Y-%m}"
    )


def _tables_response(request, fmt, make_tables, name):
    """A dashboard's tables as a file: CSV one table (`tabel`, default the OPD table), XLSX all of
    them, a sheet each."""
    table = request.GET.get("tabel") or "opd"
    if fmt == "csv" and table not in TABLES:
        return HttpResponse(_("Tabel tidak dikenal."), status=400, content_type="text/plain; charset=utf-8")
    tables = make_tables()
    if fmt == "csv":
        return exports.csv_response(tables[table](), f"{name}-{table}")
    return exports.xlsx_response([(TABLES[key], tables[key]()) for key in TABLES], name)


# Drill-down -----------------------------------------------------------------------------------
def _drilldown(request):
    """(form, filters, metric, queryset); the queryset is None when the parameters are invalid."""
    viewer = _viewer(request)
    form = _form(request, viewer)
    metric = request.GET.get("metrik") or "total"
    if not form.is_valid():
        return form, None, metric, None
    if metric not in dashboards.METRICS:
        form.add_error(None, _("Angka yang diminta tidak dikenal."))
        return form, None, metric, None
    f = form.filters()
    reports = dashboards.scope(viewer.base(), replace(f, agency=None))
    qs = dashboards.drilldown(reports, metric, f.agency.pk if f.agency else None)
    return form, f, metric, qs


@require_GET
@login_required
@never_cache
def report_list(request):
    """/audit/laporan/: the reports behind one number of the dashboard, through `visible_to`."""
    form, f, metric, qs = _drilldown(request)
    if qs is None:
        return _bad_request(request, "dashboards/reports.html", {"form": form, "invalid": True})
    page = page_of(request, qs, PAGE_SIZE)
    rows = list(page.object_list)
    tops = {}
    for d in (
        Disposition.objects.filter(complaint__in=[c.pk for c in rows], parent__isnull=True)
        .select_related("agency")
        .order_by("pk")
    ):
        tops.setdefault(d.complaint_id, []).append(d.agency.name)
    for c in rows:
        c.agency_names = tops.get(c.pk, [])
    context = {
        "form": form,
        "f": f,
        "metric": metric,
        "metric_label": dashboards.METRICS[metric],
        "page": page,
        "rows": rows,
        "query_string": query_without(request),
        "can_reveal": privacy.can(request.user, "audit_all"),
        "dashboard_url": _url("dashboards:audit", f.params()),
        "period_label": _period_label(f),
    }
    return render(request, "dashboards/reports.html", context)


@require_GET
@login_required
def reports_export(request, fmt):
    form, f, metric, qs = _drilldown(request)
    if qs is None:
        return _text_400(form)
    name = f"laporan-{metric}-{f.start:%Y-%m}-{f.end:%Y-%m}"
    if fmt == "csv":
        return exports.csv_response(exports.report_rows(qs), name)
    return exports.xlsx_response([(_("Laporan"), exports.report_rows(qs))], name)


# The logged reveal, from a drill-down ------------------------------------------------------------------
class RevealForm(forms.Form):
    reason = text_area(
        gettext_lazy("Alasan membuka identitas"),
        max_length=1000,
        rows=3,
        min_length=10,
        help_text=gettext_lazy("Dicatat dan dapat dilihat oleh pelapor."),
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def reveal(request, tracking_id):
    """An auditor reveals a reporter's identity with a reason (docs/product.md §3): logged by
    `workflow.reveal`, shown once on this response, never stored in a list or an export."""
    _viewer(request)
    c = privacy.get_complaint_or_404(request.user, tracking_id)
    if not privacy.can(request.user, "reveal", c):
        raise PermissionDenied(_("Anda tidak berwenang membuka identitas pelapor laporan ini."))
    form = RevealForm(request.POST or None)
    identity = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                identity = workflow.reveal(c.pk, by=request.user, reason=form.cleaned_data["reason"])
            except WorkflowError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
        else:
            status = 400
    return render(request, "dashboards/reveal.html", {"c": c, "form": form, "identity": identity}, status=status)


# Monthly PDF reports --------------------------------------------------------------------------
class MonthlyReportForm(forms.Form):
    bulan = MonthField(label=gettext_lazy("Bulan"))
    opd = forms.ModelChoiceField(label=gettext_lazy("Instansi"), queryset=None, to_field_name="slug", required=False)

    def __init__(self, data=None, *, viewer):
        super().__init__(data)
        self.fields["opd"].queryset = viewer.agencies().order_by("name")
        if viewer.reads_all:
            self.fields["opd"].empty_label = _("Seluruh daerah")
        else:
            self.fields["opd"].required = True


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def monthly_reports(request):
    """/audit/laporan-bulanan/: the reports the user may read, and the form that requests one
    (built by a Celery task; the page shows its status)."""
    viewer = _viewer(request)
    form = MonthlyReportForm(request.POST or None, viewer=viewer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                monthly_report.request_report(
                    by=request.user, month=form.cleaned_data["bulan"], agency=form.cleaned_data.get("opd")
                )
            except WorkflowError as exc:
                raise PermissionDenied(exc.message)
            return redirect("dashboards:monthly")
        status = 400
    reports = Paginator(monthly_report.reports_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/monthly.html",
        {"form": form, "page": reports, "rows": list(reports.object_list), "Status": MonthlyReport.Status},
        status=status,
    )


@require_GET
@login_required
def monthly_download(request, pk):
    _viewer(request)
    try:
        report = monthly_report.get_report(request.user, pk)
    except NotFound:
        raise Http404(_("Laporan bulanan tidak ditemukan."))
    if report.status != MonthlyReport.Status.DONE or not report.file:
        raise Http404(_("Laporan bulanan belum selesai dibuat."))
    subject = report.agency.slug if report.agency else "daerah"
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=f"laporan-bulanan-{subject}-{report.month:%Y-%m}.pdf",
        content_type="application/pdf",
    )


# The operators' workload ----------------------------------------------------------------------
# The events counted, headed by their names ("Ditunda" short for the postponement's).
WORKLOAD_EVENTS = [
    (event, gettext_lazy("Ditunda") if event == EventType.POSTPONED else event.label)
    for event in (
        EventType.VERIFIED,
        EventType.DISPOSED,
        EventType.POSTPONED,
        EventType.ARCHIVED,
        EventType.FORWARDED,
        EventType.MERGED,
        EventType.RETURN_REFUSED,
    )
]


@require_GET
@login_required
@never_cache
def workload(request):
    """/petugas/beban-kerja/: what waits for the operators (unverified, tunda, returned), what of it
    is overdue, and what each operator handled in the month (internal: names are shown)."""
    user = request.user
    if not privacy.can(user, "workload"):
        raise PermissionDenied(_("Halaman ini untuk operator dan auditor."))
    try:
        month = parse_month(request.GET["bulan"], field="bulan") if request.GET.get("bulan") else None
    except Invalid as exc:
        return render(request, "dashboards/workload.html", {"errors": exc.fields["bulan"]}, status=400)
    now = timezone.now()
    month = month or calendar.month_of(now)
    start, end = calendar.month_bounds(month)
    reports = Complaint.objects.visible_to(user)
    pending_return = Exists(Disposition.objects.filter(complaint_id=OuterRef("pk"), return_pending=True))
    monitored = (Status.BELUM_DITINDAKLANJUTI, Status.PROSES)
    waiting = reports.annotate(pending=pending_return).aggregate(
        unverified=Count("pk", filter=Q(status=Status.BELUM_TERVERIFIKASI)),
        unverified_overdue=Count("pk", filter=Q(status=Status.BELUM_TERVERIFIKASI, verification_due_at__lt=now)),
        tunda=Count("pk", filter=Q(status=Status.TUNDA)),
        returned=Count("pk", filter=Q(pending=True, status__in=monitored)),
        returned_overdue=Count("pk", filter=Q(pending=True, status__in=monitored, redisposition_due_at__lt=now)),
    )
    waiting["opd_overdue"] = (
        Disposition.objects.filter(complaint__in=reports, status__in=ACTIVE_DISPOSITION, due_at__lt=now)
        .values("complaint")
        .distinct()
        .count()
    )
    per_operator = list(
        Event.objects.filter(actor_role=Role.OPERATOR, created_at__gte=start, created_at__lt=end, complaint__in=reports)
        .values("actor", "actor__full_name", "actor__email")
        .annotate(
            total=Count("pk"),
            **{event: Count("pk", filter=Q(type=event)) for event, _label in WORKLOAD_EVENTS},
        )
        .order_by("-total", "actor__full_name")
    )
    for row in per_operator:
        row["name"] = row["actor__full_name"] or row["actor__email"] or _("(akun dihapus)")
        row["cells"] = [row[event] for event, _label in WORKLOAD_EVENTS]
    context = {
        "month": month,
        "month_value": month.strftime("%Y-%m"),
        "waiting": waiting,
        "per_operator": per_operator,
        "columns": [label for _event, label in WORKLOAD_EVENTS],
        "queue_url": reverse("staff:queue") if user.has_role(Role.OPERATOR) else None,
    }
    return render(request, "dashboards/workload.html", context)


# The head's panel on /opd/pimpinan/ ------------------------------------------------------------
def _public_data(f):
    key = f.cache_key(f"statistik:v2:{translation.get_language()}")
    return _cached_figures(key, lambda: dashboards.public_statistics(f))


def _public_form(request):
    return DashboardForm(request.GET, public=True)


@require_GET
def statistics(request):
    """/statistik/: public totals, the OPD scoreboard and the monthly trend (docs/product.md §3 rules:
    only verified reports, rahasia ones never by area, cells under five shown as "< 5"). Cached."""
    form = _public_form(request)
    if not form.is_valid():
        return _bad_request(request, "dashboards/public.html", {"form": form, "invalid": True})
    f = form.filters()
    data = _public_data(f)
    labels = _month_labels([row["month"] for row in data["trend"]])
    chart = charts.bar_chart(
        "public-filed",
        _("Laporan terverifikasi per bulan"),
        [(label, row["total"], row["total_shown"]) for label, row in zip(labels, data["trend"], strict=True)],
        value_label=_("Pengaduan"),
        description=_(
            "Jumlah laporan terverifikasi menurut bulan masuk; bulan dengan kurang dari 5 laporan ditulis < 5."
        ),
    )
    group = charts.ChartGroup(
        "public-trend",
        _("Angka grafik per bulan"),
        _("Bulan"),
        [chart],
        extra=[
            (_("Selesai"), [charts.shown(row["selesai_shown"]) for row in data["trend"]]),
            (_("Tepat waktu (%)"), [charts.shown(row["rate"], "%") for row in data["trend"]]),
        ],
    )
    context = {
        "form": form,
        "f": f,
        "data": data,
        "chart_group": group,
        "query": urlencode(f.params()),
        "period_label": _period_label(f),
        "tables": TABLES,
        "export_csv_url": reverse("statistics:statistics-csv"),
    }
    return render(request, "dashboards/public.html", context)


def _public_tables(data):
    recap = dict(dashboards.RECAP_COLUMNS)
    return {
        "opd": lambda: [
            [
                _("Instansi"),
                str(recap["total"]),
                str(recap[Status.SELESAI]),
                _("Tepat waktu (%)"),
                _("Lewat tenggat sekarang"),
                _("Median respons pertama (hari kerja)"),
            ],
            *[
                [r["agency"], r["total"], r["selesai"], _blank(r["on_time_rate"]), r["overdue"], _blank(r["median"])]
                for r in data["scoreboard"]
            ],
        ],
        "tren": lambda: [
            [_("Bulan"), str(recap["total"]), str(recap[Status.SELESAI]), _("Tepat waktu (%)")],
            *[
                [row["month"].strftime("%Y-%m"), row["total_shown"], row["selesai_shown"], _blank(row["rate"])]
                for row in data["trend"]
            ],
        ],
        "jenis": lambda: exports.breakdown_table(_("Jenis"), data["kinds"]),
        "kategori": lambda: exports.breakdown_table(_("Kategori"), data["categories"]),
        "kecamatan": lambda: exports.breakdown_table(_("Kecamatan"), data["kecamatan"]),
    }


def _blank(value):
    return "" if value is None else value


@require_GET
def statistics_export(request, fmt):
    form = _public_form(request)
    if not form.is_valid():
        return _text_400(form)
    f = form.filters()
    return _tables_response(
        request, fmt, lambda: _public_tables(_public_data(f)), f"statistik-{f.start:%Y-%m}-{f.end:%Y-%m}"
    )


# Figures, lists and exports that only read may read from a read replica (complaints.common.replicas).
audit_urlpatterns = [
    path("", reads_from_replica(audit), name="audit"),
    path("ekspor.csv", reads_from_replica(audit_export), {"fmt": "csv"}, name="export-csv"),
    path("ekspor.xlsx", reads_from_replica(audit_export), {"fmt": "xlsx"}, name="export-xlsx"),
    path("laporan/", reads_from_replica(report_list), name="reports"),
    path("laporan/ekspor.csv", reads_from_replica(reports_export), {"fmt": "csv"}, name="reports-csv"),
    path("laporan/ekspor.xlsx", reads_from_replica(reports_export), {"fmt": "xlsx"}, name="reports-xlsx"),
    path("laporan/<str:tracking_id>/identitas/", reveal, name="reveal"),
    path("laporan-bulanan/", monthly_reports, name="monthly"),
    path("laporan-bulanan/<int:pk>/unduh/", monthly_download, name="monthly-download"),
    # On the primary: identity look-ups move no publication generation (see the sanction pages).
    path("petugas/", views_audit.staff_activity, name="staff-activity"),
    path("petugas/ekspor.csv", views_audit.staff_activity_export, name="staff-activity-csv"),
]

public_urlpatterns = [
    path("", public_page(statistics), name="statistics"),
    path("ekspor.csv", reads_from_replica(statistics_export), {"fmt": "csv"}, name="statistics-csv"),
    path("ekspor.xlsx", reads_from_replica(statistics_export), {"fmt": "xlsx"}, name="statistics-xlsx"),
]
