"""The staff lists cost the same number of queries for 1 row as for 50 (docs/architecture.md: selectors join and
prefetch; no N+1 in a template)."""

import pytest

from complaints import workflow

pytestmark = pytest.mark.django_db

# Queries per page, whatever the number of rows (the head's page reads whether the dashboard
# rollups are built before computing its panel from the reports: one more than the lists).
BOUND = 26


def make_rows(n, file_report, operator, liaison_pu, liaison_bina_marga, region):
    """n reports in each state a staff list shows: unverified, tunda, returned, disposed (some
    followed up, some sub-disposed to a unit), with attachments-free defaults."""
    for i in range(n):
        file_report(title=f"Laporan belum diverifikasi {i}", kecamatan=region.kecamatan)
        tunda = file_report(title=f"Laporan tunda {i}")
        workflow.postpone(tunda.pk, by=operator, reason="Mohon lengkapi lokasinya.")
        returned = file_report(title=f"Laporan dikembalikan {i}")
        workflow.verify(returned.pk, by=operator, agencies=["dinas-pu", "dinkes"])
        d = returned.dispositions.get(agency__slug="dinas-pu")
        workflow.return_disposition(returned.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami.")
        disposed = file_report(title=f"Laporan didisposisikan {i}")
        workflow.verify(disposed.pk, by=operator, agencies=["dinas-pu"])
        d = disposed.dispositions.get()
        if i % 2:
            workflow.followup(disposed.pk, by=liaison_pu, disposition=d.pk, body="Sedang kami tangani.")
        else:
            workflow.subdispose(disposed.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
            child = disposed.dispositions.get(parent=d)
            workflow.followup(disposed.pk, by=liaison_bina_marga, disposition=child.pk, body="Unit sudah meninjau.")


PAGES = [
    ("operator", "/petugas/", {"tab": "belum"}),
    ("operator", "/petugas/", {"tab": "tunda"}),
    ("operator", "/petugas/", {"tab": "dikembalikan"}),
    ("operator", "/petugas/", {"tab": "dipantau"}),
    ("operator", "/petugas/", {"tab": "belum", "kecamatan": "__kecamatan__", "overdue": "", "kind": "aduan"}),
    ("liaison_pu", "/opd/", {}),
    ("liaison_pu", "/opd/", {"status": "semua"}),
    ("head_pu", "/opd/pimpinan/", {}),
]


def test_list_queries_do_not_grow(
    request,
    client_for,
    file_report,
    operator,
    liaison_pu,
    liaison_bina_marga,
    head_pu,
    region,
    django_assert_max_num_queries,
):
    clients = {who: client_for(request.getfixturevalue(who)) for who in {who for who, _url, _params in PAGES}}

    def measure():
        counts = {}
        for who, url, params in PAGES:
            params = {k: (region.kecamatan.pk if v == "__kecamatan__" else v) for k, v in params.items()}
            client = clients[who]
            client.get(url, params)  # warm the holiday calendar cache
            with django_assert_max_num_queries(BOUND) as captured:
                response = client.get(url, params)
            assert response.status_code == 200
            counts[(url, str(params))] = (len(captured), len(response.context["rows"]))
        return counts

    make_rows(1, file_report, operator, liaison_pu, liaison_bina_marga, region)
    one = measure()
    assert all(rows >= 1 for _queries, rows in one.values())
    make_rows(49, file_report, operator, liaison_pu, liaison_bina_marga, region)
    fifty = measure()
    assert all(rows == 25 for _queries, rows in fifty.values())  # a full page everywhere
    assert {k: q for k, (q, _rows) in fifty.items()} == {k: q for k, (q, _rows) in one.items()}
