"""Redis outage drill on real processes: a redis-server, gunicorn and a Celery worker with beat
(`-B`) of this test's own, against the test's PostgreSQL database. Citizens file by API, web form
and SMS while Redis runs, after it is killed (SIGKILL) and while it is hung (SIGSTOP); every
answer is the normal success within a few seconds. Redis comes back (restarted empty, or
resumed), and then every report is stored once and every notification and SMS reply leaves once:
what the lost queue carried is sent by the beat's outbox retry."""

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from complaints.models import Complaint, InboundSms, Notification
from tests.complaints.test_sla_worker import database_url
from tests.processes import emails_in, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes need a shared PostgreSQL database"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

PASSWORD = "rahasia-sekali-123"
SMS_SECRET = "rahasia-webhook-drill"
# An answer while Redis is down or hung: one socket timeout (0.5 s) at most, then the pause.
ANSWER_WITHIN = 3.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stack:
    """redis-server, gunicorn and `celery worker -B` of this test, and their folders."""

    def __init__(self, root):
        self.root = root
        self.redis_port, self.web_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.mail = root / "mail"
        self.sms = root / "sms" / "outbox.log"
        self.mail.mkdir()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE")
            and not k.startswith("PYTEST")
        }
        self.env.update(
            DATABASE_URL=database_url(),
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            DATA_DIR=str(root / "data"),
            MEDIA_ROOT=str(root / "media"),
            SECRET_KEY="drill-only-" + "x" * 40,
            DEBUG="false",
            STATIC_MANIFEST="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(self.mail),
            SMS_BACKEND="file",
            SMS_FILE_PATH=str(self.sms),
            SMS_WEBHOOK_SECRET=SMS_SECRET,
            TIME_ZONE=django_settings.TIME_ZONE,
            DB_CONN_MAX_AGE="0",
            OUTBOX_RETRY_INTERVAL="2",
            SLA_SWEEP_INTERVAL="3600",
            LOG_LEVEL="INFO",
        )
        self.redis = self.web = self.worker = None
        self.redis_starts = 0

    def _spawn(self, name, args):
        log = self.root / f"{name}.log"
        return subprocess.Popen(  # noqa: S603 - our own programs and arguments
            args, cwd=str(django_settings.BASE_DIR), env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    def log(self, name):
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_redis(self):
        self.redis_starts += 1
        self.redis = self._spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        wait_for(
            lambda: "Ready to accept connections" in self.log("redis").split("Server initialized")[-1], 30, "Redis"
        )

    def start(self):
        self.start_redis()
        self.web = self._spawn(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "lapor.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}"]
            + ["--workers", "2", "--timeout", "60", "--access-logfile", "-"],
        )
        self.worker = self._spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "lapor", "worker", "-B", "--pool=solo", "-l", "info"]
            + ["--without-gossip", "--without-mingle", "-n", f"redis-drill-{os.getpid()}@%h"]
            + ["--schedule", str(self.root / "beat-schedule")],
        )
        wait_for(lambda: "ready." in self.log("worker"), 90, "the worker to start")
        wait_for(self._answers, 60, "gunicorn to answer")

    def _answers(self):
        try:
            return requests.get(self.url + "/healthz", timeout=5).status_code in (200, 503)
        except requests.RequestException:
            return False

    def stop(self):
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.web, self.worker, self.redis):
            if process is None:
                continue
            if process is self.redis and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGKILL)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def emails(self):
        return emails_in(self.mail)

    def sms_sent(self):
        if not self.sms.exists():
            return []
        return [json.loads(line) for line in self.sms.read_text().splitlines() if line.strip()]


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    try:
        s.start()
        yield s
    finally:
        s.stop()


