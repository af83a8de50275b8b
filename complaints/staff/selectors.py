"""Staff work lists (reads only): the operator's queue, the liaison's inbox and the head's view
(docs/product.md §2, §7).

Every list starts from `Complaint.objects.visible_to(user)` narrowed by
`privacy.acting_filter(user, role)` (the reports on which the user works in that role), and every
disposition list from dispositions of the user's agencies whose report is in that set. Related rows
are joined or prefetched here so a page costs the same number of queries for 1 row or 50.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role
from agencies import calendar, reference
from complaints import privacy
from complaints.common import search
from complaints.common.pagination import Grouped, cached_aggregate
from complaints.deadlines.clocks import ANSWERED, FOLLOWUP_STOPS, HANDED_OVER
from complaints.models import (
    ACTIVE_DISPOSITION,
    Clock,
    Disposition,
    DispositionStatus,
    Event,
    EventType,
    Status,
)

MONITORED = (Status.BELUM_DITINDAKLANJUTI, Status.PROSES)


# Countdowns ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Countdown:
    """A deadline as staff read it: working days left, due today, or working days late."""

    due: datetime
    days: int  # working days left (not overdue) or late (overdue), never negative
    overdue: bool

    @property
    def today(self):
        return not self.overdue and self.days == 0


class Countdowns:
    """Working days from `now` to each deadline, computed once per distinct date (queues repeat
    the same few dates, and each computation walks the holiday calendar), and each countdown once
    per distinct deadline (most are the end of a working day)."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self._memo = {}
        self._countdowns = {}

    def __call__(self, due):
        if due is None:
            return None
        countdown = self._countdowns.get(due)
        if countdown is None:
            day = calendar.local_date(due)
            if day not in self._memo:
                self._memo[day] = calendar.working_days_between(self.now, due)
            days = self._memo[day]
            overdue = due < self.now
            countdown = Countdown(due=due, days=max(-days, 0) if overdue else max(days, 0), overdue=overdue)
            self._countdowns[due] = countdown
        return countdown


# The operator's queue --------------------------------------------------------------------------
class Tab:
    UNVERIFIED = "belum"
    TUNDA = "tunda"
    RETURNED = "dikembalikan"
    MONITOR = "dipantau"
    ALL = (UNVERIFIED, TUNDA, RETURNED, MONITOR)


def _pending_return():
    return Exists(Disposition.objects.filter(complaint_id=OuterRef("pk"), return_pending=True))


def operator_reports(user):
    """Every report the user works on as an operator: the acting branch of the privacy rule
    (`privacy.acting_reports`), the same rows as `visible_to(user)` narrowed to it."""
    return privacy.acting_reports(user, Role.OPERATOR)


def filter_reports(qs, filters):
    """Narrow by the queue's GET filters (already validated by the form): kind, category, channel,
    kecamatan."""
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("kecamatan"):
        qs = qs.filter(kecamatan=filters["kecamatan"])
    return qs


def tab_counts(user, filters=None):
    """{tab: count} in one query (the same filters as the list, without "overdue only")."""
    qs = filter_reports(operator_reports(user), filters or {})
    # Only the open statuses count in any tab: said in WHERE, the count reads the open reports
    # through the status index instead of every report ever filed.
    qs = qs.filter(status__in=(Status.BELUM_TERVERIFIKASI, Status.TUNDA, *MONITORED)).annotate(
        pending=_pending_return()
    )
    counts = cached_aggregate(
        qs,
        belum=Count("pk", filter=Q(status=Status.BELUM_TERVERIFIKASI)),
        tunda=Count("pk", filter=Q(status=Status.TUNDA)),
        dikembalikan=Count("pk", filter=Q(pending=True, status__in=MONITORED)),
        dipantau=Count("pk", filter=Q(status__in=MONITORED)),
    )
    return counts


# What a row of the operator's queue shows (templates/staff/queue.html): the report's other
# columns are not read (tests/staff/test_queries.py would see a column read later, one query a row).
QUEUE_ROW_FIELDS = (
    "tracking_id",
    "title",
    "created_at",
    "privacy",
    "oversight",
    "kind",
    "channel",
    "category__name",
    "kecamatan__name",
)


