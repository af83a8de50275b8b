"""The operator's workspace through HTTP: the queue, the review page and each action on it, and
manual entry with its receipt (docs/product.md §2, §3, §4, §6, §7)."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from complaints import models, workflow
from complaints.models import Audience, Complaint, DispositionStatus, Event, EventType, IdentityAccess, Status, Support
from tests.conftest import make_user
from tests.filing import walk_in_form

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def refreshed(c):
    return Complaint.objects.get(pk=c.pk)


def review_url(c):
    return f"/petugas/laporan/{c.tracking_id}/"


def events(c, type_):
    return list(Event.objects.filter(complaint=c, type=type_))


# Access ------------------------------------------------------------------------------------------
def test_queue_is_for_operators_only(client, client_for, operator, citizen, liaison_pu, head_pu, auditor):
    assert client.get("/petugas/").status_code == 302  # anonymous: to the login page
    for user in (citizen, liaison_pu, head_pu, auditor):
        assert client_for(user).get("/petugas/").status_code == 404
    assert client_for(operator).get("/petugas/").status_code == 200


def test_review_page_is_404_for_non_operators_and_missing_ids(client_for, file_report, operator, citizen, liaison_pu):
    c = file_report()
    assert client_for(citizen).get(review_url(c)).status_code == 404  # even the reporter
    assert client_for(liaison_pu).get(review_url(c)).status_code == 404
    missing = client_for(operator).get("/petugas/laporan/LPR-0000-0000/")
    assert missing.status_code == 404
    assert client_for(operator).get(review_url(c)).status_code == 200


def test_a_report_accusing_diskominfo_is_not_in_its_operators_queue(client_for, file_report, operator, region):
    accused = file_report(title="Operator Diskominfo tidak ramah", terlapor_agency=region.diskominfo)
    other = file_report()
    page = client_for(operator).get("/petugas/")
    assert other.tracking_id in page.content.decode()
    assert accused.tracking_id not in page.content.decode()
    assert client_for(operator).get(review_url(accused)).status_code == 404


# The queue ---------------------------------------------------------------------------------------
def test_unverified_tab_sorted_by_deadline_with_countdowns(client_for, file_report, operator):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=WIB), tick=False):  # Monday
        older = file_report(title="Laporan yang lebih dulu masuk")
    with time_machine.travel(datetime.datetime(2026, 11, 4, 9, 0, tzinfo=WIB), tick=False):
        newer = file_report(title="Laporan yang lebih baru masuk")
    with time_machine.travel(datetime.datetime(2026, 11, 6, 10, 0, tzinfo=WIB), tick=False):  # Friday
        page = client_for(operator).get("/petugas/")
    html = page.content.decode()
    assert html.index(older.tracking_id) < html.index(newer.tracking_id)
    # older is due Thu 5 Nov (late by one working day), newer Mon 9 Nov (one working day left).
    assert "terlambat 1 hari kerja" in html
    assert "1 hari kerja lagi" in html
    assert 'class="overdue"' in html
    assert page.context["tabs"][0][2] == 2  # "Belum diverifikasi" count


def test_filters_and_overdue_only(client_for, file_report, operator, region):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=WIB), tick=False):
        late = file_report(title="Jalan rusak lama sekali", kecamatan=region.kecamatan)
    with time_machine.travel(datetime.datetime(2026, 11, 6, 9, 0, tzinfo=WIB), tick=False):
        health = file_report(title="Puskesmas tutup siang", category=region.health, kind="aspirasi")
        c = client_for(operator)
        by_category = c.get("/petugas/", {"category": region.health.pk}).content.decode()
        assert health.tracking_id in by_category and late.tracking_id not in by_category
        by_kind = c.get("/petugas/", {"kind": "aspirasi"}).content.decode()
        assert health.tracking_id in by_kind and late.tracking_id not in by_kind
        by_area = c.get("/petugas/", {"kecamatan": region.kecamatan.pk}).content.decode()
        assert late.tracking_id in by_area and health.tracking_id not in by_area
        overdue = c.get("/petugas/", {"overdue": "on"}).content.decode()
        assert late.tracking_id in overdue and health.tracking_id not in overdue
        by_channel = c.get("/petugas/", {"channel": "phone"}).content.decode()
        assert late.tracking_id not in by_channel
        bad = c.get("/petugas/", {"category": "999999", "kind": "nope", "tab": "zzz", "page": "x"})
        assert bad.status_code == 400
        assert "Masukkan pilihan yang valid" in bad.content.decode()


def test_returned_and_monitor_tabs(client_for, disposed_report, operator, liaison_pu):
    returned = disposed_report(title="Saluran air tersumbat di pasar")
    monitored = disposed_report(title="Trotoar rusak dekat sekolah")
    d = returned.dispositions.get()
    workflow.return_disposition(
        returned.pk, by=liaison_pu, disposition=d.pk, reason="Saluran air adalah kewenangan Dinas Perkim."
    )
    c = client_for(operator)
    page = c.get("/petugas/", {"tab": "dikembalikan"})
    html = page.content.decode()
    assert returned.tracking_id in html and monitored.tracking_id not in html
    assert "kewenangan Dinas Perkim" in html
    counts = {key: n for key, _label, n in page.context["tabs"]}
    assert counts == {"belum": 0, "tunda": 0, "dikembalikan": 1, "dipantau": 2}
    html = c.get("/petugas/", {"tab": "dipantau"}).content.decode()
    assert returned.tracking_id in html and monitored.tracking_id in html
    assert "lewat 60 hari" not in html


def test_monitor_flags_the_sixty_day_ceiling(client_for, disposed_report, operator, liaison_pu):
    from complaints.deadlines import sweep as sla

    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sedang kami kerjakan.")
    later = timezone.now() + datetime.timedelta(days=62)
    sla.sla_sweep(later)
    assert models.Disposition.objects.get(pk=d.pk).ceiling_passed
    with time_machine.travel(later, tick=False):
        html = client_for(operator).get("/petugas/", {"tab": "dipantau", "overdue": "1"}).content.decode()
    assert c.tracking_id in html and "lewat 60 hari" in html


# Identity ----------------------------------------------------------------------------------------
def test_protected_identity_only_after_an_explicit_click_which_is_logged(client_for, file_report, operator, citizen):
    c = file_report(privacy="anonim")
    op = client_for(operator)
    page = op.get(review_url(c)).content.decode()
    assert "Alice Rahmawati" not in page and "Lihat identitas pelapor" in page
    assert not IdentityAccess.objects.filter(complaint=c).exists()
    shown = op.post(review_url(c), {"action": "identity"})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "Alice Rahmawati" in html and "alice@warga.id" in html and "+628529860111" in html
    access = IdentityAccess.objects.get(complaint=c)
    assert (access.user_id, access.kind, access.role) == (operator.pk, "view", "operator")
    # The reporter sees who looked.
    log = client_for(citizen).get(f"/laporan/{c.tracking_id}/akses-identitas/")
    assert log.status_code == 200 and "Operator" in log.content.decode()


def test_umum_identity_is_shown_without_a_log(client_for, file_report, operator):
    c = file_report(privacy="umum")
    html = client_for(operator).get(review_url(c)).content.decode()
    assert "Alice Rahmawati" in html
    assert not IdentityAccess.objects.filter(complaint=c).exists()


# Verify and dispose ------------------------------------------------------------------------------
def test_verify_and_dispose_through_the_form_with_routing_preselected(client_for, file_report, operator):
    c = file_report()
    op = client_for(operator)
    page = op.get(review_url(c))
    form = page.context["forms"]["verify"]
    assert form["agencies"].value() == ["dinas-pu"]  # the category's routing
    assert 'value="dinas-pu"' in page.content.decode()
    response = op.post(
        review_url(c),
        {"action": "verify", "verify-agencies": ["dinas-pu", "dinkes"], "verify-note": "Mohon segera ditinjau."},
    )
    assert response.status_code == 302
    c = refreshed(c)
    assert c.status == Status.BELUM_DITINDAKLANJUTI and c.verified_at
    assert sorted(c.dispositions.values_list("agency__slug", flat=True)) == ["dinas-pu", "dinkes"]
    verified = events(c, EventType.VERIFIED)[0]
    assert verified.audience == Audience.PUBLIC and verified.actor_id == operator.pk
    assert verified.actor_label == "Operator Diskominfo"
    assert len(events(c, EventType.DISPOSED)) == 2


def test_verify_refused_for_the_terlapor_and_its_units(client_for, file_report, operator, region):
    c = file_report(title="Petugas Dinas PU meminta uang", terlapor_agency=region.pu)
    op = client_for(operator)
    page = op.get(review_url(c))
    assert page.context["routing"] == []  # the category routes to Dinas PU, the accused
    for slug in ("dinas-pu", "dinas-pu-bina-marga"):
        response = op.post(review_url(c), {"action": "verify", "verify-agencies": [slug]})
        assert response.status_code == 400
        assert "instansi terlapor" in response.content.decode()
    assert refreshed(c).status == Status.BELUM_TERVERIFIKASI
    assert not c.dispositions.exists()
    assert op.post(review_url(c), {"action": "verify", "verify-agencies": ["inspektorat"]}).status_code == 302


def test_oversight_category_routes_to_the_inspektorat(client_for, file_report, operator, region):
    c = file_report(title="Pungutan liar saat mengurus KTP", category=region.pungli)
    op = client_for(operator)
    page = op.get(review_url(c))
    assert [a.slug for a in page.context["routing"]] == ["inspektorat"]
    refused = op.post(review_url(c), {"action": "verify", "verify-agencies": ["dinas-pu"]})
    assert refused.status_code == 400 and "berkadar pengawasan" in refused.content.decode()
    assert op.post(review_url(c), {"action": "verify", "verify-agencies": ["bkd"]}).status_code == 302
    assert list(refreshed(c).dispositions.values_list("agency__slug", flat=True)) == ["bkd"]


def test_flagging_oversight_changes_the_routing(client_for, file_report, operator):
    c = file_report(title="Kepala bidang bersikap arogan kepada warga")
    op = client_for(operator)
    assert op.post(review_url(c), {"action": "flag_oversight"}).status_code == 302
    assert refreshed(c).oversight
    assert events(c, EventType.OVERSIGHT_FLAGGED)[0].audience == Audience.STAFF
    page = op.get(review_url(c))
    assert [a.slug for a in page.context["routing"]] == ["inspektorat"]
    assert op.post(review_url(c), {"action": "verify", "verify-agencies": ["dinas-pu"]}).status_code == 400
    again = op.post(review_url(c), {"action": "flag_oversight"})
    assert again.status_code == 409 and "sudah berkadar pengawasan" in again.content.decode()


def test_wrong_status_is_a_clear_409(client_for, disposed_report, operator):
    c = disposed_report()
    op = client_for(operator)
    for data in (
        {"action": "verify", "verify-agencies": ["dinkes"]},
        {"action": "postpone", "postpone-reason": "Mohon lengkapi lokasinya."},
        {"action": "merge", "merge-into": "LPR-0000-0000"},
    ):
        response = op.post(review_url(c), data)
        assert response.status_code == 409, data
        assert "tidak dapat dilakukan pada laporan berstatus" in response.content.decode()
    unknown = op.post(review_url(c), {"action": "explode"})
    assert unknown.status_code == 400


def test_empty_forms_are_400_not_500(client_for, file_report, operator):
    c = file_report()
    op = client_for(operator)
    for action in (
        "verify",
        "postpone",
        "archive",
        "forward",
        "merge",
        "privacy",
        "reclassify",
        "hide_attachment",
        "refuse_return",
        "dispose",
    ):
        response = op.post(review_url(c), {"action": action})
        assert response.status_code == 400, action


# The actions as one short list -------------------------------------------------------------------
def details(html):
    """{action: open?} of the page's <details class="action" id="aksi-<action>">, in order."""
    return {m[1]: bool(m[2]) for m in re.finditer(r'<details class="action" id="aksi-([a-z_]+)"( open)?>', html)}


