"""The public map (/peta/): points at public precision only (docs/privacy.md), the counts by
kecamatan under the aggregate rules, the area outlines, the list that makes the page whole without
JavaScript, and the small map of a report page."""

import html
import json
import math
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Area, AreaBoundary
from complaints.common.suppression import protect
from complaints.models import Complaint, Status
from complaints.portal import maps

pytestmark = pytest.mark.django_db

UMUM = (Decimal("-4.517382"), Decimal("122.394615"))
ANONIM = (Decimal("-4.528471"), Decimal("122.385726"))
RAHASIA = (Decimal("-4.539561"), Decimal("122.376837"))
WIDE = "122.3,-4.6,122.5,-4.4"
ANONIM_STREET = "Lorong Quimbasari nomor 9"


def _square(lng, lat, size):
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


@pytest.fixture
def reports(disposed_report, region):
    def make(privacy, point, **fields):
        return disposed_report(privacy=privacy, lat=point[0], lng=point[1], kecamatan=region.kecamatan, **fields)

    return {
        "umum": make("umum", UMUM, title="Jembatan Umumvarra ambruk"),
        "anonim": make("anonim", ANONIM, title="Jembatan Anonvarra ambruk", location_text=ANONIM_STREET),
        "rahasia": make("rahasia", RAHASIA, title="Jembatan Rahsvarra ambruk"),
    }


def _data(client, **params):
    response = client.get("/peta/data.json", params)
    assert response.status_code == 200, response.content
    return response.json()


def _decimals(value):
    text = repr(value)
    return len(text.split(".")[1]) if "." in text else 0


# The data endpoint ----------------------------------------------------------------------------------
def test_points_are_umum_reports_at_public_precision(client, reports):
    response = client.get("/peta/data.json", {"bbox": WIDE})
    data = response.json()
    assert [p["id"] for p in data["points"]] == [reports["umum"].tracking_id]
    point = data["points"][0]
    assert (point["lat"], point["lng"]) == (-4.517, 122.395)
    body = response.content.decode()
    # No number in the answer carries more than three decimals; no exact digits, no hidden report.
    assert not re.search(r"\d\.\d{4,}", body)
    for p in data["points"]:
        assert _decimals(p["lat"]) <= 3 and _decimals(p["lng"]) <= 3
    for hidden in ("anonim", "rahasia"):
        assert reports[hidden].tracking_id not in body
        assert reports[hidden].title not in body
    assert "517382" not in body and "394615" not in body
    assert ANONIM_STREET not in body
    assert reports["umum"].reporter.email not in body


def test_box_edges_tell_nothing_beyond_the_rounded_point(client, disposed_report, region):
    """Two reports in one ~100 m cell are in or out of every window together, wherever its edges
    fall between their exact coordinates: the window is read on the public grid."""
    a = disposed_report(lat=Decimal("-4.517382"), lng=Decimal("122.394615"))
    b = disposed_report(lat=Decimal("-4.516501"), lng=Decimal("122.394501"))
    assert maps._public_point("umum", a.lat, a.lng) == maps._public_point("umum", b.lat, b.lng)
    seen = set()
    for step in range(0, 16):
        edge = -4.5180 + step * 0.0001
        for bbox in (f"122.3,{edge:.4f},122.5,-4.4", f"122.3,-4.6,122.5,{edge:.4f}"):
            ids = {p["id"] for p in _data(client, bbox=bbox)["points"]}
            assert ids in (set(), {a.tracking_id, b.tracking_id}), bbox
            seen.add(frozenset(ids))
    assert len(seen) == 2  # the sweep crossed the cell: both answers happen


