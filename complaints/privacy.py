"""The one privacy rule (docs/product.md §3, docs/architecture.md, rule 1).

- `Complaint.objects.visible_to(user)` (built from `visible_filter`) is the only way a list of
  reports reaches anyone; `get_complaint_or_404(user, tracking_id)` the only way one report does.
- `reporter_visible_to(complaint, user)` decides how much of the reporter the caller may see;
  `reporter_identity(...)` returns it and writes the `IdentityAccess` row when the view is logged.
- `can(user, action, complaint)` is the permission vocabulary: may this user do `action` on
  `complaint`? On a report it reads the transition table in `workflow` (who may take each action).

A staff role never works on a report that names the staff member's own organisation (the same
top-level agency) as terlapor: for that report the role is ignored, and the person sees what the
public sees.
"""

from dataclasses import dataclass
from enum import IntEnum

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, Func, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from agencies.models import Agency, AgencyKind
from lapor.errors import NOT_FOUND_MESSAGE  # noqa: F401  (privacy.NOT_FOUND_MESSAGE: the one 404 text)

from .models import (
    ACTIVE_DISPOSITION,
    ArchiveReason,
    Audience,
    Complaint,
    Disposition,
    Event,
    IdentityAccess,
    Privacy,
    Status,
)

GLOBAL_READ_ROLES = (Role.OPERATOR, Role.AUDITOR, Role.SUPERADMIN)
OPD_ROLES = (Role.LIAISON, Role.HEAD)
AUDIT_ROLES = (Role.AUDITOR, Role.SUPERADMIN)
WORKLOAD_ROLES = (Role.OPERATOR, Role.AUDITOR, Role.SUPERADMIN)


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


# Lists ---------------------------------------------------------------------------------------
def _verified():
    return Q(verified_at__isnull=False)


def _archived_invalid():
    return Q(status=Status.ARSIP, archive_reason=ArchiveReason.INVALID)


def public_filter():
    """A report is public once an operator verified it, unless it is rahasia or was archived as
    invalid: before that the public sees it exactly like a rahasia report."""
    return _verified() & ~Q(privacy=Privacy.RAHASIA) & ~_archived_invalid()


def is_public(complaint):
    """`public_filter` read off one report already in memory (no query): the same three conditions,
    and tests/complaints/test_privacy_public_row.py holds the two equal on every combination."""
    return (
        complaint.verified_at is not None
        and complaint.privacy != Privacy.RAHASIA
        and not (complaint.status == Status.ARSIP and complaint.archive_reason == ArchiveReason.INVALID)
    )


def published_filter():
    """What public aggregates count: every report that was published, rahasia included — rahasia
    reports count in per-OPD figures so an agency cannot hide its failures there (docs/product.md §3),
    but never in a breakdown by area (`for_area_breakdown`)."""
    return _verified() & ~_archived_invalid()


def for_area_breakdown(qs):
    """`qs` as a breakdown by area may count it: never a rahasia report (docs/product.md §3), on the
    public page and the staff dashboards alike."""
    return qs.exclude(_not_by_area())


def _not_by_area():
    return Q(privacy=Privacy.RAHASIA)


def _not_accused(agency, via=""):
    """Reports that do not name `agency`'s organisation as terlapor (`via`: the path to the report
    from the rows filtered, e.g. "complaint__" for dispositions). A role without an agency (a
    superadmin, an observer) conflicts with nothing: every report. Not an empty Q(), which `|`
    would drop."""
    if agency is None:
        return Q(pk__isnull=False)
    return Q(**{f"{via}terlapor_agency__isnull": True}) | ~Q(
        **{f"{via}terlapor_agency__root_id": _organisation(agency)}
    )


def _report_not_accused(agency):
    """`_not_accused(agency, via="complaint__")` for `Disposition` rows, spelled as an anti-join:
    PostgreSQL finds the few reports that accuse the organisation through the terlapor index and
    hashes them, instead of looking up the report of every disposition of a large OPD (119,112 of
    them, 0.7 s against 0.2 s on the benchmark's data, docs/benchmarks.md). The same rows:
    tests/complaints/test_privacy_dispositions.py holds the two spellings equal."""
    if agency is None:
        return Q(pk__isnull=False)
    organisation = Agency.objects.filter(root_id=_organisation(agency)).values("pk")
    return ~Exists(Complaint.objects.filter(pk=OuterRef("complaint_id"), terlapor_agency_id__in=organisation))


