"""What the drills on real processes (a Celery worker, gunicorn, redis-server) share: waiting for a
condition, reading the emails a process wrote with the file email backend, and a Celery worker of
the test's own on a filesystem broker."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The file email backend's separator between two messages in one file.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def wait_for(condition, seconds, what, poll=0.02):
    """Return once `condition()` is true, checking every `poll` seconds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def emails_in(folder):
    """[(to, subject)] of every email the file backend wrote into `folder`."""
    out = []
    for path in sorted(folder.iterdir()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                msg = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
                out.append((str(msg["To"]), " ".join(str(msg["Subject"]).split())))
    return out


class CeleryWorker:
    """One `celery -A lapor worker --pool=solo` process of a test, on a filesystem broker of its own
    under `root`, and a publisher that routes tasks to the queues the portal does (the routes in
    lapor/settings.py). `env` adds to (or, with None values, removes from) the environment the
    worker inherits; `queues` are its -Q (none: Celery's default, every queue)."""

    def __init__(self, root, name, env=None, queues=()):
        from celery import Celery
        from django.conf import settings

        self.root = root
        self.name = name
        self.queues = queues
        self.data = root / "data"
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
        self.publisher = Celery(f"{name}-publisher", broker="filesystem://localhost/")
        self.publisher.conf.update(
            broker_transport_options=self.options,
            task_queues=settings.CELERY_TASK_QUEUES,
            task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            task_routes=settings.CELERY_TASK_ROUTES,
        )
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER")
        }
        self.env["DATA_DIR"] = str(self.data)
        for key, value in (env or {}).items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        self.process = None
        self.starts = 0

    def start(self):
        from django.conf import settings

        self.starts += 1
        self.log = self.root / f"worker-{self.starts}.log"
        queues = ["-Q", ",".join(self.queues)] if self.queues else []
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                *(sys.executable, "-m", "celery", "-A", "lapor", "worker", "--pool=solo", *queues),
                *("--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"),
                *("-n", f"{self.name}-{os.getpid()}-{self.starts}@%h"),
            ],
            cwd=str(settings.BASE_DIR),
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b"ready." in self.log.read_bytes(), 60, "the worker to start")

    def send(self, task, *args, **kwargs):
        """Queue `task` by name, routed as the portal routes it."""
        self.publisher.send_task(task, args=args, kwargs=kwargs)

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

    def queued(self):
        """The queue of every message waiting in the broker (the transport names its files
        `<stamp>_<uuid>.<queue>.msg`)."""
        return sorted(path.name.split(".")[-2] for path in Path(self.options["data_folder_in"]).glob("*.msg"))

    def queue_empty(self):
        return not any(Path(self.options["data_folder_in"]).iterdir())
