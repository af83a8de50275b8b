"""Reports through the API: reference data, list (pagination, filters, search, mine), detail, filing,
timeline, files, identity log, similar reports, notifications, JSON errors, constant query counts."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import workflow
from complaints.models import Attachment, Complaint, IdentityAccess, Notification, Status

pytestmark = pytest.mark.django_db

LIST = "/api/v1/complaints/"


def detail(c):
    return f"/api/v1/complaints/{c.tracking_id}/"


def tracking_ids(response):
    return [row["tracking_id"] for row in response.json()["results"]]


def jpeg(color="red"):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, format="JPEG")
    return SimpleUploadedFile("bukti-rumah-saya.jpg", out.getvalue(), content_type="image/jpeg")


# Reference data ----------------------------------------------------------------------------------
def test_agencies_categories_areas(api, region):
    agencies = api.get("/api/v1/agencies/").json()
    unit = next(a for a in agencies if a["slug"] == "dinas-pu-bina-marga")
    assert unit == {
        "slug": "dinas-pu-bina-marga",
        "name": "Bidang Bina Marga",
        "short_name": "Bidang Bina Marga",
        "kind": "unit",
        "parent": "dinas-pu",
    }
    categories = api.get("/api/v1/categories/").json()
    assert {"slug": "jalan", "name": "Jalan dan jembatan"}.items() <= categories[0].items() or any(
        c["slug"] == "jalan" and c["name"] == "Jalan dan jembatan" for c in categories
    )
    kelurahan = api.get("/api/v1/areas/?level=kelurahan&parent=01").json()
    assert kelurahan == [
        {"code": "01.01", "name": "Lamokato", "level": "kelurahan", "parent": "01", "lat": None, "lng": None}
    ]
    assert api.get("/api/v1/areas/?level=provinsi").status_code == 400


# List ------------------------------------------------------------------------------------------
def test_list_is_paginated_and_public(api, disposed_report, file_report):
    public = disposed_report()
    file_report()  # unverified: not public
    r = api.get(LIST)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1 and tracking_ids(r) == [public.tracking_id]
    row = body["results"][0]
    for field in (
        "tracking_id",
        "kind",
        "privacy",
        "status",
        "title",
        "body",
        "category",
        "location",
        "incident_date",
        "reporter",
        "created_at",
        "support_count",
        "dispositions",
        "verification_due_at",
    ):
        assert field in row
    assert row["reporter"] == {"display_name": "Alice"}
    assert row["category"] == "jalan"
    assert row["dispositions"] == [
        {
            "id": None,
            "agency": "dinas-pu",
            "agency_name": "Dinas PU",
            "parent": None,
            "status": "menunggu",
            "due_at": row["dispositions"][0]["due_at"],
            "settlement_due_at": row["dispositions"][0]["settlement_due_at"],
            "extended": False,
        }
    ]
    assert row["dispositions"][0]["due_at"] and row["verification_due_at"] is None


def test_page_size_and_next(api, disposed_report):
    for _i in range(3):
        disposed_report()
    r = api.get(LIST + "?page_size=2")
    assert r.json()["count"] == 3 and len(r.json()["results"]) == 2 and r.json()["next"]
    assert api.get(LIST + "?page=9").status_code == 404


def test_filters(api, region, disposed_report, citizen, client_for, operator):
    road = disposed_report()
    health = disposed_report(category=region.health, agencies=("dinkes",), kind="aspirasi")
    assert tracking_ids(api.get(LIST + "?category=kesehatan")) == [health.tracking_id]
    assert tracking_ids(api.get(LIST + "?kind=aspirasi")) == [health.tracking_id]
    assert tracking_ids(api.get(LIST + "?agency=dinas-pu")) == [road.tracking_id]
    assert sorted(tracking_ids(api.get(LIST + "?status=belum_ditindaklanjuti"))) == sorted(
        [road.tracking_id, health.tracking_id]
    )
    assert tracking_ids(api.get(LIST + "?status=selesai")) == []
    for bad in ("?status=nope", "?kind=x", "?category=tidak-ada", "?agency=tidak-ada", "?ordering=password"):
        r = api.get(LIST + bad)
        assert r.status_code == 400, bad
        assert r.json()["detail"]


def test_agency_filter_includes_units(api, disposed_report, liaison_pu, client_for):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    assert tracking_ids(api.get(LIST + "?agency=dinas-pu-bina-marga")) == [c.tracking_id]


def test_mine(api, file_report, disposed_report, other_citizen, citizen, client_for):
    own_unverified = file_report(privacy="rahasia")
    other = disposed_report()
    theirs = file_report(reporter=other_citizen)
    client = client_for(citizen)
    assert sorted(tracking_ids(client.get(LIST + "?mine=true"))) == sorted(
        [own_unverified.tracking_id, other.tracking_id]
    )
    assert theirs.tracking_id not in tracking_ids(client.get(LIST))
    assert tracking_ids(api.get(LIST + "?mine=true")) == []


def test_search(api, disposed_report, operator):
    hit = disposed_report(title="Lampu jalan padam di Lamokato", body="Sudah seminggu lampu penerangan jalan mati.")
    disposed_report(title="Sampah menumpuk", body="Sampah di pasar belum diangkut selama tiga hari.")
    secret = disposed_report(privacy="rahasia", title="Lampu jalan padam juga", body="Lampu padam di dekat rumah.")
    r = api.get(LIST + "?q=lampu padam")
    assert tracking_ids(r) == [hit.tracking_id]
    assert secret.tracking_id not in tracking_ids(r)


def test_search_reads_the_public_summary_not_the_redacted_original(api, disposed_report, operator):
    c = disposed_report(
        title="Pelayanan puskesmas lambat", body="Petugas bernama Sukirman membentak pasien di loket pendaftaran."
    )
    workflow.edit_summary(c.pk, by=operator, summary="Petugas loket pendaftaran membentak pasien.")
    assert tracking_ids(api.get(LIST + "?q=sukirman")) == []
    assert tracking_ids(api.get(LIST + "?q=membentak")) == [c.tracking_id]
    assert api.get(detail(c)).json()["body"] == "Petugas loket pendaftaran membentak pasien."


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "operator", "liaison_pu"])
def test_list_query_count_is_constant(request, persona, disposed_report, client_for, django_assert_max_num_queries):
    from tests.privacy_matrix import persona as get_persona

    user = get_persona(request, persona)
    client = request.getfixturevalue("api") if persona == "anonymous" else client_for(user)
    disposed_report(privacy="anonim")
    counts = []
    for total in (1, 50):
        while Complaint.objects.count() < total:
            disposed_report(privacy=["umum", "anonim", "rahasia"][Complaint.objects.count() % 3])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            r = client.get(LIST + "?page_size=100")
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        client.get(LIST + "?page_size=100&q=jalan")


def test_a_public_page_costs_the_same_queries_whatever_its_reports_name(
    api, region, disposed_report, django_assert_num_queries
):
    # One page of bare reports, another whose reports name a kelurahan, a terlapor, a target agency
    # and a report they were merged into: the same number of queries for the public.
    plain = [disposed_report() for _ in range(2)]
    rich = [disposed_report() for _ in range(2)]
    Complaint.objects.filter(pk__in=[c.pk for c in rich]).update(
        kelurahan=region.kelurahan, terlapor_agency=region.dinkes, target_agency=region.pu, merged_into=plain[0]
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as ctx:
            rows = api.get(LIST + f"?page_size=2&page={page}").json()["results"]
        counts.append(len(ctx.captured_queries))
        if page == 1:  # the newest first: the reports naming everything
            assert {r["merged_into"] for r in rows} == {plain[0].tracking_id}
            assert {r["location"]["kelurahan"]["code"] for r in rows} == {"01.01"}
            assert all(r.get("terlapor_agency") is None for r in rows)  # never shown to the public
    assert counts[0] == counts[1], counts


def test_list_never_logs_identity_views(disposed_report, operator, client_for):
    disposed_report(privacy="anonim")
    rows = client_for(operator).get(LIST).json()["results"]
    assert rows[0]["reporter"] is None  # a logged view happens on the detail only
    assert not IdentityAccess.objects.exists()


# Detail ---------------------------------------------------------------------------------------
def test_detail_for_the_public_and_staff(api, region, report_on_jalan_poros, operator, client_for, liaison_pu):
    c = report_on_jalan_poros
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    public = api.get(detail(c)).json()
    assert public["location"] == {
        "text": "Jl. Poros",
        "kecamatan": {"code": "01", "name": "Kota"},
        "kelurahan": {"code": "01.01", "name": "Lamokato"},
        "lat": -4.601,
        "lng": 121.903,
    }
    assert public["reporter_identity"] is None
    assert public["dispositions"][0]["id"] is None and public["verification_due_at"] is None
    staff = client_for(liaison_pu).get(detail(c)).json()
    assert staff["location"]["lat"] == -4.601234
    assert staff["dispositions"][0]["id"] == c.dispositions.get().pk
    assert staff["roles"] == ["liaison"]
    assert staff["reporter_identity"]["phone"] == "+628529860111"  # liaison of the disposed OPD, umum
    assert "nik" not in staff["reporter_identity"]


def test_detail_verification_deadline_for_staff(file_report, operator, client_for, citizen):
    c = file_report()
    assert client_for(operator).get(detail(c)).json()["verification_due_at"]
    assert client_for(citizen).get(detail(c)).json()["verification_due_at"] is None


def test_operator_detail_of_a_rahasia_report_is_logged(file_report, operator, client_for):
    c = file_report(privacy="rahasia")
    body = client_for(operator).get(detail(c)).json()
    assert body["reporter"] == {"display_name": "Alice"}
    assert body["reporter_identity"]["email"] == "alice@warga.id"
    access = IdentityAccess.objects.get()
    assert (access.user_id, access.kind, access.role) == (operator.pk, "view", "operator")


def test_missing_and_invisible_are_the_same_404(api, file_report):
    hidden = file_report(privacy="rahasia")
    a = api.get(detail(hidden))
    b = api.get("/api/v1/complaints/LPR-0000-0000/")
    c = api.get("/api/v1/complaints/bukan-nomor/")
    assert a.status_code == b.status_code == c.status_code == 404
    assert a.json() == b.json() == c.json() == {"detail": "Laporan tidak ditemukan."}


def test_lower_case_tracking_id_works(api, disposed_report):
    c = disposed_report()
    assert api.get(f"/api/v1/complaints/{c.tracking_id.lower()}/").status_code == 200


def test_unknown_api_path_is_json_404(api):
    r = api.get("/api/v1/tidak-ada/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["detail"]


# Filing -----------------------------------------------------------------------------------------
def test_file_a_report(region, citizen, client_for):
    payload = {
        "title": "Jalan berlubang di depan pasar",
        "body": "Lubang besar di Jalan Poros dekat pasar, sudah dua minggu belum diperbaiki.",
        "kind": "aduan",
        "category": "jalan",
        "location": {"text": "Jl. Poros", "kelurahan": "01.01", "lat": -4.60123456789, "lng": 121.9034567891},
        "incident_date": "2026-01-10",
        "privacy": "anonim",
        "terlapor_agency": "dinkes",
    }
    r = client_for(citizen).post(LIST, payload, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    c = Complaint.objects.get(tracking_id=body["tracking_id"])
    assert r["Location"].endswith(c.get_absolute_url())
    assert (c.reporter, c.status, c.channel, c.privacy) == (citizen, Status.BELUM_TERVERIFIKASI, "mobile", "anonim")
    assert (c.kecamatan, c.kelurahan, c.location_text) == (region.kecamatan, region.kelurahan, "Jl. Poros")
    assert c.lat == Decimal("-4.601235") and c.terlapor_agency == region.dinkes
    assert body["status"] == "belum_terverifikasi" and body["is_reporter"] is True
    assert body["location"]["lat"] == -4.601235 and body["terlapor_agency"] == "dinkes"


def test_file_with_location_as_text_and_flat_fields(region, citizen, client_for):
    r = client_for(citizen).post(
        LIST,
        {
            "title": "Puskesmas tutup",
            "body": "Puskesmas Kota tutup pada jam pelayanan hari Senin.",
            "category": "kesehatan",
            "location": "Puskesmas Kota",
            "kecamatan": "01",
            "channel": "web",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    c = Complaint.objects.get(tracking_id=r.json()["tracking_id"])
    assert (c.location_text, c.kecamatan, c.channel, c.kind, c.privacy) == (
        "Puskesmas Kota",
        region.kecamatan,
        "web",
        "aduan",
        "umum",
    )


@pytest.mark.parametrize(
    "change,field",
    [
        ({"title": "abc"}, "title"),
        ({"body": "pendek"}, "body"),
        ({"category": "tidak-ada"}, "category"),
        ({"kind": "gosip"}, "kind"),
        ({"privacy": "terbuka"}, "privacy"),
        ({"location": {"kelurahan": "99.99"}}, "location"),
        ({"lat": 91, "lng": 0}, "lat"),
        ({"lat": 1}, "lat"),
        ({"incident_date": "2999-01-01"}, "incident_date"),
        ({"target_agency": "dinkes", "terlapor_agency": "dinkes-puskesmas-kota"}, "target_agency"),
        ({"kecamatan": "01", "kelurahan": "01.01", "location": {"kecamatan": "02"}}, None),
        # The text gate removes a NUL (tests/test_text_gate.py); what is left is then too short.
        ({"title": "Judu\x00\x00"}, "title"),
        # Digits int() refuses ("²" passes str.isdigit) and numbers past the column: 400, not 500.
        ({"kecamatan": "²"}, "kecamatan"),
        ({"kelurahan": "9" * 30}, "kelurahan"),
    ],
)
def test_filing_refusals(region, citizen, client_for, change, field):
    payload = {
        "title": "Jalan berlubang",
        "body": "Lubang besar di Jalan Poros dekat pasar.",
        "category": "jalan",
        **change,
    }
    r = client_for(citizen).post(LIST, payload, format="json")
    if field is None:
        assert r.status_code in (201, 400)
        return
    assert r.status_code == 400, r.json()
    assert field in r.json() and r.json()["detail"]
    assert not Complaint.objects.exists()


def test_kelurahan_outside_the_kecamatan(region, citizen, client_for):
    from agencies.models import Area

    other = Area.objects.create(name="Lain", code="02", level=Area.Level.KECAMATAN)
    r = client_for(citizen).post(
        LIST,
        {
            "title": "Jalan rusak",
            "body": "Jalan rusak parah sekali di sini.",
            "category": "jalan",
            "kecamatan": other.code,
            "kelurahan": "01.01",
        },
        format="json",
    )
    assert r.status_code == 400 and "kelurahan" in r.json()


def test_filing_needs_an_account(api, region):
    r = api.post(
        LIST, {"title": "Jalan rusak", "body": "Jalan rusak parah sekali.", "category": "jalan"}, format="json"
    )
    assert r.status_code == 401


def test_bad_json_is_400(citizen, client_for):
    r = client_for(citizen).post(LIST, data="{bukan json", content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]
    r = client_for(citizen).post(LIST, data="[1, 2]", content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]


# Timeline -------------------------------------------------------------------------------------
def test_timeline_audiences_and_actor_labels(api, disposed_report, liaison_pu, operator, citizen, client_for):
    c = disposed_report(privacy="anonim")
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tim sudah meninjau lokasi.")
    workflow.reply(c.pk, by=citizen, body="Terima kasih, ditunggu perbaikannya.")
    workflow.edit_summary(c.pk, by=operator, summary="Jalan berlubang dekat pasar.")
    public = api.get(detail(c) + "timeline/").json()
    assert [e["type"] for e in public] == ["filed", "verified", "disposed", "followup"]
    assert public[0]["actor"] == "Pelapor"
    assert public[3]["actor"] == "Admin Dinas PU" and public[3]["disposition"] == {
        "id": None,
        "agency": "dinas-pu",
        "agency_name": "Dinas PU",
    }
    assert all("Lia" not in e["actor"] and "Opi" not in e["actor"] for e in public)
    mine = client_for(citizen).get(detail(c) + "timeline/").json()
    assert [e["type"] for e in mine] == ["filed", "verified", "disposed", "followup", "reply"]
    staff = client_for(liaison_pu).get(detail(c) + "timeline/").json()
    assert staff[-1]["type"] == "summary_edited" and staff[3]["disposition"]["id"] == d.pk
    assert set(public[0]) == {"id", "type", "created_at", "actor", "body", "disposition", "data", "attachments"}


def test_timeline_names_an_umum_reporter_only_where_the_caller_sees_them(api, disposed_report):
    c = disposed_report(privacy="umum")
    assert api.get(detail(c) + "timeline/").json()[0]["actor"] == "Alice"


def test_timeline_of_invisible_report_is_404(api, file_report):
    assert api.get(detail(file_report()) + "timeline/").status_code == 404


# Files ----------------------------------------------------------------------------------------
def test_reporter_uploads_evidence(citizen, client_for, file_report, api, operator):
    c = file_report()
    r = client_for(citizen).post(detail(c) + "attachments/", {"file": jpeg()}, format="multipart")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["content_type"] == "image/jpeg" and body["size"] > 0
    a = Attachment.objects.get()
    assert body["id"] == str(a.key) and body["url"] == f"http://testserver/lampiran/{a.key}/"
    assert body["name"] == "bukti-rumah-saya.jpg"
    # The url serves only those who may see the report: the public after verification.
    assert api.get(body["url"]).status_code == 404
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    assert api.get(body["url"]).status_code == 200
    public = api.get(detail(c)).json()["attachments"]
    assert public[0]["url"] == body["url"] and public[0]["name"] is None


def test_upload_refusals(citizen, other_citizen, client_for, file_report, disposed_report, liaison_pu):
    c = file_report()
    bad = client_for(citizen).post(
        detail(c) + "attachments/",
        {"file": SimpleUploadedFile("x.jpg", b"<html>bukan gambar</html>")},
        format="multipart",
    )
    assert bad.status_code == 400 and "file" in bad.json()
    assert client_for(citizen).post(detail(c) + "attachments/", {}, format="multipart").status_code == 400
    public = disposed_report()
    assert (
        client_for(other_citizen)
        .post(detail(public) + "attachments/", {"file": jpeg()}, format="multipart")
        .status_code
        == 403
    )
    # A liaison attaches to their follow-up; none yet → 400.
    r = client_for(liaison_pu).post(detail(public) + "attachments/", {"file": jpeg()}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()
    workflow.withdraw(c.pk, by=citizen)
    assert client_for(citizen).post(detail(c) + "attachments/", {"file": jpeg()}, format="multipart").status_code == 409


def test_liaison_attaches_to_their_followup(disposed_report, liaison_pu, client_for, api):
    c = disposed_report()
    event = workflow.followup(c.pk, by=liaison_pu, disposition=c.dispositions.get().pk, body="Sudah ditambal.")
    r = client_for(liaison_pu).post(detail(c) + "attachments/", {"file": jpeg("green")}, format="multipart")
    assert r.status_code == 201
    assert r.json()["event"] == event.pk and r.json()["public"] is True
    entry = api.get(detail(c) + "timeline/").json()[-1]
    assert entry["type"] == "followup" and entry["attachments"][0]["id"] == r.json()["id"]


# Identity log ------------------------------------------------------------------------------------
def test_identity_log_for_the_reporter_only(file_report, operator, auditor, citizen, other_citizen, client_for):
    c = file_report(privacy="rahasia")
    client_for(operator).get(detail(c))
    workflow.reveal(c.pk, by=auditor, reason="Pemeriksaan dugaan pungli oleh petugas.")
    log = client_for(citizen).get(detail(c) + "identity-log/").json()
    assert [(e["kind"], e["staff"], e["role"], e["agency"]) for e in log] == [
        ("reveal", "Audi Tor", "auditor", "Inspektorat"),
        ("view", "Opi Operator", "operator", "Diskominfo"),
    ]
    assert log[0]["reason"] == "Pemeriksaan dugaan pungli oleh petugas."
    assert all(set(e) == {"created_at", "kind", "staff", "role", "agency", "reason"} for e in log)
    assert all("@" not in str(e) for e in log)  # the name, never the staff member's email
    assert client_for(operator).get(detail(c) + "identity-log/").status_code == 404
    assert client_for(other_citizen).get(detail(c) + "identity-log/").status_code == 404


# Similar -----------------------------------------------------------------------------------------
def test_similar_open_reports(api, disposed_report):
    c = disposed_report(title="Jalan berlubang di depan pasar", body="Lubang jalan besar di depan pasar sentral.")
    r = api.get(LIST + "similar/?category=jalan&q=lubang jalan pasar")
    assert [row["tracking_id"] for row in r.json()] == [c.tracking_id]
    assert api.get(LIST + "similar/?category=tidak-ada&q=x").status_code == 400


# Notifications -----------------------------------------------------------------------------------
def test_notifications_are_the_callers_own_in_app_messages(
    file_report, operator, citizen, other_citizen, client_for, django_capture_on_commit_callbacks
):
    c = file_report()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    r = client_for(citizen).get("/api/v1/notifications/")
    rows = r.json()["results"]
    assert rows and all(row["tracking_id"] == c.tracking_id for row in rows)
    assert rows[0]["type"] == "verified" and rows[0]["read_at"] is None
    n = rows[0]["id"]
    assert client_for(other_citizen).post(f"/api/v1/notifications/{n}/read/").status_code == 404
    read = client_for(citizen).post(f"/api/v1/notifications/{n}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert Notification.objects.get(pk=n).read_at is not None
    assert client_for(other_citizen).get("/api/v1/notifications/").json()["count"] == 0
