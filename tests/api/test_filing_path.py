"""One filing path (docs/product.md §3, §6): the web form, the API, SMS, Open311 and the operators'
manual entry all file through `workflow.file_complaint`, which owns the rules between a report's
fields (`workflow.check_filing`) and each channel's default privacy (`workflow.DEFAULT_PRIVACY`);
citizen and staff forms check their files with one helper (`uploads.prepare`); one function builds
the reporter's public name (`privacy.reporter_name`, docs/privacy.md)."""

import hashlib
import hmac
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import User
from complaints import privacy, workflow
from complaints.errors import Invalid
from complaints.evidence import uploads
from complaints.models import Channel, Complaint, IdentityAccess, Open311Key, Privacy
from tests.filing import report_form

pytestmark = pytest.mark.django_db

SECRET = "rahasia-webhook-uji"
TITLE = "Jalan berlubang di depan pasar"
BODY = "Lubang besar di Jalan Poros, sudah dua minggu belum diperbaiki."
# Today's defaults: SMS reports are rahasia unless the sender says otherwise, an Open311 client
# files anonim, every other channel starts umum.
TODAYS_DEFAULTS = {
    "web": "umum",
    "mobile": "umum",
    "sms": "rahasia",
    "open311": "anonim",
    "walk-in": "umum",
    "phone": "umum",
    "social": "umum",
}


@pytest.fixture(autouse=True)
def _sms_secret(settings):
    settings.SMS_WEBHOOK_SECRET = SECRET


@pytest.fixture
def session_for(db):
    """session_for(user) → a browser session of `user` (this folder's `client_for` gives a token)."""
    return lambda user: (c := Client()).force_login(user) or c


@pytest.fixture
def open311_key(db):
    return Open311Key.objects.create(name="Aplikasi warga").key


def web_data(region, **changes):
    data = report_form(region, TITLE, BODY, location_text="Dusun II", lat="", lng="", incident_date="", privacy="umum")
    data["step"] = "confirm"  # no look for similar reports: file at once
    data.update(changes)
    return data


def staff_data(region, **changes):
    data = web_data(region, channel="walk-in", reporter_name="Dewi Lestari", reporter_email="dewi@contoh.id")
    data.pop("step")
    data.update(changes)
    return data


def api_data(**changes):
    data = {"title": TITLE, "body": BODY, "category": "jalan", "location": {"text": "Dusun II"}}
    data.update(changes)
    return data


def open311_data(key, **changes):
    data = {
        "api_key": key,
        "service_code": "jalan",
        "email": "budi@contoh.id",
        "first_name": "Budi",
        "description": BODY,
        "address_string": "Jl. Poros km 3",
    }
    data.update(changes)
    return data


def sms(client, text, sender="+62 811 2222 3333"):
    raw = urlencode({"from": sender, "text": text}).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.generic(
        "POST", "/sms/inbound/", raw, content_type="application/x-www-form-urlencoded", HTTP_X_SIGNATURE=signature
    )


def form_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# The rules between fields --------------------------------------------------------------------------
def test_every_channel_files_through_check_filing(
    monkeypatch, session_for, client_for, client, region, citizen, operator, open311_key
):
    seen = []
    real = workflow.check_filing

    def spy(**fields):
        seen.append(fields.get("channel"))
        return real(**fields)

    monkeypatch.setattr(workflow, "check_filing", spy)
    assert session_for(citizen).post("/lapor/", web_data(region)).status_code == 302
    assert client_for(citizen).post("/api/v1/complaints/", api_data(), format="json").status_code == 201
    assert sms(client, "LAPOR jalan di depan sekolah berlubang besar sekali").status_code == 200
    assert client.post("/open311/v2/requests.json", open311_data(open311_key)).status_code == 201
    assert session_for(operator).post("/petugas/input/", staff_data(region)).status_code == 302
    assert Complaint.objects.count() == 5
    # Each channel reached the rules inside file_complaint (the forms ask them first too).
    for channel in ("web", "mobile", "sms", "open311", "walk-in"):
        assert channel in seen, channel
    assert set(Complaint.objects.values_list("channel", flat=True)) == {"web", "mobile", "sms", "open311", "walk-in"}


