"""The OPD lists are paginated group by group (`selectors.live_first`, `pagination.Grouped`):
the pages hold exactly the rows, in exactly the order, of the inbox's single sort — live
dispositions by nearest deadline, then the history newest first — across the group boundary,
for every status filter, at a constant number of queries per page."""

import datetime

import pytest
import time_machine
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import workflow
from complaints.common.pagination import FastPaginator
from complaints.staff import selectors

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))
STATUSES = ["aktif", "semua", "menunggu", "ditindaklanjuti", "selesai", "dikembalikan"]


@pytest.fixture
def dispositions(file_report, operator, liaison_pu):
    """Dispositions to Dinas PU in every status, created on different days."""
    for i in range(11):
        with time_machine.travel(datetime.datetime(2026, 11, 2 + i, 10, 0, tzinfo=WIB), tick=False):
            c = file_report(title=f"Laporan ke-{i}")
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            d = c.dispositions.get()
            if i % 4 == 1:
                workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sedang kami kerjakan.")
            elif i % 4 == 2:
                workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami kerjakan.")
                workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
            elif i % 4 == 3:
                workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami.")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("overdue", [False, True])
def test_grouped_pages_are_the_single_sort(dispositions, liaison_pu, region, status, overdue):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=WIB), tick=False):
        qs = selectors.inbox(liaison_pu, region.pu, status, overdue)
        expected = list(qs.values_list("pk", flat=True))
        if status == "semua" and not overdue:
            assert len(expected) == 11
        plain = Paginator(expected, 3)
        grouped = FastPaginator(selectors.live_first(qs, status, overdue), 3, deferred_from=0)
        assert grouped.count == plain.count
        for number in plain.page_range:
            assert [d.pk for d in grouped.page(number)] == list(plain.page(number))


def test_a_page_costs_the_same_queries_on_either_side_of_the_boundary(dispositions, liaison_pu, region):
    qs = selectors.inbox(liaison_pu, region.pu, "semua")
    live = qs.filter(status__in=("menunggu", "ditindaklanjuti")).count()
    assert 3 < live < 9  # page 2 of 3 rows straddles the boundary between the groups
    counts = []
    for number in (1, 2, 3, 4):
        paginator = FastPaginator(selectors.live_first(qs, "semua"), 3, deferred_from=0)
        with CaptureQueriesContext(connection) as ctx:
            rows = list(paginator.page(number))
        assert rows
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts
