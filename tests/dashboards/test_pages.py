"""The dashboard pages over HTTP: who may open them, what they show, bad input, privacy of the
drill-down, the logged reveal, and the public statistics page."""

import re

import pytest
from django.core.cache import cache

from complaints.models import IdentityAccess

pytestmark = pytest.mark.django_db


def test_audit_dashboard_is_for_auditors_and_heads(client, client_for, citizen, liaison_pu, operator, auditor, head_pu):
    assert client.get("/audit/").status_code == 302
    for user in (citizen, liaison_pu, operator):
        assert client_for(user).get("/audit/").status_code == 403
        assert client_for(user).get("/audit/laporan/").status_code == 403
        assert client_for(user).get("/audit/ekspor.csv").status_code == 403
        assert client_for(user).get("/audit/laporan-bulanan/").status_code == 403
    assert client_for(auditor).get("/audit/").status_code == 200
    assert client_for(head_pu).get("/audit/").status_code == 200


def test_auditor_dashboard_shows_the_figures_and_links(november, client_for, auditor, now):
    html = client_for(auditor).get("/audit/").content.decode()
    assert 'placeholder="mis. 2026-11"' in html and "YYYY" not in html  # the month filters' hint
    assert re.search(r"Diperbarui \d+ \w+ \d{4} \d\d:\d\d WIB", html)
    for header in ("Pengaduan", "Belum Terverifikasi", "Belum Ditindaklanjuti", "Proses", "Selesai", "Tunda", "Arsip"):
        assert f">{header}</th>" in html
    pu_row = re.search(r'<th scope="row">Dinas PU</th>(.*?)</tr>', html, re.S).group(1)
    assert "60,0%" in pu_row and "4,5" in pu_row and "33,3%" in pu_row  # Indonesian decimals
    assert "metrik=overdue&amp;opd=dinas-pu" in pu_row
    # Charts are inline SVG with a title, and their numbers are in a table.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert 'role="img"' in html and '<title id="audit-filed-t">' in html
    assert "<script" not in html
    # One table of the months under both trend charts, not one per chart.
    assert html.count("<caption>Angka grafik per bulan</caption>") == 1
    trend = html.split('id="audit-trend-table"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">Pengaduan</th><th scope="col">Tepat waktu (%)</th>' in trend
    assert trend.count('<th scope="row">Nov 2026</th>') == 1 and html.count('<th scope="row">Nov 2026</th>') == 1


def test_head_sees_only_their_own_agency(november, client_for, head_pu, now):
    c = client_for(head_pu)
    html = c.get("/audit/").content.decode()
    assert "Dinas PU" in html and "Dinas Kesehatan" not in html
    assert c.get("/audit/", {"opd": "dinkes"}).status_code == 400
    listing = c.get("/audit/laporan/", {"metrik": "total"}).content.decode()
    assert november.a.tracking_id in listing and november.e.tracking_id in listing
    for other in (november.g, november.h, november.i, november.j):
        assert other.tracking_id not in listing
    # The head's own page carries the OPD's dashboard panel.
    head_page = c.get("/opd/pimpinan/").content.decode()
    assert "Dasbor OPD" in head_page and "4,5" in head_page and "60,0%" in head_page


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"dari": "2026-13"}, id="month-13"),
        pytest.param({"sampai": "kemarin"}, id="month-not-a-date"),
        pytest.param({"dari": "2026-11", "sampai": "2026-01"}, id="from-after-to"),
        pytest.param({"dari": "2020-01", "sampai": "2026-01"}, id="range-too-long"),
        pytest.param({"kategori": "tidak-ada"}, id="unknown-category"),
        pytest.param({"kecamatan": "99"}, id="unknown-kecamatan"),
        pytest.param({"jenis": "keluhan"}, id="unknown-kind"),
        pytest.param({"opd": "tidak-ada"}, id="unknown-opd"),
    ],
)
def test_bad_filters_are_a_clear_400(client_for, auditor, params):
    c = client_for(auditor)
    r = c.get("/audit/", params)
    assert r.status_code == 400 and "Periksa kembali isian Anda." in r.content.decode()
    assert c.get("/audit/laporan/", params).status_code == 400
    assert c.get("/audit/ekspor.csv", params).status_code == 400
    assert c.get("/audit/laporan/ekspor.xlsx", params).status_code == 400
    assert c.get(
        "/statistik/", {k: v for k, v in params.items() if k in ("dari", "sampai", "kategori", "jenis")}
    ).status_code in (
        400,
        200,  # the public form has no opd/kecamatan filters: those parameters are ignored
    )


def test_bad_metric_and_table_are_400(client_for, auditor):
    c = client_for(auditor)
    assert c.get("/audit/laporan/", {"metrik": "gaji"}).status_code == 400
    assert c.get("/audit/ekspor.csv", {"tabel": "gaji"}).status_code == 400
    assert c.get("/statistik/ekspor.csv", {"tabel": "gaji"}).status_code == 400
    assert c.get("/statistik/", {"dari": "2026-99"}).status_code == 400
    assert c.get("/petugas/beban-kerja/", {"bulan": "x"}).status_code in (400, 403)


