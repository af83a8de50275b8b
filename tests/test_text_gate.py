"""The text gate: every text that enters (web forms, API bodies, the SMS webhook, Open311) is NFC,
free of control characters other than newline and tab, and a lone surrogate is a 400 naming the
field; API errors about the body itself are JSON in Indonesian; the Open311 XML stays well formed
even for rows stored before the gate."""

import hashlib
import hmac
import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from complaints.models import Complaint, InboundSms, Open311Key
from lapor.textgate import BadText, clean_data, clean_text, xml_safe

pytestmark = pytest.mark.django_db

DIRTY_TITLE = "Jalan\x00 rusak\x0b di Cafe\u0301\x7f"  # NUL, VT, DEL and a decomposed é
CLEAN_TITLE = "Jalan rusak di Caf\u00e9"
DIRTY_BODY = "Baris satu\r\nbaris dua\tdengan tab\x1b[31m dan \x85akhir\ufffe."
CLEAN_BODY = "Baris satu\nbaris dua\tdengan tab[31m dan akhir."


def raw_json(client, path, text, **headers):
    """POST `text` as the body, byte for byte: json.dumps cannot write what a client may send."""
    return client.generic("POST", path, text.encode(), content_type="application/json", **headers)


def token_headers(user):
    from accounts.auth import issue_token

    return {"HTTP_AUTHORIZATION": f"Token {issue_token(user)}"}


# The gate itself ---------------------------------------------------------------------------------
def test_clean_text_rules():
    assert clean_text(DIRTY_TITLE) == CLEAN_TITLE
    assert clean_text(DIRTY_BODY) == CLEAN_BODY
    assert clean_text("a\rb") == "a\nb"
    with pytest.raises(BadText) as err:
        clean_text("x\ud800", "title")
    assert err.value.field == "title"
    # Passwords are only checked, never changed.
    assert clean_text("Cafe\u0301\x01", "password") == "Cafe\u0301\x01"
    with pytest.raises(BadText):
        clean_text("\udfff", "new_password1")


def test_clean_data_names_nested_fields():
    assert clean_data({"a": ["x\x00", 3, None, True], "b": {"c": "e\u0301"}}) == {
        "a": ["x", 3, None, True],
        "b": {"c": "\u00e9"},
    }
    with pytest.raises(BadText) as err:
        clean_data({"location": {"text": "\ud800"}})
    assert err.value.field == "location.text"
    with pytest.raises(BadText) as err:
        clean_data({"dispositions": [1, "\udc00"]})
    assert err.value.field == "dispositions.1"


# API -------------------------------------------------------------------------------------------------
def test_api_filing_refuses_a_lone_surrogate_naming_the_field(client, citizen, region):
    body = '{"title": "\\ud800x jalan", "body": "Lubang besar di jalan poros.", "category": "jalan"}'
    r = raw_json(client, "/api/v1/complaints/", body, **token_headers(citizen))
    assert r.status_code == 400, r.content
    assert set(r.json()) == {"detail", "title"} and "surrogate" in r.json()["title"][0]
    nested = '{"title": "Jalan rusak", "body": "Lubang besar di jalan poros.", "category": "jalan", "location": {"text": "\\udfff"}}'
    r = raw_json(client, "/api/v1/complaints/", nested, **token_headers(citizen))
    assert r.status_code == 400 and "location.text" in r.json()
    assert not Complaint.objects.exists()


def test_api_actions_refuse_a_lone_surrogate(client, file_report, citizen, operator):
    c = file_report()
    r = raw_json(
        client, f"/api/v1/complaints/{c.tracking_id}/archive/", '{"reason": "\\ud800"}', **token_headers(operator)
    )
    assert r.status_code == 400 and "reason" in r.json()
    r = raw_json(
        client, f"/api/v1/complaints/{c.tracking_id}/privacy/", '{"privacy": "\\ud800"}', **token_headers(citizen)
    )
    assert r.status_code == 400 and "privacy" in r.json()
    # A surrogate in a key is refused too (it could not even be written back in an error).
    r = raw_json(client, f"/api/v1/complaints/{c.tracking_id}/privacy/", '{"\\ud800": 1}', **token_headers(citizen))
    assert r.status_code == 400 and r.json()["detail"]
    c.refresh_from_db()
    assert (c.status, c.privacy) == ("belum_terverifikasi", "umum")


