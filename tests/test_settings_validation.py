"""A mail or SMS setting the portal cannot use stops the start with a clear message — web
(gunicorn loads lapor.wsgi), the worker and beat (celery -A lapor loads lapor.celery) and every
manage.py command — instead of failing quietly at the first message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(module, **env):
    """Import `module` in a fresh interpreter with `env` on top of the test environment."""
    environ = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "SMS_BACKEND", "SMS_GATEWAY_URL")}
    environ.update(DJANGO_SETTINGS_MODULE="lapor.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


# the message a start stops with → the setting that causes it
BAD_SETTINGS = {
    "EMAIL_URL: unknown scheme smpt://": {"EMAIL_URL": "smpt://mail.example.go.id:587"},
    "EMAIL_URL: unknown scheme (none)": {"EMAIL_URL": "mail.example.go.id"},
    "SMS_BACKEND: unknown backend 'twilio'": {"SMS_BACKEND": "twilio"},
    "SMS_BACKEND: no module 'nosuch.backends'": {"SMS_BACKEND": "nosuch.backends.Gateway"},
    "SMS_BACKEND=http needs SMS_GATEWAY_URL": {"SMS_BACKEND": "http"},
}


@pytest.mark.parametrize("message", BAD_SETTINGS)
@pytest.mark.parametrize("module", ["lapor.settings", "lapor.wsgi", "lapor.celery"])
def test_a_bad_setting_stops_the_start(message, module):
    result = start(module, **BAD_SETTINGS[message])
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: " + message in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"EMAIL_URL": "smtp://user:pass@mail.example.go.id:587/?tls=1", "SMS_BACKEND": "file"},
        {"EMAIL_URL": "smtps://mail.example.go.id", "SMS_BACKEND": "console"},
        {"EMAIL_URL": "console://", "SMS_BACKEND": "tests.conftest.RecordingSms"},
        {"SMS_BACKEND": "http", "SMS_GATEWAY_URL": "https://sms.example.go.id/send"},
    ],
)
def test_good_settings_start(env):
    result = start("lapor.settings", **env)
    assert result.returncode == 0, result.stderr
