"""The Celery app (`celery -A lapor worker` / `beat`). On the embedded default the broker is
kombu's filesystem transport, whose folders must exist before the worker starts."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

# "filesystem://" (the embedded default) uses the crash-safe variant of kombu's transport.
TRANSPORT_ALIASES["filesystem"] = "lapor.broker:Transport"

app = Celery("lapor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _ensure_broker_folders():
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


_ensure_broker_folders()
app.autodiscover_tasks()


@worker_ready.connect
def first_heartbeat(**kwargs):
    """The worker reports itself at once for each queue it consumes (all three without -Q):
    /healthz needs no wait for beat's first round (30 s)."""
    from django.conf import settings

    from lapor.tasks import heartbeat

    for queue in app.amqp.queues.consume_from:
        if queue in settings.TASKS_BY_QUEUE:
            heartbeat(queue)


@app.on_after_finalize.connect
def setup_periodic_tasks(sender, **kwargs):
    from django.conf import settings

    def every(when, task, name, **options):
        sender.add_periodic_task(when, sender.signature(task), name=name, **options)

    retry = settings.OUTBOX_RETRY_INTERVAL
    every(retry, "complaints.tasks.flush_outbox", "flush-outbox")
    # SMS replies whose task was never queued (broker down at receipt) or gave up wait in their
    # InboundSms row; the same retry interval sends them, once.
    every(retry, "complaints.tasks.flush_sms_replies", "flush-sms-replies")
    # Monthly PDF requests whose task never reached the broker wait as pending rows: built here.
    every(retry, "complaints.tasks.retry_monthly_reports", "retry-monthly-reports")
    # One heartbeat through each queue: /healthz knows that every kind of work has a worker taking it.
    for queue in settings.TASKS_BY_QUEUE:
        every(30.0, "lapor.tasks.heartbeat", f"worker-heartbeat-{queue}", args=(queue,), queue=queue, expires=30)
    # A sweep that waited longer than one interval is dropped: the next one does the same work.
    every(settings.SLA_SWEEP_INTERVAL, "complaints.tasks.sla_sweep", "sla-sweep", expires=settings.SLA_SWEEP_INTERVAL)
    # Last month's TPP recommendations on day 1 at 06:00 local time (CELERY_TIMEZONE): the sweeps
    # have by then recorded the escalations due at the end of the month's last day.
    every(crontab(minute=0, hour=6, day_of_month=1), "complaints.tasks.tpp_sanctions", "tpp-sanctions")
    # Next year's national holidays and cuti bersama (this year's again too) on 1 December at 05:00;
    # web runs the same sync after each migrate.
    every(crontab(minute=0, hour=5, day_of_month=1, month_of_year=12), "agencies.tasks.sync_holidays", "sync-holidays")
    # Files left by uploads that never got their row (a killed worker, a rollback, a full disk).
    every(crontab(minute=30, hour=3), "complaints.tasks.clean_media", "clean-media")
    # Filings' one-time keys past SUBMISSION_KEY_DAYS (a retry that late files anew).
    every(crontab(minute=45, hour=3), "complaints.tasks.purge_submission_keys", "purge-submission-keys")
    # Followed areas and categories: one digest per follow a day at AREA_DIGEST_HOUR:00 local time
    # (complaints/outbox/digests.py); digests whose mail failed are retried with the outbox.
    every(crontab(minute=0, hour=settings.AREA_DIGEST_HOUR), "complaints.tasks.send_area_digests", "area-digests")
    every(retry, "complaints.tasks.flush_area_digests", "flush-area-digests")
    # The dashboards' rollups: the months of the reports changed since the last refresh, and every
    # month once a night (complaints/dashboards/rollups.py). A refresh that waited longer than one
    # interval is dropped: the next one reads the same events.
    every(
        settings.DASHBOARD_ROLLUP_INTERVAL,
        "complaints.tasks.refresh_figures",
        "refresh-figures",
        expires=settings.DASHBOARD_ROLLUP_INTERVAL,
    )
    every(crontab(minute=15, hour=2), "complaints.tasks.rebuild_figures", "rebuild-figures")
