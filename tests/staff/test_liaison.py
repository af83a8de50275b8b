"""The OPD liaison's inbox and disposition page through HTTP (docs/product.md §2, §3, §4)."""

import datetime

import pytest
import time_machine

from complaints import models, workflow
from complaints.models import Audience, Complaint, Disposition, DispositionStatus, Event, EventType, Status
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))


def url(d):
    return f"/opd/disposisi/{d.pk}/"


def only(c, type_):
    return Event.objects.get(complaint=c, type=type_)


# The inbox ---------------------------------------------------------------------------------------
def test_inbox_is_for_liaisons(client, client_for, operator, citizen, head_pu, liaison_pu):
    assert client.get("/opd/").status_code == 302
    for user in (operator, citizen, head_pu):
        assert client_for(user).get("/opd/").status_code == 404
    assert client_for(liaison_pu).get("/opd/").status_code == 200


def test_inbox_lists_own_agency_sorted_by_deadline(client_for, file_report, operator, liaison_pu, liaison_dinkes):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=WIB), tick=False):
        first = file_report(title="Jalan berlubang di Jalan Poros")
        workflow.verify(first.pk, by=operator, agencies=["dinas-pu"])
    with time_machine.travel(datetime.datetime(2026, 11, 4, 9, 0, tzinfo=WIB), tick=False):
        second = file_report(title="Jembatan kayu hampir roboh")
        workflow.verify(second.pk, by=operator, agencies=["dinas-pu"])
        elsewhere = file_report(title="Antrean puskesmas terlalu panjang")
        workflow.verify(elsewhere.pk, by=operator, agencies=["dinkes"])
    with time_machine.travel(datetime.datetime(2026, 11, 10, 10, 0, tzinfo=WIB), tick=False):  # Tuesday
        page = client_for(liaison_pu).get("/opd/")
    html = page.content.decode()
    assert html.index(first.tracking_id) < html.index(second.tracking_id)
    assert elsewhere.tracking_id not in html
    # first: due Mon 9 Nov (one working day late); second: due Wed 11 Nov (one left).
    assert "terlambat 1 hari kerja" in html and "1 hari kerja lagi" in html
    assert page.context["counts"]["aktif"] == 2 and page.context["counts"]["overdue"] == 1
    assert elsewhere.tracking_id in client_for(liaison_dinkes).get("/opd/").content.decode()


def test_status_filter_and_agency_switch(client_for, disposed_report, region, liaison_pu):
    two_hats = make_user("dua@pemda.go.id", "Dua Topi", ("liaison", region.pu), ("liaison", region.dinkes))
    pu = disposed_report(title="Jalan rusak di kecamatan kota")
    health = disposed_report(title="Obat kosong di puskesmas", category=region.health, agencies=("dinkes",))
    d = pu.dispositions.get()
    workflow.followup(pu.pk, by=liaison_pu, disposition=d.pk, body="Tim sudah meninjau lokasi.")
    workflow.finish(pu.pk, by=liaison_pu, disposition=d.pk)
    c = client_for(two_hats)
    default = c.get("/opd/")
    assert default.context["agency"].slug == "dinkes"  # the first by name
    assert [a.slug for a in default.context["agencies"]] == ["dinkes", "dinas-pu"]
    active_pu = c.get("/opd/", {"agency": "dinas-pu"}).content.decode()
    assert pu.tracking_id not in active_pu  # finished: not active
    done = c.get("/opd/", {"agency": "dinas-pu", "status": "selesai"}).content.decode()
    assert pu.tracking_id in done
    assert health.tracking_id in c.get("/opd/", {"agency": "dinkes"}).content.decode()
    assert c.get("/opd/", {"agency": "inspektorat"}).status_code == 404
    assert c.get("/opd/", {"status": "whatever"}).status_code == 200  # an unknown filter is ignored


