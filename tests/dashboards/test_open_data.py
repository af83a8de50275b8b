"""Open data at /data/ (docs/product.md §8): the public's view of the public reports, streamed,
under a stated license, with no identity, no exact coordinate and no anonim street."""

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agencies.models import Area
from complaints import workflow
from complaints.dashboards.open_data import FIELDS, index

pytestmark = pytest.mark.django_db

KEYS = [key for key, _label in FIELDS]


def body(response):
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def get_json(client, **params):
    return json.loads(body(client.get("/data/laporan.json", params)))


def get_csv(client, **params):
    text = body(client.get("/data/laporan.csv", params))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def world(region, file_report, operator):
    exact = {"lat": Decimal("-4.601234"), "lng": Decimal("121.903456")}
    place = {"kecamatan": region.kecamatan, "kelurahan": region.kelurahan}
    w = type("World", (), {})()
    w.umum = file_report(title="Lampu jalan mati", location_text="Jl. Poros 12", **exact, **place)
    w.anonim = file_report(
        title="Pungutan di kelurahan",
        privacy="anonim",
        location_text="Gang Mawar 3, depan rumah saya",
        **exact,
        **place,
    )
    w.rahasia = file_report(title="Pungli proyek", privacy="rahasia", location_text="Kantor proyek", **exact, **place)
    w.unverified = file_report(title="Belum diverifikasi", **place)
    for c in (w.umum, w.anonim, w.rahasia):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        c.refresh_from_db()
    return w


def test_rows_hold_the_public_view_only(client, world, citizen):
    data = get_json(client)
    rows = {row["tracking_id"]: row for row in data["data"]}
    assert set(rows) == {world.umum.tracking_id, world.anonim.tracking_id}  # rahasia and unverified absent
    for row in rows.values():
        assert list(row) == KEYS
    umum, anonim = rows[world.umum.tracking_id], rows[world.anonim.tracking_id]
    assert (umum["lat"], umum["lng"], umum["location"]) == (-4.601, 121.903, "Jl. Poros 12")
    assert (umum["kind"], umum["status"], umum["category"]) == ("aduan", "belum_ditindaklanjuti", "Jalan dan jembatan")
    assert (umum["kecamatan"], umum["kelurahan"], umum["agencies"]) == ("Kota", "Lamokato", "Dinas PU")
    assert umum["filed_at"].endswith("+07:00") and umum["verified_at"] and umum["closed_at"] == ""
    # anonim: the kelurahan, never its coordinates or its free-text location (docs/privacy.md)
    assert (anonim["lat"], anonim["lng"], anonim["location"]) == (None, None, "")
    assert anonim["kelurahan"] == "Lamokato"


def test_no_identity_no_exact_coordinates_anywhere(client, world, citizen):
    text = body(client.get("/data/laporan.json")) + body(client.get("/data/laporan.csv"))
    for secret in (
        citizen.email,
        citizen.full_name,
        citizen.display_name,
        citizen.phone,
        "Gang Mawar",
        "Kantor proyek",
        world.rahasia.tracking_id,
        world.unverified.tracking_id,
        "4.601234",
        "121.903456",
        "4.6012",
        "Lampu jalan mati",  # not even a title
    ):
        assert secret and secret not in text, secret
    rows = get_csv(client)
    assert rows[0] == KEYS
    assert sorted(row[KEYS.index("lat")] for row in rows[1:]) == ["", "-4.601"]
    lat, lng = KEYS.index("lat"), KEYS.index("lng")
    for row in rows[1:]:
        for value in (row[lat], row[lng]):
            assert value == "" or re.fullmatch(r"-?\d+\.\d{1,3}", value), value


def test_license_is_stated(client, world):
    data = get_json(client)
    assert data["license"] == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert data["license"]["name"] == settings.OPEN_DATA_LICENSE
    assert set(data["fields"]) == set(KEYS)
    link = f'<{settings.OPEN_DATA_LICENSE_URL}>; rel="license"'
    assert client.get("/data/laporan.csv")["Link"] == link
    assert client.get("/data/laporan.json")["Link"] == link
    page = client.get("/data/").content.decode()
    assert settings.OPEN_DATA_LICENSE in page and f'href="{settings.OPEN_DATA_LICENSE_URL}" rel="license"' in page
    assert 'href="/data/laporan.csv"' in page and 'href="/data/laporan.json"' in page
    assert 'href="/data/"' in client.get("/statistik/").content.decode()


