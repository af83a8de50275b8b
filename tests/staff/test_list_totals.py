"""The operator's queue gives its paginator the tab's total (`selectors.tab_counts`) instead of
counting the list again, but with "overdue only", which the tabs do not count: for every tab and
filter the two agree, and the page says so."""

import pytest

from complaints.staff import selectors
from tests.staff.test_queries import make_rows

pytestmark = pytest.mark.django_db


def test_each_tab_total_is_its_list_length(file_report, operator, liaison_pu, liaison_bina_marga, region):
    make_rows(3, file_report, operator, liaison_pu, liaison_bina_marga, region)
    file_report(title="Laporan lain di kecamatan lain", kind="aspirasi")
    for filters in ({}, {"kecamatan": region.kecamatan}, {"kind": "aduan"}, {"kind": "aspirasi"}):
        counts = selectors.tab_counts(operator, filters)
        for tab in selectors.Tab.ALL:
            assert counts[tab] == selectors.operator_queue(operator, tab, filters).count(), (tab, filters)
    counts = selectors.tab_counts(operator)
    assert counts == {"belum": 4, "tunda": 3, "dikembalikan": 3, "dipantau": 6}


def test_the_page_counts_what_it_lists(client_for, file_report, operator, liaison_pu, liaison_bina_marga, region):
    make_rows(2, file_report, operator, liaison_pu, liaison_bina_marga, region)
    client = client_for(operator)
    for params in ({"tab": "dipantau"}, {"tab": "belum"}, {"tab": "dipantau", "overdue": "on"}):
        page = client.get("/petugas/", params).context["page"]
        assert (
            page.paginator.count
            == len(page.object_list)
            == (0 if "overdue" in params else 4 if params["tab"] == "dipantau" else 2)
        )
