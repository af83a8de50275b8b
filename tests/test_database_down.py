"""PostgreSQL out of reach, seen from inside one process: every page answers a 503 page of its
own, the API and `/healthz` a 503 JSON, whether the failure comes when the request's transaction
opens, in a middleware reading the session, or in the middle of a view; a report whose connection
dropped half-way is not stored at all; and the same process serves 200s once the database is back.

"Down" is real: the connection is pointed at a port where nothing listens (connection refused), or
the server ends our backend with `pg_terminate_backend` in the middle of a statement sequence.
The drill on a real gunicorn and a PostgreSQL cluster that is stopped and started again is
`tests/test_database_drill.py`."""

import socket

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.auth import issue_token
from complaints.models import Clock, Complaint, Event
from tests.filing import API_FILING
from tests.pg import terminate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="drills a PostgreSQL connection"),
]

FILING = API_FILING


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down():
    """Point the connection at a port nobody listens on; put it back afterwards."""
    saved = {k: connection.settings_dict[k] for k in ("HOST", "PORT")}

    def down():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))

    def up():
        connection.close()
        connection.settings_dict.update(saved)

    yield type("Switch", (), {"down": staticmethod(down), "up": staticmethod(up)})
    up()


def is_503_page(response, text="Layanan sementara tidak tersedia"):
    body = response.content.decode()
    return (
        response.status_code == 503
        and response["Content-Type"].startswith("text/html")
        and text in body
        and response["Retry-After"] == "30"
    )


def test_pages_api_and_healthz_answer_503_then_200_when_the_database_returns(database_down, region, citizen):
    token = issue_token(citizen)
    browser = Client(raise_request_exception=False)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(citizen)
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    database_down.down()
    # Opening the request's transaction fails before any view code runs.
    assert is_503_page(browser.get("/"))
    assert is_503_page(browser.get("/laporan/"))
    # A signed-in visitor: the session and the user are read from the database.
    assert is_503_page(signed_in.get("/akun/"))
    assert is_503_page(signed_in.get("/lapor/"))
    r = signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert is_503_page(r, "Service temporarily unavailable"), r.content.decode()
    for r in (api.get("/api/v1/complaints/"), api.post("/api/v1/complaints/", FILING, format="json")):
        assert r.status_code == 503
        assert r["Content-Type"] == "application/json"
        assert set(r.json()) == {"detail"} and "basis data" in r.json()["detail"]
    r = browser.get("/healthz")
    assert r.status_code == 503 and r["Content-Type"] == "application/json"
    assert r.json()["status"] == "down" and r.json()["database"]["status"] == "down"
    # The public answer names the failure's kind, never the database's address.
    assert r.json()["database"]["error"] == "OperationalError"
    assert connection.settings_dict["PORT"] not in r.content.decode()

    database_down.up()
    # The same process, without a restart: 200s again.
    assert browser.get("/").status_code == 200
    assert signed_in.get("/akun/").status_code == 200
    assert api.get("/api/v1/complaints/").status_code == 200
    assert browser.get("/healthz").json()["database"]["status"] == "up"
    r = api.post("/api/v1/complaints/", FILING, format="json")
    assert r.status_code == 201, r.content
    assert Complaint.objects.count() == 1


class ReadsTheUserFirst:
    """A middleware that looks at the signed-in user before any view runs (as a second-factor or
    revoked-session check does): the database error is raised outside every view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 - reading it is the point
        return self.get_response(request)


def test_a_failure_in_a_middleware_is_a_503_too(database_down, settings, citizen):
    index = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[: index + 1],
        "tests.test_database_down.ReadsTheUserFirst",
        *settings.MIDDLEWARE[index + 1 :],
    ]
    browser = Client(raise_request_exception=False)
    browser.force_login(citizen)
    api = APIClient(raise_request_exception=False)
    api.cookies = browser.cookies
    database_down.down()
    assert is_503_page(browser.get("/laporan/"))
    r = api.get("/api/v1/complaints/")
    assert r.status_code == 503 and set(r.json()) == {"detail"}
    database_down.up()
    assert browser.get("/laporan/").status_code == 200


def test_a_connection_lost_in_the_middle_of_a_filing_keeps_nothing(region, citizen):
    """The server drops the connection after the report's row was inserted and before its clock
    and event were: the API answers 503 and nothing of the report is stored."""
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(citizen)}")
    inserted = []

    def drop_after_the_report(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "complaints_complaint"') and not inserted:
            inserted.append(True)
            terminate(context["connection"].connection.info.backend_pid)
        return result

    with connection.execute_wrapper(drop_after_the_report):
        r = api.post("/api/v1/complaints/", FILING, format="json")
    assert inserted, "the report's row was never inserted"
    assert r.status_code == 503 and set(r.json()) == {"detail"}
    connection.close()
    assert (Complaint.objects.count(), Clock.objects.count(), Event.objects.count()) == (0, 0, 0)
    # The next request files normally on a new connection.
    assert api.post("/api/v1/complaints/", FILING, format="json").status_code == 201
    assert (Complaint.objects.count(), Clock.objects.count(), Event.objects.count()) == (1, 1, 1)


def test_a_statement_error_on_a_live_connection_is_not_an_outage():
    """A statement timeout is an OperationalError too, but the connection stays usable: only an
    unreachable database is answered with a 503, a failing statement keeps its 500."""
    from django.db import OperationalError

    from lapor.db import database_unavailable

    with pytest.raises(OperationalError) as caught:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")
    assert not database_unavailable(caught.value)
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")
    terminate(connection.connection.info.backend_pid)
    with pytest.raises(OperationalError) as caught:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert database_unavailable(caught.value)
    connection.close()
