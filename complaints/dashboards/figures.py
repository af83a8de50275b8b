"""Dashboard figures (docs/product.md §3 aggregate rules, §7): reads only.

Every figure is computed in SQL over a *scope*, a queryset of reports: the auditor's and the head's
scope starts from `Complaint.objects.visible_to(user)` (so a number and the list behind it always
agree, and a drill-down never shows a report the viewer may not see); the public statistics start
from every verified report (`public_base`), because §3 counts rahasia reports in per-OPD figures so
that an agency cannot hide its failures there, while breakdowns by area leave them out.

Figures per top-level agency (units roll up to their OPD through `Agency.root`), for the reports
filed in the period:

- counts by report status, with the national recap's columns;
- on time / late: first follow-up (or information) clocks answered by their deadline / whose
  deadline passed without an answer by then (a clock handed over to a unit or an extension counts
  through its successor; one stopped in time for another reason, e.g. a return, is not counted);
- median first response: working days from a disposition to its first follow-up, the working days
  counted in SQL from the holiday table (`working_days_sql`), the median by `percentile_cont` on
  PostgreSQL (elsewhere from the same SQL values);
- overdue now, past the 60-day ceiling, escalations, returns, reopen rate, mean rating, sanctions.

Each figure costs one grouped query for all agencies together, so a dashboard costs the same number
of queries for one agency or fifty, for ten reports or a million.
"""

import dataclasses
import statistics
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay, Least, Mod, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from agencies import calendar
from agencies.models import Agency, AgencyKind, Holiday
from complaints import privacy
from complaints.common.suppression import SECONDARY, SUPPRESS_BELOW, UNBOUNDED, protect, suppress  # noqa: F401 - the public cells, re-exported
from complaints.deadlines.clocks import ANSWERED, FOLLOWUP_STOPS, HANDED_OVER
from complaints.models import (
    ACTIVE_DISPOSITION,
    Clock,
    ClockStep,
    Complaint,
    Disposition,
    Event,
    EventType,
    Kind,
    Sanction,
    Status,
    StepKind,
)

# The national recap's columns (SP4N-LAPOR!), in its order, with the status behind each; a column's
# heading is its status's name, capitalised as the recap writes the first two.
_RECAP_HEADINGS = {
    Status.BELUM_TERVERIFIKASI: _("Belum Terverifikasi"),
    Status.BELUM_DITINDAKLANJUTI: _("Belum Ditindaklanjuti"),
}
RECAP_COLUMNS = [
    ("total", _("Pengaduan")),
    *(
        (status, _RECAP_HEADINGS.get(status, status.label))
        for status in (
            Status.BELUM_TERVERIFIKASI,
            Status.BELUM_DITINDAKLANJUTI,
            Status.PROSES,
            Status.SELESAI,
            Status.TUNDA,
            Status.ARSIP,
        )
    ),
]
# The statuses the public may see counted: unverified and tunda reports are not public yet.
PUBLIC_STATUSES = (Status.BELUM_DITINDAKLANJUTI, Status.PROSES, Status.SELESAI, Status.ARSIP)
MAX_MONTHS = 36


