"""PostgreSQL down and back, on real processes: a throwaway PostgreSQL cluster, a gunicorn and a
Celery worker (with beat) using it. While citizens file through the API the cluster is stopped
(`pg_ctl stop -m immediate`, a crash): pages answer the 503 page, the API and `/healthz` 503
JSON, each of the worker's sweeps logs one line and stops. The cluster is started again: the same
gunicorn and worker, never restarted, answer 200 and sweep again, and every report accepted
(201) is stored, none twice.

Needs root (to run `initdb`/`pg_ctl` as the `postgres` OS user) and the PostgreSQL server binaries;
skipped cleanly without them. It uses its own cluster, not the test database."""

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from tests import processes

pytestmark = [pytest.mark.worker, pytest.mark.slow]

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _skip_reason():
    if not BIN:
        return "PostgreSQL server binaries (initdb) are not installed"
    if os.geteuid() != 0:
        return "initdb must run as the postgres OS user: needs root"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres OS user"
    return None


pytestmark.append(pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds, what):
    processes.wait_for(condition, seconds, what, poll=0.1)


class Cluster:
    """A PostgreSQL cluster of our own in a temporary folder, run by the postgres OS user."""

    def __init__(self, root):
        self.bin = Path(BIN[-1]).parent
        self.data = root / "pgdata"
        self.port = free_port()
        self.root = root

    def _as_postgres(self, *args):
        command = " ".join(str(a) for a in args)
        subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True, timeout=120)  # noqa: S603,S607

    def init(self):
        self._as_postgres(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self):
        options = f"'-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off'"
        self._as_postgres(
            self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "pg.log", "-w", "start"
        )

    def stop(self):
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def count(self, sql):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="drill")
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]
        finally:
            conn.close()


SETUP = """
from accounts.auth import issue_token
from accounts.models import User
from agencies.models import Agency, AgencyKind, Category, SlaPolicy
pu = Agency.objects.create(slug="dinas-pu", name="Dinas PU", short_name="PU", kind=AgencyKind.OPD)
Agency.objects.create(slug="diskominfo", name="Diskominfo", short_name="Diskominfo", kind=AgencyKind.DISKOMINFO)
Category.objects.create(slug="jalan", name="Jalan", default_agency=pu)
SlaPolicy.current()
alice = User.objects.create_user(email="alice@warga.id", password=None, full_name="Alice", email_verified=True)
print(issue_token(alice))
"""


