"""What public surfaces must not give away: a hidden duplicate's tracking id, sequence numbers
whose gaps count hidden reports, and an anonim reporter's street address."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import workflow
from complaints.models import Attachment, Event

pytestmark = pytest.mark.django_db

ADDRESS = "Jl. Melati No. 7, depan rumah Pak RT"


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, format="JPEG")
    return SimpleUploadedFile("bukti.jpg", out.getvalue(), content_type="image/jpeg")


def detail(c):
    return f"/api/v1/complaints/{c.tracking_id}/"


# Merges ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["rahasia", "umum"])
def test_a_merged_duplicate_never_shows_its_tracking_id_publicly(
    level, disposed_report, file_report, operator, other_citizen, citizen, api, client_for, client
):
    primary = disposed_report()
    duplicate = file_report(reporter=other_citizen, privacy=level)  # unverified: never public
    workflow.merge(duplicate.pk, by=operator, into=primary.tracking_id)
    for caller in (api, client_for(citizen), client_for(other_citizen)):
        text = caller.get(detail(primary) + "timeline/").content.decode()
        assert duplicate.tracking_id not in text
        assert '"merged"' in text
    assert duplicate.tracking_id not in client.get(primary.get_absolute_url()).content.decode()
    # Staff still see which report was merged.
    staff = client_for(operator).get(detail(primary) + "timeline/").json()
    assert any(e["data"].get("duplicate") == duplicate.tracking_id for e in staff)


# Opaque ids -------------------------------------------------------------------------------------------
def test_public_timeline_and_attachment_ids_are_not_sequence_numbers(
    disposed_report, liaison_pu, citizen, api, client_for
):
    c = disposed_report()
    client_for(citizen).post(detail(c) + "attachments/", {"file": jpeg()}, format="multipart")
    event = workflow.followup(c.pk, by=liaison_pu, disposition=c.dispositions.get().pk, body="Sudah ditinjau.")
    up = client_for(liaison_pu).post(detail(c) + "attachments/", {"file": jpeg()}, format="multipart")
    assert up.status_code == 201
    pks = {str(pk) for pk in Event.objects.values_list("pk", flat=True)} | {
        str(pk) for pk in Attachment.objects.values_list("pk", flat=True)
    }
    for caller in (api, client_for(citizen)):
        entries = caller.get(detail(c) + "timeline/").json()
        ids = [str(e["id"]) for e in entries]
        refs = [str(a["id"]) for e in entries for a in e["attachments"]]
        refs += [str(a["event"]) for e in entries for a in e["attachments"]]
        refs += [str(a["id"]) for a in caller.get(detail(c)).json()["attachments"]]
        assert ids and refs
        for value in ids + refs:
            assert value not in pks and not re.fullmatch(r"[0-9]+", value)
        assert len(set(ids)) == len(ids)
        followup = next(e for e in entries if e["type"] == "followup")
        assert followup["attachments"] and followup["attachments"][0]["event"] == followup["id"]
    # The attachment URL contract still holds, and staff still act on numbers.
    assert api.get(up.json()["url"]).status_code == 200
    staff_entries = client_for(liaison_pu).get(detail(c) + "timeline/").json()
    assert event.pk in [e["id"] for e in staff_entries]


def test_reporter_attaches_to_an_entry_by_its_opaque_id(file_report, citizen, client_for):
    c = file_report()
    mine = client_for(citizen)
    filed = mine.get(detail(c) + "timeline/").json()[0]
    r = mine.post(detail(c) + "attachments/", {"file": jpeg(), "event": filed["id"]}, format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["event"] == filed["id"]


# Anonim location -------------------------------------------------------------------------------------
def test_anonim_location_text_is_not_public(region, disposed_report, citizen, operator, api, client_for, client):
    c = disposed_report(privacy="anonim", location_text=ADDRESS, kecamatan=region.kecamatan, kelurahan=region.kelurahan)
    public = api.get(detail(c)).json()["location"]
    assert public["text"] == "" and public["kelurahan"]["name"] == "Lamokato"
    assert ADDRESS not in api.get("/api/v1/complaints/").content.decode()
    row = json.loads(api.get(f"/open311/v2/requests/{c.tracking_id}.json").content)[0]
    assert ADDRESS not in row["address"] and "Lamokato" in row["address"]
    assert ADDRESS not in b"".join(api.get("/open311/v2/requests.xml").streaming_content).decode()
    page = client.get(c.get_absolute_url()).content.decode()
    assert ADDRESS not in page and "Lamokato" in page
    # The reporter and staff still read it.
    assert client_for(citizen).get(detail(c)).json()["location"]["text"] == ADDRESS
    assert client_for(operator).get(detail(c)).json()["location"]["text"] == ADDRESS


def test_umum_location_text_stays_public(disposed_report, api):
    c = disposed_report(location_text=ADDRESS)
    assert api.get(detail(c)).json()["location"]["text"] == ADDRESS
