"""The API detail tells the caller what they may do now (`actions`, `disposition_actions`), from the
transition table (docs/architecture.md, "Allowed actions"); the endpoints it names are the §8 ones
and they accept what is offered and refuse what is not."""

import pytest

from complaints import workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def detail(client_for, api):
    def get(user, c):
        client = api if user is None else client_for(user)
        response = client.get(f"/api/v1/complaints/{c.tracking_id}/")
        assert response.status_code == 200, response.content
        return response.json()

    return get


def test_reporter_before_verification(detail, file_report, citizen):
    body = detail(citizen, file_report())
    assert body["actions"] == ["attachments", "privacy", "withdraw"]
    assert body["disposition_actions"] == []


def test_operator_names_the_section_8_endpoints(detail, file_report, operator):
    body = detail(operator, file_report())
    assert body["actions"] == [
        "archive",
        "flag_oversight",
        "forward",
        "merge",
        "postpone",
        "privacy",
        "reclassify",
        "reveal",
        "summary",
        "verify",
    ]


def test_public_caller_and_other_citizen(detail, disposed_report, other_citizen):
    c = disposed_report()
    assert detail(None, c)["actions"] == []
    assert detail(other_citizen, c)["actions"] == ["support"]


def test_liaison_gets_actions_per_disposition(detail, disposed_report, liaison_pu, head_pu):
    c = disposed_report()
    d = c.dispositions.get()
    body = detail(liaison_pu, c)
    assert "reply" in body["actions"]
    assert body["disposition_actions"] == [
        {"disposition": d.pk, "actions": ["followup", "question", "reply", "return", "subdispose"]}
    ]
    assert detail(head_pu, c)["disposition_actions"] == []


def test_offered_endpoints_work_and_the_rest_are_refused(detail, client_for, disposed_report, liaison_pu, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    liaison = client_for(liaison_pu)
    offered = detail(liaison_pu, c)["disposition_actions"][0]["actions"]
    assert "finish" not in offered
    refused = liaison.post(f"/api/v1/complaints/{c.tracking_id}/finish/", {"disposition": d.pk}, format="json")
    assert refused.status_code == 409, refused.content
    done = liaison.post(
        f"/api/v1/complaints/{c.tracking_id}/followup/",
        {"disposition": d.pk, "body": "Tim sudah meninjau lokasi."},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert "finish" in detail(liaison_pu, c)["disposition_actions"][0]["actions"]
    # The reporter is offered no withdrawal after verification, and the endpoint refuses it.
    assert "withdraw" not in detail(citizen, c)["actions"]
    assert client_for(citizen).post(f"/api/v1/complaints/{c.tracking_id}/withdraw/").status_code == 409


def test_the_list_matches_the_table(detail, disposed_report, operator, citizen):
    c = disposed_report()
    for user in (operator, citizen):
        names = {workflow.API_ENDPOINTS.get(a, str(a)) for a in workflow.available_actions(c, user)}
        assert detail(user, c)["actions"] == sorted(names)


def test_attachments_endpoint_follows_the_table(client_for, file_report, operator, citizen):
    c = file_report()
    workflow.archive(c.pk, by=operator, reason="invalid", note="Bukan pengaduan.")
    c.refresh_from_db()
    assert workflow.Action.ATTACH not in workflow.available_actions(c, citizen)
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(citizen).post(
        f"/api/v1/complaints/{c.tracking_id}/attachments/",
        {"file": SimpleUploadedFile("a.png", png, content_type="image/png")},
        format="multipart",
    )
    assert response.status_code == 409, response.content
