"""What keeps the pages fast at a million reports (README, "Benchmark") does not change what they
show: the partial indexes match the privacy rule, deep pages hold the same rows, cached totals are
per query (so per caller), working days are counted right, search finds by the public text."""

import random
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone

from agencies import calendar
from agencies.models import Holiday
from complaints import pagination, search, workflow
from complaints.models import PUBLIC_CONDITION, Complaint
from complaints.privacy import public_filter


def test_public_index_condition_is_the_public_filter():
    # The planner uses the partial indexes only when the query's filter implies their condition.
    assert str(Complaint.objects.filter(PUBLIC_CONDITION).query) == str(Complaint.objects.filter(public_filter()).query)


@pytest.fixture
def public_reports(file_report, operator):
    def make(n):
        made = []
        for i in range(n):
            c = file_report(title=f"Laporan nomor {i}", privacy="anonim" if i % 3 else "umum")
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            made.append(c.pk)
        return made

    return make


def test_deep_pages_hold_the_same_rows(public_reports, monkeypatch):
    public_reports(13)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 2)
    qs = Complaint.objects.visible_to(AnonymousUser()).public().order_by("-verified_at", "-pk")
    plain, fast = Paginator(qs, 3), pagination.FastPaginator(qs, 3)
    assert fast.count == plain.count == 13
    for number in plain.page_range:
        assert [c.pk for c in fast.page(number)] == [c.pk for c in plain.page(number)]


def test_cached_totals_are_per_query(settings, public_reports, file_report, citizen):
    settings.LIST_COUNT_CACHE_SECONDS = 60
    public_reports(2)
    own = file_report(title="Belum diverifikasi")  # visible to its reporter only
    public = Complaint.objects.visible_to(AnonymousUser())
    mine = Complaint.objects.visible_to(citizen)
    assert pagination.cached_count(public) == 2
    assert pagination.cached_count(mine) == 3
    Complaint.objects.filter(pk=own.pk).delete()
    assert pagination.cached_count(mine) == 3  # cached: at most LIST_COUNT_CACHE_SECONDS old
    settings.LIST_COUNT_CACHE_SECONDS = 0
    assert pagination.cached_count(mine) == 2


def test_feed_pages_and_totals_with_the_cache_on(client, settings, public_reports):
    settings.LIST_COUNT_CACHE_SECONDS = 60
    public_reports(23)
    first = client.get("/laporan/")
    second = client.get("/laporan/", {"page": 2})
    assert first.status_code == second.status_code == 200
    assert first.context["page"].paginator.count == 23
    shown = [c.pk for c in first.context["rows"]] + [c.pk for c in second.context["rows"]]
    assert len(shown) == len(set(shown)) == 23


def test_working_days_between_counts_like_a_walk(region):
    Holiday.objects.create(date=date(2026, 3, 18), name="Nyepi")
    Holiday.objects.create(date=date(2026, 3, 21), name="Libur di hari Sabtu")
    Holiday.objects.create(date=date(2026, 3, 28), name="Sabtu masuk", kind=Holiday.Kind.WORKING_DAY)
    calendar.invalidate()
    rng = random.Random(7)
    start = timezone.make_aware(timezone.datetime(2026, 3, 1, 10))
    for _ in range(300):
        a = start + timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        b = a + timedelta(days=rng.randint(-40, 40))
        walked, day, sign = 0, calendar.local_date(min(a, b)), 1 if b >= a else -1
        while day < calendar.local_date(max(a, b)):
            day += timedelta(days=1)
            walked += calendar.is_working_day(day)
        assert calendar.working_days_between(a, b) == sign * walked


def test_search_finds_by_title_and_public_text_not_by_a_redacted_body(file_report, operator):
    c = file_report(title="Lampu jalan padam", body="Pak Sutrisno bilang lampu padam sejak Januari.")
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.edit_summary(c.pk, by=operator, summary="Warga melaporkan lampu jalan padam sejak Januari.")
    public = Complaint.objects.visible_to(AnonymousUser())
    assert list(search.search(public, "lampu padam").values_list("pk", flat=True)) == [c.pk]
    assert not search.search(public, "Sutrisno").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search document is PostgreSQL's")
def test_the_search_document_is_a_stored_column_with_its_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated FROM information_schema.columns "
            "WHERE table_name = 'complaints_complaint' AND column_name = 'search_document'"
        )
        assert cursor.fetchone() == ("ALWAYS",)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'complaint_search_document'")
        assert "gin" in cursor.fetchone()[0].lower()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram matching is PostgreSQL's")
def test_a_misspelt_title_is_offered_as_a_duplicate(file_report, operator, region):
    c = file_report(title="Jembatan gantung Sungai Rejo putus", body="Tali penahan sudah lepas.")
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    found = search.similar_open_reports(region.roads, None, "Jembatan gantung Sungai Rejo putuss, warga terisolasi")
    assert [r.pk for r in found] == [c.pk]
