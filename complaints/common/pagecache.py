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

One visitor renders a missing page at a time: the first takes a short lock (`cache.add`), the
others asking for the same key meanwhile wait up to RENDER_WAIT_SECONDS for its copy and render the
page themselves if none comes (the renderer kept nothing, or is slow, or died: its lock lapses
after RENDER_LOCK_SECONDS). A copy that came while they waited is served only if the generation
has not moved meanwhile (read again: the one exception to one read per request). With the cache
down there is no lock to take: every visitor renders.

Whether an answer came from the cache is not told to the client: an `X-Page-Cache: hit` would say
that someone else opened the page within the last minute. `PAGE_CACHE_HEADER=true` (tests, the
drills, a benchmark) adds it.

The view's reads may come from a read replica (`complaints.common.replicas`, GET only). The
generation is read once per request (but after a wait), on the primary, before anything else: it
makes the key, and a replica is used only once it has replayed it, so a copy kept under a
generation is never older than it (docs/architecture.md, "Read replicas")."""

import hashlib
import logging
import time
import uuid
from contextlib import nullcontext
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.utils import timezone, translation

from complaints.common import publication, replicas
from lapor.security import carries_personal_data

log = logging.getLogger("lapor.pagecache")

HEADER = "X-Page-Cache"
# A streamed answer is collected for the cache only up to this size: past it, it is passed on and
# not kept. A full Open311 list (1,000 requests of a few hundred characters each) fits well under.
MAX_STREAMED_BYTES = 5 * 1024 * 1024
# Single flight: the longest a visitor waits for another's rendering of the same page before
# rendering it too, how often it looks, and when a renderer's lock lapses (a process that died).
RENDER_WAIT_SECONDS = 2.0
RENDER_POLL_SECONDS = 0.05
RENDER_LOCK_SECONDS = 10


def _anonymous(request):
    # The cookies and the query first: they cost nothing, where the account check loads the session.
    if request.method != "GET" or "api_key" in request.GET:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return not carries_personal_data(request)


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


def lock_for(key):
    """The lock of whoever renders the page kept under `key` (single flight)."""
    return f"{key}:rendering"


def _keepable(request, response):
    return (
        response.status_code == 200
        and not response.cookies
        and not getattr(response, "is_async", False)
        and not _hands_out_state(request)
        and not carries_personal_data(request)  # e.g. an API token the view itself authenticated
    )


def _keep(request, key, response, seconds, done):
    """Keep `response` under `key` if it may be kept; `done()` once that is settled (at the end of
    a stream for a streamed answer)."""
    if not _keepable(request, response):
        done()
    elif response.streaming:
        response.streaming_content = _collected(request, key, response, seconds, done)
    else:
        cache.set(key, response, seconds)
        done()


def _collected(request, key, response, seconds, done):
    """`response`'s stream, passed on chunk by chunk and collected on the way; kept as one ordinary
    answer, with the headers it had when the view returned it, only when the stream ends normally.
    An exception from the stream, or a client gone before the end (GeneratorExit at the `yield`),
    leaves the loop before anything is kept; so does a body over MAX_STREAMED_BYTES. `done()` in
    every case (a stream never started leaves its lock to lapse)."""
    stream, headers = response.streaming_content, dict(response.items())

    def passed_on():
        try:
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
        finally:
            done()

    return passed_on()


def _request_transaction():
    """The request's transaction as ATOMIC_REQUESTS asks for it (the wrapper opts out of Django's,
    which would also enclose the wait for another visitor's copy)."""
    if connections[DEFAULT_DB_ALIAS].settings_dict.get("ATOMIC_REQUESTS"):
        return transaction.atomic(using=DEFAULT_DB_ALIAS)
    return nullcontext()


def _told(response, how):
    if settings.PAGE_CACHE_HEADER:
        response[HEADER] = how
    return response


def _rendering_elsewhere(key, lock):
    """Wait up to RENDER_WAIT_SECONDS for the copy another visitor is rendering under `key` (it
    holds `lock`); the copy, or None when it does not come: the renderer kept nothing, is slow or
    is gone, or the cache stopped answering."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(RENDER_POLL_SECONDS)
        found = cache.get_many([key, lock])
        if key in found:
            return found[key]
        if lock not in found:  # the renderer is done (or the cache is gone): a copy set just before?
            return cache.get(key)
    return None


def public_page(view):
    """Serve `view`'s anonymous answers from the cache, exactly (see the module)."""

    # The request's transaction (ATOMIC_REQUESTS) is opened here, around the view only: a visitor
    # waiting for another's copy must not hold a primary connection idle in a transaction.
    @transaction.non_atomic_requests
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        if seconds <= 0 or not _anonymous(request):
            with _request_transaction():
                return replicas.run_view(view, request, args, kwargs)
        # The generation first, once, on the primary: whatever the view reads afterwards, on the
        # primary or on a replica that has replayed it, is at least this new.
        generation = publication.current()
        key = key_for(request, generation)
        cached = cache.get(key)
        if cached is not None:
            return _told(cached, "hit")
        lock = lock_for(key)
        # True: this visitor renders; False: another is rendering it; None: the cache is down.
        token = uuid.uuid4().hex
        holder = cache.add(lock, token, timeout=RENDER_LOCK_SECONDS)
        if holder is False:
            cached = _rendering_elsewhere(key, lock)
            if cached is not None:
                # Served after a wait only if no change committed meanwhile: a copy kept under a
                # generation is never served once the next one is out, not even a second later.
                now = publication.current()
                if now == generation:
                    return _told(cached, "hit")
                generation, key = now, key_for(request, now)  # rendered afresh, without the lock

        def done():
            # Only our own lock: one that lapsed during a long render may be another renderer's now.
            if holder and cache.get(lock) == token:
                cache.delete(lock)

        try:
            with _request_transaction():
                response = replicas.run_view(view, request, args, kwargs, generation=generation)
        except BaseException:
            done()
            raise
        _told(response, "miss")
        if getattr(response, "is_rendered", True):
            _keep(request, key, response, seconds, done)
        else:  # a TemplateResponse: kept once rendered
            response.add_post_render_callback(lambda rendered: _keep(request, key, rendered, seconds, done))
        return response

    return wrapped
