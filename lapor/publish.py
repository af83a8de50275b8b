"""Handing tasks to the broker without letting an outage hold a request.

Every task the web process queues (a notification's delivery, an SMS reply, a monthly report, a
deadline recompute) has its work written in the database first; the task only makes it happen
sooner. So a failed hand-over is not an error: the row waits, and the beat's retry (or the
caller's own fallback) does the work later. What matters is the time a request spends finding
out. After a failure the broker is left alone for BROKER_RETRY_AFTER seconds; when the broker is
the Redis that also holds the cache and the cache has just failed (lapor.cache), the hand-over is
not even tried: a request pays at most one timeout per outage, not one per task.
"""

import logging

from django.conf import settings

from . import cache as redis_cache
from .pause import Pause

log = logging.getLogger("lapor.publish")

BROKER_RETRY_AFTER = 30  # seconds
_pause = Pause()


def reset():
    """Forget a past broker failure (tests; an operator who knows the broker is back)."""
    _pause.reset()


def paused():
    """Whether hand-overs are skipped now: the broker failed within BROKER_RETRY_AFTER seconds, or
    it is the cache's Redis and the cache is failing."""
    if _pause.active():
        return True
    return bool(settings.REDIS_URL) and settings.CELERY_BROKER_URL == settings.REDIS_URL and redis_cache.unavailable()


def pause(error):
    """Record a failed hand-over: the next ones are skipped for BROKER_RETRY_AFTER seconds."""
    if _pause.start(BROKER_RETRY_AFTER):
        log.warning("broker unavailable (%s); queued work waits for the beat's retry", type(error).__name__)


def send(task, *args):
    """`task.delay(*args)` unless the broker is known to be down; whether it was handed over.
    Any caller may use it for a task whose work is already recorded (the row is the promise)."""
    if paused():
        return False
    try:
        task.delay(*args)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the recorded work waits
        pause(exc)
        return False
    return True
