"""Attachment URLs answer the mobile app's API token as they answer the session: the file goes
to those who may see it (the report's privacy rule and the hidden-from-public flag), nobody else."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import ApiToken
from complaints import workflow

pytestmark = pytest.mark.django_db


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, format="JPEG")
    return SimpleUploadedFile("bukti.jpg", out.getvalue(), content_type="image/jpeg")


def upload(client, c):
    r = client.post(f"/api/v1/complaints/{c.tracking_id}/attachments/", {"file": jpeg()}, format="multipart")
    assert r.status_code == 201, r.json()
    return r.json()["url"].removeprefix("http://testserver")


def content(response):
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("privacy", ["rahasia", "umum"])
def test_the_reporter_opens_their_own_hidden_evidence_with_a_token(client_for, citizen, file_report, api, privacy):
    """A rahasia report, and an umum one not yet verified: hidden from everyone but the reporter."""
    c = file_report(privacy=privacy)
    app = client_for(citizen)
    url = upload(app, c)
    r = app.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert content(r)[:3] == b"\xff\xd8\xff"
    assert app.get(url + "thumb/").status_code == 200
    assert api.get(url).status_code == 404  # no token, no session: the public


def test_another_citizens_token_gets_404(client_for, citizen, other_citizen, file_report):
    c = file_report(privacy="rahasia")
    url = upload(client_for(citizen), c)
    assert client_for(other_citizen).get(url).status_code == 404
    assert client_for(other_citizen).get(url + "thumb/").status_code == 404


def test_an_expired_token_is_refused_and_does_not_fall_back(client_for, citizen, file_report):
    c = file_report(privacy="rahasia")
    app = client_for(citizen)
    url = upload(app, c)
    ApiToken.objects.filter(user=citizen).update(expires_at=timezone.now() - timedelta(minutes=1))
    r = app.get(url)
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Token"
    assert r.json() == {"detail": "Token kedaluwarsa. Silakan masuk lagi."}
    # A browser session of the same reporter does not rescue a bad token either.
    app.force_login(citizen)
    assert app.get(url).status_code == 401
    garbage = APIClient()
    garbage.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert garbage.get(url).status_code == 401


def test_liaisons_of_the_disposed_opd_only(client_for, citizen, disposed_report, liaison_pu, liaison_dinkes):
    c = disposed_report(privacy="rahasia")  # disposed to Dinas PU
    url = upload(client_for(citizen), c)
    assert client_for(liaison_pu).get(url).status_code == 200
    assert client_for(liaison_dinkes).get(url).status_code == 404


def test_a_hidden_attachment_is_404_to_the_public_but_not_to_the_reporter(
    client_for, citizen, other_citizen, disposed_report, operator, api
):
    from complaints.models import Attachment

    c = disposed_report(privacy="umum")
    app = client_for(citizen)
    url = upload(app, c)
    assert api.get(url).status_code == 200  # a verified umum report: public
    workflow.set_attachment_public(c.pk, by=operator, attachment=Attachment.objects.get().pk, public=False)
    assert api.get(url).status_code == 404
    assert client_for(other_citizen).get(url).status_code == 404
    assert app.get(url).status_code == 200
    assert client_for(operator).get(url).status_code == 200


def test_the_session_still_works(client, citizen, client_for, file_report):
    c = file_report(privacy="rahasia")
    url = upload(client_for(citizen), c)
    client.force_login(citizen)
    assert client.get(url).status_code == 200
