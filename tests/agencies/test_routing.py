"""Routing by area: `agencies.routing.route_for(category, kecamatan)` — the category's route for the
kecamatan first, then its default agency — with the worked example "Puskesmas complaints in
Kecamatan Sukamaju go to UPTD Puskesmas Sukamaju"; the operator's suggestion, the API's `verify`
default and the admin's table (an inline on the category) all follow it."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from agencies.models import Agency, AgencyKind, Area, AreaRoute, Category
from agencies.routing import route_for
from complaints.workflow import suggested_routing

pytestmark = pytest.mark.django_db


@pytest.fixture
def sukamaju(region):
    """Kecamatan Sukamaju with a kelurahan, UPTD Puskesmas Sukamaju (a unit of Dinas Kesehatan) and
    the route of health reports there to it."""
    r = region
    r.sukamaju = Area.objects.create(name="Sukamaju", code="02", level=Area.Level.KECAMATAN)
    r.mekarsari = Area.objects.create(name="Mekarsari", code="02.01", level=Area.Level.KELURAHAN, parent=r.sukamaju)
    r.puskesmas_sukamaju = Agency.objects.create(
        slug="dinkes-puskesmas-sukamaju",
        name="UPTD Puskesmas Sukamaju",
        short_name="Puskesmas Sukamaju",
        kind=AgencyKind.UNIT,
        parent=r.dinkes,
    )
    r.route = AreaRoute.objects.create(category=r.health, kecamatan=r.sukamaju, agency=r.puskesmas_sukamaju)
    return r


# route_for ---------------------------------------------------------------------------------------
def test_health_reports_in_sukamaju_go_to_its_puskesmas(sukamaju):
    r = sukamaju
    assert route_for(r.health, r.sukamaju) == r.puskesmas_sukamaju
    assert route_for(r.health, r.sukamaju.pk) == r.puskesmas_sukamaju
    assert route_for(r.health, r.mekarsari) == r.puskesmas_sukamaju  # a kelurahan stands for its kecamatan


def test_elsewhere_and_other_categories_keep_the_default(sukamaju):
    r = sukamaju
    assert route_for(r.health, r.kecamatan) == r.dinkes  # another kecamatan
    assert route_for(r.health, r.kelurahan) == r.dinkes
    assert route_for(r.health, None) == r.dinkes  # no kecamatan on the report
    assert route_for(r.roads, r.sukamaju) == r.pu  # another category in Sukamaju
    assert route_for(None, r.sukamaju) is None
    r.health.default_agency = None
    r.health.save()
    assert route_for(r.health, r.kecamatan) is None
    assert route_for(r.health, r.sukamaju) == r.puskesmas_sukamaju


def test_a_route_to_an_inactive_agency_falls_back_to_the_default(sukamaju):
    r = sukamaju
    r.puskesmas_sukamaju.is_active = False
    r.puskesmas_sukamaju.save()
    assert route_for(r.health, r.sukamaju) == r.dinkes


def test_one_route_per_category_and_kecamatan(sukamaju):
    r = sukamaju
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaRoute.objects.create(category=r.health, kecamatan=r.sukamaju, agency=r.dinkes)
    AreaRoute.objects.create(category=r.roads, kecamatan=r.sukamaju, agency=r.bina_marga)  # another category: fine
    assert route_for(r.roads, r.sukamaju) == r.bina_marga


def test_route_for_reads_the_routes_kept_per_process(sukamaju, django_assert_num_queries):
    """The routes and agencies are read once per process and version of the reference tables
    (agencies/reference.py): no query after that, and a change of a route is seen at once."""
    r = sukamaju
    health = Category.objects.select_related("default_agency").get(pk=r.health.pk)
    route_for(health, r.sukamaju)  # reads the reference tables
    with django_assert_num_queries(0):
        assert route_for(health, r.sukamaju).name == "UPTD Puskesmas Sukamaju"
        assert route_for(health, r.kecamatan).name == "Dinas Kesehatan"
    r.route.delete()
    assert route_for(health, r.sukamaju) == r.dinkes
    AreaRoute.objects.create(category=r.health, kecamatan=r.kecamatan, agency=r.puskesmas_sukamaju)
    assert route_for(health, r.kecamatan) == r.puskesmas_sukamaju


# The rules (the same as Category.clean) ----------------------------------------------------------
def test_an_oversight_category_routes_only_to_an_overseer(sukamaju):
    r = sukamaju
    with pytest.raises(ValidationError) as excinfo:
        AreaRoute(category=r.pungli, kecamatan=r.sukamaju, agency=r.dinkes).full_clean()
    assert "agency" in excinfo.value.message_dict
    AreaRoute(category=r.pungli, kecamatan=r.sukamaju, agency=r.bkd).full_clean()  # BKD is an overseer


def test_a_route_is_for_a_kecamatan_and_never_to_an_observer(sukamaju):
    r = sukamaju
    with pytest.raises(ValidationError) as excinfo:
        AreaRoute(category=r.roads, kecamatan=r.mekarsari, agency=r.pu).full_clean()
    assert "kecamatan" in excinfo.value.message_dict
    ombudsman = Agency.objects.create(slug="ombudsman", name="Ombudsman", kind=AgencyKind.OBSERVER)
    with pytest.raises(ValidationError) as excinfo:
        AreaRoute(category=r.roads, kecamatan=r.kecamatan, agency=ombudsman).full_clean()
    assert "agency" in excinfo.value.message_dict


# The operator's suggestion and the API's verify default ------------------------------------------
def test_the_operators_suggestion_follows_the_area_route(sukamaju, file_report):
    r = sukamaju
    in_sukamaju = file_report(category=r.health, kecamatan=r.sukamaju, kelurahan=r.mekarsari)
    agencies, why = suggested_routing(in_sukamaju)
    assert agencies == [r.puskesmas_sukamaju]
    assert "kecamatan" in str(why)
    elsewhere = file_report(category=r.health, kecamatan=r.kecamatan, kelurahan=r.kelurahan)
    assert suggested_routing(elsewhere)[0] == [r.dinkes]


def test_the_review_page_preselects_the_area_route(sukamaju, file_report, operator, client_for):
    r = sukamaju
    c = file_report(category=r.health, kecamatan=r.sukamaju, kelurahan=r.mekarsari)
    page = client_for(operator).get(reverse("staff:review", args=[c.tracking_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert _checked(html, "dinkes-puskesmas-sukamaju")
    assert not _checked(html, "dinkes")


def _checked(html, slug):
    """Whether the verify form's checkbox for `slug` is ticked (attribute order aside)."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'value="{slug}"' in tag and "verify-agencies" in tag:
            return "checked" in tag
    return False


