"""The OpenAPI 3 schema and the docs, and schemathesis against every operation of `/api/v1/schema/`:
no 5xx, and every response (status code, content type, body, headers) conforms to the schema.

Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 12) generated requests per operation and caller, run
in-process against the WSGI application inside the test's transaction (a throwaway database)."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from complaints import workflow
from complaints.models import Sanction

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/agencies/",
        "/api/v1/categories/",
        "/api/v1/complaints/",
        "/api/v1/complaints/{tracking_id}/",
        "/api/v1/complaints/{tracking_id}/timeline/",
        "/api/v1/complaints/{tracking_id}/attachments/",
        "/api/v1/complaints/{tracking_id}/identity-log/",
        "/api/v1/sanctions/",
        "/api/v1/sanctions/{id}/confirm/",
        "/api/v1/sanctions/{id}/waive/",
    ):
        assert f"  {path}:" in text, path
    for action in (
        "verify",
        "dispose",
        "postpone",
        "archive",
        "merge",
        "complete",
        "followup",
        "return",
        "finish",
        "reply",
        "accept",
        "rate",
        "reopen",
        "support",
        "privacy",
        "withdraw",
        "forward",
        "extend",
        "reveal",
    ):
        assert f"  /api/v1/complaints/{{tracking_id}}/{action}/:" in text, action


def test_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


@pytest.fixture
def world(
    region, file_report, disposed_report, operator, liaison_pu, citizen, other_citizen, auditor, head_pu, auditor_bkd
):
    """Reports in several states, so generated requests also reach real objects."""
    reports = [file_report(), file_report(privacy="rahasia"), disposed_report(), disposed_report(privacy="anonim")]
    c = disposed_report()
    workflow.followup(c.pk, by=liaison_pu, disposition=c.dispositions.get().pk, body="Tim sudah ke lokasi.")
    reports.append(c)
    sanction = Sanction.objects.create(agency=region.pu, month="2026-01-01", evidence=[{"tracking_id": c.tracking_id}])
    return {
        "tracking_id": [r.tracking_id for r in reports],
        "id": [sanction.pk] + [d.pk for d in c.dispositions.all()],
    }


@pytest.fixture
def no_throttles(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


@pytest.fixture
def wsgi_app():
    """The real WSGI application, sharing the test's connection (as Django's test client does)."""
    from lapor.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["operator", "citizen", "anonymous"])
def test_schemathesis(request, caller, world, no_throttles, wsgi_app):
    from accounts.auth import issue_token

    user = None if caller == "anonymous" else request.getfixturevalue(caller)
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy(), pick=st.integers(min_value=0, max_value=9))
        @hsettings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case, pick):
            # Half the time, aim at a real report / sanction / disposition instead of a random id.
            for name, values in world.items():
                if name in (case.path_parameters or {}) and pick < len(values):
                    case.path_parameters[name] = values[pick]
            # A fresh token each time: one of the operations (DELETE auth/token/) revokes the one in use.
            headers = {"Authorization": f"Token {issue_token(user)}"} if user else {}
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    report = "\n\n".join(failures)
    if failures and os.environ.get("SCHEMATHESIS_REPORT"):
        with open(os.environ["SCHEMATHESIS_REPORT"], "a") as fh:
            fh.write(report)
    assert not failures, report
