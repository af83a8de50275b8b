"""The rows and lists kept per process from the reference tables (agencies/reference.py): read once
per version, and a save or delete of an agency, category, area or route makes a new version at
once, in this process and (through the shared cache) in the others; a cache without the version
means reading again, never an old list."""

import pytest
from django.core.cache import cache

from agencies import reference
from agencies.models import Agency, AgencyKind, Area, AreaRoute, Category

pytestmark = pytest.mark.django_db


def agency_names():
    return sorted(a.name for a in reference.tables()["agencies"].values())


def test_read_once_then_kept(region, django_assert_num_queries):
    reference.tables()
    with django_assert_num_queries(0):
        assert reference.row("agencies", region.pu.pk).name == region.pu.name
        assert reference.row("categories", region.roads.pk).default_agency == region.pu
        assert reference.row("areas", region.kelurahan.pk).parent == region.kecamatan


@pytest.mark.parametrize("change", ["agency", "category", "area", "route"])
def test_every_change_is_seen_at_once(region, change):
    reference.tables()
    if change == "agency":
        Agency.objects.create(slug="dishub", name="Dinas Perhubungan", kind=AgencyKind.OPD)
        assert "Dinas Perhubungan" in agency_names()
    elif change == "category":
        region.roads.name = "Jalan"
        region.roads.save()
        assert reference.row("categories", region.roads.pk).name == "Jalan"
    elif change == "area":
        region.kelurahan.delete()
        assert reference.row("areas", region.kelurahan.pk) is None
    else:
        AreaRoute.objects.create(category=region.roads, kecamatan=region.kecamatan, agency=region.bina_marga)
        assert reference.tables()["routes"] == {(region.roads.pk, region.kecamatan.pk): region.bina_marga.pk}


def test_another_process_sees_a_change_on_its_next_request(region, client, monkeypatch):
    """A change made elsewhere replaces the version in the shared cache; this process asks the cache
    at the start of its next request (or after RECHECK_SECONDS outside one)."""
    monkeypatch.setattr(reference, "RECHECK_SECONDS", 3600)
    assert "Dinas Perhubungan" not in agency_names()
    # Another process: the row and the new version, without this process's signals.
    Agency.objects.bulk_create([Agency(slug="dishub", name="Dinas Perhubungan", kind=AgencyKind.OPD)])
    cache.set(reference.CACHE_KEY, "another-version", None)
    assert "Dinas Perhubungan" not in agency_names()  # within the request: the kept rows
    client.get("/")  # the next request
    assert "Dinas Perhubungan" in agency_names()


def test_without_the_version_the_rows_are_read_again(region, client):
    reference.tables()
    Area.objects.bulk_create([Area(name="Baru", code="09", level=Area.Level.KECAMATAN)])  # no signal
    cache.clear()  # emptied, evicted, or Redis down: every read a miss
    client.get("/")
    assert "Baru" in {a.name for a in reference.tables()["areas"].values()}


def test_rows_handed_out_are_copies(region):
    mine = reference.row("agencies", region.pu.pk)
    mine.name = "Diubah di satu halaman"
    assert reference.row("agencies", region.pu.pk).name == region.pu.name


def test_the_lists_are_per_language(region):
    from django.utils import translation

    from complaints.staff.forms import category_choices

    region.health.name_en = "Health"
    region.health.save()
    with translation.override("en"):
        english = dict(category_choices())
    with translation.override("id"):
        indonesian = dict(category_choices())
    assert english[region.health.pk] == "Health" and indonesian[region.health.pk] == "Kesehatan"


def test_a_deleted_category_leaves_the_lists(region):
    from complaints.staff.forms import category_choices

    extra = Category.objects.create(slug="lain", name="Lain-lain")
    assert extra.pk in dict(category_choices())
    extra.delete()
    assert extra.pk not in dict(category_choices())


def test_the_kept_lists_are_the_querysets_lists(region):
    """The staff forms' lists, made from the kept rows, are what their querysets give: the same
    rows, order (the database's collation, units under their OPD) and labels."""
    from complaints.portal.forms import category_label, kelurahan_choices
    from complaints.staff import forms

    Agency.objects.create(slug="lama", name="Badan lama", kind=AgencyKind.OPD, is_active=False)
    Agency.objects.create(slug="ombudsman", name="Ombudsman", kind=AgencyKind.OBSERVER)
    Agency.objects.create(slug="pu-cipta", name="bidang Cipta Karya", kind=AgencyKind.UNIT, parent=region.pu)
    Agency.objects.create(slug="dinkes-uptd", name="UPTD Puskesmas", kind=AgencyKind.UNIT, parent=region.dinkes)
    kota = Area.objects.create(name="Aman", code="03", level=Area.Level.KECAMATAN)
    Area.objects.create(name="Zamrud", code="03.01", level=Area.Level.KELURAHAN, parent=kota)
    Area.objects.create(name="aceh", code="01.09", level=Area.Level.KELURAHAN, parent=region.kecamatan)
    Category.objects.create(slug="a-lain", name="Lain-lain", order=9)

    assert list(forms.disposable_agency_choices()) == [
        (a.slug, forms.agency_label(a)) for a in forms.disposable_agencies()
    ]
    assert list(forms.terlapor_agency_choices()) == [(a.pk, forms.agency_label(a)) for a in forms.terlapor_agencies()]
    assert list(forms.category_choices()) == [
        (c.pk, category_label(c)) for c in Category.objects.order_by("order", "name")
    ]
    assert list(forms.kecamatan_choices()) == [(a.pk, a.name) for a in forms.kecamatan_areas()]
    assert list(forms.kelurahan_options()) == kelurahan_choices()


def test_the_version_lapses_so_a_lost_invalidation_heals(monkeypatch):
    """A process whose cache was paused could not send its invalidation: the version it would have
    replaced lapses after VERSION_SECONDS, and every process builds its lists again."""
    lapses = []

    class Recording:
        def __getattr__(self, name):
            return getattr(cache, name)

        def add(self, key, value, timeout=None):
            lapses.append(timeout)
            return cache.add(key, value, timeout)

        def set(self, key, value, timeout=None):
            lapses.append(timeout)
            return cache.set(key, value, timeout)

    monkeypatch.setattr(reference, "cache", Recording())
    cache.delete(reference.CACHE_KEY)
    reference._local.update(version=None)
    first = reference.version()
    reference.invalidate()
    assert reference.version() != first
    assert lapses and all(t == reference.VERSION_SECONDS for t in lapses)
