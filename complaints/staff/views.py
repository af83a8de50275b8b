"""The staff workspace (docs/product.md §2, §6, §7): the operator's queue, review page and manual entry
with its receipt; the OPD liaison's inbox and disposition page; the head's view of their OPD.

Lists come from `complaints.staff.selectors` (which start from `Complaint.objects.visible_to(user)`),
single reports from `privacy.get_complaint_or_404`, identities from `privacy.reporter_identity`;
every change goes through `complaints.workflow`. A refused action re-renders the page with the
workflow's message and its 400/403/409 status; a report the user does not work on is a 404, the
same as a missing one.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from agencies import calendar, reference
from complaints import privacy, workflow
from complaints.channels import claims
from complaints.common import idempotency
from complaints.common.pagination import page_of, query_without
from complaints.dashboards import panels
from complaints.errors import Invalid, NotFound, WorkflowError
from complaints.evidence import uploads
from complaints.models import (
    ACTIVE_DISPOSITION,
    Complaint,
    Disposition,
    DispositionStatus,
    EventType,
    Notification,
    Privacy,
    TerlaporChange,
)
from complaints.portal.forms import put_errors
from complaints.staff import selectors
from complaints.staff.forms import (
    ArchiveForm,
    AttachmentVisibilityForm,
    BodyWithFilesForm,
    DisposeForm,
    FlagOversightForm,
    ForwardForm,
    ManualEntryForm,
    MergeForm,
    PostponeForm,
    QueueFilterForm,
    RaisePrivacyForm,
    ReasonForm,
    ReclassifyForm,
    RefuseReturnForm,
    StaffBodyForm,
    SubdisposeForm,
    SummaryForm,
    TerlaporDecisionForm,
    VerifyForm,
)

PAGE_SIZE = 25


def _not_found():
    return Http404(privacy.NOT_FOUND_MESSAGE)


def _identity(c, user, requested):
    """(identity or None, needs_click). A view the §3 table logs (an operator on an anonim or
    rahasia report) is shown only after an explicit click, so every logged view is intentional."""
    view = privacy.reporter_visible_to(c, user)
    if view.logged and not requested:
        return None, True
    identity = privacy.reporter_identity(c, user)
    if identity and identity.get("email", "").endswith(".invalid"):
        identity["email"] = ""  # the placeholder address of a phone-only account is no contact
    return identity, False


def _nav(user):
    """The workspace links for the user's roles, and the unread in-app notifications."""
    items = []
    if user.has_role(Role.OPERATOR):
        items += [("staff:queue", _("Antrean operator")), ("staff:manual_entry", _("Input laporan manual"))]
    if user.has_role(Role.LIAISON):
        items.append(("opd:inbox", _("Kotak masuk OPD")))
    if user.has_role(Role.HEAD):
        items.append(("opd:head", _("Kinerja OPD")))
    # The same permissions as the pages they lead to.
    if privacy.can(user, "workload"):
        items.append(("workload", _("Beban kerja operator")))
    if privacy.can(user, "audit_all"):
        items.append(("dashboards:audit", _("Dasbor audit")))
    if privacy.may_decide_terlapor_anywhere(user):
        items.append(("staff:terlapor_changes", _("Perubahan terlapor")))
    links = [(reverse(name), label) for name, label in items]
    try:
        # The in-app notifications page is shared with citizens (complaints.portal.views.notifications).
        links.append((reverse("complaints:notifications"), _("Notifikasi")))
    except NoReverseMatch:
        pass
    unread = Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INAPP, read_at__isnull=True
    ).count()
    return {"links": links, "unread": unread}


def _render(request, template, context, status=200):
    context["staff_nav"] = _nav(request.user)
    return render(request, template, context, status=status)


def _paginate(request, qs, count=None):
    # Keys first on every page: the staff lists sort on computed deadlines over whole agencies.
    return page_of(request, qs, PAGE_SIZE, deferred_from=0, count=count)


def _query_string(request):
    return query_without(request)


def _links(viewname, sample):
    """`value -> reverse(viewname, args=[value])` for the rows of a page at the cost of one
    reverse: the links of a list differ only in one path segment, a tracking id or a primary key
    (`sample`: a value of that kind the URL pattern accepts), which needs no quoting. The {% url %}
    tag cost a twentieth of a list's time."""
    marker = str(sample)
    prefix, found, suffix = reverse(viewname, args=[marker]).rpartition(marker)
    if not found:
        raise ValueError(f"{viewname}: {marker} is not in its URL")
    return lambda value: f"{prefix}{value}{suffix}"


