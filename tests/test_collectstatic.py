"""`collectstatic` with the production storage (hashed names, every reference resolved), as
`make demo`, `make run` and the web container run it: a vendored file that names a missing one
(a source map, an image in a stylesheet) stops the start."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_collectstatic_with_the_manifest_storage(tmp_path):
    env = {**os.environ, "STATIC_ROOT": str(tmp_path / "static"), "DEBUG": "false"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/leaflet/leaflet.js" in manifest and "css/lapor.css" in manifest