def operator_queue(user, tab, filters=None, now=None):
    """The rows of one tab, sorted by the deadline that binds the operator (or the OPD, for the
    monitor), each annotated with `queue_due` (the deadline shown)."""
    now = now or timezone.now()
    filters = filters or {}
    qs = filter_reports(operator_reports(user), filters).select_related("category", "kecamatan").only(*QUEUE_ROW_FIELDS)
    if tab == Tab.TUNDA:
        qs = qs.filter(status=Status.TUNDA).annotate(queue_due=F("tunda_due_at"))
    elif tab == Tab.RETURNED:
        qs = qs.filter(_pending_return(), status__in=MONITORED).annotate(queue_due=F("redisposition_due_at"))
        qs = qs.prefetch_related(
            Prefetch(
                "dispositions",
                queryset=Disposition.objects.filter(return_pending=True).select_related("agency"),
                to_attr="pending_returns",
            )
        )
    elif tab == Tab.MONITOR:
        # Each row's dispositions, and whether a live one passed its 60-day ceiling, are read for
        # the page by `with_dispositions` (an annotation would make PostgreSQL compute the ceiling
        # for every monitored report to give 25 of them).
        qs = qs.filter(status__in=MONITORED).annotate(queue_due=F("monitor_due_at"))
    else:
        qs = qs.filter(status=Status.BELUM_TERVERIFIKASI).annotate(queue_due=F("verification_due_at"))
    if filters.get("overdue"):
        overdue = Q(queue_due__lt=now)
        if tab == Tab.MONITOR:
            overdue |= Exists(
                Disposition.objects.filter(
                    complaint_id=OuterRef("pk"), ceiling_passed=True, status__in=ACTIVE_DISPOSITION
                )
            )
        qs = qs.filter(overdue)
    return qs.order_by(F("queue_due").asc(nulls_last=True), "created_at", "pk")


def with_dispositions(rows):
    """The rows of the monitored tab, each with `all_dispositions` (its dispositions, oldest first,
    with their agency) and `ceiling` (whether a live one passed its 60-day ceiling), in one query
    for the page (cheaper than prefetch_related's machinery for the same query)."""
    by_report = {c.pk: c for c in rows}
    for c in rows:
        c.all_dispositions = []
    dispositions = Disposition.objects.filter(complaint_id__in=by_report).select_related("agency")
    for d in dispositions.order_by("created_at", "pk"):
        by_report[d.complaint_id].all_dispositions.append(d)
    for c in rows:
        c.ceiling = any(d.ceiling_passed and d.status in ACTIVE_DISPOSITION for d in c.all_dispositions)
    return rows


# How many open reports of the same category and kecamatan the review page compares a report with.
SIMILAR_CANDIDATES = 50
# What the review page shows of each (templates/staff/review.html, "Laporan serupa").
SIMILAR_FIELDS = ("tracking_id", "title", "status", "created_at", "category_id", "kecamatan_id", "kelurahan_id")


def similar_reports(complaint, user, limit=8):
    """Possible duplicates for the review page, among the newest `SIMILAR_CANDIDATES` open reports
    of the same category and kecamatan that the operator works on (unverified ones too: duplicates
    usually arrive together; a report without a category is compared with the others without one,
    one without a kecamatan with those of its category anywhere): those whose words resemble the
    report's first, ranked as the citizens' "similar reports" are (`search.rank_similar`), then the
    others, newest first. The candidates are read in the order of the partial index
    `complaint_open_category_area`, so the page costs the same queries and time whatever the
    report holds and however many reports match a common word.

    Which reports were found is kept for LIST_COUNT_CACHE_SECONDS under the report's version
    (`updated_at`, category, kecamatan) and the operator's scope; the reports themselves are read
    again each time (the same single query), so one closed or merged since, or one the operator no
    longer works on, drops out at once. A report filed since shows once the time is up."""
    candidates = operator_reports(user).open().filter(category_id=complaint.category_id).exclude(pk=complaint.pk)
    if complaint.kecamatan_id:
        candidates = candidates.filter(kecamatan_id=complaint.kecamatan_id)
    key = "similar-reports:" + ":".join(
        str(part)
        for part in (
            complaint.pk,
            complaint.updated_at.isoformat(),
            complaint.category_id,
            complaint.kecamatan_id,
            privacy.scope_key(user),
            limit,
            SIMILAR_CANDIDATES,
        )
    )
    kept = cache.get(key)
    if kept:
        chosen = candidates.filter(pk__in=[pk for pk, _similar in kept]).only(*SIMILAR_FIELDS).order_by()
        rows = {c.pk: c for c in chosen}
        found = [search.marked(rows[pk], similar) for pk, similar in kept if pk in rows]
    else:
        newest = candidates.order_by("-created_at", "-pk")
        text = f"{complaint.title} {complaint.body}"
        found = search.rank_similar(newest, text, limit, SIMILAR_CANDIDATES, fields=SIMILAR_FIELDS)
        if found:  # an empty list is looked for again: the next page costs the same one query
            cache.set(key, [(c.pk, c.similar) for c in found], settings.LIST_COUNT_CACHE_SECONDS)
    for c in found:  # what the page shows of them, from the rows kept per process
        reference.attach(c, category="categories", kecamatan="areas", kelurahan="areas")
    return found


