from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


def heartbeat_key(queue):
    return f"worker:heartbeat:{queue}"


@shared_task(name="lapor.tasks.heartbeat")
def heartbeat(queue="deadlines"):  # the default: a heartbeat queued before the queues were split
    """Beat → worker round trip through `queue`: /healthz reports the workers up while every queue's
    heartbeat stays fresh (beat sends one to each queue, lapor.celery)."""
    cache.set(heartbeat_key(queue), timezone.now().isoformat(), 300)
    return True