# Filters ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """What a dashboard looks at: the months [start, end] (first days, inclusive), and optionally one
    top-level agency, a category, a kecamatan and a kind. Built from validated GET parameters."""

    start: date
    end: date
    agency: Agency | None = None
    category: object = None
    kecamatan: object = None
    kind: str = ""

    @property
    def bounds(self):
        return calendar.month_bounds(self.start)[0], calendar.month_bounds(self.end)[1]

    @property
    def months(self):
        result, month = [], self.start
        while month <= self.end:
            result.append(month)
            month = calendar.next_month(month)
        return result

    def params(self):
        """The GET parameters that rebuild these filters (for links and exports)."""
        data = {"dari": self.start.strftime("%Y-%m"), "sampai": self.end.strftime("%Y-%m")}
        if self.agency:
            data["opd"] = self.agency.slug
        if self.category:
            data["kategori"] = self.category.slug
        if self.kecamatan:
            data["kecamatan"] = self.kecamatan.code
        if self.kind:
            data["jenis"] = self.kind
        return data

    def cache_key(self, prefix):
        return prefix + ":" + ":".join(f"{k}={v}" for k, v in sorted(self.params().items()))


def default_period(now=None):
    """The last twelve months, this one included."""
    month = calendar.month_of(now or timezone.now())
    start = month
    for _i in range(11):
        start = calendar.previous_month(start)
    return start, month


# Who sees which dashboard ---------------------------------------------------------------------------
def top_agencies():
    """The agencies a dashboard has a row for: active top-level agencies that handle reports
    (observers only watch)."""
    return Agency.objects.filter(parent__isnull=True, is_active=True).exclude(kind=AgencyKind.OBSERVER)


class Viewer:
    """The auditor's dashboard for `user`: auditors and superadmins see every agency; a head sees
    their own agency (and its units) only; anyone else nothing."""

    def __init__(self, user):
        self.user = user
        memberships = user.memberships if getattr(user, "is_authenticated", False) else []
        self.reads_all = privacy.can(user, "audit_all")
        self.head_roots = {m.agency.root_id or m.agency_id for m in memberships if m.role == Role.HEAD and m.agency_id}

    @property
    def allowed(self):
        return self.reads_all or bool(self.head_roots)

    def agencies(self):
        qs = top_agencies()
        if not self.reads_all:
            qs = qs.filter(pk__in=self.head_roots)
        return qs

    def base(self):
        """Every report behind this viewer's figures: what they may see, and for a head only the
        reports disposed to their agency (the ones they work on)."""
        qs = Complaint.objects.visible_to(self.user)
        if not self.reads_all:
            qs = qs.filter(privacy.acting_filter(self.user, Role.HEAD))
        return qs

    def may_see_agency(self, agency):
        return self.reads_all or (agency is not None and agency.pk in self.head_roots)


def audit_scopes(viewer, f):
    """(reports, row reports, agencies) of `viewer`'s dashboard: the reports of the filters; the
    rows' reports, every report of the period (an agency's operator clocks are not "disposed to"
    it), the agency filter choosing which rows — the same scope as the drill-down behind each
    number; and the agencies that have a row."""
    base = viewer.base()
    agencies = viewer.agencies()
    if f.agency:
        agencies = agencies.filter(pk=f.agency.pk)
    return scope(base, f), scope(base, dataclasses.replace(f, agency=None)), agencies


def public_base():
    """Reports the public statistics count: verified ones, except those archived as invalid (before
    verification and when invalid a report is not public at all, docs/product.md §3)."""
    return Complaint.objects.filter(privacy.published_filter())


def _disposed_to(root_id, q=None):
    """Reports with a disposition to the agency `root_id` or a unit under it (meeting `q`)."""
    qs = Disposition.objects.filter(complaint_id=OuterRef("pk"))
    if root_id is not None:
        qs = qs.filter(agency__root_id=root_id)
    return Exists(qs.filter(q) if q is not None else qs)


def scope(base, f):
    """`base` narrowed to the reports filed in the period that match the filters."""
    start, end = f.bounds
    qs = base.filter(created_at__gte=start, created_at__lt=end)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.kecamatan:
        qs = qs.filter(kecamatan=f.kecamatan)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.agency:
        qs = qs.filter(_disposed_to(f.agency.pk))
    return qs


# Working days in SQL ------------------------------------------------------------------------------
EPOCH = date(2000, 1, 3)  # a Monday: day numbers count from it


class DayNumber(Func):
    """Days from EPOCH to a date expression, as an integer."""

    template = "(%(expressions)s - DATE '2000-01-03')"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - julianday('2000-01-03') AS INTEGER)",
            **extra,
        )


def _weekdays_through(day_number):
    """Monday–Friday days from EPOCH through the given day number, both included."""
    return (
        Value(5) * (day_number / Value(7))
        + Least(Mod(day_number, Value(7), output_field=IntegerField()), Value(4))
        + Value(1)
    )


def _holidays_through(ref, *, extra_working):
    """Holiday rows on or before the date `ref` that change the weekday count: days off on a
    weekday, or (extra_working) working days declared on a weekend. A difference of two of these
    counts the rows between two dates in either order, as `_HolidaysThrough` does on PostgreSQL."""
    qs = Holiday.objects.filter(date__lte=OuterRef(ref)).annotate(weekday=ExtractIsoWeekDay("date"))
    if extra_working:
        qs = qs.filter(kind=Holiday.Kind.WORKING_DAY, weekday__gte=6)
    else:
        qs = qs.exclude(kind=Holiday.Kind.WORKING_DAY).filter(weekday__lte=5)
    count = qs.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n")
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


class _HolidaysThrough(Func):
    """PostgreSQL: how many holiday rows of one sort fall on or before a day number, by binary
    search over the sorted day numbers of the table (`width_bucket`), which the planner computes
    once per query (an uncorrelated subquery), not once per row. The sentinel first element keeps
    the array non-empty; it counts for every day and cancels out in a difference."""

    output_field = IntegerField()

    def __init__(self, day_number, *, extra_working):
        super().__init__(day_number)
        self.extra_working = extra_working

    def as_sql(self, compiler, connection, **extra):
        day_sql, day_params = compiler.compile(self.source_expressions[0])
        working = Holiday.Kind.WORKING_DAY
        which = "h.kind = %s AND EXTRACT(ISODOW FROM h.date) >= 6" if self.extra_working else (
            "h.kind <> %s AND EXTRACT(ISODOW FROM h.date) <= 5"
        )  # fmt: skip
        table = connection.ops.quote_name(Holiday._meta.db_table)
        # A quoted table name and constant SQL; the holiday kind is a parameter.
        days = "(SELECT ARRAY[-1000000] || COALESCE(ARRAY_AGG(h.date - DATE '2000-01-03' ORDER BY h.date), "
        days += f"ARRAY[]::integer[]) FROM {table} h WHERE {which})"  # noqa: S608
        return f"WIDTH_BUCKET({day_sql}, {days})", [*day_params, working]


def with_working_days(qs, start_field, end_field, name="working_days"):
    """Annotate `name`: working days after the local date of `start_field` up to and including the
    local date of `end_field` (negative when it is earlier), in SQL, by the rule of docs/clocks.md
    ("Working days") that `agencies.calendar.working_days_between` also implements: Monday–Friday
    counted arithmetically, minus the holiday rows on weekdays, plus the declared working days on
    weekends (tests/dashboards/test_working_days.py compares the two).

    PostgreSQL counts the holidays in between by binary search over the holiday table read once
    per query (`_HolidaysThrough`); other databases with a correlated count per row and end."""
    tz = timezone.get_current_timezone()
    qs = qs.annotate(
        _wd_start=TruncDate(start_field, tzinfo=tz),
        _wd_end=TruncDate(end_field, tzinfo=tz),
    )
    start, end = DayNumber(F("_wd_start")), DayNumber(F("_wd_end"))
    weekdays = _weekdays_through(end) - _weekdays_through(start)
    if connection.vendor == "postgresql":

        def adjustment(day):
            return _HolidaysThrough(day, extra_working=True) - _HolidaysThrough(day, extra_working=False)

        return qs.annotate(**{name: weekdays + adjustment(end) - adjustment(start)})

    def adjustment_at(ref):
        return _holidays_through(ref, extra_working=True) - _holidays_through(ref, extra_working=False)

    return qs.annotate(**{name: weekdays + adjustment_at("_wd_end") - adjustment_at("_wd_start")})


class Median(Aggregate):
    """PostgreSQL's continuous median."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


