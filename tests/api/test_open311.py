"""Open311 GeoReport v2: discovery, services, requests (list, one, create) in JSON and XML."""

import io
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own responses in tests
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image

from accounts.models import User
from complaints import workflow
from complaints.evidence import uploads
from complaints.models import Complaint, Open311Key, Privacy

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def body(response):
    """The bytes of an answer; the request lists are streamed (read once)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def json_of(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(body(response))


def xml(response):
    assert response["Content-Type"].startswith("text/xml")
    content = body(response)
    assert content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(content)  # noqa: S314


@pytest.fixture
def key(db):
    return Open311Key.objects.create(name="Aplikasi warga").key


# Discovery and services ----------------------------------------------------------------------------
def test_discovery(client):
    data = client.get(BASE + "discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(BASE + "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services(client, region):
    services = client.get(BASE + "services.json").json()
    roads = next(s for s in services if s["service_code"] == "jalan")
    assert roads == {
        "service_code": "jalan",
        "service_name": "Jalan dan jembatan",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "Dinas PU",
    }
    root = xml(client.get(BASE + "services.xml"))
    assert root.tag == "services" and {s.findtext("service_code") for s in root} >= {"jalan", "kesehatan"}
    assert root.find("service/metadata").text == "false"


def test_service_definition(client, region):
    assert client.get(BASE + "services/jalan.json").json() == {"service_code": "jalan", "attributes": []}
    assert xml(client.get(BASE + "services/jalan.xml")).tag == "service_definition"
    r = client.get(BASE + "services/tidak-ada.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and r.json()[0]["description"]
    err = xml(client.get(BASE + "services/tidak-ada.xml"))
    assert err.tag == "errors" and err.findtext("error/code") == "404"


# Requests: reading ----------------------------------------------------------------------------------
def test_request_fields(client, region, report_on_jalan_poros, operator, liaison_pu):
    c = report_on_jalan_poros
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu", "dinkes"])
    row = json_of(client.get(BASE + f"requests/{c.tracking_id}.json"))[0]
    assert set(row) == REQUEST_FIELDS
    assert row["service_request_id"] == c.tracking_id
    assert (row["status"], row["status_notes"]) == ("open", "Belum ditindaklanjuti")
    assert (row["service_code"], row["service_name"]) == ("jalan", "Jalan dan jembatan")
    assert row["agency_responsible"] == "Dinas PU, Dinas Kesehatan"
    assert row["address"] == "Jl. Poros, Lamokato, Kota"
    assert (row["lat"], row["long"]) == (-4.601, 121.903)
    requested = parse_datetime(row["requested_datetime"])
    assert requested.utcoffset() == timedelta(hours=7) and row["requested_datetime"].endswith("+07:00")
    first_deadline = min(d.due_at for d in c.dispositions.all())
    assert abs(parse_datetime(row["expected_datetime"]) - first_deadline) < timedelta(seconds=1)
    assert row["media_url"] == ""
    node = xml(client.get(BASE + f"requests/{c.tracking_id}.xml")).find("request")
    assert {child.tag for child in node} == REQUEST_FIELDS
    assert node.findtext("service_request_id") == c.tracking_id and node.findtext("lat") == "-4.601"


def settled(c, liaison, citizen):
    """`c` followed up and finished by `liaison`, and accepted by its reporter: closed."""
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison, disposition=d.pk, body="Sudah ditambal.")
    workflow.finish(c.pk, by=liaison, disposition=d.pk)
    workflow.accept(c.pk, by=citizen)
    return c


def test_closed_requests_and_public_summary(client, disposed_report, operator, liaison_pu, citizen):
    c = settled(disposed_report(), liaison_pu, citizen)
    workflow.edit_summary(c.pk, by=operator, summary="Jalan berlubang <dekat> pasar & terminal.")
    row = json_of(client.get(BASE + f"requests/{c.tracking_id}.json"))[0]
    assert (row["status"], row["status_notes"], row["expected_datetime"]) == ("closed", "Selesai", None)
    assert row["description"] == "Jalan berlubang <dekat> pasar & terminal."
    node = xml(client.get(BASE + f"requests/{c.tracking_id}.xml")).find("request")
    assert node.findtext("description") == "Jalan berlubang <dekat> pasar & terminal."  # escaped, parsed back
    assert b"&lt;dekat&gt; pasar &amp; terminal" in body(client.get(BASE + f"requests/{c.tracking_id}.xml"))


def test_list_filters(client, region, disposed_report, liaison_pu, citizen):
    road = disposed_report()
    health = disposed_report(category=region.health, agencies=("dinkes",))
    d = road.dispositions.get()
    workflow.followup(road.pk, by=liaison_pu, disposition=d.pk, body="Sudah ditambal.")
    workflow.finish(road.pk, by=liaison_pu, disposition=d.pk)
    workflow.accept(road.pk, by=citizen)

    def ids(query):
        return sorted(r["service_request_id"] for r in json_of(client.get(BASE + "requests.json" + query)))

    assert ids("") == sorted([road.tracking_id, health.tracking_id])
    assert ids("?service_code=kesehatan") == [health.tracking_id]
    assert ids("?service_code=jalan,kesehatan") == sorted([road.tracking_id, health.tracking_id])
    assert ids("?status=open") == [health.tracking_id]
    assert ids("?status=closed") == [road.tracking_id]
    assert ids(f"?service_request_id={road.tracking_id},LPR-0000-0000&status=open") == [road.tracking_id]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert ids(f"?start_date={tomorrow}") == []
    assert ids(f"?end_date={tomorrow}") == sorted([road.tracking_id, health.tracking_id])
    for bad in (
        "?status=pending",
        "?start_date=kemarin",
        "?end_date=2026-13-40",
        f"?start_date={tomorrow}&end_date=2020-01-01",
    ):
        r = client.get(BASE + "requests.json" + bad)
        assert r.status_code == 400 and r.json()[0]["code"] == 400, bad
        assert xml(client.get(BASE + "requests.xml" + bad)).tag == "errors"


def test_default_window_is_90_days(client, disposed_report):
    with time_machine.travel(timezone.now() - timedelta(days=100)):
        old = disposed_report()
    recent = disposed_report()
    ids = [r["service_request_id"] for r in json_of(client.get(BASE + "requests.json"))]
    assert ids == [recent.tracking_id]
    start = (timezone.localdate() - timedelta(days=120)).isoformat()
    ids = [r["service_request_id"] for r in json_of(client.get(BASE + f"requests.json?start_date={start}"))]
    assert ids == [recent.tracking_id, old.tracking_id]


def test_at_most_1000_rows(client, disposed_report, monkeypatch):
    from complaints.channels import open311

    # Over several chunks: the newest MAX_ROWS, in order, and not a row more.
    monkeypatch.setattr(open311, "MAX_ROWS", 3)
    monkeypatch.setattr(open311, "CHUNK", 2)
    made = [disposed_report() for _i in range(5)]
    newest = [c.tracking_id for c in reversed(made)][:3]
    assert [r["service_request_id"] for r in json_of(client.get(BASE + "requests.json"))] == newest
    assert [n.findtext("service_request_id") for n in xml(client.get(BASE + "requests.xml"))] == newest


def test_media_url_is_a_public_image(client, disposed_report, citizen, operator):
    c = disposed_report()
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("rumah-alice.png", out.getvalue()))
    row = json_of(client.get(BASE + f"requests/{c.tracking_id}.json"))[0]
    assert row["media_url"] == f"http://testserver/lampiran/{a.key}/"
    assert client.get(row["media_url"]).status_code == 200
    workflow.set_attachment_public(c.pk, by=operator, attachment=a.pk, public=False)
    assert json_of(client.get(BASE + f"requests/{c.tracking_id}.json"))[0]["media_url"] == ""


def _queries(client, url):
    """The queries of one answer, its streamed body included (read inside the count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert body(client.get(url))
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(client, disposed_report, django_assert_max_num_queries):
    # Within a chunk (CHUNK = 100) the count does not grow with the rows.
    disposed_report()
    one = _queries(client, BASE + "requests.json")
    for _i in range(30):
        disposed_report()
    with django_assert_max_num_queries(one):
        assert len(body(client.get(BASE + "requests.xml"))) > 1000


def test_list_queries_grow_with_chunks_not_rows(client, disposed_report, monkeypatch):
    from complaints.channels import open311

    monkeypatch.setattr(open311, "CHUNK", 5)
    disposed_report()
    one = _queries(client, BASE + "requests.json")
    for _i in range(4):
        disposed_report()
    assert _queries(client, BASE + "requests.json") == one  # 5 rows: still one chunk
    for _i in range(7):
        disposed_report()
    # 12 rows: three chunks, each the reports (their first public image in the row) and their
    # dispositions.
    assert _queries(client, BASE + "requests.json") == one + 2 * 2
    assert _queries(client, BASE + "requests.xml") == one + 2 * 2


def _statements(client, url):
    """The statements of one answer, its body read, without the request's own savepoint."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert body(client.get(url))
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_one_request_is_two_queries(client, disposed_report, citizen, operator):
    """The report with its category, places and first public image; its dispositions. (A missing
    one: the first query alone.)"""
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = disposed_report(agencies=("dinas-pu", "dinkes"))
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(out, format="PNG")
    uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("lubang.png", out.getvalue()))
    for fmt in ("json", "xml"):
        statements = _statements(client, BASE + f"requests/{c.tracking_id}.{fmt}")
        assert len(statements) == 2, statements
    row = json_of(client.get(BASE + f"requests/{c.tracking_id}.json"))[0]
    assert row["media_url"].startswith("http://testserver/lampiran/") and "," in row["agency_responsible"]
    assert len(_statements(client, BASE + "requests/LPR-AAAA-BBBB.json")) == 1


@pytest.fixture
def varied_requests(region, disposed_report, citizen, operator, liaison_pu):
    """Reports that exercise every field: a public image, two agencies, a closed one whose summary
    holds XML's special characters, an anonim one, and one stored before the text gate."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    with_media = disposed_report(kelurahan=region.kelurahan, kecamatan=region.kecamatan, location_text="Jl. Poros")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(out, format="PNG")
    uploads.add_attachment(with_media, by=citizen, uploaded=SimpleUploadedFile("lubang.png", out.getvalue()))
    disposed_report(agencies=("dinas-pu", "dinkes"), lat=Decimal("-4.601234"), lng=Decimal("121.903456"))
    closed = settled(disposed_report(), liaison_pu, citizen)
    workflow.edit_summary(closed.pk, by=operator, summary="Jalan <rusak> & \"licin\" di Café 'Ümar' — pasar.")
    disposed_report(privacy="anonim", location_text="Gang Mawar 3", lat=Decimal("-4.6"), lng=Decimal("121.9"))
    old = disposed_report()
    Complaint.objects.filter(pk=old.pk).update(body="Lama\x01\x0b isi <b>", location_text="Jl.\x08 Lama")


def _rendered_at_once(fmt):
    """The list as `render()` builds it in memory: what the streamed answer must equal."""
    from django.test import RequestFactory
    from django.utils import translation

    from complaints.channels import open311

    request = RequestFactory().get(BASE + f"requests.{fmt}")
    rows = list(open311.public_requests().order_by("-created_at", "-pk"))
    with translation.override("id"):
        labels, dispositions = open311._Labels(), open311._dispositions_of(rows)
        data = [open311.request_data(c, request, labels, dispositions[c.pk]) for c in rows]
        return open311.render(data, fmt, root="service_requests", item="request").content


@pytest.mark.parametrize("chunk", [2, 100])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_streamed_list_is_byte_for_byte_the_rendered_one(client, varied_requests, monkeypatch, chunk, fmt):
    from complaints.channels import open311

    monkeypatch.setattr(open311, "CHUNK", chunk)
    response = client.get(BASE + f"requests.{fmt}")
    assert response.status_code == 200 and response.streaming and not response.has_header("Content-Length")
    assert response["Content-Type"] == open311.CONTENT_TYPES[fmt]
    streamed = body(response)
    expected = _rendered_at_once(fmt)
    assert streamed == expected
    assert expected.count(b"service_request_id") == 5 * (2 if fmt == "xml" else 1)
    assert (b"&lt;rusak&gt; &amp;" if fmt == "xml" else b"<rusak> &") in streamed
    assert b"/lampiran/" in streamed and "Café".encode() in streamed
    # One request: the bytes of the list of it alone.
    tracking_id = Complaint.objects.latest("created_at").tracking_id
    one = client.get(BASE + f"requests/{tracking_id}.{fmt}")
    alone = client.get(BASE + f"requests.{fmt}", {"service_request_id": tracking_id})
    assert body(one) == body(alone) and tracking_id.encode() in body(one)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_empty_streamed_list_is_the_rendered_one(client, db, fmt):
    from complaints.channels import open311

    empty = open311.render([], fmt, root="service_requests", item="request").content
    assert body(client.get(BASE + f"requests.{fmt}")) == empty  # "[]" or "<service_requests />"


def test_a_report_made_private_while_its_list_streams_is_left_out(client, disposed_report, operator, monkeypatch):
    from complaints.channels import open311

    older, newer = disposed_report(), disposed_report()
    monkeypatch.setattr(open311, "CHUNK", 1)
    response = client.get(BASE + "requests.json")
    pieces = iter(response.streaming_content)
    first = next(pieces)  # the order is decided and the first chunk sent
    workflow.change_privacy(older.pk, by=operator, privacy_level="rahasia")
    rows = json.loads(first + b"".join(pieces))
    assert [r["service_request_id"] for r in rows] == [newer.tracking_id]


def test_a_list_cut_off_mid_way_is_logged_and_raised(client, open311_cut_mid_way, caplog):
    from django.db import OperationalError

    response = client.get(BASE + "requests.json")
    assert response.status_code == 200
    pieces = iter(response.streaming_content)
    assert next(pieces).startswith(b"[{")
    with pytest.raises(OperationalError):
        next(pieces)
    assert "broke off after 2 of 3 requests" in caplog.text


def test_unknown_paths(client):
    r = client.get(BASE + "tidak-ada.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    assert client.get(BASE + "requests.csv").status_code == 404


# Requests: creating ----------------------------------------------------------------------------------
def post(client, fmt="json", **fields):
    return client.post(BASE + f"requests.{fmt}", fields)


# A request the endpoint accepts (with an api_key): the refusal tests change one field of it.
VALID_REQUEST = {
    "service_code": "jalan",
    "lat": "-4.6",
    "long": "121.9",
    "email": "budi@contoh.id",
    "description": "Lubang besar di tikungan dekat jembatan.",
}


def test_create_files_a_report(client, region, key):
    r = post(
        client,
        api_key=key,
        service_code="jalan",
        lat="-4.6012345678",
        long="121.90345",
        email="Budi@Contoh.id",
        first_name="Budi",
        last_name="Hartono",
        phone="0812 5555 6666",
        description="Lubang besar di tikungan dekat jembatan, sudah ada motor jatuh.",
        address_string="Jl. Poros km 3",
        media_url="https://contoh.id/foto.jpg",
    )
    assert r.status_code == 201, r.content
    row = r.json()[0]
    c = Complaint.objects.get(tracking_id=row["service_request_id"])
    assert row["service_notice"] and row["account_id"] is None
    assert (c.channel, c.privacy, c.category, c.location_text) == (
        "open311",
        Privacy.ANONIM,
        region.roads,
        "Jl. Poros km 3",
    )
    assert c.lat == Decimal("-4.601235") and c.channel_link == "https://contoh.id/foto.jpg"
    user = c.reporter
    assert (user.email, user.full_name, user.phone, user.email_verified, user.sms_only) == (
        "budi@contoh.id",
        "Budi Hartono",
        "+6281255556666",
        False,
        False,
    )
    # Not public until an operator verifies it.
    assert client.get(BASE + f"requests/{c.tracking_id}.json").status_code == 404


def test_create_xml_and_existing_account(client, region, key, citizen, django_capture_on_commit_callbacks):
    from django.core import mail

    request = {
        "api_key": key,
        "service_code": "kesehatan",
        "address_string": "Puskesmas Kota",
        "email": "alice@warga.id",
        "description": "Antrian puskesmas sangat panjang tanpa nomor urut.",
        "privacy": "rahasia",
    }
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, "xml", **request)
    assert r.status_code == 201
    tracking_id = xml(r).findtext("request/service_request_id")
    c = Complaint.objects.get(tracking_id=tracking_id)
    # An API key holder only typed the address: the report waits for its owner to confirm.
    assert c.reporter is None and c.privacy == Privacy.RAHASIA and c.walkin_contact == "alice@warga.id"
    assert User.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["alice@warga.id"]]
    link = re.search(r"/akun/konfirmasi-laporan/[^/\s]+/", mail.outbox[0].body).group(0)
    assert client.post(link, {"answer": "yes"}).status_code == 302
    assert Complaint.objects.get(pk=c.pk).reporter == citizen