# Every staff role's start page -------------------------------------------------------------------
@login_required
@require_GET
def workspace(request):
    """/petugas/ruang-kerja/: each staff member's work list (the nav link for every staff role)."""
    user = request.user
    if user.has_role(Role.OPERATOR):
        return redirect("staff:queue")
    if user.has_role(Role.LIAISON):
        return redirect("opd:inbox")
    if user.has_role(Role.HEAD):
        return redirect("opd:head")
    if user.has_role(Role.AUDITOR):
        return redirect("dashboards:audit")
    raise _not_found()


# The operator's queue ------------------------------------------------------------------------------
def _require_operator(user):
    if not user.has_role(Role.OPERATOR):
        raise _not_found()


TABS = [
    (selectors.Tab.UNVERIFIED, _("Belum diverifikasi")),
    (selectors.Tab.TUNDA, _("Tunda")),
    (selectors.Tab.RETURNED, _("Dikembalikan")),
    (selectors.Tab.MONITOR, _("Dipantau")),
]


@login_required
@never_cache
@require_GET
def queue(request):
    """/petugas/: the operator's tabs (unverified, tunda, returned, monitored to settlement), each
    sorted by its deadline with a countdown in working days; filters by GET."""
    user = request.user
    _require_operator(user)
    tab = request.GET.get("tab") or selectors.Tab.UNVERIFIED
    if tab not in selectors.Tab.ALL:
        tab = selectors.Tab.UNVERIFIED
    form = QueueFilterForm(request.GET or None)
    filters = form.filters()
    counts = selectors.tab_counts(user, filters)
    # The tab's total is its list's length, but with "overdue only" (which the tabs do not count).
    # Each tab is read in the order of its own index (the deadline columns the clocks keep): a page
    # is one query with its joins, keys first only past the first pages (pagination.DEFERRED_FROM).
    page = page_of(
        request,
        selectors.operator_queue(user, tab, filters),
        PAGE_SIZE,
        count=None if filters.get("overdue") else counts[tab],
    )
    countdown = selectors.Countdowns()
    review_url = _links("staff:review", "LPR-0000-0000")
    rows = list(page.object_list)
    for c in rows:
        c.countdown = countdown(c.queue_due)
        c.review_url = review_url(c.tracking_id)
    if tab == selectors.Tab.MONITOR:
        selectors.with_dispositions(rows)
    context = {
        "tab": tab,
        "tabs": [(key, str(label), counts[key]) for key, label in TABS],
        "form": form,
        "page": page,
        "rows": rows,
        "filter_query": query_without(request, "page", "tab"),
        "query_string": _query_string(request),
        # The filter form (choices from the database) is the same for the same tab and filters.
        "filters_cache_seconds": settings.LIST_COUNT_CACHE_SECONDS,
    }
    return _render(request, "staff/queue.html", context, status=400 if form.is_bound and form.errors else 200)


# The review page --------------------------------------------------------------------------------
def _operator_report(user, tracking_id, *, review=False):
    # The category, areas and agencies come from the rows kept per process (agencies/reference.py)
    # rather than five more joins: PostgreSQL spent milliseconds planning each join of a query
    # that reads one row.
    reports = (
        selectors.operator_reports(user)
        .select_related("reporter", "entered_by")
        .annotate(merged_into_tracking_id=F("merged_into__tracking_id"))  # all the page shows of it
    )
    if review:
        # What the page and the transition table's guards read of the report's dispositions
        # (workflow.available_actions asks whether every one was returned, whether a return is
        # pending), in one query however many it has.
        reports = reports.prefetch_related(
            Prefetch("dispositions", queryset=Disposition.objects.order_by("created_at", "pk"))
        )
    c = privacy.get_complaint_or_404(user, tracking_id, reports)
    reference.attach(
        c,
        category="categories",
        kecamatan="areas",
        kelurahan="areas",
        target_agency="agencies",
        terlapor_agency="agencies",
    )
    if review:
        dispositions = {d.pk: d for d in c.dispositions.all()}
        for d in dispositions.values():
            reference.attach(d, agency="agencies")
            if d.parent_id in dispositions:  # a unit's disposition names its OPD's, of the same report
                d.parent = dispositions[d.parent_id]
    return c


def _review_actions(c, user):
    """The operator forms this page offers now: the transition table decides
    (workflow.available_actions)."""
    allowed = workflow.available_actions(c, user, who=(workflow.Who.OPERATOR,))
    return {str(a) for a in allowed & REVIEW_ACTIONS}


