"""Schemathesis over the whole `/api/v1/` schema, as the CLI runs it, against gunicorn: every check
(no 5xx, responses that match the schema, no schema-valid request refused, no schema-violating one
accepted), as a citizen and as an operator, excluding only `DELETE /api/v1/auth/token/` (it would
revoke the token the run uses).

It writes real rows, so it runs on a database of its own: the fixture creates a fresh PostgreSQL
database, migrates it, seeds the demo region, starts gunicorn on a free port and drops everything
afterwards. Bounded and reproducible: deterministic generation (no seed needed) and
SCHEMATHESIS_MAX_EXAMPLES (default 8) examples per operation; the two callers run at once. Skipped on SQLite (the embedded
default cannot serve a second process's writes fast enough to be meaningful here).

`tests/api/schemathesis.toml` lists the few operations where a schema-valid request is refused for
a reason no schema can express (the slug or id it names does not exist, the state it needs is not
there): each with the reason.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8")
# The coverage phase (every boundary of every parameter) alone takes about three minutes per
# caller on two cores: SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful runs it too.
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
PASSWORD = "uji-skema-" + uuid.uuid4().hex[:8]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL (DATABASE_URL): it runs gunicorn on a database of its own",
    ),
    pytest.mark.skipif(shutil.which("st", path=str(BIN)) is None, reason="schemathesis CLI not installed"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connection():
    import psycopg2

    cfg = dj_database_url.parse(DATABASE_URL)
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn serving a freshly migrated and seeded database; yields (base URL, accounts)."""
    name = f"lapor_st_{uuid.uuid4().hex[:10]}"
    cfg = dj_database_url.parse(DATABASE_URL)
    user, password = quote(cfg["USER"] or "", safe=""), quote(cfg["PASSWORD"] or "", safe="")
    url = f"postgres://{user}:{password}@{cfg['HOST']}:{cfg['PORT'] or 5432}/{name}"
    data = tmp_path_factory.mktemp("st-data")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")},
        "DATABASE_URL": url,
        "DATA_DIR": str(data),
        "SECRET_KEY": uuid.uuid4().hex,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_THROTTLE_ANON": "100000/min",
        "API_THROTTLE_USER": "100000/min",
        "API_THROTTLE_TOKEN": "100000/min",
        "API_THROTTLE_REGISTER": "100000/hour",
        "LIST_COUNT_CACHE_SECONDS": "0",
        "STATIC_MANIFEST": "false",
    }
    admin = _admin_connection()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    proc = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
        seeded = subprocess.run(
            [*manage, "seed_demo", "--password", PASSWORD, "--json"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        accounts = {a["username"]: a for a in json.loads(seeded.stdout)}
        port = _free_port()
        proc = subprocess.Popen(
            # One process (several hit a CPython 3.11 bug), threads so both runs are served at once.
            [
                str(BIN / "gunicorn"),
                "lapor.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(data / "gunicorn.log", "w"),  # noqa: SIM115 - closed with the process
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/schema/", timeout=5) as r:  # noqa: S310 - our server
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (data / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        yield base, accounts, data
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def token(base, username, secret=None):
    """A token for `username`; staff with a second factor send the current code of the TOTP secret
    seed_demo printed for them (docs/product.md §8)."""
    fields = {"username": username, "password": PASSWORD}
    if secret:
        from base64 import b32decode

        from django_otp.oath import totp

        fields["otp"] = f"{totp(b32decode(secret + '=' * (-len(secret) % 8))):06d}"
    body = json.dumps(fields).encode()
    request = urllib.request.Request(
        base + "/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 - our server
        return json.load(r)["token"]


def run_schemathesis(base, username, secret=None):
    """Start one CLI run as `username`; returns the process (output in a temporary file)."""
    out = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"st-{uuid.uuid4().hex}.txt"), "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(BIN / "st"),
            "--config-file",
            str(CONFIG),
            "run",
            base + "/api/v1/schema/",
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            "--generation-deterministic",
            "--phases",
            PHASES,
            "--exclude-name",
            "DELETE /api/v1/auth/token/",
            "-H",
            f"Authorization: Token {token(base, username, secret)}",
            "--no-color",
        ],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    return proc, out


def test_schemathesis_whole_schema_as_citizen_and_operator(server):
    base, accounts, data = server
    runs = {}
    for username in ("warga@demo.lapor.id", "operator@demo.lapor.id"):
        assert username in accounts
        runs[username] = run_schemathesis(base, username, accounts[username].get("totp_secret"))
    failures = []
    for username, (proc, out) in runs.items():
        try:
            proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
        out.seek(0)
        report = out.read()
        out.close()
        os.unlink(out.name)
        (data / f"schemathesis-{username.split('@')[0]}.txt").write_text(report)
        if proc.returncode != 0:
            failures.append(f"=== as {username}\n{report[-15000:]}")
    assert not failures, "\n".join(failures)
