"""The head's view of their OPD (docs/product.md §2, §7): every disposition, who handled it, overdue
now, and this month's on-time rate computed from the clock rows."""

import datetime

import pytest
import time_machine

from complaints import workflow
from complaints.staff import selectors
from tests.conftest import make_user
from tests.staff.lengths import assert_lengths_from_totals

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def at(day, month=11, hour=10):
    return time_machine.travel(datetime.datetime(2026, month, day, hour, 0, tzinfo=WIB), tick=False)


def test_head_view_is_for_heads(client, client_for, liaison_pu, operator, head_pu):
    assert client.get("/opd/pimpinan/").status_code == 302
    for user in (liaison_pu, operator):
        assert client_for(user).get("/opd/pimpinan/").status_code == 404
    assert client_for(head_pu).get("/opd/pimpinan/").status_code == 200
    assert client_for(head_pu).get("/opd/pimpinan/", {"agency": "dinkes"}).status_code == 404


@pytest.fixture
def november(region, file_report, operator, liaison_pu, liaison_bina_marga, liaison_dinkes):
    """A month of work for Dinas PU (all disposed Monday 2 November 2026, first follow-up due
    Monday 9 November), seen on Friday 20 November."""

    def disposed(title, agencies=("dinas-pu",), category=None):
        c = file_report(title=title, category=category)
        workflow.verify(c.pk, by=operator, agencies=list(agencies))
        return c, c.dispositions.get()

    def followup(c, d, by):
        workflow.followup(c.pk, by=by, disposition=d.pk, body="Sudah kami tindak lanjuti di lapangan.")

    r = type("November", (), {})()
    with at(1, month=10):
        old, old_d = disposed("Laporan bulan lalu")
    with at(2, month=10):
        followup(old, old_d, liaison_pu)
    with at(2):
        r.on_time, d_on_time = disposed("Tepat waktu ditindaklanjuti")
        r.silent, _d = disposed("Tidak pernah ditindaklanjuti")
        r.late, d_late = disposed("Ditindaklanjuti terlambat")
        r.returned, d_returned = disposed("Dikembalikan sebelum tenggat")
        r.unit, d_unit = disposed("Diteruskan ke unit")
        r.health, d_health = disposed("Urusan kesehatan", agencies=("dinkes",), category=region.health)
    with at(3):
        workflow.subdispose(r.unit.pk, by=liaison_pu, disposition=d_unit.pk, unit="dinas-pu-bina-marga")
    with at(4):
        workflow.return_disposition(
            r.returned.pk, by=liaison_pu, disposition=d_returned.pk, reason="Bukan kewenangan Dinas PU sama sekali."
        )
        followup(r.unit, r.unit.dispositions.get(parent__isnull=False), liaison_bina_marga)
    with at(5):
        followup(r.on_time, d_on_time, liaison_pu)
    with at(12):
        followup(r.late, d_late, liaison_pu)
        followup(r.health, d_health, liaison_dinkes)
    with at(16):
        r.pending, _d = disposed("Masih berjalan")  # due 23 November: not decided yet
    return r


def test_on_time_rate_from_the_clocks(november, head_pu, region):
    with at(20):
        rate = selectors.on_time_rate(head_pu, region.pu)
    # On time: the one answered on 5 November and the unit's answer (the OPD's own clock handed
    # over); late: the silent one and the one answered on 12 November. The return, the pending
    # one, last month's and Dinas Kesehatan's do not count.
    assert rate == {"on_time": 2, "late": 2, "rate": 50}
    with at(20, month=12):
        assert selectors.on_time_rate(head_pu, region.pu) == {"on_time": 0, "late": 0, "rate": None}


def test_the_list_length_comes_from_the_headings_totals(november, head_pu, region):
    """The head's page gives its paginator the heading's total instead of counting the list again:
    for every heading that counts exactly the list, the two agree."""
    with at(20):
        counts = selectors.status_counts(
            selectors.agency_dispositions(head_pu, region.pu, selectors.Role.LIAISON, selectors.Role.HEAD)
        )
        assert_lengths_from_totals(
            counts, lambda status, overdue: selectors.head_dispositions(head_pu, region.pu, status, overdue)
        )
        assert counts["semua"] == 8 and counts["overdue"] == 1  # the unit's own row counts too


def test_head_page_shows_everything_with_handlers_and_overdue(november, client_for, head_pu):
    with at(20):
        page = client_for(head_pu).get("/opd/pimpinan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["rate"]["rate"] == 50 and "50%" in html
    for c in (november.on_time, november.silent, november.late, november.returned, november.unit, november.pending):
        assert c.tracking_id in html
    assert november.health.tracking_id not in html
    handled = {d.complaint_id: d.handlers for d in page.context["rows"]}
    assert handled[november.on_time.pk] == [("Lia Penghubung", ["Tindak lanjut"])]
    unit_rows = [d for d in page.context["rows"] if d.complaint_id == november.unit.pk]
    assert {d.agency.slug for d in unit_rows} == {"dinas-pu", "dinas-pu-bina-marga"}
    child = next(d for d in unit_rows if d.parent_id)
    # The OPD's liaison passed it to the unit, whose liaison followed it up.
    assert child.handlers == [("Lia Penghubung", ["Didisposisikan ke unit"]), ("Budi Bina", ["Tindak lanjut"])]
    assert [d.complaint_id for d in page.context["overdue_now"]] == [november.silent.pk]
    assert page.context["counts"]["overdue"] == 1
    # The dashboard panel's two trend charts share one table of their months.
    assert html.count("<svg") == 2 and html.count("<caption>Angka grafik per bulan</caption>") == 1


def test_head_of_two_agencies_switches(client_for, region, disposed_report):
    both = make_user("kepala.dua@pemda.go.id", "Kepala Dua", ("head", region.pu), ("head", region.dinkes))
    health = disposed_report(title="Puskesmas kekurangan obat", category=region.health, agencies=("dinkes",))
    road = disposed_report(title="Jalan desa rusak parah")
    c = client_for(both)
    assert health.tracking_id in c.get("/opd/pimpinan/", {"agency": "dinkes"}).content.decode()
    pu = c.get("/opd/pimpinan/", {"agency": "dinas-pu"}).content.decode()
    assert road.tracking_id in pu and health.tracking_id not in pu


def test_head_list_puts_live_dispositions_first_then_history_newest_first(
    november, client_for, head_pu, file_report, operator, liaison_pu
):
    def finished(title, day, done):
        with at(day):
            c = file_report(title=title)
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            d = c.dispositions.get()
        with at(done):
            workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami kerjakan di lapangan.")
            workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
        return c

    older = finished("Selesai lebih dulu", 6, 9)
    newer = finished("Selesai belakangan", 10, 11)
    with at(20):
        rows = client_for(head_pu).get("/opd/pimpinan/").context["rows"]
    order = [d.complaint_id for d in rows]
    live = [d for d in rows if d.is_active]
    assert rows[: len(live)] == live  # every live disposition before any finished or returned one
    dues = [d.next_due for d in live]
    assert dues == sorted(dues, key=lambda due: (due is None, due))
    # Finished ones keep their 60-day deadline as evidence; the history is still newest first.
    assert order.index(newer.pk) < order.index(older.pk) < order.index(november.returned.pk)