def drill_env(database_url, app_data, **extra):
    """The environment of the drills' processes: production settings (DEBUG off) on `database_url`,
    files under `app_data`, no Redis (the embedded cache and broker), mail and SMS to the console."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER")}
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(app_data),
        DEBUG="0",
        STATIC_MANIFEST="0",
        ALLOWED_HOSTS="127.0.0.1",
        SMS_BACKEND="console",
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


def http(method, url, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - our own server
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


SWEEP_DONE = "complaints.tasks.sla_sweep["  # a line "Task complaints.tasks.sla_sweep[id] succeeded …"
FILING = {
    "title": "Jalan berlubang di depan pasar",
    "body": "Lubang besar di Jalan Poros dekat pasar, sudah dua minggu belum diperbaiki.",
    "category": "jalan",
    "location": "Jl. Poros",
}


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return set(path.read_text().split()) if path.exists() else set()


@pytest.fixture
def drill_root():
    # Not pytest's tmp_path: the postgres OS user must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="lapor-pg-drill-"))
    os.chmod(root, 0o755)
    shutil.chown(root, "postgres")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_postgresql_stopped_and_started_again_under_a_running_gunicorn_and_worker(drill_root):
    cluster = Cluster(drill_root)
    cluster.init()
    cluster.start()
    processes = []
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE drill")
        conn.close()
        app_data = drill_root / "app"
        app_data.mkdir()
        env = drill_env(cluster.url("drill"), app_data, SLA_SWEEP_INTERVAL="2")
        manage = [sys.executable, "manage.py"]
        cwd = str(settings.BASE_DIR)
        subprocess.run([*manage, "migrate", "-v0"], cwd=cwd, env=env, check=True, timeout=300)  # noqa: S603
        token = subprocess.run(  # noqa: S603
            [*manage, "shell", "-c", SETUP], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=120
        ).stdout.split()[-1]

        port = free_port()
        web_log = (drill_root / "gunicorn.log").open("wb")
        gunicorn = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "lapor.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
            cwd=cwd,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        processes.append(gunicorn)
        worker_log = drill_root / "worker.log"
        worker = subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "-m", "celery", "-A", "lapor", "worker", "-B", "--pool=solo"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"),
                *("-n", f"drill-{os.getpid()}@%h", "-s", str(app_data / "celerybeat-schedule")),
            ],
            cwd=cwd,
            env=env,
            stdout=worker_log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        base = f"http://127.0.0.1:{port}"

        def sweeps():
            lines = worker_log.read_text().splitlines()
            return [line for line in lines if SWEEP_DONE in line and "succeeded" in line]

        def sweeps_done():
            return len(sweeps())

        wait_for(lambda: _answers(base + "/"), 60, "gunicorn to start")
        wait_for(lambda: sweeps_done() > 0, 90, "a first sweep")
        accepted = []

        def file_one(key=None):
            status, _headers, body = http(
                "POST", base + "/api/v1/complaints/", FILING, token, {"Idempotency-Key": key} if key else None
            )
            if status == 201:
                accepted.append(json.loads(body)["tracking_id"])
            return status, body

        assert file_one()[0] == 201
        assert http("GET", base + "/")[0] == 200
        workers_before = children(gunicorn.pid)

        # Down ------------------------------------------------------------------------------------
        cluster.stop()
        sweeps_before = sweeps_done()
        status, headers, body = http("GET", base + "/laporan/", headers={"Accept-Language": "id"})
        assert status == 503 and headers["Content-Type"].startswith("text/html"), body
        assert "Layanan sementara tidak tersedia" in body and headers["Retry-After"] == "30"
        status, headers, body = http("GET", base + "/")
        assert status == 503 and "Layanan sementara tidak tersedia" in body
        status, headers, body = http("GET", base + "/api/v1/complaints/", token=token)
        assert status == 503 and headers["Content-Type"] == "application/json" and set(json.loads(body)) == {"detail"}
        status, body = file_one("drill-retry-1")
        assert status == 503 and set(json.loads(body)) == {"detail"}
        status, headers, body = http("GET", base + "/healthz")
        assert status == 503 and json.loads(body)["database"]["status"] == "down"
        wait_for(lambda: sweeps_done() >= sweeps_before + 2, 60, "sweeps while the database is down")
        time.sleep(1)

        # Back ------------------------------------------------------------------------------------
        cluster.start()
        wait_for(lambda: http("GET", base + "/")[0] == 200, 30, "gunicorn to serve again")
        assert http("GET", base + "/laporan/")[0] == 200
        assert http("GET", base + "/api/v1/complaints/", token=token)[0] == 200
        # The client retries the filing that got a 503, with the same key: filed now, once.
        assert file_one("drill-retry-1")[0] == 201
        status, body = file_one("drill-retry-1")
        assert status == 201 and json.loads(body)["tracking_id"] == accepted[-1]
        sweeps_back = sweeps_done()
        wait_for(lambda: sweeps_done() >= sweeps_back + 2, 60, "sweeps after the database is back")
        wait_for(lambda: http("GET", base + "/healthz")[0] == 200, 60, "/healthz to be 200")

        assert gunicorn.poll() is None and worker.poll() is None, "a process died"
        assert children(gunicorn.pid) == workers_before, "gunicorn replaced its worker"
        log = worker_log.read_text()
        lost = [line for line in log.splitlines() if "sla_sweep: database unavailable" in line]
        assert len(lost) >= 2, log[-3000:]
        # One line per sweep that lost the database, never a traceback for each clock.
        assert "failed; nothing of it was kept" not in log and "retrying them one by one" not in log
        # Sweeps after the restart ran whole again.
        assert "database_lost" not in sweeps()[-1], sweeps()[-1]

        stored = cluster.count("SELECT count(*) FROM complaints_complaint")
        assert stored == len(set(accepted)) == 2 and len(accepted) == 3  # the retry answered the same report
        assert cluster.count("SELECT count(*) FROM complaints_submissionkey") == 1
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped


def _answers(url):
    try:
        return http("GET", url)[0] in (200, 503)
    except OSError:
        return False
