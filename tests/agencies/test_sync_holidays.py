"""`manage.py sync_holidays`: the national holidays and cuti bersama of production come from the
`holidays` package, without touching local or admin-edited days, idempotently, and moving open
deadlines as an edit in the admin does. Beat runs it each December."""

from datetime import date, datetime
from functools import partial

import pytest
import time_machine
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from agencies import calendar, signals
from agencies.models import Holiday
from complaints.models import Clock, ClockKind, Event, EventType

pytestmark = pytest.mark.django_db

CUTI_BERSAMA_2026 = {
    date(2026, 2, 16),
    date(2026, 3, 18),
    date(2026, 3, 20),
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 5, 15),
    date(2026, 5, 28),
    date(2026, 12, 24),
}


def sync(*years):
    args = ["--years", *map(str, years)] if years else []
    call_command("sync_holidays", *args)


def table():
    return sorted(Holiday.objects.values_list("date", "name", "kind", "source", "package_date", "updated_at"))


def test_loads_national_holidays_and_cuti_bersama(capsys):
    sync(2026)
    assert "sync_holidays 2026: created=25 removed=0 kept=0" in capsys.readouterr().out
    days = dict(Holiday.objects.values_list("date", "kind"))
    assert {d for d, k in days.items() if k == Holiday.Kind.CUTI_BERSAMA} == CUTI_BERSAMA_2026
    assert days[date(2026, 8, 17)] == Holiday.Kind.NATIONAL
    # In Indonesian whatever the process locale, marked as the package's.
    assert Holiday.objects.get(date=date(2026, 3, 19)).name == "Hari Suci Nyepi"
    assert not Holiday.objects.exclude(source="library").exists()
    assert not Holiday.objects.exclude(package_date=F("date")).exists()
    # The worked example: filed Friday 13 March 2026 10:00, verification due end of Wednesday 25 March.
    filed = timezone.make_aware(datetime(2026, 3, 13, 10))
    assert calendar.local_date(calendar.add_working_days(filed, 3)) == date(2026, 3, 25)


def test_running_it_again_changes_nothing(capsys):
    sync(2026, 2027)
    before = table()
    assert len(before) > 40
    capsys.readouterr()
    sync(2026, 2027)
    assert "created=0 removed=0 kept=0" in capsys.readouterr().out
    assert table() == before


def test_default_years_are_this_year_and_next(capsys):
    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 4, 10)), tick=False):
        sync()
    assert "sync_holidays 2026 2027:" in capsys.readouterr().out
    assert {d.year for d in Holiday.objects.values_list("date", flat=True)} == {2026, 2027}


def test_local_admin_and_demo_days_are_left_alone(admin_client, capsys):
    local = Holiday.objects.create(date=date(2026, 10, 14), name="Hari Jadi Kabupaten", kind=Holiday.Kind.LOCAL)
    # Added in the admin on a day the package also gives: the admin's name and kind stay.
    own = Holiday.objects.create(date=date(2026, 3, 19), name="Nyepi (SK Bupati)", kind=Holiday.Kind.LOCAL)
    demo = Holiday.objects.create(date=date(2026, 6, 1), name="Demo", kind=Holiday.Kind.LOCAL, source="demo")
    extra = Holiday.objects.create(date=date(2026, 11, 28), name="Sabtu masuk", kind=Holiday.Kind.WORKING_DAY)
    sync(2026)
    assert "created=23 removed=0 kept=2" in capsys.readouterr().out
    for row in (local, own, demo, extra):
        fresh = Holiday.objects.get(pk=row.pk)
        assert (fresh.date, fresh.name, fresh.kind, fresh.source) == (row.date, row.name, row.kind, row.source)

    # An admin moves Idul Fitri by a day and renames Christmas: the rows become the admin's, the
    # sync neither brings the old date back nor undoes the edits.
    idul_fitri = Holiday.objects.get(date=date(2026, 3, 21))
    url = reverse("admin:agencies_holiday_change", args=[idul_fitri.pk])
    response = admin_client.post(url, {"date": "2026-03-25", "name": idul_fitri.name, "kind": idul_fitri.kind})
    assert response.status_code == 302
    natal = Holiday.objects.get(date=date(2026, 12, 25))
    url = reverse("admin:agencies_holiday_change", args=[natal.pk])
    admin_client.post(url, {"date": "2026-12-25", "name": "Natal (diubah)", "kind": natal.kind})
    before = table()
    sync(2026)
    assert "created=0 removed=0" in capsys.readouterr().out
    assert table() == before
    assert not Holiday.objects.filter(date=date(2026, 3, 21)).exists()
    assert Holiday.objects.get(date=date(2026, 3, 25)).source == "admin"
    assert Holiday.objects.get(date=date(2026, 12, 25)).name == "Natal (diubah)"