def _organisation(agency):
    """The top-level agency that stands for `agency` in the conflict rule."""
    return agency.root_id or agency.pk


def _subtree_ids(user):
    """{membership agency id: ids of it and the units under it} for the user's OPD roles."""
    cache = getattr(user, "_subtree_cache", None)
    if cache is None:
        cache = {}
        for m in user.memberships:
            if m.role in OPD_ROLES and m.agency_id and m.agency_id not in cache:
                cache[m.agency_id] = m.agency.descendants_and_self_ids()
        user._subtree_cache = cache
    return cache


def visible_filter(user):
    q = public_filter()
    if not _authenticated(user):
        return q
    q |= Q(reporter_id=user.pk)
    for m in user.memberships:
        branch = _staff_branch(user, m, m.role in GLOBAL_READ_ROLES or _heads_the_operators(m))
        if branch is not None:
            q |= branch
    return q


def _staff_branch(user, m, reads_all):
    """What membership `m` shows `user` as staff, never the reports that accuse their own
    organisation: every report when it `reads_all`, else for an OPD role the reports disposed to
    its agency or a unit below it; None for neither."""
    if reads_all:
        return _not_accused(m.agency)
    if m.role in OPD_ROLES and m.agency_id:
        disposed = Exists(
            Disposition.objects.filter(complaint_id=OuterRef("pk"), agency_id__in=_subtree_ids(user)[m.agency_id])
        )
        return disposed & _not_accused(m.agency)
    return None


def scope_key(user):
    """A string that changes whenever `visible_filter(user)` may: the user (their own reports) and
    each membership's role and agency. Figures computed over a user's scope are cached under it."""
    if not _authenticated(user):
        return "public"
    roles = ",".join(sorted(f"{m.role}@{m.agency_id}" for m in user.memberships))
    return f"{user.pk}|{roles}"


def _heads_the_operators(m):
    """The head of Diskominfo answers for the operators' clocks (docs/product.md §2, §5: they are told
    when verification or re-disposition is overdue or escalated), so they read every report the
    operators read, except one accusing Diskominfo. Read only, and the reporter only as the public
    sees them (`roles_on` marks the role as not live). Their work lists (`acting_filter`) stay the
    dispositions to Diskominfo itself."""
    return m.role == Role.HEAD and m.agency_id is not None and m.agency.kind == AgencyKind.DISKOMINFO


def get_complaint_or_404(user, tracking_id, queryset=None):
    """The one way a single report reaches anyone: missing and forbidden are the same 404.

    The row is found by its unique tracking id, and `visible_filter(user)` is tested on it as one
    condition (`(...) IS TRUE`, the same rows as `visible_to(user)`): written as a plain OR,
    PostgreSQL spent 10–20 ms *planning* index paths for its branches against the table's partial
    indexes, for a query that reads one row by a unique index (docs/benchmarks.md). No order
    either: a unique key needs none, and ordering by filing time made the planner weigh every
    index on it."""
    qs = queryset if queryset is not None else Complaint.objects.all()
    rule = Func(
        ExpressionWrapper(visible_filter(user), output_field=BooleanField()),
        template="(%(expressions)s) IS TRUE",
        output_field=BooleanField(),
    )
    rows = qs.filter(rule, tracking_id=str(tracking_id).upper()).order_by()[:1]
    complaint = next(iter(rows), None)
    if complaint is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return complaint


def is_visible(complaint, user):
    return Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()


# Roles on one report ---------------------------------------------------------------------------
def _conflicted(complaint, agency):
    if agency is None or complaint.terlapor_agency_id is None:
        return False
    return complaint.terlapor_agency.root_id == (agency.root_id or agency.pk)


def in_accused_organisation(complaint, memberships):
    """Whether any of `memberships` (one person's, every role) is in the organisation `complaint`
    names as terlapor (the same top-level agency, units included). Such a person is told nothing
    about the report as staff, whatever role a notice would reach them through: a notice names the
    report, and they may hold another role that would otherwise carry it to them."""
    return any(_conflicted(complaint, m.agency) for m in memberships if m.agency_id)


