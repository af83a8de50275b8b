"""Known vulnerabilities in the runtime requirements: pip-audit over requirements.txt, read honestly.

    .venv/bin/python scripts/dependency_audit.py [requirements.txt]

pip-audit exits 1 both when it finds a vulnerability and when it cannot work (the advisory service
does not answer), and it exits 0 with "No known vulnerabilities found" when the service answered
"not found" for every package, which means nothing was checked. This script tells the cases
apart from pip-audit's JSON report and its error output:

- a vulnerability in an audited package: listed (package, version, advisory, fixed versions),
  exit 1, whether or not other packages could be audited;
- the advisory service unreachable, or no package audited at all: said plainly ("NOT AUDITED"),
  exit 0 — the step neither fails the build on a network outage nor claims a clean result;
- some packages audited, some not: the clean ones counted, the others listed as not audited,
  exit 0;
- pip-audit failing for any other reason: its error shown, exit 1.

PIP_AUDIT names the pip-audit executable (default: the one next to this Python);
PIP_AUDIT_SERVICE the advisory database (`pypi`, the default, or `osv`); PIP_AUDIT_OSV_URL an
OSV-compatible endpoint (a mirror) instead of api.osv.dev; PIP_AUDIT_TIMEOUT the per-request
timeout in seconds (default 15).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# How requests/urllib3 and pip-audit word a service that cannot be reached or does not answer.
UNREACHABLE = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Timeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Connection reset",
    "ServiceError",
    "SSLError",
)


def verdict(returncode, report, stderr):
    """(exit status, message) for one pip-audit run: `report` is the text of its JSON report
    (None when it wrote none), `stderr` its error output. Pure: changes nothing."""
    data = None
    if report:
        try:
            data = json.loads(report)
        except ValueError:
            data = None
    if data is None:
        if any(marker in stderr for marker in UNREACHABLE):
            last = next((line for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
            return 0, (
                "NOT AUDITED: the vulnerability database could not be reached, so there is no result "
                f"(the step passes, but nothing was checked).\n  {last.strip()}"
            )
        return 1, f"pip-audit failed (exit {returncode}) without a report:\n{stderr.strip()}"

    dependencies = data.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = []
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            aliases = ", ".join(v.get("aliases") or [])
            lines.append(
                f"  {d['name']} {d['version']}: {v['id']}{f' ({aliases})' if aliases else ''} — fixed in {fixes}"
            )
    if skipped:
        lines.append(f"NOT AUDITED ({len(skipped)} of {len(dependencies)} packages):")
        lines.extend(f"  {d['name']}: {d['skip_reason']}" for d in skipped)

    if vulnerable:
        count = sum(len(d["vulns"]) for d in vulnerable)
        head = f"{count} known vulnerabilities in {len(vulnerable)} of {audited} audited packages:"
        return 1, "\n".join([head, *lines])
    if dependencies and not audited:
        head = (
            "NOT AUDITED: the vulnerability database answered for none of the "
            f"{len(dependencies)} packages, so there is no result (the step passes, but nothing was checked)."
        )
        return 0, "\n".join([head, *lines])
    head = f"No known vulnerabilities in the {audited} audited packages."
    return 0, "\n".join([head, *lines])


def main(argv):
    requirements = argv[1] if len(argv) > 1 else "requirements.txt"
    executable = os.environ.get("PIP_AUDIT") or str(Path(sys.executable).with_name("pip-audit"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pip-audit.json"
        run = subprocess.run(  # noqa: S603 - a fixed command line, no shell
            [
                executable,
                "--requirement",
                requirements,
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--timeout",
                os.environ.get("PIP_AUDIT_TIMEOUT", "15"),
                "--vulnerability-service",
                os.environ.get("PIP_AUDIT_SERVICE", "pypi"),
                *(["--osv-url", os.environ["PIP_AUDIT_OSV_URL"]] if os.environ.get("PIP_AUDIT_OSV_URL") else []),
                "--output",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = out.read_text() if out.exists() else None
    status, message = verdict(run.returncode, report, run.stderr)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
