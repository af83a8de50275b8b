"""The demo region's boundaries (agencies/demo_areas.py): every seeded kecamatan and kelurahan has
a valid polygon, the kelurahan tile their kecamatan without overlapping, and the seeded
coordinates — and the sample reports filed around them — fall in their own kelurahan."""

import itertools
from io import StringIO

import pytest
import shapely
from django.core.management import call_command

from agencies import demo_areas
from agencies.areas import locate
from agencies.models import Area, AreaBoundary, AreaRoute
from agencies.routing import route_for
from complaints.management.commands.seed_demo import AREAS

SEEDED = {
    f"{code}.{suffix}": (lat + dlat, lng + dlng) for _n, code, lat, lng, kel in AREAS for _k, suffix, dlat, dlng in kel
}
KELURAHAN = demo_areas.kelurahan_geometries()
KECAMATAN = demo_areas.kecamatan_geometries()


def test_every_seeded_area_has_a_valid_polygon():
    assert set(KELURAHAN) == set(SEEDED)
    assert set(KECAMATAN) == {code for _n, code, *_rest in AREAS}
    for code, geom in {**KELURAHAN, **KECAMATAN}.items():
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon") and geom.area > 0, code
    assert KELURAHAN["99.01.03.2004"].geom_type == "MultiPolygon"  # Bajo Indah and its island


def test_areas_do_not_overlap_and_kelurahan_tile_their_kecamatan():
    for (a, ga), (b, gb) in itertools.combinations({**KELURAHAN}.items(), 2):
        assert ga.intersection(gb).area < 1e-12, (a, b)
    for (a, ga), (b, gb) in itertools.combinations(KECAMATAN.items(), 2):
        assert ga.intersection(gb).area < 1e-12, (a, b)
    for code, kecamatan in KECAMATAN.items():
        parts = [g for c, g in KELURAHAN.items() if c.startswith(code + ".")]
        assert 3 <= len(parts) <= 5
        assert shapely.union_all(parts).symmetric_difference(kecamatan).area < 1e-12


@pytest.mark.parametrize("code", sorted(SEEDED))
def test_seeded_points_and_their_surroundings_fall_in_their_kelurahan(code):
    lat, lng = SEEDED[code]
    for dlat, dlng in itertools.product((-0.003, 0, 0.003), repeat=2):  # the sample reports' spread
        assert KELURAHAN[code].contains(shapely.Point(lng + dlng, lat + dlat)), (code, dlat, dlng)


@pytest.mark.django_db
def test_seed_demo_gives_boundaries_and_the_worked_route_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert not Area.objects.filter(boundary__isnull=True).exists()
    for code, (lat, lng) in SEEDED.items():
        kecamatan, kelurahan = locate(lat, lng)
        assert kelurahan.code == code and kecamatan.code == code.rsplit(".", 1)[0]
    from complaints.models import Complaint

    for c in Complaint.objects.exclude(lat=None).select_related("kelurahan"):
        assert locate(c.lat, c.lng)[1] == c.kelurahan, c.tracking_id
    sukamaju = Area.objects.get(code="99.01.02")
    route = AreaRoute.objects.get()
    assert (route.category.slug, route.kecamatan, route.agency.slug) == (
        "kesehatan",
        sukamaju,
        "dinkes-puskesmas-sukamaju",
    )
    assert route_for(route.category, Area.objects.get(code="99.01.01")).slug == "dinkes"

    # An admin's change survives a second run, which changes nothing else.
    AreaBoundary.objects.filter(area__code="99.01.01").update(
        geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    )
    before = list(Area.objects.order_by("code").values_list("code", "boundary__geometry", "min_lat", "lat"))
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert list(Area.objects.order_by("code").values_list("code", "boundary__geometry", "min_lat", "lat")) == before
    assert AreaRoute.objects.count() == 1
