"""Answers for a request the database could not serve.

`DatabaseUnavailableMiddleware` stands outermost: when a view (or opening the request's
transaction, which `ATOMIC_REQUESTS` does before the view runs, or rendering its response) fails
because PostgreSQL is out of reach, the visitor gets a 503 page that needs no database, and an API
client a 503 JSON `{"detail"}`. A failure raised by another middleware (reading the session, the
signed-in user) reaches Django's 500 handler instead, which `lapor.views.server_error` turns into
the same 503. Each request's transaction is rolled back whole, so nothing is half-written.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .db import database_unavailable, describe

log = logging.getLogger("lapor.database")

# Seconds a client is told to wait before trying again.
RETRY_AFTER_SECONDS = 30
JSON_PREFIXES = ("/api/", "/sms/")


def wants_json(request):
    path = request.path
    if path.startswith(JSON_PREFIXES) or path.endswith(".json"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def unavailable_response(request):
    """The 503 answer while the database is out of reach: JSON `{"detail"}` for API clients, a
    page of its own otherwise. Rendered without the request, so that no context processor reads
    the session or the user (both live in the database)."""
    message = _("Layanan sedang tidak dapat diakses karena gangguan basis data. Coba lagi beberapa saat lagi.")
    if wants_json(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = loader.render_to_string(
            "503.html",
            {"SITE_NAME": settings.SITE_NAME, "REGION_NAME": settings.REGION_NAME, "message": message},
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def log_unavailable(request, exc):
    log.warning("database unavailable: %s %s answered 503 (%s)", request.method, request.path, describe(exc))


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        log_unavailable(request, exception)
        return unavailable_response(request)
