"""Picking the place of a report (docs/areas.md, docs/privacy.md): the kecamatan and kelurahan
filled in from the point on every channel (`workflow.fill_area_from_point`), the /lapor/wilayah/
lookup the map asks, open public reports near the point offered while filing (public precision
only, never anonim or rahasia), and the files chosen before the similar-reports step kept."""

import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from shapely.geometry import box

from agencies.areas import set_boundary
from agencies.models import Area
from complaints import workflow
from complaints.common.nearby import haversine_m, nearby_open_reports
from complaints.evidence import uploads
from complaints.models import Attachment, Complaint
from tests.filing import report_form

pytestmark = pytest.mark.django_db

TITLE = "Lampu jalan mati di simpang empat"
BODY = "Lampu penerangan jalan di simpang empat mati sejak sepekan, jalan gelap pada malam hari."
# A point inside Lamokato (Kecamatan Kota), away from every border.
IN_LAMOKATO = ("-4.605000", "121.897000")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def areas(kota_areas):
    """Kota (two kelurahan side by side) and Utara north of it, with polygons."""
    region = kota_areas
    region.utara = Area.objects.create(name="Utara", code="02", level=Area.Level.KECAMATAN)
    set_boundary(region.utara, box(121.89, -4.59, 121.92, -4.56))
    region.puuwonua = Area.objects.create(
        name="Puuwonua", code="02.01", level=Area.Level.KELURAHAN, parent=region.utara
    )
    set_boundary(region.puuwonua, box(121.89, -4.59, 121.92, -4.56))
    return region


