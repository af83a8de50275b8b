"""From the demo region (`seed_demo`, then `sla_sweep`), the auditor sees a full dashboard, the
public a scoreboard, and every export opens."""

import io
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from accounts.models import Membership, Role
from complaints.models import MonthlyReport

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_region_fills_the_dashboards(settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--password", "demo-sandi-123", stdout=StringIO())
    call_command("sla_sweep", stdout=StringIO())
    cache.clear()
    auditor = Membership.objects.filter(role=Role.AUDITOR, agency__kind="inspektorat").first().user
    c = Client()
    c.force_login(auditor)
    r = c.get("/audit/")
    assert r.status_code == 200
    rows = r.context["rows"]
    assert len(rows) >= 6
    assert sum(row.counts["total"] for row in rows) > 0
    assert any(row.on_time + row.late for row in rows)
    assert any(row.median is not None for row in rows)
    assert r.context["totals"][0][2] > 0
    public = Client().get("/statistik/")
    assert public.status_code == 200 and public.context["data"]["scoreboard"]
    for url in ("/audit/ekspor.xlsx", "/audit/laporan/ekspor.xlsx", "/statistik/ekspor.xlsx"):
        wb = load_workbook(io.BytesIO(b"".join(c.get(url).streaming_content)), read_only=True)
        assert len(list(wb.worksheets[0].iter_rows(values_only=True))) >= 2
    assert c.get("/audit/laporan/ekspor.csv").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post("/audit/laporan-bulanan/", {"bulan": r.context["f"].end.strftime("%Y-%m")}).status_code == 302
    report = MonthlyReport.objects.get()
    assert report.status == MonthlyReport.Status.DONE
    assert c.get(f"/audit/laporan-bulanan/{report.pk}/unduh/").status_code == 200
