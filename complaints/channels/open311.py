"""Open311 GeoReport v2 (docs/product.md §6, §8) at `/open311/v2/`, in XML (required by the
specification) and JSON: `discovery`, `services` (the categories), `services/{code}`,
`requests` (GET: public requests; POST: a new report, with an `api_key` issued in the admin) and
`requests/{id}`.

Only what the public may see leaves here: the list and the single request come from
`Complaint.objects.visible_to(AnonymousUser())`, descriptions from `privacy.public_text`,
coordinates from `privacy.coordinates_for` (rounded for umum, none for anonim), media from the
public attachments. `address` is the written location for umum only (privacy.location_text_for),
then the kelurahan and kecamatan. `GET requests` also takes a place: `lat`, `long` and `radius`
(metres, default DEFAULT_RADIUS, at most MAX_RADIUS; nearest first) or `bbox`
(`min_long,min_lat,max_long,max_lat`), matched against the public point only (`_near`).
`service_request_id` is the tracking id. Dates are ISO 8601 with the offset of
the deployment's time zone. Errors use the specification's format (`[{"code", "description"}]`).

The request lists are streamed, CHUNK requests at a time (`_render_rows`), once the parameters
are checked: a bad one is still a plain 400. The page cache keeps a streamed list once it has been
sent whole (docs/architecture.md, "Cached public pages"). A single request is one plain answer, the
bytes of a list of that one request, read in two queries: the report (its category, places and
first public image in the same row) and its dispositions.
"""

import json
import logging
import math
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree import ElementTree as ET  # noqa: S405 - building XML only, never parsing input

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.phone import normalize_phone
from agencies.models import Category
from complaints import privacy, workflow
from complaints.channels import claims
from complaints.channels.sms import title_from
from complaints.common.pagecache import public_page
from complaints.errors import WorkflowError
from complaints.models import (
    ACTIVE_DISPOSITION,
    OPEN_STATUSES,
    Attachment,
    Channel,
    Complaint,
    Disposition,
    DispositionStatus,
    Open311Key,
    Privacy,
    Status,
)
from lapor.textgate import xml_safe

log = logging.getLogger("lapor.open311")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-01T00:00:00+07:00"  # when the service list's shape last changed
DEFAULT_WINDOW = timedelta(days=90)
MAX_ROWS = 1000
# Requests read and written at a time in a streamed list: its queries grow with the chunks, not
# the rows, and memory holds one chunk.
CHUNK = 100
DEFAULT_RADIUS = 1000  # metres, when `lat` and `long` come without `radius`
MAX_RADIUS = 5000
EARTH_RADIUS = 6_371_008.8  # metres, the mean radius
METRES_PER_DEGREE = 111_320.0
# A public point is the stored one rounded to 3 decimals (privacy.coordinates_for): a stored point
# at most this far from the window can still round into it.
ROUNDING_MARGIN = 0.0005
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The declaration names UTF-8 as the specification asks.
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


# Rendering -------------------------------------------------------------------------------------
def _xml_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Rows stored before the text gate may hold characters XML cannot carry.
    return xml_safe(str(value))


def _xml_fill(parent, data):
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _xml_fill(child, value)
        elif isinstance(value, list):
            item_tag = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}.get(
                key, "item"
            )
            for item in value:
                node = ET.SubElement(child, item_tag)
                if isinstance(item, dict):
                    _xml_fill(node, item)
                else:
                    node.text = _xml_value(item)
        else:
            child.text = _xml_value(value)