def test_each_action_is_a_details_and_the_expected_one_is_open(client_for, file_report, operator):
    c = file_report()
    page = client_for(operator).get(review_url(c))
    html = page.content.decode()
    shown = details(html)
    assert set(shown) == page.context["allowed"] - {"hide_attachment"}
    assert [a for a, opened in shown.items() if opened] == ["verify"]  # a new report waits for verification
    assert "<summary>Verifikasi dan disposisikan</summary>" in html
    # One form per details: every action form of the list sits inside its own details.
    for action in shown:
        block = html.split(f'id="aksi-{action}"', 1)[1].split("</details>", 1)[0]
        assert block.count("<form") == 1 and f'name="action" value="{action}"' in block
    # Similar reports and the reporter sit above the actions.
    assert html.index('id="similar-title"') < html.index('id="actions-title"')
    assert html.index('id="identity-title"') < html.index('id="actions-title"')


def test_times_on_the_review_page_name_the_time_zone(client_for, file_report, operator):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 5, tzinfo=WIB), tick=False):
        c = file_report()
    html = client_for(operator).get(review_url(c)).content.decode()
    assert "2 November 2026, 09:05 WIB" in html  # sent (the report section)
    assert "2 Nov 2026, 09:05 WIB" in html  # the timeline


def test_a_returned_report_opens_the_new_disposition(client_for, disposed_report, operator, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami, urusan provinsi.")
    shown = details(client_for(operator).get(review_url(c)).content.decode())
    assert [a for a, opened in shown.items() if opened] == ["dispose"]
    assert "refuse_return" in shown


def test_a_failed_form_is_open_and_named_with_a_link_to_it(client_for, file_report, operator):
    c = file_report()
    response = client_for(operator).post(review_url(c), {"action": "archive", "archive-reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert [a for a, opened in details(html).items() if opened] == ["archive"]  # not verify any more
    alert = html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Periksa isian formulir: Arsipkan." in alert
    assert '<a href="#aksi-archive">Ke formulir yang perlu diperbaiki</a>' in alert
    # A refusal of an action the page does not offer any more names no form.
    unknown = client_for(operator).post(review_url(c), {"action": "explode"}).content.decode()
    assert "Ke formulir yang perlu diperbaiki" not in unknown


# The other operator actions ----------------------------------------------------------------------
def test_postpone_sends_the_message_to_the_reporter(client_for, file_report, operator, citizen):
    c = file_report()
    response = client_for(operator).post(
        review_url(c), {"action": "postpone", "postpone-reason": "Mohon lampirkan foto jalan."}
    )
    assert response.status_code == 302
    assert refreshed(c).status == Status.TUNDA
    event = events(c, EventType.POSTPONED)[0]
    assert event.audience == Audience.REPORTER and event.body == "Mohon lampirkan foto jalan."
    assert "Mohon lampirkan foto jalan." in client_for(citizen).get(c.get_absolute_url()).content.decode()
    assert c.tracking_id in client_for(operator).get("/petugas/", {"tab": "tunda"}).content.decode()


def test_archive_needs_a_reason_and_a_note_for_invalid(client_for, file_report, operator):
    c = file_report()
    op = client_for(operator)
    response = op.post(review_url(c), {"action": "archive", "archive-reason": "invalid", "archive-note": ""})
    assert response.status_code == 400 and "tidak valid" in response.content.decode()
    assert (
        op.post(
            review_url(c), {"action": "archive", "archive-reason": "invalid", "archive-note": "Iklan, bukan pengaduan."}
        ).status_code
        == 302
    )
    c = refreshed(c)
    assert (c.status, c.archive_reason, c.archive_note) == (Status.ARSIP, "invalid", "Iklan, bukan pengaduan.")


def test_public_summary_for_the_public_original_for_staff(client, client_for, disposed_report, operator):
    c = disposed_report(body="Pak Budi di Jalan Mawar 3 membuang sampah ke saluran setiap hari.")
    response = client_for(operator).post(
        review_url(c), {"action": "edit_summary", "edit_summary-summary": "Warga membuang sampah ke saluran."}
    )
    assert response.status_code == 302
    public = client.get(c.get_absolute_url()).content.decode()
    assert "Warga membuang sampah ke saluran." in public and "Pak Budi" not in public
    staff = client_for(operator).get(review_url(c)).content.decode()
    assert "Pak Budi di Jalan Mawar 3" in staff
    assert events(c, EventType.SUMMARY_EDITED)[0].audience == Audience.STAFF


def test_raise_privacy_only(client, client_for, disposed_report, operator):
    c = disposed_report(privacy="anonim")
    op = client_for(operator)
    form = op.get(review_url(c)).context["forms"]["privacy"]
    assert [v for v, _label in form.fields["privacy"].choices] == ["rahasia"]
    lowered = op.post(review_url(c), {"action": "privacy", "privacy-privacy": "umum"})
    assert lowered.status_code == 400
    assert op.post(review_url(c), {"action": "privacy", "privacy-privacy": "rahasia"}).status_code == 302
    assert refreshed(c).privacy == "rahasia"
    assert client.get(c.get_absolute_url()).status_code == 404


def test_refuse_a_return_needs_a_note_and_restarts_the_clock(client_for, disposed_report, operator, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(
        c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami, ini urusan provinsi."
    )
    op = client_for(operator)
    missing = op.post(
        review_url(c), {"action": "refuse_return", "refuse_return-disposition": d.pk, "refuse_return-note": ""}
    )
    assert missing.status_code == 400
    response = op.post(
        review_url(c),
        {
            "action": "refuse_return",
            "refuse_return-disposition": d.pk,
            "refuse_return-note": "Jalan kabupaten, kewenangan Dinas PU.",
        },
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DispositionStatus.MENUNGGU and not d.return_pending and d.due_at
    refused = events(c, EventType.RETURN_REFUSED)[0]
    assert refused.audience == Audience.REPORTER and "kewenangan Dinas PU" in refused.body
    assert refreshed(c).redisposition_due_at is None


def test_redispose_to_another_agency(client_for, disposed_report, operator, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Urusan kesehatan lingkungan.")
    response = client_for(operator).post(review_url(c), {"action": "dispose", "dispose-agencies": ["dinkes"]})
    assert response.status_code == 302
    assert c.dispositions.get(agency__slug="dinkes").status == DispositionStatus.MENUNGGU
    assert not c.dispositions.filter(return_pending=True).exists()


def test_forward_outside_the_region(client_for, file_report, operator):
    c = file_report(title="Tagihan listrik melonjak tanpa sebab")
    op = client_for(operator)
    assert op.post(review_url(c), {"action": "forward", "forward-institution": "mars"}).status_code == 400
    response = op.post(
        review_url(c), {"action": "forward", "forward-institution": "pln", "forward-note": "Kewenangan PLN UP3."}
    )
    assert response.status_code == 302
    c = refreshed(c)
    assert (c.status, c.archive_reason, c.forwarded_to) == (Status.ARSIP, "forwarded", "pln")
    assert events(c, EventType.FORWARDED)[0].audience == Audience.REPORTER  # never public: not verified


def test_merge_through_the_form(client_for, file_report, disposed_report, operator, other_citizen, region):
    primary = disposed_report(title="Jalan Poros berlubang besar")
    supporter = make_user("carla@warga.id", "Carla Dewi")
    duplicate = file_report(reporter=other_citizen, title="Lubang di Jalan Poros")
    Support.objects.create(complaint=duplicate, user=supporter)
    op = client_for(operator)
    page = op.get(review_url(duplicate))
    assert primary.tracking_id in [s.tracking_id for s in page.context["similar"]]
    bad = op.post(review_url(duplicate), {"action": "merge", "merge-into": duplicate.tracking_id})
    assert bad.status_code == 400
    response = op.post(review_url(duplicate), {"action": "merge", "merge-into": primary.tracking_id.lower()})
    assert response.status_code == 302 and response["Location"] == review_url(primary)
    duplicate = refreshed(duplicate)
    assert (duplicate.status, duplicate.archive_reason, duplicate.merged_into_id) == (
        Status.ARSIP,
        "duplicate",
        primary.pk,
    )
    follows = dict(Support.objects.filter(complaint=primary).values_list("user_id", "kind"))
    assert follows == {other_citizen.pk: "merged", supporter.pk: "support"}
    assert refreshed(primary).support_count == 2
    assert events(duplicate, EventType.MERGED) and events(primary, EventType.MERGED)
    assert duplicate.tracking_id in events(primary, EventType.MERGED)[0].data["duplicate"]
    # Both timelines say so, on the staff page and on the duplicate reporter's own page.
    assert "Digabung" in op.get(review_url(primary)).content.decode()
    mine = client_for(other_citizen).get(duplicate.get_absolute_url()).content.decode()
    assert primary.tracking_id in mine


def test_reclassify(client_for, file_report, operator, region):
    from agencies.models import Area

    c = file_report()
    other = Area.objects.create(name="Lain", code="02", level="kecamatan")
    op = client_for(operator)
    mismatch = op.post(
        review_url(c),
        {
            "action": "reclassify",
            "reclassify-kind": "aduan",
            "reclassify-kecamatan": other.pk,
            "reclassify-kelurahan": region.kelurahan.pk,
        },
    )
    assert mismatch.status_code == 400
    response = op.post(
        review_url(c),
        {
            "action": "reclassify",
            "reclassify-kind": "aspirasi",
            "reclassify-category": region.health.pk,
            "reclassify-kelurahan": region.kelurahan.pk,
        },
    )
    assert response.status_code == 302
    c = refreshed(c)
    assert (c.kind, c.category_id, c.kecamatan_id, c.kelurahan_id) == (
        "aspirasi",
        region.health.pk,
        region.kecamatan.pk,
        region.kelurahan.pk,
    )
    event = events(c, EventType.RECLASSIFIED)[0]
    assert event.audience == Audience.STAFF and event.data["after"]["kind"] == "aspirasi"
    unchanged = op.post(
        review_url(c),
        {
            "action": "reclassify",
            "reclassify-kind": "aspirasi",
            "reclassify-category": region.health.pk,
            "reclassify-kecamatan": region.kecamatan.pk,
            "reclassify-kelurahan": region.kelurahan.pk,
        },
    )
    assert unchanged.status_code == 400 and "Tidak ada yang berubah" in unchanged.content.decode()


def test_hide_an_attachment_from_the_public(client, client_for, disposed_report, operator, citizen, png_upload):
    from complaints.evidence import uploads

    c = disposed_report()
    a = uploads.add_attachment(c, by=citizen, uploaded=png_upload())
    url = f"/lampiran/{a.key}/"
    assert client.get(url).status_code == 200
    response = client_for(operator).post(
        review_url(c), {"action": "hide_attachment", "hide_attachment-attachment": a.pk, "hide_attachment-public": "0"}
    )
    assert response.status_code == 302
    assert not models.Attachment.objects.get(pk=a.pk).is_public
    assert client.get(url).status_code == 404
    assert client_for(operator).get(url).status_code == 200
    assert client_for(citizen).get(url).status_code == 200


# Manual entry ------------------------------------------------------------------------------------
def manual(region, **overrides):
    return walk_in_form(region, **overrides)


def test_manual_entry_is_for_operators(client_for, liaison_pu, citizen):
    for user in (liaison_pu, citizen):
        assert client_for(user).get("/petugas/input/").status_code == 404


def test_walk_in_with_a_phone_gets_an_sms_account_and_a_receipt(
    client, client_for, operator, region, sms_outbox, django_capture_on_commit_callbacks
):
    op = client_for(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = op.post("/petugas/input/", manual(region))
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert response["Location"] == f"/petugas/input/{c.tracking_id}/tanda-terima/"
    assert (c.channel, c.entered_by_id, c.status) == ("walk-in", operator.pk, Status.BELUM_TERVERIFIKASI)
    reporter = c.reporter
    assert (reporter.phone, reporter.sms_only, reporter.full_name) == ("+6281234567890", True, "Dewi Lestari")
    assert not reporter.has_usable_password()
    # The operator typed the number: it is proved only when the link texted to it is opened.
    assert not reporter.phone_verified
    assert [to for to, _text in sms_outbox] == ["+6281234567890"]
    first_link = re.search(r"/akun/konfirmasi-laporan/[^/\s]+/", sms_outbox[0][1]).group(0)
    receipt = op.get(response["Location"])
    html = receipt.content.decode()
    assert receipt.status_code == 200 and c.tracking_id in html and "Aduan" in html
    due = timezone.localtime(c.verification_due_at)
    assert f"{due.day} " in html and str(due.year) in html
    assert client.post(first_link, {"answer": "yes"}).status_code == 302
    reporter.refresh_from_db()
    assert reporter.phone_verified
    # The same number, written differently: no second account, and the report joins the account
    # only once the link texted to the number is confirmed (an operator's say-so proves nothing).
    with django_capture_on_commit_callbacks(execute=True):
        again = op.post(
            "/petugas/input/",
            manual(region, channel="phone", reporter_phone="+62 812 3456 7890", title="Lampu jalan kembali mati"),
        )
    assert again.status_code == 302
    assert User.objects.filter(phone="+6281234567890").count() == 1
    second = Complaint.objects.get(title="Lampu jalan kembali mati")
    assert (second.reporter_id, second.walkin_name, second.walkin_contact) == (None, "Dewi Lestari", "+6281234567890")
    assert Complaint.objects.filter(reporter=reporter).count() == 1
    link = re.search(r"/akun/konfirmasi-laporan/[^/\s]+/", sms_outbox[-1][1]).group(0)
    assert sms_outbox[-1][0] == "+6281234567890" and second.tracking_id in sms_outbox[-1][1]
    assert client.post(link, {"answer": "yes"}).status_code == 302
    assert Complaint.objects.filter(reporter=reporter).count() == 2


def test_walk_in_with_an_existing_email_waits_for_that_account_to_confirm(
    client, client_for, operator, citizen, region, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(
            "/petugas/input/", manual(region, reporter_phone="", reporter_email="ALICE@warga.id")
        )
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert (c.reporter_id, c.walkin_contact) == (None, "alice@warga.id")
    assert User.objects.get(pk=citizen.pk).full_name == "Alice Rahmawati"  # an operator never edits it
    assert [m.to for m in mail.outbox] == [["alice@warga.id"]]
    link = re.search(r"/akun/konfirmasi-laporan/[^/\s]+/", mail.outbox[0].body).group(0)
    assert client.post(link, {"answer": "yes"}).status_code == 302
    assert Complaint.objects.get().reporter_id == citizen.pk


def test_anonymous_walk_in_and_social_media_link(client_for, operator, region):
    op = client_for(operator)
    response = op.post(
        "/petugas/input/", manual(region, anonymous="on", reporter_name="", reporter_phone="", privacy="anonim")
    )
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert (c.reporter_id, c.walkin_name, c.walkin_contact) == (None, "", "")
    no_link = op.post("/petugas/input/", manual(region, channel="social"))
    assert no_link.status_code == 400 and "tautan" in no_link.content.decode()
    linked = op.post(
        "/petugas/input/", manual(region, channel="social", channel_link="https://facebook.com/groups/warga/posts/1")
    )
    assert linked.status_code == 302
    assert Complaint.objects.get(channel="social").channel_link == "https://facebook.com/groups/warga/posts/1"


def test_manual_entry_uses_the_citizen_form_rules(client_for, operator, region):
    op = client_for(operator)
    for bad in (
        manual(region, title="abc"),  # too short
        manual(region, reporter_phone="12ab"),  # not a phone
        manual(region, reporter_name="", reporter_phone="", reporter_email=""),  # nobody, not anonymous
        manual(region, channel="web"),  # not a manual channel
        manual(region, incident_date="2999-01-01"),  # in the future
    ):
        response = op.post("/petugas/input/", bad)
        assert response.status_code == 400, bad
    assert not Complaint.objects.exists()


def test_manual_entry_with_evidence(client_for, operator, region, png_upload):
    response = client_for(operator).post("/petugas/input/", {**manual(region), "files": [png_upload()]})
    assert response.status_code == 302
    c = Complaint.objects.get()
    a = c.attachments.get()
    assert a.content_type == "image/png" and a.uploaded_by_id == operator.pk
    bad = client_for(operator).post("/petugas/input/", {**manual(region), "files": [png_upload(b"not an image")]})
    assert bad.status_code == 400 and Complaint.objects.count() == 1


# Every staff action on the timeline ----------------------------------------------------------------
def test_each_operator_action_lands_on_the_timeline_with_its_audience(client_for, file_report, operator):
    c = file_report()
    op = client_for(operator)
    op.post(review_url(c), {"action": "edit_summary", "edit_summary-summary": "Ringkasan untuk publik."})
    op.post(review_url(c), {"action": "postpone", "postpone-reason": "Mohon lengkapi lokasinya."})
    workflow.complete(c.pk, by=c.reporter, body="Di depan Pasar Baru.")
    op.post(review_url(c), {"action": "verify", "verify-agencies": ["dinas-pu"]})
    seen = [(e.type, e.audience) for e in Event.objects.filter(complaint=c).order_by("pk")]
    assert seen == [
        ("filed", "public"),
        ("summary_edited", "staff"),
        ("postponed", "reporter"),
        ("completed", "reporter"),
        ("verified", "public"),
        ("disposed", "public"),
    ]
