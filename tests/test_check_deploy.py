"""`manage.py check --deploy` is clean for a production configuration."""

import os
import subprocess
import sys

from django.conf import settings as django_settings


def test_check_deploy_is_clean_for_production(tmp_path):
    """`manage.py check --deploy` with HTTPS on, a proper secret key and DEBUG off prints no
    warning and exits 0."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "DEBUG", "SECRET_KEY", "DATA_DIR"))
    }
    env.update(
        {
            "SECURE_HTTPS": "true",
            "SECRET_KEY": "k3Yq!vR9#pL2@wX7$zN5%bT8^mH4&jF6*cD1(sG0)aE3-uI9+oP2=yW7_qZ5",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "lapor.example.go.id",
            "DATA_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output, output
