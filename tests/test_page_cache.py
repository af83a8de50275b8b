"""Cached public pages (complaints.common.pagecache, docs/architecture.md "Cached public pages"):
an anonymous visitor's copy is served again until a change the public can see commits, and never
after it; signed-in visitors and sessions always get a fresh page; a dead cache means fresh pages;
one visitor at a time renders a missing page; the client is not told whether its copy was cached
(the tests turn that header on to see it)."""

import contextlib
import json
import threading
import time

import pytest
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from complaints import workflow
from complaints.common import pagecache, publication
from complaints.common.pagecache import HEADER, key_for, lock_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    settings.PAGE_CACHE_HEADER = True  # off in production (see the last tests)


def test_an_anonymous_page_is_served_again_without_the_view(client, disposed_report):
    c = disposed_report()
    url = c.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200 and first[HEADER] == "miss"
    assert c.title in first.content.decode()
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert again[HEADER] == "hit" and again.content == first.content
    # The generation alone (around it, the request's own savepoint): the view's queries did not run.
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and "complaints_publication" in statements[0], statements


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


OPEN311_LISTS = ("/open311/v2/requests.json", "/open311/v2/requests.xml")


def test_a_raised_privacy_is_never_served_stale(client, disposed_report, operator):
    c = disposed_report(title="Lampu jalan padam di Zelvoran")
    one_request = f"/open311/v2/requests/{c.tracking_id}.json"
    assert "Zelvoran" in client.get("/laporan/").content.decode()
    assert client.get("/laporan/")[HEADER] == "hit"
    assert client.get(c.get_absolute_url()).status_code == 200
    for url in (*OPEN311_LISTS, one_request):
        assert c.tracking_id.encode() in body(client.get(url)), url
        assert client.get(url)[HEADER] == "hit", url

    workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")

    feed = client.get("/laporan/")
    assert feed[HEADER] == "miss" and "Zelvoran" not in feed.content.decode()
    assert client.get(c.get_absolute_url()).status_code == 404
    for url in OPEN311_LISTS:
        listed = client.get(url)
        assert listed[HEADER] == "miss" and c.tracking_id.encode() not in body(listed), url
    assert client.get(one_request).status_code == 404


# Streamed answers (the Open311 lists) --------------------------------------------------------------
@pytest.mark.parametrize("url", OPEN311_LISTS)
def test_a_streamed_list_is_kept_once_it_has_been_sent_whole(client, disposed_report, url):
    disposed_report()
    disposed_report()
    first = client.get(url)
    assert first.streaming and first[HEADER] == "miss"
    # Not kept before its stream has ended.
    assert client.get(url)[HEADER] == "miss"
    sent = body(first)
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert again[HEADER] == "hit" and not again.streaming
    assert again.content == sent and again["Content-Type"] == first["Content-Type"]
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and "complaints_publication" in statements[0], statements


def test_a_stream_that_fails_keeps_nothing(client, open311_cut_mid_way, monkeypatch):
    from django.db import OperationalError

    from complaints.channels import open311

    with pytest.raises(OperationalError):
        body(client.get(OPEN311_LISTS[0]))
    monkeypatch.setattr(open311, "_read_chunk", open311_cut_mid_way)
    whole = client.get(OPEN311_LISTS[0])
    assert whole[HEADER] == "miss" and len(json.loads(body(whole))) == 3
    assert client.get(OPEN311_LISTS[0])[HEADER] == "hit"


def _served_directly(url):
    """`url`'s answer from the view as the URLconf wraps it, and the key it is kept under. Not
    through the test client, which closes a streamed answer only once it has been read whole."""
    request = RequestFactory().get(url)
    match = resolve(url)
    return match.func(request, *match.args, **match.kwargs), key_for(request, publication.current())


def test_a_client_gone_before_the_end_keeps_nothing(disposed_report, monkeypatch):
    from complaints.channels import open311

    for _i in range(3):
        disposed_report()
    monkeypatch.setattr(open311, "CHUNK", 1)
    response, key = _served_directly(OPEN311_LISTS[0])
    next(iter(response.streaming_content))
    # As a WSGI server does when the client hangs up: GeneratorExit in the stream. Without the
    # request_finished receiver that would close the test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert cache.get(key) is None
    # Read whole, the same answer is kept under that key.
    response, key = _served_directly(OPEN311_LISTS[0])
    sent = b"".join(response.streaming_content)
    assert cache.get(key).content == sent


