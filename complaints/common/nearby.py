"""Open public reports near a point: what the filing form's similar-reports step and /lapor/serupa/
offer besides the reports with similar words, so that "Saya juga mengalami" is one tap.

Only what the public may see of a report's place is used (docs/privacy.md): umum reports at their
public precision (`privacy.coordinates_for` for the public, about 100 m), never an anonim or
rahasia report — the distance to an anonim report's exact point would tell where it is. A bounding
box on the coordinate columns selects the candidates in SQL; the distance is computed in Python
from the public coordinates, so the order and the metres shown follow from public data alone.
"""

import math

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from complaints import privacy
from complaints.models import Complaint, Privacy

NEARBY_RADIUS_M = 300
EARTH_RADIUS_M = 6_371_000
# Public coordinates are rounded to 0.001°: a report whose public point lies within the radius
# may have its exact point up to half a step further away in each axis.
ROUNDING_SLACK_DEG = 0.0006


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres between two points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat, lng, radius_m):
    """(min_lat, max_lat, min_lng, max_lng) around the point, widened by the rounding slack."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) + ROUNDING_SLACK_DEG
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01))) + ROUNDING_SLACK_DEG
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def nearby_open_reports(lat, lng, *, radius_m=NEARBY_RADIUS_M, limit=5, exclude=()):
    """Open umum reports the public sees whose public point lies within `radius_m` of (lat, lng),
    nearest first (then newest). Each carries `distance_m` (rounded to 10 m, from its public
    point), `public_point` and `thumbnail` (its first public photo, or None)."""
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return []
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return []
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius_m)
    public = AnonymousUser()
    qs = (
        Complaint.objects.visible_to(public)
        .public()
        .open()
        .filter(
            privacy=Privacy.UMUM,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lng__gte=min_lng,
            lng__lte=max_lng,
        )
        .exclude(pk__in=list(exclude))
        .select_related("category", "kecamatan", "kelurahan")
        .order_by("-verified_at", "-pk")[:200]
    )
    found = []
    for c in qs:
        point = privacy.coordinates_for(c, public)
        if point is None:
            continue
        distance = haversine_m(lat, lng, float(point[0]), float(point[1]))
        if distance <= radius_m:
            c.public_point = point
            c.distance_m = int(round(distance, -1))
            found.append((distance, c))
    found.sort(key=lambda pair: pair[0])
    rows = [c for _d, c in found[:limit]]
    for c in rows:
        c.thumbnail = (
            privacy.attachments_for(c, public)
            .filter(content_type__startswith="image/")
            .exclude(Q(thumbnail="") | Q(thumbnail__isnull=True))
            .first()
        )
    return rows
