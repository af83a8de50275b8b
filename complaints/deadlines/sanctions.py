"""TPP sanction recommendations (docs/product.md §5, docs/clocks.md "Sanctions").

For a month M (in the deployment's time zone) each agency with at least one clock whose
*escalated* step was due in M gets one `Sanction` (unique per agency and month) listing its
evidence. A unit's clocks are charged to its top-level OPD and the operators' clocks to Diskominfo
(`Clock.agency` already holds that); aspirasi counts only if the SLA policy says so.

A clock counts once: each counted step gets a `SanctionEvidence` row (one-to-one), so a step is
never counted again, in that month or later. The evidence is frozen when the recommendation is
made. Re-running a month therefore creates recommendations only for agencies that have none yet
for it. An escalation recorded after its agency's recommendation for its month was made (a sweep
that was down for days) cannot join that frozen evidence: `build_month` reports it as `late`, and
the next month built takes it, marked `late` with the month it escalated in. Building a month
takes every escalation due in it or before it that no recommendation counted yet, so a late one
is never dropped (even when its own month is never built again) and, being one-to-one with its
evidence row, never counted twice.

Decisions: an Inspektorat/BKD auditor not of that agency confirms or waives a recommendation with a
reason (once: a waived one stays waived); the agency's head may add one clarification before the
decision. The §8 API and the HTML pages both call the services here.
"""

from datetime import date, datetime
from itertools import groupby

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from agencies import calendar
from agencies.models import AgencyKind, SlaPolicy
from complaints.deadlines.clocks import responsible_for
from complaints.errors import Forbidden, Invalid, NotFound, TransitionError
from complaints.models import STAFF_CLOCKS, ClockKind, ClockStep, Complaint, Kind, Sanction, SanctionEvidence, StepKind

DECIDER_AGENCY_KINDS = (AgencyKind.INSPEKTORAT, AgencyKind.BKD)
READ_ALL_ROLES = (Role.AUDITOR, Role.SUPERADMIN)
MIN_REASON = 10


# Months ----------------------------------------------------------------------------------------
def parse_month(value, field="month"):
    """`YYYY-MM` (or a date) → the first day of that month; Invalid otherwise."""
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        parsed = datetime.strptime(str(value or "").strip(), "%Y-%m")
    except ValueError:
        raise Invalid(fields={field: [_("Bulan harus berformat YYYY-MM, mis. 2026-03.")]})
    if parsed.year < 2000:
        raise Invalid(fields={field: [_("Bulan harus berformat YYYY-MM, mis. 2026-03.")]})
    return parsed.date()


def last_month(now=None):
    """The month before the one `now` falls in (local time): what the beat builds on day 1."""
    return calendar.previous_month(calendar.month_of(now or timezone.now()))


# Building ----------------------------------------------------------------------------------------
# The escalations a recommendation counts: taken (not skipped) on a staff clock charged to an agency.
CHARGED_ESCALATIONS = Q(
    step=StepKind.ESCALATED, skipped=False, clock__kind__in=STAFF_CLOCKS, clock__agency__isnull=False
)


def escalations_of(month):
    """Escalated steps that no recommendation counted yet, due in `month` (evidence instant) or
    before it (late: recorded after their own month's recommendation was made), ordered by
    charged agency."""
    _start, end = calendar.month_bounds(month)
    qs = ClockStep.objects.filter(CHARGED_ESCALATIONS, due_at__lt=end, sanction_evidence__isnull=True)
    if not SlaPolicy.current().aspirasi_counts_for_sanctions:
        qs = qs.exclude(clock__complaint__kind=Kind.ASPIRASI)
    return qs.select_related("clock__complaint", "clock__agency", "clock__disposition__agency").order_by(
        "clock__agency_id", "due_at", "pk"
    )


