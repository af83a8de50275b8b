"""A monthly PDF requested while the broker is down is not left "Menunggu" forever: beat's retry
builds it once it is a minute old, once."""

import datetime
from datetime import timedelta

import pytest
import time_machine
from kombu.exceptions import OperationalError
from pypdf import PdfReader

from complaints import tasks
from complaints.dashboards import monthly_report
from complaints.models import MonthlyReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """The broker refuses every message (the outside world; the database is real)."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.build_monthly_report, "delay", refuse)


def test_a_request_made_while_the_broker_was_down_is_built_by_the_retry(
    november, auditor, region, broker_down, django_capture_on_commit_callbacks
):
    asked = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(asked, tick=False), django_capture_on_commit_callbacks(execute=True):
        report = monthly_report.request_report(by=auditor, month=datetime.date(2026, 11, 1), agency=region.pu)
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.PENDING  # its task never left

    # Half a minute later its own task may still be on the way: the retry leaves it alone.
    with time_machine.travel(asked + timedelta(seconds=30), tick=False):
        assert tasks.retry_monthly_reports.delay().get() == 0
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.PENDING

    with time_machine.travel(asked + timedelta(minutes=2), tick=False):
        assert tasks.retry_monthly_reports.delay().get() == 1
        assert tasks.retry_monthly_reports.delay().get() == 0  # built once
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.DONE and report.finished_at
    text = "\n".join(p.extract_text() for p in PdfReader(report.file.open("rb")).pages)
    assert "Dinas PU" in text
    # The task that finally arrives after the broker came back finds it built.
    assert tasks.build_monthly_report(report.pk) is None


def test_the_retry_leaves_built_and_failed_requests_alone(november, auditor, region):
    old = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(old, tick=False):
        done = MonthlyReport.objects.create(month=datetime.date(2026, 11, 1), requested_by=auditor)
        failed = MonthlyReport.objects.create(month=datetime.date(2026, 11, 1), requested_by=auditor)
    MonthlyReport.objects.filter(pk=done.pk).update(status=MonthlyReport.Status.DONE)
    MonthlyReport.objects.filter(pk=failed.pk).update(status=MonthlyReport.Status.FAILED, error="disk full")
    assert monthly_report.retry_pending() == 0
    assert MonthlyReport.objects.get(pk=failed.pk).status == MonthlyReport.Status.FAILED


def test_beat_runs_the_retry(settings):
    from lapor.celery import app

    app.finalize(auto=True)
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["complaints.tasks.retry_monthly_reports"] == settings.OUTBOX_RETRY_INTERVAL
