"""Working-day and month arithmetic (docs/product.md §5, docs/clocks.md).

The rule (docs/clocks.md, "Working days"), the one both this module and the SQL count of
`complaints.dashboards.figures.with_working_days` implement:

- a day is a *working day* when a `Holiday` row of kind `working_day` falls on it (a Saturday or
  Sunday declared a working day), or else when it is Monday–Friday and no other `Holiday` row
  (national holiday, cuti bersama, regional holiday) falls on it;
- days are dates in the deployment's time zone (`TIME_ZONE`), never UTC dates;
- the working days *between* two instants are those after the date of the first up to and
  including the date of the second (negative when the second is earlier, 0 on the same date);
- day 1 of a clock is the first working day after it starts; its deadline is 23:59:59.999999 of
  the n-th working day.

Months are months of the deployment's time zone too: `month_of(instant)` is the first day of the
month an instant falls in, `month_bounds(month)` its [start, end) as aware instants.
"""

from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.core.cache import cache
from django.utils import timezone

CACHE_KEY = "calendar:holidays:v1"
# How long a process trusts its copy before asking the shared cache whether the table changed:
# counting the working days of a long-overdue deadline asks about every day in between, and one
# cache round trip per day made staff lists cost seconds. A change made in this process is seen
# at once (`invalidate`); one made in another process within this many seconds.
RECHECK_SECONDS = 1.0
_local = {"version": None, "off": frozenset(), "on": frozenset(), "checked": 0.0}


def _tables():
    """(days off, extra working days), cached across processes and reloaded when the admin edits
    the table (the Holiday signals bump the cache version). Without the cache (Redis down: every
    read is a miss) each check finds no version and reads the table itself, so deadlines never
    count a holiday as a working day."""
    from .models import Holiday

    if _local["version"] is not None and monotonic() - _local["checked"] < RECHECK_SECONDS:
        return _local["off"], _local["on"]
    version = cache.get(CACHE_KEY)
    if version is None:
        version = timezone.now().isoformat()
        cache.set(CACHE_KEY, version, None)
    if _local["version"] != version:
        off, on = set(), set()
        for day, kind in Holiday.objects.values_list("date", "kind"):
            (on if kind == Holiday.Kind.WORKING_DAY else off).add(day)
        _local.update(version=version, off=frozenset(off), on=frozenset(on))
    _local["checked"] = monotonic()
    return _local["off"], _local["on"]


def invalidate():
    cache.set(CACHE_KEY, timezone.now().isoformat(), None)
    _local["version"] = None


def local_date(instant):
    """The date of `instant` in the deployment's time zone ("today" is never the UTC date)."""
    return timezone.localtime(instant).date()


def is_working_day(day):
    off, on = _tables()
    if day in on:
        return True
    return day.weekday() < 5 and day not in off


def end_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.max), timezone.get_current_timezone())


def next_working_day(day):
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


# The SLA sweep asks for the reminder and escalation instants of thousands of clocks, most of them
# with one of a few deadlines: each walk is done once per table version and time zone.
MEMO_SIZE = 10_000


def _memo():
    _tables()
    if _local.get("memo_for") != _local["version"] or len(_local.get("memo", ())) > MEMO_SIZE:
        _local.update(memo={}, memo_for=_local["version"])
    return _local["memo"]


def add_working_days(start, n):
    """End of the n-th working day after `start` (an aware datetime or a date). n >= 1."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day = start if isinstance(start, date) and not isinstance(start, datetime) else local_date(start)
    memo, key = _memo(), ("+", day, n, timezone.get_current_timezone())
    if key not in memo:
        for _ in range(n):
            day = next_working_day(day)
        memo[key] = end_of_day(day)
    return memo[key]


def subtract_working_days(deadline, n):
    """End of the working day n working days before the day of `deadline` (for reminders)."""
    day = local_date(deadline)
    memo, key = _memo(), ("-", day, n, timezone.get_current_timezone())
    if key not in memo:
        for _ in range(n):
            day -= timedelta(days=1)
            while not is_working_day(day):
                day -= timedelta(days=1)
        memo[key] = end_of_day(day)
    return memo[key]


def working_days_between(start, end):
    """Working days after the date of `start` up to and including the date of `end`:
    `working_days_between(t, add_working_days(t, n)) == n`. Negative when `end` is earlier."""
    a, b = local_date(start), local_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    # Arithmetic, not a walk: staff lists count the days of deadlines years overdue.
    off, on = _tables()
    if _local.get("sorted_for") != _local["version"]:
        _local["off_weekdays"] = sorted(d for d in off if d.weekday() < 5 and d not in on)
        _local["on_weekends"] = sorted(d for d in on if d.weekday() >= 5)
        _local["sorted_for"] = _local["version"]
    n = (b - a).days
    weeks, rest = divmod(n, 7)
    weekdays = weeks * 5 + sum(1 for i in range(1, rest + 1) if (a.weekday() + i) % 7 < 5)
    days_off = bisect_right(_local["off_weekdays"], b) - bisect_right(_local["off_weekdays"], a)
    extra = bisect_right(_local["on_weekends"], b) - bisect_right(_local["on_weekends"], a)
    return sign * (weekdays - days_off + extra)


def add_calendar_days(start, n):
    """End of the n-th calendar day after `start` (the 60-day settlement ceiling)."""
    return end_of_day(local_date(start) + timedelta(days=n))


# Months ----------------------------------------------------------------------------------------
def month_of(instant):
    """The first day of the month `instant` falls in, in the deployment's time zone."""
    return local_date(instant).replace(day=1)


def next_month(month):
    """The first day of the month after `month` (a date)."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month):
    """The first day of the month before `month` (a date)."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def start_of_day(day):
    """00:00 of `day` in the deployment's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def month_bounds(month):
    """[start, end) of the month of `month` (a date; any day of it) as aware instants in the
    deployment's time zone."""
    first = month.replace(day=1)
    return start_of_day(first), start_of_day(next_month(first))
