"""Home page and health check."""

import logging
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from .db import database_unavailable
from .middleware import log_unavailable, unavailable_response, wants_json
from .tasks import heartbeat_key

WORKER_STALE_AFTER = timedelta(seconds=120)
log = logging.getLogger(__name__)


@never_cache
@require_GET
def switch_language(request, code):
    """/bahasa/<code>/?next=…: the language links in the site header. A link, not a form, so the
    header hands out no CSRF token and a public page stays the same for every anonymous visitor
    (complaints.common.pagecache); changing the language cookie is all it does."""
    if code not in dict(settings.LANGUAGES):
        raise Http404(_("Bahasa tidak dikenal."))
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def home(request):
    """The home page: a public page, kept for anonymous visitors like the others (late import:
    lapor sits below the apps it serves)."""
    from complaints.common.pagecache import public_page

    return public_page(_home)(request)


def _home(request):
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
    """Up when every queue (settings.TASKS_BY_QUEUE) had a heartbeat within WORKER_STALE_AFTER:
    beat sends one through each queue every 30 s, so this vouches for beat and for a worker on
    each queue keeping up. A queue backed up for longer (a flood of notifications) is down too."""
    queues = {}
    for queue in settings.TASKS_BY_QUEUE:
        beat = cache.get(heartbeat_key(queue))
        fresh = bool(beat) and timezone.now() - datetime.fromisoformat(beat) <= WORKER_STALE_AFTER
        queues[queue] = {"status": "up" if fresh else "down", "last_heartbeat": beat}
    late = [queue for queue, check in queues.items() if check["status"] == "down"]
    if late:
        log.warning("healthz: worker down: no heartbeat within %s on %s", WORKER_STALE_AFTER, ", ".join(late))
    return {"status": "down" if late else "up", "queues": queues}


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


# Error pages ------------------------------------------------------------------------------------
# Rendered without the request's context processors: no session, user or database read beyond
# what the request already did, so the page works when the failure is one of those. API paths
# (and clients asking for JSON) get `{"detail": …}` like every other API error.
ERROR_TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 500: "500.html"}


def _error_messages():
    return {
        400: _("Permintaan tidak dapat diproses."),
        403: _("Anda tidak berwenang membuka alamat ini."),
        404: _("Tidak ditemukan."),
        500: _("Terjadi kesalahan di sistem kami. Coba lagi beberapa saat lagi."),
    }


def _signed_in(request):
    user = getattr(request, "user", None)  # set by the middleware; None when it never ran
    try:
        return bool(user is not None and user.is_authenticated)
    except Exception:  # noqa: BLE001 - a session that cannot be read counts as signed out
        return False


def error_page(request, status, template_name=None, detail=None):
    if wants_json(request):
        response = JsonResponse({"detail": detail or _error_messages()[status]}, status=status)
    else:
        context = {
            "SITE_NAME": settings.SITE_NAME,
            "REGION_NAME": settings.REGION_NAME,
            "status": status,
            "signed_in": status != 500 and _signed_in(request),
        }
        html = loader.render_to_string(template_name or ERROR_TEMPLATES[status], context)
        response = HttpResponse(html, status=status)
    add_never_cache_headers(response)
    return response


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403)


def page_not_found(request, exception=None):
    return error_page(request, 404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without a valid token (an expired session, blocked cookies)."""
    return error_page(
        request,
        403,
        "403_csrf.html",
        detail=_("Token CSRF tidak valid atau hilang. Muat ulang halaman dan kirim lagi."),
    )


@requires_csrf_token
def server_error(request):
    """The 500 handler: a failure that is the database being out of reach (raised where the
    middleware does not see it, e.g. by another middleware reading the session) answers the same
    503 as the views do; anything else is the 500 page."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        log_unavailable(request, exc)
        return unavailable_response(request)
    try:
        return error_page(request, 500)
    except Exception:  # noqa: BLE001 - the error page itself failing must still answer 500
        log.exception("the 500 page could not be rendered")
        return defaults.server_error(request)