def _responded(reports):
    """Top-level dispositions of `reports` that got a first follow-up (sub-dispositions hand their
    answer up to their parent, which keeps the OPD's own clock)."""
    return Disposition.objects.filter(complaint__in=reports, parent__isnull=True, first_followup_at__isnull=False)


def _medians(qs, key):
    """{key value: median of `working_days`} of an annotated queryset, grouped by `key`."""
    if connection.vendor == "postgresql":
        rows = qs.values(key).annotate(median=Median("working_days")).order_by()
        return {row[key]: row["median"] for row in rows}
    # Other databases have no percentile aggregate: the same SQL-computed values, one query.
    groups = {}
    for k, days in qs.values_list(key, "working_days").order_by():
        groups.setdefault(k, []).append(days)
    return {k: statistics.median(v) for k, v in groups.items()}


def median_first_response(reports, key="agency__root"):
    """{top-level agency id: median working days to the first follow-up} for `reports`."""
    return _medians(with_working_days(_responded(reports), "created_at", "first_followup_at"), key)


# Figures per agency -----------------------------------------------------------------------------------
def _distinct(q=None):
    return Count("complaint", distinct=True, filter=q)


def _grouped(qs, key, **aggregates):
    return {row.pop(key): row for row in qs.values(key).annotate(**aggregates).order_by()}