def test_a_sub_disposed_report_is_one_row_listing_its_unit(
    client_for, file_report, operator, liaison_pu, liaison_bina_marga
):
    """The OPD's disposition and its unit's sub-disposition are one row in the OPD liaison's inbox
    (the unit named in it, with its deadline); a part the filter shows without its parent (the
    unit already followed up, or the unit is late) stays its own row. The unit's inbox is unchanged."""
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=WIB), tick=False):
        c = file_report(title="Jembatan kayu di Teluk Dalam lapuk")
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        other = file_report(title="Trotoar ambles di Jalan Sudirman")
        workflow.verify(other.pk, by=operator, agencies=["dinas-pu"])
        d = c.dispositions.get()
        workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = Disposition.objects.get(parent=d)
    lia = client_for(liaison_pu)
    with time_machine.travel(datetime.datetime(2026, 11, 5, 10, 0, tzinfo=WIB), tick=False):
        page = lia.get("/opd/")
    html = page.content.decode()
    assert [row.pk for row in page.context["rows"]] == [
        d.pk,
        other.dispositions.get().pk,
    ]  # the unit's deadline sorts it
    assert html.count(c.tracking_id) == 1
    row = html.split(c.tracking_id, 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/opd/disposisi/{child.pk}/">Diteruskan ke Bidang Bina Marga</a>: Menunggu' in row
    assert "hari kerja lagi" in row  # the unit's countdown
    assert page.context["counts"]["aktif"] == 2 and page.context["counts"]["semua"] == 2
    assert c.tracking_id in client_for(liaison_bina_marga).get("/opd/").content.decode()

    # Late: the unit holds the clock, so the overdue filter shows the unit's part as its own row
    # (the OPD's own disposition has no deadline running) and counts it once.
    with time_machine.travel(datetime.datetime(2026, 11, 12, 10, 0, tzinfo=WIB), tick=False):
        late = client_for(liaison_pu).get("/opd/", {"status": "aktif", "overdue": "1"})
    assert child.pk in [row.pk for row in late.context["rows"]] and d.pk not in [row.pk for row in late.context["rows"]]
    assert late.context["counts"]["overdue"] == 2  # the unit's part and the other report

    # The unit followed up: the OPD's part follows (one row, listing the unit's status).
    with time_machine.travel(datetime.datetime(2026, 11, 13, 10, 0, tzinfo=WIB), tick=False):
        workflow.followup(c.pk, by=liaison_bina_marga, disposition=child.pk, body="Lantai jembatan sudah diganti.")
        followed = client_for(liaison_pu).get("/opd/", {"status": "ditindaklanjuti"})
    assert [row.pk for row in followed.context["rows"]] == [d.pk]
    assert "Diteruskan ke Bidang Bina Marga</a>: Ditindaklanjuti" in followed.content.decode()
    assert followed.context["counts"]["ditindaklanjuti"] == 1


# The disposition page ----------------------------------------------------------------------------
def test_disposition_page_is_404_for_another_agency(
    client_for, disposed_report, liaison_pu, liaison_dinkes, operator, citizen
):
    c = disposed_report()
    d = c.dispositions.get()
    assert client_for(liaison_pu).get(url(d)).status_code == 200
    for user in (liaison_dinkes, operator, citizen):
        assert client_for(user).get(url(d)).status_code == 404
    assert client_for(liaison_pu).get("/opd/disposisi/999999/").status_code == 404
    refused = client_for(liaison_dinkes).post(url(d), {"action": "followup", "followup-body": "Bukan urusan kami."})
    assert refused.status_code == 404
    assert Disposition.objects.get(pk=d.pk).status == DispositionStatus.MENUNGGU


@pytest.mark.parametrize("level,shown", [("umum", True), ("anonim", False), ("rahasia", False)])
def test_reporter_identity_per_privacy(client_for, disposed_report, liaison_pu, level, shown):
    c = disposed_report(privacy=level)
    html = client_for(liaison_pu).get(url(c.dispositions.get())).content.decode()
    assert ("Alice Rahmawati" in html) is shown
    assert ("alice@warga.id" in html) is shown and ("+628529860111" in html) is shown
    assert "Lihat identitas pelapor" not in html  # a liaison never reaches a protected identity
    assert not models.IdentityAccess.objects.filter(complaint=c).exists()


def test_followup_with_an_attachment(client, client_for, disposed_report, liaison_pu, png_upload):
    c = disposed_report()
    d = c.dispositions.get()
    short = client_for(liaison_pu).post(url(d), {"action": "followup", "followup-body": "ok"})
    assert short.status_code == 400
    response = client_for(liaison_pu).post(
        url(d),
        {"action": "followup", "followup-body": "Lubang sudah ditambal hari ini.", "followup-files": [png_upload()]},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DispositionStatus.DITINDAKLANJUTI and d.first_followup_at
    assert Complaint.objects.get(pk=c.pk).status == Status.PROSES
    event = only(c, EventType.FOLLOWUP)
    assert event.audience == Audience.PUBLIC and event.actor_label == "Admin Dinas PU"
    attachment = event.attachments.get()
    assert attachment.uploaded_by_id == liaison_pu.pk
    public = client.get(c.get_absolute_url()).content.decode()
    assert "Lubang sudah ditambal hari ini." in public and "Lia Penghubung" not in public
    assert client.get(f"/lampiran/{attachment.key}/").status_code == 200


def test_question_and_reply_reach_the_reporter_not_the_public(client, client_for, disposed_report, liaison_pu, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    lia = client_for(liaison_pu)
    assert lia.post(url(d), {"action": "question", "question-body": "Di depan nomor rumah berapa?"}).status_code == 302
    assert lia.post(url(d), {"action": "reply", "reply-body": "Terima kasih atas informasinya."}).status_code == 302
    assert only(c, EventType.QUESTION).audience == Audience.REPORTER
    assert only(c, EventType.REPLY).audience == Audience.REPORTER
    mine = client_for(citizen).get(c.get_absolute_url()).content.decode()
    assert "Di depan nomor rumah berapa?" in mine
    assert "Di depan nomor rumah berapa?" not in client.get(c.get_absolute_url()).content.decode()


def test_subdispose_to_a_unit_keeps_the_deadline(
    client_for, disposed_report, liaison_pu, liaison_bina_marga, liaison_dinkes
):
    c = disposed_report()
    d = c.dispositions.get()
    lia = client_for(liaison_pu)
    page = lia.get(url(d))
    assert [a.slug for a in page.context["forms"]["subdispose"].fields["unit"].queryset] == ["dinas-pu-bina-marga"]
    outside = lia.post(url(d), {"action": "subdispose", "subdispose-unit": "dinkes-puskesmas-kota"})
    assert outside.status_code == 400
    assert lia.post(url(d), {"action": "subdispose", "subdispose-unit": "dinas-pu-bina-marga"}).status_code == 302
    child = Disposition.objects.get(parent=d)
    assert child.agency.slug == "dinas-pu-bina-marga" and child.due_at == d.due_at
    assert only(c, EventType.SUBDISPOSED).audience == Audience.REPORTER
    unit_inbox = client_for(liaison_bina_marga).get("/opd/").content.decode()
    assert c.tracking_id in unit_inbox
    assert client_for(liaison_bina_marga).get(url(child)).status_code == 200
    assert client_for(liaison_bina_marga).get(url(d)).status_code == 404  # the OPD's own part is not theirs


def test_return_bukan_kewenangan(client_for, disposed_report, liaison_pu, operator):
    c = disposed_report()
    d = c.dispositions.get()
    lia = client_for(liaison_pu)
    assert lia.post(url(d), {"action": "return", "return-reason": "Bukan"}).status_code == 400
    response = lia.post(url(d), {"action": "return", "return-reason": "Saluran irigasi kewenangan Dinas Pertanian."})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DispositionStatus.DIKEMBALIKAN and d.return_pending
    assert Complaint.objects.get(pk=c.pk).status == Status.BELUM_DITINDAKLANJUTI
    assert only(c, EventType.RETURNED).audience == Audience.REPORTER
    assert c.tracking_id in client_for(operator).get("/petugas/", {"tab": "dikembalikan"}).content.decode()
    # The OPD keeps its history, read only.
    after = lia.get(url(d))
    assert after.status_code == 200 and not after.context["allowed"]
    again = lia.post(url(d), {"action": "followup", "followup-body": "Ternyata kami tangani."})
    assert again.status_code == 403


def test_finish_needs_a_followup_first(client_for, disposed_report, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    lia = client_for(liaison_pu)
    early = lia.post(url(d), {"action": "finish"})
    assert early.status_code == 409 and "tidak dapat dilakukan" in early.content.decode()
    lia.post(url(d), {"action": "followup", "followup-body": "Perbaikan sudah selesai dikerjakan."})
    assert lia.post(url(d), {"action": "finish"}).status_code == 302
    d.refresh_from_db()
    assert d.status == DispositionStatus.SELESAI
    assert only(c, EventType.FINISHED).audience == Audience.PUBLIC
    assert Complaint.objects.get(pk=c.pk).autoclose_due_at is not None
    # Their part is over: the liaison no longer acts on the report.
    late = lia.post(url(d), {"action": "followup", "followup-body": "Tambahan informasi."})
    assert late.status_code == 403 and "tidak berwenang" in late.content.decode()


def test_extend_an_information_request_once(client_for, disposed_report, region, liaison_dinkes):
    c = disposed_report(kind="informasi", category=region.info, agencies=("dinkes",))
    d = c.dispositions.get()
    before = d.due_at
    lia = client_for(liaison_dinkes)
    assert lia.post(url(d), {"action": "extend", "extend-reason": "Data masih direkap oleh bidang."}).status_code == 302
    d.refresh_from_db()
    assert d.extended_at and d.due_at > before
    assert only(c, EventType.EXTENDED).audience == Audience.PUBLIC
    again = lia.post(url(d), {"action": "extend", "extend-reason": "Masih belum selesai direkap."})
    assert again.status_code == 409


def test_head_reads_but_does_not_act(client_for, disposed_report, head_pu):
    c = disposed_report()
    d = c.dispositions.get()
    page = client_for(head_pu).get(url(d))
    assert page.status_code == 200 and not page.context["allowed"]
    assert "Alice Rahmawati" in page.content.decode()  # umum: the head of a disposed OPD sees name and contact
    response = client_for(head_pu).post(url(d), {"action": "followup", "followup-body": "Segera ditangani."})
    assert response.status_code == 403
    assert not Event.objects.filter(complaint=c, type=EventType.FOLLOWUP).exists()


def test_actions_fold_into_details_with_the_expected_one_open(client_for, disposed_report, liaison_pu):
    import re

    c = disposed_report()
    d = c.dispositions.get()
    lia = client_for(liaison_pu)

    def opened(html):
        found = re.findall(r'<details class="action" id="aksi-([a-z_]+)"( open)?>', html)
        return [a for a, o in found if o], [a for a, _o in found]

    page = lia.get(url(d))
    now_open, shown = opened(page.content.decode())
    assert now_open == ["followup"] and set(shown) == page.context["allowed"]
    failed = lia.post(url(d), {"action": "question", "question-body": ""})
    assert failed.status_code == 400
    html = failed.content.decode()
    assert opened(html)[0] == ["question"]
    assert "Periksa isian formulir: Tanya pelapor." in html and 'href="#aksi-question"' in html
    lia.post(url(d), {"action": "followup", "followup-body": "Perbaikan sudah selesai dikerjakan."})
    assert opened(lia.get(url(d)).content.decode())[0] == ["finish"]  # followed up: finishing is next


def test_unknown_and_empty_actions(client_for, disposed_report, liaison_pu):
    d = disposed_report().dispositions.get()
    lia = client_for(liaison_pu)
    assert lia.post(url(d), {"action": "nope"}).status_code == 400
    for action in ("followup", "question", "reply", "subdispose", "return"):
        assert lia.post(url(d), {"action": action}).status_code == 400, action


def test_acting_filter_selects_the_reports_a_role_works_on(
    region, disposed_report, file_report, operator, liaison_pu, liaison_dinkes, liaison_bina_marga, citizen
):
    from accounts.models import Role
    from complaints.privacy import acting_filter

    to_pu = disposed_report()
    unverified = file_report()
    accuses_diskominfo = file_report(title="Operator tidak menjawab telepon", terlapor_agency=region.diskominfo)
    superadmin = make_user("root@pemda.go.id", "Super Admin", ("superadmin", None))

    def acting(user, *roles):
        return set(Complaint.objects.filter(acting_filter(user, *roles)).values_list("pk", flat=True))

    assert acting(operator, Role.OPERATOR) == {to_pu.pk, unverified.pk}  # not the one accusing its agency
    assert acting(superadmin, Role.SUPERADMIN) == {to_pu.pk, unverified.pk, accuses_diskominfo.pk}
    assert acting(liaison_pu, Role.LIAISON) == {to_pu.pk}
    assert acting(liaison_pu, Role.HEAD) == set()  # the role asked for, not any role
    assert acting(liaison_dinkes, Role.LIAISON) == set()  # the report is public, but not their work
    assert acting(liaison_bina_marga, Role.LIAISON) == set()
    workflow.subdispose(to_pu.pk, by=liaison_pu, disposition=to_pu.dispositions.get().pk, unit="dinas-pu-bina-marga")
    assert acting(liaison_bina_marga, Role.LIAISON) == {to_pu.pk}
    assert acting(citizen, Role.OPERATOR, Role.LIAISON) == set()
