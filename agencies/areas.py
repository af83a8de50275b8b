"""Area boundaries: checking and storing a GeoJSON polygon, loading a region's FeatureCollection,
and the point lookup `locate(lat, lng)` → (kecamatan, kelurahan).

A boundary is stored as GeoJSON (`AreaBoundary`) with its bounding box in four indexed columns of
the area. `locate` selects the areas whose box holds the point in one SQL query and tests only those
polygons with shapely; docs/areas.md explains why this and not PostGIS.
"""

import math
from decimal import Decimal

import shapely
from django.db import transaction
from shapely.geometry import mapping, shape

from .models import Area, AreaBoundary

POLYGON_TYPES = ("Polygon", "MultiPolygon")

# How the usual exports name a level (`level` property, or OpenStreetMap's `admin_level`: in
# Indonesia 6 is the kecamatan, 7 the desa/kelurahan).
LEVEL_NAMES = {
    "kecamatan": Area.Level.KECAMATAN,
    "distrik": Area.Level.KECAMATAN,
    "6": Area.Level.KECAMATAN,
    "kelurahan": Area.Level.KELURAHAN,
    "desa": Area.Level.KELURAHAN,
    "kelurahan/desa": Area.Level.KELURAHAN,
    "7": Area.Level.KELURAHAN,
}


class BoundaryError(ValueError):
    """A geometry that cannot be an area's boundary; the message says why."""


def geometry_from_geojson(geojson):
    """A shapely (Multi)Polygon from a GeoJSON geometry, or BoundaryError: not a polygon, empty,
    invalid (self-intersecting, a hole outside its shell…) or not in longitude/latitude degrees."""
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGON_TYPES:
        kind = geojson.get("type") if isinstance(geojson, dict) else type(geojson).__name__
        raise BoundaryError(f"geometri harus Polygon atau MultiPolygon, bukan {kind}")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise BoundaryError(f"geometri tidak dapat dibaca ({exc})") from exc
    if geom.is_empty:
        raise BoundaryError("geometri kosong")
    if not geom.is_valid:
        raise BoundaryError(f"geometri tidak sah: {shapely.is_valid_reason(geom)}")
    if geom.area == 0:
        raise BoundaryError("geometri kosong (luasnya nol)")
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not all(map(math.isfinite, geom.bounds)) or min_lng < -180 or max_lng > 180 or min_lat < -90 or max_lat > 90:
        raise BoundaryError("koordinat bukan bujur/lintang WGS 84 (derajat): ekspor ulang dalam EPSG:4326")
    return geom


def label_point(geom):
    """The centroid when it falls inside the area, else a point surely inside (a crescent's or
    an archipelago's centroid may lie outside it)."""
    centroid = geom.centroid
    return centroid if geom.covers(centroid) else geom.representative_point()


def set_boundary(area, geom, *, set_label_point=True):
    """Store a checked shapely geometry as `area`'s boundary: the GeoJSON, the bounding box and,
    unless told otherwise, lat/lng at its label point. Saves the area."""
    geojson = mapping(geom)
    area.min_lng, area.min_lat, area.max_lng, area.max_lat = geom.bounds
    if set_label_point:
        point = label_point(geom)
        area.lat = Decimal(f"{point.y:.6f}")
        area.lng = Decimal(f"{point.x:.6f}")
    area.save()
    AreaBoundary.objects.update_or_create(
        area=area, defaults={"geometry": {"type": geojson["type"], "coordinates": _lists(geojson["coordinates"])}}
    )


def _lists(coords):
    if isinstance(coords, (tuple, list)):
        return [_lists(c) for c in coords]
    return float(coords)


# The point lookup ---------------------------------------------------------------------------------
def locate(lat, lng):
    """(kecamatan, kelurahan) holding the point, or (None, None). One query: the areas whose
    bounding box holds the point, then their polygons. A point on a shared border (or a vertex)
    belongs to the first area by code that covers it; a point inside a hole does not belong to the
    area with the hole. A kelurahan found gives its own kecamatan; a kecamatan without a matching
    kelurahan polygon gives (kecamatan, None)."""
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None, None
    candidates = list(
        Area.objects.filter(min_lat__lte=lat, max_lat__gte=lat, min_lng__lte=lng, max_lng__gte=lng)
        .select_related("parent", "boundary")
        .order_by("code")
    )
    point = shapely.Point(lng, lat)
    kecamatan = kelurahan = None
    for area in _covering(candidates, point):
        if area.level == Area.Level.KELURAHAN and kelurahan is None:
            kelurahan = area
        elif area.level == Area.Level.KECAMATAN and kecamatan is None:
            kecamatan = area
    if kelurahan is not None and kelurahan.parent is not None:
        kecamatan = kelurahan.parent
    return kecamatan, kelurahan


