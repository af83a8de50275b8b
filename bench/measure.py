"""Measurements on a loaded benchmark database: the pages under gunicorn with wrk (or a small
Python load generator when wrk is missing), their query counts, the SLA sweep and the monthly TPP
sanctions. Runs inside a process configured with `bench.settings` and the benchmark database."""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies import calendar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEARCH_Q = "jalan berlubang"

# name -> (p95 target in ms, group). "feed page 1" also has the throughput target.
TARGETS = {
    "home": (50, "page"),
    "feed page 1": (50, "page"),
    "feed page 2,000": (150, "deep"),
    "feed search": (150, "search"),
    "report page": (50, "page"),
    "tracking page": (50, "page"),
    "operator queue": (50, "page"),
    "operator queue: monitored": (50, "page"),
    "liaison inbox": (50, "page"),
    "operator review page": (50, "page"),
    "head view": (300, "dashboard"),
    "auditor dashboard": (300, "dashboard"),
    "public statistics": (300, "dashboard"),
    "API list": (50, "page"),
    "API detail": (50, "page"),
    "API search": (150, "search"),
    "Open311 requests": (50, "page"),
    "map data": (50, "page"),
    "trivial view": (None, "baseline"),
}
# Targets besides p95: the median against django-helpdesk's public and staff ticket views on the same
# machine (19 ms and 68 ms p50), and the first viewer of a dashboard after its figures expired.
EXTRA_TARGETS = {
    "report page": {"p50": 15},
    "operator review page": {"p50": 35},
    "head view": {"cold": 1000},
    "auditor dashboard": {"cold": 1000},
    "public statistics": {"cold": 1000},
}
OPTIONAL = {"auditor dashboard", "public statistics"}  # built in parallel: skipped with a note on 404
THROUGHPUT_RATIO = 0.40
# `sla_sweep` finding nothing new due: its cost follows the due work, not the open clocks.
IDLE_SWEEP_SECONDS = 0.05


# Who and what -------------------------------------------------------------------------------------
def credentials():
    """Session cookies (made through Django's own login) and an API token for the personas."""
    from accounts.auth import issue_token
    from accounts.models import User
    from complaints.models import Complaint

    def session(email):
        """A signed-in session past the second factor, as a staff member has after entering their
        code (docs/product.md, accounts): without it every staff page answers with the redirect to the code
        form, and that redirect, not the page, would be measured."""
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = User.objects.get(email=email)
        c = Client()
        c.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        s = c.session
        s[DEVICE_ID_SESSION_KEY] = device.persistent_id
        s.save()
        return s.session_key

    reporter_report = (
        Complaint.objects.filter(status="proses", reporter__isnull=False, privacy="anonim")
        .order_by("-created_at")
        .values("reporter_id", "tracking_id")
        .first()
        or Complaint.objects.filter(reporter__isnull=False)
        .order_by("-created_at")
        .values("reporter_id", "tracking_id")
        .first()
    )
    reporter = User.objects.get(pk=reporter_report["reporter_id"])
    c = Client()
    c.force_login(reporter)
    return {
        "operator": session("operator1@bench.invalid"),
        "liaison": session("liaison-dinas-pu@bench.invalid"),
        "head": session("head-dinas-pu@bench.invalid"),
        "auditor": session("auditor-inspektorat@bench.invalid"),
        "reporter": c.cookies["sessionid"].value,
        "reporter_report": reporter_report["tracking_id"],
        "token": issue_token(User.objects.get(email="operator1@bench.invalid")),
    }


