"""Dashboard rollups (docs/architecture.md, "Dashboard rollups"): the dashboards' figures read from
per-month groups instead of a year of reports.

Building. `build_month(month)` recomputes every group of the reports filed in one month, from the
reports, their dispositions, first-response clocks, escalations and returns, and replaces that
month's rows in one transaction (readers see the old rows until it commits). `refresh()` rebuilds
the months of the reports that have an event since the last refresh: every change a figure can
see (filing, verification, disposition, follow-up, return, closing, reopening, rating, privacy,
reclassification, escalation, the 60-day ceiling) writes an event in the same transaction
(docs/architecture.md, "The five rules", rule 2). A changed holiday calendar or agency tree (the
working days of every median, the roots of every disposition) rebuilds every month. Beat runs a
refresh every DASHBOARD_ROLLUP_INTERVAL seconds and rebuilds everything once a night.

Reading. `audit_figures`, `head_figures` and `public_figures` answer what the views computed from
the reports, figure for figure: the same rows, totals, breakdowns, trend and medians. What depends
on the hour rather than on an event (a disposition overdue now, a running clock past its deadline)
is counted live over the same scope, from the few open dispositions and clocks. A viewer whose
scope the groups cannot express (a head of a unit, a staff member with both an agency-wide and an
OPD role, an auditor who filed reports of their own) gets `None`, and the view computes from the
reports as before; so do all viewers before the first build.
"""

import hashlib
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from agencies import calendar
from agencies.models import Agency, Category, Holiday
from complaints import privacy
from complaints.dashboards import figures
from complaints.deadlines.clocks import FOLLOWUP_STOPS
from complaints.models import (
    Clock,
    ClockStep,
    Complaint,
    Disposition,
    Event,
    EventType,
    FigureRollup,
    Kind,
    ResponseRollup,
    RollupState,
    Status,
    StepKind,
)

MEASURES = [
    "reports",
    "ceiling",
    "reopened",
    "closed",
    "rated",
    "rating_sum",
    "on_time",
    "late_stopped",
    "escalated",
    "returned",
    "responded",
]
DIMS = ["month", "category_id", "kecamatan_id", "kind", "status", "published", "rahasia", "accused_id"]
KEY = [*DIMS, "member", "agency"]


