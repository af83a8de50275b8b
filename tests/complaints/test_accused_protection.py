"""The accused organisation never gets a report through one careless operator: removing or
replacing a named terlapor needs a second person, and flagging a report berkadar pengawasan takes
it back from the accused at once."""

import pytest
from django.urls import reverse

from complaints import privacy, workflow
from complaints.errors import Forbidden, Invalid, TransitionError
from complaints.models import Audience, Clock, ClockKind, Complaint, DispositionStatus, Event, EventType, TerlaporChange

pytestmark = pytest.mark.django_db


REASON = "Terlapor salah dipilih: kejadian di wilayah Dinas Kesehatan."


def refreshed(c):
    return Complaint.objects.get(pk=c.pk)


# Terlapor changes --------------------------------------------------------------------------------
def test_operator_alone_cannot_remove_the_terlapor_and_hand_the_report_over(
    region, disposed_report, operator, liaison_pu
):
    """The attack: reclassify with terlapor null, then dispose to the accused."""
    c = disposed_report(privacy="rahasia", agencies=("dinkes",), terlapor_agency=region.pu)
    workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)
    c = refreshed(c)
    assert c.terlapor_agency_id == region.pu.pk  # unchanged until a second person decides
    assert TerlaporChange.objects.get(complaint=c).status == TerlaporChange.Status.PENDING
    with pytest.raises(Invalid):
        workflow.dispose(c.pk, by=operator, agencies=["dinas-pu"])
    assert not privacy.is_visible(c, liaison_pu)


def test_replacing_the_terlapor_also_waits_and_needs_a_reason(region, file_report, operator):
    c = file_report(terlapor_agency=region.pu)
    with pytest.raises(Invalid) as err:
        workflow.reclassify(c.pk, by=operator, terlapor_agency=region.dinkes)
    assert "terlapor_reason" in err.value.fields
    workflow.reclassify(c.pk, by=operator, terlapor_agency=region.dinkes, terlapor_reason=REASON)
    assert refreshed(c).terlapor_agency_id == region.pu.pk
    with pytest.raises(TransitionError):  # one open request at a time
        workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)


def test_naming_a_terlapor_for_the_first_time_stays_the_operators(region, file_report, operator):
    c = file_report()
    workflow.reclassify(c.pk, by=operator, terlapor_agency=region.pu)
    assert refreshed(c).terlapor_agency_id == region.pu.pk
    assert not TerlaporChange.objects.exists()


def test_only_a_second_person_decides(region, file_report, operator, liaison_pu, head_pu, observer):
    c = file_report(terlapor_agency=region.pu)
    workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)
    second_operator = type(operator).objects.create_user(email="op2@kominfo.go.id", password="x", full_name="Op Dua")
    second_operator.membership_set.create(role="operator", agency=region.diskominfo)
    for user in (operator, observer):
        with pytest.raises(Forbidden):
            workflow.decide_terlapor_change(c.pk, by=user, approve=True, reason=REASON)
    with pytest.raises(Forbidden):
        workflow.decide_terlapor_change(
            c.pk, by=type(operator).objects.get(pk=second_operator.pk), approve=True, reason=REASON
        )
    assert refreshed(c).terlapor_agency_id == region.pu.pk


def test_the_requester_never_decides_even_as_auditor(region, file_report, operator):
    both = type(operator).objects.create_user(email="dua@kominfo.go.id", password="x", full_name="Dua Peran")
    both.membership_set.create(role="operator", agency=region.diskominfo)
    both.membership_set.create(role="auditor", agency=region.bkd)
    both = type(operator).objects.get(pk=both.pk)
    c = file_report(terlapor_agency=region.pu)
    workflow.reclassify(c.pk, by=both, terlapor_agency=None, terlapor_reason=REASON)
    with pytest.raises(Forbidden):
        workflow.decide_terlapor_change(c.pk, by=both, approve=True, reason=REASON)


def test_auditor_of_the_accused_organisation_cannot_decide(region, file_report, operator, auditor):
    c = file_report(terlapor_agency=region.inspektorat)
    workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)
    with pytest.raises(Exception) as err:
        workflow.decide_terlapor_change(c.pk, by=auditor, approve=True, reason=REASON)
    assert type(err.value).__name__ in ("NotFound", "Forbidden")
    assert refreshed(c).terlapor_agency_id == region.inspektorat.pk


def test_approval_changes_the_terlapor_and_tells_the_reporter(
    region, file_report, operator, auditor, citizen, other_citizen
):
    c = file_report(terlapor_agency=region.pu)
    workflow.verify(c.pk, by=operator, agencies=["dinkes"])
    workflow.reclassify(c.pk, by=operator, terlapor_agency=region.bkd, terlapor_reason=REASON)
    change = workflow.decide_terlapor_change(c.pk, by=auditor, approve=True, reason="Sudah diperiksa, disetujui.")
    assert change.status == TerlaporChange.Status.APPROVED and change.decided_by == auditor
    c = refreshed(c)
    assert c.terlapor_agency_id == region.bkd.pk
    entry = Event.objects.get(complaint=c, type=EventType.TERLAPOR_CHANGED)
    assert entry.audience == Audience.REPORTER
    assert entry in privacy.timeline_for(c, citizen)
    assert entry not in privacy.timeline_for(c, other_citizen)
    assert auditor.full_name not in entry.actor_label and "Inspektorat" in entry.actor_label