def roles_on(complaint, user):
    """The memberships through which `user` acts on `complaint` (conflicts removed). Liaison/head
    memberships count only where the report was disposed to the agency or a unit under it;
    `active` tells whether such a disposition is still live (a returned one is history)."""
    if not _authenticated(user):
        return []
    result = []
    dispositions = None
    for m in user.memberships:
        if _conflicted(complaint, m.agency):
            continue
        if m.role in GLOBAL_READ_ROLES:
            result.append((m, True))
        elif _heads_the_operators(m):
            result.append((m, False))  # no live disposition of theirs: no identity beyond the public's
        elif m.role in OPD_ROLES and m.agency_id:
            if dispositions is None:
                # Uses the prefetched dispositions when a list selector prefetched them.
                dispositions = [(d.agency_id, d.status) for d in complaint.dispositions.all()]
            subtree = set(_subtree_ids(user)[m.agency_id])
            mine = [status for agency_id, status in dispositions if agency_id in subtree]
            if mine:
                result.append((m, any(s in ACTIVE_DISPOSITION for s in mine)))
    return result


def has_role_on(complaint, user, *roles, active=True):
    return any(m.role in roles and (live or not active) for m, live in roles_on(complaint, user))


def liaison_agency_ids(complaint, user):
    """Agency ids (with units under them) whose dispositions of `complaint` the user may act on."""
    ids = set()
    for m, _live in roles_on(complaint, user):
        if m.role == Role.LIAISON:
            ids.update(_subtree_ids(user)[m.agency_id])
    return ids


def is_reporter(complaint, user):
    return _authenticated(user) and complaint.reporter_id == user.pk


# Identity ------------------------------------------------------------------------------------
class Level(IntEnum):
    NONE = 0  # nothing about the reporter
    NAME = 1  # the display name
    CONTACT = 2  # name, full name, email and phone
    FULL = 3  # everything, including NIK


@dataclass(frozen=True)
class IdentityView:
    level: Level
    logged: bool = False  # showing it writes an IdentityAccess row

    def __bool__(self):
        return self.level > Level.NONE


HIDDEN = IdentityView(Level.NONE)


def reporter_visible_to(complaint, user):
    """How much of the reporter `user` may see on `complaint` (docs/product.md §3 table):

    public / other OPD staff: the display name of an umum report, nothing otherwise; the reporter:
    everything; operator: everything, logged for anonim/rahasia; liaison/head of a disposed OPD:
    name and contact for umum, nothing otherwise; a returned OPD and auditors: the display name of
    an umum report (an auditor reaches more only through a logged reveal).
    """
    if complaint.reporter_id is None and not complaint.walkin_name:
        return HIDDEN
    if is_reporter(complaint, user):
        return IdentityView(Level.FULL)
    umum = complaint.privacy == Privacy.UMUM
    best = IdentityView(Level.NAME) if umum and complaint.verified_at else HIDDEN
    for m, live in roles_on(complaint, user):
        if m.role == Role.OPERATOR:
            view = IdentityView(Level.FULL, logged=not umum)
        elif m.role in OPD_ROLES and live and umum:
            view = IdentityView(Level.CONTACT)
        elif umum:
            view = IdentityView(Level.NAME)
        else:
            view = HIDDEN
        if view.level > best.level or (view.level == best.level and best.logged and not view.logged):
            best = view
    return best


def _membership_for_log(complaint, user, *roles):
    for m, _live in roles_on(complaint, user):
        if not roles or m.role in roles:
            return m
    return None


def log_identity_access(complaint, user, kind, reason="", roles=()):
    from .audit import client_fields

    m = _membership_for_log(complaint, user, *roles)
    return IdentityAccess.objects.create(
        complaint=complaint,
        user=user,
        role=m.role if m else "",
        agency=m.agency if m else None,
        kind=kind,
        reason=reason,
        **client_fields(user),
    )


# What the public sees of an account: the name on the reports it filed (`_display_name`).
PUBLIC_ACCOUNT_FIELDS = frozenset({"display_name", "full_name"})


def _display_name(complaint):
    """The one rule for the reporter's public name (docs/privacy.md, "The reporter's name"): the
    account's display name, else the first word of its full name, else "Warga" (an erased
    account); a report without an account (a walk-in, or one waiting for its owner to confirm):
    the name the operator wrote down, else "Pelapor"."""
    reporter = complaint.reporter
    if reporter is None:
        return complaint.walkin_name or str(_("Pelapor"))
    if reporter.display_name:
        return reporter.display_name
    words = (reporter.full_name or "").split()
    return words[0] if words else str(_("Warga"))


def reporter_name(complaint, viewer, *, log=True):
    """The reporter's public name as `viewer` may see it (the §3 table), or None when it is hidden
    from them. A look the table logs writes its `IdentityAccess` row; with `log=False` (lists,
    timelines) such a look shows nothing instead."""
    view = reporter_visible_to(complaint, viewer)
    if not view:
        return None
    if view.logged:
        if not log:
            return None
        log_identity_access(complaint, viewer, IdentityAccess.Kind.VIEW)
    return _display_name(complaint)