def test_coordinates_without_their_pair_are_refused_on_every_channel(
    session_for, client_for, client, region, citizen, operator, open311_key
):
    message = str(workflow.check_filing(lat=1)["lat"][0])
    assert "lintang dan bujur" in message

    web = session_for(citizen).post("/lapor/", web_data(region, lat="-4.6"))
    assert web.status_code == 400 and form_errors(web, "lat") == [message]

    api = client_for(citizen).post("/api/v1/complaints/", api_data(lat=-4.6), format="json")
    assert api.status_code == 400 and api.json()["lat"] == [message]

    staff = session_for(operator).post("/petugas/input/", staff_data(region, lat="-4.6"))
    assert staff.status_code == 400 and form_errors(staff, "lat") == [message]

    open311 = client.post("/open311/v2/requests.json", open311_data(open311_key, lat="-4.6"))
    assert open311.status_code == 400 and message in open311.json()[0]["description"]

    # SMS carries no coordinates; the workflow it files through refuses them all the same.
    with pytest.raises(Invalid) as refused:
        workflow.file_complaint(reporter=citizen, title=TITLE, body=BODY, channel=Channel.SMS, lat=1)
    assert [str(m) for m in refused.value.fields["lat"]] == [message]
    assert not Complaint.objects.exists()


def test_the_accused_agency_cannot_be_the_target_on_any_channel(session_for, client_for, region, citizen, operator):
    message = str(workflow.check_filing(target_agency=region.bina_marga, terlapor_agency=region.pu)["target_agency"][0])

    web = session_for(citizen).post(
        "/lapor/", web_data(region, target_agency=region.bina_marga.pk, terlapor_agency=region.pu.pk)
    )
    assert web.status_code == 400 and form_errors(web, "target_agency") == [message]

    api = client_for(citizen).post(
        "/api/v1/complaints/",
        api_data(target_agency="dinas-pu-bina-marga", terlapor_agency="dinas-pu"),
        format="json",
    )
    assert api.status_code == 400 and api.json()["target_agency"] == [message]

    staff = session_for(operator).post(
        "/petugas/input/", staff_data(region, target_agency=region.bina_marga.pk, terlapor_agency=region.pu.pk)
    )
    assert staff.status_code == 400 and form_errors(staff, "target_agency") == [message]
    assert not Complaint.objects.exists()


def test_a_future_incident_date_and_a_foreign_kelurahan_are_refused_everywhere(
    session_for, client_for, region, citizen, operator
):
    from agencies.models import Area

    other = Area.objects.create(name="Lain", code="02", level=Area.Level.KECAMATAN)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    rules = workflow.check_filing(incident_date=timezone.localdate() + timedelta(days=1))
    future = [str(m) for m in rules["incident_date"]]
    foreign = [str(m) for m in workflow.check_filing(kecamatan=other, kelurahan=region.kelurahan)["kelurahan"]]

    # The forms offer only the chosen kecamatan's kelurahan, so there a foreign one is no choice.
    web = session_for(citizen).post("/lapor/", web_data(region, incident_date=tomorrow))
    assert web.status_code == 400 and form_errors(web, "incident_date") == future
    staff = session_for(operator).post("/petugas/input/", staff_data(region, incident_date=tomorrow))
    assert staff.status_code == 400 and form_errors(staff, "incident_date") == future

    api = client_for(citizen)
    r = api.post("/api/v1/complaints/", api_data(incident_date=tomorrow), format="json")
    assert r.status_code == 400 and r.json()["incident_date"] == future
    r = api.post("/api/v1/complaints/", api_data(kecamatan="02", kelurahan="01.01"), format="json")
    assert r.status_code == 400 and r.json()["kelurahan"] == foreign
    assert not Complaint.objects.exists()


