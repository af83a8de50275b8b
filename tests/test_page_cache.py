"""Cached public pages (complaints.common.pagecache, docs/architecture.md "Cached public pages"):
an anonymous visitor's copy is served again until a change the public can see commits, and never
after it; signed-in visitors and sessions always get a fresh page; a dead cache means fresh pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import workflow
from complaints.common import publication
from complaints.common.pagecache import HEADER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60


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


def test_a_raised_privacy_is_never_served_stale(client, disposed_report, operator):
    c = disposed_report(title="Lampu jalan padam di Zelvoran")
    assert "Zelvoran" in client.get("/laporan/").content.decode()
    assert client.get("/laporan/")[HEADER] == "hit"
    assert client.get(c.get_absolute_url()).status_code == 200

    workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")

    feed = client.get("/laporan/")
    assert feed[HEADER] == "miss" and "Zelvoran" not in feed.content.decode()
    assert client.get(c.get_absolute_url()).status_code == 404


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
        response = client.get("/laporan/")
        assert response.status_code == 200 and "Zelvoran" in response.content.decode()
        assert response[HEADER] == "miss"


def test_the_language_links_switch_and_return(client, disposed_report):
    response = client.get("/bahasa/en/?next=/laporan/%3Fpage%3D1")
    assert response.status_code == 302 and response["Location"] == "/laporan/?page=1"
    assert response.cookies["django_language"].value == "en"
    assert client.get("/bahasa/en/?next=https://evil.example/")["Location"] == "/"
    assert client.get("/bahasa/xx/").status_code == 404
    home = client.get("/").content.decode()
    assert 'href="/bahasa/id/?next=/"' in home and 'lang="id"' in home
