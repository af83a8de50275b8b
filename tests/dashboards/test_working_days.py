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
