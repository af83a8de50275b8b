"""The rollups give every dashboard the figures the reports give (docs/architecture.md, "Dashboard
rollups"): on the hand-computed region of conftest.py, for each kind of viewer and filter, after
changes (refreshed from their events) and after a holiday is added (every month rebuilt)."""

import dataclasses
import datetime
import io

import pytest
from django.core.management import call_command

from accounts.models import Role
from agencies import calendar
from agencies.models import Holiday
from complaints import workflow
from complaints.dashboards import figures as dashboards
from complaints.dashboards import rollups
from complaints.dashboards.panels import head_panel
from complaints.dashboards.views import _compute_dashboard_data
from complaints.models import FigureRollup, Kind, RollupState
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _plain(data):
    """The figures of a dashboard as comparable data: rows by agency slug, the rest as they are."""
    result = {k: v for k, v in data.items() if k != "generated_at"}
    if "rows" in result:
        result["rows"] = {
            r.agency.slug: {k: v for k, v in dataclasses.asdict(r).items() if k != "agency"} for r in data["rows"]
        }
    return result


def _direct(settings, compute):
    settings.DASHBOARD_ROLLUPS = False
    try:
        return _plain(compute())
    finally:
        settings.DASHBOARD_ROLLUPS = True


def _filters(region, **extra):
    start, end = dashboards.default_period()
    return dashboards.Filters(start=start, end=end, **extra)


def _variants(region):
    return {
        "default": {},
        "category": {"category": region.health},
        "kecamatan": {"kecamatan": region.kecamatan},
        "kind": {"kind": Kind.ADUAN},
    }


def _assert_same_audit(settings, viewer, f):
    expected = _direct(settings, lambda: _compute_dashboard_data(viewer, f))
    from_rollups = rollups.audit_figures(viewer, f)
    assert from_rollups is not None, "the rollups should answer for this viewer"
    assert _plain(from_rollups) == expected
    return expected


@pytest.fixture
def built(november, now):
    result = rollups.rebuild()
    assert result["rebuilt"] and FigureRollup.objects.exists()
    return november


def test_auditor_figures_equal_the_reports(built, auditor, region, settings, now):
    viewer = dashboards.Viewer(auditor)
    for name, extra in _variants(region).items():
        expected = _assert_same_audit(settings, viewer, _filters(region, **extra))
        if name == "default":  # the hand-computed figures, through the rollups
            pu = expected["rows"]["dinas-pu"]
            assert (pu["on_time"], pu["late"], pu["median"], pu["overdue"]) == (3, 2, 4.5, 1)
            assert (pu["escalated"], pu["returned"], pu["reopened"], pu["closed"]) == (1, 1, 1, 3)
            assert (pu["rated"], pu["mean_rating"]) == (2, 3.0)
            assert expected["rows"]["dinkes"]["median"] == 3.5
            assert expected["rows"]["diskominfo"]["escalated"] == 2
            assert expected["totals"]["total"] == 10
    # One agency, and one month (September holds only H).
    _assert_same_audit(settings, viewer, _filters(region, agency=region.pu))
    _assert_same_audit(settings, viewer, _filters(region, agency=region.dinkes, category=region.health))
    september = datetime.date(2026, 9, 1)
    data = _assert_same_audit(settings, viewer, dashboards.Filters(start=september, end=september))
    assert data["rows"]["dinkes"]["median"] == 1


def test_head_figures_equal_the_reports(built, head_pu, head_dinkes, region, settings, now):
    for head, agency in ((head_pu, region.pu), (head_dinkes, region.dinkes)):
        viewer = dashboards.Viewer(head)
        _assert_same_audit(settings, viewer, _filters(region))
        _assert_same_audit(settings, viewer, _filters(region, agency=agency))
        expected = _direct(settings, lambda h=head, a=agency: head_panel(h, a))
        panel = head_panel(head, agency)
        assert dataclasses.asdict(panel["row"]) == dataclasses.asdict(expected["row"])
        assert panel["trend"] == expected["trend"]


def test_public_statistics_equal_the_reports(built, region, settings, now):
    for extra in ({}, {"category": region.roads}, {"kind": Kind.ADUAN}):
        f = _filters(region, **extra)
        expected = _direct(settings, lambda f=f: dashboards.public_statistics(f))
        assert _plain(dashboards.public_statistics(f)) == expected
    f = _filters(region)
    assert rollups.public_figures(f) is not None
    # Rahasia E counts for Dinas PU, never by area.
    kecamatan = {name: n for _pk, name, n in rollups.public_figures(f)["kecamatan"]}
    assert kecamatan == {region.kecamatan.name: 5}  # A, B, C, D, F; not E