# The OPD side ----------------------------------------------------------------------------------
def agencies_for(user, *roles):
    """The agencies the user holds one of `roles` in, in a stable order, without duplicates."""
    seen, result = set(), []
    for m in user.memberships:
        if m.role in roles and m.agency_id and m.agency_id not in seen:
            seen.add(m.agency_id)
            result.append(m.agency)
    return sorted(result, key=lambda a: (a.name, a.pk))


def agency_dispositions(user, agency, *roles):
    """Dispositions to `agency` and the units under it whose report the user works on through
    one of `roles` (liaison, head)."""
    ids = agency.descendants_and_self_ids()
    return Disposition.objects.filter(agency_id__in=ids).filter(privacy.acting_dispositions_filter(user, ids, *roles))


class InboxStatus:
    ACTIVE = "aktif"
    EVERYTHING = "semua"
    CHOICES = (ACTIVE, *DispositionStatus.values, EVERYTHING)


def _by_status(qs, status):
    if status == InboxStatus.EVERYTHING:
        return qs
    if status in DispositionStatus.values:
        return qs.filter(status=status)
    return qs.filter(status__in=ACTIVE_DISPOSITION)


def _filtered(status, overdue_only, now, via=""):
    """What `_by_status` and "overdue only" keep, as a condition on the disposition `via` leads to
    ("parent__": a row's parent disposition)."""
    q = Q()
    if status in DispositionStatus.values:
        q &= Q(**{f"{via}status": status})
    elif status != InboxStatus.EVERYTHING:
        q &= Q(**{f"{via}status__in": ACTIVE_DISPOSITION})
    if overdue_only:
        q &= Q(**{f"{via}status__in": ACTIVE_DISPOSITION, f"{via}due_at__lt": now})
    return q


def status_counts(qs):
    """{disposition status: count} of a disposition queryset in one query, plus active and overdue."""
    now = timezone.now()
    return cached_aggregate(
        qs,
        aktif=Count("pk", filter=Q(status__in=ACTIVE_DISPOSITION)),
        overdue=Count("pk", filter=Q(status__in=ACTIVE_DISPOSITION, due_at__lt=now)),
        ceiling=Count("pk", filter=Q(status__in=ACTIVE_DISPOSITION, ceiling_passed=True)),
        semua=Count("pk"),
        **{s: Count("pk", filter=Q(status=s)) for s in DispositionStatus.values},
    )


def listed_count(counts, status, overdue_only=False):
    """The length of `inbox(…, status, overdue_only)` read from the `status_counts` of the same
    dispositions, or None where no heading counts exactly that list."""
    if overdue_only:
        return counts["overdue"] if status in (InboxStatus.EVERYTHING, InboxStatus.ACTIVE) else None
    if status == InboxStatus.EVERYTHING:
        return counts["semua"]
    if status in DispositionStatus.values:
        return counts[status]
    return counts["aktif"]


