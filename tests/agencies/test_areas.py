"""Area boundaries: `manage.py import_areas` (one transaction, update by code, clear errors) and
the point lookup `agencies.areas.locate` (one query: a bounding-box prefilter in SQL, then the
polygons) — inside, outside, in a hole, on an island, on and near a shared border."""

import json
from decimal import Decimal

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from agencies.areas import locate
from agencies.models import Area

pytestmark = pytest.mark.django_db


def ring(west, south, east, north):
    """A closed, counter-clockwise rectangle as GeoJSON [lng, lat] positions."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


# Kecamatan Alpha: a square with a hole (the enclave of kecamatan Beta) and an island to the east.
HOLE = ring(121.905, -4.615, 121.908, -4.612)
ISLAND = ring(121.93, -4.61, 121.935, -4.605)
ALPHA = {"type": "MultiPolygon", "coordinates": [[ring(121.90, -4.62, 121.92, -4.60), HOLE], [ISLAND]]}
ALPHA_WEST = {"type": "Polygon", "coordinates": [ring(121.90, -4.62, 121.91, -4.60), HOLE]}
ALPHA_EAST = {"type": "MultiPolygon", "coordinates": [[ring(121.91, -4.62, 121.92, -4.60)], [ISLAND]]}
BETA = {"type": "Polygon", "coordinates": [HOLE]}


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


REGION = collection(
    feature(ALPHA, level="kecamatan", code="99.01.01", name="Alpha"),
    feature(BETA, level="kecamatan", code="99.01.02", name="Beta"),
    feature(ALPHA_WEST, level="kelurahan", code="99.01.01.1001", name="Alpha Barat", parent_code="99.01.01"),
    feature(ALPHA_EAST, level="kelurahan", code="99.01.01.1002", name="Alpha Timur", parent_code="99.01.01"),
    feature(BETA, level="desa", code="99.01.02.2001", name="Beta Enklave", parent_code="99.01.02"),
)


def import_areas(tmp_path, data, *args):
    path = tmp_path / "wilayah.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("import_areas", str(path), *args, stdout=(out := _Out()))
    return out.text


class _Out:
    text = ""

    def write(self, s, *args, **kwargs):
        self.text += s

    def flush(self):
        pass


@pytest.fixture
def region(tmp_path):
    import_areas(tmp_path, REGION)
    return {a.code: a for a in Area.objects.all()}


def where(lat, lng):
    kecamatan, kelurahan = locate(lat, lng)
    return (kecamatan.code if kecamatan else None, kelurahan.code if kelurahan else None)


# The import --------------------------------------------------------------------------------------
def test_import_stores_boundaries_bbox_parents_and_label_points(region):
    assert set(region) == {"99.01.01", "99.01.02", "99.01.01.1001", "99.01.01.1002", "99.01.02.2001"}
    alpha, west = region["99.01.01"], region["99.01.01.1001"]
    assert alpha.level == Area.Level.KECAMATAN and alpha.parent is None
    assert west.level == Area.Level.KELURAHAN and west.parent == alpha
    assert region["99.01.02.2001"].parent == region["99.01.02"]
    assert (alpha.min_lng, alpha.min_lat, alpha.max_lng, alpha.max_lat) == (121.90, -4.62, 121.935, -4.60)
    assert shape(alpha.boundary.geometry).equals(shape(ALPHA))
    for area in region.values():  # lat/lng is a point of the area itself
        assert area.lat is not None and area.lng is not None
        assert shape(area.boundary.geometry).covers(shapely.Point(float(area.lng), float(area.lat))), area.code


def test_label_point_is_inside_a_u_shaped_area(tmp_path):
    """A U's centroid falls in its notch: the stored lat/lng is moved inside."""
    u_shape = [[[0.0, 0.0], [0.03, 0.0], [0.03, 0.03], [0.02, 0.03], [0.02, 0.01], [0.01, 0.01], [0.01, 0.03],
                [0.0, 0.03], [0.0, 0.0]]]  # fmt: skip
    assert not shape({"type": "Polygon", "coordinates": u_shape}).covers(
        shape({"type": "Polygon", "coordinates": u_shape}).centroid
    )
    import_areas(tmp_path, collection(feature({"type": "Polygon", "coordinates": u_shape}, code="U", name="U")),
                 "--level", "kecamatan")  # fmt: skip
    u = Area.objects.get(code="U")
    assert shape(u.boundary.geometry).contains(shapely.Point(float(u.lng), float(u.lat)))


