"""Citizen and public pages: filing a report with evidence (and the duplicate check), the receipt,
the public feed, the tracking page with the reporter's actions, my reports, in-app notifications,
the identity access log, tracking by id and the privacy notice.

Lists come only from `Complaint.objects.visible_to(user)`, single reports only from
`get_complaint_or_404`; what of a report a viewer sees comes from `complaints.privacy`; every
change goes through `complaints.workflow`. A refused action re-renders the page with the
workflow's message and its 400/403/409 status.
"""

import math
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.models import Role
from agencies import areas, calendar
from agencies.models import Area, Category, SlaPolicy
from complaints import privacy, workflow
from complaints.common import idempotency, search
from complaints.common.nearby import nearby_open_reports
from complaints.common.pagination import page_of, query_without
from complaints.errors import Forbidden, Invalid, NotFound, WorkflowError
from complaints.evidence import uploads
from complaints.models import (
    TRACKING_RE,
    ArchiveReason,
    Channel,
    Complaint,
    DispositionStatus,
    EventType,
    IdentityAccess,
    Institution,
    Notification,
    Privacy,
    Status,
    Support,
    parse_pk,
)
from complaints.outbox import notify
from complaints.portal import maps
from complaints.portal.filters import FeedFilter
from complaints.portal.forms import (
    CompleteForm,
    PrivacyForm,
    RateForm,
    ReopenForm,
    ReplyForm,
    ReportForm,
    category_label,
    put_errors,
)

PAGE_SIZE = 20
SIMILAR_LIMIT = 5

STATUS_MEANING = {
    Status.BELUM_TERVERIFIKASI: gettext_lazy(
        "Laporan diterima dan menunggu diperiksa operator. Belum tampil ke publik."
    ),
    Status.TUNDA: gettext_lazy(
        "Operator meminta pelapor melengkapi laporan. Tenggat verifikasi berhenti sampai laporan dilengkapi."
    ),
    Status.BELUM_DITINDAKLANJUTI: gettext_lazy(
        "Laporan sudah diverifikasi dan diteruskan ke instansi yang berwenang, menunggu tindak lanjut pertama."
    ),
    Status.PROSES: gettext_lazy("Instansi sedang menindaklanjuti laporan dan berdialog dengan pelapor."),
    Status.SELESAI: gettext_lazy(
        "Tindak lanjut selesai. Pelapor dapat menilai hasilnya atau membuka kembali dalam 10 hari kerja."
    ),
    Status.ARSIP: gettext_lazy("Laporan ditutup tanpa tindak lanjut; alasannya tercantum di bawah."),
}
# The same, said to the reporter on their own report.
STATUS_MEANING_FOR_REPORTER = {
    **STATUS_MEANING,
    Status.TUNDA: gettext_lazy(
        "Operator meminta Anda melengkapi laporan. Tenggat verifikasi berhenti sampai Anda melengkapinya."
    ),
    Status.PROSES: gettext_lazy("Instansi sedang menindaklanjuti laporan Anda dan dapat berdialog dengan Anda."),
    Status.SELESAI: gettext_lazy(
        "Tindak lanjut selesai. Anda dapat menilai hasilnya atau membuka kembali dalam 10 hari kerja."
    ),
}


def _public():
    return AnonymousUser()


def is_verified(user):
    """A pelapor is someone with a verified account; `accounts.verification` decides, for the API
    too."""
    from accounts.verification import is_verified_reporter

    return is_verified_reporter(user)


