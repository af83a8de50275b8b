"""Exactly once with a real Celery worker (docs/product.md §5): a worker process sweeping many clocks is
killed with SIGKILL in the middle, restarted, and the sweep finished. Each clock ends with one
reminder, one overdue and one escalation, and each of their emails was sent once.

The worker runs `celery -A lapor worker --pool=solo` against this test's PostgreSQL database, with
the filesystem broker and file-based email in a temporary folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from complaints import workflow
from complaints.models import Clock, ClockKind, ClockStep, EventType, Notification, StepKind
from complaints.outbox import notify
from tests.clock import local
from tests.processes import emails_in, wait_for

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


class Worker:
    """One `celery worker` process of ours, and a publisher on the same filesystem broker."""

    def __init__(self, root):
        self.root = root
        self.data = root / "data"
        self.mail = root / "mail"
        broker = self.data / "broker"
        self.options = {
            "data_folder_in": str(broker / "queue"),
            "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"),
            "control_folder": str(broker / "control"),
            "store_processed": False,
        }
        for folder in {*self.options.values()} - {False}:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self.mail.mkdir(parents=True, exist_ok=True)
        self.publisher = Celery("sla-test-publisher", broker="filesystem://")
        self.publisher.conf.broker_transport_options = self.options
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER")
        }
        self.env.update(
            DATABASE_URL=database_url(),
            DATA_DIR=str(self.data),
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(self.mail),
            SMS_BACKEND="console",
            TIME_ZONE=django_settings.TIME_ZONE,
            DB_CONN_MAX_AGE="0",
        )
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.log = self.root / f"worker-{self.starts}.log"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lapor",
                "worker",
                "--pool=solo",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
                "-n",
                f"sla-test-{os.getpid()}-{self.starts}@%h",
            ],
            cwd=str(django_settings.BASE_DIR),
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b"ready." in self.log.read_bytes(), 60, "the worker to start")

    def sweep(self, now):
        self.publisher.send_task("complaints.tasks.sla_sweep", kwargs={"now": now.isoformat()})

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def queue_empty(self):
        return not any(Path(self.options["data_folder_in"]).iterdir())

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
