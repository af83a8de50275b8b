"""Outgoing SMS, pluggable by `SMS_BACKEND`: `console` (log), `file` (append to SMS_FILE_PATH),
`http` (POST JSON {"to", "text"} to SMS_GATEWAY_URL with a bearer token), or a dotted path to a
class with `send(to, text)`."""

import json
import logging
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger("lapor.sms")


class ConsoleBackend:
    def send(self, to, text):
        # The number is personal data: only its last digits reach the log.
        log.info("SMS to ***%s: %s", to[-3:], text)


class FileBackend:
    def send(self, to, text):
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": to, "text": text, "at": timezone.now().isoformat()}) + "\n")


class HttpBackend:
    def send(self, to, text):
        if not settings.SMS_GATEWAY_URL:
            raise RuntimeError("SMS_GATEWAY_URL is not set")
        if not settings.SMS_GATEWAY_URL.startswith(("https://", "http://")):
            raise RuntimeError("SMS_GATEWAY_URL must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            settings.SMS_GATEWAY_URL,
            data=json.dumps({"to": to, "text": text}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (scheme checked above)
            if response.status >= 300:
                raise RuntimeError(f"gateway answered {response.status}")


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "http": HttpBackend}


def get_backend():
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()


def send_sms(to, text):
    get_backend().send(to, text[:640])