def _review_forms(c, routing, actions, data=None, action=None):
    """The forms of `actions` (those the page offers, and the one posted): a form the page does
    not show is not built."""

    def bound(name):
        return data if action == name else None

    makers = {
        "verify": lambda: VerifyForm(bound("verify"), prefix="verify", initial={"agencies": [a.slug for a in routing]}),
        "dispose": lambda: DisposeForm(bound("dispose"), prefix="dispose"),
        "refuse_return": lambda: RefuseReturnForm(bound("refuse_return"), prefix="refuse_return"),
        "postpone": lambda: PostponeForm(bound("postpone"), prefix="postpone"),
        "archive": lambda: ArchiveForm(bound("archive"), prefix="archive"),
        "forward": lambda: ForwardForm(bound("forward"), prefix="forward"),
        "merge": lambda: MergeForm(bound("merge"), prefix="merge"),
        "edit_summary": lambda: SummaryForm(
            bound("edit_summary"), prefix="edit_summary", initial={"summary": c.public_summary}
        ),
        "privacy": lambda: RaisePrivacyForm(bound("privacy"), prefix="privacy", current=c.privacy),
        "reclassify": lambda: ReclassifyForm(bound("reclassify"), prefix="reclassify", complaint=c),
        "flag_oversight": lambda: FlagOversightForm(bound("flag_oversight"), prefix="flag_oversight"),
        "hide_attachment": lambda: AttachmentVisibilityForm(bound("hide_attachment"), prefix="hide_attachment"),
    }
    return {name: make() for name, make in makers.items() if name in actions}


def _do_review_action(c, user, action, form):
    """Run one operator action through the workflow. Returns the success message, or None when
    the form is invalid; raises WorkflowError / ValidationError when the workflow refuses."""
    if form is None or not form.is_valid():
        return None
    d = form.cleaned_data
    if action == "flag_oversight":
        workflow.flag_oversight(c.pk, by=user, terlapor_agency=d.get("terlapor_agency"))
        return _("Laporan ditandai berkadar pengawasan: hanya dapat didisposisikan ke Inspektorat atau BKD.")
    if action == "verify":
        workflow.verify(c.pk, by=user, agencies=[a.slug for a in d["agencies"]], note=d.get("note", ""))
        names = ", ".join(a.name for a in d["agencies"])
        return _("Laporan diverifikasi dan didisposisikan ke %(agencies)s.") % {"agencies": names}
    if action == "dispose":
        workflow.dispose(c.pk, by=user, agencies=[a.slug for a in d["agencies"]], note=d.get("note", ""))
        return _("Laporan didisposisikan ke %(agencies)s.") % {"agencies": ", ".join(a.name for a in d["agencies"])}
    if action == "refuse_return":
        target = c.dispositions.filter(pk=d["disposition"], return_pending=True).select_related("agency").first()
        if target is None:
            raise Invalid(fields={"disposition": [_("Tidak ada pengembalian yang menunggu keputusan.")]})
        workflow.dispose(c.pk, by=user, agencies=[target.agency.slug], note=d["note"])
        return _("Pengembalian ditolak; %(agency)s menerima laporan kembali dengan tenggat baru.") % {
            "agency": target.agency.name
        }
    if action == "postpone":
        workflow.postpone(c.pk, by=user, reason=d["reason"])
        return _("Laporan ditunda; pelapor diminta melengkapinya.")
    if action == "archive":
        workflow.archive(c.pk, by=user, reason=d["reason"], note=d.get("note", ""))
        return _("Laporan diarsipkan.")
    if action == "forward":
        workflow.forward(c.pk, by=user, institution=d["institution"], note=d.get("note", ""))
        return _("Laporan diteruskan; pelapor diberi tahu.")
    if action == "merge":
        workflow.merge(c.pk, by=user, into=d["into"])
        return _("Laporan digabung ke %(into)s.") % {"into": d["into"]}
    if action == "edit_summary":
        workflow.edit_summary(c.pk, by=user, summary=d["summary"])
        return _("Ringkasan publik disimpan.") if d["summary"] else _("Ringkasan publik dihapus.")
    if action == "privacy":
        workflow.change_privacy(c.pk, by=user, privacy_level=d["privacy"])
        return _("Privasi dinaikkan menjadi %(level)s.") % {"level": Privacy(d["privacy"]).label}
    if action == "reclassify":
        changes = form.changes()
        if not changes:
            form.add_error(None, _("Tidak ada yang berubah."))
            return None
        event = workflow.reclassify(c.pk, by=user, terlapor_reason=d.get("terlapor_reason", ""), **changes)
        if event.type == EventType.TERLAPOR_REQUESTED:
            return _(
                "Permintaan perubahan terlapor diajukan; berlaku setelah disetujui pimpinan Diskominfo atau auditor."
            )
        return _("Klasifikasi laporan diubah.")
    if action == "hide_attachment":
        workflow.set_attachment_public(c.pk, by=user, attachment=d["attachment"], public=d["public"])
        return _("Lampiran ditampilkan ke publik.") if d["public"] else _("Lampiran disembunyikan dari publik.")
    raise Invalid(_("Tindakan tidak dikenal."))