def _covering(areas, point):
    """The areas whose polygon holds the point: those with the point inside first, then those
    with it on their border (so a point just inside one area never goes to its neighbour)."""
    inside, border = [], []
    for area in areas:
        try:
            geom = shape(area.boundary.geometry)
        except (Area.boundary.RelatedObjectDoesNotExist, ValueError, TypeError, shapely.errors.ShapelyError):
            continue  # no boundary stored (only a box), or one that no longer reads: not a candidate
        if geom.contains(point):
            inside.append(area)
        elif geom.covers(point):
            border.append(area)
    return inside + border


# Loading a FeatureCollection ----------------------------------------------------------------------
class AreaImportError(ValueError):
    """Why a file cannot be loaded: one line per problem."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _level(value, default):
    raw = _text(value) or (default or "")
    return LEVEL_NAMES.get(raw.lower())


def parent_code(code):
    """The kecamatan's code from a Kemendagri kelurahan/desa code: `74.06.01.2001` → `74.06.01`
    (also `7406012001` → `740601`)."""
    if "." in code:
        return code.rsplit(".", 1)[0]
    return code[:6] if len(code) == 10 and code.isdigit() else ""


def import_feature_collection(
    data,
    *,
    level_property="level",
    code_property="code",
    name_property="name",
    parent_property="parent_code",
    level=None,
):
    """Create or update (by code) the areas of a GeoJSON FeatureCollection, in one transaction:
    either every feature is valid and all are stored, or AreaImportError lists every problem and
    nothing is written. `level` (kecamatan/kelurahan) applies to features without a level.
    Returns {"created": n, "updated": n}."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise AreaImportError(["berkas bukan GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise AreaImportError(["FeatureCollection tidak berisi fitur"])
    problems, rows, codes = [], [], {}
    for index, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = _text(props.get(code_property))
        where = f"fitur {index}" + (f" (kode {code})" if code else "")
        name = _text(props.get(name_property))
        area_level = _level(props.get(level_property), level)
        faults = []
        if not code:
            faults.append(f"properti kode '{code_property}' kosong")
        elif len(code) > Area._meta.get_field("code").max_length:
            faults.append("kode terlalu panjang")
        elif code in codes:
            faults.append(f"kode sama dengan fitur {codes[code]}")
        if not name:
            faults.append(f"properti nama '{name_property}' kosong")
        elif len(name) > Area._meta.get_field("name").max_length:
            faults.append("nama terlalu panjang")
        if area_level is None:
            faults.append(
                f"tingkat tidak dikenal ({_text(props.get(level_property)) or 'kosong'}): "
                f"isi properti '{level_property}' dengan kecamatan atau kelurahan/desa, atau pakai --level"
            )
        try:
            geom = geometry_from_geojson(feature.get("geometry") if isinstance(feature, dict) else None)
        except BoundaryError as exc:
            faults.append(str(exc))
            geom = None
        parent = ""
        if area_level == Area.Level.KELURAHAN:
            parent = _text(props.get(parent_property)) or parent_code(code)
            if not parent:
                faults.append(f"kode kecamatan induk kosong (properti '{parent_property}')")
        if code and code not in codes:
            codes[code] = index
        if faults:
            problems.extend(f"{where}: {fault}" for fault in faults)
            continue
        rows.append((index, code, name, area_level, parent, geom))
    kecamatan_codes = {code for _i, code, _n, lvl, _p, _g in rows if lvl == Area.Level.KECAMATAN}
    known = set(Area.objects.filter(level=Area.Level.KECAMATAN).values_list("code", flat=True)) | kecamatan_codes
    for index, code, _name, _lvl, parent, _geom in rows:
        if parent and parent not in known:
            problems.append(
                f"fitur {index} (kode {code}): kecamatan induk {parent} tidak ada di berkas maupun basis data"
            )
    kelurahan_codes = [code for _i, code, _n, lvl, _p, _g in rows if lvl == Area.Level.KELURAHAN]
    with_children = Area.objects.filter(code__in=kelurahan_codes, level=Area.Level.KECAMATAN, children__isnull=False)
    for code in sorted(set(with_children.values_list("code", flat=True))):
        problems.append(f"kode {code}: kecamatan yang punya kelurahan/desa tidak dapat dijadikan kelurahan/desa")
    if problems:
        raise AreaImportError(problems)
    created = updated = 0
    with transaction.atomic():
        # Kecamatan first, so that each kelurahan finds its parent.
        rows.sort(key=lambda row: (row[3] != Area.Level.KECAMATAN, row[0]))
        by_code = {}
        for _index, code, name, area_level, parent, geom in rows:
            area = Area.objects.select_for_update().filter(code=code).first()
            is_new = area is None
            area = area or Area(code=code)
            area.name, area.level = name, area_level
            if parent:
                area.parent = by_code.get(parent) or Area.objects.get(code=parent, level=Area.Level.KECAMATAN)
            else:
                area.parent = None
            set_boundary(area, geom)
            by_code[code] = area
            created += is_new
            updated += not is_new
    return {"created": created, "updated": updated}
