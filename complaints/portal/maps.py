"""The public map (/peta/), its data and the area outlines every map draws.

What a map may show is what the public may see (docs/privacy.md): reports from
`Complaint.objects.visible_to(AnonymousUser()).public()` only, whoever asks; an umum report as a
point at its public precision (`privacy.coordinates_for`: three decimals, about 100 m); an anonim
report never as a point, only counted in its area; a rahasia report never, not even counted by
area (`privacy.for_area_breakdown`). Counts by area are public cells: "< 5" with complementary
suppression (complaints.common.suppression), as on /statistik/.
"""

import hashlib
import json
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Count, Max
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from agencies.models import Area, AreaBoundary, Category
from complaints import privacy
from complaints.common.pagination import FastPaginator, cached_value
from complaints.common.suppression import protect
from complaints.models import Complaint, Privacy, Status
from complaints.portal.forms import category_label

# The statuses a public report can be in (unverified and tunda reports are not public yet).
MAP_STATUSES = (Status.BELUM_DITINDAKLANJUTI, Status.PROSES, Status.SELESAI, Status.ARSIP)
# At most this many points per answer of the data endpoint (the newest verified first).
POINTS_CAP = 500
# A window holding this many public points is read newest first (see `points`).
CROWDED = 2000
PAGE_SIZE = 20
# Public precision: docs/privacy.md, "about 100 m" — the grid `privacy.coordinates_for` rounds to.
PUBLIC_DECIMALS = 3
_CELL = Decimal(1).scaleb(-PUBLIC_DECIMALS)
_HALF_CELL = _CELL / 2
# Outlines with more vertices than this are simplified (to about 20 m) before they are sent.
SIMPLIFY_ABOVE = 400
SIMPLIFY_TOLERANCE = 0.0002
OUTLINE_DECIMALS = 5
OUTLINES_CACHE_SECONDS = 15 * 60


def _public():
    return AnonymousUser()


def public_reports():
    """The reports every map draws from: the public's, whoever asks (docs/architecture.md, rule 1)."""
    return Complaint.objects.visible_to(_public()).public()


# Filters -----------------------------------------------------------------------------------------
def status_choices():
    labels = dict(Status.choices)
    return [(s.value, labels[s]) for s in MAP_STATUSES]


def read_filters(params):
    """(category or None, status or "") from GET parameters; unknown values are ignored (a public
    page answers every link, and a filter can only narrow the public set)."""
    slug = (params.get("category") or "").strip()[:60]
    category = Category.objects.filter(slug=slug, is_active=True).first() if slug else None
    status = (params.get("status") or "").strip()
    if status not in MAP_STATUSES:
        status = ""
    return category, status


def _filtered(qs, category, status):
    if category is not None:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=MAP_STATUSES)
    return qs


# Points --------------------------------------------------------------------------------------------
class BadBox(ValueError):
    pass


def parse_bbox(value):
    """`minlng,minlat,maxlng,maxlat` in degrees → Decimals, or BadBox."""
    parts = (value or "").split(",")
    if len(parts) != 4:
        raise BadBox(_("bbox harus berisi empat angka: minlng,minlat,maxlng,maxlat."))
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise BadBox(_("bbox harus berisi empat angka: minlng,minlat,maxlng,maxlat.")) from None
    if not all(math.isfinite(n) for n in numbers):
        raise BadBox(_("bbox harus berisi empat angka: minlng,minlat,maxlng,maxlat."))
    min_lng, min_lat, max_lng, max_lat = numbers
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise BadBox(_("bbox di luar jangkauan atau terbalik."))
    return tuple(Decimal(repr(n)) for n in numbers)


def _public_box(bbox):
    """The box widened to the public grid: its edges on multiples of 0.001°, so whether a point is
    in the answer depends on its rounded coordinates only. A box edge between the exact point and
    its rounded value would otherwise tell, query by query, the exact coordinate the rounding hides."""
    min_lng, min_lat, max_lng, max_lat = bbox
    return (
        min_lng.quantize(_CELL, rounding=ROUND_FLOOR),
        min_lat.quantize(_CELL, rounding=ROUND_FLOOR),
        max_lng.quantize(_CELL, rounding=ROUND_CEILING),
        max_lat.quantize(_CELL, rounding=ROUND_CEILING),
    )