def test_filters_narrow_the_points(client, disposed_report, region):
    road = disposed_report(lat=UMUM[0], lng=UMUM[1])
    health = disposed_report(lat=UMUM[0], lng=UMUM[1], category=region.health)
    assert {p["id"] for p in _data(client, bbox=WIDE)["points"]} == {road.tracking_id, health.tracking_id}
    assert [p["id"] for p in _data(client, bbox=WIDE, category="kesehatan")["points"]] == [health.tracking_id]
    assert _data(client, bbox=WIDE, status=Status.SELESAI)["points"] == []
    status = road.status
    assert {p["id"] for p in _data(client, bbox=WIDE, status=status)["points"]} == {
        road.tracking_id,
        health.tracking_id,
    }
    # Outside the window: nothing.
    assert _data(client, bbox="100,0,101,1")["points"] == []


def test_a_bad_box_is_a_400(client, region):
    for bbox in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,-95,1,1", "nan,0,1,1"):
        response = client.get("/peta/data.json", {"bbox": bbox})
        assert response.status_code == 400, bbox
        assert "error" in response.json()


def test_points_are_capped(client, disposed_report, monkeypatch):
    for _ in range(3):
        disposed_report(lat=UMUM[0], lng=UMUM[1])
    monkeypatch.setattr(maps, "POINTS_CAP", 2)
    data = _data(client, bbox=WIDE)
    assert data["count"] == 2 and data["truncated"] is True


