"""The national holidays and cuti bersama of the `Holiday` table, loaded from the `holidays`
package (`manage.py sync_holidays`, after each `migrate` and from beat every December).

The package is the source of the national calendar; the table is what deadlines are computed
from, and stays editable in the admin. So the sync only adds the days the package gives that the
table does not have yet and removes the days it loaded itself that the package no longer gives (a
revised decree, an estimated Islamic date made definite). It never changes or removes a local
holiday, an extra working day, a demo row or a day an admin added or edited (an edit in the
admin makes the row the admin's; a moved national holiday keeps the date the package gave in
`package_date`, so the sync does not bring it back). A national holiday an admin deleted comes
back at the next sync: to cancel one, edit it in the admin instead.

The changes go through the same signals as an edit in the admin: the calendar is reloaded
everywhere and the open deadlines are recomputed once, later and never earlier.
"""

import holidays as holidays_lib
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Holiday
from .signals import one_recompute

MAX_NAME = 150


def default_years(today=None):
    """This year and the next (local time)."""
    year = (today or timezone.localdate()).year
    return [year, year + 1]


def from_library(years):
    """{date: (name, kind)} of the national holidays and cuti bersama of `years`, in Indonesian
    whatever the process locale. A day that is both is a national holiday."""
    days = {}
    for categories, kind in ((("government",), Holiday.Kind.CUTI_BERSAMA), (("public",), Holiday.Kind.NATIONAL)):
        calendar = holidays_lib.Indonesia(years=sorted(years), categories=categories, language="id")
        for day, name in calendar.items():
            days[day] = (name[:MAX_NAME], kind)
    return days


@transaction.atomic
def sync_national_holidays(years=None):
    """Load the national holidays and cuti bersama of `years` (default: this year and next) into
    the `Holiday` table (system: the command, the beat task, `seed_demo`). Adds the missing
    days, removes the days it loaded that the package no longer gives, leaves every other row
    alone; running it again changes nothing. Returns {"created", "removed", "kept"} (lists of
    dates; `kept`: package days the table holds as an admin, local or demo row)."""
    years = sorted(set(years or default_years()))
    wanted = from_library(years)
    rows = list(Holiday.objects.select_for_update().filter(Q(date__year__in=years) | Q(package_date__year__in=years)))
    taken = {h.date for h in rows} | {h.package_date for h in rows if h.package_date}
    created, removed, kept = [], [], []
    with one_recompute():
        for h in rows:
            if h.source == "library" and h.package_date not in wanted and h.date not in wanted:
                removed.append(h.date)
                h.delete()
        for day, (name, kind) in sorted(wanted.items()):
            if day in taken:
                if any(h.source != "library" and day in (h.date, h.package_date) for h in rows):
                    kept.append(day)
                continue
            Holiday.objects.create(date=day, name=name, kind=kind, source="library", package_date=day)
            created.append(day)
    return {"created": created, "removed": removed, "kept": kept}