def first_response_clocks(clocks):
    """The first follow-up (or information) clocks among `clocks`, without those handed over to a
    successor (a unit's sub-disposition, an extension), which count through it."""
    return clocks.filter(kind__in=FOLLOWUP_STOPS).exclude(stop_reason__in=HANDED_OVER)


def _first_response_clocks(reports):
    return first_response_clocks(Clock.objects.filter(complaint__in=reports))


def answered_in_time():
    return Q(stop_reason__in=ANSWERED, stopped_at__isnull=False, stopped_at__lte=F("due_at"))


def late(now):
    return Q(due_at__lt=now) & ~Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"))


def overdue(now):
    """A disposition still waiting for its follow-up past its deadline."""
    return Q(status__in=ACTIVE_DISPOSITION, due_at__lt=now)


def rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


@dataclass
class AgencyRow:
    agency: Agency
    counts: dict = field(default_factory=dict)  # RECAP_COLUMNS keys -> reports
    on_time: int = 0
    late: int = 0
    median: float | None = None
    responded: int = 0
    overdue: int = 0
    ceiling: int = 0
    escalated: int = 0
    returned: int = 0
    reopened: int = 0
    closed: int = 0
    rated: int = 0
    mean_rating: float | None = None
    sanctions: int = 0
    sanctions_confirmed: int = 0

    @property
    def on_time_rate(self):
        return rate(self.on_time, self.on_time + self.late)

    @property
    def reopen_rate(self):
        return rate(self.reopened, self.closed)

    @property
    def deadlines(self):
        return self.on_time + self.late


