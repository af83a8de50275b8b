"""Each dashboard figure against the hand-computed region of conftest.py."""

import datetime

import pytest

from complaints.dashboards import figures as dashboards
from complaints.models import Privacy, Status

pytestmark = pytest.mark.django_db


def auditor_rows(auditor, **filters):
    viewer = dashboards.Viewer(auditor)
    start, end = dashboards.default_period()
    f = dashboards.Filters(start=start, end=end, **filters)
    rows = dashboards.agency_rows(dashboards.scope(viewer.base(), f), viewer.agencies(), f)
    return {r.agency.slug: r for r in rows}, f


def test_per_opd_figures(november, auditor, now):
    rows, _f = auditor_rows(auditor)
    pu, dinkes, kominfo = rows["dinas-pu"], rows["dinkes"], rows["diskominfo"]
    assert pu.counts == {
        "total": 6,
        Status.BELUM_TERVERIFIKASI: 0,
        Status.BELUM_DITINDAKLANJUTI: 2,
        Status.PROSES: 2,
        Status.SELESAI: 2,
        Status.TUNDA: 0,
        Status.ARSIP: 0,
    }
    assert (pu.on_time, pu.late, pu.on_time_rate) == (3, 2, 60.0)
    assert pu.median == 4.5 and pu.responded == 4
    assert (pu.overdue, pu.ceiling, pu.escalated, pu.returned) == (1, 0, 1, 1)
    assert (pu.reopened, pu.closed, pu.reopen_rate) == (1, 3, 33.3)
    assert (pu.rated, pu.mean_rating) == (2, 3.0)

    assert dinkes.counts["total"] == 2 and dinkes.counts[Status.PROSES] == 2
    assert (dinkes.on_time, dinkes.late, dinkes.on_time_rate) == (1, 1, 50.0)
    assert dinkes.median == 3.5
    assert (dinkes.overdue, dinkes.ceiling, dinkes.escalated, dinkes.returned) == (0, 1, 1, 0)
    assert dinkes.mean_rating is None and dinkes.reopen_rate is None

    # The operators' clocks (I's verification, F's re-disposition) are charged to Diskominfo.
    assert kominfo.escalated == 2 and kominfo.counts["total"] == 0
    assert rows["inspektorat"].counts["total"] == 0 and rows["inspektorat"].on_time_rate is None


def test_totals_breakdowns_and_trend(november, auditor, now):
    viewer = dashboards.Viewer(auditor)
    start, end = dashboards.default_period()
    f = dashboards.Filters(start=start, end=end)
    reports = dashboards.scope(viewer.base(), f)
    totals = dashboards.status_totals(reports)
    assert totals["total"] == 10
    assert totals[Status.BELUM_TERVERIFIKASI] == 1 and totals[Status.ARSIP] == 1
    trend = {row["month"]: row for row in dashboards.monthly_trend(reports, f)}
    assert len(trend) == 12
    assert trend[datetime.date(2026, 9, 1)]["total"] == 1 and trend[datetime.date(2026, 9, 1)]["rate"] == 100.0
    november_row = trend[datetime.date(2026, 11, 1)]
    assert november_row["total"] == 9 and (november_row["on_time"], november_row["late"]) == (3, 3)
    assert trend[datetime.date(2026, 10, 1)]["total"] == 0
    categories = {name: n for _pk, name, n in dashboards.breakdown(reports, "category", "category__name")}
    assert categories == {"Jalan dan jembatan": 8, "Kesehatan": 2}


def test_filters_narrow_every_figure(november, auditor, region, now):
    rows, _f = auditor_rows(auditor, category=region.health)
    assert rows["dinas-pu"].counts["total"] == 0 and rows["dinkes"].counts["total"] == 2
    rows, _f = auditor_rows(auditor, kecamatan=region.kecamatan)
    assert rows["dinas-pu"].counts["total"] == 6 and rows["dinkes"].counts["total"] == 0
    # One month: September holds only H.
    viewer = dashboards.Viewer(auditor)
    f = dashboards.Filters(start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 1))
    rows = {r.agency.slug: r for r in dashboards.agency_rows(dashboards.scope(viewer.base(), f), viewer.agencies(), f)}
    assert rows["dinkes"].counts["total"] == 1 and rows["dinkes"].median == 1
    assert rows["dinas-pu"].counts["total"] == 0 and rows["dinas-pu"].median is None


def test_head_sees_only_their_own_agency(november, head_pu, now):
    viewer = dashboards.Viewer(head_pu)
    assert [a.slug for a in viewer.agencies()] == ["dinas-pu"]
    start, end = dashboards.default_period()
    f = dashboards.Filters(start=start, end=end)
    reports = dashboards.scope(viewer.base(), f)
    # Only the reports disposed to Dinas PU (the rahasia one included: the head works on it).
    assert set(reports.values_list("title", flat=True)) == {
        november.a.title,
        november.b.title,
        november.c.title,
        november.d.title,
        november.e.title,
        november.f.title,
    }
    (row,) = dashboards.agency_rows(reports, viewer.agencies(), f)
    assert (row.on_time, row.late, row.median) == (3, 2, 4.5)