def _reads(client, **params):
    """(answer, the queries the data endpoint ran — the request's savepoint set aside)."""
    with CaptureQueriesContext(connection) as ctx:
        data = _data(client, **params)
    return data, [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_the_data_endpoint_costs_the_same_queries_for_1_and_for_many(client, disposed_report):
    """Two queries: the window's ids from the point index, then their rows (maps.points)."""
    disposed_report(lat=UMUM[0], lng=UMUM[1])
    data, queries = _reads(client, bbox=WIDE)
    assert data["count"] == 1 and len(queries) == 2
    for _ in range(5):
        disposed_report(lat=UMUM[0], lng=UMUM[1])
    data, queries = _reads(client, bbox=WIDE)
    assert data["count"] == 6 and len(queries) == 2
    data, queries = _reads(client, bbox=WIDE, category="jalan")
    assert data["count"] == 6 and len(queries) == 3  # the category's slug is read once
    data, queries = _reads(client, bbox="100,0,101,1")
    assert data["count"] == 0 and len(queries) == 1  # an empty window: nothing more to read


def test_a_crowded_window_gives_the_same_points_newest_first(client, disposed_report, monkeypatch):
    made = [disposed_report(lat=UMUM[0] + Decimal(i) / 1000, lng=UMUM[1]) for i in range(4)]
    few = _data(client, bbox=WIDE)
    monkeypatch.setattr(maps, "CROWDED", 3)
    crowded, queries = _reads(client, bbox=WIDE)
    # The window's ids (crowded), the newest ids walked in index order, their rows; on PostgreSQL
    # with sorting and bitmap scans ruled out for that walk alone (maps._newest_ids).
    planner = [q for q in queries if q.startswith("SET LOCAL")]
    assert planner == (
        ["SET LOCAL enable_sort = off", "SET LOCAL enable_bitmapscan = off"]
        if connection.vendor == "postgresql"
        else []
    )
    assert len(queries) - len(planner) == 3
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_sort")
            assert cursor.fetchone()[0] == "on"  # the setting ended with its statement's transaction
    assert crowded == few
    newest_first = sorted(made, key=lambda c: (c.verified_at, c.pk), reverse=True)
    assert [p["id"] for p in crowded["points"]] == [c.tracking_id for c in newest_first]
    monkeypatch.setattr(maps, "POINTS_CAP", 2)
    capped = _data(client, bbox=WIDE)
    assert [p["id"] for p in capped["points"]] == [c.tracking_id for c in newest_first[:2]]
    assert capped["truncated"] is True


def test_points_come_from_the_public_set_only(disposed_report, file_report):
    """Built on visible_to(AnonymousUser).public(): an unverified umum report is no point."""
    shown = disposed_report(lat=UMUM[0], lng=UMUM[1])
    file_report(lat=UMUM[0], lng=UMUM[1])  # not verified yet
    found, _truncated = maps.points(None, None, "")
    assert [p["id"] for p in found] == [shown.tracking_id]
    public = set(Complaint.objects.visible_to(AnonymousUser()).public().values_list("tracking_id", flat=True))
    assert {p["id"] for p in found} <= public


# Counts by kecamatan ------------------------------------------------------------------------------
def test_counts_by_kecamatan_are_suppressed_and_leave_rahasia_out(client, disposed_report, region):
    other = Area.objects.create(name="Wuawua", code="02", level=Area.Level.KECAMATAN)
    third = Area.objects.create(name="Poasia", code="03", level=Area.Level.KECAMATAN)
    for privacy in ("umum", "umum", "umum", "anonim", "anonim", "rahasia", "rahasia"):
        disposed_report(privacy=privacy, kecamatan=region.kecamatan)
    for _ in range(6):
        disposed_report(kecamatan=other)
    cells = {code: cell for code, _name, cell in maps.kecamatan_counts(None, "")}
    # Rahasia reports are never counted by area: Kota has 5 public reports, not 7.
    assert cells == {"01": 5, "02": 6, "03": 0}
    assert [cells["01"], cells["02"], cells["03"]] == protect([5, 6, 0])

    disposed_report(kecamatan=third)
    disposed_report(privacy="anonim", kecamatan=third)
    cells = {code: cell for code, _name, cell in maps.kecamatan_counts(None, "")}
    # 2 is "< 5"; the smallest shown cell is hidden too, so 2 cannot be worked out from the total.
    assert cells == {"01": "≥ 5", "02": 6, "03": "< 5"}

    page = client.get("/peta/").content.decode()
    assert "&lt; 5" in page and "≥ 5" in page
    counts = json.loads(html.unescape(re.search(r'data-counts="([^"]*)"', page).group(1)))
    assert counts == {"01": "≥ 5", "02": 6, "03": "< 5"}


# Outlines -------------------------------------------------------------------------------------------
def test_outlines_are_public_simplified_geojson(client, region):
    AreaBoundary.objects.create(area=region.kecamatan, geometry=_square(122.3, -4.6, 0.2))
    # A kelurahan with a round boundary of 2,000 vertices: simplified before it is sent.
    ring = [
        [122.4 + 0.01 * math.cos(2 * math.pi * i / 2000), -4.5 + 0.01 * math.sin(2 * math.pi * i / 2000)]
        for i in range(2000)
    ]
    ring.append(ring[0])
    AreaBoundary.objects.create(area=region.kelurahan, geometry={"type": "Polygon", "coordinates": [ring]})
    response = client.get("/peta/wilayah.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert by_code["01"]["properties"] == {"code": "01", "name": "Kota", "level": "kecamatan", "kecamatan": None}
    assert by_code["01.01"]["properties"]["kecamatan"] == "01"
    # A small polygon is sent as it is, its coordinates rounded to five decimals (about 1 m).
    assert by_code["01"]["geometry"]["coordinates"] == [
        [[122.3, -4.6], [122.5, -4.6], [122.5, -4.4], [122.3, -4.4], [122.3, -4.6]]
    ]
    simplified = by_code["01.01"]["geometry"]["coordinates"][0]
    assert 8 < len(simplified) < 500
    assert all(_decimals(x) <= maps.OUTLINE_DECIMALS for point in simplified for x in point)


def test_outlines_follow_a_renamed_area(client, region):
    AreaBoundary.objects.create(area=region.kecamatan, geometry=_square(122.3, -4.6, 0.2))
    assert client.get("/peta/wilayah.geojson").json()["features"][0]["properties"]["name"] == "Kota"
    Area.objects.filter(pk=region.kecamatan.pk).update(name="Kota Lama")
    assert client.get("/peta/wilayah.geojson").json()["features"][0]["properties"]["name"] == "Kota Lama"


# The page without JavaScript ---------------------------------------------------------------------
def test_the_list_shows_the_same_reports_without_javascript(client, reports, region):
    page = client.get("/peta/").content.decode()
    assert reports["umum"].title in page and reports["anonim"].title in page
    assert reports["rahasia"].title not in page and reports["rahasia"].tracking_id not in page
    assert "-4.517, 122.395" in page  # the umum report's public point, in text
    assert "517382" not in page and "528471" not in page and "-4.528" not in page
    assert ANONIM_STREET not in page
    # The filters are a plain GET form; the map is an addition the script shows.
    assert 'method="get" action="/peta/"' in page
    assert 'id="public-map" class="lapor-map big" hidden' in page
    filtered = client.get("/peta/", {"category": "kesehatan"}).content.decode()
    assert reports["umum"].title not in filtered
    by_status = client.get("/peta/", {"status": reports["umum"].status}).content.decode()
    assert reports["umum"].title in by_status


def test_the_list_is_paginated(client, disposed_report):
    for i in range(maps.PAGE_SIZE + 1):
        disposed_report(title=f"Lampu jalan mati nomor {i:02d}")
    first = client.get("/peta/").content.decode()
    second = client.get("/peta/", {"page": 2}).content.decode()
    assert "Lampu jalan mati nomor 20" in first and "Lampu jalan mati nomor 00" not in first
    assert "Lampu jalan mati nomor 00" in second


# A report's small map ----------------------------------------------------------------------------
def test_a_report_page_map_is_at_the_callers_precision(client, reports, citizen, region):
    umum = reports["umum"]
    public = client.get(umum.get_absolute_url()).content.decode()
    assert 'data-lat="-4.517" data-lng="122.395"' in public
    assert "517382" not in public
    assert 'data-area="01"' in public
    client.force_login(citizen)
    own = client.get(umum.get_absolute_url()).content.decode()
    assert 'data-lat="-4.517382" data-lng="122.394615"' in own


def test_an_anonim_report_page_map_shows_only_its_area(client, reports):
    page = client.get(reports["anonim"].get_absolute_url()).content.decode()
    assert 'id="report-map"' in page
    assert "data-lat" not in page and "528471" not in page


# The base map's tiles ----------------------------------------------------------------------------
def _img_src(**env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAP_TILE")} | env
    code = "import lapor.settings as s; print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.split()


@pytest.mark.django_db(False)
def test_the_policy_lets_tiles_in_from_their_origin_only():
    assert _img_src() == ["'self'", "data:"]
    assert _img_src(MAP_TILE_URL="https://tile.example.go.id/peta/{z}/{x}/{y}.png") == [
        "'self'",
        "data:",
        "https://tile.example.go.id",
    ]
    assert _img_src(MAP_TILE_URL="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")[-1] == (
        "https://*.tile.openstreetmap.org"
    )
    assert _img_src(MAP_TILE_URL="javascript:alert(1)") == ["'self'", "data:"]


def test_every_map_carries_the_tile_settings(client, reports, settings):
    settings.MAP_TILE_URL = "https://tile.example.go.id/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Kontributor Peta"
    for url in ("/peta/", reports["umum"].get_absolute_url()):
        page = client.get(url).content.decode()
        assert 'data-tile-url="https://tile.example.go.id/{z}/{x}/{y}.png"' in page, url
        assert 'data-tile-attribution="© Kontributor Peta"' in page, url
        assert 'data-outlines-url="/peta/wilayah.geojson"' in page, url


def test_the_page_costs_the_same_queries_for_1_and_for_a_full_page(client, disposed_report, region):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/peta/").status_code == 200
        return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]

    disposed_report(lat=UMUM[0], lng=UMUM[1], kecamatan=region.kecamatan, kelurahan=region.kelurahan)
    one = queries()
    for _ in range(maps.PAGE_SIZE + 4):
        disposed_report(lat=UMUM[0], lng=UMUM[1], kecamatan=region.kecamatan, kelurahan=region.kelurahan)
    many = queries()
    assert len(many) == len(one) <= 8
