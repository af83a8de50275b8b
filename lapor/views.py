"""Home page and health check."""

import logging
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from .db import database_unavailable
from .middleware import log_unavailable, unavailable_response
from .tasks import HEARTBEAT_KEY

WORKER_STALE_AFTER = timedelta(seconds=120)
log = logging.getLogger(__name__)


def home(request):
    # Late imports: lapor sits below the apps it serves (docs/architecture.md, "Where things live").
    from complaints.common.pagination import cached_count
    from complaints.models import Complaint, Status

    public = Complaint.objects.public()
    context = {
        "recent": public.select_related("category").order_by("-verified_at", "-pk")[:5],
        # Public aggregates: cached for LIST_COUNT_CACHE_SECONDS (a count of every public report
        # on each visit was most of this page's cost at a million reports).
        "counts": {
            "total": cached_count(public),
            "selesai": cached_count(public.filter(status=Status.SELESAI)),
        },
    }
    return render(request, "home.html", context)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "up", "engine": connection.vendor}


def _check_broker():
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        import os

        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise RuntimeError("broker folder missing")
        return {"status": "up", "transport": "filesystem"}
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    return {"status": "up", "transport": "redis"}


def _check_cache():
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache round trip failed")
    return {"status": "up"}


def _check_worker():
    beat = cache.get(HEARTBEAT_KEY)
    if not beat:
        raise RuntimeError("no heartbeat from the worker")
    age = timezone.now() - datetime.fromisoformat(beat)
    if age > WORKER_STALE_AFTER:
        raise RuntimeError(f"last heartbeat {int(age.total_seconds())} s ago")
    return {"status": "up", "last_heartbeat": beat}


# Not in the request's transaction: ATOMIC_REQUESTS would open one, and fail with a 500, before
# the check that is meant to report the database as down could run.
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
        ("worker", _check_worker),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a failing dependency is the answer, not an error
            # The public answer names the kind of failure only: the message may hold a host,
            # port or user name. The log has it whole.
            log.warning("healthz: %s down: %s: %s", name, type(exc).__name__, str(exc)[:500])
            checks[name] = {"status": "down", "error": type(exc).__name__}
    ok = all(c["status"] == "up" for c in checks.values())
    return JsonResponse({"status": "up" if ok else "down", **checks}, status=200 if ok else 503)


@requires_csrf_token
def server_error(request):
    """The 500 handler: a failure that is the database being out of reach (raised where the
    middleware does not see it, e.g. by another middleware reading the session) answers the same
    503 as the views do; anything else is Django's 500."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        log_unavailable(request, exc)
        return unavailable_response(request)
    return defaults.server_error(request)