# Building -------------------------------------------------------------------------------------------
def fingerprint():
    """A digest of what every month's rows depend on besides the reports: the holiday calendar
    (working days) and the agency tree (which top-level agency a disposition counts for)."""
    digest = hashlib.sha256()
    for row in Holiday.objects.order_by("date", "kind", "pk").values_list("date", "kind"):
        digest.update(repr(row).encode())
    digest.update(b"|")
    for row in Agency.objects.order_by("pk").values_list("pk", "root_id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _report_facts(month):
    """{report id: (dims, {agency: Counter}, members, responses)} of the reports filed in `month`."""
    start, end = calendar.month_bounds(month)
    of_month = {"complaint__created_at__gte": start, "complaint__created_at__lt": end}
    facts = {}
    reports = Complaint.objects.filter(created_at__gte=start, created_at__lt=end).annotate(**privacy.rollup_columns())
    for (
        pk,
        category,
        kecamatan,
        kind,
        status,
        published,
        rahasia,
        accused,
        reopens,
        closed,
        rating,
    ) in reports.values_list(
        "pk",
        "category_id",
        "kecamatan_id",
        "kind",
        "status",
        "published",
        "rahasia",
        "accused_id",
        "reopen_count",
        "closed_at",
        "rating",
    ):
        dims = (month, category, kecamatan, kind, status, published, rahasia, accused)
        own = Counter(
            reports=1,
            reopened=int(reopens > 0),
            closed=int(closed is not None or reopens > 0),
            rated=int(rating is not None),
            rating_sum=rating or 0,
        )
        facts[pk] = (dims, {0: Counter(own)}, own, [])
    for complaint, root, parent, ceiling, created, answered in Disposition.objects.filter(**of_month).values_list(
        "complaint_id", "agency__root_id", "parent_id", "ceiling_passed", "created_at", "first_followup_at"
    ):
        if root is None or complaint not in facts:
            continue
        _dims, by_agency, own, responses = facts[complaint]
        if root not in by_agency or by_agency[root]["reports"] == 0:
            by_agency.setdefault(root, Counter()).update(own)
        counter = by_agency[root]
        counter["ceiling"] = max(counter["ceiling"], int(ceiling))
        if parent is None and answered is not None:
            counter["responded"] += 1
            responses.append((root, calendar.working_days_between(created, answered)))
    # A stopped clock is on time or late for good: the figures' own conditions, as of now.
    clocks = (
        figures.first_response_clocks(Clock.objects.filter(stopped_at__isnull=False, **of_month))
        .annotate(
            on_time=ExpressionWrapper(figures.answered_in_time(), output_field=BooleanField()),
            late=ExpressionWrapper(figures.late(timezone.now()), output_field=BooleanField()),
        )
        .values_list("complaint_id", "agency_id", "on_time", "late")
    )
    for complaint, agency, on_time, late in clocks:
        if complaint not in facts:
            continue
        on_time, late = int(bool(on_time)), int(bool(late))
        by_agency = facts[complaint][1]
        keys = (0, agency) if agency is not None else (0,)
        for key in keys:
            by_agency.setdefault(key, Counter()).update(on_time=on_time, late_stopped=late)
    for complaint, agency in ClockStep.objects.filter(
        step=StepKind.ESCALATED,
        skipped=False,
        clock__complaint__created_at__gte=start,
        clock__complaint__created_at__lt=end,
    ).values_list("clock__complaint_id", "clock__agency_id"):
        if complaint in facts and agency is not None:
            facts[complaint][1].setdefault(agency, Counter())["escalated"] += 1
    for complaint, root in Event.objects.filter(type=EventType.RETURNED, **of_month).values_list(
        "complaint_id", "disposition__agency__root_id"
    ):
        if complaint in facts and root is not None:
            facts[complaint][1].setdefault(root, Counter())["returned"] += 1
    return facts


def _groups(facts):
    """The rows of one month: every fact of a report counted under each of its members (every
    report, and each top-level agency it was disposed to) for the rows a reader asks for: about the
    reports under any member, about an agency under every report or under that agency itself."""
    rows = defaultdict(Counter)
    times = Counter()
    for dims, by_agency, _own, responses in facts.values():
        members = [0, *(a for a, c in by_agency.items() if a and c["reports"])]
        for member in members:
            for agency, counter in by_agency.items():
                if member == 0 or agency == 0 or agency == member:
                    rows[(*dims, member, agency)].update(counter)
            for root, days in responses:
                if member in (0, root):
                    times[(*dims, member, root, days)] += 1
    return rows, times


def build_month(month):
    """Replace the rows of `month` (its first day) with what its reports say now."""
    _state()
    with transaction.atomic():
        # One builder of a month at a time (a refresh and the nightly rebuild may meet): the state
        # row is the lock, and the month is read after taking it.
        RollupState.objects.select_for_update().filter(pk=1).first()
        rows, times = _groups(_report_facts(month))
        FigureRollup.objects.filter(month=month).delete()
        ResponseRollup.objects.filter(month=month).delete()
        _insert(FigureRollup, [*KEY, *MEASURES], ((*key, *(c[m] for m in MEASURES)) for key, c in rows.items()))
        _insert(ResponseRollup, [*KEY, "working_days", "n"], ((*key, n) for key, n in times.items()))
    return len(rows)


def _insert(model, columns, rows):
    """Plain rows into `model`'s table: tens of thousands a month, where building model instances
    would cost more than the month's queries."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=5000)  # noqa: S608
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))  # noqa: S608


def _all_months():
    first = Complaint.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    month, last = calendar.month_of(first), calendar.month_of(timezone.now())
    months = []
    while month <= last:
        months.append(month)
        month = calendar.next_month(month)
    return months


def _state():
    state, _created = RollupState.objects.get_or_create(pk=1)
    return state


def rebuild(now=None):
    """Every month from the first report's, and the marks and fingerprint to refresh from."""
    now = now or timezone.now()
    mark = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    previous = _state().event_mark or mark
    print_ = fingerprint()
    months = _all_months()
    for month in months:
        build_month(month)
    existing = set(months)
    FigureRollup.objects.exclude(month__in=existing).delete()
    ResponseRollup.objects.exclude(month__in=existing).delete()
    RollupState.objects.update_or_create(
        pk=1,
        defaults={
            "built_at": now,
            "refreshed_at": now,
            "event_mark": mark,
            "previous_mark": min(previous, mark),
            "fingerprint": print_,
        },
    )
    return {"months": len(months), "rebuilt": True}


def refresh(now=None):
    """Rebuild the months whose reports changed since the last refresh (all of them when the
    calendar or the agency tree changed, or nothing was built yet)."""
    now = now or timezone.now()
    state = _state()
    if state.built_at is None or state.fingerprint != fingerprint():
        return rebuild(now)
    mark = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    created = Event.objects.filter(pk__gt=state.previous_mark).values_list("complaint__created_at", flat=True)
    months = sorted({calendar.month_of(instant) for instant in created.distinct()})
    for month in months:
        build_month(month)
    RollupState.objects.filter(pk=1).update(refreshed_at=now, event_mark=mark, previous_mark=state.event_mark)
    return {"months": len(months), "rebuilt": False}


def state():
    """The state row, or None before the first build."""
    found = RollupState.objects.filter(pk=1, built_at__isnull=False).first()
    return found


# Reading --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """A viewer's reports as the rollups express them: `member` (0: every report; an agency: the
    reports disposed to it) and a condition on the published, rahasia and accused columns."""

    member: int
    q: Q


def public_scope():
    return Scope(*privacy.public_rollup_scope())


def viewer_scope(viewer):
    """`viewer`'s `base()` as a Scope (`privacy.rollup_scope`), or None when the columns cannot
    express it exactly."""
    found = privacy.rollup_scope(viewer.user)
    return Scope(*found) if found is not None else None


def _rows(model, scope, f, member):
    qs = model.objects.filter(scope.q, member=member, month__gte=f.start, month__lte=f.end)
    if f.category:
        qs = qs.filter(category_id=f.category.pk)
    if f.kecamatan:
        qs = qs.filter(kecamatan_id=f.kecamatan.pk)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    return qs


def _sums(qs, key, names):
    return {row.pop(key): row for row in qs.values(key).annotate(**{n: Sum(n) for n in names}).order_by()}


def _medians(qs):
    """{agency: median working days} from the distributions, as PostgreSQL's percentile_cont."""
    counts = defaultdict(list)
    for agency, days, n in (
        qs.values("agency", "working_days")
        .annotate(total=Sum("n"))
        .order_by("agency", "working_days")
        .values_list("agency", "working_days", "total")
    ):
        counts[agency].append((days, n))
    return {agency: _median(pairs) for agency, pairs in counts.items()}