def agency_rows(reports, agencies, f, now=None):
    """One `AgencyRow` per agency of `agencies` with its figures over `reports` (a scope). Eight
    queries, whatever the number of agencies or reports."""
    now = now or timezone.now()
    agencies = list(agencies)
    ids = [a.pk for a in agencies]
    dispositions = Disposition.objects.filter(complaint__in=reports, agency__root_id__in=ids)
    counts = _grouped(
        dispositions,
        "agency__root",
        total=_distinct(),
        **{status: _distinct(Q(complaint__status=status)) for status in Status.values},
        overdue=_distinct(overdue(now)),
        ceiling=_distinct(Q(ceiling_passed=True)),
        reopened=_distinct(Q(complaint__reopen_count__gt=0)),
        closed=_distinct(Q(complaint__closed_at__isnull=False) | Q(complaint__reopen_count__gt=0)),
        rated=_distinct(Q(complaint__rating__isnull=False)),
        # The mean rating of distinct reports, exactly: ratings are 1–5, so count each value.
        **{f"rating_{k}": _distinct(Q(complaint__rating=k)) for k in range(1, 6)},
    )
    clocks = _grouped(
        _first_response_clocks(reports).filter(agency_id__in=ids),
        "agency",
        on_time=Count("pk", filter=answered_in_time()),
        late=Count("pk", filter=late(now)),
    )
    escalations = _grouped(
        ClockStep.objects.filter(
            step=StepKind.ESCALATED, skipped=False, clock__complaint__in=reports, clock__agency_id__in=ids
        ),
        "clock__agency",
        n=Count("pk"),
    )
    returns = _grouped(
        Event.objects.filter(type=EventType.RETURNED, complaint__in=reports, disposition__agency__root_id__in=ids),
        "disposition__agency__root",
        n=Count("pk"),
    )
    responded = _grouped(_responded(reports).filter(agency__root_id__in=ids), "agency__root", n=Count("pk"))
    medians = median_first_response(reports.filter(_disposed_to(None)), "agency__root")
    return assemble_rows(
        agencies,
        counts,
        clocks=clocks,
        escalations=escalations,
        returns=returns,
        responded=responded,
        medians=medians,
        sanctions=sanction_counts(ids, f),
    )


def sanction_counts(ids, f):
    """{agency id: {n, confirmed}}: the TPP recommendations of the period's months."""
    return _grouped(
        Sanction.objects.filter(agency_id__in=ids, month__gte=f.start, month__lte=f.end),
        "agency",
        n=Count("pk"),
        confirmed=Count("pk", filter=Q(status=Sanction.Status.CONFIRMED)),
    )


def assemble_rows(agencies, counts, *, clocks, escalations, returns, responded, medians, sanctions):
    """The `AgencyRow`s from the grouped figures ({agency id: {name: value}}), whichever source
    computed them: the reports themselves (`agency_rows`) or the rollups
    (`complaints.dashboards.rollups`)."""
    rows = []
    for a in agencies:
        c = counts.get(a.pk, {})
        rated = c.get("rated", 0)
        if "rating_sum" in c:
            rating_sum = c["rating_sum"]
        else:
            rating_sum = sum(k * c.get(f"rating_{k}", 0) for k in range(1, 6))
        row = AgencyRow(
            agency=a,
            counts={key: c.get(key, 0) for key, _label in RECAP_COLUMNS},
            on_time=clocks.get(a.pk, {}).get("on_time", 0),
            late=clocks.get(a.pk, {}).get("late", 0),
            median=medians.get(a.pk),
            responded=responded.get(a.pk, {}).get("n", 0),
            overdue=c.get("overdue", 0),
            ceiling=c.get("ceiling", 0),
            escalated=escalations.get(a.pk, {}).get("n", 0),
            returned=returns.get(a.pk, {}).get("n", 0),
            reopened=c.get("reopened", 0),
            closed=c.get("closed", 0),
            rated=rated,
            mean_rating=round(rating_sum / rated, 2) if rated else None,
            sanctions=sanctions.get(a.pk, {}).get("n", 0),
            sanctions_confirmed=sanctions.get(a.pk, {}).get("confirmed", 0),
        )
        rows.append(row)
    return rows


def status_totals(reports):
    """{recap column key: reports} in one query."""
    return reports.aggregate(
        total=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in Status.values}
    )


def breakdown(reports, key, label_field):
    """[(key value, label, count)] of `reports` grouped by a related row, largest first."""
    rows = reports.values(key, label_field).annotate(n=Count("pk")).order_by("-n", label_field)
    return [(r[key], r[label_field], r["n"]) for r in rows]


def kind_breakdown(reports):
    labels = dict(Kind.choices)
    rows = reports.values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
    return [(r["kind"], labels.get(r["kind"], r["kind"]), r["n"]) for r in rows]