def test_drilldown_never_shows_identities(november, client_for, auditor, citizen, now):
    html = client_for(auditor).get("/audit/laporan/", {"metrik": "total", "opd": "dinas-pu"}).content.decode()
    assert november.b.tracking_id in html  # the anonim report is listed …
    assert citizen.email not in html and citizen.full_name not in html  # … without its reporter
    assert f"/audit/laporan/{november.b.tracking_id}/identitas/" in html


def test_reveal_from_the_drilldown_is_logged(november, client_for, auditor, head_pu, citizen, now):
    url = f"/audit/laporan/{november.b.tracking_id}/identitas/"
    c = client_for(auditor)
    page = c.get(url).content.decode()
    assert citizen.email not in page
    assert c.post(url, {"reason": "pendek"}).status_code == 400
    assert not IdentityAccess.objects.exists()
    r = c.post(url, {"reason": "Pemeriksaan dugaan pungli oleh Inspektorat."})
    assert r.status_code == 200 and citizen.email in r.content.decode()
    access = IdentityAccess.objects.get()
    assert access.user == auditor and access.kind == IdentityAccess.Kind.REVEAL
    # A head may not reveal.
    assert client_for(head_pu).post(url, {"reason": "Ingin tahu siapa pelapornya."}).status_code == 403
    assert IdentityAccess.objects.count() == 1


def test_public_statistics_page(november, client, now):
    cache.clear()
    r = client.get("/statistik/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Papan kinerja OPD" in html and "Dinas PU" in html and "&lt; 5" in html
    assert "<script" not in html and "<svg" in html
    # The chart's months and the other figures of the same months in one table.
    assert html.count("<caption>Angka grafik per bulan</caption>") == 1
    assert html.count('<th scope="row">Nov 2026</th>') == 1
    trend = html.split('id="public-trend-table"', 1)[1].split("</table>", 1)[0]
    for heading in ("Pengaduan", "Selesai", "Tepat waktu (%)"):
        assert f'<th scope="col">{heading}</th>' in trend
    # Nothing the public may not see: no titles at all, no reporter, no unverified report.
    for c in (november.e, november.i, november.j, november.a):
        assert c.title not in html and c.tracking_id not in html
    assert "alice" not in html.lower()


def test_public_statistics_are_cached_by_filters(november, client, disposed_report, now, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()

    def pu_total(params=None):
        html = client.get("/statistik/", params or {}).content.decode()
        board = re.search(r'<th scope="row">Dinas PU</th><td class="num">([^<]*)</td>', html)
        return board.group(1)

    def published(params=None):
        html = client.get("/statistik/", params or {}).content.decode()
        return re.search(r'<ul class="stats"><li><strong>([^<]*)</strong>', html).group(1)

    # Unfiltered, Dinas PU's count is hidden ("≥ 5": it would give away Dinkes' "< 5"); the
    # published total shows the cache at work.
    assert pu_total() == "≥ 5" and published() == "8"
    disposed_report(title="Laporan baru setelah halaman disimpan")
    assert published() == "8"  # the cached figures, for a few minutes
    assert pu_total({"kategori": "jalan"}) == "7"  # other filters: another key, fresh figures
    assert pu_total({"kategori": "kesehatan"}) == "0"
    cache.clear()
    assert published() == "9"


def test_operator_workload(november, client_for, operator, liaison_pu, now):
    assert client_for(liaison_pu).get("/petugas/beban-kerja/").status_code == 403
    r = client_for(operator).get("/petugas/beban-kerja/")
    assert "Bulan (mis. 2026-11)" in r.content.decode()
    assert r.status_code == 200
    w = r.context["waiting"]
    assert (w["unverified"], w["unverified_overdue"], w["returned"], w["returned_overdue"], w["opd_overdue"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    (row,) = r.context["per_operator"]
    # Seven reports verified in November (H was verified in September), one archived.
    assert row["name"] == operator.full_name and row["verified"] == 7 and row["archived"] == 1
    assert client_for(operator).get("/petugas/beban-kerja/", {"bulan": "2026-13"}).status_code == 400


def test_auditor_workspace_leads_to_the_dashboard(client_for, auditor):
    r = client_for(auditor).get("/petugas/ruang-kerja/")
    assert r.status_code == 302 and r["Location"] == "/audit/"


def test_pages_speak_english_too(november, client_for, auditor, client, now):
    cache.clear()
    html = client.get("/statistik/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Agency scoreboard" in html and "Complaint statistics" in html
    html = client_for(auditor).get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Audit dashboard" in html and "Median first response (working days)" in html


def test_home_and_statistics_say_why_their_counts_differ(client, disposed_report):
    """The home page counts public reports, /statistik/ every verified one (rahasia too): each
    says so, so "1 laporan publik" next to a statistics total of 2 is not a contradiction."""
    cache.clear()
    disposed_report(privacy="umum")
    disposed_report(privacy="rahasia")
    home = client.get("/").content.decode()
    assert "1 laporan publik" in home
    note = home.split('id="count-note"', 1)[1].split("</p>", 1)[0]
    assert "hanya menghitung laporan publik" in note and "termasuk laporan rahasia" in note
    assert 'href="/statistik/"' in note
    stats = client.get("/statistik/").content.decode()
    note = stats.split('id="count-note"', 1)[1].split("</p>", 1)[0]
    assert "termasuk laporan rahasia" in note and "beranda hanya menghitung laporan publik" in note
