"""The auditors' staff activity view: who did what, whose identity they saw, from where."""

import pytest
from django.urls import reverse

from complaints import workflow
from complaints.models import Event, IdentityAccess

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Android 10) Petugas"


def test_staff_actions_and_identity_access_record_where_they_came_from(file_report, operator, client):
    c = file_report(privacy="rahasia")
    client.force_login(operator)
    url = reverse("staff:review", kwargs={"tracking_id": c.tracking_id})
    r = client.post(url, {"action": "identity"}, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT=UA)
    assert r.status_code == 200
    access = IdentityAccess.objects.get(complaint=c, user=operator)
    assert access.client_ip == "10.1.2.3" and access.user_agent == UA
    client.post(
        url,
        {"action": "postpone", "postpone-reason": "Mohon lampirkan foto lokasi."},
        REMOTE_ADDR="10.1.2.4",
        HTTP_USER_AGENT=UA,
    )
    event = Event.objects.get(complaint=c, type="postponed")
    assert event.client_ip == "10.1.2.4" and event.user_agent == UA


def test_citizen_requests_leave_no_address(file_report, citizen, client):
    client.force_login(citizen)
    r = client.post(
        reverse("complaints:file"),
        {"title": "Lampu jalan mati", "body": "Lampu jalan mati sejak seminggu lalu di gang kami."},
        REMOTE_ADDR="10.9.9.9",
    )
    assert not Event.objects.filter(client_ip="10.9.9.9").exists()
    del r


def test_auditor_sees_activity_per_staff_member_filtered_and_exported(
    region, file_report, operator, auditor, liaison_pu, head_pu, client
):
    c = file_report(privacy="rahasia")
    client.force_login(operator)
    client.post(
        reverse("staff:review", kwargs={"tracking_id": c.tracking_id}),
        {"action": "identity"},
        REMOTE_ADDR="10.1.2.3",
    )
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.reveal(c.pk, by=auditor, reason="Pemeriksaan dugaan pungli memerlukan keterangan pelapor.")
    client.force_login(auditor)
    dashboard = client.get(reverse("dashboards:audit")).content.decode()
    assert reverse("dashboards:staff-activity") in dashboard
    page = client.get(reverse("dashboards:staff-activity"), {"staff": operator.pk})
    text = page.content.decode()
    assert page.status_code == 200
    assert c.tracking_id in text and "10.1.2.3" in text and "Diverifikasi" in text
    assert "Pemeriksaan dugaan pungli" not in text  # the auditor's reveal is not the operator's
    reveals = client.get(reverse("dashboards:staff-activity"), {"kind": "reveal"}).content.decode()
    assert "Pemeriksaan dugaan pungli" in reveals and "Diverifikasi" not in reveals
    empty = client.get(reverse("dashboards:staff-activity"), {"start": "2001-01-01", "end": "2001-01-31"})
    assert c.tracking_id not in empty.content.decode()
    assert (
        client.get(reverse("dashboards:staff-activity"), {"start": "2026-02-01", "end": "2026-01-01"}).status_code
        == 400
    )
    csv = client.get(reverse("dashboards:staff-activity-csv"), {"staff": operator.pk})
    body = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "10.1.2.3" in body and operator.email in body and c.tracking_id in body
    # Read-only, auditors only.
    for user in (operator, liaison_pu, head_pu):
        client.force_login(user)
        assert client.get(reverse("dashboards:staff-activity")).status_code == 403
        assert client.get(reverse("dashboards:staff-activity-csv")).status_code == 403


def test_auditor_never_learns_of_reports_accusing_their_agency(region, file_report, operator, auditor, client):
    c = file_report(privacy="rahasia", terlapor_agency=region.inspektorat)
    workflow.postpone(c.pk, by=operator, reason="Mohon lengkapi kronologi kejadian.")
    client.force_login(auditor)
    assert c.tracking_id not in client.get(reverse("dashboards:staff-activity")).content.decode()


def test_admin_event_list_names_the_staff_actor(file_report, operator, superadmin, client):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon lengkapi kronologi kejadian.")
    client.force_login(superadmin)
    text = client.get(reverse("admin:complaints_event_changelist")).content.decode()
    assert operator.email in text
    assert "alice@warga.id" not in text  # the reporter's own entries keep their actor hidden
