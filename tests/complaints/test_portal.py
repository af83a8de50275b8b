"""The citizen portal over HTTP: filing with evidence (and the duplicate check), the receipt, the
tracking page and the reporter's actions, the feed, my reports, notifications, tracking by id."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agencies.models import Area
from complaints import workflow
from complaints.models import Attachment, Complaint, Event, EventType, Notification, Status, Support
from tests.filing import report_form

TITLE = "Jembatan kayu di Lamokato patah"
BODY = "Jembatan kayu penghubung dusun patah sejak banjir minggu lalu, anak sekolah harus memutar jauh."


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def jpeg_with_gps(size=(64, 48)):
    img = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x8825] = {1: "S", 2: (5.0, 30.0, 0.0), 3: "E", 4: (122.0, 10.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Alice Rahmawati"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_png():
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def form_data(region):
    def make(**changes):
        return report_form(region, TITLE, BODY, **changes)

    return make


def filed_report():
    return Complaint.objects.order_by("-pk").first()


# Filing -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_filing_form_shows_limits_and_choices(alice, region, settings):
    settings.UPLOAD_MAX_FILES = 4
    response = alice.get("/lapor/")
    body = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 100_000
    assert "Maksimum 4 berkas, 5 MB per berkas, 15 MB seluruhnya" in body
    assert 'type="file"' in body and "multiple" in body
    assert "Laporan tampil ke publik, nama Anda disembunyikan." in body
    assert "setelah diperiksa operator" in body
    # Without JavaScript every kelurahan is offered, grouped by its kecamatan.
    assert '<optgroup label="Kota">' in body and "Lamokato" in body


@pytest.mark.django_db
def test_kelurahan_are_filtered_by_the_chosen_kecamatan(alice, region, form_data):
    other = Area.objects.create(name="Pesisir", code="02", level=Area.Level.KECAMATAN)
    Area.objects.create(name="Teluk Dalam", code="02.01", level=Area.Level.KELURAHAN, parent=other)
    body = alice.get(f"/lapor/?kecamatan={other.pk}").content.decode()
    assert "Teluk Dalam" in body and "Lamokato" not in body
    # A mismatched pair is refused with the rest kept.
    response = alice.post("/lapor/", form_data(kecamatan=other.pk))
    assert response.status_code == 400
    assert "kelurahan" in response.context["form"].errors


@pytest.mark.django_db
def test_file_a_report_with_a_photo_and_a_pdf(alice, citizen, form_data, django_capture_on_commit_callbacks):
    photo = SimpleUploadedFile("jembatan.jpg", jpeg_with_gps(), content_type="image/jpeg")
    doc = SimpleUploadedFile("surat.pdf", pdf_bytes(), content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post("/lapor/", {**form_data(), "files": [photo, doc]})
    c = filed_report()
    assert response.status_code == 302 and response["Location"] == f"/lapor/terkirim/{c.tracking_id}/"
    assert c.reporter_id == citizen.pk and c.status == Status.BELUM_TERVERIFIKASI and c.privacy == "anonim"
    assert c.channel == "web" and c.kelurahan.name == "Lamokato" and str(c.lat) == "-4.601235"
    assert c.verification_due_at is not None
    files = list(Attachment.objects.filter(complaint=c).order_by("pk"))
    assert [a.content_type for a in files] == ["image/jpeg", "application/pdf"]
    photo_bytes = files[0].file.read()
    assert b"SecretPhoneMaker" not in photo_bytes
    with Image.open(io.BytesIO(photo_bytes)) as img:
        assert not img.getexif()
    assert b"Alice Rahmawati" not in files[1].file.read()
    assert files[0].original_name == "jembatan.jpg" and "jembatan" not in files[0].file.name

    receipt = alice.get(response["Location"])
    text = receipt.content.decode()
    assert receipt.status_code == 200 and len(receipt.content) < 100_000
    assert c.tracking_id in text and "3 hari kerja" in text
    due = timezone.localtime(c.verification_due_at)
    # The receipt prints on its own: a print stylesheet from static/ (no inline style under the CSP).
    assert str(due.year) in text and "css/receipt.css" in text
    assert "@media print" in Path(finders.find("css/receipt.css")).read_text()
    assert Event.objects.filter(complaint=c, type=EventType.FILED).count() == 1


@pytest.mark.django_db
def test_html_file_named_jpg_is_refused_and_the_form_keeps_what_was_typed(alice, form_data):
    bad = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = alice.post("/lapor/", {**form_data(), "files": [bad]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "foto.jpg: Jenis berkas tidak diterima" in body
    assert "Pilih lagi berkas bukti Anda" in body
    assert TITLE in body and "Jembatan kayu penghubung dusun" in body
    assert 'value="anonim" checked' in body.replace("\n", " ") or 'id="privacy-anonim" value="anonim" checked' in body
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0


@pytest.mark.django_db
def test_gps_exif_is_removed_through_the_full_form(alice, form_data):
    alice.post("/lapor/", {**form_data(), "files": [SimpleUploadedFile("a.jpg", jpeg_with_gps())]})
    a = Attachment.objects.get()
    data = a.file.read()
    assert b"SecretPhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as img:
        assert 0x8825 not in img.getexif() and "exif" not in img.info


@pytest.mark.django_db
def test_decompression_bomb_is_refused_without_a_500(alice, form_data):
    response = alice.post("/lapor/", {**form_data(), "files": [SimpleUploadedFile("bom.png", bomb_png())]})
    assert response.status_code == 400
    assert "megapiksel" in response.content.decode()
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_oversize_file_is_refused(alice, form_data, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 2000
    big = SimpleUploadedFile("besar.jpg", jpeg_with_gps((400, 400)))
    assert big.size > 2000
    response = alice.post("/lapor/", {**form_data(), "files": [big]})
    assert response.status_code == 400 and "terlalu besar" in response.content.decode()
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_too_many_files_are_refused(alice, form_data, settings):
    settings.UPLOAD_MAX_FILES = 2
    files = [SimpleUploadedFile(f"{i}.jpg", jpeg_with_gps()) for i in range(3)]
    response = alice.post("/lapor/", {**form_data(), "files": files})
    assert response.status_code == 400 and "Maksimum 2 berkas" in response.content.decode()


@pytest.mark.django_db
def test_total_size_per_report_is_limited(alice, form_data, settings):
    from complaints.evidence import uploads

    one = len(uploads.process(SimpleUploadedFile("x.jpg", jpeg_with_gps())).content)
    settings.UPLOAD_MAX_REPORT_BYTES = one + 1  # one file fits, two do not
    files = [SimpleUploadedFile(f"{i}.jpg", jpeg_with_gps()) for i in range(2)]
    response = alice.post("/lapor/", {**form_data(), "files": files})
    assert response.status_code == 400 and "Total lampiran" in response.content.decode()
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field",
    [
        pytest.param({"title": ""}, "title", id="title-empty"),
        pytest.param({"body": "pendek"}, "body", id="body-short"),
        pytest.param({"category": ""}, "category", id="category-empty"),
        pytest.param({"privacy": "terbuka"}, "privacy", id="privacy-unknown"),
        pytest.param({"kind": "gosip"}, "kind", id="kind-unknown"),
        pytest.param({"lng": ""}, "lat", id="lat-without-lng"),
        pytest.param({"lat": "95"}, "lat", id="lat-past-90"),
        pytest.param({"incident_date": "2999-01-01"}, "incident_date", id="incident-date-future"),
        pytest.param({"kelurahan": "999999"}, "kelurahan", id="kelurahan-unknown"),
    ],
)
def test_missing_or_bad_fields_are_clear_errors(alice, form_data, changes, field):
    response = alice.post("/lapor/", form_data(**changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_target_agency_cannot_be_the_accused_one(alice, form_data, region):
    response = alice.post("/lapor/", form_data(target_agency=region.bina_marga.pk, terlapor_agency=region.pu.pk))
    assert response.status_code == 400 and "target_agency" in response.context["form"].errors
    response = alice.post("/lapor/", form_data(target_agency=region.dinkes.pk, terlapor_agency=region.pu.pk))
    assert response.status_code == 302
    c = filed_report()
    assert c.target_agency_id == region.dinkes.pk and c.terlapor_agency_id == region.pu.pk


@pytest.mark.django_db
def test_filing_needs_a_login(client):
    response = client.get("/lapor/")
    assert response.status_code == 302 and response["Location"] == "/akun/masuk/?next=/lapor/"


# Duplicates ----------------------------------------------------------------------------------------
@pytest.fixture
def existing(other_citizen, region, operator, file_report):
    c = file_report(
        reporter=other_citizen,
        title="Jembatan Lamokato patah dan berbahaya",
        body="Jembatan kayu di Lamokato patah, warga harus memutar.",
        kecamatan=region.kecamatan,
        kelurahan=region.kelurahan,
    )
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    c.refresh_from_db()
    return c


@pytest.mark.django_db
def test_similar_reports_are_offered_before_filing(alice, form_data, existing):
    photo = SimpleUploadedFile("jembatan.jpg", jpeg_with_gps())
    response = alice.post("/lapor/", {**form_data(), "files": [photo]})
    assert response.status_code == 200
    body = response.content.decode()
    assert existing.tracking_id in body and "Saya juga mengalami" in body
    assert "Tetap kirim laporan saya" in body and 'name="step" value="confirm"' in body
    # The chosen file is kept on the server for the next step: not asked for again.
    assert "Pilih lagi berkas bukti Anda" not in body and "jembatan.jpg" in body
    token = re.search(r'name="held_files" value="([0-9a-f]+)"', body).group(1)
    assert TITLE in body  # nothing typed is lost
    assert Complaint.objects.count() == 1 and Attachment.objects.count() == 0

    # "Tetap kirim laporan saya" files it, with the file chosen before.
    response = alice.post("/lapor/", {**form_data(step="confirm"), "held_files": token})
    assert response.status_code == 302
    assert Complaint.objects.count() == 2 and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_support_an_existing_report_instead(alice, citizen, form_data, existing):
    alice.post("/lapor/", form_data())
    response = alice.post(existing.get_absolute_url(), {"action": "support"})
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.support_count == 1 and Support.objects.filter(complaint=existing, user=citizen).exists()
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_similar_ignores_other_categories_areas_private_and_closed(
    alice, form_data, existing, region, operator, other_citizen, file_report
):
    hidden = file_report(
        reporter=other_citizen,
        privacy="rahasia",
        title="Jembatan Lamokato patah lagi",
        body="Jembatan kayu patah di Lamokato.",
        kecamatan=region.kecamatan,
    )
    workflow.verify(hidden.pk, by=operator, agencies=["dinas-pu"])
    body = alice.post("/lapor/", form_data()).content.decode()
    assert existing.tracking_id in body and hidden.tracking_id not in body
    assert alice.post("/lapor/", form_data(category=region.health.pk)).status_code == 302


@pytest.mark.django_db
def test_similar_page(client, existing, region):
    response = client.get(
        "/lapor/serupa/", {"category": "jalan", "kecamatan": region.kecamatan.pk, "q": "jembatan patah"}
    )
    assert response.status_code == 200 and existing.tracking_id in response.content.decode()
    response = client.get("/lapor/serupa/", {"category": "kesehatan", "q": "jembatan patah"})
    assert existing.tracking_id not in response.content.decode()
    assert client.get("/lapor/serupa/", {"category": "x' OR 1=1", "kecamatan": "abc", "q": ""}).status_code == 200


# Receipt and tracking page ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_receipt_of_someone_elses_report_is_404(client, other_citizen, file_report, operator):
    c = file_report()
    client.force_login(other_citizen)
    assert client.get(f"/lapor/terkirim/{c.tracking_id}/").status_code == 404
    client.force_login(operator)  # sees the report, but the receipt is the reporter's
    assert client.get(f"/lapor/terkirim/{c.tracking_id}/").status_code == 404


@pytest.mark.django_db
def test_someone_elses_private_report_is_the_same_404_as_a_missing_one(client, other_citizen, file_report):
    c = file_report(privacy="rahasia")
    client.force_login(other_citizen)
    hidden = client.get(c.get_absolute_url())
    missing = client.get("/laporan/LPR-0000-0000/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert client.post(c.get_absolute_url(), {"action": "support"}).status_code == 404


REPORTER_POSTS = {
    "withdraw": {"confirm": "1"},
    "reply": {"reply-body": "Saya bukan pelapornya, tetapi menulis."},
    "complete": {"complete-body": "Kelengkapan dari orang lain."},
    "accept": {},
    "rate": {"rate-score": "1"},
    "reopen": {"reopen-body": "Dibuka oleh orang yang bukan pelapor."},
    "privacy": {"privacy-privacy": "umum"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(REPORTER_POSTS))
@pytest.mark.parametrize("privacy", ["anonim", "rahasia"])
def test_reporter_actions_on_someone_elses_report(client, other_citizen, disposed_report, privacy, action):
    """Another citizen: a public report refuses them (403) and a private one is the same 404 as a
    missing id; either way nothing changes."""
    c = disposed_report(privacy=privacy)
    client.force_login(other_citizen)
    before = (c.status, c.privacy, Event.objects.filter(complaint=c).count())
    response = client.post(c.get_absolute_url(), {"action": action, **REPORTER_POSTS[action]})
    if privacy == "rahasia":
        assert response.status_code == 404
        assert response.content == client.get("/laporan/LPR-0000-0000/").content
    else:
        assert response.status_code == 403
    c.refresh_from_db()
    assert (c.status, c.privacy, Event.objects.filter(complaint=c).count()) == before


@pytest.mark.django_db
def test_tracking_page_for_the_reporter(alice, disposed_report, region):
    c = disposed_report(
        privacy="anonim", lat="-4.601234", lng="121.903456", kelurahan=region.kelurahan, kecamatan=region.kecamatan
    )
    response = alice.get(c.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 100_000
    assert "Belum ditindaklanjuti" in body and "menunggu tindak lanjut pertama" in body
    assert "Dinas PU" in body and "sisa 5 hari kerja" in body
    assert "-4.601234, 121.903456" in body
    assert "Diverifikasi" in body and "Operator Diskominfo" in body
    assert "Opi" not in body  # never a staff member's name
    assert "Siapa yang melihat identitas saya?" in body
    assert "Tanggapi" in body and "Cabut laporan" not in body


@pytest.mark.django_db
def test_public_page_shows_summary_rounded_coordinates_and_agency_as_author(
    client, disposed_report, operator, liaison_pu
):
    c = disposed_report(privacy="umum", lat="-4.601234", lng="121.903456")
    workflow.edit_summary(c.pk, by=operator, summary="Jembatan rusak di Kota (ringkasan operator).")
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tim sudah meninjau lokasi.")
    body = client.get(c.get_absolute_url()).content.decode()
    assert "ringkasan operator" in body and "Lubang besar di Jalan Poros" not in body
    assert "-4.601, 121.903" in body and "-4.601234" not in body
    assert "Tim sudah meninjau lokasi." in body and "Admin Dinas PU" in body
    assert "Lia" not in body and "alice@warga.id" not in body and "+62" not in body
    assert "Alice" in body  # umum: the display name


@pytest.mark.django_db
def test_withdraw_before_verification(alice, file_report):
    c = file_report()
    assert alice.post(c.get_absolute_url(), {"action": "withdraw"}).status_code == 400  # not confirmed
    response = alice.post(c.get_absolute_url(), {"action": "withdraw", "confirm": "1"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Status.ARSIP and c.archive_reason == "withdrawn"
    # Again: the workflow refuses with 409 and the page says why.
    response = alice.post(c.get_absolute_url(), {"action": "withdraw", "confirm": "1"})
    assert response.status_code == 409 and "tidak dapat dilakukan" in response.content.decode()


@pytest.mark.django_db
def test_complete_a_tunda_report_with_a_file(alice, file_report, operator):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon sertakan foto lokasi.")
    page = alice.get(c.get_absolute_url()).content.decode()
    assert "Lengkapi laporan" in page and "Mohon sertakan foto lokasi." in page
    response = alice.post(
        c.get_absolute_url(),
        {
            "action": "complete",
            "complete-body": "Foto terlampir.",
            "complete-files": [SimpleUploadedFile("f.jpg", jpeg_with_gps())],
        },
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Status.BELUM_TERVERIFIKASI
    a = Attachment.objects.get(complaint=c)
    assert a.event.type == EventType.COMPLETED


@pytest.mark.django_db
def test_complete_with_a_bad_file_changes_nothing(alice, file_report, operator):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon sertakan foto lokasi.")
    response = alice.post(
        c.get_absolute_url(),
        {
            "action": "complete",
            "complete-body": "Foto terlampir.",
            "complete-files": [SimpleUploadedFile("f.jpg", b"MZ\x90\x00")],
        },
    )
    assert response.status_code == 400 and "Jenis berkas tidak diterima" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.TUNDA


@pytest.mark.django_db
def test_reply_accept_rate_and_reopen(alice, disposed_report, liaison_pu, django_capture_on_commit_callbacks):
    c = disposed_report()
    d = c.dispositions.get()
    url = c.get_absolute_url()
    assert alice.post(url, {"action": "reply", "reply-body": ""}).status_code == 400
    assert alice.post(url, {"action": "reply", "reply-body": "Mohon segera, sudah ada korban."}).status_code == 302
    assert Event.objects.filter(complaint=c, type=EventType.REPLY).exists()
    # Accept before every disposition is finished: not offered, and refused.
    assert alice.post(url, {"action": "accept"}).status_code == 409
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Perbaikan dijadwalkan.")
    workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    assert "Terima dan tutup laporan" in alice.get(url).content.decode()
    assert alice.post(url, {"action": "accept"}).status_code == 302
    c.refresh_from_db()
    assert c.status == Status.SELESAI
    assert alice.post(url, {"action": "rate", "rate-score": "9"}).status_code == 400
    assert alice.post(url, {"action": "rate", "rate-score": "4", "rate-comment": "Cepat."}).status_code == 302
    response = alice.post(url, {"action": "rate", "rate-score": "5"})
    assert response.status_code == 409 and "sudah dinilai" in response.content.decode()
    c.refresh_from_db()
    assert c.rating == 4
    assert alice.post(url, {"action": "reopen", "reopen-body": "pendek"}).status_code == 400
    response = alice.post(url, {"action": "reopen", "reopen-body": "Jalan berlubang lagi setelah hujan deras."})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Status.PROSES and c.reopen_count == 1


@pytest.mark.django_db
def test_reopen_after_the_window_is_refused(alice, citizen, disposed_report, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Perbaikan selesai.")
    workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    alice.post(c.get_absolute_url(), {"action": "accept"})
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        alice.force_login(citizen)  # the old session expired meanwhile
        page = alice.get(c.get_absolute_url()).content.decode()
        assert "Buka kembali laporan" not in page
        response = alice.post(c.get_absolute_url(), {"action": "reopen", "reopen-body": "Masih rusak di ujung jalan."})
    assert response.status_code == 409


@pytest.mark.django_db
def test_reporter_changes_privacy(alice, client, disposed_report):
    c = disposed_report(privacy="umum")
    response = alice.post(c.get_absolute_url(), {"action": "privacy", "privacy-privacy": "rahasia"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.privacy == "rahasia"
    client.logout()
    assert client.get(c.get_absolute_url()).status_code == 404  # at once, everywhere


@pytest.mark.django_db
def test_reporter_lowers_privacy_step_by_step(alice, disposed_report):
    from django.test import Client

    public = Client()
    c = disposed_report(privacy="rahasia")
    assert public.get(c.get_absolute_url()).status_code == 404
    assert c.tracking_id not in public.get("/laporan/").content.decode()

    assert alice.post(c.get_absolute_url(), {"action": "privacy", "privacy-privacy": "anonim"}).status_code == 302
    page = public.get(c.get_absolute_url())
    assert page.status_code == 200 and "Alice" not in page.content.decode()
    assert c.tracking_id in public.get("/laporan/").content.decode()

    assert alice.post(c.get_absolute_url(), {"action": "privacy", "privacy-privacy": "umum"}).status_code == 302
    assert "Alice" in public.get(c.get_absolute_url()).content.decode()
    assert list(
        Event.objects.filter(complaint=c, type=EventType.PRIVACY_CHANGED).values_list("data__to", flat=True)
    ) == [
        "anonim",
        "umum",
    ]

    # A bad value is a clear 400 and changes nothing.
    response = alice.post(c.get_absolute_url(), {"action": "privacy", "privacy-privacy": "publik"})
    assert response.status_code == 400
    c.refresh_from_db()
    assert c.privacy == "umum"


@pytest.mark.django_db
def test_support_rules(client, other_citizen, citizen, disposed_report, file_report):
    c = disposed_report()
    client.force_login(other_citizen)
    assert "Saya juga mengalami" in client.get(c.get_absolute_url()).content.decode()
    assert client.post(c.get_absolute_url(), {"action": "support", "next": "/laporan/"})["Location"] == "/laporan/"
    assert client.post(c.get_absolute_url(), {"action": "support"}).status_code == 409
    client.force_login(citizen)
    assert client.post(c.get_absolute_url(), {"action": "support"}).status_code == 403


@pytest.mark.django_db
def test_only_verified_accounts_support(client, other_citizen, disposed_report):
    c = disposed_report()
    type(other_citizen).objects.filter(pk=other_citizen.pk).update(email_verified=False)
    client.force_login(other_citizen)
    page = client.get(c.get_absolute_url()).content.decode()
    assert "Verifikasi email Anda untuk mendukung" in page
    assert "Saya juga mengalami" not in client.get("/laporan/").content.decode()
    response = client.post(c.get_absolute_url(), {"action": "support"})
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.support_count == 0


@pytest.mark.django_db
def test_anonymous_actions_go_to_login(client, disposed_report):
    c = disposed_report()
    response = client.post(c.get_absolute_url(), {"action": "support"})
    assert response.status_code == 302 and response["Location"].startswith("/akun/masuk/?next=")


@pytest.mark.django_db
def test_unknown_action_is_400(alice, disposed_report):
    c = disposed_report()
    assert alice.post(c.get_absolute_url(), {"action": "verify"}).status_code == 400
    assert c.status == Complaint.objects.get(pk=c.pk).status


@pytest.mark.django_db
def test_identity_log_for_the_reporter_only(alice, client, other_citizen, disposed_report, auditor, operator):
    c = disposed_report(privacy="anonim")
    workflow.reveal(c.pk, by=auditor, reason="Pemeriksaan dugaan pungli oleh Inspektorat.")
    response = alice.get(f"/laporan/{c.tracking_id}/akses-identitas/")
    body = response.content.decode()
    assert response.status_code == 200 and "Pemeriksaan dugaan pungli" in body and "Inspektorat" in body
    # Who, not just which office: the staff member's name and role, never their email.
    assert "Audi Tor" in body and "Auditor" in body and "auditor@inspektorat" not in body
    client.force_login(other_citizen)
    assert client.get(f"/laporan/{c.tracking_id}/akses-identitas/").status_code == 404
    client.force_login(operator)
    assert client.get(f"/laporan/{c.tracking_id}/akses-identitas/").status_code == 404


# Feed ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_feed_lists_only_verified_public_reports(client, disposed_report, file_report):
    umum = disposed_report(privacy="umum", title="Laporan umum terverifikasi")
    anonim = disposed_report(privacy="anonim", title="Laporan anonim terverifikasi")
    rahasia = disposed_report(privacy="rahasia", title="Laporan rahasia terverifikasi")
    waiting = file_report(title="Laporan belum diverifikasi")
    body = client.get("/laporan/").content.decode()
    assert umum.tracking_id in body and anonim.tracking_id in body
    assert rahasia.tracking_id not in body and waiting.tracking_id not in body
    assert body.count("Pelapor: Alice") == 1 and "Pelapor: Anonim" in body


@pytest.mark.django_db
def test_feed_filters_and_search(client, disposed_report, region):
    roads = disposed_report(title="Jalan berlubang di pasar", kecamatan=region.kecamatan)
    health = disposed_report(
        title="Antrean puskesmas sangat lama",
        category=region.health,
        body="Antrean di puskesmas kota lebih dari empat jam setiap pagi.",
        agencies=("dinkes",),
    )

    def listed(**params):
        body = client.get("/laporan/", params).content.decode()
        return {c.tracking_id for c in (roads, health) if c.tracking_id in body}

    assert listed() == {roads.tracking_id, health.tracking_id}
    assert listed(category="kesehatan") == {health.tracking_id}
    assert listed(agency="dinas-pu") == {roads.tracking_id}
    assert listed(kecamatan=region.kecamatan.pk) == {roads.tracking_id}
    assert listed(kind="aspirasi") == set()
    assert listed(status="belum_ditindaklanjuti") == {roads.tracking_id, health.tracking_id}
    assert listed(q="puskesmas") == {health.tracking_id}
    assert listed(q="berlubang pasar") == {roads.tracking_id}
    today = timezone.localdate()
    assert listed(date_from=(today - timedelta(days=1)).isoformat(), date_to=today.isoformat()) == {
        roads.tracking_id,
        health.tracking_id,
    }
    assert listed(date_from=(today + timedelta(days=1)).isoformat()) == set()
    # Bad filter values are form errors, never a 500.
    assert client.get("/laporan/", {"status": "x", "date_from": "kemarin", "page": "zz"}).status_code == 200


@pytest.mark.django_db
def test_feed_support_button_for_signed_in_citizens(client, other_citizen, disposed_report):
    c = disposed_report()
    assert "Saya juga mengalami" not in client.get("/laporan/").content.decode()
    client.force_login(other_citizen)
    assert "Saya juga mengalami" in client.get("/laporan/").content.decode()
    client.post(c.get_absolute_url(), {"action": "support", "next": "/laporan/"})
    assert "Anda mendukung laporan ini." in client.get("/laporan/").content.decode()


@pytest.mark.django_db
def test_feed_paginates(client, disposed_report):
    for i in range(21):
        disposed_report(title=f"Laporan jalan nomor {i:02d}")
    first = client.get("/laporan/").content.decode()
    second = client.get("/laporan/", {"page": 2}).content.decode()
    assert first.count('class="card"') == 20 and second.count('class="card"') == 1
    assert "Laporan jalan nomor 20" in first and "Laporan jalan nomor 00" in second


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "liaison_pu", "operator"])
def test_feed_query_count_does_not_grow(request, client, disposed_report, django_assert_max_num_queries, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    disposed_report(privacy="anonim")
    with django_assert_max_num_queries(16) as one:
        client.get("/laporan/")
    for _ in range(49):
        disposed_report(privacy="anonim")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/laporan/?page=2")
    assert response.context["page"].paginator.count == 50


# My reports, notifications, tracking by id, privacy notice ------------------------------------------
@pytest.mark.django_db
def test_my_reports_and_followed(alice, citizen, file_report, other_citizen, disposed_report, region):
    mine = file_report(privacy="rahasia", title="Laporan rahasia saya")
    theirs = workflow.file_complaint(
        reporter=other_citizen, title="Laporan milik Bob", body="Isi laporan Bob cukup.", category=region.roads
    )
    followed = disposed_report(reporter=other_citizen, title="Laporan Bob yang saya dukung")
    workflow.support(followed.pk, by=citizen)
    body = alice.get("/saya/").content.decode()
    assert mine.tracking_id in body and followed.tracking_id in body and theirs.tracking_id not in body


@pytest.mark.django_db
def test_my_reports_query_count(alice, file_report, django_assert_max_num_queries):
    file_report()
    with django_assert_max_num_queries(16) as one:
        alice.get("/saya/")
    for _ in range(19):
        file_report()
    with django_assert_max_num_queries(len(one.captured_queries)):
        alice.get("/saya/")


@pytest.mark.django_db
def test_notifications_list_and_mark_read(
    alice, citizen, disposed_report, liaison_pu, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        c = disposed_report()
        d = c.dispositions.get()
        workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tim kami menuju lokasi besok pagi.")
    inbox = Notification.objects.filter(recipient=citizen, channel="inapp")
    assert inbox.count() >= 2
    body = alice.get("/notifikasi/").content.decode()
    assert c.tracking_id in body and "Tim kami menuju lokasi besok pagi." in body
    first = inbox.first()
    assert alice.post("/notifikasi/", {"id": first.pk}).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    alice.post("/notifikasi/", {"all": "1"})
    assert not inbox.filter(read_at__isnull=True).exists()


@pytest.mark.django_db
def test_notifications_hide_reports_no_longer_visible(
    client, other_citizen, citizen, disposed_report, liaison_pu, django_capture_on_commit_callbacks
):
    c = disposed_report()
    workflow.support(c.pk, by=other_citizen)
    d = c.dispositions.get()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tindak lanjut rahasia dinas.")
    assert Notification.objects.filter(recipient=other_citizen, channel="inapp").exists()
    workflow.change_privacy(c.pk, by=citizen, privacy_level="rahasia")
    client.force_login(other_citizen)
    body = client.get("/notifikasi/").content.decode()
    assert "Tindak lanjut rahasia dinas." not in body and "tidak lagi dapat Anda lihat" in body


@pytest.mark.django_db
def test_notifications_of_someone_else_cannot_be_marked(
    client, other_citizen, citizen, disposed_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        disposed_report()
    n = Notification.objects.filter(recipient=citizen).first()
    client.force_login(other_citizen)
    client.post("/notifikasi/", {"id": n.pk})
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed,target",
    [
        ("lpr-7k2m-9qxd", "/laporan/LPR-7K2M-9QXD/"),
        (" LPR 7K2M 9QXD ", "/laporan/LPR-7K2M-9QXD/"),
        ("7k2m9qxd", "/laporan/LPR-7K2M-9QXD/"),
    ],
)
def test_track_by_id_redirects(client, typed, target):
    response = client.get("/lacak/", {"id": typed})
    assert response.status_code == 302 and response["Location"] == target


# "²" passes str.isdigit() but not int(); 30 digits overflow the integer column.
BAD_IDS = ["²", "9" * 30, "-1", "1e3"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_in_urls_and_forms_are_never_a_500(alice, form_data, region, bad):
    for url, params in [
        ("/lapor/serupa/", {"category": bad, "kecamatan": bad, "q": "jembatan patah"}),
        ("/lapor/serupa/", {"category": "jalan", "kecamatan": bad, "q": "jembatan patah"}),
        ("/lapor/", {"category": bad, "kecamatan": bad}),
        ("/laporan/", {"kecamatan": bad, "category": bad, "page": bad}),
    ]:
        assert alice.get(url, params).status_code == 200, (url, params)
    response = alice.post("/lapor/", form_data(kecamatan=bad, kelurahan=bad, category=bad, target_agency=bad))
    assert response.status_code == 400
    assert "Periksa kembali isian Anda" in response.content.decode()
    assert not Complaint.objects.exists()
    assert alice.post("/notifikasi/", {"id": [bad, "1"]}).status_code == 302


@pytest.mark.django_db
def test_track_bad_id(client):
    response = client.get("/lacak/", {"id": "<script>"})
    assert response.status_code == 400 and "tidak valid" in response.content.decode()
    assert "<script>" not in response.content.decode()
    assert client.get("/lacak/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/laporan/", "/privasi/", "/lacak/", "/lapor/serupa/", "/saya/", "/notifikasi/", "/lapor/"]
)
def test_main_pages_are_small_and_in_indonesian(alice, disposed_report, url):
    for _ in range(20):
        disposed_report()
    response = alice.get(url)
    assert response.status_code == 200
    assert len(response.content) < 100_000
    assert b'<html lang="id">' in response.content
    assert not re.search(rb"https?://(?!127\.0\.0\.1)[^\"'\s]*\.(css|js|woff2?)", response.content)


@pytest.mark.django_db
def test_privacy_notice(client):
    body = client.get("/privasi/").content.decode()
    assert "27 Tahun 2022" in body and "Menghapus akun" in body and "mengunduh data" in body
