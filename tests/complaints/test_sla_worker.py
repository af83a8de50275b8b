"""Exactly once with a real Celery worker (docs/product.md §5): a worker process sweeping many clocks is
killed with SIGKILL in the middle, restarted, and the sweep finished. Each clock ends with one
reminder, one overdue and one escalation, and each of their emails was sent once.

The worker runs `celery -A lapor worker --pool=solo` against this test's PostgreSQL database, with
the filesystem broker and file-based email in a temporary folder."""

import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection

from complaints import workflow
from complaints.models import Clock, ClockKind, ClockStep, EventType, Notification, StepKind
from complaints.outbox import notify
from tests.clock import local
from tests.processes import CeleryWorker, emails_in, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a shared PostgreSQL database"),
]

REPORTS = 60
LADDER_EVENTS = [EventType.REMINDER, EventType.OVERDUE, EventType.ESCALATED]


def database_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker(CeleryWorker):
    """Our `celery worker` process on this test's PostgreSQL database, mail to files."""

    def __init__(self, root):
        self.mail = root / "mail"
        self.mail.mkdir(parents=True, exist_ok=True)
        super().__init__(
            root,
            "sla-test",
            env={
                "DATABASE_URL": database_url(),
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.mail),
                "SMS_BACKEND": "console",
                "TIME_ZONE": django_settings.TIME_ZONE,
                "DB_CONN_MAX_AGE": "0",
            },
        )

    def sweep(self, now):
        self.send("complaints.tasks.sla_sweep", now=now.isoformat())

    def emails(self):
        """[(to, subject)] of every email the worker (and the final flush) wrote."""
        return emails_in(self.mail)


def steps(kind):
    return ClockStep.objects.filter(step=kind).count()


def test_a_worker_killed_mid_sweep_and_restarted_does_each_step_once(
    region, citizen, operator, liaison_pu, head_pu, auditor, tmp_path, settings
):
    with time_machine.travel(local(2026, 11, 2, 10), tick=False):  # Monday: follow-up due Monday 9 November
        for i in range(REPORTS):
            c = workflow.file_complaint(
                reporter=citizen,
                title=f"Jalan berlubang nomor {i}",
                body="Lubang besar di Jalan Poros, sudah dua minggu.",
                category=region.roads,
            )
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    worker = Worker(tmp_path)
    try:
        for now, kinds in (
            (local(2026, 11, 7, 8), [StepKind.REMINDER]),
            (local(2026, 11, 13, 8), [StepKind.OVERDUE, StepKind.ESCALATED]),
        ):
            worker.start()
            worker.sweep(now)
            wait_for(lambda kinds=kinds: steps(kinds[-1]) >= 10, 120, "the sweep to begin")
            worker.kill()
            done = steps(kinds[-1])
            assert done < REPORTS, "the sweep finished before the kill: raise REPORTS"
            time.sleep(0.5)
            assert steps(kinds[-1]) == done  # nothing more happened after the kill

            worker.start()  # the beat sends the next sweep; the restarted worker finishes the work
            worker.sweep(now)
            wait_for(lambda kinds=kinds: all(steps(k) == REPORTS for k in kinds), 180, "the sweep to finish")
            wait_for(worker.queue_empty, 120, "the deliveries queued by the sweep")
            worker.stop()

        # Deliveries lost with the killed worker's prefetched message wait in the outbox; the beat's
        # flush_outbox sends them. Do it here, into the same mail folder.
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = str(worker.mail)
        notify.flush_outbox(older_than_seconds=0)
    finally:
        worker.stop()

    clocks = Clock.objects.filter(kind=ClockKind.FOLLOWUP)
    assert clocks.count() == REPORTS
    for clock in clocks:
        s = {row.step: row for row in clock.steps.all()}
        assert sorted(s) == sorted([StepKind.REMINDER, StepKind.OVERDUE, StepKind.ESCALATED])
        assert not any(row.skipped for row in s.values()) and all(row.event_id for row in s.values())
    rows = list(Notification.objects.filter(channel="email", event__type__in=LADDER_EVENTS).select_related("recipient"))
    # Reminder to the liaison, overdue to the head and the operator, escalation to the head and the auditor.
    assert len(rows) == REPORTS * 5
    assert all(n.sent_at for n in rows)
    sent = worker.emails()
    assert len(sent) == len(rows)
    assert sorted(sent) == sorted((n.recipient.email, n.subject) for n in rows)
    assert len(set(sent)) == len(sent)  # one email each