def test_import_again_updates_by_code_and_creates_nothing(tmp_path, region):
    moved = json.loads(json.dumps(REGION))
    moved["features"][0]["properties"]["name"] = "Alpha Raya"
    moved["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [ring(121.80, -4.62, 121.92, -4.60), HOLE]}
    assert "0 baru, 5 diperbarui" in import_areas(tmp_path, moved)
    assert Area.objects.count() == 5
    alpha = Area.objects.get(code="99.01.01")
    assert alpha.pk == region["99.01.01"].pk and alpha.name == "Alpha Raya"
    assert (alpha.min_lng, alpha.max_lng) == (121.80, 121.92)
    assert where(-4.61, 121.85) == ("99.01.01", None)  # the new part, no kelurahan there
    # The island left the kecamatan's polygon but is still Alpha Timur's: a kelurahan gives its kecamatan.
    assert where(-4.6075, 121.932) == ("99.01.01", "99.01.01.1002")
    assert Area.objects.get(code="99.01.01.1002").parent_id == alpha.pk


@pytest.mark.parametrize(
    "geometry, message",
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
        ({"type": "Point", "coordinates": [121.9, -4.6]}, "bukan Point"),
        ({"type": "LineString", "coordinates": [[121.9, -4.6], [121.91, -4.61]]}, "bukan LineString"),
        (None, "bukan NoneType"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}, "tidak dapat dibaca"),
        ({"type": "Polygon", "coordinates": [ring(400000, 9480000, 401000, 9481000)]}, "EPSG:4326"),
    ],
)
def test_a_bad_geometry_is_named_and_nothing_is_imported(tmp_path, geometry, message):
    bad = collection(*REGION["features"][:3], feature(geometry, level="kelurahan", code="99.01.01.1009", name="X"))
    with pytest.raises(CommandError) as excinfo:
        import_areas(tmp_path, bad)
    assert "99.01.01.1009" in str(excinfo.value) and message in str(excinfo.value)
    assert not Area.objects.exists()  # not even the valid features before it


def test_an_invalid_file_changes_nothing_already_there(tmp_path, region):
    before = list(Area.objects.order_by("code").values_list("code", "name", "min_lat", "boundary__geometry"))
    changed = json.loads(json.dumps(REGION))
    changed["features"][0]["properties"]["name"] = "Alpha Baru"
    changed["features"][-1]["geometry"] = {"type": "Point", "coordinates": [121.9, -4.6]}
    with pytest.raises(CommandError):
        import_areas(tmp_path, changed)
    assert list(Area.objects.order_by("code").values_list("code", "name", "min_lat", "boundary__geometry")) == before


def test_every_problem_is_listed(tmp_path):
    bad = collection(
        feature(ALPHA, level="kota", code="1", name="A"),
        feature(ALPHA, level="kecamatan", code="", name="B"),
        feature(ALPHA_WEST, level="kelurahan", code="99.09.09.1001", name="C", parent_code="99.09.09"),
        feature(ALPHA, level="kecamatan", code="2", name=""),
        feature(BETA, level="kecamatan", code="2", name="D"),
    )
    with pytest.raises(CommandError) as excinfo:
        import_areas(tmp_path, bad)
    text = str(excinfo.value)
    assert "fitur 1 (kode 1): tingkat tidak dikenal (kota)" in text
    assert "fitur 2: properti kode 'code' kosong" in text
    assert "fitur 3 (kode 99.09.09.1001): kecamatan induk 99.09.09 tidak ada" in text
    assert "fitur 4 (kode 2): properti nama 'name' kosong" in text
    assert "fitur 5 (kode 2): kode sama dengan fitur 4" in text
    assert not Area.objects.exists()


def test_a_kecamatan_with_kelurahan_is_not_turned_into_a_kelurahan(tmp_path, region):
    demoted = collection(feature(ALPHA, level="kelurahan", code="99.01.01", name="Alpha", parent_code="99.01.02"))
    with pytest.raises(CommandError, match="kode 99.01.01: kecamatan yang punya kelurahan/desa"):
        import_areas(tmp_path, demoted)
    assert Area.objects.get(code="99.01.01").level == Area.Level.KECAMATAN


@pytest.mark.parametrize(
    "content, message",
    [("{not json", "bukan JSON"), ('{"type": "Feature"}', "FeatureCollection"), ('{"type": "FeatureCollection", "features": []}', "tidak berisi fitur")],
)  # fmt: skip
def test_a_file_that_is_not_a_feature_collection(tmp_path, content, message):
    path = tmp_path / "x.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("import_areas", str(path))
    with pytest.raises(CommandError, match="tidak dapat dibuka"):
        call_command("import_areas", str(tmp_path / "missing.geojson"))


def test_other_property_names_and_a_level_per_file(tmp_path):
    """An export with its own keys (here BIG-like: KDCPUM/KDEPUM codes, NAMOBJ names), one file
    per level, the kelurahan's kecamatan from its own property or from its Kemendagri code."""
    kecamatan = collection(feature(ALPHA, KDCPUM="99.01.01", NAMOBJ="Alpha"))
    desa = collection(
        feature(ALPHA_WEST, KDEPUM="99.01.01.1001", NAMOBJ="Alpha Barat", KDCPUM="99.01.01"),
        feature(ALPHA_EAST, KDEPUM="99.01.01.1002", NAMOBJ="Alpha Timur"),  # parent from the code
    )
    import_areas(tmp_path, kecamatan, "--level", "kecamatan", "--code-property", "KDCPUM", "--name-property", "NAMOBJ")
    import_areas(
        tmp_path, desa, "--level", "desa", "--code-property", "KDEPUM", "--name-property", "NAMOBJ",
        "--parent-property", "KDCPUM",
    )  # fmt: skip
    alpha = Area.objects.get(code="99.01.01", level=Area.Level.KECAMATAN)
    assert set(alpha.children.values_list("code", "level")) == {
        ("99.01.01.1001", Area.Level.KELURAHAN),
        ("99.01.01.1002", Area.Level.KELURAHAN),
    }
    assert where(-4.61, 121.915) == ("99.01.01", "99.01.01.1002")


