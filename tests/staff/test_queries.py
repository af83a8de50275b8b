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


# The operator's review page: the same queries whatever the report holds ----------------------------
# The page's statements on a warm process (the reference lists read: agencies/reference.py):
# session, user, second factor and memberships; the view's transaction (two statements); the report
# and its dispositions; the timeline; the attachments, and whether there are any (the transition
# table asks); the pending terlapor change; the similar reports (the candidates, scored); the unread
# notifications of the menu.
REVIEW_QUERIES = 14


def test_review_page_queries_do_not_depend_on_the_report(
    client_for, file_report, disposed_report, operator, liaison_pu, liaison_bina_marga, citizen, region, png_upload
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.evidence import uploads
    from complaints.models import Kind, TerlaporChange

    reports = {}
    reports["new, nothing like it"] = file_report(title="Lampu taman padam", body="Lampu taman kota padam.")
    for i in range(3):
        file_report(title=f"Jalan berlubang di depan pasar {i}", kecamatan=region.kecamatan)
    reports["new, like others"] = file_report(kecamatan=region.kecamatan)
    followed = disposed_report(agencies=("dinas-pu", "dinkes"))
    pu = followed.dispositions.get(agency__slug="dinas-pu")
    workflow.subdispose(followed.pk, by=liaison_pu, disposition=pu.pk, unit="dinas-pu-bina-marga")
    unit = followed.dispositions.get(parent=pu)
    workflow.followup(followed.pk, by=liaison_bina_marga, disposition=unit.pk, body="Unit sudah meninjau.")
    reports["disposed to two, one passed to its unit"] = followed
    returned = disposed_report()
    workflow.return_disposition(
        returned.pk, by=liaison_pu, disposition=returned.dispositions.get().pk, reason="Bukan kewenangan kami."
    )
    reports["a return waiting"] = returned
    attached = disposed_report()
    for _ in range(2):
        uploads.add_attachment(attached, by=citizen, uploaded=png_upload())
    reports["with attachments"] = attached
    accused = disposed_report(agencies=("dinkes",), terlapor_agency=region.pu)
    workflow.reclassify(accused.pk, by=operator, terlapor_agency=None, terlapor_reason="Terlapor salah dipilih.")
    reports["a terlapor change waiting"] = accused
    reports["berkadar pengawasan"] = file_report(title="Pungutan liar saat mengurus KTP", category=region.pungli)
    reports["an information request without a category"] = workflow.file_complaint(
        reporter=citizen, title="Minta data anggaran jalan", body="Mohon salinan anggaran.", kind=Kind.INFORMASI
    )
    duplicate = file_report(title="Lubang di Jalan Poros")
    workflow.merge(duplicate.pk, by=operator, into=followed.tracking_id)
    reports["merged into another"] = duplicate

    op = client_for(operator)
    op.get(f"/petugas/laporan/{followed.tracking_id}/")  # the process reads the reference lists once
    counts, pages = {}, {}
    for name, c in reports.items():
        with CaptureQueriesContext(connection) as captured:
            response = op.get(f"/petugas/laporan/{c.tracking_id}/")
        assert response.status_code == 200, name
        counts[name], pages[name] = len(captured), response
    # The reports really hold what they are named after.
    assert len(pages["disposed to two, one passed to its unit"].context["dispositions"]) == 3
    assert "Bidang Bina Marga" in pages["disposed to two, one passed to its unit"].content.decode()
    assert pages["a return waiting"].context["pending_returns"]
    assert len(pages["with attachments"].context["attachments"]) == 2
    assert pages["a terlapor change waiting"].context["terlapor_change"].status == TerlaporChange.Status.PENDING
    similar = pages["new, like others"].context["similar"]
    assert [s.title for s in similar][:1] == ["Jalan berlubang di depan pasar 2"]
    assert [a.slug for a in pages["berkadar pengawasan"].context["routing"]] == ["inspektorat"]
    assert [a.slug for a in pages["an information request without a category"].context["routing"]] == ["ppid"]
    merged = pages["merged into another"]
    assert merged.context["c"].merged_into_id == followed.pk
    assert f'href="/petugas/laporan/{followed.tracking_id}/">{followed.tracking_id}</a>' in merged.content.decode()
    assert counts == dict.fromkeys(reports, REVIEW_QUERIES), counts