def test_changes_reach_the_rollups_on_refresh(built, auditor, liaison_pu, citizen, region, settings, now):
    viewer = dashboards.Viewer(auditor)
    f = _filters(region)
    before = _plain(rollups.audit_figures(viewer, f))
    d = built.d.dispositions.get()
    workflow.followup(built.d.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami aspal sebagian.")
    # Not refreshed yet: the rollup part still says D was never answered.
    stale = _plain(rollups.audit_figures(viewer, f))
    assert stale["rows"]["dinas-pu"]["responded"] == before["rows"]["dinas-pu"]["responded"] == 4
    assert rollups.refresh()["months"] == 1
    fresh = _assert_same_audit(settings, viewer, f)
    assert fresh["rows"]["dinas-pu"]["responded"] == 5


def test_a_new_holiday_rebuilds_every_month(built, auditor, region, settings, now):
    viewer = dashboards.Viewer(auditor)
    f = _filters(region)
    # Thursday 5 November off: every follow-up after it took one working day less (2, 4, 5, 7 became
    # 1, 3, 4, 6).
    Holiday.objects.create(date=datetime.date(2026, 11, 5), name="Cuti bersama", kind=Holiday.Kind.CUTI_BERSAMA)
    calendar.invalidate()
    assert rollups.refresh()["rebuilt"]
    data = _assert_same_audit(settings, viewer, f)
    assert data["rows"]["dinas-pu"]["median"] == 3.5


def test_scopes_the_rollups_cannot_express_fall_back(built, auditor, region, settings, now, file_report):
    f = _filters(region)
    # A head of a unit, and a staff member who is both an auditor and a liaison.
    unit_head = make_user("kepala.binamarga@pemda.go.id", "Kepala Bina", (Role.HEAD, region.bina_marga))
    assert rollups.viewer_scope(dashboards.Viewer(unit_head)) is None
    both = make_user(
        "dua.peran@pemda.go.id", "Dua Peran", (Role.AUDITOR, region.inspektorat), (Role.LIAISON, region.pu)
    )
    assert rollups.audit_figures(dashboards.Viewer(both), f) is None
    # An auditor who filed a rahasia report of their own sees it; the groups cannot say whose it is.
    assert rollups.audit_figures(dashboards.Viewer(auditor), f) is not None
    file_report(title="Laporan pribadi auditor", privacy="rahasia", reporter=auditor)
    assert rollups.audit_figures(dashboards.Viewer(auditor), f) is None
    # The view still answers, from the reports.
    assert _compute_dashboard_data(dashboards.Viewer(auditor), f)["totals"]["total"] == 11


def test_nothing_read_from_rollups_before_the_first_build(november, auditor, region, now):
    assert not RollupState.objects.filter(built_at__isnull=False).exists()
    assert rollups.audit_figures(dashboards.Viewer(auditor), _filters(region)) is None
    assert rollups.public_figures(_filters(region)) is None


def test_rebuild_is_idempotent_and_refresh_without_events_touches_nothing(built, auditor, region, settings, now):
    rows = FigureRollup.objects.count()
    rollups.rebuild()
    assert FigureRollup.objects.count() == rows
    rollups.refresh()  # re-reads the events of the last refresh once more
    assert rollups.refresh() == {"months": 0, "rebuilt": False}
    _assert_same_audit(settings, dashboards.Viewer(auditor), _filters(region))


def test_median_of_a_distribution():
    assert rollups._median([(1, 1), (6, 1)]) == 3.5
    assert rollups._median([(2, 1), (4, 1), (5, 1), (7, 1)]) == 4.5
    assert rollups._median([(3, 3)]) == 3.0
    assert rollups._median([(1, 2), (9, 1)]) == 1.0
    assert rollups._median([]) is None


def test_the_command_refreshes_and_rebuilds(november, now):
    out = io.StringIO()
    call_command("refresh_figures", stdout=out)  # nothing built yet: every month
    assert "bulan dibangun ulang" in out.getvalue()
    out = io.StringIO()
    call_command("refresh_figures", stdout=out)
    call_command("refresh_figures", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("0 bulan disegarkan")
    out = io.StringIO()
    call_command("refresh_figures", "--rebuild", stdout=out)
    assert "dibangun ulang" in out.getvalue()
