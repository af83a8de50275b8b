"""Every §8 action through `POST /api/v1/complaints/{tracking_id}/{action}/`: the happy path and the
refusals — role (403, or 404 where the caller may not see the report), status (409), payload (400)."""

import pytest

from complaints import workflow
from complaints.models import Complaint, DispositionStatus, EventType, IdentityAccess, Status, Support

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(client_for, api):
    def post(user, c, action, payload=None):
        client = api if user is None else client_for(user)
        return client.post(f"/api/v1/complaints/{c.tracking_id}/{action}/", payload or {}, format="json")

    return post


def fresh(c):
    return Complaint.objects.get(pk=c.pk)


def expect(response, code, *fields):
    assert response.status_code == code, response.content
    body = response.json()
    if code >= 400:
        assert body["detail"], body
        for field in fields:
            assert field in body, body
    return body


def then(make, step):
    """A report factory: the report `make(**kw)` gives, after `step(report)`, as stored."""

    def make_then(**kw):
        c = make(**kw)
        step(c)
        return fresh(c)

    return make_then


@pytest.fixture
def in_progress(disposed_report, liaison_pu):
    """A report in proses: Dinas PU followed up."""
    return then(
        disposed_report,
        lambda c: workflow.followup(
            c.pk, by=liaison_pu, disposition=c.dispositions.get().pk, body="Tim sudah ke lokasi."
        ),
    )


@pytest.fixture
def finished(in_progress, liaison_pu):
    """Dinas PU finished its part."""
    return then(in_progress, lambda c: workflow.finish(c.pk, by=liaison_pu, disposition=c.dispositions.get().pk))


@pytest.fixture
def closed(finished, citizen):
    """The reporter accepted: selesai."""
    return then(finished, lambda c: workflow.accept(c.pk, by=citizen))


def test_actions_need_an_account(act, file_report):
    c = file_report()
    r = act(None, c, "withdraw")
    assert r.status_code == 401 and r.json()["detail"]


def test_unknown_action_is_json_404(act, file_report, operator):
    expect(act(operator, file_report(), "terbang"), 404)


# Operator ----------------------------------------------------------------------------------------
def test_verify(act, file_report, operator, citizen, liaison_pu):
    c = file_report()
    expect(act(citizen, c, "verify", {"agencies": ["dinas-pu"]}), 403)
    expect(act(liaison_pu, c, "verify", {"agencies": ["dinas-pu"]}), 404)  # not visible before disposition
    expect(act(operator, c, "verify", {"agencies": []}), 400, "agencies")
    expect(act(operator, c, "verify", {"agencies": ["tidak-ada"]}), 400, "agencies")
    expect(act(operator, c, "verify", {"agencies": None}), 400, "agencies")  # omitted: see test_routing_by_area
    body = expect(act(operator, c, "verify", {"agencies": ["dinas-pu", "dinkes"], "note": "Segera."}), 200)
    assert body["status"] == "belum_ditindaklanjuti"
    assert sorted(d["agency"] for d in body["dispositions"]) == ["dinas-pu", "dinkes"]
    assert all(d["id"] for d in body["dispositions"])  # the operator is staff on it
    expect(act(operator, c, "verify", {"agencies": ["dinas-pu"]}), 409)


def test_verify_refuses_the_accused_agency(act, file_report, operator, region):
    c = file_report(terlapor_agency=region.pu)
    expect(act(operator, c, "verify", {"agencies": ["dinas-pu-bina-marga"]}), 400, "agencies")


def test_dispose_and_refuse_a_return(act, disposed_report, operator, liaison_pu, file_report):
    c = disposed_report()
    expect(act(liaison_pu, c, "dispose", {"agencies": ["dinkes"]}), 403)
    expect(act(operator, c, "dispose", {"agencies": ["dinas-pu"]}), 400, "agencies")  # already handling it
    body = expect(act(operator, c, "dispose", {"agencies": ["dinkes"]}), 200)
    assert len(body["dispositions"]) == 2
    pu = c.dispositions.get(agency__slug="dinas-pu")
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=pu.pk, reason="Bukan jalan kabupaten, jalan provinsi.")
    expect(act(operator, c, "dispose", {"agencies": ["dinas-pu"]}), 400, "note")
    expect(act(operator, c, "dispose", {"agencies": ["dinas-pu"], "note": "Jalan kabupaten menurut SK."}), 200)
    pu.refresh_from_db()
    assert pu.status == DispositionStatus.MENUNGGU
    expect(act(operator, file_report(), "dispose", {"agencies": ["dinkes"]}), 409)


