"""The figures panels the dashboards share with other pages: the head's panel on the OPD head's
page (`head_panel`, shown by the staff wing), the trend charts, the cache of a viewer's figures
and the links into the dashboard. No view here: other wings call these, never the dashboards' views.
"""

import hashlib
from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints import privacy
from complaints.common.pagination import cached_value
from complaints.dashboards import charts, rollups
from complaints.dashboards import figures as dashboards


def _url(name, params, **extra):
    query = {**params, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"{reverse(name)}?{urlencode(query)}"


def _month_labels(months):
    return [date_format(m, "M Y") for m in months]


def _trend_charts(trend, prefix):
    """The two monthly bar charts of a trend: reports filed, and first follow-ups on time (%)."""
    labels = _month_labels([row["month"] for row in trend])

    def chart(key, name, title, value_label, description, **options):
        bars = [(label, row[key], row[key]) for label, row in zip(labels, trend, strict=True)]
        return charts.bar_chart(
            f"{prefix}-{name}", title, bars, value_label=value_label, description=description, **options
        )

    return [
        chart(
            "total",
            "filed",
            _("Laporan masuk per bulan"),
            _("Pengaduan"),
            _("Jumlah laporan yang masuk setiap bulan dalam rentang yang dipilih."),
        ),
        chart(
            "rate",
            "rate",
            _("Tindak lanjut pertama tepat waktu (%)"),
            _("Tepat waktu (%)"),
            _("Persentase tenggat tindak lanjut pertama yang dipenuhi, menurut bulan laporan masuk."),
            max_value=100,
            suffix="%",
        ),
    ]


def _trend_group(trend, prefix):
    """The trend charts as one group: the charts side by side, one table of their months."""
    return charts.ChartGroup(f"{prefix}-trend", _("Angka grafik per bulan"), _("Bulan"), _trend_charts(trend, prefix))


def _cache_key(prefix, user, f):
    """The key of a viewer's figures: the filters, the language and the viewer's scope
    (`privacy.scope_key`: a changed membership is a new key), hashed to a fixed length."""
    raw = f.cache_key(f"{prefix}|{translation.get_language()}|{privacy.scope_key(user)}")
    return f"dashboard:{prefix}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _cached_figures(key, compute):
    """A dashboard's figures from the shared cache, computed by one process at a time on a miss
    (they take seconds at a million reports), kept for DASHBOARD_CACHE_SECONDS."""
    return cached_value(key, settings.DASHBOARD_CACHE_SECONDS, compute, single_flight=True)


def _period_label(f):
    if f.start == f.end:
        return date_format(f.start, "F Y")
    return f"{date_format(f.start, 'F Y')} – {date_format(f.end, 'F Y')}"


def head_panel(user, agency):
    """The figures of the head's agency for the last twelve months (the same as its row on the
    auditor's dashboard), with the monthly trend chart and the links to the full dashboard."""
    viewer = dashboards.Viewer(user)
    if agency is None or not viewer.may_see_agency(agency.top):
        return None
    start, end = dashboards.default_period()
    f = dashboards.Filters(start=start, end=end, agency=agency.top)

    def compute():
        from_rollups = rollups.head_figures(viewer, agency.top, f)
        if from_rollups is not None:
            return from_rollups
        reports = dashboards.scope(viewer.base(), replace(f, agency=None))
        rows = dashboards.agency_rows(reports, dashboards.top_agencies().filter(pk=agency.top.pk), f)
        trend = dashboards.monthly_trend(dashboards.scope(viewer.base(), f), f)
        return {"rows": rows, "trend": trend, "generated_at": timezone.now()}

    data = _cached_figures(_cache_key("head", user, f), compute)
    rows, trend = data["rows"], data["trend"]
    if not rows:  # an inactive agency has no row
        return None
    params = f.params()
    return {
        "generated_at": data["generated_at"],
        "row": rows[0],
        "chart_group": _trend_group(trend, "head"),
        "trend": trend,
        "period_label": _period_label(f),
        "dashboard_url": _url("dashboards:audit", params),
        "overdue_url": _url("dashboards:reports", params, metrik="overdue"),
        "export_url": _url("dashboards:export-xlsx", params),
        "monthly_url": reverse("dashboards:monthly"),
    }


# Public statistics ------------------------------------------------------------------------------------