def _median(pairs):
    """The median of a sorted distribution [(value, how many)]: the middle value, or the mean of
    the two middle ones."""
    total = sum(n for _v, n in pairs)
    if not total:
        return None

    def nth(index):
        seen = 0
        for value, n in pairs:
            seen += n
            if index < seen:
                return value
        return pairs[-1][0]

    middle = total // 2
    if total % 2:
        return float(nth(middle))
    return float(statistics.mean((nth(middle - 1), nth(middle))))


def _live_overdue(reports, ids, now):
    return figures._grouped(
        Disposition.objects.filter(figures.overdue(now), complaint__in=reports, agency__root_id__in=ids),
        "agency__root",
        n=Count("complaint", distinct=True),
    )


def _running_late(reports, now):
    """Running first-response clocks past their deadline (a running clock has no stop reason, so
    none was handed over), read from the partial index `clock_running_followup_due`."""
    return Clock.objects.filter(complaint__in=reports, kind__in=FOLLOWUP_STOPS, stopped_at__isnull=True, due_at__lt=now)


def agency_rows(scope, member, reports, agencies, f, now):
    """`figures.agency_rows(reports, agencies, f, now)` from the rollups: `member` selects the same
    reports as `reports`, which only the hour-dependent counts read."""
    agencies = list(agencies)
    ids = [a.pk for a in agencies]
    rows = _rows(FigureRollup, scope, f, member).filter(agency__in=ids)
    counts = defaultdict(dict)
    for agency, status, n in (
        rows.values("agency", "status").annotate(n=Sum("reports")).order_by().values_list("agency", "status", "n")
    ):
        counts[agency][status] = n
        counts[agency]["total"] = counts[agency].get("total", 0) + n
    sums = _sums(rows, "agency", [m for m in MEASURES if m != "reports"])
    overdue = _live_overdue(reports, ids, now)
    running = figures._grouped(_running_late(reports, now).filter(agency_id__in=ids), "agency", n=Count("pk"))
    for agency in ids:
        s = sums.get(agency, {})
        counts[agency].update({k: s.get(k) or 0 for k in ("ceiling", "reopened", "closed", "rated", "rating_sum")})
        counts[agency]["overdue"] = overdue.get(agency, {}).get("n", 0)
    return figures.assemble_rows(
        agencies,
        counts,
        clocks={
            a: {
                "on_time": sums.get(a, {}).get("on_time") or 0,
                "late": (sums.get(a, {}).get("late_stopped") or 0) + running.get(a, {}).get("n", 0),
            }
            for a in ids
        },
        escalations={a: {"n": sums.get(a, {}).get("escalated") or 0} for a in ids},
        returns={a: {"n": sums.get(a, {}).get("returned") or 0} for a in ids},
        responded={a: {"n": sums.get(a, {}).get("responded") or 0} for a in ids},
        medians=_medians(_rows(ResponseRollup, scope, f, member).filter(agency__in=ids)),
        sanctions=figures.sanction_counts(ids, f),
    )