def points(bbox, category, status, cap=None):
    """([point], truncated): public umum reports with coordinates, in `bbox` (None: anywhere), at
    public precision, newest verified first, at most `cap`.

    The window is read on the public grid: its range is widened by half a grid cell, so that every
    report whose rounded point is in the box is read, and the rounded point is then tested against
    the box exactly. Two plans, each bounded whatever the window (docs/benchmarks.md, "map data"):
    the planner cannot tell how many reports a box holds (latitude and longitude are correlated),
    so the first query reads their ids, up to `CROWDED`, from the point index (lat, lng) alone; a
    window with fewer is read by those ids, newest first; a crowded one is read newest first from
    the index that holds the window's columns, which meets `cap` matches after a short scan."""
    cap = POINTS_CAP if cap is None else cap
    qs = _filtered(
        public_reports().filter(privacy=Privacy.UMUM, lat__isnull=False, lng__isnull=False), category, status
    )
    box = None
    if bbox is not None:
        box = _public_box(bbox)
        min_lng, min_lat, max_lng, max_lat = box
        qs = qs.filter(
            lat__gte=min_lat - _HALF_CELL,
            lat__lte=max_lat + _HALF_CELL,
            lng__gte=min_lng - _HALF_CELL,
            lng__lte=max_lng + _HALF_CELL,
        )
    columns = ("tracking_id", "title", "status", "lat", "lng", "privacy", "category__name", "category__name_en")
    ids = [] if bbox is None else list(qs.order_by("lat", "lng").values_list("pk", flat=True)[:CROWDED])
    if bbox is None:
        rows = list(qs.order_by("-verified_at", "-pk").values_list(*columns)[: cap + 1])
    else:
        if len(ids) >= CROWDED:
            ids = _newest_ids(qs, cap + 1)
        rows = (
            list(Complaint.objects.filter(pk__in=ids).order_by("-verified_at", "-pk").values_list(*columns)[: cap + 1])
            if ids
            else []
        )
    truncated = len(rows) > cap
    english = (translation.get_language() or "").startswith("en")
    labels = {value: str(label) for value, label in Status.choices}
    # One reverse for all: a tracking id is letters, digits and dashes, inserted as it is.
    url = reverse("complaints:detail", args=["LPR-0000-0000"]).replace("LPR-0000-0000", "{}")
    public = _public()
    found = []
    for tracking_id, title, status_value, lat, lng, level, cat_name, cat_name_en in rows[:cap]:
        # privacy.coordinates_for for the public, on the values read.
        shown = _public_point(level, lat, lng, public)
        if shown is None:
            continue
        plat, plng = shown
        if box is not None and not (box[1] <= plat <= box[3] and box[0] <= plng <= box[2]):
            continue
        found.append(
            {
                "id": tracking_id,
                "title": title,
                "status": status_value,
                "status_label": labels.get(status_value, status_value),
                "category": (cat_name_en if english and cat_name_en else cat_name) or "",
                "lat": float(plat),
                "lng": float(plng),
                "url": url.format(tracking_id),
            }
        )
    return found, truncated


def _newest_ids(qs, limit):
    """The ids of the newest `limit` reports of a crowded window, read newest first from the index
    that holds the window's columns (`complaint_public_point_new`, an index-only scan that stops at
    `limit`). On PostgreSQL the planner, which estimates a box's count as if latitude and
    longitude were independent, would otherwise read every point of the box through the (lat, lng)
    index and sort them (seconds at a million reports: docs/benchmarks.md, "map data"); sorting and
    bitmap scans are ruled out for this one statement, so the walk in index order is its plan."""
    query = qs.order_by("-verified_at", "-pk").values_list("pk", flat=True)[:limit]
    if connection.vendor != "postgresql":
        return list(query)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        ids = list(query)
        # Rolled back (a read, nothing to keep): a savepoint's rollback undoes its SET LOCAL too,
        # so the settings never outlive this statement, even inside a request's transaction.
        transaction.set_rollback(True)
    return ids


class _Columns:
    """The columns `privacy.coordinates_for` reads, for a row read as values (no model instance:
    building 500 of them cost more than the query)."""

    __slots__ = ("privacy", "lat", "lng", "reporter_id")

    def __init__(self, level, lat, lng):
        self.privacy, self.lat, self.lng, self.reporter_id = level, lat, lng, None


def _public_point(level, lat, lng, public=None):
    """What `privacy.coordinates_for(report, public)` gives, from the columns alone."""
    shown = privacy.coordinates_for(_Columns(level, lat, lng), public or _public())
    if shown is None:
        return None
    return Decimal(shown[0]).quantize(_CELL), Decimal(shown[1]).quantize(_CELL)


@require_GET
@cache_control(public=True, max_age=60)
@vary_on_headers("Accept-Language", "Cookie")  # the labels follow the reader's language
def map_data(request):
    """/peta/data.json?bbox=minlng,minlat,maxlng,maxlat&category=&status=: the public points in a
    window, for the map's script."""
    bbox = None
    if request.GET.get("bbox"):
        try:
            bbox = parse_bbox(request.GET["bbox"])
        except BadBox as err:
            return JsonResponse({"error": str(err)}, status=400)
    category, status = read_filters(request.GET)
    found, truncated = points(bbox, category, status)
    return JsonResponse({"points": found, "count": len(found), "truncated": truncated, "cap": POINTS_CAP})