def test_a_stream_over_the_limit_is_sent_whole_and_not_kept(client, disposed_report, monkeypatch):
    from complaints.common import pagecache

    for _i in range(3):
        disposed_report()
    size = len(body(client.get(OPEN311_LISTS[0])))  # kept: under the limit
    cache.clear()
    monkeypatch.setattr(pagecache, "MAX_STREAMED_BYTES", size - 1)
    assert len(body(client.get(OPEN311_LISTS[0]))) == size
    assert client.get(OPEN311_LISTS[0])[HEADER] == "miss"


def test_an_edited_summary_replaces_the_cached_body(client, disposed_report, operator):
    c = disposed_report(body="Isi asli menyebut nama Pak Xavierius di kantor kelurahan.")
    assert "Xavierius" in client.get(c.get_absolute_url()).content.decode()
    workflow.edit_summary(c.pk, by=operator, summary="Pelayanan di kantor kelurahan lambat.")
    page = client.get(c.get_absolute_url()).content.decode()
    assert "Xavierius" not in page and "Pelayanan di kantor kelurahan lambat." in page


def test_every_public_change_moves_the_generation_in_its_own_transaction(disposed_report, operator):
    c = disposed_report()
    before = publication.current()
    workflow.edit_summary(c.pk, by=operator, summary="Ringkasan baru.")
    assert publication.current() > before
    # A sign-in's last_login alone does not.
    operator.save(update_fields=["last_login"])
    after = publication.current()
    operator.save(update_fields=["last_login"])
    assert publication.current() == after


def test_languages_are_kept_apart(client, disposed_report):
    disposed_report()
    indonesian = client.get("/laporan/")
    client.cookies["django_language"] = "en"
    english = client.get("/laporan/")
    assert english[HEADER] == "miss" and english.content != indonesian.content
    assert client.get("/laporan/")[HEADER] == "hit"


def test_signed_in_visitors_and_sessions_get_fresh_pages(client, disposed_report, citizen):
    disposed_report()
    client.get("/laporan/")
    client.force_login(citizen)
    response = client.get("/laporan/")
    assert response.status_code == 200 and HEADER not in response


