"""`Disposition.next_due_at` (the liaison's inbox sorts by it, docs/clocks.md) is, for a live
disposition, its own running deadline, else the nearest running deadline of its live units, else its
60-day settlement, and None once it is not live — after every step of the lifecycle that moves one:
a disposal, a follow-up, a sub-disposition and the unit's follow-up, a return and a refused return,
an information request and its extension, a tunda, finishing, closing, reopening, a recall, a
holiday that moves a deadline. The inbox's order is the order it had when that deadline was
computed in the query, and the migration fills the column with the same values."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Holiday
from complaints import workflow
from complaints.common.pagination import FastPaginator
from complaints.deadlines import clocks
from complaints.deadlines import sweep as sla
from complaints.models import ACTIVE_DISPOSITION, ClockKind, Complaint, Disposition
from complaints.staff import selectors
from tests.conftest import make_user
from tests.staff.lengths import assert_lengths_from_totals

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def at(day, month=11, hour=10):
    return time_machine.travel(datetime.datetime(2026, month, day, hour, 0, tzinfo=WIB), tick=False)


def expected_due(d):
    """The inbox deadline of `d`, computed from the rows (independently of `clocks.inbox_due`)."""
    if d.status not in ACTIVE_DISPOSITION:
        return None
    if d.due_at is not None:
        return d.due_at
    units = [u.due_at for u in Disposition.objects.filter(parent=d, status__in=ACTIVE_DISPOSITION)]
    units = [due for due in units if due is not None]
    return min(units) if units else d.settlement_due_at


def check(c):
    """Every disposition of report `c` has the stored deadline it should; returns {agency slug:
    stored deadline} (a unit's sub-disposition under its own slug)."""
    stored = {}
    for d in Disposition.objects.filter(complaint_id=c.pk).select_related("agency"):
        assert d.next_due_at == expected_due(d), (d.agency.slug, d.status)
        stored[d.agency.slug] = d.next_due_at
    return stored


def test_the_inbox_deadline_follows_the_lifecycle(
    file_report,
    operator,
    liaison_pu,
    liaison_bina_marga,
    liaison_dinkes,
    citizen,
    django_capture_on_commit_callbacks,
):
    with at(2):
        c = file_report(title="Jalan dan puskesmas")
        workflow.postpone(c.pk, by=operator, reason="Mohon lengkapi lokasi persisnya.")
        assert check(c) == {}
        workflow.complete(c.pk, by=citizen, body="Di depan pasar lama, sebelah masjid.")
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu", "dinkes"])
    first = check(c)
    pu = c.dispositions.get(agency__slug="dinas-pu")
    dinkes = c.dispositions.get(agency__slug="dinkes")
    assert first["dinas-pu"] == pu.due_at is not None  # its first follow-up deadline

    with at(3):
        workflow.subdispose(c.pk, by=liaison_pu, disposition=pu.pk, unit="dinas-pu-bina-marga")
    handed = check(c)
    unit = c.dispositions.get(parent=pu)
    pu.refresh_from_db()
    assert pu.due_at is None and unit.due_at == first["dinas-pu"]
    # The OPD's row sorts by the deadline its unit carries on, not by its 60-day settlement.
    assert handed["dinas-pu"] == handed["dinas-pu-bina-marga"] == first["dinas-pu"]

    # A regional holiday before that deadline moves the unit's clock, and the OPD's row with it.
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=datetime.date(2026, 11, 5), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    moved = check(c)
    assert moved["dinas-pu-bina-marga"] > first["dinas-pu"]
    assert moved["dinas-pu"] == moved["dinas-pu-bina-marga"]

    with at(4):
        workflow.followup(c.pk, by=liaison_bina_marga, disposition=unit.pk, body="Unit sudah meninjau lokasi.")
    followed = check(c)
    pu.refresh_from_db()
    assert followed["dinas-pu"] == pu.settlement_due_at  # no follow-up clock runs: the ceiling

    with at(4):
        workflow.return_disposition(c.pk, by=liaison_dinkes, disposition=dinkes.pk, reason="Bukan kewenangan kami.")
    assert check(c)["dinkes"] is None
    with at(5):
        workflow.dispose(c.pk, by=operator, agencies=["dinkes"], note="Mohon ditangani, ini kewenangan Dinkes.")
    refused = check(c)
    assert refused["dinkes"] is not None and refused["dinkes"] < refused["dinas-pu"]

    with at(6):
        workflow.followup(c.pk, by=liaison_dinkes, disposition=dinkes.pk, body="Kami tangani segera.")
        workflow.finish(c.pk, by=liaison_dinkes, disposition=dinkes.pk)
    assert check(c)["dinkes"] is None
    with at(9):
        workflow.finish(c.pk, by=liaison_pu, disposition=pu.pk)
    assert check(c) == {"dinas-pu": None, "dinas-pu-bina-marga": None, "dinkes": None}

    with at(10):
        workflow.accept(c.pk, by=citizen)
    assert Complaint.objects.get(pk=c.pk).status == "selesai"
    assert check(c) == {"dinas-pu": None, "dinas-pu-bina-marga": None, "dinkes": None}
    with at(11):
        workflow.reopen(c.pk, by=citizen, body="Jalannya rusak lagi setelah hujan deras.", dispositions=[pu.pk])
    reopened = check(c)
    pu.refresh_from_db()
    assert reopened["dinas-pu"] == pu.due_at is not None and reopened["dinkes"] is None


def test_an_extended_information_request_and_a_recomputed_calendar(
    region, file_report, operator, django_capture_on_commit_callbacks
):
    ppid = make_user("ppid@pemda.go.id", "Pipi PPID", ("liaison", region.ppid))
    with at(2):
        c = file_report(kind="informasi", category=region.info)
        workflow.verify(c.pk, by=operator, agencies=["ppid"])
    d = c.dispositions.get()
    first = check(c)["ppid"]
    with at(12):
        workflow.extend(c.pk, by=ppid, disposition=d.pk, reason="Dokumen perlu diambil dari arsip daerah.")
    extended = check(c)["ppid"]
    assert extended > first
    # The holiday recompute run by hand (the signal's task not run): the extension moves, and the
    # stored deadline with it.
    Holiday.objects.create(date=datetime.date(2026, 11, 13), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    assert sla.recompute_open_deadlines() >= 1
    recomputed = check(c)["ppid"]
    assert recomputed > extended
    assert recomputed == clocks.running(c, ClockKind.INFORMATION, d).due_at


def test_a_recall_and_an_archive_clear_it(disposed_report, file_report, operator, liaison_pu):
    with at(2):
        c = disposed_report()
    assert check(c)["dinas-pu"] is not None
    with at(3):
        workflow.flag_oversight(c.pk, by=operator, terlapor_agency="dinas-pu")
    assert check(c) == {"dinas-pu": None}

    with at(2):
        returned = disposed_report()
    d = returned.dispositions.get()
    with at(3):
        workflow.return_disposition(returned.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami.")
        workflow.archive(returned.pk, by=operator, reason="out_of_scope", note="Di luar kewenangan daerah.")
    assert Complaint.objects.get(pk=returned.pk).status == "arsip"
    assert check(returned) == {"dinas-pu": None}


def test_a_full_save_keeps_the_inbox_deadline(disposed_report):
    c = disposed_report()
    due = check(c)["dinas-pu"]
    stale = Disposition.objects.get(complaint=c)
    stale.next_due_at = None
    stale.note = "Catatan baru"
    stale.save()
    fresh = Disposition.objects.get(pk=stale.pk)
    assert fresh.next_due_at == due and fresh.note == "Catatan baru"


def test_a_full_save_of_a_partly_read_row_writes_what_was_read_and_loads_nothing(disposed_report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = disposed_report()
    row = Disposition.objects.only("pk", "note").get(complaint=c)
    row.note = "Catatan baru"
    with CaptureQueriesContext(connection) as ctx:
        row.save()
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [q for q in sql if q.startswith("SELECT")], sql  # no column left out is loaded
    (update,) = [q for q in sql if q.startswith('UPDATE "complaints_disposition"')]
    assert '"note"' in update and '"agency_id"' not in update
    fresh = Disposition.objects.get(pk=row.pk)
    assert fresh.note == "Catatan baru" and fresh.agency_id == c.dispositions.get().agency_id


# The inbox's order -------------------------------------------------------------------------------
def computed_order(user, agency, status, overdue=False):
    """The liaison inbox's rows and order as they were before the column: the deadline computed in
    the query, and a sub-disposition left out when its parent is in the list itself."""
    qs = selectors._by_status(selectors.agency_dispositions(user, agency, "liaison", "head"), status)
    if overdue:
        qs = qs.filter(status__in=ACTIVE_DISPOSITION, due_at__lt=timezone.now())
    listed = qs
    qs = qs.filter(Q(parent_id__isnull=True) | ~Exists(listed.filter(pk=OuterRef("parent_id"))))
    units = Disposition.objects.filter(parent=OuterRef("pk"), status__in=ACTIVE_DISPOSITION, due_at__isnull=False)
    due = Coalesce(F("due_at"), Subquery(units.order_by("due_at").values("due_at")[:1]), F("settlement_due_at"))
    live = ExpressionWrapper(Q(status__in=ACTIVE_DISPOSITION), output_field=BooleanField())
    qs = qs.annotate(computed=Case(When(status__in=ACTIVE_DISPOSITION, then=due)), live=live)
    return list(
        qs.order_by(F("live").desc(), F("computed").asc(nulls_last=True), "-created_at", "pk").values_list(
            "pk", flat=True
        )
    )


@pytest.fixture
def busy_opd(file_report, operator, liaison_pu, liaison_bina_marga, region):
    """Dispositions to Dinas PU over three weeks in every state: waiting, followed up, handed to a
    unit (some followed up there), returned, finished; and a second unit under PU."""
    Agency.objects.create(
        slug="dinas-pu-cipta-karya", name="Bidang Cipta Karya", kind=AgencyKind.UNIT, parent=region.pu
    )
    for i in range(18):
        with at(2 + i % 14, hour=8 + i % 9):
            c = file_report(title=f"Laporan ke-{i}")
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            d = c.dispositions.get()
            step = i % 6
            if step == 1:
                workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sedang kami kerjakan.")
            elif step in (2, 3):
                unit = "dinas-pu-bina-marga" if step == 2 else "dinas-pu-cipta-karya"
                workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit=unit)
                if i % 4 == 2:
                    child = c.dispositions.get(parent=d)
                    workflow.followup(c.pk, by=liaison_bina_marga, disposition=child.pk, body="Unit meninjau.")
                elif i % 4 == 3:  # the OPD answers itself: its unit still waits
                    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Kami tinjau bersama unit.")
            elif step == 4:
                workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami.")
            elif step == 5:
                workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami kerjakan.")
                workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)


@pytest.mark.parametrize("overdue", [False, True])
@pytest.mark.parametrize("status", ["aktif", "semua", "menunggu", "ditindaklanjuti", "selesai"])
def test_the_inbox_order_is_the_computed_order(busy_opd, liaison_pu, liaison_bina_marga, region, status, overdue):
    with at(20):
        for user, agency in ((liaison_pu, region.pu), (liaison_bina_marga, region.bina_marga)):
            before = computed_order(user, agency, status, overdue)
            qs = selectors.inbox(user, agency, status, overdue, one_row_per_report=True)
            assert list(qs.values_list("pk", flat=True)) == before
            read = selectors.inbox_rows(user, agency)
            paged = FastPaginator(selectors.live_first(qs, status, overdue, read=read), 4, deferred_from=0)
            pages = [d.pk for n in paged.page_range for d in paged.page(n)]
            assert pages == before
    if status == "aktif" and not overdue:
        # The fixture makes rows whose order the column decides: OPD rows sorted by their unit's
        # deadline, others by their own or their ceiling.
        rows = list(selectors.inbox(liaison_pu, region.pu, status, one_row_per_report=True))
        assert any(d.due_at is None and d.next_due_at != d.settlement_due_at for d in rows)
        assert any(d.due_at is None and d.next_due_at == d.settlement_due_at for d in rows)
        assert len(rows) >= 10
    if status == "menunggu" and not overdue:
        # A unit still waiting on a report its OPD has answered is a row of its own.
        units = selectors.inbox(liaison_pu, region.pu, status, one_row_per_report=True).filter(parent__isnull=False)
        assert units.exists()


# The migration -----------------------------------------------------------------------------------
def test_the_migration_fills_the_column_as_the_writer_keeps_it(busy_opd):
    kept = dict(Disposition.objects.values_list("pk", "next_due_at"))
    assert sum(due is not None for due in kept.values()) >= 10
    Disposition.objects.update(next_due_at=None)
    migration = importlib.import_module("complaints.migrations.0018_disposition_next_due")
    migration.fill_next_due(apps, None)
    assert dict(Disposition.objects.values_list("pk", "next_due_at")) == kept
    # And the loader's refresh of every row gives the same.
    Disposition.objects.update(next_due_at=None)
    clocks.refresh_monitor_due()
    assert dict(Disposition.objects.values_list("pk", "next_due_at")) == kept


def test_the_inbox_length_comes_from_the_headings_totals(busy_opd, liaison_pu, liaison_bina_marga, region):
    """The liaison's page gives its paginator the heading's total instead of counting the list
    again: for every heading that counts exactly the list, the two agree."""
    with at(20):
        overdue_rows = 0
        for user, agency in ((liaison_pu, region.pu), (liaison_bina_marga, region.bina_marga)):
            overdue_rows += assert_lengths_from_totals(
                selectors.inbox_counts(user, agency),
                lambda status, overdue, user=user, agency=agency: selectors.inbox(
                    user, agency, status, overdue, one_row_per_report=True
                ),
                agency.slug,
            )
        assert overdue_rows > 0