def render(data, fmt, *, root=None, item=None, status=200):
    """`data` (a list of dicts under <root><item>…, or one dict under <root>) as JSON or XML."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        top = ET.Element(root)
        if isinstance(data, list):
            for row in data:
                _xml_fill(ET.SubElement(top, item), row)
        else:
            _xml_fill(top, data)
        body = XML_DECLARATION + ET.tostring(top, encoding="unicode")  # ElementTree escapes text
    return HttpResponse(body.encode("utf-8"), content_type=CONTENT_TYPES[fmt], status=status)


def error(fmt, status, description):
    return render([{"code": status, "description": str(description)}], fmt, root="errors", item="error", status=status)


def iso(value, tz=None):
    return timezone.localtime(value, tz).isoformat(timespec="seconds") if value else None


def _param(request, name, source=None):
    value = (source if source is not None else request.GET).get(name, "")
    return str(value).replace("\x00", "").strip()


# Discovery and services ----------------------------------------------------------------------------
@require_GET
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/"
    data = {
        "changeset": CHANGESET,
        "contact": _("%(site)s — %(region)s. Hubungi Diskominfo untuk api_key.")
        % {"site": settings.SITE_NAME, "region": settings.REGION_NAME},
        "key_service": _("api_key diterbitkan oleh Diskominfo melalui admin."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def _service(category):
    return {
        "service_code": category.slug,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": category.default_agency.name if category.default_agency_id else "",
    }


@require_GET
def services(request, fmt):
    rows = Category.objects.filter(is_active=True).select_related("default_agency").order_by("order", "name")
    return render([_service(c) for c in rows], fmt, root="services", item="service")


@require_GET
def service_definition(request, code, fmt):
    category = Category.objects.filter(slug=code.replace("\x00", "")[:60], is_active=True).first()
    if category is None:
        return error(fmt, 404, _("service_code tidak dikenal."))
    return render({"service_code": category.slug, "attributes": []}, fmt, root="service_definition")


# Requests ---------------------------------------------------------------------------------------
def public_requests():
    """The reports Open311 may show: what an anonymous visitor sees, with what the fields read (the
    key of the first public image, `media_url`, in the same row)."""
    anonymous = AnonymousUser()
    first_public_image = (
        Attachment.objects.filter(
            privacy.public_attachments_q(), complaint=OuterRef("pk"), content_type__startswith="image/"
        )
        .order_by("created_at", "pk")
        .values("key")[:1]
    )
    return (
        Complaint.objects.visible_to(anonymous)
        .public()
        .select_related("category", "kecamatan", "kelurahan")
        .annotate(public_media_key=Subquery(first_public_image))
    )


class _Labels:
    """What one response repeats on every row, looked up once: the labels of statuses, archive
    reasons and forwarding targets in the request's language, and the deployment's time zone (a
    list has up to MAX_ROWS rows)."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self._labels = {}

    def label(self, field, value):
        key = (field, value)
        if key not in self._labels:
            choices = dict(Complaint._meta.get_field(field).flatchoices)
            self._labels[key] = str(choices.get(value, value)) if value else ""
        return self._labels[key]

    def status_notes(self, c):
        if c.status == Status.ARSIP:
            note = self.label("archive_reason", c.archive_reason) or self.label("status", c.status)
            if c.forwarded_to:
                note = f"{note}: {self.label('forwarded_to', c.forwarded_to)}"
            return note
        return self.label("status", c.status)


def _dispositions_of(complaints):
    """{report id: [(parent id, status, deadline, agency name)]} in one query: a list carries up to
    MAX_ROWS reports, and plain tuples cost a fraction of model instances."""
    result = {c.pk: [] for c in complaints}
    rows = (
        Disposition.objects.filter(complaint_id__in=list(result))
        .order_by("created_at", "pk")
        .values_list("complaint_id", "parent_id", "status", "due_at", "agency__name")
    )
    for complaint_id, *row in rows:
        result[complaint_id].append(row)
    return result


def request_data(c, request, labels, dispositions):
    """One report as an Open311 service request; `dispositions` its rows from `_dispositions_of`."""
    anonymous = AnonymousUser()
    coords = privacy.coordinates_for(c, anonymous)
    agencies = [
        name
        for parent, status, _due, name in dispositions
        if parent is None and status != DispositionStatus.DIKEMBALIKAN
    ]
    deadlines = [due for _parent, status, due, _name in dispositions if status in ACTIVE_DISPOSITION and due]
    media = c.public_media_key
    address = ", ".join(
        p
        for p in (
            privacy.location_text_for(c, anonymous),
            c.kelurahan.name if c.kelurahan_id else "",
            c.kecamatan.name if c.kecamatan_id else "",
        )
        if p
    )
    return {
        "service_request_id": c.tracking_id,
        "status": "open" if c.status in OPEN_STATUSES else "closed",
        "status_notes": labels.status_notes(c),
        "service_name": c.category.name if c.category_id else "",
        "service_code": c.category.slug if c.category_id else "",
        "description": privacy.public_text(c, anonymous),
        "agency_responsible": ", ".join(dict.fromkeys(agencies)),
        "service_notice": "",
        "requested_datetime": iso(c.created_at, labels.tz),
        "updated_datetime": iso(c.updated_at, labels.tz),
        "expected_datetime": iso(min(deadlines), labels.tz) if deadlines and c.status in OPEN_STATUSES else None,
        "address": address,
        "address_id": "",
        "zipcode": "",
        "lat": float(coords[0]) if coords else None,
        "long": float(coords[1]) if coords else None,
        "media_url": request.build_absolute_uri(reverse("attachment", kwargs={"key": media})) if media else "",
    }