class _People:
    """The people of record of each clock (`clocks.responsible_for`), looked up once per role and
    agency during a build."""

    def __init__(self):
        self.cache = {}

    def of(self, role, agency_id):
        key = (role, agency_id)
        if key not in self.cache:
            self.cache[key] = [
                {"name": m.user.full_name or m.user.email, "nip": m.user.nip, "role": role, "agency": m.agency.name}
                for m in Membership.objects.filter(role=role, agency_id=agency_id, user__is_active=True)
                .select_related("user", "agency")
                .order_by("user__full_name", "user_id")
            ]
        return self.cache[key]

    def for_clock(self, clock):
        """Those who answer for the escalated clock (`clocks.responsible_for`, docs/clocks.md)."""
        people = []
        for role, agency_id in responsible_for(clock, StepKind.ESCALATED):
            people += self.of(role, agency_id)
        return people


def escalation_month(step):
    """`YYYY-MM` of the month (local time) the step escalated in."""
    return calendar.local_date(step.due_at).strftime("%Y-%m")


def _evidence_item(step, month_start, now, people):
    clock = step.clock
    d = clock.disposition
    late_until = clock.stopped_at or now
    return {
        # Escalated in an earlier month whose recommendation was already made: counted here, once.
        "late": step.due_at < month_start,
        "escalation_month": escalation_month(step),
        "step": step.pk,
        "clock": clock.pk,
        "tracking_id": clock.complaint.tracking_id,
        "report_kind": clock.complaint.kind,
        "clock_kind": clock.kind,
        "clock_label": str(ClockKind(clock.kind).label),
        "disposition_agency": d.agency.name if d else None,
        "started_at": clock.started_at.isoformat(),
        "deadline": clock.due_at.isoformat(),
        "escalated_at": step.due_at.isoformat(),
        "stopped_at": clock.stopped_at.isoformat() if clock.stopped_at else None,
        # Working days past the deadline until the clock stopped (or until the recommendation).
        "days_late": max(0, calendar.working_days_between(clock.due_at, late_until)),
        "people": people.for_clock(clock),
    }


def build_month(month, now=None):
    """Make the recommendations of `month` (system: beat on day 1, `manage.py tpp_sanctions`).
    Only a month that has ended can be built (so no escalation of it is missed). An agency's
    recommendation also takes its earlier escalations that none counted yet, marked late.
    Returns {"created": [Sanction], "existing": [Sanction], "late": int}, `late` being the
    escalations left for the next month built because their agency's recommendation for this
    month already exists; re-running changes nothing."""
    month = parse_month(month)
    now = now or timezone.now()
    start, end = calendar.month_bounds(month)
    if now < end:
        raise Invalid(
            fields={
                "month": [
                    _("Bulan %(month)s belum berakhir; rekomendasi dibuat setelah %(end)s.")
                    % {"month": month.strftime("%Y-%m"), "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M %Z")}
                ]
            }
        )
    existing = {s.agency_id: s for s in Sanction.objects.filter(month=month).select_related("agency")}
    created, late, people = [], 0, _People()
    for agency_id, steps in groupby(escalations_of(month).iterator(chunk_size=500), key=lambda s: s.clock.agency_id):
        steps = list(steps)
        if agency_id in existing:
            late += len(steps)
            continue
        sanction = _create(agency_id, month, start, steps, now, people)
        if sanction is None:  # a concurrent build made it first
            late += len(steps)
            continue
        created.append(sanction)
    return {"created": created, "existing": list(existing.values()), "late": late}


def _create(agency_id, month, month_start, steps, now, people):
    try:
        with transaction.atomic():
            sanction = Sanction.objects.create(
                agency_id=agency_id,
                month=month,
                evidence=[_evidence_item(s, month_start, now, people) for s in steps],
            )
            SanctionEvidence.objects.bulk_create([SanctionEvidence(sanction=sanction, step=s) for s in steps])
            return sanction
    except IntegrityError:
        return None


# Reading ---------------------------------------------------------------------------------------
def _head_agency_ids(user):
    return {m.agency.root_id or m.agency_id for m in user.memberships if m.role == Role.HEAD and m.agency_id}


def reads_all(user):
    return any(m.role in READ_ALL_ROLES for m in user.memberships)


