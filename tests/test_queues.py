"""Celery queues by kind (docs/operations.md): every task of the project is routed, in
lapor/settings.py, to `deadlines`, `notifications` or `reports`, so a flood of one kind never holds
up another; a worker started without -Q (`make demo`, scripts/runtime-check.sh) consumes all three,
and a worker started with -Q only its own."""

import pytest
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache

from lapor.celery import app
from lapor.tasks import heartbeat_key
from tests.processes import CeleryWorker, wait_for

QUEUES = ["deadlines", "notifications", "reports"]


def project_tasks():
    app.loader.import_default_modules()
    names = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert len(names) > 10, names  # the autodiscovered tasks of every app are there
    return names


def queue_of(name, **options):
    return app.amqp.router.route(options, name)["queue"].name


def test_the_three_queues_are_declared_and_the_default_is_one_of_them():
    assert [q.name for q in app.amqp.queues.values()] == QUEUES == list(settings.TASKS_BY_QUEUE)
    assert app.conf.task_default_queue in QUEUES
    # No -Q: the worker consumes every declared queue.
    assert sorted(app.amqp.queues.consume_from) == QUEUES


def test_every_task_of_the_project_is_routed_by_name_to_one_of_the_three_queues():
    routed = settings.CELERY_TASK_ROUTES
    for name in project_tasks():
        assert name in routed, f"{name} has no route in settings.TASKS_BY_QUEUE"
        assert queue_of(name) == routed[name]["queue"] and queue_of(name) in QUEUES, name
    # No route names a task that does not exist (a renamed task would silently fall to the default).
    assert set(routed) <= set(project_tasks())


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("complaints.tasks.sla_sweep", "deadlines"),
        ("complaints.tasks.tpp_sanctions", "deadlines"),
        ("complaints.tasks.recompute_deadlines", "deadlines"),
        ("agencies.tasks.sync_holidays", "deadlines"),
        ("complaints.tasks.deliver_notification", "notifications"),
        ("complaints.tasks.deliver_notifications", "notifications"),
        ("complaints.tasks.flush_outbox", "notifications"),
        ("complaints.tasks.send_sms_reply", "notifications"),
        ("complaints.tasks.send_area_digests", "notifications"),
        ("complaints.tasks.build_monthly_report", "reports"),
        ("complaints.tasks.clean_media", "reports"),
    ],
)
def test_key_tasks_go_to_their_queue(task, queue):
    assert queue_of(task) == queue


def test_beat_sends_each_entry_to_its_queue_and_a_heartbeat_through_every_queue():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    landing = {name: queue_of(entry["task"], **entry["options"]) for name, entry in schedule.items()}
    assert set(landing.values()) <= set(QUEUES)
    assert landing["sla-sweep"] == "deadlines"
    assert landing["tpp-sanctions"] == "deadlines"
    assert landing["flush-outbox"] == "notifications"
    assert landing["retry-monthly-reports"] == "reports"
    assert landing["refresh-figures"] == landing["rebuild-figures"] == "reports"
    heartbeats = {name: entry for name, entry in schedule.items() if entry["task"] == "lapor.tasks.heartbeat"}
    assert sorted((landing[name], entry["args"]) for name, entry in heartbeats.items()) == [
        (queue, (queue,)) for queue in QUEUES
    ]


@pytest.mark.worker
def test_a_worker_takes_only_its_queues_and_one_without_q_takes_all_three(tmp_path):
    # No database: these three tasks touch none (the heartbeat writes the cache, an empty batch
    # delivers nothing, clean_media finds no attachment folder).
    worker = CeleryWorker(tmp_path, "queues-test", env={"DATABASE_URL": None, "MEDIA_ROOT": None})
    cache = FileBasedCache(str(worker.data / "cache"), {})
    sent = {
        "deadlines": "lapor.tasks.heartbeat",
        "notifications": "complaints.tasks.deliver_notifications",
        "reports": "complaints.tasks.clean_media",
    }
    worker.send("lapor.tasks.heartbeat", "deadlines")
    worker.send("complaints.tasks.deliver_notifications", [])
    worker.send("complaints.tasks.clean_media")
    assert worker.queued() == QUEUES  # one message in each queue, routed by name

    def done(*queues):
        """Whether the running worker's log shows the task sent to each of `queues` succeeded."""
        lines = worker.log.read_text().splitlines()
        return all(any(f"Task {sent[q]}[" in line and " succeeded in " in line for line in lines) for q in queues)

    try:
        worker.queues = ["notifications"]
        worker.start()
        wait_for(lambda: done("notifications"), 30, "the notifications worker to take its task")
        worker.stop()
        assert worker.queued() == ["deadlines", "reports"]  # left for their own workers
        # At start it reported itself for its own queue only (/healthz needs the other two).
        assert cache.get(heartbeat_key("notifications"))
        assert cache.get(heartbeat_key("deadlines")) is None and cache.get(heartbeat_key("reports")) is None

        worker.queues = []
        worker.start()
        wait_for(lambda: done("deadlines", "reports"), 30, "a worker without -Q to take the other two")
        wait_for(worker.queue_empty, 10, "the broker to be empty")
        assert all(cache.get(heartbeat_key(queue)) for queue in QUEUES)
    finally:
        worker.stop()
