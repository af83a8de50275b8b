"""The CI dependency audit: a vulnerability fails the step, an advisory database that cannot be
reached (or answers for nothing) is said plainly and passes, and nothing is reported clean that
was not checked. The advisory database is the outside world: a local OSV-compatible server
stands in for it; pip-audit itself runs for real."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "dependency_audit.py"


def load_script():
    spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VULN = {
    "id": "GHSA-uji0-0000-0000",
    "aliases": ["CVE-2026-0001"],
    "summary": "Uji: a test advisory",
    "affected": [
        {
            "package": {"name": "six", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.18.0"}]}],
        }
    ],
}


@pytest.fixture
def osv():
    """A local OSV endpoint: `answers[name]` is the list of advisories for that package."""
    answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server hook
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            vulns = answers.get(query["package"]["name"], [])
            payload = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", answers
    server.shutdown()
    server.server_close()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def audit(tmp_path, osv_url):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n")
    env = {**os.environ, "PIP_AUDIT_SERVICE": "osv", "PIP_AUDIT_OSV_URL": osv_url, "PIP_AUDIT_TIMEOUT": "5"}
    env.pop("PIP_AUDIT", None)
    return subprocess.run(  # noqa: S603 - the script under test
        [sys.executable, str(SCRIPT), str(requirements)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def test_a_known_vulnerability_fails_the_step(tmp_path, osv):
    url, answers = osv
    answers["six"] = [VULN]
    run = audit(tmp_path, url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 known vulnerabilities in 1 of 1 audited packages" in run.stdout
    assert "six 1.17.0: CVE-2026-0001 (GHSA-uji0-0000-0000) — fixed in 1.18.0" in run.stdout


def test_a_clean_answer_passes(tmp_path, osv):
    url, _answers = osv
    run = audit(tmp_path, url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "No known vulnerabilities in the 1 audited packages."


def test_an_unreachable_database_passes_and_says_so(tmp_path):
    run = audit(tmp_path, f"http://127.0.0.1:{closed_port()}/v1/query")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("NOT AUDITED: the vulnerability database could not be reached")
    assert "No known vulnerabilities" not in run.stdout


def test_no_package_answered_is_not_a_clean_result():
    """pip-audit's own verdict on this shape is exit 0, "No known vulnerabilities found"."""
    verdict = load_script().verdict
    skipped = {
        "dependencies": [
            {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"},
            {"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited: six (1.17.0)"},
        ],
        "fixes": [],
    }
    status, message = verdict(0, json.dumps(skipped), "")
    assert status == 0 and message.startswith("NOT AUDITED: the vulnerability database answered for none")
    assert "No known vulnerabilities" not in message and "django: Dependency not found" in message

    partly = {
        "dependencies": [
            skipped["dependencies"][0],
            {"name": "pillow", "version": "1.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["1.1"], "aliases": []}]},
            {"name": "six", "version": "1.17.0", "vulns": []},
        ]
    }
    status, message = verdict(1, json.dumps(partly), "")
    assert status == 1
    assert "1 known vulnerabilities in 1 of 2 audited packages" in message
    assert "pillow 1.0: PYSEC-1 — fixed in 1.1" in message and "NOT AUDITED (1 of 3 packages)" in message

    status, message = verdict(0, json.dumps({"dependencies": partly["dependencies"][::2]}), "")
    assert status == 0 and message.startswith("No known vulnerabilities in the 1 audited packages.")
    assert "NOT AUDITED (1 of 2 packages)" in message


def test_any_other_failure_fails_the_step():
    status, message = load_script().verdict(2, None, "ERROR: Invalid requirement: 'six=='\n")
    assert status == 1 and "Invalid requirement" in message