def test_drilldown_matches_the_numbers(november, auditor, region, now):
    viewer = dashboards.Viewer(auditor)
    start, end = dashboards.default_period()
    reports = dashboards.scope(viewer.base(), dashboards.Filters(start=start, end=end))
    r = november

    def ids(metric, agency=None):
        return set(dashboards.drilldown(reports, metric, agency.pk if agency else None).values_list("pk", flat=True))

    assert ids("total", region.pu) == {r.a.pk, r.b.pk, r.c.pk, r.d.pk, r.e.pk, r.f.pk}
    assert ids("on_time", region.pu) == {r.a.pk, r.b.pk, r.e.pk}
    assert ids("late", region.pu) == {r.c.pk, r.d.pk}
    assert ids("overdue", region.pu) == {r.d.pk}
    assert ids("escalated", region.pu) == {r.d.pk}
    assert ids("returned", region.pu) == {r.f.pk}
    assert ids("reopened", region.pu) == {r.b.pk}
    assert ids("rated", region.pu) == {r.a.pk, r.c.pk}
    assert ids(Status.SELESAI, region.pu) == {r.a.pk, r.c.pk}
    assert ids("ceiling", region.dinkes) == {r.h.pk}
    assert ids("escalated", region.diskominfo) == {r.f.pk, r.i.pk}
    assert ids("responded", region.dinkes) == {r.g.pk, r.h.pk}
    assert ids(Status.BELUM_TERVERIFIKASI) == {r.i.pk}
    assert len(ids("total")) == 10


def test_public_statistics_follow_the_aggregate_rules(november, now):
    start, end = dashboards.default_period()
    data = dashboards.public_statistics(dashboards.Filters(start=start, end=end))
    totals = {key: value for key, _label, value in data["totals"]}
    # Eight verified reports (not I, unverified, nor J, archived as invalid); cells under 5: "< 5".
    assert totals == {
        "total": 8,
        Status.BELUM_DITINDAKLANJUTI: "< 5",
        Status.PROSES: "< 5",
        Status.SELESAI: "< 5",
        Status.ARSIP: 0,
    }
    assert Status.BELUM_TERVERIFIKASI not in totals and Status.TUNDA not in totals
    board = {row["slug"]: row for row in data["scoreboard"]}
    assert "diskominfo" not in board
    # Rahasia E counts for Dinas PU: 6 reports, 3 of 5 deadlines on time. The 6 itself is hidden
    # ("≥ 5"): with the 8 published reports it would give away Dinkes' "< 5" by subtraction.
    assert board["dinas-pu"]["total"] == "≥ 5" and board["dinas-pu"]["on_time_rate"] == 60.0
    assert board["dinas-pu"]["overdue"] == "< 5"
    # Four responses only: no public median; two deadlines only: no public rate.
    assert board["dinas-pu"]["median"] is None
    assert board["dinkes"]["total"] == "< 5" and board["dinkes"]["on_time_rate"] is None
    # By area the rahasia report is left out: A, B, C, D, F in Kota (E would make 6).
    assert [(name, n) for _pk, name, n in data["kecamatan"]] == [("Kota", 5)]
    kinds = {key: n for key, _label, n in data["kinds"]}
    assert kinds == {"aduan": 8}
    trend = {row["month"]: row for row in data["trend"]}
    # November's 7 would give away September's 1 (8 - 7): hidden as "≥ 5", with no bar value.
    assert trend[datetime.date(2026, 11, 1)]["total_shown"] == "≥ 5"
    assert trend[datetime.date(2026, 11, 1)]["total"] is None
    assert trend[datetime.date(2026, 9, 1)]["total_shown"] == "< 5"
    assert trend[datetime.date(2026, 9, 1)]["total"] is None  # never the exact small number


def test_suppression_edges():
    assert [dashboards.suppress(n) for n in (0, 1, 4, 5, 12)] == [0, "< 5", "< 5", 5, 12]
    assert dashboards.public_rate(3, 4) is None and dashboards.public_rate(3, 5) == 60.0


def test_rahasia_counts_per_opd_but_never_by_area(november, auditor, region, now):
    viewer = dashboards.Viewer(auditor)
    start, end = dashboards.default_period()
    reports = dashboards.scope(viewer.base(), dashboards.Filters(start=start, end=end))
    assert reports.filter(privacy=Privacy.RAHASIA, kecamatan=region.kecamatan).count() == 1
    from complaints.dashboards.views import _dashboard_data

    data = _dashboard_data(viewer, dashboards.Filters(start=start, end=end))
    # Kota: A, B, C, D, F, I, J — seven without E.
    assert [(name, n) for _pk, name, n in data["kecamatan"]] == [("Kota", 7)]
    assert {r.agency.slug: r.counts["total"] for r in data["rows"]}["dinas-pu"] == 6
