"""Open data (docs/product.md §8): the public reports at `/data/laporan.csv` and
`/data/laporan.json`, described on the landing page `/data/` (namespace `opendata`).

Only the public's view of a report leaves here (docs/privacy.md): the rows come from
`Complaint.objects.visible_to(AnonymousUser())`, so a rahasia, unverified or invalid report is never
listed; coordinates come from `privacy.coordinates_for` (about 100 m for umum, none for anonim) and
the free-text location from `privacy.location_text_for` (umum only: an anonim report's location
often names a street near the reporter's home). No column holds an identity or a title.

"On time" is the statistics' figure (docs/clocks.md; `figures.metric_filter`): `ya` when a
first-response clock of the report was answered by its deadline and none is late, `tidak` when one
is late (answered after its deadline, or still open past it), empty while no clock has decided.

Both files are streamed (`StreamingHttpResponse`) from `iterator(chunk_size=CHUNK)`, the OPDs
prefetched per chunk: memory and the number of queries do not grow with the rows. The CSV goes
through the formula-safe writer of `exports.csv_response`; its license is in the `Link` header
(rel="license"), the JSON's in its envelope, and both on the landing page.
"""

import functools
import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from agencies.models import Area, Category
from complaints import privacy
from complaints.common.replicas import reads_from_replica
from complaints.dashboards import exports
from complaints.dashboards.figures import metric_filter
from complaints.models import Complaint, Disposition, DispositionStatus

CHUNK = 1000
FIELDS = (
    ("tracking_id", gettext_lazy("Nomor pelacakan")),
    ("kind", gettext_lazy("Jenis (aduan, aspirasi, informasi)")),
    ("category", gettext_lazy("Kategori")),
    ("kecamatan", gettext_lazy("Kecamatan")),
    ("kelurahan", gettext_lazy("Kelurahan/desa")),
    ("location", gettext_lazy("Lokasi tertulis (hanya laporan umum)")),
    ("lat", gettext_lazy("Lintang, dibulatkan ke 3 desimal (±100 m; kosong untuk laporan anonim)")),
    ("lng", gettext_lazy("Bujur, dibulatkan ke 3 desimal (±100 m; kosong untuk laporan anonim)")),
    ("status", gettext_lazy("Status")),
    ("filed_at", gettext_lazy("Waktu masuk (ISO 8601)")),
    ("verified_at", gettext_lazy("Waktu diverifikasi (ISO 8601)")),
    ("closed_at", gettext_lazy("Waktu ditutup (ISO 8601)")),
    ("agencies", gettext_lazy("OPD yang menangani (dipisah titik koma)")),
    ("on_time", gettext_lazy("Tindak lanjut pertama tepat waktu: ya, tidak, atau kosong bila belum ditentukan")),
)


class BadFilter(ValueError):
    pass


def license_info():
    return {"name": settings.OPEN_DATA_LICENSE, "url": settings.OPEN_DATA_LICENSE_URL}


def _day(raw, name):
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:  # beyond: an overflow, not a filter
        raise BadFilter(_("%(name)s harus tanggal berformat YYYY-MM-DD (tahun 1900–2999).") % {"name": name})
    return day


def public_reports(params, now=None):
    """The public reports matching the optional filters `dari`/`sampai` (filing dates, inclusive,
    YYYY-MM-DD), `kategori` (slug) and `kecamatan` (code), oldest first; BadFilter on bad input."""
    now = now or timezone.now()
    # A NUL byte cannot reach PostgreSQL in a query: dropped, as everywhere else.
    params = {
        k: str(params.get(k, "")).replace("\x00", "").strip() for k in ("dari", "sampai", "kategori", "kecamatan")
    }
    qs = Complaint.objects.visible_to(AnonymousUser())
    tz = timezone.get_current_timezone()
    start = end = None
    if params.get("dari"):
        start = _day(params["dari"], "dari")
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(start, time.min), tz))
    if params.get("sampai"):
        end = _day(params["sampai"], "sampai")
        qs = qs.filter(created_at__lt=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz))
    if start and end and start > end:
        raise BadFilter(_("dari harus sebelum sampai."))
    if params.get("kategori"):
        category = Category.objects.filter(slug=params["kategori"][:60]).first()
        if category is None:
            raise BadFilter(_("kategori tidak dikenal."))
        qs = qs.filter(category=category)
    if params.get("kecamatan"):
        area = Area.objects.filter(code=params["kecamatan"][:20], level=Area.Level.KECAMATAN).first()
        if area is None:
            raise BadFilter(_("kecamatan tidak dikenal."))
        qs = qs.filter(kecamatan=area)
    return (
        qs.select_related("category", "kecamatan", "kelurahan")
        .annotate(is_on_time=metric_filter("on_time", None, now), is_late=metric_filter("late", None, now))
        .prefetch_related(
            Prefetch(
                "dispositions",
                queryset=Disposition.objects.filter(parent__isnull=True)
                .exclude(status=DispositionStatus.DIKEMBALIKAN)
                .select_related("agency")
                .order_by("created_at", "pk"),
                to_attr="open_data_dispositions",
            )
        )
        .order_by("created_at", "pk")
    )