def identity_fields(complaint, level):
    reporter = complaint.reporter
    if level == Level.NONE:
        return None
    if reporter is None:  # a walk-in without an account
        data = {"display_name": _display_name(complaint)}
        if level >= Level.CONTACT:
            data.update(full_name=complaint.walkin_name, contact=complaint.walkin_contact)
        return data
    data = {"display_name": _display_name(complaint)}
    if level >= Level.CONTACT:
        data.update(full_name=reporter.full_name, email=reporter.email, phone=reporter.phone or "")
    if level >= Level.FULL:
        data["nik"] = reporter.nik
    return data


def reporter_identity(complaint, user):
    """The reporter as `user` may see them, or None; writes the IdentityAccess row when the
    §3 table says the view is logged."""
    view = reporter_visible_to(complaint, user)
    if view.logged:
        log_identity_access(complaint, user, IdentityAccess.Kind.VIEW)
    return identity_fields(complaint, view.level)


def public_display_name(complaint, user):
    """`reporter_name` as the pages and the API's `reporter` field show it: `{"display_name"}`
    or None."""
    name = reporter_name(complaint, user)
    return None if name is None else {"display_name": name}


# Permissions ---------------------------------------------------------------------------------
def can(user, action, complaint=None):
    """May `user` act in this capacity? Without a report: the site-wide staff permissions. On a
    report: whether `user` holds a role the transition table (`workflow.RULES`) names for
    `action`, whatever the report's status — `workflow.available_actions` answers for now."""
    if not _authenticated(user):
        return False
    if complaint is None:
        if action == "manual_entry":
            return user.has_role(Role.OPERATOR)
        if action == "audit_all":  # every agency's dashboard figures, drill-down and reveal links
            return any(m.role in AUDIT_ROLES for m in user.memberships)
        if action == "workload":  # the operators' workload view
            return any(m.role in WORKLOAD_ROLES for m in user.memberships)
        if action == "decide_sanction":
            return any(
                m.role == Role.AUDITOR and m.agency and m.agency.kind in ("inspektorat", "bkd")
                for m in user.memberships
            )
        return False
    from .workflow import Action, may

    return action in Action.values and may(complaint, user, action)


def may_decide_terlapor(complaint, user):
    """The second person who decides a terlapor change: the head of Diskominfo or an auditor of
    Inspektorat/BKD (observers only read), neither of the accused organisation (`roles_on` drops
    those roles). The workflow also refuses the operator who asked."""
    for m, _live in roles_on(complaint, user):
        if _heads_the_operators(m):
            return True
        if m.role == Role.AUDITOR and m.agency_id and m.agency.kind in (AgencyKind.INSPEKTORAT, AgencyKind.BKD):
            return True
    return False


def may_decide_terlapor_anywhere(user):
    """Whether `user` holds a role that decides terlapor changes (their list page)."""
    return _authenticated(user) and any(
        _heads_the_operators(m)
        or (m.role == Role.AUDITOR and m.agency_id and m.agency.kind in (AgencyKind.INSPEKTORAT, AgencyKind.BKD))
        for m in user.memberships
    )


def terlapor_deciders_filter(user):
    """Reports whose pending terlapor change `user` may decide (their list page): the reports
    they see through a deciding role, conflicts removed."""
    q = Q(pk__in=[])
    if not _authenticated(user):
        return q
    for m in user.memberships:
        if _heads_the_operators(m) or (
            m.role == Role.AUDITOR and m.agency_id and m.agency.kind in (AgencyKind.INSPEKTORAT, AgencyKind.BKD)
        ):
            q |= _not_accused(m.agency)
    return q


# Timeline and files --------------------------------------------------------------------------
def event_audiences(complaint, user):
    """Which timeline audiences `user` reads on a report they can see: the public entries; the
    reporter's entries for the reporter; everything for staff with a role on the report."""
    if roles_on(complaint, user):
        return {Audience.PUBLIC, Audience.REPORTER, Audience.STAFF}
    if is_reporter(complaint, user):
        return {Audience.PUBLIC, Audience.REPORTER}
    return {Audience.PUBLIC}


