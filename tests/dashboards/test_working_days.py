"""Working days counted in SQL (`dashboards.with_working_days`) agree with
`agencies.calendar.working_days_between` across weekends, national holidays, cuti bersama, local
holidays and declared extra working days."""

import datetime

import pytest

from agencies import calendar
from agencies.models import Holiday
from complaints.dashboards import figures as dashboards
from complaints.models import Disposition

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def test_sql_working_days_match_the_calendar(disposed_report, region):
    # March 2026: Nyepi (19), Idul Fitri (20–21) and cuti bersama (18, 23, 24) as in docs/product.md §5,
    # a local holiday on a Monday and a Saturday declared a working day.
    for day, kind in [
        (18, Holiday.Kind.CUTI_BERSAMA),
        (19, Holiday.Kind.NATIONAL),
        (20, Holiday.Kind.NATIONAL),
        (21, Holiday.Kind.NATIONAL),
        (23, Holiday.Kind.CUTI_BERSAMA),
        (24, Holiday.Kind.CUTI_BERSAMA),
        (30, Holiday.Kind.LOCAL),
    ]:
        Holiday.objects.create(date=datetime.date(2026, 3, day), name=f"libur {day}", kind=kind)
    Holiday.objects.create(date=datetime.date(2026, 4, 4), name="Sabtu masuk", kind=Holiday.Kind.WORKING_DAY)
    calendar.invalidate()
    d = disposed_report().dispositions.get()
    # Late evening in WIB is the next day in... no: 23:30 WIB is still the same local day (16:30 UTC);
    # 00:30 WIB is the previous UTC day. Both edges are covered.
    starts = [
        datetime.datetime(2026, 3, 13, 10, 0, tzinfo=WIB),
        datetime.datetime(2026, 3, 13, 23, 30, tzinfo=WIB),
        datetime.datetime(2026, 3, 16, 0, 30, tzinfo=WIB),
    ]
    ends = [
        datetime.datetime(2026, 3, 13, 15, 0, tzinfo=WIB),
        datetime.datetime(2026, 3, 17, 0, 15, tzinfo=WIB),
        datetime.datetime(2026, 3, 25, 9, 0, tzinfo=WIB),
        datetime.datetime(2026, 3, 31, 9, 0, tzinfo=WIB),
        datetime.datetime(2026, 4, 4, 9, 0, tzinfo=WIB),
        datetime.datetime(2026, 4, 6, 9, 0, tzinfo=WIB),
        datetime.datetime(2027, 1, 4, 9, 0, tzinfo=WIB),
    ]
    for start in starts:
        for end in ends:
            Disposition.objects.filter(pk=d.pk).update(created_at=start, first_followup_at=end)
            got = dashboards.with_working_days(Disposition.objects.filter(pk=d.pk), "created_at", "first_followup_at")
            assert got.values_list("working_days", flat=True).get() == calendar.working_days_between(start, end), (
                start,
                end,
            )
    # The worked example of docs/product.md §5: Friday 13 March to Wednesday 25 March is 3 working days.
    Disposition.objects.filter(pk=d.pk).update(created_at=starts[0], first_followup_at=ends[2])
    got = dashboards.with_working_days(Disposition.objects.filter(pk=d.pk), "created_at", "first_followup_at")
    assert got.values_list("working_days", flat=True).get() == 3


def _rule(a, b, off, on):
    """docs/clocks.md, "Working days", read literally: walk the days after `a` up to and including
    `b` (the other way round, negated, when `b` is earlier) and count the working ones."""
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    n, day = 0, a
    while day < b:
        day += datetime.timedelta(days=1)
        n += day in on or (day.weekday() < 5 and day not in off)
    return sign * n


def test_sql_and_calendar_follow_one_rule_on_random_spans(disposed_report, region):
    """Both counts (`calendar.working_days_between` and the SQL of `dashboards.with_working_days`)
    agree with the documented rule on random spans: across weekends, national holidays, cuti
    bersama, regional holidays and declared working days, forwards, backwards and empty."""
    import random

    rng = random.Random(20260318)
    first = datetime.date(2026, 1, 1)
    kinds = [Holiday.Kind.NATIONAL, Holiday.Kind.CUTI_BERSAMA, Holiday.Kind.LOCAL]
    off, on = set(), set()
    for day in rng.sample(range(0, 400), 90):
        date = first + datetime.timedelta(days=day)
        # Declared working days on weekends (where they count) and on weekdays (where they change
        # nothing); holidays on weekdays and on weekends (where they change nothing).
        kind = Holiday.Kind.WORKING_DAY if rng.random() < 0.25 else rng.choice(kinds)
        (on if kind == Holiday.Kind.WORKING_DAY else off).add(date)
        Holiday.objects.create(date=date, name=f"hari {day}", kind=kind)
    assert any(d.weekday() >= 5 for d in on) and any(d.weekday() < 5 for d in off)
    assert any(d.weekday() >= 5 for d in off)
    calendar.invalidate()
    d = disposed_report().dispositions.get()
    qs = Disposition.objects.filter(pk=d.pk)
    spans = []
    for _i in range(150):
        start = datetime.datetime(2026, 1, 1, tzinfo=WIB) + datetime.timedelta(minutes=rng.randrange(400 * 24 * 60))
        shape = rng.random()
        if shape < 0.1:
            end = start  # empty
        elif shape < 0.2:
            end = start.replace(hour=23, minute=59) if rng.random() < 0.5 else start.replace(hour=0, minute=1)
        else:
            end = start + datetime.timedelta(minutes=rng.randrange(-60 * 24 * 60, 60 * 24 * 60))
        spans.append((start, end))
    assert any(b < a for a, b in spans) and any(b == a for a, b in spans)
    for start, end in spans:
        expected = _rule(start.date(), end.date(), off, on)
        assert calendar.working_days_between(start, end) == expected, (start, end)
        qs.update(created_at=start, first_followup_at=end)
        got = dashboards.with_working_days(qs, "created_at", "first_followup_at").values_list("working_days", flat=True)
        assert got.get() == expected, (start, end)
