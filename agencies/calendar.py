"""Working-day arithmetic (PRODUCT.md §5).

A working day is Monday–Friday, minus the national holidays and cuti bersama and the local
holidays in the `Holiday` table, plus the extra working days declared there. Day 1 is the first
working day after the clock starts; a deadline is 23:59:59.999999 of the n-th working day in the
deployment's time zone (`TIME_ZONE`), never UTC.
"""

from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone

CACHE_KEY = "calendar:holidays:v1"
_local = {"version": None, "off": frozenset(), "on": frozenset()}


def _tables():
    """(days off, extra working days), cached across processes and reloaded when the admin edits
    the table (the Holiday signals bump the cache version)."""
    from .models import Holiday

    version = cache.get(CACHE_KEY)
    if version is None:
        version = timezone.now().isoformat()
        cache.set(CACHE_KEY, version, None)
    if _local["version"] != version:
        off, on = set(), set()
        for day, kind in Holiday.objects.values_list("date", "kind"):
            (on if kind == Holiday.Kind.WORKING_DAY else off).add(day)
        _local.update(version=version, off=frozenset(off), on=frozenset(on))
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


def add_working_days(start, n):
    """End of the n-th working day after `start` (an aware datetime or a date). n >= 1."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day = start if isinstance(start, date) and not isinstance(start, datetime) else local_date(start)
    for _ in range(n):
        day = next_working_day(day)
    return end_of_day(day)


def subtract_working_days(deadline, n):
    """End of the working day n working days before the day of `deadline` (for reminders)."""
    day = local_date(deadline)
    for _ in range(n):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return end_of_day(day)


def working_days_between(start, end):
    """Working days after the date of `start` up to and including the date of `end`:
    `working_days_between(t, add_working_days(t, n)) == n`. Negative when `end` is earlier."""
    a, b = local_date(start), local_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count, day = 0, a
    while day < b:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count


def add_calendar_days(start, n):
    """End of the n-th calendar day after `start` (the 60-day settlement ceiling)."""
    return end_of_day(local_date(start) + timedelta(days=n))