def _safe_next(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _login_redirect(request, path):
    return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': path})}")


# Filing -----------------------------------------------------------------------------------------
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def file_report(request):
    """/lapor/: the filing form. The first submit looks for similar open public reports; when
    there are some, the form comes back with them and "Tetap kirim laporan saya" (step=confirm).
    Files are processed only on the submit that files the report."""
    user = request.user
    if not is_verified(user):
        messages.info(request, _("Verifikasi email Anda dahulu sebelum membuat laporan."))
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': request.path})}")
    policy = SlaPolicy.current()
    context = {"policy": policy, "similar": [], "nearby": [], "reselect_files": False, **map_context()}
    status = 200
    if request.method == "POST":
        if (earlier := idempotency.filed_with(user, request.POST.get("submission_key"))) is not None:
            return _already_filed(request, earlier)
        form = ReportForm(request.POST, request.FILES)
        files = request.FILES.getlist("files")
        held_token = request.POST.get("held_files", "")
        held = uploads.held_files(held_token, by=user) if held_token else []
        if not held:
            held_token = ""
        status = 400
        if form.is_valid():
            similar, nearby = [], []
            if request.POST.get("step") != "confirm":
                d = form.cleaned_data
                similar = search.similar_open_reports(
                    d["category"], d.get("kecamatan"), f"{d['title']} {d['body']}", SIMILAR_LIMIT, user=user
                )
                if d.get("lat") is not None and d.get("lng") is not None:
                    nearby = nearby_open_reports(
                        d["lat"], d["lng"], limit=SIMILAR_LIMIT, exclude=[s.pk for s in similar]
                    )
            prepared, errors, status = _evidence(files, held, user)
            for error in errors:
                form.add_error("files", error)
            if errors:
                pass
            elif similar or nearby:
                # The step comes back with the form: the files chosen so far are kept on the
                # server (the browser forgets them), so the citizen need not choose them again.
                if files:
                    try:
                        new_token = uploads.hold_prepared(prepared, by=user)
                    except uploads.StorageUnavailable as err:
                        form.add_error("files", err.message)
                        new_token, status = held_token, err.status_code
                    else:
                        if held_token:
                            uploads.drop_held(held_token, by=user)
                        held_token, held = new_token, prepared
                if not form.errors:
                    status = 200
                context.update(
                    similar=similar,
                    nearby=nearby,
                    confirm_step=True,
                    supported=_supported_ids(user, [*similar, *nearby]),
                )
            else:
                try:
                    # Nothing is kept when the evidence cannot be stored: no report, no file;
                    # the form comes back with what the citizen typed.
                    complaint, replayed = uploads.file_once_with_files(
                        user,
                        form.cleaned_data["submission_key"],
                        lambda: workflow.file_complaint(
                            reporter=services.reporter_for(Channel.WEB, user=user).account,
                            channel=Channel.WEB,
                            **form.complaint_fields(),
                        ),
                        prepared,
                    )
                    if replayed:
                        return _already_filed(request, complaint)
                except uploads.StorageUnavailable as err:
                    form.add_error("files", err.message)
                    form.add_error(
                        None,
                        _(
                            "Laporan Anda belum terkirim karena lampirannya tidak dapat disimpan. Isian Anda "
                            "masih ada di bawah: kirim lagi nanti, atau kirim sekarang tanpa lampiran."
                        ),
                    )
                    status = err.status_code
                except (WorkflowError, ValidationError) as err:
                    put_errors(form, err)
                    status = getattr(err, "status_code", 400)
                else:
                    if held_token:
                        uploads.drop_held(held_token, by=user)
                    return redirect("complaints:filed", tracking_id=complaint.tracking_id)
        if form.errors and files:
            context["reselect_files"] = True
        context.update(held_token=held_token, held_names=[u.name for u, _p in held])
    else:
        initial = {}
        for name in ("category", "kecamatan"):
            value = request.GET.get(name, "")
            if (pk := parse_pk(value)) is not None:
                initial[name] = pk
        form = ReportForm(initial=initial)
    context["form"] = form
    return render(request, "complaints/file.html", context, status=status)


def _evidence(files, held, user):
    """The files kept from an earlier step plus those chosen now, checked and cleaned:
    (prepared, error messages, status)."""
    try:
        processed, errors = uploads.prepare(files, by=user) if files else ([], [])
    except uploads.UploadRateExceeded as err:
        return held, [err.message], err.status_code
    prepared = [*held, *processed]
    if not errors and len(prepared) > settings.UPLOAD_MAX_FILES:
        errors = [
            _("Maksimum %(n)s berkas per laporan; Anda memilih %(m)s.")
            % {"n": settings.UPLOAD_MAX_FILES, "m": len(prepared)}
        ]
    return prepared, errors, 400


MAP_OUTLINES_PATH = "/peta/wilayah.geojson"


def map_context():
    """What the location picker's map needs (static/js/map-pick.js reads it from data- attributes):
    the tile source when one is configured, and the region's extent from its areas."""
    from django.db.models import Max, Min

    box = Area.objects.filter(min_lat__isnull=False).aggregate(
        s=Min("min_lat"), n=Max("max_lat"), w=Min("min_lng"), e=Max("max_lng")
    )
    bounds = ",".join(str(box[k]) for k in ("s", "w", "n", "e")) if all(box[k] is not None for k in "snwe") else ""
    try:
        # The area outlines of the public map (/peta/), drawn when no tile source is configured;
        # asked for only where that page is installed (the script also survives its absence).
        resolve(MAP_OUTLINES_PATH)
        outlines = MAP_OUTLINES_PATH
    except Resolver404:
        outlines = ""
    return {
        "map_outlines_url": outlines,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "map_bounds": bounds,
    }


def _already_filed(request, complaint):
    """A form posted again with a key already used: the receipt of the report it filed."""
    messages.info(request, _("Laporan ini sudah terkirim sebelumnya; tidak dibuat laporan kedua."))
    return redirect("complaints:filed", tracking_id=complaint.tracking_id)


@login_required
@never_cache
@require_GET
def filed(request, tracking_id):
    """The receipt after filing: only the reporter has one."""
    c = privacy.get_complaint_or_404(
        request.user, tracking_id, Complaint.objects.select_related("category", "kecamatan", "kelurahan")
    )
    if not privacy.is_reporter(c, request.user):
        raise Http404(privacy.NOT_FOUND_MESSAGE)
    context = {
        "c": c,
        "policy": SlaPolicy.current(),
        "verification_due": timezone.localtime(c.verification_due_at) if c.verification_due_at else None,
        "attachment_count": c.attachments.count(),
        "category_name": category_label(c.category) if c.category else "",
    }
    return render(request, "complaints/filed.html", context)


@require_GET
def similar(request):
    """/lapor/serupa/?category=&kecamatan=&q=: similar open public reports (duplicates), a page
    of its own for people who want to look before they write."""
    category = _category_from(request.GET.get("category", ""))
    kecamatan_id = request.GET.get("kecamatan", "")
    kecamatan = (
        Area.objects.filter(pk=pk, level=Area.Level.KECAMATAN).first()
        if (pk := parse_pk(kecamatan_id)) is not None
        else None
    )
    q = request.GET.get("q", "").strip()[:300]
    results = search.similar_open_reports(category, kecamatan, q, 10, user=request.user) if category and q else []
    lat, lng = _point_from(request.GET)
    nearby = nearby_open_reports(lat, lng, limit=10, exclude=[r.pk for r in results]) if lat is not None else []
    context = {
        "results": results,
        "nearby": nearby,
        "lat": "" if lat is None else lat,
        "lng": "" if lng is None else lng,
        "near_searched": lat is not None,
        **map_context(),
        "q": q,
        "category": category,
        "kecamatan": kecamatan,
        "categories": Category.objects.filter(is_active=True).order_by("order", "name"),
        "kecamatans": Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name"),
        "supported": _supported_ids(request.user, [*results, *nearby]),
        "can_support": workflow.offers_support(request.user),
        "searched": bool(category and q),
    }
    return render(request, "complaints/similar.html", context)


def _point_from(params):
    """(lat, lng) as floats from ?lat=&lng=, or (None, None) when absent or not a point."""
    try:
        lat, lng = float(params.get("lat", "")), float(params.get("lng", ""))
    except ValueError:
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    return round(lat, 6), round(lng, 6)


@require_GET
def locate_area(request):
    """/lapor/wilayah/?lat=&lng=: the kecamatan and kelurahan holding a point, for the filing
    form's selects while the citizen moves the pin (the server fills them in again on filing,
    `workflow.fill_area_from_point`). Area names and ids are public; the point is not kept."""
    lat, lng = _point_from(request.GET)
    if lat is None:
        return JsonResponse({"detail": _("Titik tidak sah: isi lat dan lng dalam derajat.")}, status=400)
    kecamatan, kelurahan = areas.locate(lat, lng)
    return JsonResponse(
        {
            "kecamatan": kecamatan.pk if kecamatan else None,
            "kecamatan_name": kecamatan.name if kecamatan else None,
            "kelurahan": kelurahan.pk if kelurahan else None,
            "kelurahan_name": kelurahan.name if kelurahan else None,
        }
    )


def _category_from(value):
    value = (value or "").strip()
    if not value:
        return None
    qs = Category.objects.filter(is_active=True)
    return (qs.filter(pk=pk) if (pk := parse_pk(value)) is not None else qs.filter(slug=value)).first()


def _supported_ids(user, complaints):
    if not user.is_authenticated or not complaints:
        return set()
    return set(
        Support.objects.filter(user=user, complaint_id__in=[c.pk for c in complaints]).values_list(
            "complaint_id", flat=True
        )
    )


# Public feed ------------------------------------------------------------------------------------
@require_GET
def feed(request):
    """/laporan/: newest verified public reports, filtered, searched and paginated. It is a
    public surface: every row shows what the public sees (summary, name only for umum)."""
    base = Complaint.objects.visible_to(request.user).public()
    filterset = FeedFilter(request.GET or None, queryset=base)
    qs = filterset.qs
    q = request.GET.get("q", "").strip()[:200]
    if q:
        qs = search.search(qs, q)
    else:
        qs = qs.order_by("-verified_at", "-pk")
    qs = qs.select_related("category", "kecamatan", "kelurahan", "reporter")
    page = page_of(request, qs, PAGE_SIZE)
    rows = _public_rows(page.object_list)
    context = {
        "filter": filterset,
        "q": q,
        "page": page,
        "rows": rows,
        "supported": _supported_ids(request.user, rows),
        "can_support": workflow.offers_support(request.user),
        "query_string": query_without(request),
        "open_statuses": {Status.BELUM_DITINDAKLANJUTI, Status.PROSES},
        # A common word: only the newest matches are ranked and shown (complaints.common.search).
        "search_capped": search.is_capped(q, page.paginator.count),
        "ranked_matches": search.RANKED_MATCHES,
        # The filter form (its choices are read from the database and rendered option by option)
        # is the same for everyone asking with the same filters: kept as rendered HTML.
        "filters_key": urlencode(sorted((k, v) for k, v in request.GET.items() if k in filterset.form.fields)),
        "filters_cache_seconds": settings.LIST_COUNT_CACHE_SECONDS,
    }
    context.update(_feed_links(filterset))
    return render(request, "complaints/feed.html", context)


def _feed_links(filterset):
    """The Atom feed and the follow form that match the chosen kecamatan or category."""
    data = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    kecamatan, category = data.get("kecamatan"), data.get("category")
    query = {}
    if kecamatan:
        query["kecamatan"] = kecamatan.pk
    if category:
        query["category"] = category.pk
    return {"feed_kecamatan": kecamatan, "feed_category": category, "follow_query": urlencode(query)}


def _public_rows(complaints):
    public = _public()
    rows = []
    for c in complaints:
        c.public_name = privacy.public_display_name(c, public)
        c.public_body = privacy.public_text(c, public)
        c.category_name = category_label(c.category) if c.category else ""
        rows.append(c)
    return rows


# Tracking page ----------------------------------------------------------------------------------
def _report_queryset():
    # The rarely set relations are prefetched (no query when empty): joining all eight tables
    # cost PostgreSQL more time choosing a join order than reading the row.
    return Complaint.objects.select_related("category", "kecamatan", "kelurahan", "reporter").prefetch_related(
        "target_agency", "terlapor_agency__root", "merged_into"
    )


REPORTER_FORMS = {
    "reply": ReplyForm,
    "complete": CompleteForm,
    "reopen": ReopenForm,
    "rate": RateForm,
    "privacy": PrivacyForm,
}


# The actions this page offers a form or button for; the transition table decides which of them
# the caller may take now (workflow.available_actions).
PAGE_ACTIONS = {
    workflow.Action.SUPPORT,
    workflow.Action.WITHDRAW,
    workflow.Action.COMPLETE,
    workflow.Action.REPLY,
    workflow.Action.ACCEPT,
    workflow.Action.RATE,
    workflow.Action.REOPEN,
    workflow.Action.PRIVACY,
}


def _allowed_actions(c, user):
    """Which of the reporter's (and a citizen's) action forms to show on this page now."""
    who = (workflow.Who.REPORTER, workflow.Who.CITIZEN)
    return {str(a) for a in workflow.available_actions(c, user, who=who) & PAGE_ACTIONS}


def _bound_forms(c, dispositions, data=None, files=None, only=None):
    finished = [d for d in dispositions if d.parent_id is None and d.status == DispositionStatus.SELESAI]
    built = {}
    for name, cls in REPORTER_FORMS.items():
        bind = data if only == name else None
        kwargs = {"prefix": name}
        if name == "reopen":
            kwargs["dispositions"] = finished
        if name == "privacy":
            kwargs["initial"] = {"privacy": c.privacy}
        if bind is not None:
            built[name] = cls(bind, files, **kwargs) if name in ("reply", "complete") else cls(bind, **kwargs)
        else:
            built[name] = cls(**kwargs)
    return built


def _do_action(request, c, action, form):
    """Run one reporter/citizen action through the workflow; returns the success message, or
    None when the form is invalid. Raises WorkflowError when the workflow refuses."""
    user = request.user
    if action == "support":
        if not is_verified(user):
            raise Forbidden(_("Verifikasi email Anda dahulu untuk mendukung laporan."))
        workflow.support(c.pk, by=user)
        return _("Terima kasih. Dukungan Anda tercatat; Anda akan diberi tahu perkembangannya.")
    if action == "withdraw":
        if request.POST.get("confirm") != "1":
            raise Invalid(_("Centang konfirmasi untuk mencabut laporan."))
        workflow.withdraw(c.pk, by=user)
        return _("Laporan dicabut dan diarsipkan.")
    if action == "accept":
        workflow.accept(c.pk, by=user)
        return _("Terima kasih. Laporan ditutup sebagai selesai; Anda dapat memberi penilaian.")
    if form is None or not form.is_valid():
        return None
    d = form.cleaned_data
    if action in ("reply", "complete"):
        processed, errors = uploads.prepare(d.get("files") or [], by=user)
        if errors:
            for error in errors:
                form.add_error("files", error)
            return None
        with uploads.removed_on_error(), transaction.atomic():
            if action == "reply":
                event = workflow.reply(c.pk, by=user, body=d["body"])
            else:
                workflow.complete(c.pk, by=user, body=d["body"])
                event = c.events.filter(type=EventType.COMPLETED).order_by("-pk").first()
            uploads.attach_prepared(c, by=user, prepared=processed, event=event)
        return _("Tanggapan terkirim.") if action == "reply" else _("Terima kasih, laporan sudah dilengkapi.")
    if action == "rate":
        workflow.rate(c.pk, by=user, score=d["score"], comment=d.get("comment", ""))
        return _("Terima kasih atas penilaian Anda.")
    if action == "reopen":
        workflow.reopen(c.pk, by=user, body=d["body"], dispositions=d.get("dispositions") or None)
        return _("Laporan dibuka kembali; instansi akan menindaklanjuti lagi.")
    if action == "privacy":
        workflow.change_privacy(c.pk, by=user, privacy_level=d["privacy"])
        return _("Tingkat privasi diubah menjadi %(level)s.") % {"level": Privacy(d["privacy"]).label}
    raise Invalid(_("Tindakan tidak dikenal."))


ACTIONS = {"support", "withdraw", "accept", "reply", "complete", "rate", "reopen", "privacy"}


@never_cache
@require_http_methods(["GET", "POST"])
def report_detail(request, tracking_id):
    """/laporan/<tracking_id>/: the tracking page for the reporter, the public report page for
    everyone else (the same 404 for rahasia, unverified and missing ids)."""
    c = privacy.get_complaint_or_404(request.user, tracking_id, _report_queryset())
    user = request.user
    error, status, action, forms = None, 200, None, None
    if request.method == "POST":
        if not user.is_authenticated:
            return _login_redirect(request, request.path)
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            error, status = _("Tindakan tidak dikenal."), 400
        else:
            dispositions = list(c.dispositions.select_related("agency"))
            forms = _bound_forms(c, dispositions, request.POST, request.FILES, only=action)
            form = forms.get(action)
            try:
                with transaction.atomic():
                    done = _do_action(request, c, action, form)
            except NotFound:
                raise Http404(privacy.NOT_FOUND_MESSAGE) from None
            except WorkflowError as err:
                error, status = str(err.message), err.status_code
                if form is not None and err.fields:
                    put_errors(form, err)
            else:
                if done:
                    messages.success(request, done)
                    return redirect(_safe_next(request, c.get_absolute_url()))
                status = 400
            # The page below shows the report as it is now (a refused action changed nothing).
            c = privacy.get_complaint_or_404(user, tracking_id, _report_queryset())
    return _render_report(request, c, error=error, status=status, action=action, forms=forms)


def _render_report(request, c, *, error=None, status=200, action=None, forms=None):
    user = request.user
    now = timezone.now()
    dispositions = list(c.dispositions.select_related("agency", "parent__agency").order_by("created_at", "pk"))
    for d in dispositions:
        d.days_left = calendar.working_days_between(now, d.due_at) if d.due_at and d.is_active else None
        d.days_late = -d.days_left if d.days_left is not None and d.days_left < 0 else 0
    is_reporter = privacy.is_reporter(c, user)
    allowed = _allowed_actions(c, user)
    forms = forms or _bound_forms(c, dispositions)
    attachments = list(privacy.attachments_for(c, user))
    timeline = list(privacy.timeline_for(c, user))
    coordinates = privacy.coordinates_for(c, user)
    for e in timeline:
        e.detail = _event_detail(e)
    context = {
        "c": c,
        "is_reporter": is_reporter,
        "status_meaning": (STATUS_MEANING_FOR_REPORTER if is_reporter else STATUS_MEANING).get(c.status, ""),
        "reporter": privacy.public_display_name(c, user),
        "text": privacy.public_text(c, user),
        "coordinates": coordinates,
        # A small map (JavaScript) at the precision the caller may see; the text above is the same.
        "report_map": maps.map_settings() if coordinates or c.kelurahan_id or c.kecamatan_id else None,
        "location_text": privacy.location_text_for(c, user),
        "attachments": attachments,
        "timeline": timeline,
        "dispositions": dispositions,
        "allowed": allowed,
        "forms": forms,
        "error": error,
        "failed_action": action if error or status >= 400 else None,
        "supported": user.is_authenticated and Support.objects.filter(complaint=c, user=user).exists(),
        "category_name": category_label(c.category) if c.category else "",
        "verification_due": timezone.localtime(c.verification_due_at) if c.verification_due_at else None,
        "tunda_due": timezone.localtime(c.tunda_due_at) if c.tunda_due_at else None,
        "autoclose_due": timezone.localtime(c.autoclose_due_at) if c.autoclose_due_at else None,
        "reopen_until": timezone.localtime(c.reopen_until) if c.reopen_until else None,
        "policy": SlaPolicy.current(),
        "supportable": workflow.state_allows(c, workflow.Action.SUPPORT),
        "verify_to_support": user.is_authenticated and not is_reporter and not is_verified(user),
    }
    return render(request, "complaints/report.html", context, status=status)


def _event_detail(e):
    """A short, public-safe description of an entry's data (never a person's name)."""
    data = e.data or {}
    if e.type in (EventType.DISPOSED, EventType.SUBDISPOSED, EventType.RETURN_REFUSED) and e.disposition_id:
        return _("kepada %(agency)s") % {"agency": e.disposition.agency.name}
    if e.type == EventType.PRIVACY_CHANGED and data.get("to") in Privacy.values:
        return _("menjadi %(level)s") % {"level": Privacy(data["to"]).label}
    if e.type == EventType.RATED and data.get("score"):
        return _("nilai %(score)s dari 5") % {"score": data["score"]}
    if (
        e.type in (EventType.ARCHIVED, EventType.WITHDRAWN, EventType.MERGED)
        and data.get("reason") in ArchiveReason.values
    ):
        return ArchiveReason(data["reason"]).label
    if e.type == EventType.FORWARDED and data.get("forwarded_to") in Institution.values:
        return _("ke %(institution)s") % {"institution": Institution(data["forwarded_to"]).label}
    if e.type in (EventType.FOLLOWUP, EventType.FINISHED, EventType.RETURNED, EventType.EXTENDED) and e.disposition_id:
        return e.disposition.agency.name
    return ""


@login_required
@never_cache
@require_GET
def identity_log(request, tracking_id):
    """Who viewed or revealed the reporter's identity, when and why: for the reporter only."""
    c = privacy.get_complaint_or_404(request.user, tracking_id)
    if not privacy.is_reporter(c, request.user):
        raise Http404(privacy.NOT_FOUND_MESSAGE)
    entries = list(
        IdentityAccess.objects.filter(complaint=c).select_related("agency", "user").order_by("-created_at", "-pk")
    )
    roles = dict(Role.choices)
    for a in entries:
        a.role_label = roles.get(a.role, a.role or _("Petugas"))
    return render(request, "complaints/identity_log.html", {"c": c, "entries": entries})


@require_GET
def track(request):
    """/lacak/?id=…: normalise a typed tracking id and go to its page (which answers 404 for
    anything the caller may not see)."""
    raw = request.GET.get("id", "")
    cleaned = re.sub(r"[\s\-_.]", "", raw).upper()
    if cleaned.startswith("LPR"):
        cleaned = cleaned[3:]
    # Crockford's reading rules: letters people mistake for digits mean those digits.
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    candidate = f"LPR-{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else ""
    if candidate and re.fullmatch(TRACKING_RE, candidate):
        return redirect("complaints:detail", tracking_id=candidate)
    error = _("Nomor pelacakan tidak valid. Bentuknya LPR-XXXX-XXXX.") if raw else ""
    return render(request, "complaints/track.html", {"raw": raw, "error": error}, status=400 if raw else 200)


# The citizen's own pages ------------------------------------------------------------------------
@login_required
@require_GET
def my_reports(request):
    user = request.user
    own = (
        Complaint.objects.visible_to(user)
        .filter(reporter=user)
        .select_related("category")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(own, PAGE_SIZE).get_page(request.GET.get("page"))
    followed = (
        Complaint.objects.visible_to(user)
        .filter(supports__user=user)
        .exclude(reporter=user)
        .select_related("category")
        .order_by("-created_at")[:50]
    )
    for c in list(page.object_list) + list(followed):
        c.category_name = category_label(c.category) if c.category else ""
    return render(request, "complaints/mine.html", {"page": page, "followed": followed})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def notifications(request):
    user = request.user
    inbox = Notification.objects.filter(recipient=user, channel=Notification.Channel.INAPP)
    if request.method == "POST":
        now = timezone.now()
        if request.POST.get("all"):
            inbox.filter(read_at__isnull=True).update(read_at=now)
        else:
            ids = [pk for pk in map(parse_pk, request.POST.getlist("id")) if pk is not None]
            inbox.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
        return redirect(f"{reverse('complaints:notifications')}?{request.GET.urlencode()}")
    page = Paginator(inbox.select_related("complaint", "event").order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    # Raising a report's privacy hides it at once, also from what was already written here.
    visible = set(
        Complaint.objects.visible_to(user)
        .filter(pk__in={n.complaint_id for n in items if n.complaint_id})
        .values_list("pk", flat=True)
    )
    for n in items:
        n.visible = n.complaint_id is None or n.complaint_id in visible
        n.body = ""
        if n.visible:
            n.body = n.text
            if not n.body:
                rendered = notify.render(n)
                n.body = rendered[1] if rendered else ""
                n.subject = n.subject or (rendered[0] if rendered else "")
    unread = inbox.filter(read_at__isnull=True).count()
    return render(request, "complaints/notifications.html", {"page": page, "items": items, "unread": unread})


@require_GET
def privacy_notice(request):
    context = {
        "site_name": settings.SITE_NAME,
        "region": settings.REGION_NAME,
    }
    return render(request, "complaints/privacy.html", context)