def monthly_trend(reports, f, now=None):
    """[{month, total, <status>…, on_time, late, rate}] for every month of the period (two queries),
    by month of filing."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    by_month = {
        timezone.localtime(row["m"]).date() if hasattr(row["m"], "hour") else row["m"]: row
        for row in reports.annotate(m=TruncMonth("created_at", tzinfo=tz))
        .values("m")
        .annotate(total=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in Status.values})
        .order_by()
    }
    clocks = {
        timezone.localtime(row["m"]).date() if hasattr(row["m"], "hour") else row["m"]: row
        for row in _first_response_clocks(reports)
        .annotate(m=TruncMonth("complaint__created_at", tzinfo=tz))
        .values("m")
        .annotate(on_time=Count("pk", filter=answered_in_time()), late=Count("pk", filter=late(now)))
        .order_by()
    }
    return assemble_trend(f, by_month, clocks)


def assemble_trend(f, by_month, clocks):
    """The trend rows of every month of the period from {month: {total, <status>…}} and
    {month: {on_time, late}}, whichever source computed them."""
    result = []
    for month in f.months:
        row = {"month": month, "total": 0, **{s: 0 for s in Status.values}, "on_time": 0, "late": 0}
        row.update({k: v for k, v in by_month.get(month, {}).items() if k != "m"})
        row.update({k: v for k, v in clocks.get(month, {}).items() if k != "m"})
        row["rate"] = rate(row["on_time"], row["on_time"] + row["late"])
        result.append(row)
    return result


# Drill-down -------------------------------------------------------------------------------------
METRICS = {
    "total": _("Semua laporan"),
    **{status: label for status, label in Status.choices},
    "on_time": _("Tindak lanjut pertama tepat waktu"),
    "late": _("Tindak lanjut pertama terlambat"),
    "responded": _("Sudah ditindaklanjuti (dasar median)"),
    "overdue": _("Lewat tenggat sekarang"),
    "ceiling": _("Lewat 60 hari"),
    "escalated": _("Dieskalasi"),
    "returned": _("Dikembalikan (bukan kewenangan)"),
    "reopened": _("Dibuka kembali"),
    "rated": _("Dinilai pelapor"),
}


def metric_filter(metric, root_id, now=None):
    """The condition on a report behind one figure of the agency `root_id` (None: any agency)."""
    now = now or timezone.now()
    if metric in Status.values:
        return Q(status=metric) & _disposed_to(root_id) if root_id else Q(status=metric)
    if metric == "total":
        return _disposed_to(root_id) if root_id else Q(pk__isnull=False)
    if metric in ("on_time", "late"):
        clocks = Clock.objects.filter(complaint_id=OuterRef("pk"), kind__in=FOLLOWUP_STOPS).exclude(
            stop_reason__in=HANDED_OVER
        )
        if root_id:
            clocks = clocks.filter(agency_id=root_id)
        return Exists(clocks.filter(answered_in_time() if metric == "on_time" else late(now)))
    if metric == "escalated":
        steps = ClockStep.objects.filter(clock__complaint_id=OuterRef("pk"), step=StepKind.ESCALATED, skipped=False)
        return Exists(steps.filter(clock__agency_id=root_id) if root_id else steps)
    if metric == "returned":
        events = Event.objects.filter(complaint_id=OuterRef("pk"), type=EventType.RETURNED)
        return Exists(events.filter(disposition__agency__root_id=root_id) if root_id else events)
    disposition_q = {
        "overdue": overdue(now),
        "ceiling": Q(ceiling_passed=True),
        "responded": Q(parent__isnull=True, first_followup_at__isnull=False),
        "reopened": Q(complaint__reopen_count__gt=0),
        "rated": Q(complaint__rating__isnull=False),
    }
    if metric in disposition_q:
        return _disposed_to(root_id, disposition_q[metric])
    raise KeyError(metric)


def drilldown(reports, metric, root_id=None, now=None):
    """The reports behind one figure: `reports` (the viewer's scope) meeting `metric_filter`."""
    return (
        reports.filter(metric_filter(metric, root_id, now))
        .select_related("category", "kecamatan")
        .order_by("-created_at", "-pk")
    )


# Public statistics ----------------------------------------------------------------------------------
def _protected(items, index):
    """`items` (tuples) with their count at `index` replaced by the protected cell."""
    cells = protect([item[index] for item in items])
    return [(*item[:index], cell, *item[index + 1 :]) for item, cell in zip(items, cells, strict=True)]


def public_rate(part, whole):
    """A public percentage, only when it rests on at least five cases."""
    return rate(part, whole) if whole >= SUPPRESS_BELOW else None


def public_statistics(f, now=None):
    """Everything /statistik/ shows, already suppressed, as plain data (cacheable). Per-OPD figures
    and the totals count rahasia reports; the kecamatan breakdown leaves them out."""
    now = now or timezone.now()
    from complaints.dashboards import rollups

    data = rollups.public_figures(f, now) or _public_figures(f, now)
    totals, rows, trend = data["totals"], data["rows"], data["trend"]
    # Each group whose sum is known is protected as a whole (complementary suppression): the
    # status columns (their sum is the total), each breakdown, each scoreboard and trend column.
    statuses = [key for key, _label in RECAP_COLUMNS if key in PUBLIC_STATUSES]
    status_cells = dict(zip(statuses, protect([totals[key] for key in statuses]), strict=True))
    status_cells["total"] = suppress(totals["total"])
    board = {
        column: protect([value(r) for r in rows])
        for column, value in (
            ("total", lambda r: r.counts["total"]),
            ("selesai", lambda r: r.counts[Status.SELESAI]),
            ("overdue", lambda r: r.overdue),
        )
    }
    trend_total = protect([row["total"] for row in trend])
    trend_selesai = protect([row[Status.SELESAI] for row in trend])
    return {
        "totals": [(key, str(label), status_cells[key]) for key, label in RECAP_COLUMNS if _public_column(key)],
        "kinds": _protected([(key, str(label), n) for key, label, n in data["kinds"]], 2),
        "categories": _protected(data["categories"], 2),
        "kecamatan": _protected(data["kecamatan"], 2),
        "scoreboard": [
            {
                "agency": r.agency.name,
                "slug": r.agency.slug,
                "total": board["total"][i],
                "selesai": board["selesai"][i],
                "on_time_rate": public_rate(r.on_time, r.deadlines),
                "overdue": board["overdue"][i],
                "median": r.median if r.responded >= SUPPRESS_BELOW else None,
            }
            for i, r in enumerate(rows)
        ],
        # Exact values only where they are shown: the chart draws a hidden month as an empty bar
        # labelled as the table says, so no hidden number leaves the server.
        "trend": [
            {
                "month": row["month"],
                "total": trend_total[i] if isinstance(trend_total[i], int) else None,
                "total_shown": trend_total[i],
                "selesai_shown": trend_selesai[i],
                "rate": public_rate(row["on_time"], row["on_time"] + row["late"]),
            }
            for i, row in enumerate(trend)
        ],
        "generated_at": data.get("generated_at") or now,
    }


def _public_figures(f, now):
    """The figures /statistik/ starts from, computed from the reports."""
    reports = scope(public_base(), f)
    area_reports = privacy.for_area_breakdown(reports)
    return {
        "totals": status_totals(reports),
        "rows": agency_rows(reports, top_agencies().exclude(kind=AgencyKind.DISKOMINFO), f, now),
        "trend": monthly_trend(reports, f, now),
        "kinds": kind_breakdown(reports),
        "categories": breakdown(reports, "category", "category__name"),
        "kecamatan": breakdown(area_reports.filter(kecamatan__isnull=False), "kecamatan", "kecamatan__name"),
    }


def _public_column(key):
    return key == "total" or key in PUBLIC_STATUSES
