"""The OpenAPI document says what the code does: the places where they disagreed."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/v1/schema/?format=json").json()


def request_schema(schema, path):
    ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_reference_resolves(schema):
    names = set(schema["components"]["schemas"])

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in names, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


def test_reveal_reason_limits_are_the_workflows(schema, client_for, auditor, file_report):
    reason = request_schema(schema, "/api/v1/complaints/{tracking_id}/reveal/")["properties"]["reason"]
    assert (reason["minLength"], reason["maxLength"]) == (10, 1000)
    c = file_report(privacy="rahasia")
    api = client_for(auditor)
    r = api.post(f"/api/v1/complaints/{c.tracking_id}/reveal/", {"reason": "x" * 1001}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(f"/api/v1/complaints/{c.tracking_id}/reveal/", {"reason": "pendek"}, format="json")
    assert r.status_code == 400 and "reason" in r.json()


def test_timeline_documents_no_filters(schema):
    params = schema["paths"]["/api/v1/complaints/{tracking_id}/timeline/"]["get"].get("parameters", [])
    assert [p["name"] for p in params] == ["tracking_id"]


def test_invalid_token_is_401_and_documented_on_public_operations(schema, client, region):
    for path in ("/api/v1/categories/", "/api/v1/agencies/", "/api/v1/areas/", "/api/v1/complaints/"):
        assert "401" in schema["paths"][path]["get"]["responses"], path
        r = client.get(path, HTTP_AUTHORIZATION="Token tidak-ada")
        assert r.status_code == 401 and r.json()["detail"]
    # Registration reads no credentials: no 401 there.
    assert "401" not in schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]


def test_page_size_must_be_a_positive_integer(schema, client, region):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/complaints/"]["get"]["parameters"]}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    for bad in ("null", "0", "-1", "²"):
        r = client.get("/api/v1/complaints/", {"page_size": bad})
        assert r.status_code == 400 and "page_size" in r.json(), bad
    assert client.get("/api/v1/complaints/", {"page_size": "500"}).status_code == 200


def test_verify_needs_at_least_one_agency(schema, client_for, operator, file_report):
    agencies = request_schema(schema, "/api/v1/complaints/{tracking_id}/verify/")["properties"]["agencies"]
    assert agencies["minItems"] == 1
    c = file_report()
    r = client_for(operator).post(f"/api/v1/complaints/{c.tracking_id}/verify/", {"agencies": []}, format="json")
    assert r.status_code == 400 and "agencies" in r.json()


def test_area_level_must_be_a_level(client, region):
    assert client.get("/api/v1/areas/", {"level": ""}).status_code == 400
    assert client.get("/api/v1/areas/", {"level": "kecamatan"}).status_code == 200


def test_a_registration_losing_a_race_is_a_400(client, region, monkeypatch):
    from django.db import IntegrityError

    from accounts import services

    def collide(**kwargs):
        raise IntegrityError('duplicate key value violates unique constraint "accounts_user_email_key"')

    monkeypatch.setattr(services, "register", collide)
    r = client.post(
        "/api/v1/auth/register/",
        {
            "email": "sari@contoh.id",
            "password": "kata-sandi-panjang-2026",
            "full_name": "Sari",
            "phone": "0812 7777 1111",
            "consent": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 400 and "email" in r.json()


def test_page_and_empty_agency(client, client_for, operator, file_report, region):
    assert client.get("/api/v1/complaints/", {"page": ""}).status_code == 400
    c = file_report()
    r = client_for(operator).post(
        f"/api/v1/complaints/{c.tracking_id}/reclassify/",
        {"terlapor_agency": "", "location_text": "Jl. Baru"},
        format="json",
    )
    # The empty slug is accepted as "no terlapor" (an empty change alone is refused as no change).
    assert r.status_code == 200, r.json()
    c.refresh_from_db()
    assert (c.terlapor_agency_id, c.location_text) == (None, "Jl. Baru")