def test_the_page_hands_out_no_csrf_token_so_it_can_be_kept(client, disposed_report):
    c = disposed_report()
    for url in ("/", "/laporan/", c.get_absolute_url(), "/statistik/", "/peta/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, (url, list(response.cookies))
        assert client.get(url)[HEADER] == "hit", url


def test_a_dead_cache_renders_pages_uncached(client, disposed_report, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    # (Django's setting_changed receiver builds the cache handler again from these.)
    disposed_report(title="Got sumbat di Zelvoran")
    for _ in range(2):
        started = time.monotonic()
        response = client.get("/laporan/")
        assert response.status_code == 200 and "Zelvoran" in response.content.decode()
        assert response[HEADER] == "miss"
        # No lock could be taken, and none is waited for: the page is rendered at once.
        assert time.monotonic() - started < pagecache.RENDER_WAIT_SECONDS


def test_the_language_links_switch_and_return(client, disposed_report):
    response = client.get("/bahasa/en/?next=/laporan/%3Fpage%3D1")
    assert response.status_code == 302 and response["Location"] == "/laporan/?page=1"
    assert response.cookies["django_language"].value == "en"
    assert client.get("/bahasa/en/?next=https://evil.example/")["Location"] == "/"
    assert client.get("/bahasa/xx/").status_code == 404
    home = client.get("/").content.decode()
    assert 'href="/bahasa/id/?next=/"' in home and 'lang="id"' in home


@pytest.mark.parametrize("hands_out", ["csrf", "session", "message"])
def test_an_answer_the_middleware_adds_a_cookie_to_is_never_kept(hands_out):
    """A page that asks for a CSRF token, writes the session or queues a message gets its cookie
    from the middleware after the view (and after the cache wrapper) returned: such an answer is
    one visitor's and is never replayed to another."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages import add_message, constants
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from complaints.common.pagecache import public_page

    def view(request):
        if hands_out == "csrf":
            get_token(request)
        elif hands_out == "session":
            request.session["seen"] = True
        else:
            add_message(request, constants.INFO, "Terima kasih.")
        return HttpResponse("halaman")

    page = public_page(view)

    def visit():
        request = RequestFactory().get("/halaman-uji/")
        request.user = AnonymousUser()
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        return page(request)

    assert visit()[HEADER] == "miss"
    assert visit()[HEADER] == "miss"  # nothing was kept for the next visitor


def test_only_an_accounts_public_name_moves_the_generation(citizen):
    """The public sees an account only as the name on its reports: a new account, a sign-in or a new
    phone keep every cached page; a changed display name ends them."""
    from accounts.models import User

    before = publication.current()
    User.objects.create_user(email="baru@warga.id", password="rahasia-sekali-123", full_name="Warga Baru")
    citizen.phone = "+6281234567890"
    citizen.save(update_fields=["phone"])
    citizen.save(update_fields=["last_login"])
    assert publication.current() == before
    citizen.display_name = "Alya"
    citizen.save(update_fields=["display_name"])
    assert publication.current() == before + 1
    citizen.save()  # a whole save may change the name
    assert publication.current() == before + 2


# One renderer at a time (single flight) -------------------------------------------------------------
class CountingPage:
    """A public page (the wrapper as the URLconfs use it) whose view counts its runs and takes
    `render_seconds`; `visit()` is an anonymous GET of it."""

    def __init__(self, render_seconds=0.0):
        self.runs = 0
        self.render_seconds = render_seconds
        self._count = threading.Lock()
        self.page = pagecache.public_page(self.view)

    def view(self, request):
        from django.http import HttpResponse

        with self._count:
            self.runs += 1
            run = self.runs
        time.sleep(self.render_seconds)
        return HttpResponse(f"halaman, rendered by run {run}")

    def request(self):
        from django.contrib.auth.models import AnonymousUser

        request = RequestFactory().get("/halaman-uji/")
        request.user = AnonymousUser()
        return request

    def visit(self):
        return self.page(self.request())

    def key(self):
        return key_for(self.request(), publication.current())


@pytest.fixture
def fixed_generation(monkeypatch):
    # The threads below open no database connection of their own (a test's data is in its
    # transaction): the generation the page reads is fixed.
    monkeypatch.setattr(publication, "current", lambda using="default": 41)
    # Nor a request transaction (the wrapper opens it around the view; on the embedded SQLite a
    # thread's would wait for the test's own).
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "ATOMIC_REQUESTS", False)


def test_visitors_missing_the_same_page_at_once_render_it_once(fixed_generation):
    page = CountingPage(render_seconds=0.3)
    answers = []
    visitors = [threading.Thread(target=lambda: answers.append(page.visit())) for _ in range(5)]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join(10)
    assert page.runs == 1
    assert len(answers) == 5 and {a.content for a in answers} == {b"halaman, rendered by run 1"}
    assert sorted(a[HEADER] for a in answers) == ["hit"] * 4 + ["miss"]
    assert cache.get(lock_for(page.key())) is None  # released once kept


@contextlib.contextmanager
def delivered_elsewhere(key, body, *, after):
    """Within the block, `after` seconds on, another process delivers its rendered copy of the page
    under `key` and releases the lock, as the one holding it does."""
    from django.http import HttpResponse

    def deliver():
        cache.set(key, HttpResponse(body), 60)
        cache.delete(lock_for(key))

    timer = threading.Timer(after, deliver)
    timer.start()
    try:
        yield
    finally:
        timer.join()


def test_a_visitor_waits_for_the_copy_being_rendered(fixed_generation):

    page = CountingPage()
    key = page.key()
    assert cache.add(lock_for(key), 1)  # another process is rendering it

    started = time.monotonic()
    with delivered_elsewhere(key, b"halaman, rendered elsewhere", after=0.2):
        answer = page.visit()
    assert page.runs == 0 and answer.content == b"halaman, rendered elsewhere" and answer[HEADER] == "hit"
    assert 0.2 <= time.monotonic() - started < pagecache.RENDER_WAIT_SECONDS


def test_a_copy_that_came_while_a_change_committed_is_not_served(monkeypatch):
    """The copy another visitor rendered under generation 41 arrives while a change moves the
    generation to 42: the visitor who waited for it gets a page rendered afresh, under 42."""

    generations = iter([41, 41, 42, 42])  # the test's key, the visit's, after the wait, and later
    monkeypatch.setattr(publication, "current", lambda using="default": next(generations))
    page = CountingPage()
    key = page.key()
    assert cache.add(lock_for(key), 1)

    with delivered_elsewhere(key, b"halaman, rendered before the change", after=0.1):
        answer = page.visit()
    assert page.runs == 1 and answer.content == b"halaman, rendered by run 1" and answer[HEADER] == "miss"
    assert page.visit()[HEADER] == "hit"  # kept under 42


def test_a_visitor_renders_itself_when_the_other_renderer_does_not_deliver(fixed_generation, monkeypatch):
    monkeypatch.setattr(pagecache, "RENDER_WAIT_SECONDS", 0.3)
    page = CountingPage()
    assert cache.add(lock_for(page.key()), 1)  # held by a renderer that never finishes
    started = time.monotonic()
    answer = page.visit()
    waited = time.monotonic() - started
    assert page.runs == 1 and answer[HEADER] == "miss" and answer.content == b"halaman, rendered by run 1"
    assert 0.3 <= waited < 1.5  # bounded: the wait, then its own rendering
    assert page.visit()[HEADER] == "hit" and page.runs == 1  # and its copy is kept for the next


def test_a_renderer_that_keeps_nothing_releases_the_others_at_once(fixed_generation):
    """A page that may not be kept (here a 404) ends the lock as soon as it is answered: the
    visitors waiting for it render their own at once instead of waiting out the delay."""
    from django.http import HttpResponseNotFound

    page = CountingPage()
    page.page = pagecache.public_page(lambda request: HttpResponseNotFound("tidak ada"))
    assert page.visit().status_code == 404
    assert cache.get(lock_for(page.key())) is None


# Whether a copy was cached is not the client's business ---------------------------------------------
def test_answers_do_not_say_whether_they_came_from_the_cache(client, disposed_report, settings):
    """A hit would tell anyone that another visitor opened the page within the last minute."""
    settings.PAGE_CACHE_HEADER = False
    c = disposed_report()
    first = client.get(c.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(c.get_absolute_url())
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1  # served from the cache
    assert again.content == first.content
    assert HEADER not in first and HEADER not in again
    listed = client.get(OPEN311_LISTS[0])
    body(listed)
    assert HEADER not in listed and HEADER not in client.get(OPEN311_LISTS[0])


def test_a_visitor_waits_outside_any_transaction_and_the_view_runs_inside_one(fixed_generation, monkeypatch):
    """A stampede on one page must not hold a primary connection idle in a transaction per waiter:
    the wrapper takes the request's transaction (ATOMIC_REQUESTS) around the view only."""
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "ATOMIC_REQUESTS", True)
    page = CountingPage()
    assert page.page._non_atomic_requests == {"default"}  # Django does not open it around the wait
    depth = len(connection.atomic_blocks)  # the test case's own blocks
    seen = {}

    def waiting(key, lock):
        seen["wait"] = len(connection.atomic_blocks)
        return None  # the copy never comes: this visitor renders

    def view(request):
        seen["view"] = len(connection.atomic_blocks)
        return CountingPage.view(page, request)

    monkeypatch.setattr(pagecache, "_rendering_elsewhere", waiting)
    page.page = pagecache.public_page(view)
    assert cache.add(lock_for(page.key()), "someone-else")
    page.visit()
    assert seen == {"wait": depth, "view": depth + 1}


def test_a_renderer_releases_only_its_own_lock(fixed_generation, monkeypatch):
    """A render longer than the lock's life: the lock lapsed and another renderer took it; finishing
    must not release that one."""
    page = CountingPage()
    lock = lock_for(page.key())

    def slow_view(request):
        cache.delete(lock)  # lapsed meanwhile
        assert cache.add(lock, "the-next-renderer")
        return CountingPage.view(page, request)

    page.page = pagecache.public_page(slow_view)
    page.visit()
    assert cache.get(lock) == "the-next-renderer"
    # Its own lock it does release.
    page.page = pagecache.public_page(page.view)
    cache.clear()
    page.visit()
    assert cache.get(lock) is None