def test_postpone_then_complete(act, file_report, operator, citizen, other_citizen):
    c = file_report()
    expect(act(operator, c, "postpone", {}), 400, "reason")
    expect(act(citizen, c, "postpone", {"reason": "Mohon lokasi persisnya."}), 403)
    body = expect(act(operator, c, "postpone", {"reason": "Mohon lokasi persisnya."}), 200)
    assert body["status"] == "tunda" and body["tunda_due_at"]
    expect(act(operator, c, "postpone", {"reason": "Mohon lokasi persisnya."}), 409)
    expect(act(other_citizen, c, "complete", {"body": "Di depan pasar."}), 404)
    expect(act(citizen, c, "complete", {"body": ""}), 400, "body")
    body = expect(act(citizen, c, "complete", {"body": "Di depan Pasar Baru, sisi timur."}), 200)
    assert body["status"] == "belum_terverifikasi"
    expect(act(citizen, c, "complete", {"body": "Di depan Pasar Baru, sisi timur."}), 409)


def test_archive(act, file_report, disposed_report, operator, citizen):
    c = file_report()
    expect(act(operator, c, "archive", {"reason": "bosan"}), 400, "reason")
    expect(act(operator, c, "archive", {"reason": "invalid"}), 400, "note")
    expect(act(citizen, c, "archive", {"reason": "invalid", "note": "x"}), 403)
    body = expect(act(operator, c, "archive", {"reason": "invalid", "note": "Bukan pelayanan publik."}), 200)
    assert (body["status"], body["archive_reason"]) == ("arsip", "invalid")
    expect(act(operator, disposed_report(), "archive", {"reason": "out_of_scope"}), 409)


def test_merge(act, file_report, disposed_report, operator, citizen, other_citizen):
    primary = disposed_report()
    dup = file_report(reporter=other_citizen)
    expect(act(operator, dup, "merge", {"into": "LPR-0000-0000"}), 400, "into")
    expect(act(operator, dup, "merge", {"into": dup.tracking_id}), 400, "into")
    expect(act(other_citizen, dup, "merge", {"into": primary.tracking_id}), 403)
    body = expect(act(operator, dup, "merge", {"into": primary.tracking_id.lower()}), 200)
    assert (body["status"], body["archive_reason"], body["merged_into"]) == ("arsip", "duplicate", primary.tracking_id)
    assert Support.objects.filter(complaint=primary, user=other_citizen).exists()


def test_forward(act, file_report, disposed_report, operator):
    c = file_report()
    expect(act(operator, c, "forward", {"institution": "nasa"}), 400, "institution")
    body = expect(act(operator, c, "forward", {"institution": "pln", "note": "Listrik padam."}), 200)
    assert (body["status"], body["archive_reason"], body["forwarded_to"]) == ("arsip", "forwarded", "pln")
    expect(act(operator, disposed_report(), "forward", {"institution": "pln"}), 409)


def test_summary_reclassify_flag_and_attachment_visibility(act, disposed_report, operator, liaison_pu, region, api):
    c = disposed_report()
    expect(act(liaison_pu, c, "summary", {"summary": "x"}), 403)
    expect(act(operator, c, "summary", {"summary": "Jalan berlubang dekat pasar."}), 200)
    assert api.get(f"/api/v1/complaints/{c.tracking_id}/").json()["body"] == "Jalan berlubang dekat pasar."
    expect(act(operator, c, "reclassify", {}), 400)
    expect(act(operator, c, "reclassify", {"category": "tidak-ada"}), 400, "category")
    body = expect(act(operator, c, "reclassify", {"category": "kesehatan", "kecamatan": "01"}), 200)
    assert body["category"] == "kesehatan" and body["location"]["kecamatan"]["code"] == "01"
    expect(act(operator, c, "flag_oversight"), 200)
    assert fresh(c).oversight
    expect(act(operator, c, "flag_oversight"), 409)
    expect(act(operator, c, "attachment-visibility", {"attachment": 999, "public": False}), 400, "attachment")