def inbox(user, agency, status=InboxStatus.ACTIVE, overdue_only=False, now=None, *, one_row_per_report=False):
    """A liaison's inbox for one of their agencies: nearest deadline first (the first follow-up
    while it runs, then the 60-day ceiling); finished and returned ones after, newest first.

    `one_row_per_report` (the liaison's inbox): a unit's sub-disposition whose parent disposition
    is listed too is not a row of its own: the parent's row lists it (`with_units`) and sorts by
    the unit's deadline while its own clock is handed over. A sub-disposition whose parent the
    filter leaves out (another status, not overdue) stays a row, so nothing to act on is hidden.
    That deadline is stored (`Disposition.next_due_at`, kept by `complaints.deadlines.clocks`), so
    the inbox reads its live rows in the order of the index `disposition_live_next_due`."""
    now = now or timezone.now()
    qs = _by_status(agency_dispositions(user, agency, Role.LIAISON, Role.HEAD), status)
    if overdue_only:
        qs = qs.filter(status__in=ACTIVE_DISPOSITION, due_at__lt=now)
    # Only a live disposition has a deadline to sort by: a finished one keeps its 60-day
    # settlement deadline as evidence, which must not order the history oldest first.
    if one_row_per_report:
        # The parent is listed when it is a disposition of this subtree that the filter keeps (the
        # same conditions as `inbox_counts`); the visibility rule, a condition on the report, holds
        # for it when it holds for the row. Read through the parent's primary key (one lookup for a
        # sub-disposition, none for the others), not `parent_id IN (the whole list)`: reading one
        # page would otherwise compute the whole list again.
        parent_listed = Q(parent__agency_id__in=agency.descendants_and_self_ids()) & _filtered(
            status, overdue_only, now, via="parent__"
        )
        qs = qs.filter(Q(parent_id__isnull=True) | ~parent_listed)
        # Already None for a disposition that is not live.
        live_due = F("next_due_at")
    else:
        live_due = Case(When(status__in=ACTIVE_DISPOSITION, then=Coalesce(F("due_at"), F("settlement_due_at"))))
    qs = qs.annotate(next_due=live_due).select_related(
        "complaint", "complaint__category", "complaint__kecamatan", "agency", "parent__agency"
    )
    live = ExpressionWrapper(Q(status__in=ACTIVE_DISPOSITION), output_field=BooleanField())
    return qs.annotate(live=live).order_by(F("live").desc(), F("next_due").asc(nulls_last=True), "-created_at", "pk")


# What a row of the liaison's inbox shows (templates/staff/inbox.html, views._with_countdowns): the
# other columns, most of them the report's, are not read (tests/staff/test_queries.py would see a
# column read later, one query a row).
INBOX_ROW_FIELDS = (
    "complaint_id",
    "agency_id",
    "parent_id",
    "status",
    "created_at",
    "due_at",
    "settlement_due_at",
    "first_followup_at",
    "ceiling_passed",
    "complaint__tracking_id",
    "complaint__title",
    "complaint__kind",
    "complaint__category__name",
    "complaint__kecamatan__name",
    "agency__name",
)


def inbox_rows(user, agency):
    """Where the liaison's inbox reads a page's rows by key (`live_first`'s `read`): the
    dispositions of the agency's subtree on reports the user works on, with what a row shows. The
    list's own conditions (status, one row per report) chose the keys already; said again, they
    cost more to plan than the 25 rows cost to read."""
    return (
        agency_dispositions(user, agency, Role.LIAISON, Role.HEAD)
        .select_related("complaint", "complaint__category", "complaint__kecamatan", "agency")
        .only(*INBOX_ROW_FIELDS)
    )


def with_units(rows):
    """The rows of a one-row-per-report inbox, each with `units`: its sub-dispositions (agency,
    status), in one query for the page."""
    by_parent = {d.pk: d for d in rows}
    for d in rows:
        d.units = []
    children = Disposition.objects.filter(parent_id__in=by_parent).select_related("agency").order_by("created_at", "pk")
    for child in children:
        by_parent[child.parent_id].units.append(child)
    return rows


def inbox_counts(user, agency, now=None):
    """`status_counts` of the liaison's one-row-per-report inbox: a sub-disposition counts only
    where its parent disposition, in the same OPD, is not counted under the same heading."""
    now = now or timezone.now()
    ids = agency.descendants_and_self_ids()
    qs = agency_dispositions(user, agency, Role.LIAISON, Role.HEAD)
    own_row = Q(parent__isnull=True) | ~Q(parent__agency_id__in=ids)

    def rows(q, parent_q):
        return Count("pk", filter=q & (own_row | ~parent_q))

    active, parent_active = Q(status__in=ACTIVE_DISPOSITION), Q(parent__status__in=ACTIVE_DISPOSITION)
    return cached_aggregate(
        qs,
        key="one-row-per-report",
        aktif=rows(active, parent_active),
        overdue=rows(active & Q(due_at__lt=now), parent_active & Q(parent__due_at__lt=now)),
        ceiling=rows(active & Q(ceiling_passed=True), parent_active & Q(parent__ceiling_passed=True)),
        semua=Count("pk", filter=own_row),
        **{s: rows(Q(status=s), Q(parent__status=s)) for s in DispositionStatus.values},
    )