# The name of each action on the review page: its <details> summary, and what a failed
# submission's message at the top of the page names.
REVIEW_TITLES = {
    "verify": gettext_lazy("Verifikasi dan disposisikan"),
    "refuse_return": gettext_lazy("Tolak pengembalian"),
    "dispose": gettext_lazy("Disposisi (ulang)"),
    "postpone": gettext_lazy("Tunda: minta pelapor melengkapi"),
    "merge": gettext_lazy("Gabungkan ke laporan utama"),
    "forward": gettext_lazy("Teruskan ke luar daerah"),
    "archive": gettext_lazy("Arsipkan"),
    "edit_summary": gettext_lazy("Ringkasan publik"),
    "privacy": gettext_lazy("Naikkan privasi"),
    "reclassify": gettext_lazy("Ubah klasifikasi"),
    "flag_oversight": gettext_lazy("Berkadar pengawasan"),
}


def _expected_review_action(c, allowed, pending_returns):
    """The action the report's status waits for from the operator (open by default): verification
    of a new report, a new disposition when an OPD returned it; none otherwise."""
    if "verify" in allowed:
        return "verify"
    if pending_returns and "dispose" in allowed:
        return "dispose"
    return None


def _open_action(failed, expected, allowed, titles):
    """Which action's <details> is open: the one whose submission failed, else the expected one."""
    if failed in allowed and failed in titles:
        return failed
    return expected


REVIEW_ACTIONS = {
    workflow.Action.VERIFY,
    workflow.Action.DISPOSE,
    workflow.Action.REFUSE_RETURN,
    workflow.Action.POSTPONE,
    workflow.Action.ARCHIVE,
    workflow.Action.FORWARD,
    workflow.Action.MERGE,
    workflow.Action.EDIT_SUMMARY,
    workflow.Action.PRIVACY,
    workflow.Action.RECLASSIFY,
    workflow.Action.FLAG_OVERSIGHT,
    workflow.Action.HIDE_ATTACHMENT,
}


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def review(request, tracking_id):
    """/petugas/laporan/<tracking_id>/: everything an operator needs to decide on one report, and
    the forms to decide. POST `action=identity` shows (and logs) a protected identity."""
    user = request.user
    _require_operator(user)
    c = _operator_report(user, tracking_id, review=True)
    post = _PostedAction(
        request,
        REVIEW_ACTIONS,
        lambda action: _review_forms(c, workflow.suggested_routing(c)[0], {action}, request.POST, action),
        lambda action, form: _do_review_action(c, user, action, form),
        titles=REVIEW_TITLES,
        model_field_errors=True,
    )
    if post.done:
        messages.success(request, post.done)
        if post.action == "merge":
            return redirect("staff:review", tracking_id=post.form.cleaned_data["into"])
        return redirect("staff:review", tracking_id=c.tracking_id)
    if post.tried:
        c = _operator_report(user, tracking_id, review=True)
    return _render_review(
        request,
        c,
        status=post.status,
        error=post.error,
        action=post.action,
        forms=post.forms,
        show_identity=post.show_identity,
    )


class _PostedAction:
    """The action POST of the review and disposition pages: `action=identity` shows (and logs) a
    protected identity; another action out of `actions` is refused (400); one of them builds the
    page's forms (`make_forms(action)`) and runs `do(action, form)` in a transaction, whose message
    is `done` (None: the form was invalid, 400). A workflow or validation error becomes `error` and
    `status`, and lands on the form's fields when it names them (`model_field_errors`: a model
    ValidationError's fields too). A GET leaves everything at rest."""

    def __init__(self, request, actions, make_forms, do, *, titles, model_field_errors=False):
        self.status, self.error, self.action, self.forms, self.form = 200, None, None, None, None
        self.show_identity = self.tried = False
        self.done = None
        if request.method != "POST":
            return
        self.action = action = request.POST.get("action", "")
        if action == "identity":
            self.show_identity = True
        elif action not in actions:
            self.error, self.status = _("Tindakan tidak dikenal."), 400
        else:
            self.tried = True
            self.forms = make_forms(action)
            self.form = form = self.forms.get(action)
            try:
                with transaction.atomic():
                    self.done = do(action, form)
            except NotFound:
                raise _not_found() from None
            except (WorkflowError, ValidationError) as err:
                self.status = getattr(err, "status_code", 400)
                self.error = err.message if isinstance(err, WorkflowError) else "; ".join(err.messages)
                named = getattr(err, "fields", None) or (model_field_errors and hasattr(err, "message_dict"))
                if form is not None and named:
                    put_errors(form, err)  # the form shows the messages; the top names the form
                    self.error = self._check_form(action, titles)
            else:
                if not self.done:
                    self.status, self.error = 400, self._check_form(action, titles)

    @staticmethod
    def _check_form(action, titles):
        if action in titles:  # the page links to that form (#aksi-<action>)
            return _("Periksa isian formulir: %(form)s.") % {"form": titles[action]}
        return _("Periksa isian formulir.")


