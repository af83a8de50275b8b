"""The docs/product.md §3 matrix over the API (list, detail, search, timeline) and Open311, parametrized
over persona × privacy × state (tests/privacy_matrix.py)."""

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own responses in tests
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from complaints.privacy import Level
from tests.privacy_matrix import CASES, PRIVACY_LEVELS, STATES, build_report, expected, persona

pytestmark = pytest.mark.django_db

LAT, LNG = Decimal("-4.601234"), Decimal("121.903456")
SECRETS = ("alice@warga.id", "+628529860111", "Rahmawati")  # email, phone, full name: never below CONTACT
STAFF_EXACT = {"citizen", "operator", "liaison_pu", "head_pu", "auditor"}


def api_for(request, name):
    c = APIClient()
    if name != "anonymous":
        from accounts.auth import issue_token

        c.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(persona(request, name))}")
    return c


def report(request, privacy, state):
    return build_report(
        request,
        privacy,
        state,
        title="Drainase tersumbat Kalimantang",
        body="Saluran air di Jalan Poros tersumbat sampah sejak minggu lalu.",
        lat=LAT,
        lng=LNG,
    )


def exact_coordinates(name, exp):
    """Exact for the reporter and staff with a role on the report (the §3 table's 'everything'):
    the shared matrix says who that is."""
    return exp.exact_location


@pytest.mark.parametrize("name,privacy,state", CASES)
def test_api_surfaces(request, name, privacy, state):
    c = report(request, privacy, state)
    exp = expected(name, privacy, state)
    api = api_for(request, name)

    # Detail: the same 404 as a missing id when not visible.
    r = api.get(f"/api/v1/complaints/{c.tracking_id}/")
    assert r.status_code == (200 if exp.sees else 404)
    if not exp.sees:
        assert r.json() == api.get("/api/v1/complaints/LPR-0000-0000/").json()
    else:
        body = r.json()
        assert (body["reporter"] is not None) == (exp.level >= Level.NAME)
        assert (body["reporter_identity"] is not None) == (exp.level >= Level.CONTACT)
        if exp.level < Level.CONTACT:
            text = json.dumps(body)
            assert not any(secret in text for secret in SECRETS)
        if exp.level < Level.FULL and body["reporter_identity"]:
            assert "nik" not in body["reporter_identity"]
        lat = body["location"]["lat"]
        if exact_coordinates(name, exp):
            assert lat == float(LAT)
        elif privacy == "umum":
            assert lat == -4.601  # about 100 m
        else:
            assert lat is None  # anonim: the kelurahan only

    # List and search: exactly the reports the caller may see.
    listed = api.get("/api/v1/complaints/?page_size=100").json()["results"]
    assert (c.tracking_id in [row["tracking_id"] for row in listed]) == exp.sees
    found = api.get("/api/v1/complaints/?q=Kalimantang").json()["results"]
    assert [row["tracking_id"] for row in found] == ([c.tracking_id] if exp.sees else [])
    for row in listed:
        if exp.level < Level.CONTACT:
            assert not any(secret in json.dumps(row) for secret in SECRETS)
        if row["tracking_id"] == c.tracking_id and (row["reporter"] is not None):
            assert exp.level >= Level.NAME

    # Timeline: the reporter is named only where the caller sees the name.
    t = api.get(f"/api/v1/complaints/{c.tracking_id}/timeline/")
    assert t.status_code == (200 if exp.sees else 404)
    if exp.sees:
        actors = {e["actor"] for e in t.json()}
        assert "Alice Rahmawati" not in actors and "Opi Operator" not in actors
        filed = t.json()[0]
        assert filed["type"] == "filed"
        assert filed["actor"] in ("Alice", "Pelapor")
        if exp.level < Level.NAME:
            assert filed["actor"] == "Pelapor"


def _body(response):
    """The bytes of an answer; Open311's request lists are streamed (read once)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def _open311_ids(response, fmt):
    if fmt == "json":
        return [row["service_request_id"] for row in json.loads(_body(response))]
    root = ET.fromstring(_body(response))  # noqa: S314
    return [node.findtext("service_request_id") for node in root.findall("request")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("privacy", PRIVACY_LEVELS)
@pytest.mark.parametrize("state", STATES)
def test_open311(request, client, privacy, state, fmt):
    c = report(request, privacy, state)
    exp = expected("anonymous", privacy, state)
    listed = _open311_ids(client.get(f"/open311/v2/requests.{fmt}"), fmt)
    assert (c.tracking_id in listed) == exp.listed
    one = client.get(f"/open311/v2/requests/{c.tracking_id}.{fmt}")
    assert one.status_code == (200 if exp.listed else 404)
    text = _body(one).decode()
    assert not any(secret in text for secret in SECRETS) and "Alice" not in text
    if exp.listed and fmt == "json":
        row = json.loads(text)[0]
        assert row["lat"] == (-4.601 if privacy == "umum" else None)
        assert row["long"] == (121.903 if privacy == "umum" else None)
