"""The docs/product.md §3 matrix over the HTML surfaces: the feed, search on the feed, the similar
reports offered while filing, and the report page — for every role × privacy level × status
(unverified, verified, archived as invalid), from the shared table in tests/privacy_matrix.py."""

import pytest
from django.core.cache import cache

from complaints.models import IdentityAccess
from tests.privacy_matrix import CASES, build_report, expected, persona

LAT, LNG = "-4.601234", "121.903456"
NOT_FOUND = None


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _client_for(client, user):
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name,privacy,state", CASES)
def test_report_page(request, client, name, privacy, state, region):
    report = build_report(
        request, privacy, state, lat=LAT, lng=LNG, kecamatan=region.kecamatan, kelurahan=region.kelurahan
    )
    exp = expected(name, privacy, state)
    c = _client_for(client, persona(request, name))
    missing = c.get("/laporan/LPR-0000-0000/")
    before = IdentityAccess.objects.count()
    response = c.get(report.get_absolute_url())
    if not exp.sees:
        assert response.status_code == 404
        assert response.content == missing.content  # the same 404 as a missing id
        return
    body = response.content.decode()
    assert response.status_code == 200
    assert report.title in body
    # Never on this page, whoever asks: contact details, NIK, full name.
    for secret in ("alice@warga.id", "+628529860111", "Rahmawati"):
        assert secret not in body
    assert ("Alice" in body) is exp.shows_name
    if exp.exact_location:
        assert f"{LAT}, {LNG}" in body
    else:
        assert LAT not in body
        assert ("-4.601, 121.903" in body) is (privacy == "umum")
    # A logged identity view is recorded exactly when the name was shown under a logged view.
    logged = IdentityAccess.objects.count() - before
    assert logged == (1 if name == "operator" and privacy != "umum" else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("name,privacy,state", CASES)
def test_feed_and_search(request, client, name, privacy, state, region):
    report = build_report(request, privacy, state, lat=LAT, lng=LNG)
    exp = expected(name, privacy, state)
    c = _client_for(client, persona(request, name))
    for params in ({}, {"q": "berlubang pasar"}, {"category": "jalan"}, {"agency": "dinas-pu"}):
        body = c.get("/laporan/", params).content.decode()
        assert (report.tracking_id in body) is exp.listed, params
        # The feed is a public surface: the name only for umum, never contact details or exact place.
        assert ("Pelapor: Alice" in body) is (exp.listed and privacy == "umum")
        assert "alice@warga.id" not in body and "Rahmawati" not in body and LAT not in body
    assert IdentityAccess.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name,privacy,state", CASES)
def test_similar_reports(request, client, name, privacy, state, region):
    report = build_report(request, privacy, state, kecamatan=region.kecamatan)
    exp = expected(name, privacy, state)
    c = _client_for(client, persona(request, name))
    body = c.get(
        "/lapor/serupa/", {"category": "jalan", "kecamatan": region.kecamatan.pk, "q": "jalan berlubang depan pasar"}
    ).content.decode()
    assert (report.tracking_id in body) is (exp.listed and state == "verified")