@pytest.mark.parametrize(
    "change,code",
    [
        ({"api_key": "salah"}, 403),
        ({"api_key": ""}, 403),
        ({"service_code": "tidak-ada"}, 400),
        ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"lat": "95", "long": "10"}, 400),
        ({"lat": "1", "long": ""}, 400),
        ({"lat": "utara", "long": "1"}, 400),
        ({"description": "pendek"}, 400),
        ({"email": ""}, 400),
        ({"email": "bukan-email"}, 400),
        ({"privacy": "terbuka"}, 400),
    ],
)
def test_create_refusals(client, region, key, change, code):
    fields = {"api_key": key, **VALID_REQUEST}
    fields.update({k: v for k, v in change.items()})
    for fmt in ("json", "xml"):
        r = post(client, fmt, **fields)
        assert r.status_code == code, (change, r.content)
        if fmt == "json":
            assert r.json()[0]["code"] == code and r.json()[0]["description"]
        else:
            assert xml(r).findtext("error/code") == str(code)
    assert not Complaint.objects.exists()


def test_inactive_key_refused(client, region, key):
    Open311Key.objects.update(is_active=False)
    r = post(client, api_key=key, **VALID_REQUEST)
    assert r.status_code == 403


def test_phone_of_another_account_is_not_taken_over(client, region, key, citizen):
    r = post(client, api_key=key, phone="0852-9860-111", **VALID_REQUEST)
    assert r.status_code == 201
    assert User.objects.get(email="budi@contoh.id").phone is None