def test_the_api_verify_default_follows_the_area_route(sukamaju, file_report, operator, api_client_for):
    r = sukamaju
    c = file_report(category=r.health, kecamatan=r.sukamaju, kelurahan=r.mekarsari)
    response = api_client_for(operator).post(f"/api/v1/complaints/{c.tracking_id}/verify/", {}, format="json")
    assert response.status_code == 200, response.content
    assert [d["agency"] for d in response.json()["dispositions"]] == ["dinkes-puskesmas-sukamaju"]

    elsewhere = file_report(category=r.health, kecamatan=r.kecamatan, kelurahan=r.kelurahan)
    response = api_client_for(operator).post(f"/api/v1/complaints/{elsewhere.tracking_id}/verify/", {}, format="json")
    assert response.status_code == 200, response.content
    assert [d["agency"] for d in response.json()["dispositions"]] == ["dinkes"]


def test_the_api_verify_agencies_given_win(sukamaju, file_report, operator, api_client_for):
    r = sukamaju
    c = file_report(category=r.health, kecamatan=r.sukamaju)
    response = api_client_for(operator).post(
        f"/api/v1/complaints/{c.tracking_id}/verify/", {"agencies": ["dinkes"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert [d["agency"] for d in response.json()["dispositions"]] == ["dinkes"]


def test_the_api_verify_default_for_oversight_and_without_any_routing(sukamaju, file_report, operator, api_client_for):
    r = sukamaju
    AreaRoute.objects.create(category=r.pungli, kecamatan=r.sukamaju, agency=r.bkd)
    c = file_report(category=r.pungli, kecamatan=r.sukamaju)
    response = api_client_for(operator).post(f"/api/v1/complaints/{c.tracking_id}/verify/", {}, format="json")
    assert response.status_code == 200, response.content
    assert [d["agency"] for d in response.json()["dispositions"]] == ["bkd"]

    nowhere = Category.objects.create(slug="lain", name="Lain-lain")
    c = file_report(category=nowhere, kecamatan=r.sukamaju)
    response = api_client_for(operator).post(f"/api/v1/complaints/{c.tracking_id}/verify/", {}, format="json")
    assert response.status_code == 400 and "agencies" in response.json()
    c.refresh_from_db()
    assert c.status == "belum_terverifikasi"


# The admin ---------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser(email="root@pemda.go.id", password="x", full_name="Super Admin")
    client.force_login(user)
    return client


def _inline_post(category, agency, kecamatan, **overrides):
    data = {
        "name": category.name,
        "name_en": category.name_en,
        "slug": category.slug,
        "description": category.description,
        "default_agency": category.default_agency_id or "",
        "is_active": "on",
        "order": category.order,
        "area_routes-TOTAL_FORMS": "1",
        "area_routes-INITIAL_FORMS": "0",
        "area_routes-MIN_NUM_FORMS": "0",
        "area_routes-MAX_NUM_FORMS": "1000",
        "area_routes-0-kecamatan": kecamatan.pk,
        "area_routes-0-agency": agency.pk,
    }
    if category.oversight:
        data["oversight"] = "on"
    data.update(overrides)
    return data


def test_the_admin_edits_routes_inline_on_the_category(admin_client, region):
    r = region
    url = reverse("admin:agencies_category_change", args=[r.health.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "area_routes-TOTAL_FORMS" in page.content.decode()
    response = admin_client.post(url, _inline_post(r.health, r.puskesmas, r.kecamatan))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert route_for(r.health, r.kecamatan) == r.puskesmas


def test_the_admin_refuses_an_oversight_route_to_an_opd(admin_client, region):
    r = region
    url = reverse("admin:agencies_category_change", args=[r.pungli.pk])
    response = admin_client.post(url, _inline_post(r.pungli, r.dinkes, r.kecamatan))
    assert response.status_code == 200
    assert "Kategori berkadar pengawasan harus ke Inspektorat atau BKD." in response.content.decode()
    assert not AreaRoute.objects.exists()