def test_license_follows_the_setting(client, world, settings):
    settings.OPEN_DATA_LICENSE, settings.OPEN_DATA_LICENSE_URL = (
        "ODbL 1.0",
        "https://opendatacommons.org/licenses/odbl/",
    )
    assert get_json(client)["license"] == {"name": "ODbL 1.0", "url": "https://opendatacommons.org/licenses/odbl/"}
    assert "opendatacommons.org" in client.get("/data/laporan.csv")["Link"]


def test_csv_is_formula_safe(client, disposed_report):
    c = disposed_report(location_text='=HYPERLINK("http://x";"klik")')
    rows = get_csv(client)
    row = next(r for r in rows[1:] if r[0] == c.tracking_id)
    assert row[KEYS.index("location")] == '\'=HYPERLINK("http://x";"klik")'


def test_filters(client, region, world, disposed_report):
    other = Area.objects.create(name="Pantai", code="02", level=Area.Level.KECAMATAN)
    health = disposed_report(category=region.health, kecamatan=other)
    ids = lambda **p: {row["tracking_id"] for row in get_json(client, **p)["data"]}  # noqa: E731
    assert ids(kategori="kesehatan") == {health.tracking_id}
    assert ids(kecamatan="02") == {health.tracking_id}
    assert ids(kecamatan="01") == {world.umum.tracking_id, world.anonim.tracking_id}
    today = timezone.localdate(world.umum.created_at)
    everything = {world.umum.tracking_id, world.anonim.tracking_id, health.tracking_id}
    assert ids(dari=today.isoformat(), sampai=today.isoformat()) == everything
    assert ids(dari=(today + timedelta(days=1)).isoformat()) == set()
    assert ids(sampai=(today - timedelta(days=1)).isoformat()) == set()
    assert ids(kategori="kese\x00hatan") == {health.tracking_id}  # a NUL byte is dropped


@pytest.mark.parametrize(
    "params",
    [
        {"dari": "kemarin"},
        {"sampai": "2026-13-45"},
        {"dari": "2026-05-02", "sampai": "2026-05-01"},
        {"kategori": "tidak-ada"},
        {"kecamatan": "99"},
        {"kecamatan": "01.01"},
        {"kategori": "jalan\x00x"},
        {"kecamatan": "9\x009"},
        {"dari": "2026-01-01\x00x"},
        {"sampai": "9999-12-31"},
        {"dari": "0001-01-01"},
    ],
)
def test_bad_filters_are_a_clear_400(client, world, params):
    r = client.get("/data/laporan.json", params)
    assert r.status_code == 400 and r.json()["detail"]
    r = client.get("/data/laporan.csv", params)
    assert r.status_code == 400 and r["Content-Type"].startswith("text/plain") and r.content


@pytest.mark.parametrize("url", ["/data/laporan.csv", "/data/laporan.json"])
def test_streamed_with_a_constant_number_of_queries(client, disposed_report, url):
    disposed_report()
    with CaptureQueriesContext(connection) as one:
        body(client.get(url))
    for _i in range(49):
        disposed_report(privacy="anonim")
    with CaptureQueriesContext(connection) as fifty:
        body(client.get(url))
    assert len(fifty.captured_queries) == len(one.captured_queries)
    rows = get_json(client)["data"] if url.endswith("json") else get_csv(client)[1:]
    assert len(rows) == 50


def test_on_time_is_the_statistics_figure(client, november, now):
    rows = {row["tracking_id"]: row for row in get_json(client)["data"]}
    r = november
    assert {key: rows[c.tracking_id]["on_time"] for key, c in {"a": r.a, "b": r.b, "c": r.c, "d": r.d}.items()} == {
        "a": "ya",
        "b": "ya",
        "c": "tidak",
        "d": "tidak",
    }
    assert (rows[r.g.tracking_id]["on_time"], rows[r.h.tracking_id]["on_time"]) == ("tidak", "ya")
    assert rows[r.f.tracking_id]["agencies"] == ""  # returned: no OPD holds it
    assert rows[r.a.tracking_id]["closed_at"] and rows[r.a.tracking_id]["status"] == "selesai"
    for hidden in (r.e, r.i, r.j):  # rahasia, unverified, archived as invalid
        assert hidden.tracking_id not in rows


def test_landing_page_in_english():
    with translation.override("en"):
        page = index(RequestFactory().get("/data/")).content.decode()
    assert "Verified public reports, one row per report" in page and "License:" in page
    assert "Latitude, rounded to 3 decimals" in page