def test_public_attachments_q_matches_attachments_for(disposed_report, citizen, liaison_pu, operator):
    """privacy.public_attachments_q (Open311's prefetch) is the public branch of attachments_for."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints import privacy
    from complaints.models import Attachment

    def png():
        out = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(out, format="PNG")
        return SimpleUploadedFile("a.png", out.getvalue())

    c = disposed_report()
    d = c.dispositions.get()
    evidence = uploads.add_attachment(c, by=citizen, uploaded=png())
    hidden = uploads.add_attachment(c, by=citizen, uploaded=png())
    workflow.set_attachment_public(c.pk, by=operator, attachment=hidden.pk, public=False)
    followup = workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah ditambal.")
    on_followup = uploads.add_attachment(c, by=liaison_pu, uploaded=png(), event=followup)
    question = workflow.question(c.pk, by=liaison_pu, disposition=d.pk, body="Di sisi mana lubangnya?")
    on_question = uploads.add_attachment(c, by=liaison_pu, uploaded=png(), event=question)
    expected = set(privacy.attachments_for(c, AnonymousUser()).values_list("pk", flat=True))
    assert expected == {evidence.pk, on_followup.pk}
    assert (
        set(Attachment.objects.filter(privacy.public_attachments_q(), complaint=c).values_list("pk", flat=True))
        == expected
    )
    assert hidden.pk not in expected and on_question.pk not in expected


# Places: lat/long at public precision, address per docs/privacy.md, radius and bbox queries -----------
def _at(disposed_report, lat, lng, privacy="umum", **fields):
    return disposed_report(privacy=privacy, lat=Decimal(lat), lng=Decimal(lng), **fields)


def test_anonim_request_has_no_point_and_no_street(client, region, disposed_report):
    c = _at(
        disposed_report,
        "-4.601234",
        "121.903456",
        privacy="anonim",
        location_text="Gang Mawar 3, depan rumah saya",
        kelurahan=region.kelurahan,
        kecamatan=region.kecamatan,
    )
    content = body(client.get(BASE + f"requests/{c.tracking_id}.json"))
    row = json.loads(content)[0]
    assert (row["lat"], row["long"]) == (None, None)
    assert row["address"] == "Lamokato, Kota"
    assert b"Gang Mawar" not in content and b"4.6012" not in content
    node = xml(client.get(BASE + f"requests/{c.tracking_id}.xml")).find("request")
    assert (node.findtext("lat"), node.findtext("long"), node.findtext("address")) == ("", "", "Lamokato, Kota")


def test_lat_long_have_at_most_three_decimals(client, disposed_report):
    _at(disposed_report, "-4.601500", "121.903499")
    _at(disposed_report, "0.123456", "-0.987654")
    for row in json_of(client.get(BASE + "requests.json")):
        for value in (row["lat"], row["long"]):
            assert value == round(value, 3)
            assert len(repr(value).split(".")[1]) <= 3


def test_radius_query_nearest_first(client, disposed_report):
    centre = ("-4.600000", "121.900000")
    near = _at(disposed_report, "-4.600400", "121.900000")  # public point -4.600: 0 m
    mid = _at(disposed_report, "-4.603000", "121.900000")  # ~334 m
    far = _at(disposed_report, "-4.610000", "121.900000")  # ~1,113 m
    _at(disposed_report, "-4.640000", "121.900000")  # ~4.4 km
    _at(disposed_report, "-4.700000", "121.900000")  # ~11 km: beyond any radius
    hidden = _at(disposed_report, "-4.600100", "121.900100", privacy="anonim")  # no public point
    disposed_report()  # no point at all

    def ids(**params):
        rows = json_of(client.get(BASE + "requests.json", {"lat": centre[0], "long": centre[1], **params}))
        return [r["service_request_id"] for r in rows]

    assert ids(radius="500") == [near.tracking_id, mid.tracking_id]
    assert ids() == [near.tracking_id, mid.tracking_id]  # the default radius: 1000 m
    assert ids(radius="1200") == [near.tracking_id, mid.tracking_id, far.tracking_id]
    assert len(ids(radius="5000")) == 4
    assert hidden.tracking_id not in ids(radius="5000")
    assert ids(radius="5000", service_code="kesehatan") == []
    root = xml(client.get(BASE + "requests.xml", {"lat": centre[0], "long": centre[1], "radius": "400"}))
    assert [n.findtext("service_request_id") for n in root] == [near.tracking_id, mid.tracking_id]


def test_radius_matches_the_public_point_not_the_stored_one(client, disposed_report):
    # Stored 44 m from the centre, but its public point (-4.600, 121.900) is 0 m: a client cannot
    # locate a report more precisely than the public sees it by shrinking the radius.
    a = _at(disposed_report, "-4.600400", "121.900000")
    rows = json_of(client.get(BASE + "requests.json", {"lat": "-4.6", "long": "121.9", "radius": "1"}))
    assert [r["service_request_id"] for r in rows] == [a.tracking_id]
    rows = json_of(client.get(BASE + "requests.json", {"lat": "-4.6004", "long": "121.9", "radius": "40"}))
    assert rows == []


def test_radius_query_is_capped_at_max_rows(client, disposed_report, monkeypatch):
    from complaints.channels import open311

    monkeypatch.setattr(open311, "MAX_ROWS", 3)
    made = [_at(disposed_report, f"-4.6{i}0000", "121.900000") for i in range(5)]
    rows = json_of(client.get(BASE + "requests.json", {"lat": "-4.6", "long": "121.9", "radius": "5000"}))
    assert [r["service_request_id"] for r in rows] == [c.tracking_id for c in made[:3]]


def test_bbox_query(client, disposed_report):
    inside = _at(disposed_report, "-4.601000", "121.901000")
    _at(disposed_report, "-4.620000", "121.901000")
    _at(disposed_report, "-4.601000", "121.901000", privacy="anonim")
    rows = json_of(client.get(BASE + "requests.json", {"bbox": "121.90,-4.61,121.91,-4.60"}))
    assert [r["service_request_id"] for r in rows] == [inside.tracking_id]


def test_place_query_count_is_constant(client, disposed_report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = {"lat": "-4.6", "long": "121.9", "radius": "5000"}
    _at(disposed_report, "-4.601000", "121.901000")
    with CaptureQueriesContext(connection) as one:
        assert len(json_of(client.get(BASE + "requests.json", params))) == 1
    for i in range(20):
        _at(disposed_report, f"-4.6{i:02d}000", "121.901000")
    with CaptureQueriesContext(connection) as many:
        assert len(json_of(client.get(BASE + "requests.json", params))) == 21
    assert len(many.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "-4.6"},
        {"long": "121.9"},
        {"lat": "abc", "long": "121.9"},
        {"lat": "-91", "long": "121.9"},
        {"lat": "-4.6", "long": "181"},
        {"lat": "nan", "long": "121.9"},
        {"lat": "-4.6", "long": "inf"},
        {"lat": "1e400", "long": "121.9"},
        {"lat": "-4.6", "long": "121.9", "radius": "5001"},
        {"lat": "-4.6", "long": "121.9", "radius": "0"},
        {"lat": "-4.6", "long": "121.9", "radius": "-10"},
        {"lat": "-4.6", "long": "121.9", "radius": "satu"},
        {"radius": "100"},
        {"bbox": "121.9,-4.61,121.91"},
        {"bbox": "121.91,-4.61,121.90,-4.60"},
        {"bbox": "a,b,c,d"},
        {"bbox": "100,-10,130,10"},
        {"bbox": "121.90,-4.61,121.91,-4.60", "lat": "-4.6", "long": "121.9"},
        {"lat": "-4.6\x00", "long": "121.9", "radius": "1e3\x00"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_place_is_a_clear_400(client, db, params, fmt):
    r = client.get(BASE + f"requests.{fmt}", params)
    if params.get("lat") == "-4.6\x00":  # NUL bytes are dropped: a valid query
        assert r.status_code == 200
        return
    assert r.status_code == 400
    if fmt == "json":
        (err,) = r.json()
        assert err["code"] == 400 and err["description"]
    else:
        assert xml(r).find("error/description").text


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-31"},
        {"end_date": "9999-12-31"},
        {"start_date": "0001-01-01"},
        {"end_date": "0001-01-01T00:00:00+14:00"},
        {"end_date": "9999-12-31T23:59:59-12:00"},
    ],
)
def test_dates_out_of_range_are_a_400(client, db, params):
    r = client.get(BASE + "requests.json", params)
    assert r.status_code == 400 and "ISO 8601" in r.json()[0]["description"]