def jpeg(color="red"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return out.getvalue()


def form(region, **changes):
    """A point in Lamokato, no area chosen: the form's kecamatan and kelurahan come from the point."""
    data = report_form(
        region,
        TITLE,
        BODY,
        kecamatan="",
        kelurahan="",
        location_text="",
        lat=IN_LAMOKATO[0],
        lng=IN_LAMOKATO[1],
        incident_date=None,
        target_agency=None,
        terlapor_agency=None,
        privacy="umum",
    )
    data.update(changes)
    return data


def newest():
    return Complaint.objects.order_by("-pk").first()


# The area from the point -----------------------------------------------------------------------------
def test_web_filing_with_a_point_fills_kecamatan_and_kelurahan(alice, areas):
    response = alice.post("/lapor/", form(areas))
    assert response.status_code == 302, response.content.decode()[:2000]
    c = newest()
    assert (c.kecamatan, c.kelurahan) == (areas.kecamatan, areas.kelurahan)
    assert str(c.lat) == IN_LAMOKATO[0]


def test_api_filing_with_a_point_fills_kecamatan_and_kelurahan(citizen, areas):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(citizen)
    data = {"title": TITLE, "body": BODY, "category": "jalan", "lat": -4.605, "lng": 121.912}
    response = api.post("/api/v1/complaints/", data, format="json")
    assert response.status_code == 201, response.content
    c = newest()
    assert (c.kecamatan, c.kelurahan) == (areas.kecamatan, areas.watubangga)


def test_the_citizens_choice_is_kept_when_it_contradicts_the_point(alice, areas):
    # A kelurahan chosen: kept, whatever the point says.
    assert alice.post("/lapor/", form(areas, kelurahan=areas.watubangga.pk)).status_code == 302
    c = newest()
    assert (c.kecamatan, c.kelurahan) == (areas.kecamatan, areas.watubangga)
    # A kecamatan chosen whose kelurahan do not hold the point: the kecamatan stays, no kelurahan.
    assert (
        alice.post("/lapor/", form(areas, kecamatan=areas.utara.pk, title="Lampu jalan mati lagi")).status_code == 302
    )
    c = newest()
    assert (c.kecamatan, c.kelurahan) == (areas.utara, None)
    # A kecamatan chosen that holds the point: its kelurahan is filled in.
    assert (
        alice.post("/lapor/", form(areas, kecamatan=areas.kecamatan.pk, title="Lampu jalan padam")).status_code == 302
    )
    c = newest()
    assert (c.kecamatan, c.kelurahan) == (areas.kecamatan, areas.kelurahan)


def test_no_point_or_a_point_outside_every_area_leaves_the_area_as_chosen(alice, areas):
    assert alice.post("/lapor/", form(areas, lat="", lng="")).status_code == 302
    assert (newest().kecamatan, newest().kelurahan) == (None, None)
    assert alice.post("/lapor/", form(areas, lat="-5.5", lng="120.1", title="Lampu jalan padam")).status_code == 302
    assert (newest().kecamatan, newest().kelurahan) == (None, None)


def test_fill_area_from_point_is_the_workflows(file_report, areas):
    c = file_report(lat=Decimal("-4.575"), lng=Decimal("121.9"))
    assert (c.kecamatan, c.kelurahan) == (areas.utara, areas.puuwonua)


# /lapor/wilayah/ ---------------------------------------------------------------------------------------
def test_wilayah_endpoint_answers_the_areas_of_a_point(client, areas):
    r = client.get("/lapor/wilayah/", {"lat": "-4.605", "lng": "121.91"})
    assert r.status_code == 200
    assert r.json() == {
        "kecamatan": areas.kecamatan.pk,
        "kecamatan_name": "Kota",
        "kelurahan": areas.watubangga.pk,
        "kelurahan_name": "Watubangga",
    }
    outside = client.get("/lapor/wilayah/", {"lat": "1", "lng": "100"}).json()
    assert outside == {"kecamatan": None, "kecamatan_name": None, "kelurahan": None, "kelurahan_name": None}
    for bad in ({"lat": "x", "lng": "1"}, {"lat": "91", "lng": "1"}, {"lat": "nan", "lng": "1"}, {}):
        assert client.get("/lapor/wilayah/", bad).status_code == 400


# Nearby reports ---------------------------------------------------------------------------------------
def _public(other_citizen, operator, region, title, lat, lng, privacy="umum", verify=True, photo=None):
    c = workflow.file_complaint(
        reporter=other_citizen,
        title=title,
        body="Keterangan tambahan dari warga setempat, mohon ditangani.",
        category=region.roads,
        privacy=privacy,
        lat=Decimal(lat),
        lng=Decimal(lng),
    )
    if photo is not None:
        for content, public in photo:
            a = uploads.add_attachment(
                c, by=other_citizen, uploaded=SimpleUploadedFile("bukti-rahasia-nama.jpg", content)
            )
            Attachment.objects.filter(pk=a.pk).update(is_public=public)
    if verify:
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    c.refresh_from_db()
    return c


@pytest.fixture
def neighbourhood(areas, other_citizen, operator):
    r = areas
    far = _public(other_citizen, operator, r, "Trotoar rusak dekat sekolah", "-4.607123", "121.897456")  # ~240 m
    near = _public(
        other_citizen,
        operator,
        r,
        "Selokan tersumbat depan toko",
        "-4.605432",
        "121.897321",  # ~50 m
        photo=[(jpeg("blue"), False), (jpeg("green"), True)],
    )
    anonim = _public(other_citizen, operator, r, "Pohon tumbang anonim", "-4.605111", "121.897111", privacy="anonim")
    rahasia = _public(other_citizen, operator, r, "Pungli parkir rahasia", "-4.605222", "121.897222", privacy="rahasia")
    unverified = _public(other_citizen, operator, r, "Jalan amblas belum diperiksa", "-4.605", "121.8972", verify=False)
    beyond = _public(other_citizen, operator, r, "Lampu taman mati jauh", "-4.612", "121.897")  # ~780 m
    return type("N", (), dict(far=far, near=near, anonim=anonim, rahasia=rahasia, unverified=unverified, beyond=beyond))


def test_nearby_is_by_distance_from_public_points_and_never_anonim_or_rahasia(neighbourhood):
    n = neighbourhood
    rows = nearby_open_reports(*IN_LAMOKATO)
    assert [c.pk for c in rows] == [n.near.pk, n.far.pk]
    for c in rows:
        # The distance is measured from the public point (0.001°), not the exact one.
        lat, lng = c.public_point
        assert lat == round(c.lat, 3) and lng == round(c.lng, 3)
        expected = haversine_m(float(IN_LAMOKATO[0]), float(IN_LAMOKATO[1]), float(lat), float(lng))
        assert c.distance_m == int(round(expected, -1)) and c.distance_m <= 300
    # Only the public photo is offered as the thumbnail.
    assert rows[0].thumbnail is not None and rows[0].thumbnail.is_public
    assert rows[1].thumbnail is None
    assert [c.pk for c in nearby_open_reports(*IN_LAMOKATO, exclude=[n.near.pk])] == [n.far.pk]


def test_nearby_on_the_similar_page_shows_public_data_only(client, neighbourhood):
    n = neighbourhood
    body = client.get("/lapor/serupa/", {"lat": IN_LAMOKATO[0], "lng": IN_LAMOKATO[1]}).content.decode()
    assert n.near.title in body and n.far.title in body
    assert body.index(n.near.title) < body.index(n.far.title)
    for hidden in (n.anonim, n.rahasia, n.unverified, n.beyond):
        assert hidden.title not in body and hidden.tracking_id not in body
    for c in (n.near, n.far):  # never an exact coordinate of someone else's report
        assert f"{abs(c.lat):.6f}" not in body and f"{abs(c.lng):.6f}" not in body
    public_photo = n.near.attachments.get(is_public=True)
    private_photo = n.near.attachments.get(is_public=False)
    assert f"/lampiran/{public_photo.key}/thumb/" in body and str(private_photo.key) not in body
    assert "bukti-rahasia-nama" not in body
    assert client.get(f"/lampiran/{public_photo.key}/thumb/").status_code == 200


def test_filing_offers_nearby_reports_with_one_tap_support(alice, neighbourhood, areas):
    n = neighbourhood
    response = alice.post("/lapor/", form(areas))
    body = response.content.decode()
    assert response.status_code == 200 and 'name="step" value="confirm"' in body
    # Reports with similar words (the anonim one among them) come first; the nearby list holds
    # only umum reports, by distance.
    nearby = body.split('id="nearby-title"', 1)[1].split("</ul>", 1)[0]
    assert n.near.title in nearby and n.far.title in nearby and nearby.index(n.near.title) < nearby.index(n.far.title)
    assert n.anonim.title not in nearby and n.rahasia.title not in body and n.beyond.title not in nearby
    assert nearby.count('name="action" value="support"') == 2
    assert Complaint.objects.filter(title=TITLE).count() == 0
    assert alice.post(n.near.get_absolute_url(), {"action": "support"}).status_code == 302
    n.near.refresh_from_db()
    assert n.near.support_count == 1


# Photos kept across the similar-reports step ------------------------------------------------------------
def test_photos_chosen_before_the_similar_step_are_kept(alice, citizen, neighbourhood, areas, settings):
    photo = SimpleUploadedFile("lampu-mati.jpg", jpeg(), content_type="image/jpeg")
    response = alice.post("/lapor/", {**form(areas), "files": [photo]})
    body = response.content.decode()
    assert response.status_code == 200 and "Tetap kirim laporan saya" in body
    assert "Pilih lagi berkas bukti Anda" not in body and "lampu-mati.jpg" in body
    token = re.search(r'name="held_files" value="([0-9a-f]{32})"', body).group(1)
    assert Attachment.objects.filter(uploaded_by=citizen).count() == 0  # nothing stored on a report yet

    # Someone else cannot use the token.
    from tests.conftest import make_user

    mallory = make_user("mallory@warga.id", "Mallory Jahat")
    assert uploads.held_files(token, by=mallory) == []

    # "Tetap kirim laporan saya" without choosing the photo again files it with the photo.
    response = alice.post("/lapor/", {**form(areas), "step": "confirm", "held_files": token})
    assert response.status_code == 302
    c = newest()
    assert c.title == TITLE
    files = list(c.attachments.all())
    assert len(files) == 1 and files[0].original_name == "lampu-mati.jpg" and files[0].content_type == "image/jpeg"
    assert files[0].thumbnail
    assert uploads.held_files(token, by=citizen) == []  # the held copy is gone


def test_held_photos_survive_a_form_error_on_the_confirm_step(alice, neighbourhood, areas):
    photo = SimpleUploadedFile("lampu-mati.jpg", jpeg(), content_type="image/jpeg")
    body = alice.post("/lapor/", {**form(areas), "files": [photo]}).content.decode()
    token = re.search(r'name="held_files" value="([0-9a-f]{32})"', body).group(1)
    response = alice.post("/lapor/", {**form(areas, title="x"), "step": "confirm", "held_files": token})
    assert response.status_code == 400 and f'value="{token}"' in response.content.decode()
    response = alice.post("/lapor/", {**form(areas), "step": "confirm", "held_files": token})
    assert response.status_code == 302 and newest().attachments.count() == 1


# The map's configuration -----------------------------------------------------------------------------------
def test_the_form_carries_the_maps_configuration(alice, areas, settings):
    settings.MAP_TILE_URL = "https://tiles.contoh.id/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Peta Contoh"
    body = alice.get("/lapor/").content.decode()
    assert 'data-tile-url="https://tiles.contoh.id/{z}/{x}/{y}.png"' in body
    assert 'data-attribution="© Peta Contoh"' in body
    # The region's extent from its areas' boxes: south, west, north, east.
    assert 'data-bounds="-4.62,121.89,-4.56,121.92"' in body
    assert 'data-locate-url="/lapor/wilayah/"' in body
    assert "vendor/leaflet/leaflet.js" in body and "js/map-pick.js" in body
    # The coordinate fields, the selects and the free-text location stay for those without the map.
    for field in ('name="lat"', 'name="lng"', 'name="kecamatan"', 'name="kelurahan"', 'name="location_text"'):
        assert field in body


def test_the_tile_server_may_serve_images_under_the_csp():
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'lapor.settings'; import django; django.setup();"
        "from django.conf import settings; print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    )
    env = {**os.environ, "MAP_TILE_URL": "https://{s}.tile.contoh.id/{z}/{x}/{y}.png"}
    directives = json.loads(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout
    )
    assert directives["img-src"] == ["'self'", "data:", "https://*.tile.contoh.id"]
    assert directives["script-src"] == ["'self'"] and directives["default-src"] == ["'self'"]
    env.pop("MAP_TILE_URL")
    directives = json.loads(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout
    )
    assert directives["img-src"] == ["'self'", "data:"]


def test_held_files_of_a_report_never_filed_are_removed_after_a_day(citizen, settings, tmp_path):
    import os
    import time
    from datetime import timedelta

    from django.core.files.storage import default_storage

    processed, errors = uploads.prepare([SimpleUploadedFile("a.jpg", jpeg())], by=citizen)
    assert errors == []
    old, fresh = uploads.hold_prepared(processed, by=citizen), uploads.hold_prepared(processed, by=citizen)
    folder = default_storage.path(f"held/{citizen.pk}/{old}")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(folder, (two_days_ago, two_days_ago))
    assert uploads.remove_orphan_files(older_than=timedelta(hours=1)) == 1
    assert uploads.held_files(old, by=citizen) == [] and len(uploads.held_files(fresh, by=citizen)) == 1
    assert uploads.held_files("../../etc", by=citizen) == []
