"""Working days (docs/product.md §5), including the worked example of Nyepi/Idul Fitri 2026."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from agencies import calendar
from agencies.models import Holiday

JKT = ZoneInfo("Asia/Jakarta")
MARCH_2026 = {
    date(2026, 3, 18): "Cuti bersama Nyepi",
    date(2026, 3, 19): "Hari Suci Nyepi",
    date(2026, 3, 20): "Idul Fitri",
    date(2026, 3, 21): "Idul Fitri",
    date(2026, 3, 23): "Cuti bersama Idul Fitri",
    date(2026, 3, 24): "Cuti bersama Idul Fitri",
}


@pytest.fixture
def march_holidays(db):
    for day, name in MARCH_2026.items():
        Holiday.objects.create(date=day, name=name)


def test_worked_example(march_holidays):
    filed = datetime(2026, 3, 13, 10, 0, tzinfo=JKT)
    due = calendar.add_working_days(filed, 3)
    assert due.astimezone(JKT).date() == date(2026, 3, 25)
    assert (due.astimezone(JKT).hour, due.astimezone(JKT).minute, due.astimezone(JKT).second) == (23, 59, 59)
    assert calendar.working_days_between(filed, due) == 3


def test_today_is_the_local_date_not_utc(db):
    # 20:00 UTC on Friday is already Saturday 03:00 in Jakarta: day 1 is Monday.
    late_friday_utc = datetime(2026, 11, 27, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert calendar.add_working_days(late_friday_utc, 1).astimezone(JKT).date() == date(2026, 11, 30)


def test_local_holiday_and_extra_working_day(db):
    start = datetime(2026, 11, 27, 9, 0, tzinfo=JKT)  # Friday
    assert calendar.add_working_days(start, 1).astimezone(JKT).date() == date(2026, 11, 30)
    Holiday.objects.create(date=date(2026, 11, 30), name="Hari Jadi Kabupaten", kind=Holiday.Kind.LOCAL)
    assert calendar.add_working_days(start, 1).astimezone(JKT).date() == date(2026, 12, 1)
    Holiday.objects.create(date=date(2026, 11, 28), name="Sabtu masuk", kind=Holiday.Kind.WORKING_DAY)
    assert calendar.add_working_days(start, 1).astimezone(JKT).date() == date(2026, 11, 28)


def test_a_holiday_moves_a_deadline_later_never_earlier(db):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=JKT)
    before = calendar.add_working_days(start, 5)
    Holiday.objects.create(date=date(2026, 6, 3), name="Libur", kind=Holiday.Kind.LOCAL)
    assert calendar.add_working_days(start, 5) > before


def test_remembered_walks_follow_the_holiday_table_and_the_time_zone(db):
    # The walks are remembered (the SLA sweep asks for the same few deadlines thousands of times).
    deadline = datetime(2026, 12, 4, 23, 59, tzinfo=JKT)  # Friday
    assert calendar.subtract_working_days(deadline, 2).astimezone(JKT).date() == date(2026, 12, 2)
    Holiday.objects.create(date=date(2026, 12, 3), name="Libur", kind=Holiday.Kind.LOCAL)
    assert calendar.subtract_working_days(deadline, 2).astimezone(JKT).date() == date(2026, 12, 1)
    with timezone.override(JKT):
        wib = calendar.add_working_days(date(2026, 11, 30), 1)
    with timezone.override(ZoneInfo("Asia/Jayapura")):
        wit = calendar.add_working_days(date(2026, 11, 30), 1)
    assert wib - wit == timedelta(hours=2)  # the end of Tuesday in WIT comes two hours earlier


# Any instant from 2025 to late 2027, in WIB.
STARTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)).map(
    lambda start: start.replace(tzinfo=JKT)
)


@settings(max_examples=60, deadline=None)
@given(start=STARTS, n=st.integers(min_value=1, max_value=40), m=st.integers(min_value=0, max_value=10))
def test_properties(start, n, m):
    due = calendar.add_working_days(start, n)
    assert calendar.is_working_day(due.astimezone(JKT).date())
    assert calendar.working_days_between(start, due) == n
    assert due > start
    assert calendar.add_working_days(start, n + m) >= due  # monotonic
    assert calendar.add_working_days(start + timedelta(days=1), n) >= due


test_properties = pytest.mark.django_db(test_properties)


# Seeded holidays, time zones, the last minute, more properties ----------------------------
def seed_from_library(year):
    import holidays as holidays_lib

    days = holidays_lib.Indonesia(years=year, categories=("public", "government"), language="id")
    for day, name in days.items():
        Holiday.objects.get_or_create(date=day, defaults={"name": name[:150]})


def test_friday_before_idul_fitri_with_the_seeded_calendar(db):
    """The library's 2026 decree (public + government = cuti bersama) gives the deadline a human
    expects: Mon 16 = 1, Tue 17 = 2, 18–24 March off, Wed 25 = 3."""
    seed_from_library(2026)
    filed = datetime(2026, 3, 13, 10, 0, tzinfo=JKT)
    assert calendar.add_working_days(filed, 3) == datetime(2026, 3, 25, 23, 59, 59, 999999, tzinfo=JKT)
    assert calendar.subtract_working_days(calendar.add_working_days(filed, 3), 1).date() == date(2026, 3, 17)
    assert not any(calendar.is_working_day(date(2026, 3, d)) for d in range(18, 25))


@pytest.mark.parametrize("zone, offset", [("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)])
def test_wib_wita_wit(settings, db, zone, offset):
    settings.TIME_ZONE = zone
    with timezone.override(ZoneInfo(zone)):
        # 16:30 UTC on Friday 27 November is still Friday in WIB but already Saturday in WIT.
        instant = datetime(2026, 11, 27, 16, 30, tzinfo=ZoneInfo("UTC"))
        local_day = calendar.local_date(instant)
        assert local_day == (date(2026, 11, 27) if offset + 16.5 < 24 else date(2026, 11, 28))
        due = calendar.add_working_days(instant, 1)
        assert due.utcoffset() == timedelta(hours=offset)
        assert (due.date(), due.hour, due.minute) == (date(2026, 11, 30), 23, 59)
        assert due.astimezone(ZoneInfo("UTC")).hour == 23 - offset


def test_the_last_working_minute_is_still_on_time(db):
    due = calendar.add_working_days(datetime(2026, 11, 2, 9, 0, tzinfo=JKT), 1)
    last_minute = datetime(2026, 11, 3, 23, 59, tzinfo=JKT)
    assert last_minute < due < datetime(2026, 11, 4, 0, 0, tzinfo=JKT)
    assert calendar.working_days_between(last_minute, due) == 0
    assert calendar.end_of_day(date(2026, 11, 3)) == due


@settings(max_examples=60, deadline=None)
@given(start=STARTS, n=st.integers(min_value=1, max_value=15), k=st.integers(min_value=1, max_value=5))
def test_subtracting_working_days(start, n, k):
    deadline = calendar.add_working_days(start, n)
    reminder = calendar.subtract_working_days(deadline, k)
    assert reminder < deadline
    assert calendar.is_working_day(reminder.date())
    assert calendar.working_days_between(reminder, deadline) == k


test_subtracting_working_days = pytest.mark.django_db(test_subtracting_working_days)


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1)),
    n=st.integers(min_value=1, max_value=20),
    offsets=st.lists(st.integers(min_value=-5, max_value=40), min_size=1, max_size=6),
)
def test_added_holidays_never_move_a_deadline_earlier(start, n, offsets):
    start = start.replace(tzinfo=JKT)
    before = calendar.add_working_days(start, n)
    created = [
        Holiday.objects.get_or_create(date=start.date() + timedelta(days=o), defaults={"name": "Libur"})[0]
        for o in offsets
    ]
    try:
        after = calendar.add_working_days(start, n)
        assert after >= before
        assert calendar.is_working_day(after.date())
        assert calendar.working_days_between(start, after) == n
    finally:
        Holiday.objects.filter(pk__in=[h.pk for h in created]).delete()
        calendar.invalidate()


test_added_holidays_never_move_a_deadline_earlier = pytest.mark.django_db(
    test_added_holidays_never_move_a_deadline_earlier
)


def test_months_are_local_months():
    # 20:00 UTC on 31 December is already 1 January in Jakarta: the month is January.
    new_year = datetime(2026, 12, 31, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert calendar.month_of(new_year) == date(2027, 1, 1)
    assert calendar.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert calendar.previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert calendar.previous_month(date(2026, 3, 1)) == date(2026, 2, 1)
    start, end = calendar.month_bounds(date(2026, 2, 17))
    assert start == datetime(2026, 2, 1, tzinfo=JKT) and end == datetime(2026, 3, 1, tzinfo=JKT)
    assert start <= datetime(2026, 1, 31, 17, 0, tzinfo=ZoneInfo("UTC")) < end  # 00:00 WIB on 1 Feb
    assert not start <= datetime(2026, 1, 31, 16, 59, tzinfo=ZoneInfo("UTC")) < end