def test_api_filing_stores_clean_nfc_text(client, citizen, region):
    body = json.dumps({"title": DIRTY_TITLE, "body": DIRTY_BODY, "category": "jalan", "location": "Pasar\x07 Baru"})
    r = raw_json(client, "/api/v1/complaints/", body, **token_headers(citizen))
    assert r.status_code == 201, r.content
    c = Complaint.objects.get()
    assert (c.title, c.body, c.location_text) == (CLEAN_TITLE, CLEAN_BODY, "Pasar Baru")


def test_api_form_bodies_are_cleaned(client, citizen, region):
    data = {"title": DIRTY_TITLE, "body": DIRTY_BODY, "category": "jalan"}
    r = client.post("/api/v1/complaints/", data, **token_headers(citizen))  # multipart
    assert r.status_code == 201, r.content
    from urllib.parse import urlencode

    r = client.generic(
        "POST",
        "/api/v1/complaints/",
        urlencode(data).encode(),
        content_type="application/x-www-form-urlencoded",
        **token_headers(citizen),
    )
    assert r.status_code == 201, r.content
    assert {(c.title, c.body) for c in Complaint.objects.all()} == {(CLEAN_TITLE, CLEAN_BODY)}


def test_a_number_is_not_text(client, file_report, citizen):
    c = file_report()
    r = raw_json(
        client, f"/api/v1/complaints/{c.tracking_id}/complete/", '{"body": 12345678901}', **token_headers(citizen)
    )
    assert r.status_code == 400 and "body" in r.json()
    r = raw_json(
        client,
        "/api/v1/complaints/",
        '{"title": 12345, "body": 1234567890123, "category": "jalan"}',
        **token_headers(citizen),
    )
    assert r.status_code == 400 and {"title", "body"} <= set(r.json())


def test_body_errors_are_json_in_indonesian(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"email": "a@contoh.id", "password": "x" * 2000})
    r = raw_json(client, "/api/v1/auth/register/", big)
    assert r.status_code == 413 and r["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Isi permintaan terlalu besar."}
    r = raw_json(client, "/api/v1/auth/register/", '{"email": ')
    assert r.status_code == 400 and r.json() == {"detail": "Isi permintaan bukan JSON yang valid."}
    r = client.generic("POST", "/api/v1/auth/register/", b'{"email": "\xff"}', content_type="application/json")
    assert r.status_code == 400 and r.json() == {"detail": "Isi permintaan bukan JSON yang valid."}
    r = client.generic("POST", "/api/v1/auth/register/", b"xx", content_type="multipart/form-data; boundary=zz")
    assert r.status_code == 400 and r["Content-Type"] == "application/json" and r.json()["detail"]
    r = client.generic("POST", "/api/v1/auth/register/", b"xx", content_type="text/plain")
    assert r.status_code == 415 and "tidak didukung" in r.json()["detail"]
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    r = client.post("/api/v1/auth/register/", {f"f{i}": "x" for i in range(10)})
    assert r.status_code in (400, 413) and r["Content-Type"] == "application/json" and r.json()["detail"]