# Counts by area ----------------------------------------------------------------------------------
def kecamatan_counts(category, status):
    """[(code, name, cell)] for every kecamatan: the public reports there (umum and anonim; never
    rahasia), as public cells protected as one group."""
    qs = privacy.for_area_breakdown(_filtered(public_reports(), category, status))
    counts = dict(qs.filter(kecamatan__isnull=False).values_list("kecamatan").annotate(n=Count("pk")).order_by())
    areas = list(Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name").values_list("pk", "code", "name"))
    cells = protect([counts.get(pk, 0) for pk, _code, _name in areas])
    return [(code, name, cell) for (_pk, code, name), cell in zip(areas, cells, strict=True)]


# Outlines ----------------------------------------------------------------------------------------
def _rounded(coords):
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return [round(float(c), OUTLINE_DECIMALS) for c in coords]
    return [_rounded(c) for c in coords]


def _vertices(coords):
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return 1
    return sum(_vertices(c) for c in coords)


def outline(geometry):
    """An area's GeoJSON geometry as the maps draw it: simplified when large, coordinates rounded."""
    try:
        if _vertices(geometry.get("coordinates") or []) > SIMPLIFY_ABOVE:
            from shapely.geometry import mapping, shape

            simple = shape(geometry).simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
            if not simple.is_empty:
                geometry = mapping(simple)
        return {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def outlines():
    """The kecamatan and kelurahan outlines as a FeatureCollection (plain data, cached; the key
    changes when a boundary is added or an area renamed or moved)."""
    stamp = Area.objects.aggregate(n=Count("pk"), last=Max("pk"), boundaries=Count("boundary"))
    names = hashlib.sha256(
        "|".join(
            f"{c}:{n}:{p}" for c, n, p in Area.objects.order_by("pk").values_list("code", "name", "parent_id")
        ).encode()
    ).hexdigest()[:16]
    key = f"peta:wilayah:v1:{stamp['n']}:{stamp['last']}:{stamp['boundaries']}:{names}"
    return cached_value(key, OUTLINES_CACHE_SECONDS, _build_outlines)


def _build_outlines():
    features = []
    boundaries = (
        AreaBoundary.objects.select_related("area__parent")
        .filter(area__level__in=(Area.Level.KECAMATAN, Area.Level.KELURAHAN))
        .order_by("area__level", "area__code")
    )
    for b in boundaries:
        geometry = outline(b.geometry)
        if geometry is None:
            continue
        area = b.area
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "kecamatan": area.parent.code if area.parent_id else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@require_GET
@cache_control(public=True, max_age=OUTLINES_CACHE_SECONDS)
def areas_geojson(request):
    """/peta/wilayah.geojson: the area outlines (no report in them), drawn by every map."""
    return JsonResponse(outlines(), content_type="application/geo+json")


# The page ----------------------------------------------------------------------------------------
LEGEND = [
    (Status.BELUM_DITINDAKLANJUTI, gettext_lazy("belum ditindaklanjuti")),
    (Status.PROSES, gettext_lazy("sedang diproses")),
    (Status.SELESAI, gettext_lazy("selesai")),
    (Status.ARSIP, gettext_lazy("diarsipkan")),
]


def map_settings():
    """The data- attributes every map element carries (the scripts read their configuration there;
    no inline script under the Content-Security-Policy)."""
    return {
        "outlines_url": reverse("complaints:areas_geojson"),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@require_GET
def public_map(request):
    """/peta/: the public reports on a map, with the same reports as a list beside it (the page is
    whole without JavaScript: the list, the filters and the counts by kecamatan are HTML)."""
    category, status = read_filters(request.GET)
    base = _filtered(public_reports(), category, status).order_by("-verified_at", "-pk")
    page = FastPaginator(base.select_related("category", "kecamatan", "kelurahan"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    public = _public()
    rows = []
    for c in page.object_list:
        c.public_point = privacy.coordinates_for(c, public)
        c.category_name = category_label(c.category) if c.category else ""
        rows.append(c)
    areas = kecamatan_counts(category, status)
    query = {}
    if category is not None:
        query["category"] = category.slug
    if status:
        query["status"] = status
    counts_json = {code: (cell if isinstance(cell, int) else str(cell)) for code, _name, cell in areas}
    context = {
        "categories": [
            (c.slug, category_label(c)) for c in Category.objects.filter(is_active=True).order_by("order", "name")
        ],
        "statuses": status_choices(),
        "category": category,
        "status": status,
        "page": page,
        "rows": rows,
        "areas": areas,
        "legend": LEGEND,
        "query_string": urlencode(query),
        "data_url": reverse("complaints:map_data"),
        "counts_json": json.dumps(counts_json, ensure_ascii=False),
        "map": map_settings(),
        "cap": POINTS_CAP,
    }
    return render(request, "complaints/map.html", context)