def _render_review(request, c, *, status=200, error=None, action=None, forms=None, show_identity=False):
    user = request.user
    countdown = selectors.Countdowns()
    dispositions = list(c.dispositions.all())  # prefetched by _operator_report
    for d in dispositions:
        d.countdown = countdown(d.due_at) if d.is_active else None
        d.settlement = countdown(d.settlement_due_at) if d.is_active else None
    # The rows the privacy rule gives, their relations from what the page already holds (the
    # report's dispositions, its timeline, the reference rows) instead of joins in each query.
    timeline = list(privacy.timeline_for(c, user).select_related(None).defer("data", "client_ip", "user_agent"))
    by_pk = {d.pk: d for d in dispositions}
    for e in timeline:
        reference.attach(e, actor_agency="agencies")
        if e.disposition_id in by_pk:
            e.disposition = by_pk[e.disposition_id]
    events = {e.pk: e for e in timeline}
    attachments = list(privacy.attachments_for(c, user).select_related(None))
    for a in attachments:
        if a.event_id in events:
            a.event = events[a.event_id]
    terlapor_change = c.terlapor_changes.filter(status=TerlaporChange.Status.PENDING).first()
    if terlapor_change is not None:
        reference.attach(terlapor_change, from_agency="agencies", to_agency="agencies")
    routing, why = workflow.suggested_routing(c)
    identity, identity_button = _identity(c, user, show_identity)
    allowed = _review_actions(c, user)
    pending_returns = [d for d in dispositions if d.return_pending]
    failed = action if status >= 400 else None
    context = {
        "c": c,
        "error": error,
        "failed_action": failed,
        "failed_form": failed if failed in allowed and failed in REVIEW_TITLES else None,
        "open_action": _open_action(
            failed, _expected_review_action(c, allowed, pending_returns), allowed, REVIEW_TITLES
        ),
        "titles": REVIEW_TITLES,
        # The posted form (bound, with its errors) and unbound ones for the other actions offered.
        "forms": {**_review_forms(c, routing, allowed - set(forms or ())), **(forms or {})},
        "allowed": allowed,
        "dispositions": dispositions,
        "pending_returns": pending_returns,
        "attachments": attachments,
        "timeline": timeline,
        "similar": selectors.similar_reports(c, user),
        "routing": routing,
        "routing_why": why,
        "identity": identity,
        "identity_button": identity_button,
        "identity_logged": show_identity and identity is not None,
        "verification_due": countdown(c.verification_due_at),
        "redisposition_due": countdown(c.redisposition_due_at),
        "tunda_due": countdown(c.tunda_due_at),
        "terlapor_change": terlapor_change,
    }
    return _render(request, "staff/review.html", context, status=status)


# Terlapor changes -----------------------------------------------------------------------------------
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def terlapor_changes(request):
    """/petugas/perubahan-terlapor/: the pending requests to remove or replace a report's terlapor,
    for the second person who decides them (head of Diskominfo, Inspektorat/BKD auditor); POST
    decides one with a reason. Others: 403."""
    user = request.user
    if not privacy.may_decide_terlapor_anywhere(user):
        return _render(request, "staff/terlapor_changes.html", {"forbidden": True}, status=403)
    status, error, form = 200, None, None
    if request.method == "POST":
        form = TerlaporDecisionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            change = TerlaporChange.objects.filter(pk=d["change"], status=TerlaporChange.Status.PENDING).first()
            try:
                if change is None or not privacy.is_visible(change.complaint, user):
                    raise NotFound()
                with transaction.atomic():
                    workflow.decide_terlapor_change(
                        change.complaint_id, by=user, approve=d["decision"] == "approve", reason=d["reason"]
                    )
            except NotFound:
                status, error = 404, str(privacy.NOT_FOUND_MESSAGE)
            except WorkflowError as err:
                status, error = err.status_code, err.message
                put_errors(form, err)
            else:
                messages.success(request, _("Keputusan perubahan terlapor disimpan."))
                return redirect("staff:terlapor_changes")
        else:
            status, error = 400, _("Periksa isian formulir.")
    pending = list(
        TerlaporChange.objects.filter(
            status=TerlaporChange.Status.PENDING,
            complaint__in=Complaint.objects.filter(privacy.terlapor_deciders_filter(user)),
        )
        .exclude(requested_by=user)
        .select_related("complaint", "from_agency", "to_agency")
        .order_by("created_at")
    )
    context = {"pending": pending, "form": form, "error": error}
    return _render(request, "staff/terlapor_changes.html", context, status=status)


