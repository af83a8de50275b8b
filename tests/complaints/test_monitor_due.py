"""`Complaint.monitor_due_at` (the operator's "dipantau" tab sorts by it) is the nearest running
deadline of the report's live dispositions after every step of the lifecycle that moves one: a
disposal, a follow-up, an information request and its extension, a sub-disposition, a return, a
re-disposal, finishing, reopening, a holiday that moves a deadline — and a full save of the report
never puts back an old value."""

import datetime

import pytest
import time_machine

from agencies.models import Holiday
from complaints import workflow
from complaints.models import ACTIVE_DISPOSITION, Complaint
from complaints.staff import selectors

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def at(day, month=11, hour=10):
    return time_machine.travel(datetime.datetime(2026, month, day, hour, 0, tzinfo=WIB), tick=False)


def nearest(c):
    dues = [d.due_at or d.settlement_due_at for d in c.dispositions.filter(status__in=ACTIVE_DISPOSITION)]
    dues = [due for due in dues if due is not None]
    return min(dues) if dues else None


def check(c):
    c = Complaint.objects.get(pk=c.pk)
    assert c.monitor_due_at == nearest(c)
    return c.monitor_due_at


def test_the_monitored_deadline_follows_the_lifecycle(
    file_report, operator, liaison_pu, liaison_dinkes, citizen, django_capture_on_commit_callbacks
):
    with at(2):
        c = file_report(title="Jalan dan puskesmas")
        assert check(c) is None
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu", "dinkes"])
    first = check(c)
    assert first is not None  # the first follow-up deadline
    pu = c.dispositions.get(agency__slug="dinas-pu")
    dinkes = c.dispositions.get(agency__slug="dinkes")
    with at(3):
        workflow.followup(c.pk, by=liaison_pu, disposition=pu.pk, body="Sudah kami tinjau ke lokasi.")
    assert check(c) == first  # Dinas Kesehatan's first follow-up is still nearer
    with at(4):
        workflow.return_disposition(c.pk, by=liaison_dinkes, disposition=dinkes.pk, reason="Bukan kewenangan kami.")
    settlement = check(c)
    assert settlement > first  # only PU's 60-day settlement runs now
    with at(5):
        workflow.dispose(c.pk, by=operator, agencies=["dinkes"], note="Mohon ditangani, ini kewenangan Dinkes.")
    assert check(c) < settlement
    dinkes = c.dispositions.get(agency__slug="dinkes")
    with at(6):
        workflow.followup(c.pk, by=liaison_dinkes, disposition=dinkes.pk, body="Kami tangani segera.")
    check(c)
    with at(9):
        workflow.subdispose(c.pk, by=liaison_pu, disposition=pu.pk, unit="dinas-pu-bina-marga")
    check(c)
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=datetime.date(2026, 11, 12), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    check(c)
    with at(10):
        for d in c.dispositions.filter(parent__isnull=True):
            if d.status == "ditindaklanjuti":
                liaison = liaison_pu if d.agency.slug == "dinas-pu" else liaison_dinkes
                workflow.finish(c.pk, by=liaison, disposition=d.pk)
    assert check(c) is None  # nothing live: nothing to monitor
    with at(11):
        workflow.accept(c.pk, by=citizen)
        workflow.reopen(c.pk, by=citizen, body="Jalannya rusak lagi setelah hujan deras.")
    assert check(c) is not None


def test_a_full_save_keeps_the_monitored_deadline(disposed_report, region):
    c = disposed_report()
    due = check(c)
    stale = Complaint.objects.get(pk=c.pk)
    stale.monitor_due_at = None
    stale.location_text = "Depan pasar lama"
    stale.save()
    assert Complaint.objects.get(pk=c.pk).monitor_due_at == due
    assert Complaint.objects.get(pk=c.pk).location_text == "Depan pasar lama"


def test_the_monitored_tab_sorts_by_it(disposed_report, operator, liaison_pu):
    with at(2):
        early = disposed_report(title="Didisposisikan lebih dulu")
    with at(5):
        late = disposed_report(title="Didisposisikan belakangan")
    with at(3):
        workflow.followup(early.pk, by=liaison_pu, disposition=early.dispositions.get().pk, body="Sudah kami tinjau.")
    # `early` now waits on its 60-day settlement, `late` on its first follow-up: `late` first.
    rows = list(selectors.operator_queue(operator, selectors.Tab.MONITOR))
    assert [c.pk for c in rows] == [late.pk, early.pk]
    assert [c.queue_due for c in rows] == [check(late), check(early)]


def test_a_recalled_disposition_leaves_the_monitored_deadline(disposed_report, operator, region):
    # Flagged berkadar pengawasan against Dinas PU: its disposition is withdrawn and nothing is
    # left to monitor (the operators' re-disposition clock runs on the report instead).
    with at(2):
        c = disposed_report()
    assert check(c) is not None
    with at(3):
        workflow.flag_oversight(c.pk, by=operator, terlapor_agency="dinas-pu")
    assert check(c) is None
    assert Complaint.objects.get(pk=c.pk).redisposition_due_at is not None