def _iso(value, tz):
    return timezone.localtime(value, tz).isoformat(timespec="seconds") if value else ""


def rows(qs):
    """One dict per report of `qs` (from `public_reports`), keys as FIELDS, read in chunks."""
    anonymous = AnonymousUser()
    tz = timezone.get_current_timezone()
    for c in qs.iterator(chunk_size=CHUNK):
        coords = privacy.coordinates_for(c, anonymous)
        yield {
            "tracking_id": c.tracking_id,
            "kind": c.kind,
            "category": c.category.name if c.category_id else "",
            "kecamatan": c.kecamatan.name if c.kecamatan_id else "",
            "kelurahan": c.kelurahan.name if c.kelurahan_id else "",
            "location": privacy.location_text_for(c, anonymous),
            # Numbers (a CSV cell "-4.601" as text would be guarded as a formula); None for anonim.
            "lat": float(coords[0]) if coords else None,
            "lng": float(coords[1]) if coords else None,
            "status": c.status,
            "filed_at": _iso(c.created_at, tz),
            "verified_at": _iso(c.verified_at, tz),
            "closed_at": _iso(c.closed_at, tz),
            "agencies": "; ".join(dict.fromkeys(d.agency.name for d in c.open_data_dispositions)),
            "on_time": "tidak" if c.is_late else "ya" if c.is_on_time else "",
        }


def _bad_request(message, fmt):
    if fmt == "json":
        return JsonResponse({"detail": str(message)}, status=400)
    return HttpResponse(str(message), status=400, content_type="text/plain; charset=utf-8")


@require_GET
def index(request):
    """/data/: what the files hold, under which license, and how to filter them."""
    context = {
        "fields": FIELDS,
        "license": license_info(),
        "csv_url": reverse("opendata:csv"),
        "json_url": reverse("opendata:json"),
    }
    return render(request, "dashboards/open_data.html", context)


def _licensed_file(fmt):
    """A view of the file in `fmt`: the view gets the request and the public reports its filters
    select; a bad filter is a 400 in the file's format; the response links the license."""

    def decorate(write):
        @require_GET
        @functools.wraps(write)
        def view(request):
            try:
                qs = public_reports(request.GET)
            except BadFilter as err:
                return _bad_request(err, fmt)
            response = write(request, qs)
            response["Link"] = f'<{settings.OPEN_DATA_LICENSE_URL}>; rel="license"'
            return response

        return view

    return decorate


@_licensed_file("csv")
def laporan_csv(request, qs):
    keys = [key for key, _label in FIELDS]

    def table():
        yield keys
        for row in rows(qs):
            yield [row[k] for k in keys]

    return exports.csv_response(table(), "laporan")


@_licensed_file("json")
def laporan_json(request, qs):
    head = {
        "license": license_info(),
        "source": request.build_absolute_uri(reverse("opendata:index")),
        "generated_at": _iso(timezone.now(), timezone.get_current_timezone()),
        "fields": {key: str(label) for key, label in FIELDS},
    }

    def stream():
        # The envelope without its closing brace, then the rows one by one.
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "data": ['
        for i, row in enumerate(rows(qs)):
            yield ("," if i else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    return StreamingHttpResponse(stream(), content_type="application/json; charset=utf-8")


urlpatterns = [
    path("", index, name="index"),
    # The files read from a read replica when there is one (complaints.common.replicas), while they stream too.
    path("laporan.csv", reads_from_replica(laporan_csv), name="csv"),
    path("laporan.json", reads_from_replica(laporan_json), name="json"),
]
