"""Cached public pages (docs/architecture.md, "Cached public pages").

`public_page` wraps a view of a public page (home, feed, report page, statistics, map data,
Open311 lists, Atom feeds). An anonymous GET without a session is answered from the cache when a
copy rendered in the current publication generation (`complaints.common.publication`), the same
language, the same day and the same address is there; otherwise the view renders it and the
answer is kept for `PUBLIC_PAGE_CACHE_SECONDS`. Every change the public can see moves the
generation on in its own transaction, so a copy is never served after such a change commits:
not a report whose privacy was raised, not a hidden attachment, not an edited summary. The day is
part of the key because countdowns count working days; the time limit bounds everything else that
moves with the clock.

Only answers that are the same for every anonymous visitor are kept: 200, setting no cookie — also
none that the middleware adds on the way out, after this wrapper (a CSRF token the page asked for,
a session it started or changed, a message it queued). A streamed answer (the
Open311 lists) goes to the client as it comes and is collected on the way; only once its stream
ends normally is it kept, as one ordinary answer with the same headers: a stream that fails, a
client that leaves early or a body over MAX_STREAMED_BYTES keeps nothing. Signed-in
visitors, visitors with a session (a message waiting, a report being filed), API tokens and keys
always get a fresh page. With the cache down (Redis stopped or hung) every call is a miss and the
page is rendered as if there were no cache (lapor.cache).

The view's reads may come from a read replica (`complaints.common.replicas.reads_from_replica`, GET only); the
generation is always read on the primary, and a replica is used only once it has replayed what the
primary held by then, so a copy kept under a generation is never older than it
(docs/architecture.md, "Read replicas")."""

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation

from complaints.common import publication
from complaints.common.replicas import reads_from_replica
from lapor.security import carries_personal_data

log = logging.getLogger("lapor.pagecache")

HEADER = "X-Page-Cache"
# A streamed answer is collected for the cache only up to this size: past it, it is passed on and
# not kept. A full Open311 list (1,000 requests of a few hundred characters each) fits well under.
MAX_STREAMED_BYTES = 5 * 1024 * 1024


def _anonymous(request):
    if request.method != "GET" or carries_personal_data(request):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return "api_key" not in request.GET


def _hands_out_state(request):
    """Whether the middleware will add a cookie to this answer on its way out (after the view and
    after this wrapper): a CSRF token the page asked for, a session it started or changed, a message
    it queued. Such an answer is one visitor's, never kept."""
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return True
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return True
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and getattr(storage, "added_new", False))


def key_for(request, generation):
    address = hashlib.sha256(f"{request.get_host()}{request.get_full_path()}".encode()).hexdigest()
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"page:{generation}:{language}:{timezone.localdate().isoformat()}:{address}"


def _keepable(request, response):
    return (
        response.status_code == 200
        and not response.cookies
        and not getattr(response, "is_async", False)
        and not _hands_out_state(request)
        and not carries_personal_data(request)  # e.g. an API token the view itself authenticated
    )


def _keep(request, key, response, seconds):
    if not _keepable(request, response):
        return
    if response.streaming:
        response.streaming_content = _collected(request, key, response, seconds)
    else:
        cache.set(key, response, seconds)


def _collected(request, key, response, seconds):
    """`response`'s stream, passed on chunk by chunk and collected on the way; kept as one ordinary
    answer, with the headers it had when the view returned it, only when the stream ends normally.
    An exception from the stream, or a client gone before the end (GeneratorExit at the `yield`),
    leaves the loop before anything is kept; so does a body over MAX_STREAMED_BYTES."""
    stream, headers = response.streaming_content, dict(response.items())

    def passed_on():
        kept, size = [], 0
        for chunk in stream:
            size += len(chunk)
            if size <= MAX_STREAMED_BYTES:
                kept.append(chunk)
            elif kept:
                kept.clear()
            yield chunk
        if size <= MAX_STREAMED_BYTES and _keepable(request, response):
            cache.set(key, HttpResponse(b"".join(kept), status=response.status_code, headers=headers), seconds)

    return passed_on()


def public_page(view):
    """Serve `view`'s anonymous answers from the cache, exactly (see the module)."""
    view = reads_from_replica(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        if seconds <= 0 or not _anonymous(request):
            return view(request, *args, **kwargs)
        # The generation first, on the primary: whatever the view reads afterwards is at least this new.
        key = key_for(request, publication.current())
        cached = cache.get(key)
        if cached is not None:
            cached[HEADER] = "hit"
            return cached
        response = view(request, *args, **kwargs)
        response[HEADER] = "miss"
        if getattr(response, "is_rendered", True):
            _keep(request, key, response, seconds)
        else:  # a TemplateResponse: kept once rendered
            response.add_post_render_callback(lambda rendered: _keep(request, key, rendered, seconds))
        return response

    return wrapped
