"""TPP sanction recommendations through the API (docs/product.md §5, §8), on complaints.deadlines.sanctions."""

from datetime import date

import pytest

from accounts.models import Membership, Role
from complaints.models import Sanction
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def recommendations(region, disposed_report):
    # Evidence names a real report (one the auditors may read): a reader sees only those.
    report = disposed_report(privacy="umum")
    evidence = [{"tracking_id": report.tracking_id, "clock_kind": "followup", "days_late": 4, "people": []}]
    return {
        "pu": Sanction.objects.create(agency=region.pu, month=date(2026, 3, 1), evidence=evidence),
        "dinkes": Sanction.objects.create(agency=region.dinkes, month=date(2026, 3, 1), evidence=[]),
        "pu_feb": Sanction.objects.create(agency=region.pu, month=date(2026, 2, 1), evidence=[]),
        "inspektorat": Sanction.objects.create(agency=region.inspektorat, month=date(2026, 3, 1), evidence=[]),
    }


def test_auditor_reads_a_month(recommendations, auditor, client_for):
    r = client_for(auditor).get("/api/v1/sanctions/?month=2026-03")
    assert r.status_code == 200
    rows = r.json()
    assert {row["agency"] for row in rows} == {"dinas-pu", "dinkes", "inspektorat"}
    pu = next(row for row in rows if row["agency"] == "dinas-pu")
    assert pu["month"] == "2026-03" and pu["status"] == "recommended" and pu["days_late"] == 4
    assert [e["tracking_id"] for e in pu["evidence"]] == [recommendations["pu"].evidence[0]["tracking_id"]]
    assert {"id", "agency", "month", "status", "evidence"} <= set(pu)


def test_head_reads_only_their_agency(recommendations, head_pu, client_for):
    rows = client_for(head_pu).get("/api/v1/sanctions/").json()
    assert sorted(row["month"] for row in rows) == ["2026-02", "2026-03"]
    assert {row["agency"] for row in rows} == {"dinas-pu"}


def test_others_may_not_read(recommendations, citizen, liaison_pu, client_for, api):
    assert client_for(citizen).get("/api/v1/sanctions/").status_code == 403
    assert client_for(liaison_pu).get("/api/v1/sanctions/").status_code == 403
    assert api.get("/api/v1/sanctions/").status_code == 401


def test_bad_month_is_400(recommendations, auditor, client_for):
    r = client_for(auditor).get("/api/v1/sanctions/?month=maret")
    assert r.status_code == 400 and "month" in r.json()


def test_confirm_and_waive(recommendations, auditor, auditor_bkd, client_for):
    pu, dinkes = recommendations["pu"], recommendations["dinkes"]
    client = client_for(auditor)
    r = client.post(f"/api/v1/sanctions/{pu.pk}/confirm/", {"reason": "pendek"}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = client.post(f"/api/v1/sanctions/{pu.pk}/confirm/", {"reason": "Bukti eskalasi lengkap dan sah."}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert r.json()["decision_reason"] == "Bukti eskalasi lengkap dan sah."
    again = client_for(auditor_bkd).post(
        f"/api/v1/sanctions/{pu.pk}/waive/", {"reason": "Keterlambatan karena gangguan sistem."}, format="json"
    )
    assert again.status_code == 409
    r = client_for(auditor_bkd).post(
        f"/api/v1/sanctions/{dinkes.pk}/waive/", {"reason": "Keterlambatan karena gangguan sistem."}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "waived"
    assert Sanction.objects.get(pk=dinkes.pk).decided_by == auditor_bkd


def test_decisions_refused(recommendations, auditor, head_pu, region, client_for):
    # Never one's own agency: the Inspektorat's auditor does not decide the Inspektorat's sanction.
    own = recommendations["inspektorat"]
    r = client_for(auditor).post(
        f"/api/v1/sanctions/{own.pk}/confirm/", {"reason": "Bukti eskalasi lengkap."}, format="json"
    )
    assert r.status_code == 403
    r = client_for(head_pu).post(
        f"/api/v1/sanctions/{recommendations['pu'].pk}/confirm/", {"reason": "Bukti eskalasi lengkap."}, format="json"
    )
    assert r.status_code == 403
    # An observer reads, never decides.
    from agencies.models import Agency, AgencyKind

    ombudsman = Agency.objects.create(slug="ombudsman", name="Ombudsman", kind=AgencyKind.OBSERVER)
    observer = make_user("pengamat@ombudsman.go.id", "Pengamat", (Role.AUDITOR, ombudsman))
    assert client_for(observer).get("/api/v1/sanctions/").status_code == 200
    r = client_for(observer).post(
        f"/api/v1/sanctions/{recommendations['pu'].pk}/waive/", {"reason": "Bukti eskalasi lengkap."}, format="json"
    )
    assert r.status_code == 403
    assert Membership.objects.filter(user=observer).count() == 1


def test_missing_and_not_visible_are_404(recommendations, head_pu, auditor, client_for):
    dinkes = recommendations["dinkes"]
    r = client_for(head_pu).post(
        f"/api/v1/sanctions/{dinkes.pk}/clarify/", {"clarification": "Penghubung sedang cuti sakit."}, format="json"
    )
    missing = client_for(head_pu).post(
        "/api/v1/sanctions/999999/clarify/", {"clarification": "Penghubung sedang cuti sakit."}, format="json"
    )
    assert r.status_code == missing.status_code == 404 and r.json() == missing.json()
    huge = client_for(auditor).post(
        f"/api/v1/sanctions/{2**70}/confirm/", {"reason": "Bukti eskalasi lengkap."}, format="json"
    )
    assert huge.status_code == 404


def test_head_clarifies_once(recommendations, head_pu, client_for):
    pu = recommendations["pu"]
    client = client_for(head_pu)
    r = client.post(
        f"/api/v1/sanctions/{pu.pk}/clarify/", {"clarification": "Penghubung sedang cuti sakit."}, format="json"
    )
    assert r.status_code == 200 and r.json()["clarification"] == "Penghubung sedang cuti sakit."
    r = client.post(
        f"/api/v1/sanctions/{pu.pk}/clarify/", {"clarification": "Penghubung sedang cuti sakit."}, format="json"
    )
    assert r.status_code == 409
