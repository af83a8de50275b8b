from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "worker:heartbeat"


@shared_task(name="lapor.tasks.heartbeat")
def heartbeat():
    """Beat → worker round trip: /healthz reports the worker up while this stays fresh."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), 300)
    return True