# Liaison ----------------------------------------------------------------------------------------
def test_followup_question_finish(act, disposed_report, liaison_pu, liaison_dinkes, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    expect(act(liaison_dinkes, c, "followup", {"disposition": d.pk, "body": "Sudah dicek."}), 403)
    expect(act(citizen, c, "followup", {"disposition": d.pk, "body": "Sudah dicek."}), 403)
    expect(act(liaison_pu, c, "followup", {"disposition": 0, "body": "Sudah dicek."}), 400, "disposition")
    expect(act(liaison_pu, c, "followup", {"disposition": 99999, "body": "Sudah dicek."}), 400, "disposition")
    expect(act(liaison_pu, c, "followup", {"body": "Sudah dicek."}), 400, "disposition")
    expect(act(liaison_pu, c, "finish", {"disposition": d.pk}), 409)  # nothing followed up yet
    body = expect(act(liaison_pu, c, "followup", {"disposition": d.pk, "body": "Tim sudah ke lokasi."}), 200)
    assert body["status"] == "proses"
    expect(act(liaison_pu, c, "question", {"disposition": d.pk, "body": "Di sisi mana lubangnya?"}), 200)
    body = expect(act(liaison_pu, c, "finish", {"disposition": d.pk}), 200)
    assert body["dispositions"][0]["status"] == "selesai"
    # A finished disposition is history: its OPD no longer acts on the report.
    expect(act(liaison_pu, c, "finish", {"disposition": d.pk}), 403)


def test_return(act, disposed_report, liaison_pu, liaison_dinkes):
    c = disposed_report()
    d = c.dispositions.get()
    expect(act(liaison_pu, c, "return", {"disposition": d.pk, "reason": "x"}), 400, "reason")
    expect(act(liaison_dinkes, c, "return", {"disposition": d.pk, "reason": "Bukan kewenangan kami sama sekali."}), 403)
    body = expect(
        act(liaison_pu, c, "return", {"disposition": d.pk, "reason": "Jalan provinsi, bukan kabupaten."}), 200
    )
    assert body["dispositions"][0]["status"] == "dikembalikan"
    # The returned OPD keeps its history read-only.
    expect(act(liaison_pu, c, "return", {"disposition": d.pk, "reason": "Jalan provinsi, bukan kabupaten."}), 403)


def test_subdispose(act, disposed_report, liaison_pu, liaison_bina_marga):
    c = disposed_report()
    d = c.dispositions.get()
    expect(act(liaison_pu, c, "subdispose", {"disposition": d.pk, "unit": "dinkes-puskesmas-kota"}), 400, "unit")
    body = expect(act(liaison_pu, c, "subdispose", {"disposition": d.pk, "unit": "dinas-pu-bina-marga"}), 200)
    assert [x["agency"] for x in body["dispositions"]] == ["dinas-pu", "dinas-pu-bina-marga"]
    # The unit now sees it and follows up on its own disposition.
    sub = c.dispositions.get(parent=d)
    expect(act(liaison_bina_marga, c, "followup", {"disposition": sub.pk, "body": "Unit sudah menambal."}), 200)


def test_extend_information_requests_once(act, file_report, operator, liaison_pu, disposed_report, region):
    c = file_report(kind="informasi", category=region.info)
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    d = c.dispositions.get()
    expect(act(liaison_pu, c, "extend", {"disposition": d.pk, "reason": "pendek"}), 400, "reason")
    body = expect(act(liaison_pu, c, "extend", {"disposition": d.pk, "reason": "Dokumen masih dikumpulkan."}), 200)
    assert body["dispositions"][0]["extended"] is True
    expect(act(liaison_pu, c, "extend", {"disposition": d.pk, "reason": "Dokumen masih dikumpulkan."}), 409)
    aduan = disposed_report()
    expect(
        act(
            liaison_pu,
            aduan,
            "extend",
            {"disposition": aduan.dispositions.get().pk, "reason": "Dokumen masih dikumpulkan."},
        ),
        409,
    )


# Reporter ---------------------------------------------------------------------------------------
def test_reply(act, in_progress, file_report, citizen, other_citizen, liaison_pu):
    c = in_progress()
    expect(act(citizen, c, "reply", {"body": ""}), 400, "body")
    expect(act(other_citizen, c, "reply", {"body": "Saya juga."}), 403)
    expect(act(citizen, c, "reply", {"body": "Terima kasih, ditunggu."}), 200)
    expect(act(liaison_pu, c, "reply", {"body": "Besok dikerjakan."}), 200)
    expect(act(citizen, file_report(), "reply", {"body": "Halo?"}), 409)


def test_accept_rate_reopen(act, in_progress, finished, citizen, other_citizen):
    expect(act(citizen, in_progress(), "accept"), 409)  # a disposition is still open
    c = finished()
    expect(act(other_citizen, c, "accept"), 403)
    body = expect(act(citizen, c, "accept"), 200)
    assert body["status"] == "selesai" and body["reopen_until"]
    expect(act(citizen, c, "rate", {"score": 6}), 400, "score")
    expect(act(citizen, c, "rate", {"score": "lima"}), 400, "score")
    expect(act(other_citizen, c, "rate", {"score": 5}), 403)
    body = expect(act(citizen, c, "rate", {"score": 4, "comment": "Cukup cepat."}), 200)
    assert body["rating"] == 4
    expect(act(citizen, c, "rate", {"score": 5}), 409)
    expect(act(citizen, c, "reopen", {"body": "pendek"}), 400, "body")
    expect(act(citizen, c, "reopen", {"body": "Lubangnya muncul lagi setelah hujan.", "dispositions": [0]}), 400)
    d = c.dispositions.get()
    body = expect(
        act(citizen, c, "reopen", {"body": "Lubangnya muncul lagi setelah hujan.", "dispositions": [d.pk]}), 200
    )
    assert body["status"] == "proses" and body["dispositions"][0]["status"] == "ditindaklanjuti"
    expect(act(citizen, c, "reopen", {"body": "Lubangnya muncul lagi setelah hujan."}), 409)


def test_support(act, disposed_report, file_report, citizen, other_citizen):
    c = disposed_report()
    expect(act(citizen, c, "support"), 403)  # not one's own report
    body = expect(act(other_citizen, c, "support"), 200)
    assert body["support_count"] == 1
    expect(act(other_citizen, c, "support"), 409)
    expect(act(other_citizen, file_report(), "support"), 404)  # not public yet


def test_privacy(act, disposed_report, citizen, operator, other_citizen, api):
    c = disposed_report(privacy="umum")
    expect(act(citizen, c, "privacy", {"privacy": "rahasia-banget"}), 400, "privacy")
    expect(act(citizen, c, "privacy", {"privacy": "umum"}), 400, "privacy")
    expect(act(other_citizen, c, "privacy", {"privacy": "rahasia"}), 403)
    expect(act(operator, c, "privacy", {"privacy": "anonim"}), 200)
    expect(act(operator, c, "privacy", {"privacy": "umum"}), 403)  # an operator only raises
    body = expect(act(citizen, c, "privacy", {"privacy": "rahasia"}), 200)
    assert body["privacy"] == "rahasia"
    assert api.get(f"/api/v1/complaints/{c.tracking_id}/").status_code == 404  # at once, everywhere
    body = expect(act(citizen, c, "privacy", {"privacy": "umum"}), 200)  # the reporter may lower it
    assert body["privacy"] == "umum"


def test_withdraw(act, file_report, disposed_report, citizen, operator):
    c = file_report()
    expect(act(operator, c, "withdraw"), 403)
    body = expect(act(citizen, c, "withdraw"), 200)
    assert (body["status"], body["archive_reason"]) == ("arsip", "withdrawn")
    expect(act(citizen, disposed_report(), "withdraw"), 409)


# Auditor ---------------------------------------------------------------------------------------
def test_reveal(act, disposed_report, auditor, citizen, other_citizen, liaison_pu):
    c = disposed_report(privacy="anonim")
    expect(act(auditor, c, "reveal", {"reason": "singkat"}), 400, "reason")
    expect(act(liaison_pu, c, "reveal", {"reason": "Perlu menghubungi pelapor langsung."}), 403)
    expect(act(other_citizen, c, "reveal", {"reason": "Perlu menghubungi pelapor langsung."}), 403)
    body = expect(act(auditor, c, "reveal", {"reason": "Pemeriksaan dugaan pungli oleh petugas."}), 200)
    assert body["reporter"]["email"] == "alice@warga.id" and body["reporter"]["nik"] == ""
    access = IdentityAccess.objects.get()
    assert (access.kind, access.role, access.user) == ("reveal", "auditor", auditor)
    assert c.events.filter(type=EventType.REVEALED).exists()


def test_rahasia_report_is_404_for_another_opd(act, disposed_report, liaison_dinkes):
    c = disposed_report(privacy="rahasia")
    expect(act(liaison_dinkes, c, "followup", {"disposition": c.dispositions.get().pk, "body": "Sudah dicek."}), 404)


def test_a_refused_action_changes_nothing(act, file_report, operator):
    c = file_report()
    act(operator, c, "verify", {"agencies": ["dinas-pu", "tidak-ada"]})
    assert fresh(c).status == Status.BELUM_TERVERIFIKASI and not c.dispositions.exists()


def test_form_encoded_actions(client_for, file_report, operator):
    c = file_report()
    r = client_for(operator).post(f"/api/v1/complaints/{c.tracking_id}/verify/", {"agencies": ["dinas-pu", "dinkes"]})
    assert r.status_code == 200 and len(r.json()["dispositions"]) == 2
