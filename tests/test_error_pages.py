"""Error pages: localised, with a way back, JSON on API paths, never cached."""

import pytest
from django.test import Client


def _page(response):
    return response.content.decode()


@pytest.mark.django_db
def test_unknown_report_gives_a_404_page_with_a_way_back(client):
    r = client.get("/laporan/LPR-ZZZZ-ZZZZ/")
    assert r.status_code == 404
    html = _page(r)
    assert "<h1>Halaman tidak ditemukan</h1>" in html
    assert 'action="/lacak/"' in html  # the tracking form, to try again
    assert 'href="/"' in html
    # A logged-out reporter opening their own unverified report is told to sign in and lands on
    # their reports. The path is not echoed: a hidden report's page reads like a missing one's.
    assert 'href="/akun/masuk/?next=/saya/"' in html
    assert "LPR-ZZZZ-ZZZZ" not in html
    assert "no-store" in r["Cache-Control"]
    assert "Not Found" not in html


@pytest.mark.django_db
def test_404_for_a_signed_in_user_does_not_offer_login(client_for, citizen):
    html = _page(client_for(citizen).get("/tidak-ada/"))
    assert "Halaman tidak ditemukan" in html
    assert "/akun/masuk/" not in html


@pytest.mark.django_db
def test_404_in_english(client):
    r = client.get("/tidak-ada/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    html = _page(r)
    assert '<html lang="en">' in html
    assert "Page not found" in html
    assert "Halaman tidak ditemukan" not in html


@pytest.mark.django_db
def test_api_paths_answer_json_errors(client):
    r = client.get("/api/v1/tidak-ada/")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    assert "ditemukan" in r.json()["detail"]


@pytest.mark.django_db
def test_permission_denied_page(client_for, citizen):
    r = client_for(citizen).get("/audit/")
    assert r.status_code == 403
    html = _page(r)
    assert "<h1>Akses ditolak</h1>" in html
    assert 'href="/akun/"' in html


@pytest.mark.django_db
def test_csrf_failure_page_says_what_to_do(citizen):
    c = Client(enforce_csrf_checks=True)
    r = c.post("/akun/masuk/", {"username": "alice@warga.id", "password": "rahasia-sekali-123"})
    assert r.status_code == 403
    html = _page(r)
    assert "<h1>Formulir kedaluwarsa</h1>" in html
    assert "Muat ulang halaman itu" in html
    assert "_auth_user_id" not in c.session  # nothing was done


@pytest.mark.django_db
def test_csrf_failure_on_the_api_is_json(citizen):
    c = Client(enforce_csrf_checks=True)
    c.force_login(citizen)
    r = c.post("/api/v1/complaints/", {}, content_type="application/json")
    assert r.status_code == 403
    assert r["Content-Type"].startswith("application/json")
    assert "detail" in r.json()


@pytest.mark.django_db
def test_bad_host_gets_the_400_page(client):
    r = client.get("/", HTTP_HOST="evil.example")
    assert r.status_code == 400
    assert "Permintaan tidak dapat diproses" in _page(r)


@pytest.mark.django_db
@pytest.mark.urls("tests.error_urls")
def test_server_error_page(client):
    client.raise_request_exception = False
    r = client.get("/boom/")
    assert r.status_code == 500
    html = _page(r)
    assert "Terjadi kesalahan di sistem kami" in html
    assert 'href="/"' in html
    assert "Server Error" not in html
    api = client.get("/api/v1/boom/")
    assert api.status_code == 500
    assert api.json() == {"detail": "Terjadi kesalahan di sistem kami. Coba lagi beberapa saat lagi."}