def live_first(qs, status, overdue_only=False, read=None):
    """An inbox (`inbox`, `head_dispositions` with the same `status` and `overdue_only`) for pagination, in the inbox's
    own order — the live dispositions by nearest deadline, then the finished and returned ones
    newest first — read as groups (`pagination.Grouped`) instead of one sort over every
    disposition an OPD ever had. Only the groups the status filter can match are read; the page's
    rows are read from `read` when given (`inbox_rows`)."""
    groups = []
    if status not in DispositionStatus.values or status in ACTIVE_DISPOSITION:
        live = (F("next_due").asc(nulls_last=True), F("created_at").desc(), F("pk").asc())
        # Every status but "semua" (and "overdue only") already keeps only live rows: the condition
        # said twice would make PostgreSQL count its selectivity twice, expect a few hundred rows
        # where an OPD has thousands, and sort them all instead of walking the deadline index.
        already_live = status != InboxStatus.EVERYTHING or overdue_only
        groups.append((qs if already_live else qs.filter(status__in=ACTIVE_DISPOSITION), live))
    inactive = status == InboxStatus.EVERYTHING or (
        status in DispositionStatus.values and status not in ACTIVE_DISPOSITION
    )
    if inactive and not overdue_only:  # only a live disposition can be overdue
        groups.append((qs.exclude(status__in=ACTIVE_DISPOSITION), (F("created_at").desc(), F("pk").asc())))
    return Grouped(qs, groups, read=read)


HANDLING_EVENTS = (
    EventType.FOLLOWUP,
    EventType.QUESTION,
    EventType.SUBDISPOSED,
    EventType.RETURNED,
    EventType.FINISHED,
    EventType.EXTENDED,
)


def head_dispositions(user, agency, status=InboxStatus.EVERYTHING, overdue_only=False, now=None):
    """Every disposition of the head's agency and its units, with `handling` (the staff who
    followed up, asked, sub-disposed, returned or finished it: internal, names are shown)."""
    qs = inbox(user, agency, status, overdue_only, now)
    return qs.prefetch_related(
        Prefetch(
            "events",
            queryset=Event.objects.filter(type__in=HANDLING_EVENTS)
            .select_related("actor")
            .order_by("created_at", "pk"),
            to_attr="handling",
        )
    )


def on_time_rate(user, agency, now=None):
    """This month's first-response record of `agency` (and its units), in SQL over the clock rows
    (a disposition's `due_at` is cleared when its clock stops, so the clocks keep the evidence):

    - on time: a first follow-up (or information) clock answered on or before its deadline,
      counted in the month it was answered;
    - late: a clock whose deadline passed in this month without an answer by then (answered later,
      or not yet), counted in the month of its deadline.

    A clock handed over (sub-disposition, extension) counts through its successor; one stopped in
    time for another reason (returned, archived) is not counted. Returns
    {"on_time", "late", "rate" (0–100, or None without any)}."""
    now = now or timezone.now()
    start, end = calendar.month_bounds(calendar.month_of(now))
    dispositions = agency_dispositions(user, agency, Role.HEAD, Role.LIAISON)
    this_month = Q(stopped_at__gte=start, stopped_at__lt=end) | Q(due_at__gte=start, due_at__lt=min(now, end))
    # Only the clocks of this month, found through the agency every clock of its dispositions is
    # held to (its top-level OPD: the partial indexes clock_followup_due and clock_followup_stopped),
    # not by reading the clocks of every disposition it ever had.
    clocks = Clock.objects.filter(
        this_month,
        kind__in=FOLLOWUP_STOPS,
        agency_id=agency.root_id or agency.pk,
        disposition__in=dispositions.values("pk"),
    ).exclude(stop_reason__in=HANDED_OVER)
    answered_in_time = Q(stop_reason__in=ANSWERED, stopped_at__lte=F("due_at"))
    stopped_in_time = Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"))
    # Cached like the list totals (it reads the clocks of every disposition the agency ever had),
    # per month; "now" makes it at most LIST_COUNT_CACHE_SECONDS old.
    result = cached_aggregate(
        clocks,
        key=f"{start:%Y-%m}",
        on_time=Count("pk", filter=answered_in_time & Q(stopped_at__gte=start, stopped_at__lt=end)),
        late=Count("pk", filter=Q(due_at__gte=start, due_at__lt=min(now, end)) & ~stopped_in_time),
    )
    total = result["on_time"] + result["late"]
    result["rate"] = round(100 * result["on_time"] / total) if total else None
    return result
