"""The web's rules hold on the API too, decided in one place: a verified account to file or
support a report, consent at registration, the upload limits per report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from complaints.models import Attachment, Complaint, Support
from tests.filing import report_form

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"
API_REPORT = {
    "title": "Jalan berlubang di depan pasar",
    "body": "Lubang besar di Jalan Poros dekat pasar, sudah dua minggu belum diperbaiki.",
    "kind": "aduan",
    "category": "jalan",
    "location": {"text": "Jl. Poros", "kelurahan": "01.01"},
    "privacy": "umum",
}


def jpeg(name="bukti.jpg", color="red"):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def unverify(user, **fields):
    User.objects.filter(pk=user.pk).update(email_verified=False, **fields)
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    "fields,verified",
    [
        ({"email_verified": True}, True),
        ({"email_verified": False}, False),
        # A web account that proved only its phone verifies its email first, as on the web.
        ({"email_verified": False, "phone_verified": True}, False),
        # An SMS reporter's account is keyed by its proved number.
        ({"email_verified": False, "phone_verified": True, "sms_only": True}, True),
        ({"email_verified": False, "phone_verified": False, "sms_only": True}, False),
        ({"email_verified": True, "is_active": False}, False),
    ],
)
def test_one_rule_decides_a_verified_reporter(citizen, fields, verified):
    from accounts.verification import is_verified_reporter

    User.objects.filter(pk=citizen.pk).update(**fields)
    assert is_verified_reporter(User.objects.get(pk=citizen.pk)) is verified


def test_unverified_account_cannot_file_on_the_api(region, citizen, client_for):
    user = unverify(citizen)
    r = client_for(user).post(LIST, API_REPORT, format="json")
    assert r.status_code == 403
    assert "Verifikasi email" in r.json()["detail"]
    assert Complaint.objects.count() == 0


def test_unverified_account_cannot_file_on_the_web(region, citizen, client):
    client.force_login(unverify(citizen))
    response = client.post("/lapor/", {"title": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/akun/verifikasi/")
    assert Complaint.objects.count() == 0


def test_verified_account_files_on_the_api(region, citizen, client_for):
    r = client_for(citizen).post(LIST, API_REPORT, format="json")
    assert r.status_code == 201, r.json()


def test_unverified_account_cannot_support_on_the_api(disposed_report, other_citizen, client_for):
    c = disposed_report()
    user = unverify(other_citizen)
    r = client_for(user).post(f"{LIST}{c.tracking_id}/support/", {}, format="json")
    assert r.status_code == 403 and r.json()["detail"]
    assert not Support.objects.filter(complaint=c).exists()
    # Verified, the same account supports.
    User.objects.filter(pk=user.pk).update(email_verified=True)
    assert client_for(user).post(f"{LIST}{c.tracking_id}/support/", {}, format="json").status_code == 200


def test_phone_only_web_account_supports_on_neither_surface(disposed_report, other_citizen, client_for, client):
    c = disposed_report()
    user = unverify(other_citizen, phone_verified=True)
    assert client_for(user).post(f"{LIST}{c.tracking_id}/support/", {}, format="json").status_code == 403
    client.force_login(user)
    assert client.post(c.get_absolute_url(), {"action": "support"}).status_code == 403
    assert not Support.objects.filter(complaint=c).exists()


def test_upload_limit_per_report_holds_on_the_api(file_report, citizen, client_for, settings):
    settings.UPLOAD_MAX_FILES = 1
    c = file_report()
    api = client_for(citizen)
    url = f"{LIST}{c.tracking_id}/attachments/"
    assert api.post(url, {"file": jpeg()}, format="multipart").status_code == 201
    r = api.post(url, {"file": jpeg("kedua.jpg", "blue")}, format="multipart")
    assert r.status_code == 400 and "Maksimum 1 lampiran" in str(r.json())
    assert Attachment.objects.filter(complaint=c).count() == 1


def test_upload_size_limit_per_report_holds_on_the_api(file_report, citizen, client_for, settings):
    from complaints.evidence import uploads

    one = len(uploads.process(jpeg()).content)
    settings.UPLOAD_MAX_REPORT_BYTES = one + 1
    c = file_report()
    api = client_for(citizen)
    url = f"{LIST}{c.tracking_id}/attachments/"
    assert api.post(url, {"file": jpeg()}, format="multipart").status_code == 201
    r = api.post(url, {"file": jpeg("kedua.jpg")}, format="multipart")
    assert r.status_code == 400 and "Total lampiran" in str(r.json())
    assert Attachment.objects.filter(complaint=c).count() == 1


def test_upload_limit_per_report_holds_on_the_web(region, citizen, client, settings):
    settings.UPLOAD_MAX_FILES = 1
    client.force_login(citizen)
    files = [jpeg(), jpeg("kedua.jpg", "blue")]
    data = report_form(
        region, API_REPORT["title"], API_REPORT["body"], details=False, location_text="Jl. Poros", privacy="umum"
    )
    data.update(step="confirm", files=files)
    response = client.post("/lapor/", data)
    assert response.status_code == 400 and "Maksimum 1 berkas" in response.content.decode()
    assert Complaint.objects.count() == 0