class Citizen:
    """A citizen filing through gunicorn: the API with a token, the web form with a session."""

    def __init__(self, stack, user):
        from accounts.auth import issue_token

        self.stack = stack
        self.token = issue_token(user)
        self.web = requests.Session()
        self.web.headers["Referer"] = stack.url + "/"

    def login(self):
        page = self.web.get(self.stack.url + "/akun/masuk/", timeout=30)
        r = self.web.post(
            self.stack.url + "/akun/masuk/",
            {"username": "alice@warga.id", "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 302, r.text[:500]


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_citizens_file_while_redis_is_killed_and_hung_and_nothing_is_lost_or_doubled(
    stack, region, citizen, operator, liaison_pu, settings
):
    from django.conf import global_settings

    from accounts.auth import issue_token

    # The suite hashes with MD5 for speed; gunicorn knows only the real hashers.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    citizen.set_password(PASSWORD)
    citizen.save()
    alice = Citizen(stack, citizen)
    staff_token = issue_token(operator)
    alice.login()
    filed = {"api": [], "web": [], "sms": []}
    senders = iter(f"+62 812 {4000 + i:04d} {i:04d}" for i in range(100))
    slow = []

    def file_all(phase):
        n = len(filed["api"])
        payload = {
            "title": f"Jalan berlubang saat {phase} nomor {n}",
            "body": f"Lubang besar di Jalan Poros dekat pasar, laporan {phase} {n}, sudah dua minggu.",
            "kind": "aduan",
            "category": "jalan",
            "privacy": "umum",
        }
        r, seconds = timed(
            lambda: requests.post(
                stack.url + "/api/v1/complaints/",
                json=payload,
                headers={"Authorization": f"Token {alice.token}"},
                timeout=30,
            )
        )
        assert r.status_code == 201, (phase, r.status_code, r.text[:500])
        filed["api"].append(r.json()["tracking_id"])
        slow.append((phase, "api", seconds))

        form_page = alice.web.get(stack.url + "/lapor/", timeout=30)
        assert form_page.status_code == 200, (phase, form_page.status_code)
        data = {
            "csrfmiddlewaretoken": _csrf(form_page.text),
            "kind": "aduan",
            "title": f"Lampu jalan mati saat {phase}",
            "body": f"Lampu jalan di depan sekolah mati sejak seminggu, laporan web {phase}.",
            "category": region.roads.pk,
            "kecamatan": region.kecamatan.pk,
            "kelurahan": region.kelurahan.pk,
            "location_text": "Depan SD 1",
            "privacy": "umum",
            "step": "confirm",
        }
        r, seconds = timed(lambda: alice.web.post(stack.url + "/lapor/", data, allow_redirects=False, timeout=30))
        assert r.status_code == 302 and "/lapor/terkirim/" in r.headers["Location"], (
            phase,
            r.status_code,
            r.text[:500],
        )
        filed["web"].append(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        slow.append((phase, "web", seconds))

        raw = urlencode({"from": next(senders), "text": f"LAPOR jembatan retak di desa saat {phase}"}).encode()
        signature = hmac.new(SMS_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        r, seconds = timed(
            lambda: requests.post(
                stack.url + "/sms/inbound/",
                data=raw,
                headers={"Content-Type": "application/x-www-form-urlencoded", "X-Signature": signature},
                timeout=30,
            )
        )
        assert r.status_code == 200 and r.json()["status"] == "ok", (phase, r.status_code, r.text[:500])
        assert r.json()["tracking_id"]
        filed["sms"].append(r.json()["tracking_id"])
        slow.append((phase, "sms", seconds))

        # A staff action on the API and the SMS reports: the reporters hear by email and by SMS.
        for tracking_id in (filed["api"][-1], filed["sms"][-1]):
            r, seconds = timed(
                lambda tracking_id=tracking_id: requests.post(
                    f"{stack.url}/api/v1/complaints/{tracking_id}/verify/",
                    json={"agencies": ["dinas-pu"]},
                    headers={"Authorization": f"Token {staff_token}"},
                    timeout=30,
                )
            )
            assert r.status_code == 200, (phase, r.status_code, r.text[:500])
            slow.append((phase, "verify", seconds))

        for page in ("/", "/laporan/", "/statistik/", f"/laporan/{filed['api'][-1]}/"):
            r, seconds = timed(lambda page=page: alice.web.get(stack.url + page, timeout=30))
            assert r.status_code == 200, (phase, page, r.status_code)
            slow.append((phase, page, seconds))

    file_all("normal")

    stack.redis.send_signal(signal.SIGKILL)
    stack.redis.wait(10)
    file_all("killed")
    file_all("killed")
    stack.start_redis()  # back, empty: whatever was queued is gone

    stack.redis.send_signal(signal.SIGSTOP)
    file_all("hung")
    file_all("hung")
    stack.redis.send_signal(signal.SIGCONT)

    too_slow = [entry for entry in slow if entry[0] != "normal" and entry[2] > ANSWER_WITHIN]
    assert not too_slow, too_slow

    # Every report is stored once, with the tracking id its citizen was given.
    ids = filed["api"] + filed["web"] + filed["sms"]
    assert len(set(ids)) == len(ids) == 15
    assert Complaint.objects.count() == 15
    assert set(Complaint.objects.values_list("tracking_id", flat=True)) == set(ids)

    # Everything queued goes out once Redis is back: the worker's queue, or the beat's outbox retry.
    def all_sent():
        return (
            not Notification.objects.filter(sent_at__isnull=True, channel__in=["email", "sms"]).exists()
            and not InboundSms.objects.exclude(reply="").filter(reply_sent_at__isnull=True).exists()
        )

    wait_for(all_sent, 180, "every notification and SMS reply to be sent")
    time.sleep(3)  # a duplicate would arrive now, if any

    rows = list(Notification.objects.filter(channel="email").select_related("recipient"))
    assert rows, "filing made no email notification"
    sent = stack.emails()
    assert sorted(sent) == sorted((n.recipient.email, " ".join(n.subject.split())) for n in rows)
    sms_rows = list(Notification.objects.filter(channel="sms"))
    assert len(sms_rows) == 5  # the verification of each SMS report, to its reporter
    replies = list(InboundSms.objects.exclude(reply=""))
    assert len(replies) == 5
    texts = [m["text"] for m in stack.sms_sent()]
    assert len(texts) == len(sms_rows) + len(replies)
    for reply in replies:
        assert texts.count(reply.reply[:640]) == 1, reply.reply