def _instant(raw, *, end=False):
    """A w3c/ISO 8601 instant, or a date (its start, or for end_date its end); None if unparsable
    or outside the years 1900–2999."""
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            return None
        if not 1900 <= day.year <= 2999:
            return None
        value = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    if not 1900 <= value.year <= 2999:  # beyond: an overflow in the arithmetic below, not a date
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _number(raw, name, low, high):
    """A finite number in [low, high] from the query string, or a ValueError naming `name`."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(
            _("%(name)s harus angka antara %(low)s dan %(high)s.") % {"name": name, "low": low, "high": high}
        )
    return value


def _public_point(lat, lng):
    """The point the public sees for a stored umum point: as `privacy.coordinates_for` rounds it."""
    return float(round(lat, 3)), float(round(lng, 3))


def distance(lat1, lng1, lat2, lng2):
    """Metres between two points on the sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(a)))


def _geo_window(request):
    """The place a GET asks about: None, ("radius", lat, long, metres) or ("bbox", min_lat, min_long,
    max_lat, max_long); ValueError with a message for the client on bad input."""
    lat_raw, lng_raw, radius_raw = _param(request, "lat"), _param(request, "long"), _param(request, "radius")
    bbox_raw = _param(request, "bbox")
    if bbox_raw and (lat_raw or lng_raw or radius_raw):
        raise ValueError(_("Kirim bbox, atau lat dan long (dengan radius), tidak keduanya."))
    if bbox_raw:
        parts = bbox_raw.split(",")
        if len(parts) != 4:
            raise ValueError(_("bbox harus berisi min_long,min_lat,max_long,max_lat."))
        min_lng, max_lng = (_number(parts[i], "bbox long", -180, 180) for i in (0, 2))
        min_lat, max_lat = (_number(parts[i], "bbox lat", -90, 90) for i in (1, 3))
        if min_lat > max_lat or min_lng > max_lng:
            raise ValueError(_("bbox harus berisi min_long,min_lat,max_long,max_lat."))
        # As large as the widest radius query (its square), so both cost about the same.
        widest = max(math.cos(math.radians(min_lat)), math.cos(math.radians(max_lat)))
        if max(max_lat - min_lat, (max_lng - min_lng) * widest) * METRES_PER_DEGREE > 2 * MAX_RADIUS:
            raise ValueError(_("bbox paling besar %(km)s km per sisi.") % {"km": 2 * MAX_RADIUS // 1000})
        return ("bbox", min_lat, min_lng, max_lat, max_lng)
    if not (lat_raw or lng_raw):
        if radius_raw:
            raise ValueError(_("radius hanya berlaku bersama lat dan long."))
        return None
    if not (lat_raw and lng_raw):
        raise ValueError(_("lat dan long harus dikirim bersamaan."))
    lat, lng = _number(lat_raw, "lat", -90, 90), _number(lng_raw, "long", -180, 180)
    radius = _number(radius_raw, "radius", 1, MAX_RADIUS) if radius_raw else DEFAULT_RADIUS
    return ("radius", lat, lng, radius)


def _near(qs, window):
    """The rows of `qs` whose PUBLIC point lies in `window` (docs/privacy.md: an anonim report has
    no public point, so it is never found by place, and an umum one only by its rounded point, so a
    query cannot locate a report more precisely than the public sees it): a bounding box on the
    stored columns in SQL, then the rounded point tested here. Their ids, nearest first for a
    radius, newest first for a bbox; at most MAX_ROWS."""
    if window[0] == "radius":
        _kind, lat, lng, radius = window
        dlat = radius / METRES_PER_DEGREE
        dlng = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        box = (lat - dlat, lng - dlng, lat + dlat, lng + dlng)
    else:
        box = window[1:]
    m = ROUNDING_MARGIN
    candidates = qs.filter(
        privacy=Privacy.UMUM,
        lat__gte=box[0] - m,
        lat__lte=box[2] + m,
        lng__gte=box[1] - m,
        lng__lte=box[3] + m,
    ).values_list("pk", "lat", "lng", "created_at")
    found = []
    for pk, stored_lat, stored_lng, created in candidates.order_by():
        plat, plng = _public_point(stored_lat, stored_lng)
        if window[0] == "radius":
            metres = distance(lat, lng, plat, plng)
            if metres <= radius:
                found.append(((metres, -created.timestamp(), -pk), pk))
        elif box[0] <= plat <= box[2] and box[1] <= plng <= box[3]:
            found.append(((-created.timestamp(), -pk), pk))
    found.sort()
    return [pk for _key, pk in found[:MAX_ROWS]]


def _list(request, fmt):
    qs = public_requests()
    ids = [i.strip().upper() for i in _param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        # The specification: with service_request_id, the other parameters are ignored.
        rows = qs.filter(tracking_id__in=ids[:MAX_ROWS]).order_by("-created_at", "-pk")
        return _render_rows(qs, _ids(rows), request, fmt)
    codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__slug__in=codes)
    statuses = {s.strip().lower() for s in _param(request, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return error(fmt, 400, _("status harus open atau closed."))
    if statuses == {"open"}:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    start_raw, end_raw = _param(request, "start_date"), _param(request, "end_date")
    start = _instant(start_raw) if start_raw else None
    end = _instant(end_raw, end=True) if end_raw else None
    if (start_raw and start is None) or (end_raw and end is None):
        return error(fmt, 400, _("start_date dan end_date harus berformat ISO 8601, mis. 2026-03-01T00:00:00+07:00."))
    if start and end and start > end:
        return error(fmt, 400, _("start_date harus sebelum end_date."))
    if start is None:
        start = (end or timezone.now()) - DEFAULT_WINDOW
    qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    try:
        window = _geo_window(request)
    except ValueError as err:
        return error(fmt, 400, err.args[0])
    if window is not None:
        return _render_rows(qs, _near(qs, window), request, fmt)
    return _render_rows(qs, _ids(qs.order_by("-created_at", "-pk")[:MAX_ROWS]), request, fmt)


def _ids(rows):
    """The ids of `rows`, in their order: what a list decides before it streams."""
    return list(rows.values_list("pk", flat=True))


def _read_chunk(qs, ids):
    """The reports `ids` of `qs`, in that order, as `public_requests()` reads them, and their
    dispositions: two queries. A report `qs` no longer holds (its privacy raised since the ids
    were decided) is left out."""
    found = {c.pk: c for c in qs.filter(pk__in=ids).order_by()}
    rows = [found[pk] for pk in ids if pk in found]
    return rows, _dispositions_of(rows)


def _render_rows(qs, ids, request, fmt):
    """The reports `ids` of `qs` (a `public_requests()` query), in that order, as a streamed
    `<service_requests>` list: CHUNK reports at a time are read and written, so the queries grow
    with the chunks, not the rows, and memory holds one chunk. The bytes are those `render()`
    gives for the same rows.

    The answer is a 200 once the first piece leaves, so a failure mid-way (the database gone) is
    logged and raised again: the server cuts the response off, the client sees it incomplete, and
    the page cache keeps nothing (complaints.common.pagecache)."""
    labels, language = _Labels(), translation.get_language()
    if fmt == "json":
        opening, separator, closing, empty = "[", ", ", "]", "[]"  # json.dumps's own separator
    else:
        opening, separator = XML_DECLARATION + "<service_requests>", ""
        closing, empty = "</service_requests>", XML_DECLARATION + "<service_requests />"

    def text(data):
        if fmt == "json":
            return json.dumps(data, ensure_ascii=False)
        node = ET.Element("request")
        _xml_fill(node, data)
        return ET.tostring(node, encoding="unicode")

    def pieces():
        sent = 0
        try:
            for start in range(0, len(ids), CHUNK):
                rows, dispositions = _read_chunk(qs, ids[start : start + CHUNK])
                # The labels in the request's language, whichever is active when the server
                # iterates.
                with translation.override(language):
                    texts = [text(request_data(c, request, labels, dispositions[c.pk])) for c in rows]
                if texts:
                    yield (separator if sent else opening) + separator.join(texts)
                    sent += len(texts)
        except Exception:
            log.exception("Open311 %s broke off after %d of %d requests", request.path, sent, len(ids))
            raise
        yield closing if sent else empty

    return StreamingHttpResponse(pieces(), content_type=CONTENT_TYPES[fmt])


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


@require_GET
def request_detail(request, request_id, fmt):
    """One request, as the list of it alone: the report's row, then its dispositions."""
    # The tracking id is unique: no ORDER BY (compiling one hashes every selected column).
    found = list(public_requests().filter(tracking_id=request_id.replace("\x00", "").upper()[:20]).order_by()[:1])
    if not found:
        return error(fmt, 404, privacy.NOT_FOUND_MESSAGE)
    c = found[0]
    data = request_data(c, request, _Labels(), _dispositions_of([c])[c.pk])
    return render([data], fmt, root="service_requests", item="request")


# Filing --------------------------------------------------------------------------------------
def _coordinate(raw, low, high):
    if not raw:
        return None, True
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None, False
    if not value.is_finite() or not low <= value <= high:
        return None, False
    # A phone's GPS gives 15 decimals; six (about 10 cm) is all the column keeps.
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP), True


def _create(request, fmt):
    data = request.POST
    key = _param(request, "api_key", data)
    if not key or not Open311Key.objects.filter(key=key[:64], is_active=True).exists():
        return error(fmt, 403, _("api_key tidak valid."))
    category = Category.objects.filter(slug=_param(request, "service_code", data)[:60], is_active=True).first()
    if category is None:
        return error(fmt, 400, _("service_code tidak dikenal."))
    lat, lat_ok = _coordinate(_param(request, "lat", data), -90, 90)
    lng, lng_ok = _coordinate(_param(request, "long", data), -180, 180)
    if not (lat_ok and lng_ok):  # sent together or not at all: workflow.check_filing
        return error(fmt, 400, _("lat dan long harus angka yang valid dan dikirim bersamaan."))
    address = _param(request, "address_string", data)[:255]
    if lat is None and not address:
        return error(fmt, 400, _("Kirim lokasi: lat dan long, atau address_string."))
    description = _param(request, "description", data)
    if len(description) < 10:
        return error(fmt, 400, _("description wajib diisi, minimal 10 karakter."))
    if len(description) > 10000:
        return error(fmt, 400, _("description terlalu panjang."))
    email = _param(request, "email", data).lower()
    try:
        if not email:
            raise ValidationError("required")
        validate_email(email)
    except ValidationError:
        return error(fmt, 400, _("email pelapor wajib diisi dengan alamat yang valid."))
    chosen_privacy = _param(request, "privacy", data).lower() or None  # None: the channel's default
    if chosen_privacy is not None and chosen_privacy not in Privacy.values:
        return error(fmt, 400, _("privacy harus umum, anonim, atau rahasia."))
    link = _param(request, "media_url", data)[:500]
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        link = ""
    try:
        phone = normalize_phone(_param(request, "phone", data) or None)
    except ValidationError:
        phone = ""
    name = f"{_param(request, 'first_name', data)} {_param(request, 'last_name', data)}".strip()[:150]

    def file(**who):
        return workflow.file_complaint(
            **who,
            title=title_from(description),
            body=description,
            channel=Channel.OPEN311,
            privacy=chosen_privacy,
            category=category,
            location_text=address,
            lat=lat,
            lng=lng,
            channel_link=link,
        )

    try:
        with transaction.atomic():
            # An API key holder only types the address: an existing account's report waits for
            # its owner to confirm it, whoever the client says it files for.
            c = claims.file_for_contact(channel=Channel.OPEN311, name=name, email=email, phone=phone, file=file)
    except WorkflowError as err:
        messages = [str(m) for values in err.fields.values() for m in values] or [str(err.message)]
        return error(fmt, err.status_code, "; ".join(messages))
    except ValidationError as err:
        return error(fmt, 400, "; ".join(err.messages))
    notice = _("Laporan diterima dan menunggu verifikasi operator. Lacak dengan nomor %(id)s.") % {"id": c.tracking_id}
    return render(
        [{"service_request_id": c.tracking_id, "service_notice": notice, "account_id": None}],
        fmt,
        root="service_requests",
        item="request",
        status=201,
    )


@csrf_exempt
def not_found(request, *args, **kwargs):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error(fmt, 404, _("Sumber Open311 tidak ditemukan."))


FMT = r"(?P<fmt>json|xml)"
urlpatterns = [
    re_path(rf"^discovery\.{FMT}$", public_page(discovery), name="discovery"),
    re_path(rf"^services\.{FMT}$", public_page(services), name="services"),
    re_path(rf"^services/(?P<code>[^/]+)\.{FMT}$", public_page(service_definition), name="service"),
    re_path(rf"^requests\.{FMT}$", public_page(requests_view), name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+)\.{FMT}$", public_page(request_detail), name="request"),
    re_path(r"^.*$", not_found),
]
