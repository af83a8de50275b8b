"""The one door for changes (docs/product.md §4, docs/architecture.md, rule 2).

Every status change of a report or a disposition happens here, each in one transaction: lock the
report (`select_for_update`), re-check the caller's right and the state inside the lock, change,
append a timeline `Event`, and queue notifications for after the commit. Views, the API, the SMS
gateway and management commands call these functions; nothing else assigns `status`.

Errors: `NotFound` (the caller may not see the report: same as missing), `Forbidden` (sees it but
may not act), `TransitionError` (not allowed from the current status → 409), `Invalid` (bad input).
"""

import uuid
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Role
from accounts.verification import is_verified_reporter
from agencies import calendar, reference
from agencies.areas import locate
from agencies.models import Agency, AgencyKind, SlaPolicy
from agencies.routing import route_for
from complaints import privacy
from complaints.common import publication
from complaints.deadlines.clocks import (
    extend_information,
    hand_over,
    refresh_monitor_due,
    running,
    start_clock,
    stop_clocks,
    stop_followup_clocks,
)
from complaints.outbox import notify
from complaints.privacy import can as privacy_allows

from .audit import client_fields
from .errors import Forbidden, Invalid, NotFound, TransitionError
from .models import (
    ACTIVE_DISPOSITION,
    OPEN_STATUSES,
    PRIVACY_RANK,
    ArchiveReason,
    Attachment,
    Audience,
    Channel,
    ClockKind,
    Complaint,
    Disposition,
    DispositionStatus,
    Event,
    EventType,
    IdentityAccess,
    Institution,
    Kind,
    Privacy,
    Status,
    Support,
    TerlaporChange,
    parse_pk,
)

DISPOSABLE_KINDS = {
    AgencyKind.OPD,
    AgencyKind.UNIT,
    AgencyKind.PPID,
    AgencyKind.INSPEKTORAT,
    AgencyKind.BKD,
    AgencyKind.DISKOMINFO,
}
OVERSIGHT_AGENCY_KINDS = {AgencyKind.INSPEKTORAT, AgencyKind.BKD}
OPERATOR_ARCHIVE_REASONS = {
    ArchiveReason.INVALID,
    ArchiveReason.OUT_OF_SCOPE,
    ArchiveReason.DUPLICATE,
    ArchiveReason.NO_COMPLETION,
}


# Allowed actions -------------------------------------------------------------------------------
# One table decides which action a caller may take on a report in its current state
# (docs/product.md §2 roles, §4 statuses; docs/architecture.md, "Allowed actions"). Pages, the
# API and SMS ask `available_actions` / `available_disposition_actions` which buttons and
# endpoints to offer; every transition asks `require` again inside the row lock.
class Action(models.TextChoices):
    """Action names: the staff and citizen pages post them, templates test them, the table keys
    them. The API's endpoint for each is `API_ENDPOINTS` (the §8 names)."""

    # Operator
    VERIFY = "verify"
    DISPOSE = "dispose"
    REFUSE_RETURN = "refuse_return"  # `dispose` again to the OPD that returned the report
    POSTPONE = "postpone"  # tunda
    ARCHIVE = "archive"
    MERGE = "merge"
    FORWARD = "forward"
    EDIT_SUMMARY = "edit_summary"
    RECLASSIFY = "reclassify"
    FLAG_OVERSIGHT = "flag_oversight"
    HIDE_ATTACHMENT = "hide_attachment"
    # Reporter and citizens
    COMPLETE = "complete"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    RATE = "rate"
    REOPEN = "reopen"
    SUPPORT = "support"
    PRIVACY = "privacy"  # the reporter raises or lowers; an operator only raises
    # Reporter and liaison
    REPLY = "reply"
    ATTACH = "attach"
    # Liaison, on one disposition of their OPD
    FOLLOWUP = "followup"
    QUESTION = "question"
    RETURN = "return"  # bukan kewenangan
    SUBDISPOSE = "subdispose"
    FINISH = "finish"
    EXTEND = "extend"
    # Identity and oversight
    REVEAL = "reveal"
    DECIDE_TERLAPOR = "decide_terlapor"


# The REST endpoint (`POST /api/v1/complaints/{tracking_id}/{endpoint}/`) of each action whose
# endpoint is not named after it (docs/product.md §8 names stay as they are).
API_ENDPOINTS = {
    Action.REFUSE_RETURN: "dispose",
    Action.EDIT_SUMMARY: "summary",
    Action.HIDE_ATTACHMENT: "attachment-visibility",
    Action.ATTACH: "attachments",
    Action.DECIDE_TERLAPOR: "terlapor-decision",
}


class Who(models.TextChoices):
    """The capacities in which someone acts on one report (docs/product.md §2)."""

    REPORTER = "reporter"
    CITIZEN = "citizen"  # a verified account other than the reporter, with no role on the report
    OPERATOR = "operator"
    LIAISON = "liaison"  # of an OPD (or a unit under it) holding a live disposition
    AUDITOR = "auditor"  # auditors and the superadmin
    DECIDER = "decider"  # head of Diskominfo or an Inspektorat/BKD auditor: terlapor changes