def timeline_for(complaint, user):
    """The entries of `complaint`'s timeline meant for `user` (who must be able to see it)."""
    return (
        Event.objects.filter(complaint=complaint, audience__in=event_audiences(complaint, user))
        .select_related("actor_agency", "disposition__agency")
        .order_by("created_at", "pk")
    )


def public_text(complaint, user):
    """The body a caller reads: the operator's public summary for everyone without a role on the
    report (the reporter and staff see the original)."""
    if complaint.public_summary and not (is_reporter(complaint, user) or roles_on(complaint, user)):
        return complaint.public_summary
    return complaint.body


def coordinates_for(complaint, user):
    """Exact coordinates for the reporter and staff; ~100 m for umum, none (the kelurahan only)
    for anonim on public surfaces."""
    if complaint.lat is None or complaint.lng is None:
        return None
    if is_reporter(complaint, user) or roles_on(complaint, user):
        return (complaint.lat, complaint.lng)
    if complaint.privacy == Privacy.UMUM:
        return (round(complaint.lat, 3), round(complaint.lng, 3))
    return None


def location_text_for(complaint, user):
    """The free-text location as `user` may read it: the reporter and staff with a role always;
    the public only for an umum report — for anonim it often holds a street address near the
    reporter's home, so public surfaces show only the kecamatan/kelurahan (and any public summary
    the operator wrote)."""
    if complaint.privacy == Privacy.UMUM or is_reporter(complaint, user) or roles_on(complaint, user):
        return complaint.location_text
    return ""