def test_a_social_media_entry_needs_its_link(session_for, region, operator):
    message = [str(m) for m in workflow.check_filing(channel=Channel.SOCIAL)["channel_link"]]
    r = session_for(operator).post("/petugas/input/", staff_data(region, channel="social"))
    assert r.status_code == 400 and form_errors(r, "channel_link") == message
    with pytest.raises(Invalid) as refused:
        workflow.file_complaint(
            reporter=None, entered_by=operator, title=TITLE, body=BODY, channel=Channel.SOCIAL, walkin_name="Akun"
        )
    assert [str(m) for m in refused.value.fields["channel_link"]] == message
    assert not Complaint.objects.exists()


def test_a_kelurahan_alone_brings_its_kecamatan_on_every_channel(session_for, client_for, region, citizen):
    assert session_for(citizen).post("/lapor/", web_data(region, kecamatan="")).status_code == 302
    r = client_for(citizen).post("/api/v1/complaints/", api_data(kelurahan="01.01"), format="json")
    assert r.status_code == 201
    direct = workflow.file_complaint(reporter=citizen, title=TITLE, body=BODY, kelurahan=region.kelurahan)
    assert [c.kecamatan_id for c in Complaint.objects.order_by("pk")] == [region.kecamatan.pk] * 3
    assert direct.kecamatan_id == region.kecamatan.pk


# Each channel's default privacy ----------------------------------------------------------------------
def test_the_defaults_are_todays():
    assert {str(k): str(v) for k, v in workflow.DEFAULT_PRIVACY.items()} == TODAYS_DEFAULTS
    assert set(workflow.DEFAULT_PRIVACY) == set(Channel.values)


@pytest.mark.parametrize("channel", Channel.values)
def test_the_workflow_gives_each_channel_its_default(channel, region, citizen, operator):
    manual = channel in ("walk-in", "phone", "social")
    c = workflow.file_complaint(
        reporter=citizen,
        entered_by=operator if manual else None,
        title=TITLE,
        body=BODY,
        channel=channel,
        channel_link="https://contoh.id/unggahan" if channel == "social" else "",
    )
    assert c.privacy == TODAYS_DEFAULTS[channel]


def test_every_surface_files_with_its_channels_default(
    session_for, client_for, client, region, citizen, operator, open311_key
):
    api = client_for(citizen)
    mobile = api.post("/api/v1/complaints/", api_data(), format="json")
    web_api = api.post("/api/v1/complaints/", api_data(channel="web"), format="json")
    assert mobile.status_code == web_api.status_code == 201
    assert (mobile.json()["privacy"], web_api.json()["privacy"]) == ("umum", "umum")

    assert sms(client, "LAPOR jalan di depan sekolah berlubang besar sekali").status_code == 200
    assert Complaint.objects.get(channel="sms").privacy == Privacy.RAHASIA
    assert sms(client, "LAPOR UMUM lampu jalan di depan sekolah mati semua").status_code == 200
    assert Complaint.objects.filter(channel="sms").order_by("-pk").first().privacy == Privacy.UMUM

    assert client.post("/open311/v2/requests.json", open311_data(open311_key)).status_code == 201
    assert Complaint.objects.get(channel="open311").privacy == Privacy.ANONIM

    # The forms offer their channel's default as the chosen option.
    web_form = session_for(citizen).get("/lapor/").context["form"]
    staff_form = session_for(operator).get("/petugas/input/").context["form"]
    assert web_form.fields["privacy"].initial == TODAYS_DEFAULTS["web"]
    assert staff_form.fields["privacy"].initial == TODAYS_DEFAULTS["walk-in"]


# Uploads: one check for citizen and staff forms ---------------------------------------------------------
def png(color):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="PNG")
    return out.getvalue()