def test_rejection_keeps_the_terlapor(region, file_report, operator, head_diskominfo):
    c = file_report(terlapor_agency=region.pu)
    workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)
    with pytest.raises(Invalid):
        workflow.decide_terlapor_change(c.pk, by=head_diskominfo, approve=False, reason="")
    workflow.decide_terlapor_change(c.pk, by=head_diskominfo, approve=False, reason="Terlapor sudah tepat.")
    assert refreshed(c).terlapor_agency_id == region.pu.pk
    assert TerlaporChange.objects.get().status == TerlaporChange.Status.REJECTED
    with pytest.raises(TransitionError):
        workflow.decide_terlapor_change(c.pk, by=head_diskominfo, approve=True, reason=REASON)


def test_api_attack_and_decision(region, disposed_report, operator, auditor, liaison_pu, api_client_for):
    c = disposed_report(privacy="rahasia", agencies=("dinkes",), terlapor_agency=region.pu)
    op = api_client_for(operator)
    url = f"/api/v1/complaints/{c.tracking_id}/"
    r = op.post(url + "reclassify/", {"terlapor_agency": None, "terlapor_reason": REASON}, format="json")
    assert r.status_code == 200, r.content
    change = op.get(url).json()["terlapor_change"]
    assert change["status"] == "pending" and change["to_agency"] is None and change["from_agency"] == "dinas-pu"
    assert op.post(url + "dispose/", {"agencies": ["dinas-pu"]}, format="json").status_code == 400
    assert api_client_for(liaison_pu).get(url).status_code == 404
    r = op.post(url + "terlapor-decision/", {"approve": True, "reason": REASON}, format="json")
    assert r.status_code == 403
    r = api_client_for(auditor).post(url + "terlapor-decision/", {"approve": True, "reason": REASON}, format="json")
    assert r.status_code == 200, r.content
    assert refreshed(c).terlapor_agency_id is None


def test_staff_page_lists_and_decides(region, file_report, operator, head_diskominfo, client):
    c = file_report(terlapor_agency=region.pu)
    workflow.reclassify(c.pk, by=operator, terlapor_agency=None, terlapor_reason=REASON)
    client.force_login(head_diskominfo)
    page = client.get(reverse("staff:terlapor_changes"))
    assert page.status_code == 200 and c.tracking_id in page.content.decode()
    change = TerlaporChange.objects.get()
    r = client.post(
        reverse("staff:terlapor_changes"),
        {"change": change.pk, "decision": "approve", "reason": "Disetujui setelah pemeriksaan."},
    )
    assert r.status_code == 302
    assert refreshed(c).terlapor_agency_id is None
    client.force_login(operator)
    assert client.get(reverse("staff:terlapor_changes")).status_code == 403


# Flagging berkadar pengawasan after disposal ---------------------------------------------------------
def test_flagging_withdraws_the_accused_disposition(
    region, disposed_report, operator, liaison_pu, liaison_bina_marga, citizen, api_client_for
):
    c = disposed_report(privacy="rahasia")
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Kami sedang meninjau lokasi.")
    workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    workflow.flag_oversight(c.pk, by=operator, terlapor_agency="dinas-pu")
    c = refreshed(c)
    assert c.oversight and c.terlapor_agency_id == region.pu.pk
    assert set(c.dispositions.values_list("status", flat=True)) == {DispositionStatus.DITARIK}
    assert not Clock.objects.filter(disposition__complaint=c, stopped_at__isnull=True).exists()
    assert Clock.objects.filter(complaint=c, kind=ClockKind.REDISPOSITION, stopped_at__isnull=True).exists()
    recalled = Event.objects.get(complaint=c, type=EventType.DISPOSITION_RECALLED)
    assert recalled in privacy.timeline_for(c, citizen)
    for liaison in (liaison_pu, liaison_bina_marga):
        assert api_client_for(liaison).get(f"/api/v1/complaints/{c.tracking_id}/").status_code == 404
        assert not privacy.roles_on(c, liaison)
    # The report goes on to the Inspektorat.
    workflow.dispose(c.pk, by=operator, agencies=["inspektorat"])


def test_flagging_over_the_api_names_the_terlapor(region, disposed_report, operator, liaison_pu, api_client_for):
    c = disposed_report(privacy="rahasia")
    r = api_client_for(operator).post(
        f"/api/v1/complaints/{c.tracking_id}/flag_oversight/", {"terlapor_agency": "dinas-pu"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert api_client_for(liaison_pu).get(f"/api/v1/complaints/{c.tracking_id}/").status_code == 404