def opaque_id(kind, pk):
    """The id public surfaces show for a row (a timeline entry): a keyed hash of the primary key,
    stable, but neither a sequence nor reversible, so its gaps tell nothing of hidden reports."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("lapor.public-id", f"{kind}:{pk}").hexdigest()[:20]


def attachments_for(complaint, user):
    """Attachments `user` may open: hidden ones and those on staff-only entries only for the
    reporter (their own files) and staff with a role on the report."""
    qs = complaint.attachments.select_related("event").order_by("created_at", "pk")
    if roles_on(complaint, user):
        return qs
    audiences = event_audiences(complaint, user)
    visible = Q(event__isnull=True) | Q(event__audience__in=audiences)
    if is_reporter(complaint, user):
        return qs.filter(visible)
    return qs.filter(visible, is_public=True)


def get_attachment_or_404(user, key):
    from .models import Attachment

    a = Attachment.objects.select_related("complaint").filter(key=key).first()
    if (
        a is None
        or not is_visible(a.complaint, user)
        or not attachments_for(a.complaint, user).filter(pk=a.pk).exists()
    ):
        raise Http404(NOT_FOUND_MESSAGE)
    return a


# Staff work lists ------------------------------------------------------------------------------
def acting_filter(user, *roles):
    """Reports on which `user` acts in one of `roles` (the staff queues and inboxes): the role
    branches of `visible_filter` without the public and the reporter's, conflicts removed. A
    report the user sees only as the public (it names their own organisation as terlapor) is not
    in their work list. Matches nothing for a user without such a role."""
    q = Q(pk__in=[])
    if not _authenticated(user):
        return q
    for m in user.memberships:
        branch = _staff_branch(user, m, m.role in GLOBAL_READ_ROLES) if m.role in roles else None
        if branch is not None:
            q |= branch
    return q


def acting_reports(user, *roles):
    """The reports `user` works on in one of `roles` (the operator's queue and review pages): the
    same rows as `Complaint.objects.visible_to(user).filter(acting_filter(user, *roles))` — the
    acting branches are part of `visible_filter`, so the visibility adds nothing — without the
    public and the reporter's branches, whose OR PostgreSQL spent 10–15 ms planning on every
    query of a page against the table's partial indexes (docs/benchmarks.md).
    tests/staff/test_acting_dispositions.py compares the two for every role and conflict."""
    return Complaint.objects.filter(acting_filter(user, *roles))


# Dashboard rollups (complaints/dashboards/rollups.py) ------------------------------------------------
def rollup_columns():
    """What a dashboard rollup keeps of a report for this rule, as annotations on `Complaint`:
    `published` (public aggregates count it: `published_filter`), `rahasia` (a breakdown by area
    never counts it: `for_area_breakdown`) and `accused_id` (the organisation it names as
    terlapor, for the conflict rule)."""
    return {
        "published": ExpressionWrapper(published_filter(), output_field=BooleanField()),
        "rahasia": ExpressionWrapper(_not_by_area(), output_field=BooleanField()),
        "accused_id": F("terlapor_agency__root_id"),
    }


def public_rollup_scope():
    """The public statistics' reports (`published_filter`) in the rollups: (member, condition)."""
    return 0, Q(published=True)


def rollup_scope(user):
    """The reports behind `user`'s dashboard figures (`visible_to(user)`, and for a head only the
    reports disposed to their agency: `acting_filter(user, HEAD)`) as a condition on the rollups'
    columns: (member, condition), member 0 for every report or the top-level agency whose
    reports they are. None where the columns cannot say it exactly — a head of a unit, a head of
    two agencies, an agency-wide role held with an OPD role, and a viewer who filed a report the
    public does not see (the rollups do not know whose a report is): their figures are computed
    from the reports."""
    if not _authenticated(user):
        return None
    memberships = list(user.memberships)
    if can(user, "audit_all"):
        if any(m.role not in GLOBAL_READ_ROLES for m in memberships):
            return None
        if Complaint.objects.filter(reporter_id=user.pk).exclude(public_filter()).exists():
            return None
        # visible_filter: public, the user's own (none beyond the public ones, checked above),
        # and for each agency-wide role what does not accuse its organisation.
        q = Q(published=True, rahasia=False)
        for m in memberships:
            q |= _not_accused_in_rollup(m.agency)
        return 0, q
    heads = [m for m in memberships if m.role == Role.HEAD and m.agency_id]
    if len(heads) != 1 or heads[0].agency.parent_id is not None:
        return None
    agency = heads[0].agency
    return agency.pk, _not_accused_in_rollup(agency)


def _not_accused_in_rollup(agency):
    """`_not_accused` on the rollups' `accused_id` column."""
    if agency is None:
        return Q(pk__isnull=False)
    return Q(accused_id__isnull=True) | ~Q(accused_id=_organisation(agency))


def acting_dispositions_filter(user, agency_ids, *roles):
    """A condition on `Disposition` rows of the agencies `agency_ids` (an OPD and its units):
    those whose report `user` works on in one of `roles`. The same rows as
    `complaint__in=Complaint.objects.visible_to(user).filter(acting_filter(user, *roles))` — the
    acting branches are part of `visible_filter`, so the visibility adds nothing — spelled so the
    database can join instead of testing every report of a large OPD against both rules: a
    disposition to the membership's own subtree is itself the "disposed to" proof, leaving only
    the conflict rule (the report must not name the member's organisation as terlapor)."""
    q = Q(pk__in=[])
    if not _authenticated(user):
        return q
    wanted = set(agency_ids)
    for m in user.memberships:
        if m.role not in roles:
            continue
        if m.role in GLOBAL_READ_ROLES:
            q |= _report_not_accused(m.agency)
        elif m.role in OPD_ROLES and m.agency_id:
            subtree = _subtree_ids(user)[m.agency_id]
            if wanted <= set(subtree):
                disposed = Q(pk__isnull=False)
            else:
                disposed = Q(agency_id__in=subtree) | Exists(
                    Disposition.objects.filter(complaint_id=OuterRef("complaint_id"), agency_id__in=subtree)
                )
            q |= disposed & _report_not_accused(m.agency)
    return q


# SMS -------------------------------------------------------------------------------------------
def sms_filter(user):
    """What an SMS sender reaches by tracking id (CEK, BALAS): their own reports and what the public
    sees. A sender is known only by a phone number, which a gateway cannot prove, so no staff role
    ever acts through SMS. `user` is the account keyed by the number, or None."""
    q = public_filter()
    if _authenticated(user):
        q |= Q(reporter_id=user.pk)
    return q


def get_for_sms(user, tracking_id):
    """The report `tracking_id` as an SMS sender may see it, or None (missing and not visible alike)."""
    return Complaint.objects.filter(sms_filter(user), tracking_id=str(tracking_id).upper()).first()


def public_attachments_q():
    """Attachments anyone may open on a report they can see: the public branch of
    `attachments_for`, as a filter, so a list (Open311) can prefetch them in one query."""
    return (Q(event__isnull=True) | Q(event__audience=Audience.PUBLIC)) & Q(is_public=True)


def identity_access_entry(a, iso):
    """One line of a report's identity log as its reporter reads it (the data export and the API),
    its time written by `iso`: who saw the identity, in which role and agency, and why."""
    return {
        "created_at": iso(a.created_at),
        "kind": a.kind,
        "staff": a.user.full_name or None,
        "role": a.role,
        "agency": a.agency.name if a.agency_id else None,
        "reason": a.reason,
    }