def test_openstreetmap_admin_levels(tmp_path):
    osm = collection(
        feature(ALPHA, admin_level="6", ref="99.01.01", name="Alpha"),
        feature(ALPHA_WEST, admin_level=7, ref="99.01.01.1001", name="Alpha Barat"),
    )
    import_areas(tmp_path, osm, "--level-property", "admin_level", "--code-property", "ref")
    assert dict(Area.objects.values_list("code", "level")) == {
        "99.01.01": Area.Level.KECAMATAN,
        "99.01.01.1001": Area.Level.KELURAHAN,
    }


# The lookup --------------------------------------------------------------------------------------
def test_points_inside(region):
    assert where(-4.61, 121.902) == ("99.01.01", "99.01.01.1001")
    assert where(-4.61, 121.915) == ("99.01.01", "99.01.01.1002")
    assert where(Decimal("-4.601"), Decimal("121.919")) == ("99.01.01", "99.01.01.1002")


def test_a_point_in_a_hole_belongs_to_the_enclave(region):
    assert where(-4.6135, 121.9065) == ("99.01.02", "99.01.02.2001")


def test_a_point_on_an_island_of_a_multipolygon(region):
    assert where(-4.6075, 121.932) == ("99.01.01", "99.01.01.1002")


def test_points_outside(region):
    assert where(-4.5, 121.0) == (None, None)
    # Inside Alpha's bounding box (which reaches the island) but in neither of its polygons.
    assert where(-4.6075, 121.925) == (None, None)
    assert where(-4.62 - 1e-6, 121.905) == (None, None)  # just south of the border
    assert where("utara", 121.9) == (None, None)
    assert where(None, None) == (None, None)
    assert where(float("nan"), 121.9) == (None, None)


def test_near_and_on_a_shared_border(region):
    assert where(-4.61, 121.91 - 1e-6) == ("99.01.01", "99.01.01.1001")
    assert where(-4.61, 121.91 + 1e-6) == ("99.01.01", "99.01.01.1002")
    # Exactly on the border: the first by code, the same every time.
    assert where(-4.61, 121.91) == ("99.01.01", "99.01.01.1001")
    # On the hole's edge: in both Alpha Barat's border and the enclave's; the enclave's kelurahan is
    # not "inside" either, so the first by code among those covering it.
    assert where(-4.612, 121.906) == ("99.01.01", "99.01.01.1001")
    assert where(-4.612 - 1e-6, 121.906) == ("99.01.02", "99.01.02.2001")
    # On the outer edge of the region: still in.
    assert where(-4.62, 121.905) == ("99.01.01", "99.01.01.1001")


def test_a_kecamatan_without_kelurahan_polygons(region, tmp_path):
    import_areas(tmp_path, collection(feature({"type": "Polygon", "coordinates": [ring(121.7, -4.7, 121.8, -4.6)]},
                                              level="kecamatan", code="99.01.03", name="Gamma")))  # fmt: skip
    Area.objects.create(name="Tanpa Batas", code="99.01.03.3001", level=Area.Level.KELURAHAN,
                        parent=Area.objects.get(code="99.01.03"))  # fmt: skip
    assert where(-4.65, 121.75) == ("99.01.03", None)


def test_a_point_lookup_is_one_query(region, django_assert_num_queries):
    with django_assert_num_queries(1):
        kecamatan, kelurahan = locate(-4.61, 121.915)
        assert kecamatan.name == "Alpha" and kelurahan.name == "Alpha Timur"  # the parent came along
    with django_assert_num_queries(1):
        assert locate(-4.5, 121.0) == (None, None)


def test_the_prefilter_selects_by_bounding_box_in_sql(region, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        locate(-4.6135, 121.9065)
    sql = captured.captured_queries[0]["sql"]
    for column in ("min_lat", "max_lat", "min_lng", "max_lng"):
        assert f'"agencies_area"."{column}"' in sql


def test_joining_an_area_does_not_carry_its_polygon(region):
    """Report lists join each report's kecamatan and kelurahan: the polygon stays in its own table."""
    from complaints.models import Complaint

    sql = str(Complaint.objects.select_related("kecamatan", "kelurahan").query)
    assert '"agencies_area"' in sql and "geometry" not in sql
    assert Area.objects.get(code="99.01.01").boundary.geometry["type"] == "MultiPolygon"