def capacities(report, user):
    """The capacities `user` holds on `report` (roles of the accused organisation never count)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    found = set()
    on_report = privacy.roles_on(report, user)
    if privacy.is_reporter(report, user):
        found.add(Who.REPORTER)
    elif is_verified_reporter(user) and not on_report:
        # "I have this problem too" is a citizen's voice: staff who handle or audit this report
        # read it at work and are not offered it (a count officials could raise would not be one).
        found.add(Who.CITIZEN)
    for m, live in on_report:
        if m.role == Role.OPERATOR:
            found.add(Who.OPERATOR)
        elif m.role == Role.LIAISON and live:
            found.add(Who.LIAISON)
        elif m.role in (Role.AUDITOR, Role.SUPERADMIN):
            found.add(Who.AUDITOR)
    if privacy.may_decide_terlapor(report, user):
        found.add(Who.DECIDER)
    return frozenset(found)


def offers_support(user):
    """Whether report lists show "Saya juga mengalami" to `user` at all, without reading each
    report: a verified account without a region-wide role (operators and auditors hold a role on
    every report, see `capacities`). The action itself is checked row by row by `support`."""
    if user is None or not user.is_authenticated or not is_verified_reporter(user):
        return False
    return not any(m.role in privacy.GLOBAL_READ_ROLES for m in user.memberships)


@dataclass(frozen=True)
class Rule:
    """One row: `who` may take the action while the report is in one of `statuses` and `guard`
    (the state beyond the status) holds; otherwise `refusal` says why not (a 409, or
    `refusal_error`). A row with
    `dispositions` is taken on one disposition of the liaison's OPD, in one of those statuses,
    when `disposition_guard` holds."""

    who: frozenset
    statuses: frozenset
    guard: object = None
    refusal: str = ""
    refusal_error: type = TransitionError
    dispositions: frozenset = frozenset()
    disposition_guard: object = None
    disposition_refusal: str = ""


def _row(who, statuses, **kwargs):
    return Rule(who=frozenset(who), statuses=frozenset(statuses), **kwargs)


def _top(c):
    return [d for d in c.dispositions.all() if d.parent_id is None]


def _every_return_in(c):
    top = _top(c)
    return bool(top) and all(d.status == DispositionStatus.DIKEMBALIKAN for d in top)


def _every_part_done(c):
    top = _top(c)
    return any(d.status == DispositionStatus.SELESAI for d in top) and not any(
        d.status in ACTIVE_DISPOSITION for d in top
    )


def _reopen_window(c):
    return c.reopen_until is None or timezone.now() <= c.reopen_until


# What the reporter is told when these guards do not hold.
_every_part_done.refusal = _lazy("Masih ada instansi yang belum menyelesaikan tindak lanjut.")
_reopen_window.refusal = _lazy("Batas waktu untuk membuka kembali laporan ini sudah lewat.")


ALL_STATUSES = frozenset(Status)
OPEN = frozenset(OPEN_STATUSES)
BEFORE_VERIFICATION = (Status.BELUM_TERVERIFIKASI, Status.TUNDA)
DISPOSED = (Status.BELUM_DITINDAKLANJUTI, Status.PROSES)
ACTIVE = frozenset(ACTIVE_DISPOSITION)
OP, REP, LIA = (Who.OPERATOR,), (Who.REPORTER,), (Who.LIAISON,)

RULES = {
    Action.VERIFY: (_row(OP, [Status.BELUM_TERVERIFIKASI]),),
    Action.POSTPONE: (_row(OP, [Status.BELUM_TERVERIFIKASI]),),
    Action.MERGE: (_row(OP, BEFORE_VERIFICATION),),
    Action.ARCHIVE: (
        _row(OP, BEFORE_VERIFICATION),
        _row(
            OP,
            DISPOSED,
            guard=_every_return_in,
            refusal=_lazy(
                "Laporan yang sudah didisposisikan hanya dapat diarsipkan sebagai di luar kewenangan "
                "setelah semua disposisi dikembalikan."
            ),
        ),
    ),
    Action.FORWARD: (
        _row(OP, [Status.BELUM_TERVERIFIKASI]),
        _row(
            OP,
            DISPOSED,
            guard=_every_return_in,
            refusal=_lazy("Laporan hanya dapat diteruskan setelah semua disposisi dikembalikan."),
        ),
    ),
    Action.DISPOSE: (_row(OP, DISPOSED),),
    Action.REFUSE_RETURN: (
        _row(
            OP,
            DISPOSED,
            guard=lambda c: any(d.return_pending for d in c.dispositions.all()),
            refusal=_lazy("Tidak ada pengembalian yang menunggu keputusan."),
        ),
    ),
    Action.EDIT_SUMMARY: (_row(OP, ALL_STATUSES),),
    Action.RECLASSIFY: (_row(OP, OPEN | {Status.SELESAI}),),
    Action.FLAG_OVERSIGHT: (
        _row(
            OP,
            OPEN | {Status.SELESAI},
            guard=lambda c: not c.oversight,
            refusal=_lazy("Laporan sudah berkadar pengawasan."),
        ),
    ),
    Action.HIDE_ATTACHMENT: (
        _row(
            OP,
            ALL_STATUSES,
            guard=lambda c: c.attachments.exists(),
            refusal=_lazy("Laporan ini tidak memiliki lampiran."),
        ),
    ),
    Action.PRIVACY: (
        _row(REP, OPEN | {Status.SELESAI}),
        _row(
            OP,
            ALL_STATUSES,
            guard=lambda c: c.privacy != Privacy.RAHASIA,  # nothing left to raise to
            refusal=_lazy("Petugas hanya dapat menaikkan tingkat privasi."),
            refusal_error=Forbidden,
        ),
    ),
    Action.COMPLETE: (_row(REP, [Status.TUNDA]),),
    Action.WITHDRAW: (_row(REP, [Status.BELUM_TERVERIFIKASI]),),
    Action.ACCEPT: (_row(REP, [Status.PROSES], guard=_every_part_done, refusal=_every_part_done.refusal),),
    Action.RATE: (
        _row(REP, [Status.SELESAI], guard=lambda c: c.rating is None, refusal=_lazy("Laporan ini sudah dinilai.")),
    ),
    Action.REOPEN: (_row(REP, [Status.SELESAI], guard=_reopen_window, refusal=_reopen_window.refusal),),
    Action.SUPPORT: (
        _row(
            (Who.CITIZEN,),
            DISPOSED,
            guard=privacy.is_public,
            refusal=_lazy("Hanya laporan publik yang masih terbuka dapat didukung."),
        ),
    ),
    Action.REPLY: (_row((Who.REPORTER, Who.LIAISON), DISPOSED),),
    Action.ATTACH: (_row((Who.REPORTER, Who.LIAISON), OPEN),),
    Action.FOLLOWUP: (_row(LIA, DISPOSED, dispositions=ACTIVE),),
    Action.QUESTION: (_row(LIA, DISPOSED, dispositions=ACTIVE),),
    Action.RETURN: (
        _row(
            LIA,
            DISPOSED,
            dispositions=ACTIVE,
            disposition_guard=lambda c, d: d.parent_id is None,
            disposition_refusal=_lazy("Unit mengembalikan laporan kepada OPD induknya, bukan kepada operator."),
        ),
    ),
    Action.SUBDISPOSE: (
        _row(
            LIA,
            DISPOSED,
            dispositions=ACTIVE,
            disposition_guard=lambda c, d: Agency.objects.active().filter(parent=d.agency_id).exists(),
            disposition_refusal=_lazy("Instansi ini tidak memiliki unit di bawahnya."),
        ),
    ),
    Action.FINISH: (_row(LIA, [Status.PROSES], dispositions=[DispositionStatus.DITINDAKLANJUTI]),),
    Action.EXTEND: (
        _row(
            LIA,
            DISPOSED,
            guard=lambda c: c.kind == Kind.INFORMASI,
            refusal=_lazy("Perpanjangan hanya untuk permintaan informasi."),
            dispositions=[DispositionStatus.MENUNGGU],
            disposition_guard=lambda c, d: not d.extended_at,
            disposition_refusal=_lazy("Permintaan informasi hanya dapat diperpanjang satu kali."),
        ),
    ),
    Action.REVEAL: (_row((Who.OPERATOR, Who.AUDITOR), ALL_STATUSES),),
    Action.DECIDE_TERLAPOR: (
        _row(
            (Who.DECIDER,),
            ALL_STATUSES,
            guard=lambda c: c.terlapor_changes.filter(status=TerlaporChange.Status.PENDING).exists(),
            refusal=_lazy("Tidak ada permintaan perubahan terlapor yang menunggu keputusan."),
        ),
    ),
}
DISPOSITION_ACTIONS = frozenset(a for a, rows in RULES.items() if any(r.dispositions for r in rows))


def may(report, user, action, *, caps=None):
    """Whether `user` holds a capacity the table names for `action` on `report`, whatever its
    status (what `privacy.can` reads for role-only checks)."""
    caps = capacities(report, user) if caps is None else caps
    return any(r.who & caps for r in RULES[action])


def state_allows(report, action):
    """Whether `report`'s state allows `action` to someone in the right capacity (a page that
    tells a caller what they could do after, say, verifying their email)."""
    return any(report.status in r.statuses and (r.guard is None or r.guard(report)) for r in RULES[action])


def _status_refusal(report):
    return _("Tindakan ini tidak dapat dilakukan pada laporan berstatus “%(status)s”.") % {
        "status": report.get_status_display()
    }


def _check(report, user, action, disposition=None, caps=None):
    """None when allowed, else the error `require` raises."""
    caps = capacities(report, user) if caps is None else caps
    rows = [r for r in RULES[action] if r.who & caps]
    if not rows:
        return Forbidden()
    rows = [r for r in rows if report.status in r.statuses]
    if not rows:
        return TransitionError(_status_refusal(report))
    passing = [r for r in rows if r.guard is None or r.guard(report)]
    if not passing:
        return rows[0].refusal_error(str(rows[0].refusal) or _status_refusal(report))
    if disposition is None or not any(r.dispositions for r in passing):
        return None
    if disposition.agency_id not in privacy.liaison_agency_ids(report, user):
        return Forbidden(_("Disposisi ini bukan milik instansi Anda."))
    rows = [r for r in passing if disposition.status in r.dispositions]
    if not rows:
        return TransitionError(
            _("Disposisi berstatus “%(status)s”: tindakan ini tidak dapat dilakukan.")
            % {"status": disposition.get_status_display()}
        )
    if not any(r.disposition_guard is None or r.disposition_guard(report, disposition) for r in rows):
        return TransitionError(str(rows[0].disposition_refusal))
    return None


def require(report, user, action, disposition=None):
    """Refuse `action` unless the table allows it to `user` on `report` (and on `disposition`, for
    an action on one disposition): `Forbidden` without the role, `TransitionError` when the state
    does not allow it. Transitions call it inside the row lock."""
    error = _check(report, user, Action(action), disposition)
    if error is not None:
        raise error


def available_actions(report, user, who=None):
    """The report-level actions `user` may take on `report` now (those on one disposition are
    `available_disposition_actions`). `who` limits the answer to some capacities (a page that
    shows only the reporter's forms, say)."""
    caps = capacities(report, user)
    if who is not None:
        caps = caps & frozenset(who)
    return {
        a
        for a in RULES
        if a not in DISPOSITION_ACTIONS
        and any(r.who & caps for r in RULES[a])
        and _check(report, user, a, caps=caps) is None
    }


def available_disposition_actions(report, disposition, user):
    """What a liaison of the OPD holding `disposition` may do on it now, with the dialogue's
    `reply` that their page offers too. Empty for anyone else (a head reads only)."""
    caps = capacities(report, user)
    if Who.LIAISON not in caps or disposition.agency_id not in privacy.liaison_agency_ids(report, user):
        return set()
    found = {a for a in DISPOSITION_ACTIONS if _check(report, user, a, disposition, caps=caps) is None}
    if _check(report, user, Action.REPLY, caps=frozenset(LIA)) is None:
        found.add(Action.REPLY)
    return found


# Helpers ---------------------------------------------------------------------------------------
def _lock(complaint_id, by, action=None):
    """Lock the report and check that `by` may see it (else NotFound) and that the table allows
    `action` now (`require`). `by=None` is the system (sweeps)."""
    try:
        c = Complaint.objects.select_for_update().get(pk=complaint_id)
    except Complaint.DoesNotExist:
        raise NotFound() from None
    if by is not None:
        if not privacy.is_visible(c, by):
            raise NotFound()
        if action:
            require(c, by, action)
    return c


def _set_status(c, status, now, **fields):
    c.status = status
    for name, value in fields.items():
        setattr(c, name, value)
    c.save(update_fields=["status", "updated_at", *fields])


def _actor(c, by):
    """(label, role, agency) as the public timeline names the actor: never a person's name."""
    if by is None:
        return _("Sistem"), "system", None
    if privacy.is_reporter(c, by):
        return _("Pelapor"), Role.PELAPOR, None
    for m, _live in privacy.roles_on(c, by):
        if m.role == Role.OPERATOR:
            return _("Operator %(agency)s") % {"agency": m.agency.display if m.agency else ""}, m.role, m.agency
        if m.role == Role.LIAISON:
            return _("Admin %(agency)s") % {"agency": m.agency.display}, m.role, m.agency
        if m.role in (Role.AUDITOR, Role.SUPERADMIN):
            label = m.agency.display if m.agency else _("Auditor")
            return _("Auditor %(agency)s") % {"agency": label}, m.role, m.agency
        if m.role == Role.HEAD:
            return _("Pimpinan %(agency)s") % {"agency": m.agency.display}, m.role, m.agency
    return _("Warga"), Role.PELAPOR, None


def _event(c, type_, by, audience, body="", disposition=None, data=None, notify_extra=(), agency=None):
    label, role, actor_agency = _actor(c, by)
    if agency is not None and role == Role.LIAISON:
        label, actor_agency = _("Admin %(agency)s") % {"agency": agency.display}, agency
    event = Event.objects.create(
        complaint=c,
        type=type_,
        actor=by,
        actor_label=str(label),
        actor_role=role,
        actor_agency=actor_agency,
        audience=audience,
        body=body or "",
        disposition=disposition,
        data=data or {},
        **client_fields(by),
    )
    notify.for_event(event, extra=notify_extra)
    return event


def _text(value, field, *, min_length=1, max_length=10000):
    value = (value or "").strip()
    if len(value) < min_length:
        raise Invalid(fields={field: [_("Wajib diisi.") if min_length <= 1 else _("Terlalu pendek.")]})
    if len(value) > max_length:
        raise Invalid(fields={field: [_("Terlalu panjang.")]})
    return value


def _agencies_from(values):
    slugs = [v.slug if isinstance(v, Agency) else str(v) for v in (values or [])]
    if not slugs:
        raise Invalid(fields={"agencies": [_("Pilih minimal satu instansi.")]})
    found = {a.slug: a for a in Agency.objects.filter(slug__in=slugs).select_related("root", "parent")}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise Invalid(fields={"agencies": [_("Instansi tidak dikenal: %(slugs)s") % {"slugs": ", ".join(missing)}]})
    return [found[s] for s in dict.fromkeys(slugs)]


def check_targets(c, agencies):
    """Refuse dispositions to the accused organisation (or any unit under or above it), to
    inactive agencies, and — for reports berkadar pengawasan — to anything but Inspektorat/BKD."""
    errors = []
    for a in agencies:
        if not a.is_active or a.kind not in DISPOSABLE_KINDS:
            errors.append(_("%(agency)s tidak dapat menerima disposisi.") % {"agency": a.name})
        elif c.terlapor_agency_id and (a.root_id or a.pk) == c.terlapor_agency.root_id:
            errors.append(
                _("%(agency)s adalah (bagian dari) instansi terlapor dan tidak boleh menangani laporan ini.")
                % {"agency": a.name}
            )
        elif c.is_oversight and a.kind not in OVERSIGHT_AGENCY_KINDS:
            errors.append(
                _("Laporan berkadar pengawasan hanya didisposisikan ke Inspektorat atau BKD, bukan %(agency)s.")
                % {"agency": a.name}
            )
    if errors:
        raise Invalid(fields={"agencies": errors})


def _fits_target(c, agency):
    try:
        check_targets(c, [agency])
    except Invalid:
        return False
    return True


def _first_active(kind):
    """The first active agency of `kind` (by id), from the agencies kept per process
    (agencies/reference.py): a suggestion costs no query."""
    found = [a for a in reference.tables()["agencies"].values() if a.is_active and a.kind == kind]
    return reference.row("agencies", min(a.pk for a in found)) if found else None


def suggested_routing(c):
    """(agencies to preselect, why): the category's routing (its route for the report's kecamatan,
    else its default agency: agencies.routing.route_for); for a report berkadar pengawasan the
    oversight agency (the category's, else the Inspektorat); for an information request without
    routing the PPID; otherwise the reporter's own suggestion. Agencies the report may not go to
    (the terlapor, inactive ones) are left out."""
    default = route_for(c.category, c.kecamatan_id) if c.category_id else None
    if c.is_oversight:
        if default is None or default.kind not in OVERSIGHT_AGENCY_KINDS:
            default = _first_active(AgencyKind.INSPEKTORAT)
        why = _("Berkadar pengawasan: hanya ke Inspektorat (atau BKD untuk disiplin ASN), tidak ke terlapor.")
        candidates = [default]
    elif default is not None:
        candidates, why = [default], _("Sesuai pengaturan kategori.")
        if default.pk != c.category.default_agency_id:
            why = _("Sesuai rute kategori untuk kecamatan laporan ini.")
    elif c.kind == Kind.INFORMASI:
        candidates = [_first_active(AgencyKind.PPID)]
        why = _("Permintaan informasi publik: ke PPID.")
    else:
        candidates, why = [c.target_agency], _("Usulan pelapor.")
    return [a for a in candidates if a is not None and _fits_target(c, a)], why


def _disposition(c, disposition_id, by, action):
    """The disposition `disposition_id` of `c`, locked, on which the table allows `by` to take
    `action` (`require` with the disposition)."""
    d = (
        Disposition.objects.select_for_update(of=("self",))
        .select_related("agency", "agency__root")
        .filter(complaint=c, pk=disposition_id)
        .first()
    )
    if d is None:
        raise Invalid(fields={"disposition": [_("Disposisi tidak ditemukan pada laporan ini.")]})
    require(c, by, action, disposition=d)
    return d


def _stop_all_clocks(c, now, reason):
    stop_clocks(c, list(ClockKind), now, reason)
    for d in c.dispositions.filter(status__in=ACTIVE_DISPOSITION):
        stop_clocks(c, [ClockKind.FOLLOWUP, ClockKind.INFORMATION, ClockKind.SETTLEMENT], now, reason, disposition=d)


def _close_dispositions_for_archive(c, now):
    for d in c.dispositions.filter(status__in=ACTIVE_DISPOSITION):
        d.status = DispositionStatus.SELESAI
        d.finished_at = now
        d.save(update_fields=["status", "finished_at"])
    c.dispositions.filter(return_pending=True).update(return_pending=False)
    refresh_monitor_due([c.pk])


def _first_clock_kind(c):
    return ClockKind.INFORMATION if c.kind == Kind.INFORMASI else ClockKind.FOLLOWUP


# Filing ----------------------------------------------------------------------------------------
# The privacy a report gets when its channel's filer does not choose one (docs/product.md §3, §6):
# SMS reports are rahasia unless the reporter says otherwise; an Open311 client files anonim;
# every other channel (the web and mobile forms, the operators' manual entry) starts umum.
DEFAULT_PRIVACY = {
    Channel.WEB: Privacy.UMUM,
    Channel.MOBILE: Privacy.UMUM,
    Channel.SMS: Privacy.RAHASIA,
    Channel.OPEN311: Privacy.ANONIM,
    Channel.WALK_IN: Privacy.UMUM,
    Channel.PHONE: Privacy.UMUM,
    Channel.SOCIAL: Privacy.UMUM,
}


def default_privacy(channel):
    return DEFAULT_PRIVACY.get(channel, Privacy.UMUM)


# The fields `check_filing` weighs against each other.
FILING_FIELDS = (
    "kecamatan",
    "kelurahan",
    "lat",
    "lng",
    "incident_date",
    "target_agency",
    "terlapor_agency",
    "channel_link",
)


def filing_fields(data):
    """A validated report form's or serializer's `data` as `file_complaint` takes it (the channel
    and the manual entry's extra fields aside): the optional fields None, the location text blank,
    when not given."""
    return {
        "title": data["title"],
        "body": data["body"],
        "kind": data["kind"],
        "privacy": data.get("privacy"),
        "category": data["category"],
        "location_text": data.get("location_text") or "",
        **{name: data.get(name) for name in FILING_FIELDS if name != "channel_link"},
    }


def check_filing(*, channel=Channel.WEB, channel_link="", **fields):
    """The rules between a new report's fields, the same on every channel (web, API, SMS,
    Open311, manual entry). Returns {field: [messages]}, empty when the fields agree; the forms
    and serializers put these on their own fields, `file_complaint` refuses with them. A
    kelurahan without its kecamatan is fine: `file_complaint` fills the kecamatan in. Fields
    not given (and other fields) count as empty."""
    kecamatan, kelurahan = fields.get("kecamatan"), fields.get("kelurahan")
    lat, lng, incident_date = fields.get("lat"), fields.get("lng"), fields.get("incident_date")
    target_agency, terlapor_agency = fields.get("target_agency"), fields.get("terlapor_agency")
    errors = {}
    if kelurahan is not None and kecamatan is not None and kelurahan.parent_id != kecamatan.pk:
        errors["kelurahan"] = [_("Kelurahan tidak berada di kecamatan yang dipilih.")]
    if (lat is None) != (lng is None):
        errors["lat"] = [_("Isi lintang dan bujur bersamaan, atau kosongkan keduanya.")]
    if incident_date and incident_date > timezone.localdate():
        errors["incident_date"] = [_("Tanggal kejadian tidak boleh di masa depan.")]
    if (
        target_agency is not None
        and terlapor_agency is not None
        and (target_agency.root_id or target_agency.pk) == (terlapor_agency.root_id or terlapor_agency.pk)
    ):
        errors["target_agency"] = [
            _("Instansi tujuan tidak boleh instansi yang Anda laporkan. Kosongkan agar operator menentukan.")
        ]
    if channel == Channel.SOCIAL and not (channel_link or "").strip():
        errors["channel_link"] = [_("Isi tautan unggahan media sosial.")]
    return errors


def fill_area_from_point(fields):
    """The kecamatan and kelurahan of a new report from its point (`agencies.areas.locate`), the
    same on every channel: a report with coordinates and no kelurahan gets the kelurahan holding
    the point, and its kecamatan when none was chosen. What the citizen chose is kept: a chosen
    kelurahan is never replaced, and a chosen kecamatan gets only a kelurahan that lies in it.
    Changes `fields` (a dict of filing fields) in place and returns it."""
    if fields.get("kelurahan") is not None or fields.get("lat") is None or fields.get("lng") is None:
        return fields
    kecamatan, kelurahan = locate(fields["lat"], fields["lng"])
    chosen = fields.get("kecamatan")
    if chosen is None:
        if kecamatan is not None:
            fields["kecamatan"] = kecamatan
            fields["kelurahan"] = kelurahan
    elif kelurahan is not None and kelurahan.parent_id == chosen.pk:
        fields["kelurahan"] = kelurahan
    return fields


@transaction.atomic
def file_complaint(
    *,
    reporter,
    title,
    body,
    kind=Kind.ADUAN,
    privacy=None,
    channel=Channel.WEB,
    category=None,
    entered_by=None,
    now=None,
    **fields,
):
    """Anyone with a verified account (or an operator entering a walk-in/phone/social report for
    `reporter`, who may be None for an anonymous walk-in or one awaiting confirmation; or Open311,
    likewise) files a report: stored as
    belum_terverifikasi with its verification clock running. `privacy` None takes the channel's
    `DEFAULT_PRIVACY`; the fields must pass `check_filing`; a point without a kelurahan gets its
    area (`fill_area_from_point`). Returns the Complaint."""
    now = now or timezone.now()
    # `privacy` here is the report's privacy level (a parameter), so the rule is `privacy_allows`.
    if entered_by is not None and not privacy_allows(entered_by, "manual_entry"):
        raise Forbidden()
    # Unattached reports come only from an operator or from Open311, whose report waits for the
    # owner of the address it gave to confirm it.
    if reporter is None and entered_by is None and channel != Channel.OPEN311:
        raise Forbidden()
    title = _text(title, "title", min_length=5, max_length=200)
    body = _text(body, "body", min_length=10)
    if kind not in Kind.values:
        raise Invalid(fields={"kind": [_("Jenis laporan tidak dikenal.")]})
    if privacy is None:
        privacy = default_privacy(channel)
    if privacy not in Privacy.values:
        raise Invalid(fields={"privacy": [_("Tingkat privasi tidak dikenal.")]})
    errors = check_filing(channel=channel, **fields)
    if errors:
        raise Invalid(fields=errors)
    if fields.get("kelurahan") is not None and fields.get("kecamatan") is None:
        fields["kecamatan"] = fields["kelurahan"].parent
    fill_area_from_point(fields)
    c = Complaint(
        reporter=reporter,
        title=title,
        body=body,
        kind=kind,
        privacy=privacy,
        channel=channel,
        category=category,
        entered_by=entered_by,
        oversight=bool(category and category.oversight),
        **fields,
    )
    c.full_clean(exclude=["tracking_id", "status"])
    c.save()
    start_clock(c, ClockKind.VERIFICATION, now)
    _event(
        c, EventType.FILED, reporter if entered_by is None else entered_by, Audience.PUBLIC, data={"channel": channel}
    )
    return c


# Operator: verification -------------------------------------------------------------------------
@transaction.atomic
def verify(complaint_id, *, by, agencies, note="", now=None):
    """Operator verifies a belum_terverifikasi report and disposes it to `agencies` in one step:
    the report becomes public (unless rahasia) and belum_ditindaklanjuti. `now` is the instant of
    the decision, as for `file_complaint` (the present unless a command replays a past one, such
    as `seed_demo`'s reports whose deadlines passed last month)."""
    now = now or timezone.now()
    c = _lock(complaint_id, by, Action.VERIFY)
    targets = _agencies_from(agencies)
    check_targets(c, targets)
    stop_clocks(c, [ClockKind.VERIFICATION], now, "verified")
    _set_status(c, Status.BELUM_DITINDAKLANJUTI, now, verified_at=now)
    _event(c, EventType.VERIFIED, by, Audience.PUBLIC)
    _dispose_to(c, targets, by, now, note)
    return c


def _dispose_to(c, targets, by, now, note):
    created = []
    for agency in targets:
        d = Disposition.objects.create(complaint=c, agency=agency, note=note or "", created_by=by)
        start_clock(c, _first_clock_kind(c), now, disposition=d)
        start_clock(c, ClockKind.SETTLEMENT, now, disposition=d)
        _event(
            c,
            EventType.DISPOSED,
            by,
            Audience.PUBLIC,
            body="",
            disposition=d,
            data={"agency": agency.slug, "note": note or ""},
        )
        created.append(d)
    return created


@transaction.atomic
def dispose(complaint_id, *, by, agencies, note=""):
    """Operator disposes a verified open report to more OPDs, or re-disposes after a return.
    Disposing again to an OPD that returned it is refusing the return: it needs `note`, and that
    OPD gets it back with a new clock. Any pending return is settled by this decision."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.DISPOSE)
    targets = _agencies_from(agencies)
    check_targets(c, targets)
    existing = {d.agency_id: d for d in c.dispositions.select_for_update().filter(parent__isnull=True)}
    new, refused = [], []
    for agency in targets:
        d = existing.get(agency.pk)
        if d is None:
            new.append(agency)
        elif d.status == DispositionStatus.DIKEMBALIKAN:
            refused.append(d)
        else:
            raise Invalid(fields={"agencies": [_("%(agency)s sudah menangani laporan ini.") % {"agency": agency.name}]})
    if refused and not (note or "").strip():
        raise Invalid(fields={"note": [_("Menolak pengembalian memerlukan alasan.")]})
    for d in refused:
        d.status = DispositionStatus.MENUNGGU
        d.return_pending = False
        d.save(update_fields=["status", "return_pending"])
        start_clock(c, _first_clock_kind(c), now, disposition=d)
        if not running(c, ClockKind.SETTLEMENT, d):
            start_clock(c, ClockKind.SETTLEMENT, now, disposition=d)
        _event(
            c,
            EventType.RETURN_REFUSED,
            by,
            Audience.REPORTER,
            body=note.strip(),
            disposition=d,
            data={"agency": d.agency.slug},
        )
    _dispose_to(c, new, by, now, note)
    _settle_returns(c, now)
    # A live disposition again: the auto-close clock (all finished, waiting on the reporter) stops.
    stop_clocks(c, [ClockKind.REPORTER_REPLY], now, "redisposed")
    return c


def _settle_returns(c, now):
    c.dispositions.filter(return_pending=True).update(return_pending=False)
    stop_clocks(c, [ClockKind.REDISPOSITION], now, "redisposed")


@transaction.atomic
def postpone(complaint_id, *, by, reason):
    """Operator asks the reporter to complete a belum_terverifikasi report (tunda): the
    verification clock pauses, keeping the working days left; the tunda clock starts."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.POSTPONE)
    reason = _text(reason, "reason", min_length=5)
    left = 1
    if c.verification_due_at:
        left = max(1, calendar.working_days_between(now, c.verification_due_at))
    stop_clocks(c, [ClockKind.VERIFICATION], now, "paused")
    _set_status(c, Status.TUNDA, now, verification_days_left=left)
    start_clock(c, ClockKind.TUNDA, now)
    _event(c, EventType.POSTPONED, by, Audience.REPORTER, body=reason)
    return c


@transaction.atomic
def complete(complaint_id, *, by, body):
    """The reporter completes a tunda report: back to belum_terverifikasi, the verification clock
    resumes with the working days that were left."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.COMPLETE)
    body = _text(body, "body", min_length=5)
    stop_clocks(c, [ClockKind.TUNDA], now, "completed")
    _set_status(c, Status.BELUM_TERVERIFIKASI, now)
    start_clock(c, ClockKind.VERIFICATION, now, days=c.verification_days_left or None)
    _event(c, EventType.COMPLETED, by, Audience.REPORTER, body=body)
    return c


def _archive(c, by, now, reason, note, event_type=EventType.ARCHIVED, **fields):
    _stop_all_clocks(c, now, f"archived:{reason}")
    _close_dispositions_for_archive(c, now)
    _set_status(c, Status.ARSIP, now, archive_reason=reason, archive_note=note or "", closed_at=now, **fields)
    return _event(
        c,
        event_type,
        by,
        Audience.PUBLIC if c.verified_at else Audience.REPORTER,
        body=note or "",
        data={"reason": reason, **{k: str(v) for k, v in fields.items()}},
    )


@transaction.atomic
def archive(complaint_id, *, by, reason, note=""):
    """Operator archives: before verification (belum_terverifikasi/tunda) for any operator reason;
    after disposition only as out_of_scope, once every disposition was returned."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.ARCHIVE)
    if reason not in OPERATOR_ARCHIVE_REASONS:
        raise Invalid(fields={"reason": [_("Alasan arsip tidak dikenal.")]})
    if c.status in DISPOSED and reason != ArchiveReason.OUT_OF_SCOPE:
        # The table allows it once every disposition was returned; then only as out of scope.
        raise TransitionError(str(RULES[Action.ARCHIVE][1].refusal))
    note = (note or "").strip()
    if reason == ArchiveReason.INVALID and not note:
        raise Invalid(fields={"note": [_("Jelaskan mengapa laporan tidak valid.")]})
    _archive(c, by, now, reason, note)
    return c


@transaction.atomic
def withdraw(complaint_id, *, by):
    """The reporter withdraws their report before verification → arsip (withdrawn)."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.WITHDRAW)
    _archive(c, by, now, ArchiveReason.WITHDRAWN, "", event_type=EventType.WITHDRAWN)
    return c


@transaction.atomic
def forward(complaint_id, *, by, institution, note=""):
    """Operator forwards a report to an institution outside the region (before verification, or
    after every disposition was returned) → arsip (forwarded); the reporter is told."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.FORWARD)
    if institution not in Institution.values:
        raise Invalid(fields={"institution": [_("Instansi tujuan tidak dikenal.")]})
    _archive(
        c,
        by,
        now,
        ArchiveReason.FORWARDED,
        (note or "").strip(),
        event_type=EventType.FORWARDED,
        forwarded_to=institution,
    )
    return c


@transaction.atomic
def merge(complaint_id, *, by, into):
    """Operator merges a duplicate (not yet verified) into its primary: the duplicate is archived
    (duplicate) and its reporter and supporters follow the primary. Both timelines say so."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.MERGE)
    primary = Complaint.objects.select_for_update().filter(tracking_id=str(into).upper()).first()
    if primary is None or not privacy.is_visible(primary, by):
        raise Invalid(fields={"into": [_("Laporan utama tidak ditemukan.")]})
    if primary.pk == c.pk or primary.status == Status.ARSIP:
        raise Invalid(fields={"into": [_("Laporan utama harus laporan lain yang masih terbuka.")]})
    followers = list(Support.objects.filter(complaint=c).values_list("user_id", flat=True))
    if c.reporter_id:
        followers.append(c.reporter_id)
    added = 0
    for user_id in dict.fromkeys(followers):
        if user_id == primary.reporter_id:
            continue
        _obj, made = Support.objects.get_or_create(
            complaint=primary,
            user_id=user_id,
            defaults={"kind": Support.Kind.MERGED if user_id == c.reporter_id else Support.Kind.SUPPORT, "source": c},
        )
        added += made
    if added:
        Complaint.objects.filter(pk=primary.pk).update(support_count=F("support_count") + added)
        publication.bump()  # the count is on the feed and the report page; a bulk update sends no signal
    _archive(c, by, now, ArchiveReason.DUPLICATE, "", event_type=EventType.MERGED, merged_into=primary)
    _event(
        primary,
        EventType.MERGED,
        by,
        Audience.PUBLIC,
        body=_("Laporan serupa digabungkan ke laporan ini."),
        data={"duplicate": c.tracking_id},
    )
    return c


# OPD: follow-up ---------------------------------------------------------------------------------
@transaction.atomic
def followup(complaint_id, *, by, disposition, body):
    """A liaison of the disposed OPD (or unit) posts a follow-up: the disposition becomes
    ditindaklanjuti and the report proses. The clocks waiting for a follow-up stop in whatever
    state the disposition is (after a reopen it is already ditindaklanjuti, with a new clock);
    the 60-day ceiling does not."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.FOLLOWUP)
    d = _disposition(c, disposition, by, Action.FOLLOWUP)
    body = _text(body, "body", min_length=5)
    for node in [d, d.parent] if d.parent_id else [d]:
        if node.status == DispositionStatus.MENUNGGU:
            node.status = DispositionStatus.DITINDAKLANJUTI
            node.first_followup_at = now
            node.save(update_fields=["status", "first_followup_at"])
        stop_followup_clocks(c, node, now)
    if c.status == Status.BELUM_DITINDAKLANJUTI:
        _set_status(c, Status.PROSES, now)
    return _event(c, EventType.FOLLOWUP, by, Audience.PUBLIC, body=body, disposition=d, agency=d.agency)


@transaction.atomic
def question(complaint_id, *, by, disposition, body):
    """A liaison asks the reporter a question (the dialogue; it does not stop any clock)."""
    c = _lock(complaint_id, by, Action.QUESTION)
    d = _disposition(c, disposition, by, Action.QUESTION)
    body = _text(body, "body", min_length=5)
    return _event(c, EventType.QUESTION, by, Audience.REPORTER, body=body, disposition=d, agency=d.agency)


@transaction.atomic
def return_disposition(complaint_id, *, by, disposition, reason):
    """A liaison returns their disposition as "bukan kewenangan" with a reason: the report goes to
    the operators' re-disposition queue with its own clock; its status does not change."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.RETURN)
    d = _disposition(c, disposition, by, Action.RETURN)
    reason = _text(reason, "reason", min_length=10)
    for node in [d, *d.subdispositions.filter(status__in=ACTIVE_DISPOSITION)]:
        node.status = DispositionStatus.DIKEMBALIKAN
        node.returned_at = now
        node.return_reason = reason
        node.return_pending = node.pk == d.pk
        node.save(update_fields=["status", "returned_at", "return_reason", "return_pending"])
        stop_clocks(
            c, [ClockKind.FOLLOWUP, ClockKind.INFORMATION, ClockKind.SETTLEMENT], now, "returned", disposition=node
        )
    if not running(c, ClockKind.REDISPOSITION):
        start_clock(c, ClockKind.REDISPOSITION, now)
    return _event(c, EventType.RETURNED, by, Audience.REPORTER, body=reason, disposition=d, agency=d.agency)


@transaction.atomic
def subdispose(complaint_id, *, by, disposition, unit):
    """A liaison of an OPD passes its disposition to a unit under it; the unit inherits the
    deadline (the OPD's own first-follow-up clock hands over to the unit's)."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.SUBDISPOSE)
    d = _disposition(c, disposition, by, Action.SUBDISPOSE)
    target = Agency.objects.select_related("root").filter(slug=getattr(unit, "slug", unit)).first()
    if target is None or target.pk == d.agency_id or target.pk not in d.agency.descendants_and_self_ids():
        raise Invalid(fields={"unit": [_("Pilih unit di bawah instansi Anda.")]})
    check_targets(c, [target])
    if d.subdispositions.filter(agency=target, status__in=ACTIVE_DISPOSITION).exists():
        raise Invalid(fields={"unit": [_("Unit ini sudah menerima disposisi.")]})
    child = Disposition.objects.create(complaint=c, agency=target, parent=d, created_by=by)
    hand_over(c, d, child, _first_clock_kind(c), now)
    return _event(
        c,
        EventType.SUBDISPOSED,
        by,
        Audience.REPORTER,
        disposition=child,
        data={"agency": target.slug, "parent": d.pk},
        agency=d.agency,
    )


@transaction.atomic
def finish(complaint_id, *, by, disposition):
    """A liaison marks their followed-up disposition done. When every disposition is finished,
    the reporter-reply clock starts (auto-close after its silence)."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.FINISH)
    d = _disposition(c, disposition, by, Action.FINISH)
    for node in [d, *d.subdispositions.filter(status__in=ACTIVE_DISPOSITION)]:
        node.status = DispositionStatus.SELESAI
        node.finished_at = now
        node.save(update_fields=["status", "finished_at"])
        stop_clocks(
            c, [ClockKind.FOLLOWUP, ClockKind.INFORMATION, ClockKind.SETTLEMENT], now, "finished", disposition=node
        )
    event = _event(c, EventType.FINISHED, by, Audience.PUBLIC, disposition=d, agency=d.agency)
    if _every_part_done(c) and not running(c, ClockKind.REPORTER_REPLY):
        start_clock(c, ClockKind.REPORTER_REPLY, now)
    return event


# Dialogue and closing -----------------------------------------------------------------------------
@transaction.atomic
def reply(complaint_id, *, by, body):
    """The reporter or a liaison of a live disposition writes in the dialogue. A reporter's reply
    restarts the auto-close clock."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.REPLY)
    body = _text(body, "body")
    if privacy.is_reporter(c, by) and running(c, ClockKind.REPORTER_REPLY):
        stop_clocks(c, [ClockKind.REPORTER_REPLY], now, "reporter_replied")
        start_clock(c, ClockKind.REPORTER_REPLY, now)
    return _event(c, EventType.REPLY, by, Audience.REPORTER, body=body)


def _close(c, by, now, event_type):
    stop_clocks(c, [ClockKind.REPORTER_REPLY], now, "closed")
    policy = SlaPolicy.current()
    _set_status(c, Status.SELESAI, now, closed_at=now, reopen_until=calendar.add_working_days(now, policy.reopen_days))
    if event_type == EventType.ACCEPTED:
        _event(c, EventType.ACCEPTED, by, Audience.PUBLIC)
    return _event(c, EventType.CLOSED, by if event_type == EventType.ACCEPTED else None, Audience.PUBLIC)


@transaction.atomic
def accept(complaint_id, *, by):
    """The reporter accepts the result once every disposition is finished → selesai."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.ACCEPT)
    _close(c, by, now, EventType.ACCEPTED)
    return c


@transaction.atomic
def auto_close(complaint_id, *, now=None):
    """The system closes a proses report whose reporter stayed silent past the reply clock."""
    return _when_due(complaint_id, now, _silent_past_reply_clock, lambda c, now: _close(c, None, now, EventType.CLOSED))


def _silent_past_reply_clock(c, now):
    return c.status == Status.PROSES and _every_part_done(c) and bool(c.autoclose_due_at) and c.autoclose_due_at <= now


def _tunda_expired(c, now):
    return c.status == Status.TUNDA and bool(c.tunda_due_at) and c.tunda_due_at <= now


def _archive_uncompleted(c, now):
    _archive(c, None, now, ArchiveReason.NO_COMPLETION, _("Laporan tidak dilengkapi dalam batas waktu."))


def _when_due(complaint_id, now, is_due, step):
    """A step the system takes on its own (no actor): `step(c, now)` on the locked report when
    `is_due(c, now)`. Returns the report, or None when the step was not due."""
    now = now or timezone.now()
    c = _lock(complaint_id, None)
    if not is_due(c, now):
        return None
    step(c, now)
    return c


@transaction.atomic
def auto_archive(complaint_id, *, now=None):
    """The system archives a tunda report the reporter did not complete in time (no_completion)."""
    return _when_due(complaint_id, now, _tunda_expired, _archive_uncompleted)


@transaction.atomic
def reopen(complaint_id, *, by, body, dispositions=None):
    """The reporter reopens a selesai report within the reopen window: the disputed dispositions
    (all finished ones by default) go back to ditindaklanjuti with a new follow-up clock (the
    information clock for a permintaan informasi, as at disposition); the next follow-up on
    each stops it."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.REOPEN)
    body = _text(body, "body", min_length=10)
    finished = c.dispositions.select_for_update().filter(status=DispositionStatus.SELESAI, parent__isnull=True)
    if dispositions:
        wanted = {pk for pk in map(parse_pk, dispositions) if pk is not None}
        chosen = [d for d in finished if d.pk in wanted]
        if len(chosen) != len(wanted):
            raise Invalid(fields={"dispositions": [_("Pilih disposisi yang sudah selesai pada laporan ini.")]})
    else:
        chosen = list(finished)
    if not chosen:
        raise TransitionError(_("Tidak ada disposisi selesai yang dapat dibuka kembali."))
    for d in chosen:
        d.status = DispositionStatus.DITINDAKLANJUTI
        d.finished_at = None
        d.save(update_fields=["status", "finished_at"])
        start_clock(c, _first_clock_kind(c), now, disposition=d)
    _set_status(
        c,
        Status.PROSES,
        now,
        closed_at=None,
        reopen_until=None,
        rating=None,
        rating_comment="",
        reopen_count=c.reopen_count + 1,
    )
    return _event(c, EventType.REOPENED, by, Audience.PUBLIC, body=body, data={"dispositions": [d.pk for d in chosen]})


@transaction.atomic
def rate(complaint_id, *, by, score, comment=""):
    """The reporter rates a selesai report 1–5 with an optional comment (once per closing)."""
    c = _lock(complaint_id, by, Action.RATE)
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise Invalid(fields={"score": [_("Nilai harus antara 1 dan 5.")]})
    comment = (comment or "").strip()[:2000]
    c.rating, c.rating_comment = score, comment
    c.save(update_fields=["rating", "rating_comment", "updated_at"])
    return _event(c, EventType.RATED, by, Audience.PUBLIC, body=comment, data={"score": score})


# Privacy, support, identity --------------------------------------------------------------------
@transaction.atomic
def change_privacy(complaint_id, *, by, privacy_level):
    """The reporter raises or lowers the privacy of their report; an operator may only raise it.
    It takes effect at once everywhere (notifications render at send time)."""
    c = _lock(complaint_id, by, Action.PRIVACY)
    if privacy_level not in Privacy.values:
        raise Invalid(fields={"privacy": [_("Tingkat privasi tidak dikenal.")]})
    if privacy_level == c.privacy:
        raise Invalid(fields={"privacy": [_("Laporan sudah memakai tingkat privasi ini.")]})
    raising = PRIVACY_RANK[privacy_level] > PRIVACY_RANK[c.privacy]
    if not privacy.is_reporter(c, by) and not raising:
        raise Forbidden(_("Petugas hanya dapat menaikkan tingkat privasi."))
    old = c.privacy
    c.privacy = privacy_level
    c.save(update_fields=["privacy", "updated_at"])
    return _event(c, EventType.PRIVACY_CHANGED, by, Audience.REPORTER, data={"from": old, "to": privacy_level})


@transaction.atomic
def support(complaint_id, *, by):
    """A citizen (not the reporter) supports an open public report ("Saya juga mengalami")."""
    c = _lock(complaint_id, by, Action.SUPPORT)
    _obj, created = Support.objects.get_or_create(complaint=c, user=by)
    if not created:
        raise TransitionError(_("Anda sudah mendukung laporan ini."))
    Complaint.objects.filter(pk=c.pk).update(support_count=F("support_count") + 1)
    publication.bump()  # the count is on the feed and the report page; a bulk update sends no signal
    c.refresh_from_db(fields=["support_count"])
    return c


@transaction.atomic
def reveal(complaint_id, *, by, reason):
    """An auditor or operator reveals the reporter's identity with a reason; logged, and visible to
    the reporter in their identity log. Returns the identity."""
    c = _lock(complaint_id, by, Action.REVEAL)
    reason = _text(reason, "reason", min_length=10, max_length=1000)
    privacy.log_identity_access(
        c, by, IdentityAccess.Kind.REVEAL, reason, roles=(Role.AUDITOR, Role.OPERATOR, Role.SUPERADMIN)
    )
    _event(c, EventType.REVEALED, by, Audience.STAFF, body=reason)
    return privacy.identity_fields(c, privacy.Level.FULL)


@transaction.atomic
def extend(complaint_id, *, by, disposition, reason):
    """A liaison extends an information request's deadline once by the policy's extension, with a
    reason; the reporter is told."""
    c = _lock(complaint_id, by, Action.EXTEND)
    d = _disposition(c, disposition, by, Action.EXTEND)
    reason = _text(reason, "reason", min_length=10)
    now = timezone.now()
    extend_information(c, d, now, SlaPolicy.current().information_extension_days)
    d.extended_at, d.extension_reason = now, reason
    d.save(update_fields=["extended_at", "extension_reason"])
    return _event(c, EventType.EXTENDED, by, Audience.PUBLIC, body=reason, disposition=d, agency=d.agency)


# Operator edits -------------------------------------------------------------------------------
@transaction.atomic
def edit_summary(complaint_id, *, by, summary):
    """Operator writes the public summary (names of private persons, addresses, abuse redacted);
    staff keep seeing the original."""
    c = _lock(complaint_id, by, Action.EDIT_SUMMARY)
    c.public_summary = (summary or "").strip()
    c.save(update_fields=["public_summary", "updated_at"])
    return _event(c, EventType.SUMMARY_EDITED, by, Audience.STAFF, body=c.public_summary)


def _refuse_held(c, agency):
    """A report is never in the hands of the agency it accuses: naming as terlapor an agency that
    still holds a live disposition (or a unit under or above it) would leave that disposition,
    and its clocks, with an OPD that may no longer act on the report."""
    if agency is None:
        return
    root = agency.root_id or agency.pk
    held = c.dispositions.filter(status__in=ACTIVE_DISPOSITION, agency__root_id=root).select_related("agency")
    names = sorted({d.agency.name for d in held})
    if names:
        raise Invalid(
            fields={
                "terlapor_agency": [
                    _(
                        "%(agencies)s masih menangani laporan ini; instansi terlapor tidak boleh memegang "
                        "disposisinya. Minta instansi itu mengembalikan laporan lebih dahulu."
                    )
                    % {"agencies": ", ".join(names)}
                ]
            }
        )


def _request_terlapor_change(c, by, to_agency, reason):
    if TerlaporChange.objects.filter(complaint=c, status=TerlaporChange.Status.PENDING).exists():
        raise TransitionError(_("Masih ada permintaan perubahan terlapor yang menunggu keputusan."))
    reason = _text(reason, "terlapor_reason", min_length=10, max_length=2000)
    _refuse_held(c, to_agency)
    change = TerlaporChange.objects.create(
        complaint=c, from_agency=c.terlapor_agency, to_agency=to_agency, reason=reason, requested_by=by
    )
    return _terlapor_event(c, EventType.TERLAPOR_REQUESTED, by, Audience.STAFF, reason, change, "slug")


def _terlapor_event(c, event_type, by, audience, body, change, attribute):
    """The timeline entry of a request to change the terlapor or of its approval: `body` (the
    request's or the decision's reason), and the change with its agencies named by `attribute`
    ("slug" or "name"; "" for no agency)."""

    def named(agency):
        return getattr(agency, attribute) if agency else ""

    data = {"change": change.pk, "from": named(change.from_agency), "to": named(change.to_agency)}
    return _event(c, event_type, by, audience, body=body, data=data)


@transaction.atomic
def reclassify(complaint_id, *, by, terlapor_reason="", **changes):
    """Operator changes kind, category or location (kecamatan, kelurahan, location_text), or names
    a terlapor the report did not name yet. Removing or replacing a terlapor already named is not
    the operator's alone: it becomes a pending `TerlaporChange` (with `terlapor_reason`) that the
    head of Diskominfo or an auditor decides (`decide_terlapor_change`); the terlapor stays until
    then. Returns the timeline event (the request's when only the terlapor was asked to change)."""
    c = _lock(complaint_id, by, Action.RECLASSIFY)
    allowed = {"kind", "category", "kecamatan", "kelurahan", "location_text", "terlapor_agency"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(fields={k: [_("Tidak dapat diubah.")] for k in unknown})
    request_event = None
    if "terlapor_agency" in changes:
        wanted = changes.pop("terlapor_agency")
        if isinstance(wanted, str):
            wanted = Agency.objects.filter(slug=wanted).first()
        wanted_id = wanted.pk if wanted is not None else None
        if c.terlapor_agency_id and wanted_id != c.terlapor_agency_id:
            request_event = _request_terlapor_change(c, by, wanted, terlapor_reason)
        elif not c.terlapor_agency_id and wanted is not None:
            changes["terlapor_agency"] = wanted
    if not changes:
        if request_event is None:
            raise Invalid(_("Tidak ada yang berubah."))
        return request_event
    before = {}
    for name, value in changes.items():
        before[name] = str(getattr(c, name) or "")
        setattr(c, name, value)
    if c.kind not in Kind.values:
        raise Invalid(fields={"kind": [_("Jenis laporan tidak dikenal.")]})
    if "terlapor_agency" in changes:
        _refuse_held(c, c.terlapor_agency)
    if c.category_id and c.category.oversight:
        c.oversight = True
    c.full_clean(exclude=["tracking_id", "status"])
    c.save()
    return _event(
        c,
        EventType.RECLASSIFIED,
        by,
        Audience.STAFF,
        data={"before": before, "after": {k: str(getattr(c, k) or "") for k in changes}},
    )


@transaction.atomic
def decide_terlapor_change(complaint_id, *, by, approve, reason):
    """The head of Diskominfo or an auditor (not of the accused organisation, and never the
    operator who asked) approves or rejects the report's pending terlapor change, with a reason.
    Only an approval changes `terlapor_agency`; the reporter sees it on their timeline (the
    actor named by office, never by name). Returns the TerlaporChange."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.DECIDE_TERLAPOR)
    change = (
        TerlaporChange.objects.select_for_update(of=("self",))
        .select_related("from_agency", "to_agency")
        .filter(complaint=c, status=TerlaporChange.Status.PENDING)
        .first()
    )
    if change is None:
        raise TransitionError(_("Tidak ada permintaan perubahan terlapor yang menunggu keputusan."))
    if change.requested_by_id == by.pk:
        raise Forbidden(_("Perubahan terlapor diputuskan oleh orang lain, bukan yang mengajukannya."))
    reason = _text(reason, "reason", min_length=10, max_length=2000)
    change.decided_by, change.decided_at, change.decision_reason = by, now, reason
    if approve:
        if c.terlapor_agency_id != change.from_agency_id:
            raise TransitionError(_("Instansi terlapor sudah berubah sejak permintaan ini diajukan."))
        _refuse_held(c, change.to_agency)
        c.terlapor_agency = change.to_agency
        c.save(update_fields=["terlapor_agency", "updated_at"])
        change.status = TerlaporChange.Status.APPROVED
        _terlapor_event(c, EventType.TERLAPOR_CHANGED, by, Audience.REPORTER, reason, change, "name")
    else:
        change.status = TerlaporChange.Status.REJECTED
        _event(c, EventType.TERLAPOR_REJECTED, by, Audience.STAFF, body=reason, data={"change": change.pk})
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return change


@transaction.atomic
def flag_oversight(complaint_id, *, by, terlapor_agency=None):
    """Operator flags a report as berkadar pengawasan: from now on it goes only to Inspektorat/BKD.
    `terlapor_agency` names the accused organisation when the report did not name one yet. Any
    live disposition to the terlapor's organisation (the agency, a unit under it or above it) is
    withdrawn at once — the accused no longer reads the report — with a timeline entry; when no
    live disposition is left, the operators' re-disposition clock starts."""
    now = timezone.now()
    c = _lock(complaint_id, by, Action.FLAG_OVERSIGHT)
    if isinstance(terlapor_agency, str):
        found = Agency.objects.filter(slug=terlapor_agency).first()
        if found is None:
            raise Invalid(
                fields={"terlapor_agency": [_("Instansi tidak dikenal: %(slugs)s") % {"slugs": terlapor_agency}]}
            )
        terlapor_agency = found
    if terlapor_agency is not None:
        if c.terlapor_agency_id and c.terlapor_agency_id != terlapor_agency.pk:
            raise Invalid(
                fields={
                    "terlapor_agency": [
                        _("Laporan sudah menyebut instansi terlapor; ajukan perubahan terlapor untuk menggantinya.")
                    ]
                }
            )
        c.terlapor_agency = terlapor_agency
    c.oversight = True
    c.save(update_fields=["oversight", "terlapor_agency", "updated_at"])
    event = _event(c, EventType.OVERSIGHT_FLAGGED, by, Audience.STAFF)
    if c.terlapor_agency_id:
        root = c.terlapor_agency.root_id or c.terlapor_agency_id
        # A return from the accused waits for no decision: the report cannot go back to it.
        c.dispositions.filter(agency__root_id=root, return_pending=True).update(return_pending=False)
        live = list(
            c.dispositions.select_for_update(of=("self",))
            .select_related("agency")
            .filter(agency__root_id=root, status__in=ACTIVE_DISPOSITION)
            .order_by("pk")
        )
        for d in live:
            d.status = DispositionStatus.DITARIK
            d.return_pending = False
            d.save(update_fields=["status", "return_pending"])
            stop_clocks(
                c, [ClockKind.FOLLOWUP, ClockKind.INFORMATION, ClockKind.SETTLEMENT], now, "recalled", disposition=d
            )
        for d in live:
            if d.parent_id is None:
                _event(
                    c,
                    EventType.DISPOSITION_RECALLED,
                    by,
                    Audience.REPORTER,
                    body=_("Laporan berkadar pengawasan tidak ditangani oleh instansi terlapor."),
                    disposition=d,
                    data={"agency": d.agency.slug},
                )
        if live and c.is_open and not c.dispositions.filter(status__in=ACTIVE_DISPOSITION).exists():
            if not running(c, ClockKind.REDISPOSITION):
                start_clock(c, ClockKind.REDISPOSITION, now)
    return event


def _attachment_of(c, ref):
    """An attachment of `c` by instance, number, or its random key (the `id` the API shows)."""
    if isinstance(ref, Attachment):
        ref = ref.pk
    pk = parse_pk(ref)
    if pk is not None:
        return Attachment.objects.filter(complaint=c, pk=pk).first()
    try:
        key = uuid.UUID(str(ref))
    except ValueError:
        return None
    return Attachment.objects.filter(complaint=c, key=key).first()


@transaction.atomic
def set_attachment_public(complaint_id, *, by, attachment, public):
    """Operator hides an attachment from the public (or shows it again); staff still see it."""
    c = _lock(complaint_id, by, Action.HIDE_ATTACHMENT)
    a = _attachment_of(c, attachment)
    if a is None:
        raise Invalid(fields={"attachment": [_("Lampiran tidak ditemukan.")]})
    a.is_public = bool(public)
    a.save(update_fields=["is_public"])
    return _event(c, EventType.ATTACHMENT_HIDDEN, by, Audience.STAFF, data={"attachment": a.pk, "public": a.is_public})


__all__ = [
    "Action",
    "Who",
    "RULES",
    "API_ENDPOINTS",
    "require",
    "available_actions",
    "available_disposition_actions",
    "state_allows",
    "file_complaint",
    "verify",
    "dispose",
    "postpone",
    "complete",
    "archive",
    "withdraw",
    "forward",
    "merge",
    "followup",
    "question",
    "return_disposition",
    "subdispose",
    "finish",
    "reply",
    "accept",
    "auto_close",
    "auto_archive",
    "reopen",
    "rate",
    "change_privacy",
    "support",
    "reveal",
    "extend",
    "edit_summary",
    "reclassify",
    "flag_oversight",
    "decide_terlapor_change",
    "set_attachment_public",
    "check_targets",
]