def _report_rows(scope, f, member):
    return _rows(FigureRollup, scope, f, member).filter(agency=0)


def status_totals(scope, f, member):
    by_status = {
        status: n
        for status, n in _report_rows(scope, f, member)
        .values("status")
        .annotate(n=Sum("reports"))
        .order_by()
        .values_list("status", "n")
    }
    return {"total": sum(by_status.values()), **{s: by_status.get(s, 0) for s in Status.values}}


def monthly_trend(scope, f, member, reports, now):
    by_month = defaultdict(lambda: {"total": 0})
    for month, status, n in (
        _report_rows(scope, f, member)
        .values("month", "status")
        .annotate(n=Sum("reports"))
        .order_by()
        .values_list("month", "status", "n")
    ):
        by_month[month][status] = n
        by_month[month]["total"] += n
    clocks = {
        month: {"on_time": on_time or 0, "late": late or 0}
        for month, on_time, late in _report_rows(scope, f, member)
        .values("month")
        .annotate(on_time=Sum("on_time"), late=Sum("late_stopped"))
        .order_by()
        .values_list("month", "on_time", "late")
    }
    tz = timezone.get_current_timezone()
    for row in (
        _running_late(reports, now)
        .annotate(m=TruncMonth("complaint__created_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        month = timezone.localtime(row["m"]).date() if hasattr(row["m"], "hour") else row["m"]
        clocks.setdefault(month, {"on_time": 0, "late": 0})["late"] += row["n"]
    return figures.assemble_trend(f, by_month, clocks)


def _counted(qs, key):
    return [(value, n) for value, n in qs.values(key).annotate(n=Sum("reports")).order_by().values_list(key, "n")]


def kind_breakdown(scope, f, member):
    labels = dict(Kind.choices)
    rows = sorted(_counted(_report_rows(scope, f, member), "kind"), key=lambda r: (-r[1], r[0]))
    return [(kind, labels.get(kind, kind), n) for kind, n in rows]


def _named(rows, names):
    """[(id, name, n)], largest first, then by name (no name last, as PostgreSQL sorts NULL)."""
    items = [(pk, names.get(pk), n) for pk, n in rows]
    return sorted(items, key=lambda r: (-r[2], r[1] is None, r[1] or ""))


def category_breakdown(scope, f, member):
    rows = _counted(_report_rows(scope, f, member), "category_id")
    names = dict(Category.objects.filter(pk__in=[pk for pk, _n in rows if pk]).values_list("pk", "name"))
    return _named(rows, names)


def kecamatan_breakdown(scope, f, member):
    from agencies.models import Area

    rows = _counted(_report_rows(scope, f, member).filter(rahasia=False, kecamatan_id__isnull=False), "kecamatan_id")
    names = dict(Area.objects.filter(pk__in=[pk for pk, _n in rows]).values_list("pk", "name"))
    return _named(rows, names)


def _built():
    """The state of rollups that may be read (switched on and built), or None."""
    return state() if settings.DASHBOARD_ROLLUPS else None


def audit_figures(viewer, f, now=None):
    """What `_compute_dashboard_data` shows `viewer` (rows, totals, trend, breakdowns), or None."""
    built = _built()
    scope = viewer_scope(viewer) if built else None
    if scope is None:
        return None
    member = f.agency.pk if f.agency else scope.member
    if scope.member and member != scope.member:
        return None
    now = now or timezone.now()
    reports, row_reports, agencies = figures.audit_scopes(viewer, f)
    return {
        "rows": agency_rows(scope, scope.member, row_reports, agencies, f, now),
        "totals": status_totals(scope, f, member),
        "trend": monthly_trend(scope, f, member, reports, now),
        "kinds": kind_breakdown(scope, f, member),
        "categories": category_breakdown(scope, f, member),
        "kecamatan": kecamatan_breakdown(scope, f, member),
        "generated_at": built.refreshed_at,
    }


def head_figures(viewer, agency, f, now=None):
    """The head's panel (`head_panel`): the agency's row and the trend, or None."""
    built = _built()
    scope = viewer_scope(viewer) if built else None
    if scope is None or scope.member != agency.pk:
        return None
    now = now or timezone.now()
    from dataclasses import replace

    base = viewer.base()
    rows = agency_rows(
        scope,
        scope.member,
        figures.scope(base, replace(f, agency=None)),
        figures.top_agencies().filter(pk=agency.pk),
        f,
        now,
    )
    trend = monthly_trend(scope, f, scope.member, figures.scope(base, f), now)
    return {"rows": rows, "trend": trend, "generated_at": built.refreshed_at}


def public_figures(f, now=None):
    """The unsuppressed figures `figures.public_statistics` starts from, or None."""
    built = _built()
    if built is None:
        return None
    now = now or timezone.now()
    scope = public_scope()
    reports = figures.scope(figures.public_base(), f)
    agencies = figures.top_agencies().exclude(kind=figures.AgencyKind.DISKOMINFO)
    return {
        "totals": status_totals(scope, f, 0),
        "rows": agency_rows(scope, 0, reports, agencies, f, now),
        "trend": monthly_trend(scope, f, 0, reports, now),
        "kinds": kind_breakdown(scope, f, 0),
        "categories": category_breakdown(scope, f, 0),
        "kecamatan": kecamatan_breakdown(scope, f, 0),
        "generated_at": built.refreshed_at,
    }