def test_manual_entry_checks_the_total_size_before_storing(session_for, region, operator, settings):
    one = len(uploads.process(SimpleUploadedFile("a.png", png("red"))).content)
    settings.UPLOAD_MAX_REPORT_BYTES = one + 1  # one file fits, two do not
    files = [SimpleUploadedFile(f"{i}.png", png(color)) for i, color in enumerate(("red", "blue"))]
    r = session_for(operator).post("/petugas/input/", {**staff_data(region), "files": files})
    assert r.status_code == 400
    # Refused by the form's own check, on the files field, as on the citizen's form.
    assert any("Total lampiran" in e for e in form_errors(r, "files"))
    assert not r.context["form"].non_field_errors()
    assert not Complaint.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]  # nothing written


def test_citizen_and_staff_forms_refuse_the_same_files(session_for, region, citizen, operator, settings):
    settings.UPLOAD_MAX_FILES = 1
    files = lambda: [SimpleUploadedFile(f"{i}.png", png("red")) for i in range(2)]  # noqa: E731
    web = session_for(citizen).post("/lapor/", {**web_data(region), "files": files()})
    staff = session_for(operator).post("/petugas/input/", {**staff_data(region), "files": files()})
    assert web.status_code == staff.status_code == 400
    assert form_errors(web, "files") == form_errors(staff, "files") != []
    assert not Complaint.objects.exists()


# The reporter's public name ---------------------------------------------------------------------------
def public_report(region, operator, reporter, **fields):
    c = workflow.file_complaint(reporter=reporter, title=TITLE, body=BODY, category=region.roads, **fields)
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    return Complaint.objects.get(pk=c.pk)


@pytest.mark.parametrize(
    ("display_name", "full_name", "expected"),
    [("Alice", "Alice Rahmawati", "Alice"), ("", "Dewi Lestari", "Dewi"), ("", "", "Warga")],
)
def test_the_name_of_an_account(region, operator, display_name, full_name, expected):
    user = User.objects.create_user(
        email="pelapor@contoh.id", password="x-rahasia-123", full_name=full_name, display_name=display_name
    )
    c = public_report(region, operator, user)
    assert privacy.reporter_name(c, AnonymousUser()) == expected
    assert privacy.public_display_name(c, AnonymousUser()) == {"display_name": expected}
    assert privacy.reporter_identity(c, user)["display_name"] == expected


def test_the_name_of_a_report_without_an_account(region, operator):
    c = public_report(region, operator, None, entered_by=operator, channel="walk-in", walkin_name="Pak Budi")
    assert privacy.reporter_name(c, AnonymousUser()) == "Pak Budi"
    assert privacy.reporter_identity(c, operator)["display_name"] == "Pak Budi"


def test_the_name_follows_the_privacy_table(region, operator, citizen):
    c = public_report(region, operator, citizen, privacy="anonim")
    assert privacy.reporter_name(c, AnonymousUser()) is None
    assert privacy.reporter_name(c, citizen) == "Alice"
    # An operator's look at an anonim reporter is logged; a list's look shows nothing instead.
    assert privacy.reporter_name(c, operator, log=False) is None
    assert not IdentityAccess.objects.exists()
    assert privacy.reporter_name(c, operator) == "Alice"
    assert IdentityAccess.objects.filter(complaint=c, user=operator).count() == 1


def test_pages_and_api_show_the_same_name(client, api, region, operator):
    user = User.objects.create_user(
        email="dewi@contoh.id", password="x-rahasia-123", full_name="Dewi Lestari", display_name=""
    )
    c = public_report(region, operator, user)
    assert "Pelapor: Dewi" in client.get("/laporan/").content.decode()
    assert api.get(f"/api/v1/complaints/{c.tracking_id}/").json()["reporter"] == {"display_name": "Dewi"}
    rows = api.get("/api/v1/complaints/").json()["results"]
    assert [r["reporter"] for r in rows] == [{"display_name": "Dewi"}]
    timeline = api.get(f"/api/v1/complaints/{c.tracking_id}/timeline/").json()
    entries = timeline["results"] if isinstance(timeline, dict) else timeline
    assert [e["actor"] for e in entries if e["type"] == "filed"] == ["Dewi"]