def sanctions_visible_to(user, month=None):
    """The recommendations `user` may read (auditors of every kind and superadmins: all; heads:
    their own agency's; anyone else: none), of `month` when given (a date or `YYYY-MM`)."""
    qs = Sanction.objects.select_related("agency", "decided_by", "clarified_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if not reads_all(user):
        heads = _head_agency_ids(user)
        if not heads:
            return qs.none()
        qs = qs.filter(agency_id__in=heads)
    if month is not None:
        qs = qs.filter(month=parse_month(month))
    return qs.order_by("-month", "agency__name")


def may_read(user):
    return getattr(user, "is_authenticated", False) and (reads_all(user) or bool(_head_agency_ids(user)))


def may_decide(user, sanction):
    """An Inspektorat or BKD auditor whose own agency is not the one sanctioned (observers and
    the sanctioned agency's own auditors only read)."""
    return any(
        m.role == Role.AUDITOR
        and m.agency_id
        and m.agency.kind in DECIDER_AGENCY_KINDS
        and (m.agency.root_id or m.agency_id) != sanction.agency_id
        for m in user.memberships
    )


def may_clarify(user, sanction):
    return sanction.agency_id in _head_agency_ids(user)


def get_sanction(user, sanction_id, *, lock=False):
    """The one way a single recommendation reaches anyone: missing and not visible are the same."""
    qs = sanctions_visible_to(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        sanction_id = int(sanction_id)
    except (TypeError, ValueError):
        raise NotFound(_("Rekomendasi sanksi tidak ditemukan."))
    sanction = qs.filter(pk=sanction_id).first()
    if sanction is None:
        raise NotFound(_("Rekomendasi sanksi tidak ditemukan."))
    return sanction


# Decisions ------------------------------------------------------------------------------------
def _reason(value, field="reason"):
    value = (value or "").strip()
    if len(value) < MIN_REASON:
        raise Invalid(fields={field: [_("Tuliskan alasan, minimal %(n)s karakter.") % {"n": MIN_REASON}]})
    if len(value) > 5000:
        raise Invalid(fields={field: [_("Terlalu panjang.")]})
    return value


def _decide(sanction_id, by, reason, status):
    sanction = get_sanction(by, sanction_id, lock=True)
    if not may_decide(by, sanction):
        raise Forbidden(_("Hanya auditor Inspektorat atau BKD di luar instansi ini yang dapat memutuskan."))
    if sanction.status != Sanction.Status.RECOMMENDED:
        raise TransitionError(
            _("Rekomendasi ini sudah diputuskan (%(status)s).") % {"status": sanction.get_status_display()}
        )
    sanction.decision_reason = _reason(reason)
    sanction.status = status
    sanction.decided_by = by
    sanction.decided_at = timezone.now()
    sanction.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    return sanction


@transaction.atomic
def confirm(sanction_id, by, reason):
    """An Inspektorat/BKD auditor not of the sanctioned agency confirms a recommendation with a
    reason: it goes to the payroll export. NotFound/Forbidden/Invalid/TransitionError."""
    return _decide(sanction_id, by, reason, Sanction.Status.CONFIRMED)


@transaction.atomic
def waive(sanction_id, by, reason):
    """The same auditor waives a recommendation with a reason; a waived one stays waived."""
    return _decide(sanction_id, by, reason, Sanction.Status.WAIVED)


@transaction.atomic
def clarify(sanction_id, by, text):
    """The head of the sanctioned agency adds their clarification (once, before the decision)."""
    sanction = get_sanction(by, sanction_id, lock=True)
    if not may_clarify(by, sanction):
        raise Forbidden(_("Hanya pimpinan instansi ini yang dapat memberi klarifikasi."))
    if sanction.status != Sanction.Status.RECOMMENDED:
        raise TransitionError(_("Rekomendasi ini sudah diputuskan; klarifikasi tidak dapat ditambahkan."))
    if sanction.clarification:
        raise TransitionError(_("Klarifikasi sudah disampaikan."))
    sanction.clarification = _reason(text, "clarification")
    sanction.clarified_by = by
    sanction.clarified_at = timezone.now()
    sanction.save(update_fields=["clarification", "clarified_by", "clarified_at"])
    return sanction


# What a reader sees of the evidence ----------------------------------------------------------------
VISIBILITY_CHUNK = 1000  # tracking ids per visibility query


def with_evidence_for(viewer, sanctions):
    """The one way evidence reaches a reader (pages, API, exports): each recommendation gets
    `visible_evidence` (the items naming a report `viewer` can see under
    `Complaint.objects.visible_to`, in order) and `hidden_evidence` (how many other items there
    are). An auditor of the agency a rahasia report accuses must not learn its tracking id from
    another agency's evidence. The counts and days late (`evidence_count`, `days_late`) stay over
    every item, so the sanctioned agency's failures all count. One query per thousand tracking ids;
    returns the recommendations as a list."""
    sanctions = list(sanctions)
    wanted = sorted({item.get("tracking_id") for s in sanctions for item in s.evidence if item.get("tracking_id")})
    visible = set()
    for i in range(0, len(wanted), VISIBILITY_CHUNK):
        chunk = wanted[i : i + VISIBILITY_CHUNK]
        visible.update(
            Complaint.objects.visible_to(viewer).filter(tracking_id__in=chunk).values_list("tracking_id", flat=True)
        )
    for s in sanctions:
        s.visible_evidence = [item for item in s.evidence if item.get("tracking_id") in visible]
        s.hidden_evidence = len(s.evidence) - len(s.visible_evidence)
    return sanctions


# Summaries and the payroll export -----------------------------------------------------------------
def days_late(sanction):
    return sum(int(item.get("days_late") or 0) for item in sanction.evidence)


def late_evidence(sanction):
    """The number of evidence items that escalated in an earlier month (recorded late)."""
    return sum(1 for item in sanction.evidence if item.get("late"))


def people_of_record(sanction):
    """Unique people across the evidence, in order of first appearance."""
    seen, out = set(), []
    for item in sanction.evidence:
        for p in item.get("people", []):
            key = (p.get("name"), p.get("nip"), p.get("role"), p.get("agency"))
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


ROLE_LABELS = {Role.HEAD: Role.HEAD.label, Role.LIAISON: Role.LIAISON.label, Role.OPERATOR: Role.OPERATOR.label}


def payroll_rows(sanctions):
    """Header + one row per person of record of each sanction (payroll withholds per person):
    agency, month, evidence count, days late, name, NIP, role, decision, auditor, decided at,
    reason, and how many of the evidence items escalated in an earlier month (late)."""
    header = [
        _("Instansi"),
        _("Bulan"),
        _("Jumlah bukti"),
        _("Hari terlambat"),
        _("Nama"),
        _("NIP"),
        _("Peran"),
        _("Keputusan"),
        _("Auditor"),
        _("Tanggal keputusan"),
        _("Alasan"),
        _("Bukti susulan dari bulan sebelumnya"),
    ]
    rows = [header]
    for s in sanctions:
        common = [s.agency.name, s.month.strftime("%Y-%m"), len(s.evidence), days_late(s)]
        decision = [
            s.get_status_display(),
            (s.decided_by.full_name or s.decided_by.email) if s.decided_by else "",
            timezone.localtime(s.decided_at).strftime("%Y-%m-%d %H:%M") if s.decided_at else "",
            s.decision_reason,
        ]
        people = people_of_record(s) or [{}]
        for p in people:
            role = p.get("role", "")
            rows.append(
                [
                    *common,
                    p.get("name", ""),
                    p.get("nip", ""),
                    str(ROLE_LABELS.get(role, role)),
                    *decision,
                    late_evidence(s),
                ]
            )
    return rows


def confirmed_for_export(user, month):
    return sanctions_visible_to(user, month).filter(status=Sanction.Status.CONFIRMED)


__all__ = [
    "build_month",
    "sanctions_visible_to",
    "get_sanction",
    "with_evidence_for",
    "confirm",
    "waive",
    "clarify",
    "may_decide",
    "may_clarify",
    "payroll_rows",
    "parse_month",
    "last_month",
]