def test_passwords_pass_unchanged(client, region):
    password = "Kata\u0301-sandi panjang 2026"  # decomposed: NFC would change it
    r = client.post(
        "/api/v1/auth/register/",
        {
            "email": "sari@contoh.id",
            "password": password,
            "full_name": "Sari",
            "phone": "0812 7777 1111",
            "consent": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    from accounts.models import User

    assert User.objects.get(email="sari@contoh.id").check_password(password)


# Web forms and query strings ---------------------------------------------------------------------------
def test_web_filing_stores_clean_text(client, citizen, region):
    client.force_login(citizen)
    r = client.post(
        "/lapor/",
        {
            "kind": "aduan",
            "title": DIRTY_TITLE.replace("\x00", ""),  # Django's own form refuses NUL outright
            "body": DIRTY_BODY,
            "category": region.roads.pk,
            "location_text": "Dusun\x1f II",
            "privacy": "anonim",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    c = Complaint.objects.get()
    assert (c.title, c.body, c.location_text) == (CLEAN_TITLE, CLEAN_BODY, "Dusun II")


def test_query_strings_are_cleaned(client, disposed_report):
    disposed_report()
    r = client.get("/laporan/", {"q": "jalan\x00"})
    assert r.status_code == 200
    r = client.get("/api/v1/complaints/", {"q": "jalan\x00", "category": "jal\x00an"})
    assert r.status_code == 200 and r.json()["count"] == 1


# SMS and Open311 ---------------------------------------------------------------------------------------
SECRET = "rahasia-webhook-uji"


def sms(client, raw, ctype):
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.generic("POST", "/sms/inbound/", raw, content_type=ctype, HTTP_X_SIGNATURE=signature)


def test_sms_refuses_a_lone_surrogate_and_cleans_text(client, region, settings):
    settings.SMS_WEBHOOK_SECRET = SECRET
    r = sms(client, b'{"from": "0811 2222 3333", "text": "LAPOR \\ud800 jalan"}', "application/json")
    assert r.status_code == 400 and "text" in r.json()["detail"]
    assert not InboundSms.objects.exists()
    text = "LAPOR Jalan\x00 rusak\x0b di Cafe\u0301 depan pasar, lubang besar sekali."
    r = sms(client, json.dumps({"from": "0811 2222 3333", "text": text, "id": "m1"}).encode(), "application/json")
    assert r.status_code == 200, r.content
    from urllib.parse import urlencode

    r = sms(
        client,
        urlencode({"from": "0811 2222 3333", "text": text, "id": "m2"}).encode(),
        "application/x-www-form-urlencoded",
    )
    assert r.status_code == 200, r.content
    assert {m.text for m in InboundSms.objects.all()} == {
        "LAPOR Jalan rusak di Caf\u00e9 depan pasar, lubang besar sekali."
    }
    assert {c.body for c in Complaint.objects.all()} == {"Jalan rusak di Caf\u00e9 depan pasar, lubang besar sekali."}


def test_open311_input_is_cleaned_and_xml_stays_well_formed(client, region, operator):
    from complaints import workflow

    key = Open311Key.objects.create(name="Aplikasi").key
    r = client.post(
        "/open311/v2/requests.xml",
        {
            "api_key": key,
            "service_code": "jalan",
            "address_string": "Jl.\x0c Poros",
            "privacy": "umum",  # anonim would keep the address off the public XML
            "email": "budi@contoh.id",
            "description": "Lubang\x01 besar\x0b di Cafe\u0301, dekat jembatan.",
        },
    )
    assert r.status_code == 201, r.content
    c = Complaint.objects.get()
    assert (c.body, c.location_text) == ("Lubang besar di Caf\u00e9, dekat jembatan.", "Jl. Poros")
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    # A row stored before the gate, with characters XML 1.0 cannot carry.
    Complaint.objects.filter(pk=c.pk).update(body="Lama\x01\x0b\x1f isi\ufffe", location_text="Jl.\x08 Lama")
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{c.tracking_id}.xml"):
        r = Client().get(path)
        assert r.status_code == 200
        # The list is streamed, one request is not (complaints/channels/open311.py).
        assert r.streaming == path.endswith("requests.xml")
        body = b"".join(r.streaming_content) if r.streaming else r.content
        root = ET.fromstring(body)  # noqa: S314 - our own output
        assert root.find("request/description").text == "Lama isi"
        assert root.find("request/address").text == "Jl. Lama"
    assert xml_safe("a\x00b\ud800c\uffff") == "abc"
