"""Notices never reach staff of the agency a report accuses, nor anyone who cannot see the report:
the SLA ladder's reminders, overdue and escalated notices, and the workflow's staff notices. What
an inbox or the personal-data download already holds about such a report shows no report."""

import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from complaints import workflow
from complaints.deadlines import sweep as sla
from complaints.models import EventType, Notification
from tests.clock import at, local
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(instant):
        with time_machine.travel(instant, tick=False), django_capture_on_commit_callbacks(execute=True):
            return sla.sla_sweep()

    return run


def told(user, complaint):
    return set(Notification.objects.filter(recipient=user, complaint=complaint).values_list("template", flat=True))


def api_inbox(user):
    from rest_framework.test import APIClient

    from accounts.auth import issue_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 200
    return response


def data_download(user):
    client = Client()
    client.force_login(user)
    response = client.get("/akun/data/")
    assert response.status_code == 200
    return response


def test_escalation_of_a_report_accusing_the_inspektorat_skips_its_auditors(
    region, disposed_report, auditor, auditor_bkd, head_pu, liaison_pu, sweep
):
    report = at(local(2026, 11, 2, 10), disposed_report, privacy="rahasia", terlapor_agency=region.inspektorat)
    assert sweep(local(2026, 11, 9, 9))["reminder"] == 1
    counts = sweep(local(2026, 11, 20, 9))
    assert counts["escalated"] == 1
    # The auditors outside the accused agency and the disposed OPD's head are told; the
    # Inspektorat's own auditor hears nothing of it, at any step.
    assert EventType.ESCALATED in told(auditor_bkd, report)
    assert {EventType.OVERDUE, EventType.ESCALATED} <= told(head_pu, report)
    assert EventType.REMINDER in told(liaison_pu, report)
    assert told(auditor, report) == set()
    assert report.tracking_id not in api_inbox(auditor).content.decode()
    assert report.tracking_id not in data_download(auditor).content.decode()
    assert report.tracking_id in api_inbox(auditor_bkd).content.decode()


def test_unverified_report_whose_verification_escalates_skips_the_accused_auditors(
    region, file_report, operator, auditor, auditor_bkd, sweep
):
    report = at(local(2026, 11, 2, 12), file_report, privacy="rahasia", terlapor_agency=region.inspektorat)
    assert sweep(local(2026, 11, 20, 9))["escalated"] == 1
    assert EventType.ESCALATED in told(auditor_bkd, report)
    assert told(auditor, report) == set()
    assert report.tracking_id not in api_inbox(auditor).content.decode()


def test_no_role_carries_a_notice_to_staff_of_the_accused_agency(region, file_report, operator, auditor_bkd, sweep):
    # A BKD auditor seconded to the Inspektorat, and the head of Diskominfo on a report that
    # accuses Diskominfo (whose operators' clocks they answer for).
    seconded = make_user("dua.peran@bkd.go.id", "Dua Peran", ("auditor", region.bkd), ("liaison", region.inspektorat))
    head_kominfo = make_user("kepala@kominfo.go.id", "Kepala Kominfo", ("head", region.diskominfo))
    about_inspektorat = at(local(2026, 11, 2, 12), file_report, privacy="rahasia", terlapor_agency=region.inspektorat)
    about_kominfo = at(
        local(2026, 11, 2, 12, 5), file_report, privacy="anonim", terlapor_agency=region.diskominfo, title="Situs mati"
    )
    assert sweep(local(2026, 11, 20, 9))["escalated"] == 2
    assert told(seconded, about_inspektorat) == set()
    assert EventType.ESCALATED in told(seconded, about_kominfo)
    assert told(head_kominfo, about_kominfo) == set()
    assert told(operator, about_kominfo) == set()
    assert EventType.ESCALATED in told(auditor_bkd, about_kominfo)
    # The same holds for a report that accuses a unit: its whole organisation is the accused.
    unit_head = make_user("kepala.bm@pemda.go.id", "Kepala BM", ("head", region.bina_marga), ("auditor", region.bkd))
    about_unit = at(
        local(2026, 11, 2, 12, 10), file_report, privacy="rahasia", terlapor_agency=region.pu, title="Pungutan"
    )
    sweep(local(2026, 11, 20, 9, 30))
    assert EventType.ESCALATED in told(auditor_bkd, about_unit)
    assert told(unit_head, about_unit) == set()


def test_workflow_notices_skip_staff_of_the_accused_agency(region, file_report, operator, liaison_dinkes):
    # A Dinas Kesehatan liaison who is also head of Dinas PU: a report about Dinas PU disposed to
    # Dinas Kesehatan reaches the other liaison, not them.
    both = make_user("dua@pemda.go.id", "Dua Jabatan", ("liaison", region.dinkes), ("head", region.pu))
    report = file_report(privacy="rahasia", terlapor_agency=region.pu, category=region.health)
    workflow.verify(report.pk, by=operator, agencies=["dinkes"])
    assert EventType.DISPOSED in told(liaison_dinkes, report)
    assert told(both, report) == set()


def test_a_follower_is_not_told_about_a_report_that_became_rahasia(disposed_report, citizen, other_citizen, liaison_pu):
    report = disposed_report(privacy="umum")
    workflow.support(report.pk, by=other_citizen)
    workflow.change_privacy(report.pk, by=citizen, privacy_level="rahasia")
    d = report.dispositions.get()
    workflow.followup(report.pk, by=liaison_pu, disposition=d.pk, body="Perbaikan dijadwalkan pekan depan.")
    assert EventType.FOLLOWUP in told(citizen, report)
    assert told(other_citizen, report) == set()


def test_inbox_and_data_download_hide_reports_the_reader_cannot_see(region, file_report, auditor, auditor_bkd):
    # A notice written before these rules (or suppressed at delivery) still names its report.
    report = file_report(privacy="rahasia", terlapor_agency=region.inspektorat)
    for user in (auditor, auditor_bkd):
        Notification.objects.create(
            recipient=user,
            channel=Notification.Channel.INAPP,
            complaint=report,
            template=EventType.ESCALATED,
            audience="staff",
            subject=f"Dieskalasi: {report.tracking_id}",
            text=f"Laporan {report.tracking_id} dieskalasi.",
            sent_at=timezone.now(),
            dedup_key=f"lama:{user.pk}",
        )
    inbox = api_inbox(auditor).json()
    assert inbox["count"] == 1
    assert inbox["results"][0]["tracking_id"] is None and inbox["results"][0]["type"] == EventType.ESCALATED
    assert report.tracking_id not in json.dumps(inbox)
    exported = json.loads(data_download(auditor).content)
    assert [n["report"] for n in exported["notifications"]] == [None]
    assert report.tracking_id not in data_download(auditor).content.decode()
    # Who may see the report still reads it in full.
    assert api_inbox(auditor_bkd).json()["results"][0]["tracking_id"] == report.tracking_id
