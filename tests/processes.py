"""What the drills on real processes (a Celery worker, gunicorn, redis-server) share: waiting for a
condition, and reading the emails a process wrote with the file email backend."""

import email
import email.policy
import time

# The file email backend's separator between two messages in one file.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def wait_for(condition, seconds, what, poll=0.02):
    """Return once `condition()` is true, checking every `poll` seconds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def emails_in(folder):
    """[(to, subject)] of every email the file backend wrote into `folder`."""
    out = []
    for path in sorted(folder.iterdir()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                msg = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
                out.append((str(msg["To"]), " ".join(str(msg["Subject"]).split())))
    return out
