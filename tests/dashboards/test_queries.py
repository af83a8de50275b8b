"""Every dashboard page and export costs the same number of queries for one agency and one report
as for many (all figures are grouped SQL aggregates; docs/architecture.md, "Tests")."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies import calendar
from agencies.models import Agency, AgencyKind
from complaints import workflow

pytestmark = pytest.mark.django_db
BOUND = 40

PAGES = [
    ("auditor", "/audit/", {}),
    ("auditor", "/audit/", {"opd": "dinas-pu", "kategori": "jalan"}),
    ("auditor", "/audit/laporan/", {"metrik": "total"}),
    ("auditor", "/audit/laporan/", {"metrik": "late", "opd": "dinas-pu"}),
    ("auditor", "/audit/ekspor.csv", {"tabel": "opd"}),
    ("auditor", "/audit/ekspor.xlsx", {}),
    ("auditor", "/audit/laporan/ekspor.csv", {"metrik": "total"}),
    ("head_pu", "/audit/", {}),
    ("head_pu", "/opd/pimpinan/", {}),
    ("operator", "/petugas/beban-kerja/", {}),
    (None, "/statistik/", {}),
    (None, "/statistik/ekspor.xlsx", {}),
]


def fresh_cache():
    """No cached statistics; the holiday calendar (cached across requests by design) loaded, and
    its version written again to the emptied cache — else a request that starts more than
    `calendar.RECHECK_SECONDS` later (a loaded machine) would find no version and reload it."""
    cache.clear()
    calendar.invalidate()
    calendar.is_working_day(datetime.date(2026, 1, 1))


def add_reports(n, file_report, operator, liaison_pu, region, agencies):
    for i in range(n):
        c = file_report(
            title=f"Laporan nomor {i}", kecamatan=region.kecamatan, privacy=("umum", "anonim", "rahasia")[i % 3]
        )
        slugs = ["dinas-pu", agencies[i % len(agencies)].slug] if agencies else ["dinas-pu"]
        workflow.verify(c.pk, by=operator, agencies=slugs)
        if i % 2:
            d = c.dispositions.get(agency__slug="dinas-pu")
            workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah kami tangani segera.")


def test_dashboard_queries_do_not_grow(
    request,
    client_for,
    client,
    file_report,
    operator,
    liaison_pu,
    head_pu,
    auditor,
    region,
    django_assert_max_num_queries,
):
    clients = {
        "auditor": client_for(auditor),
        "head_pu": client_for(head_pu),
        "operator": client_for(operator),
        None: client,
    }

    def measure():
        counts = []
        for who, url, params in PAGES:
            fresh_cache()
            with CaptureQueriesContext(connection) as ctx:
                r = clients[who].get(url, params)
                assert r.status_code == 200, (url, params, r.status_code)
                if r.streaming:
                    b"".join(r.streaming_content)
            counts.append(len(ctx.captured_queries))
        return counts

    add_reports(1, file_report, operator, liaison_pu, region, [])
    few = measure()
    more = [
        Agency.objects.create(slug=f"dinas-{i}", name=f"Dinas Contoh {i}", short_name=f"Dinas {i}", kind=AgencyKind.OPD)
        for i in range(8)
    ]
    add_reports(30, file_report, operator, liaison_pu, region, more)
    many = measure()
    for (_who, url, params), a, b in zip(PAGES, few, many, strict=True):
        assert b <= a, f"{url} {params}: {a} queries with one report, {b} with many"
    for who, url, params in PAGES:
        fresh_cache()
        with django_assert_max_num_queries(BOUND):
            r = clients[who].get(url, params)
            if r.streaming:
                b"".join(r.streaming_content)
