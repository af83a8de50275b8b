"""A sanction's evidence names reports: every surface shows a reader only the evidence items about
reports they may see, and counts the others, so an agency's failures all count without a rahasia
report's tracking id reaching the auditors of the agency it accuses."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.auth import issue_token
from complaints.deadlines import sanctions
from complaints.deadlines import sweep as sla

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)


def local(*args):
    return timezone.make_aware(datetime(*args))


def at(instant, fn, *args, **kwargs):
    with time_machine.travel(instant, tick=False):
        return fn(*args, **kwargs)


def web(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


@pytest.fixture
def pu_sanction(region, disposed_report, liaison_pu, head_pu, auditor, auditor_bkd):
    """Dinas PU's November recommendation: an umum report and a rahasia report that accuses the
    Inspektorat, both escalated."""
    r = type("Case", (), {})()
    r.open = at(local(2026, 11, 2, 10), disposed_report, privacy="umum")
    r.secret = at(
        local(2026, 11, 2, 10, 5),
        disposed_report,
        privacy="rahasia",
        terlapor_agency=region.inspektorat,
        title="Pemeriksa meminta uang",
    )
    with time_machine.travel(local(2026, 11, 20, 9), tick=False):
        sla.sla_sweep()
    built = sanctions.build_month(NOVEMBER, now=local(2026, 12, 1, 6))
    r.sanction = next(s for s in built["created"] if s.agency_id == region.pu.pk)
    assert sorted(e["tracking_id"] for e in r.sanction.evidence) == sorted([r.open.tracking_id, r.secret.tracking_id])
    r.days_late = sanctions.days_late(r.sanction)
    assert r.days_late > 0
    return r


def test_detail_page_hides_the_accused_agencys_report_and_counts_it(pu_sanction, auditor, auditor_bkd):
    s = pu_sanction
    page = web(auditor).get(f"/audit/sanksi/{s.sanction.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert s.secret.tracking_id not in html
    assert s.open.tracking_id in html
    assert "+1 laporan yang tidak dapat Anda lihat" in html
    assert page.context["s"].evidence_count == 2 and page.context["s"].days_late_total == s.days_late
    # An auditor outside the accused agency sees both items.
    html = web(auditor_bkd).get(f"/audit/sanksi/{s.sanction.pk}/").content.decode()
    assert s.secret.tracking_id in html and "laporan yang tidak dapat Anda lihat" not in html


def test_decision_and_clarification_pages_hide_it_too(pu_sanction, auditor, head_pu):
    s = pu_sanction
    # The Inspektorat auditor may decide on Dinas PU; the form shown again after an error.
    page = web(auditor).post(f"/audit/sanksi/{s.sanction.pk}/keputusan/", {"decision": "confirm", "reason": "x"})
    assert page.status_code == 400
    assert s.secret.tracking_id not in page.content.decode()
    assert s.open.tracking_id in page.content.decode()
    # The head of the disposed OPD reads both reports: nothing is hidden from them.
    head = web(head_pu).post(f"/audit/sanksi/{s.sanction.pk}/klarifikasi/", {"clarification": "x"})
    assert head.status_code == 400 and s.secret.tracking_id in head.content.decode()
    assert (
        web(head_pu)
        .post(f"/audit/sanksi/{s.sanction.pk}/klarifikasi/", {"clarification": "Petugas sedang cuti sakit bulan itu."})
        .status_code
        == 302
    )
    page = web(auditor).get(f"/audit/sanksi/{s.sanction.pk}/")
    assert "Petugas sedang cuti sakit" in page.content.decode()
    assert s.secret.tracking_id not in page.content.decode()


def test_api_lists_only_visible_evidence_with_full_counts(pu_sanction, auditor, auditor_bkd):
    s = pu_sanction
    response = api(auditor).get("/api/v1/sanctions/?month=2026-11")
    assert response.status_code == 200
    assert s.secret.tracking_id not in response.content.decode()
    row = next(r for r in response.json() if r["id"] == s.sanction.pk)
    assert [e["tracking_id"] for e in row["evidence"]] == [s.open.tracking_id]
    assert (row["evidence_count"], row["hidden_evidence"], row["days_late"]) == (2, 1, s.days_late)
    # The decision's answer as well.
    decided = api(auditor).post(
        f"/api/v1/sanctions/{s.sanction.pk}/confirm/", {"reason": "Bukti eskalasi lengkap dan sah."}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    assert s.secret.tracking_id not in decided.content.decode()
    assert decided.json()["hidden_evidence"] == 1
    row = next(r for r in api(auditor_bkd).get("/api/v1/sanctions/?month=2026-11").json() if r["id"] == s.sanction.pk)
    assert sorted(e["tracking_id"] for e in row["evidence"]) == sorted([s.open.tracking_id, s.secret.tracking_id])
    assert row["hidden_evidence"] == 0


def test_payroll_exports_carry_no_report_and_count_every_item(pu_sanction, auditor, auditor_bkd):
    s = pu_sanction
    sanctions.confirm(s.sanction.pk, auditor_bkd, "Bukti eskalasi lengkap dan sah.")
    client = web(auditor)
    data = client.get("/audit/sanksi/ekspor.csv?bulan=2026-11").content
    assert s.secret.tracking_id.encode() not in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert {(r[0], r[2], r[3]) for r in rows[1:]} == {("Dinas PU", "2", str(s.days_late))}
    sheet = load_workbook(io.BytesIO(client.get("/audit/sanksi/ekspor.xlsx?bulan=2026-11").content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert s.secret.tracking_id not in [str(c) for c in cells]
    assert 2 in cells