# Manual entry --------------------------------------------------------------------------------------
def _already_entered(request, complaint):
    """The form posted again with a key already used: the receipt of the report it entered."""
    messages.info(request, _("Laporan ini sudah tercatat sebelumnya; tidak dibuat laporan kedua."))
    return redirect("staff:receipt", tracking_id=complaint.tracking_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def manual_entry(request):
    """/petugas/input/: an operator enters a report received at the counter, by phone or on social
    media, with the same rules as the citizen form, then prints the receipt."""
    user = request.user
    if not privacy.can(user, "manual_entry"):
        raise _not_found()
    status = 200
    if request.method == "POST":
        if (earlier := idempotency.filed_with(user, request.POST.get("submission_key"))) is not None:
            return _already_entered(request, earlier)
        form = ManualEntryForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                processed, errors = uploads.prepare(request.FILES.getlist("files"), by=user)
            except uploads.UploadRateExceeded as err:
                processed, errors, status = [], [err.message], err.status_code
            for e in errors:
                form.add_error("files", e)
            if not errors:
                d = form.cleaned_data

                def file(**who):
                    return workflow.file_complaint(entered_by=user, **who, **form.complaint_fields())

                def file_new():
                    # Typed by the operator, so proving nothing: an existing account's address
                    # gets the report only when its owner confirms.
                    return claims.file_for_contact(
                        channel=d["channel"],
                        name=d["reporter_name"].strip(),
                        email=d["reporter_email"],
                        phone=d["reporter_phone"],
                        file=file,
                    )

                try:
                    c, replayed = uploads.file_once_with_files(user, d["submission_key"], file_new, processed)
                    if replayed:
                        return _already_entered(request, c)
                except (WorkflowError, ValidationError) as err:
                    put_errors(form, err)
                    status = getattr(err, "status_code", 400)
                else:
                    messages.success(request, _("Laporan tercatat. Cetak tanda terima untuk pelapor."))
                    return redirect("staff:receipt", tracking_id=c.tracking_id)
    else:
        form = ManualEntryForm()
    return _render(request, "staff/manual_entry.html", {"form": form}, status=status)


@login_required
@require_GET
def receipt(request, tracking_id):
    """The printable tanda terima of a report: tracking id, time, kind, verification deadline."""
    user = request.user
    _require_operator(user)
    c = _operator_report(user, tracking_id)
    return _render(request, "staff/receipt.html", {"c": c, "site_url": settings.SITE_URL})


# The OPD side --------------------------------------------------------------------------------------
def _pick_agency(request, agencies):
    if not agencies:
        raise _not_found()
    slug = request.GET.get("agency")
    if not slug:
        return agencies[0]
    for a in agencies:
        if a.slug == slug:
            return a
    raise _not_found()


def _inbox_status(request, default):
    value = request.GET.get("status") or default
    return value if value in selectors.InboxStatus.CHOICES else default


STATUS_TABS = [
    (selectors.InboxStatus.ACTIVE, _("Aktif")),
    (DispositionStatus.MENUNGGU, _("Menunggu")),
    (DispositionStatus.DITINDAKLANJUTI, _("Ditindaklanjuti")),
    (DispositionStatus.SELESAI, _("Selesai")),
    (DispositionStatus.DIKEMBALIKAN, _("Dikembalikan")),
    (selectors.InboxStatus.EVERYTHING, _("Semua")),
]


def _with_countdowns(rows):
    countdown = selectors.Countdowns()
    for d in rows:
        live = d.status in ACTIVE_DISPOSITION
        d.countdown = countdown(d.due_at) if live else None
        d.settlement = countdown(d.settlement_due_at) if live else None
    return rows


@login_required
@never_cache
@require_GET
def inbox(request):
    """/opd/: a liaison's dispositions for one of their agencies (?agency=slug), nearest deadline
    first, with a status filter."""
    user = request.user
    agencies = selectors.agencies_for(user, Role.LIAISON)
    agency = _pick_agency(request, agencies)
    status = _inbox_status(request, selectors.InboxStatus.ACTIVE)
    overdue = request.GET.get("overdue") == "1"
    # One row per report: an OPD's disposition lists the units it passed the report to
    # (selectors.inbox, one_row_per_report).
    rows = selectors.inbox(user, agency, status, overdue, one_row_per_report=True)
    # The headings' totals count the same rows as the list: the list's length is one of them.
    counts = selectors.inbox_counts(user, agency)
    page = _paginate(
        request,
        selectors.live_first(rows, status, overdue, read=selectors.inbox_rows(user, agency)),
        count=selectors.listed_count(counts, status, overdue),
    )
    context = _agency_list(request, agencies, agency, status, overdue, counts, page)
    context["rows"] = selectors.with_units(_with_countdowns(list(page.object_list)))
    disposition_url = _links("opd:disposition", 2**31 - 1)
    for d in context["rows"]:
        d.url = disposition_url(d.pk)
        _with_countdowns(d.units)
        for u in d.units:
            u.url = disposition_url(u.pk)
    return _render(request, "staff/inbox.html", context)


def _agency_list(request, agencies, agency, status, overdue, counts, page):
    """The context the liaison's inbox and the head's page share: the OPD picker, the status tabs
    with their counts and the page of dispositions."""
    return {
        "agency": agency,
        "agencies": agencies,
        "status": status,
        "overdue": overdue,
        "status_tabs": [(key, str(label), counts[key]) for key, label in STATUS_TABS],
        "counts": counts,
        "page": page,
        "query_string": _query_string(request),
    }


def _opd_disposition(user, pk):
    """A disposition of one of the user's agencies (liaison or head) on a report they work on;
    otherwise the same 404 as a missing one."""
    ids = set()
    for a in selectors.agencies_for(user, Role.LIAISON, Role.HEAD):
        ids.update(a.descendants_and_self_ids())
    d = (
        Disposition.objects.select_related("agency", "parent__agency", "complaint")
        .filter(pk=pk, agency_id__in=ids)
        .first()
        if ids
        else None
    )
    if d is None:
        raise _not_found()
    reports = Complaint.objects.filter(privacy.acting_filter(user, Role.LIAISON, Role.HEAD)).select_related(
        "category", "kecamatan", "kelurahan", "reporter", "terlapor_agency"
    )
    c = privacy.get_complaint_or_404(user, d.complaint.tracking_id, reports)
    d.complaint = c
    return d


def _opd_actions(c, d, user):
    """Which liaison forms to show on this disposition now: the transition table decides
    (workflow.available_disposition_actions; a head, or a liaison whose part is over, reads only)."""
    return {str(a) for a in workflow.available_disposition_actions(c, d, user)}


def _opd_forms(d, data=None, files=None, action=None):
    texts = {  # action: (form, label, help text); the forms with files also take the upload
        "followup": (
            BodyWithFilesForm,
            _("Tindak lanjut"),
            _("Tampil ke publik (tanpa identitas pelapor). Tulis apa yang sudah dilakukan dan rencana berikutnya."),
        ),
        "question": (
            StaffBodyForm,
            _("Pertanyaan kepada pelapor"),
            _("Dilihat pelapor dan petugas, tidak tampil ke publik."),
        ),
        "reply": (BodyWithFilesForm, _("Tanggapan"), _("Dilihat pelapor dan petugas.")),
        "return": (
            ReasonForm,
            _("Alasan bukan kewenangan"),
            _("Operator memutuskan disposisi ulang. Sebutkan instansi yang menurut Anda berwenang."),
        ),
        "extend": (ReasonForm, _("Alasan perpanjangan"), _("Hanya sekali; pelapor diberi tahu.")),
    }
    forms = {}
    for name, (form, label, help_text) in texts.items():
        bound = {"data": data if action == name else None, "prefix": name, "label": label, "help_text": help_text}
        if form is BodyWithFilesForm:
            bound["files"] = files if action == name else None
        forms[name] = form(**bound)
    forms["subdispose"] = SubdisposeForm(data if action == "subdispose" else None, prefix="subdispose", agency=d.agency)
    return forms


def _do_opd_action(c, d, user, action, form):
    if action == "finish":
        workflow.finish(c.pk, by=user, disposition=d.pk)
        return _("Tindak lanjut %(agency)s dinyatakan selesai.") % {"agency": d.agency.name}
    if form is None or not form.is_valid():
        return None
    data = form.cleaned_data
    if action in ("followup", "reply"):
        processed, errors = uploads.prepare(data.get("files") or [], by=user)
        for e in errors:
            form.add_error("files", e)
        if errors:
            return None
        if action == "followup":
            event = workflow.followup(c.pk, by=user, disposition=d.pk, body=data["body"])
        else:
            event = workflow.reply(c.pk, by=user, body=data["body"])
        uploads.attach_prepared(c, by=user, prepared=processed, event=event)
        return _("Tindak lanjut tersimpan.") if action == "followup" else _("Tanggapan terkirim.")
    if action == "question":
        workflow.question(c.pk, by=user, disposition=d.pk, body=data["body"])
        return _("Pertanyaan terkirim ke pelapor.")
    if action == "subdispose":
        workflow.subdispose(c.pk, by=user, disposition=d.pk, unit=data["unit"].slug)
        return _("Laporan diteruskan ke %(unit)s dengan tenggat yang sama.") % {"unit": data["unit"].name}
    if action == "return":
        workflow.return_disposition(c.pk, by=user, disposition=d.pk, reason=data["reason"])
        return _("Laporan dikembalikan ke operator sebagai bukan kewenangan.")
    if action == "extend":
        workflow.extend(c.pk, by=user, disposition=d.pk, reason=data["reason"])
        return _("Tenggat permintaan informasi diperpanjang.")
    raise Invalid(_("Tindakan tidak dikenal."))


OPD_ACTIONS = {"followup", "question", "reply", "subdispose", "return", "extend", "finish"}

# The name of each action on the disposition page (its <details> summary; a failed submission's
# message names it).
OPD_TITLES = {
    "followup": gettext_lazy("Tindak lanjut"),
    "finish": gettext_lazy("Selesaikan disposisi"),
    "question": gettext_lazy("Tanya pelapor"),
    "reply": gettext_lazy("Tanggapi pelapor"),
    "subdispose": gettext_lazy("Teruskan ke unit"),
    "extend": gettext_lazy("Perpanjang tenggat permintaan informasi"),
    "return": gettext_lazy("Kembalikan: bukan kewenangan"),
}


def _expected_opd_action(d, allowed):
    """What the disposition waits for from the liaison (open by default): the first follow-up
    while it waits, finishing once followed up."""
    if d.status == DispositionStatus.DITINDAKLANJUTI and "finish" in allowed:
        return "finish"
    return "followup" if "followup" in allowed else None


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def disposition(request, pk):
    """/opd/disposisi/<id>/: one disposition with its report, timeline and the liaison's actions
    (follow-up with files, question, reply, sub-disposition, return, extension, finish). Heads read."""
    user = request.user
    d = _opd_disposition(user, pk)
    c = d.complaint
    post = _PostedAction(
        request,
        OPD_ACTIONS,
        lambda action: _opd_forms(d, request.POST, request.FILES, action),
        lambda action, form: _do_opd_action(c, d, user, action, form),
        titles=OPD_TITLES,
    )
    if post.done:
        messages.success(request, post.done)
        return redirect("opd:disposition", pk=d.pk)
    status, error, action, forms, show_identity = post.status, post.error, post.action, post.forms, post.show_identity
    if post.tried:
        d = _opd_disposition(user, pk)
        c = d.complaint
    countdown = selectors.Countdowns()
    others = list(c.dispositions.select_related("agency", "parent__agency").order_by("created_at", "pk"))
    for other in others:
        other.countdown = countdown(other.due_at) if other.is_active else None
    identity, identity_button = _identity(c, user, show_identity)
    allowed = _opd_actions(c, d, user)
    failed = action if status >= 400 else None
    context = {
        "d": d,
        "c": c,
        "countdown": countdown(d.due_at) if d.is_active else None,
        "settlement": countdown(d.settlement_due_at) if d.is_active else None,
        "dispositions": others,
        "attachments": list(privacy.attachments_for(c, user)),
        "timeline": list(privacy.timeline_for(c, user)),
        "identity": identity,
        "identity_button": identity_button,
        "allowed": allowed,
        "forms": forms or _opd_forms(d),
        "error": error,
        "failed_action": failed,
        "failed_form": failed if failed in allowed and failed in OPD_TITLES else None,
        "open_action": _open_action(failed, _expected_opd_action(d, allowed), allowed, OPD_TITLES),
        "titles": OPD_TITLES,
    }
    return _render(request, "staff/disposition.html", context, status=status)


def _handlers(d):
    """[(name, [what they did])] from the prefetched handling events, in order of first action."""
    people = {}
    for e in d.handling:
        if e.actor_id is None:
            continue
        name = e.actor.full_name or e.actor.email
        labels = people.setdefault(name, [])
        label = e.get_type_display()
        if label not in labels:
            labels.append(label)
    return list(people.items())


@login_required
@never_cache
@require_GET
def head(request):
    """/opd/pimpinan/: the head's view of their OPD and its units: every disposition and who
    handled it, what is overdue now, and this month's on-time rate."""
    user = request.user
    agencies = selectors.agencies_for(user, Role.HEAD)
    agency = _pick_agency(request, agencies)
    status = _inbox_status(request, selectors.InboxStatus.EVERYTHING)
    overdue = request.GET.get("overdue") == "1"
    # The headings' totals count the same dispositions as the list: the list's length is one of them.
    counts = selectors.status_counts(selectors.agency_dispositions(user, agency, Role.LIAISON, Role.HEAD))
    page = _paginate(
        request,
        selectors.live_first(selectors.head_dispositions(user, agency, status, overdue), status, overdue),
        count=selectors.listed_count(counts, status, overdue),
    )
    rows = _with_countdowns(list(page.object_list))
    for d in rows:
        d.handlers = _handlers(d)
    overdue_now = _with_countdowns(
        list(selectors.inbox(user, agency, selectors.InboxStatus.ACTIVE, overdue_only=True)[:10])
    )
    start, _end = calendar.month_bounds(calendar.month_of(timezone.now()))
    context = {
        **_agency_list(request, agencies, agency, status, overdue, counts, page),
        "rate": selectors.on_time_rate(user, agency),
        "month": start,
        "overdue_now": overdue_now,
        "rows": rows,
        "inbox_url": reverse("opd:inbox"),
        "dashboard": panels.head_panel(user, agency),
    }
    return _render(request, "staff/head.html", context)