def pages(creds):
    """[(name, url, persona or None, alternative url for the query-count check)]."""
    from django.contrib.auth.models import AnonymousUser

    from complaints.models import Complaint

    public = Complaint.objects.visible_to(AnonymousUser()).public()
    report = (
        public.filter(status="selesai", privacy="umum", support_count__gt=0).order_by("-verified_at").first()
        or public.order_by("-verified_at").first()
    )
    other = public.filter(status="proses").order_by("-verified_at").first() or report
    feed_pages = max(1, -(-public.count() // 20))
    deep = min(2000, feed_pages)
    q = SEARCH_Q.replace(" ", "+")
    return [
        ("trivial view", "/bench/trivial/", None, None),
        ("home", "/", None, None),
        ("feed page 1", "/laporan/", None, "/laporan/?page=2"),
        ("feed page 2,000", f"/laporan/?page={deep}", None, f"/laporan/?page={max(deep - 1, 1)}"),
        ("feed search", f"/laporan/?q={q}", None, f"/laporan/?q={q}&page=2"),
        ("report page", f"/laporan/{report.tracking_id}/", None, f"/laporan/{other.tracking_id}/"),
        ("tracking page", f"/laporan/{creds['reporter_report']}/", "reporter", None),
        ("operator queue", "/petugas/", "operator", "/petugas/?page=2"),
        ("operator queue: monitored", "/petugas/?tab=dipantau", "operator", "/petugas/?tab=dipantau&page=2"),
        ("liaison inbox", "/opd/", "liaison", "/opd/?page=2"),
        (
            "operator review page",
            f"/petugas/laporan/{report.tracking_id}/",
            "operator",
            f"/petugas/laporan/{other.tracking_id}/",
        ),
        ("head view", "/opd/pimpinan/", "head", "/opd/pimpinan/?page=2"),
        ("auditor dashboard", "/audit/", "auditor", None),
        ("public statistics", "/statistik/", None, None),
        ("API list", "/api/v1/complaints/", None, "/api/v1/complaints/?page=2"),
        ("API detail", f"/api/v1/complaints/{report.tracking_id}/", None, f"/api/v1/complaints/{other.tracking_id}/"),
        ("API search", f"/api/v1/complaints/?q={q}", None, f"/api/v1/complaints/?q={q}&page=2"),
        ("Open311 requests", "/open311/v2/requests.json", None, "/open311/v2/requests.json?page=2"),
        ("map data", map_window(0), None, map_window(1)),
    ], deep


def map_window(offset):
    """/peta/data.json for a kecamatan-sized window (0.1° × 0.1°, about 11 km) around the label
    point of the `offset`-th kecamatan (by code): the alternative is another kecamatan's window,
    so both windows hold reports and their query counts compare like with like."""
    from agencies.models import Area

    kecamatan = list(Area.objects.filter(level="kecamatan", lat__isnull=False).order_by("code")[: offset + 1])
    kec = kecamatan[min(offset, len(kecamatan) - 1)] if kecamatan else None
    lat, lng = (float(kec.lat), float(kec.lng)) if kec else (-4.6, 121.9)
    if kec is None or len(kecamatan) <= offset:
        lng += 0.1 * offset
    return f"/peta/data.json?bbox={lng - 0.05:.3f},{lat - 0.05:.3f},{lng + 0.05:.3f},{lat + 0.05:.3f}"


def headers_for(persona, creds):
    if persona is None:
        return {}
    return {"Cookie": f"sessionid={creds[persona]}"}


# Query counts -------------------------------------------------------------------------------------
def query_counts(targets, creds):
    """{name: (status, queries, queries on the alternative page)} with the Django test client
    against the benchmark database (the same settings and URLs as the server)."""
    result = {}
    for name, url, persona, alt in targets:
        client = Client()
        if persona:
            client.cookies["sessionid"] = creds[persona]
        counts = []
        status = None
        if persona:
            # A staff session's idle expiry is pushed forward (one session write) at most once
            # every few minutes (lapor.security.StaffSessionMiddleware): spend it here, so both
            # counts are the page's own queries, as on nearly every click.
            client.get(url)
        for u in [url, alt] if alt else [url]:
            # Both pages cold (cached totals and aggregates emptied), so the two counts compare
            # the page's own queries, not which of them the first page left in the cache.
            cache.clear()
            calendar.invalidate()  # the holiday calendar loaded again now, as a running server has it
            calendar.is_working_day(timezone.localdate())
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(u)
                if response.streaming:  # its queries run as the body is read (the Open311 lists)
                    b"".join(response.streaming_content)
            status = status or response.status_code
            counts.append(len(ctx.captured_queries) if response.status_code == 200 else None)
        result[name] = (status, counts[0], counts[1] if alt else None)
    return result


# The server ---------------------------------------------------------------------------------------
def free_port(start=18760, end=18860):
    for port in range(start, end):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free loopback port between 18760 and 18860")


class Server:
    """gunicorn as in production (DEBUG off, sync workers), on a free loopback port."""

    def __init__(self, env, workers=2):
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.proc = None

    def __enter__(self):
        cmd = [
            sys.executable, "-m", "gunicorn", "lapor.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--log-level", "warning", "--timeout", "30",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env)  # noqa: S603 - our own commands, no input
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("gunicorn exited at start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/trivial/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def status(self, url, headers):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{url}", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - http on loopback only
                return r.status
        except urllib.error.HTTPError as err:
            return err.code
        except (TimeoutError, urllib.error.URLError, ConnectionError):
            return "no answer within 30 s"


# Load ---------------------------------------------------------------------------------------------
def wrk_path():
    return shutil.which("wrk")


def run_wrk(port, url, headers, duration, connections, threads=2):
    cmd = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s",
           "-s", str(HERE / "wrk_report.lua")]  # fmt: skip
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(f"http://127.0.0.1:{port}{url}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603 - our own commands, no input
    match = re.search(r"BENCH_JSON (\{.*\})", out)
    if not match:
        raise SystemExit(f"wrk gave no result for {url}:\n{out}")
    data = json.loads(match.group(1))
    return {
        "p50": data["p50"] / 1000,
        "p95": data["p95"] / 1000,
        "p99": data["p99"] / 1000,
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "requests": data["requests"],
        "errors": data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"],
        "tool": "wrk",
    }


def run_python_load(port, url, headers, duration, connections):
    """Closed-loop load from `connections` threads over keep-alive HTTP/1.1 (when wrk is absent)."""
    import http.client

    latencies, errors = [], [0]
    stop = time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                conn.request("GET", url, headers=headers)
                r = conn.getresponse()
                r.read()
                if not 200 <= r.status < 300:  # as wrk's non2xx: a redirect is not the page
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "rps": len(latencies) / elapsed,
            "requests": len(latencies), "errors": errors[0], "tool": "python"}  # fmt: skip


def sequential(server, url, headers, n=5):
    """n requests one after another: for a page too slow to finish within the load run."""
    times = []
    t0 = time.monotonic()
    for _ in range(n):
        t = time.perf_counter()
        server.status(url, headers)
        times.append((time.perf_counter() - t) * 1000)
    elapsed = time.monotonic() - t0
    times.sort()
    return {"p50": times[n // 2], "p95": times[-1], "p99": times[-1], "rps": n / elapsed, "requests": n,
            "errors": 0, "tool": f"{n} sequential requests (too slow for the load run)"}  # fmt: skip


def load_test(server, url, headers, duration, connections):
    runner = run_wrk if wrk_path() else run_python_load
    runner(server.port, url, headers, max(1, duration // 5), connections)  # warm-up
    result = runner(server.port, url, headers, duration, connections)
    if result["requests"] < 10:  # wrk reports no percentiles for requests still running at the end
        result = sequential(server, url, headers)
    return result


# Sweeps -------------------------------------------------------------------------------------------
SWEEP_SCRIPT = r"""
import json, os, threading, time
import django
django.setup()
import lapor  # the project's Celery app, so the outbox goes to the configured broker
from django.db import connection
from django.utils import timezone
from complaints.deadlines import sanctions
from complaints.models import Clock, ClockStep
from complaints.deadlines.sweep import sla_sweep

def rss():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024

samples = []
running = True
def sample():
    while running:
        samples.append(rss())
        time.sleep(0.05)

out = {"open_clocks": Clock.objects.filter(stopped_at__isnull=True).count(),
       "steps_before": ClockStep.objects.count()}
now = timezone.now()
out["rss_start_mb"] = rss()
t = threading.Thread(target=sample, daemon=True)
t.start()
for label in ("first", "second"):
    before = rss()
    t0 = time.monotonic()
    counts = sla_sweep(now)
    out[label] = {"seconds": round(time.monotonic() - t0, 3), "counts": dict(counts),
                  "rss_before_mb": before, "rss_after_mb": rss()}
running = False
t.join()
out["rss_min_mb"], out["rss_max_mb"] = min(samples), max(samples)
month = sanctions.last_month(now)
t0 = time.monotonic()
built = sanctions.build_month(month, now=now)
out["tpp"] = {"month": month.strftime("%Y-%m"), "seconds": round(time.monotonic() - t0, 3),
              "created": len(built["created"]),
              "evidence": sum(len(s.evidence) for s in built["created"])}
# The dashboards' rollups after the sweep: the months of the reports it wrote events for.
from complaints.dashboards import rollups
t0 = time.monotonic()
refreshed = rollups.refresh(now)
out["rollups"] = {"months": refreshed["months"], "seconds": round(time.monotonic() - t0, 3)}
print("BENCH_JSON " + json.dumps(out))
"""


def sweeps(env):
    """`sla_sweep` twice as of now (the first takes the day's due steps, the second finds nothing
    new: the cost of looking at every open clock), then `tpp_sanctions` for last month, in a
    fresh process whose memory is sampled every 50 ms while it sweeps."""
    proc = subprocess.run([sys.executable, "-c", SWEEP_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own commands, no input
    match = re.search(r"BENCH_JSON (\{.*\})", proc.stdout)
    if proc.returncode or not match:
        raise SystemExit(f"the sweep run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(match.group(1))


# Machine ------------------------------------------------------------------------------------------
def machine():
    info = {}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        info["cpu"] = model.group(1).strip() if model else "unknown"
    except OSError:
        info["cpu"] = "unknown"
    info["cores"] = os.cpu_count()
    try:
        mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        info["ram_gb"] = round(int(mem.group(1)) / 1024 / 1024, 1)
    except (OSError, AttributeError):
        info["ram_gb"] = None
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgres"] = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        info["shared_buffers"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        info["db_size"] = cursor.fetchone()[0]
    import django

    info["python"] = sys.version.split()[0]
    info["django"] = django.get_version()
    info["wrk"] = (
        subprocess.run([wrk_path(), "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()  # noqa: S603 - our own commands, no input
        if wrk_path()
        else "absent (Python load generator)"
    )
    return info


def loadavg():
    try:
        return tuple(float(x) for x in Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def median(values):
    return statistics.median(values) if values else None


def now_local():
    return timezone.localtime(timezone.now())
