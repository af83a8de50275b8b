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
from complaints import workflow
from complaints.common import pagination, search
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


# The search bound (complaints.common.search, RANKED_MATCHES) ------------------------------------------
@pytest.fixture
def matching_reports(file_report, operator):
    """matching_reports(*titles_and_bodies) → verified public reports, the first the oldest (a
    day between each), every one about a broken street lamp ("lampu padam")."""

    def make(*texts):
        made = []
        start = timezone.now() - timedelta(days=len(texts))
        for i, (title, body) in enumerate(texts):
            c = file_report(title=title, body=body)
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            Complaint.objects.filter(pk=c.pk).update(created_at=start + timedelta(days=i))
            made.append(c.pk)
        return made

    return make


LAMP_IN_TITLE = ("Lampu padam di Jalan Poros", "Gelap sejak Senin, rawan kecelakaan.")
LAMP_IN_BODY = ("Jalan Poros gelap", "Lampu padam sejak Senin, rawan kecelakaan.")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bound is PostgreSQL's (SQLite has no ranking)")
@pytest.mark.parametrize("words_are_common", [True, False], ids=["walked-newest-first", "from-the-gin-index"])
def test_search_ranks_only_the_newest_matches(monkeypatch, matching_reports, file_report, operator, words_are_common):
    monkeypatch.setattr(search, "RANKED_MATCHES", 3)
    # Both ways of finding the newest matches give the same reports: the probe decides which runs.
    monkeypatch.setattr(search, "PROBE_COMMON", 1 if words_are_common else 10**6)
    best_but_oldest, older, title_match, newer = matching_reports(
        LAMP_IN_TITLE, LAMP_IN_BODY, LAMP_IN_TITLE, LAMP_IN_BODY
    )
    newest = matching_reports(LAMP_IN_BODY)[0]
    secret = file_report(privacy="rahasia", title=LAMP_IN_TITLE[0], body=LAMP_IN_TITLE[1])
    workflow.verify(secret.pk, by=operator, agencies=["dinas-pu"])  # the newest match, not visible
    other = matching_reports(("Sampah menumpuk", "Belum diangkut seminggu."))[0]
    public = Complaint.objects.visible_to(AnonymousUser())
    found = search.search(public, "lampu padam")
    # The three newest visible matches, the best ranked (title) first, then the newest.
    assert [c.pk for c in found] == [title_match, newest, newer]
    assert found.count() == 3 and search.is_capped("lampu padam", found.count())
    assert best_but_oldest not in {c.pk for c in found} and older not in {c.pk for c in found}
    assert [c.pk for c in search.search(public, "sampah")] == [other]
    assert not search.is_capped("sampah", search.search(public, "sampah").count())
    assert not search.search(public, "banjir").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bound is PostgreSQL's (SQLite has no ranking)")
def test_the_search_bound_applies_after_the_filters(monkeypatch, client, matching_reports, region):
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    old_health = matching_reports(LAMP_IN_TITLE)[0]
    matching_reports(LAMP_IN_TITLE, LAMP_IN_BODY, LAMP_IN_BODY)
    Complaint.objects.filter(pk=old_health).update(category=region.health)
    # The oldest match is found through a filter, the bound counting only what the filter keeps.
    r = client.get("/laporan/", {"q": "lampu padam", "category": "kesehatan"})
    assert [c.pk for c in r.context["rows"]] == [old_health]
    assert not r.context["search_capped"]


def test_the_feed_says_when_a_search_shows_only_the_newest_matches(monkeypatch, client, matching_reports):
    monkeypatch.setattr(search, "RANKED_MATCHES", 2)
    made = matching_reports(LAMP_IN_TITLE, LAMP_IN_BODY, LAMP_IN_BODY)
    capped = client.get("/laporan/", {"q": "lampu padam"})
    body = capped.content.decode()
    if connection.vendor == "postgresql":
        assert capped.context["page"].paginator.count == 2
        assert {c.pk for c in capped.context["rows"]} == set(made[1:])
        assert 'id="search-capped"' in body
        assert "Yang ditampilkan hanya 2 laporan terbaru yang cocok" in body
        api = client.get("/api/v1/complaints/", {"q": "lampu padam"}).json()
        assert api["count"] == 2 and {r["tracking_id"] for r in api["results"]} <= set(
            Complaint.objects.filter(pk__in=made[1:]).values_list("tracking_id", flat=True)
        )
    else:  # SQLite: every match, newest first, no note
        assert [c.pk for c in capped.context["rows"]] == made[::-1]
        assert 'id="search-capped"' not in body
    assert 'id="search-capped"' not in client.get("/laporan/").content.decode()
    if connection.vendor == "postgresql":
        client.get("/bahasa/en/", {"next": "/laporan/"})
        english = client.get("/laporan/", {"q": "lampu padam"}).content.decode()
        assert "Only the 2 most recent matching reports are shown, best matches first" in english