def test_a_day_the_package_no_longer_gives_is_removed_if_the_sync_loaded_it(capsys):
    """A revised decree (or an estimated Islamic date made definite): the old day goes, unless an
    admin made it theirs."""
    stale = Holiday.objects.create(
        date=date(2026, 7, 7),
        name="Cuti bersama (dicabut)",
        kind=Holiday.Kind.CUTI_BERSAMA,
        source="library",
        package_date=date(2026, 7, 7),
    )
    admins = Holiday.objects.create(date=date(2026, 7, 8), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    sync(2026)
    out = capsys.readouterr().out
    assert "removed 2026-07-07" in out and "created=25 removed=1 kept=0" in out
    assert not Holiday.objects.filter(pk=stale.pk).exists()
    assert Holiday.objects.filter(pk=admins.pk).exists()


def test_open_deadlines_move_later_once_as_after_an_admin_edit(
    disposed_report, django_capture_on_commit_callbacks, capsys
):
    # Disposed Monday 16 March 2026 10:00 with an empty calendar: 5 working days end Monday 23.
    with time_machine.travel(timezone.make_aware(datetime(2026, 3, 16, 10)), tick=False):
        c = disposed_report()
    clock = Clock.objects.get(complaint=c, kind=ClockKind.FOLLOWUP)
    assert calendar.local_date(clock.due_at) == date(2026, 3, 23)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sync(2026)
    # One recompute for the whole sync, not one per day.
    recomputes = [cb for cb in callbacks if isinstance(cb, partial) and cb.func is signals.queue_recompute]
    assert len(recomputes) == 1 and recomputes[0].args == (date(2026, 1, 1),)
    clock.refresh_from_db()
    # 18–24 March off: Tue 17 = 1, Wed 25 = 2, Thu 26 = 3, Fri 27 = 4, Mon 30 = 5.
    assert calendar.local_date(clock.due_at) == date(2026, 3, 30)
    assert c.dispositions.get().due_at == clock.due_at
    event = Event.objects.get(complaint=c, type=EventType.CALENDAR_CHANGED)
    assert "diundur" in event.body


def test_refuses_a_bad_year():
    with pytest.raises(CommandError, match="empat angka"):
        call_command("sync_holidays", "--years", "26")


def test_beat_runs_it_each_december():
    from lapor.celery import app

    app.finalize(auto=True)
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "agencies.tasks.sync_holidays"]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.month_of_year == {12} and schedule.day_of_month == {1}


def test_the_beat_task_syncs_this_year_and_next():
    from agencies import tasks

    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 1, 5)), tick=False):
        result = tasks.sync_holidays.delay().get()
    assert result["created"] == Holiday.objects.count() > 40
    assert Holiday.objects.filter(date__year=2027, kind=Holiday.Kind.CUTI_BERSAMA).count() == 8


def test_seed_demo_uses_the_sync():
    call_command("seed_demo", "--password", "rahasia-demo-123", "--json")
    library = Holiday.objects.filter(source="library")
    assert library.filter(date__in=CUTI_BERSAMA_2026).count() == len(CUTI_BERSAMA_2026)
    assert not library.filter(package_date__isnull=True).exists()  # loaded by the sync
    assert Holiday.objects.filter(source="demo", kind=Holiday.Kind.LOCAL).exists()


def test_compose_runs_it_after_migrate():
    from pathlib import Path

    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    assert "python manage.py migrate --noinput &&\n        python manage.py sync_holidays &&" in compose
