"""Filing once per one-time key: the web form's hidden key, the operator's manual entry and the
API's `Idempotency-Key` header. A doubled or retried submission returns the first report; two
requests with the same key at the same instant on PostgreSQL still file one report."""

import json
import re
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from accounts.auth import issue_token
from complaints.models import Complaint, SubmissionKey
from tests.filing import API_FILING, walk_in_form

LIST = "/api/v1/complaints/"
FILING = API_FILING


def web_form(region, key, **changes):
    data = {
        "kind": "aduan",
        "title": "Jalan berlubang di depan pasar",
        "body": "Lubang besar di Jalan Poros, sudah dua minggu belum diperbaiki.",
        "category": region.roads.pk,
        "privacy": "umum",
        "step": "confirm",  # past the similar-reports check
        "submission_key": key,
    }
    data.update(changes)
    return data


def manual_form(region, key):
    return walk_in_form(region, submission_key=key)


def form_key(html):
    match = re.search(r'<input type="hidden" name="submission_key" value="([^"]+)"', html)
    assert match, "the form carries no one-time key"
    return match.group(1)


def api_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


# The web form ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_filing_form_posted_twice_files_once(client, citizen, region):
    client.force_login(citizen)
    page = client.get("/lapor/").content.decode()
    key = form_key(page)
    assert uuid.UUID(key) and "data-submit-once" in page and "js/submit-once.js" in page
    assert form_key(client.get("/lapor/").content.decode()) != key  # a new key for each form shown

    first = client.post("/lapor/", web_form(region, key))
    c = Complaint.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/lapor/terkirim/{c.tracking_id}/"
    again = client.post("/lapor/", web_form(region, key, title="Jalan berlubang, dikirim ulang"))
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Complaint.objects.count() == 1
    receipt = client.get(again["Location"]).content.decode()
    assert "sudah terkirim sebelumnya" in receipt

    # A new form (a new key) files a new report.
    assert client.post("/lapor/", web_form(region, str(uuid.uuid4()))).status_code == 302
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_a_form_key_is_per_account_and_a_refused_form_keeps_its_key(client, citizen, other_citizen, region):
    key = str(uuid.uuid4())
    client.force_login(citizen)
    refused = client.post("/lapor/", web_form(region, key, title="Jl"))
    assert refused.status_code == 400 and form_key(refused.content.decode()) == key
    assert not SubmissionKey.objects.exists()  # nothing filed, the key is still free
    assert client.post("/lapor/", web_form(region, key)).status_code == 302
    bob = Client()
    bob.force_login(other_citizen)
    assert bob.post("/lapor/", web_form(region, key)).status_code == 302
    assert sorted(Complaint.objects.values_list("reporter__email", flat=True)) == sorted(
        [citizen.email, other_citizen.email]
    )


@pytest.mark.django_db
def test_a_post_without_a_key_files_and_the_form_shown_again_gets_one(client, citizen, region):
    client.force_login(citizen)
    data = web_form(region, "")
    refused = client.post("/lapor/", {**data, "title": "Jl"})
    assert uuid.UUID(form_key(refused.content.decode()))
    assert client.post("/lapor/", data).status_code == 302
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_manual_entry_posted_twice_files_once(client_for, operator, region):
    op = client_for(operator)
    key = form_key(op.get("/petugas/input/").content.decode())
    first = op.post("/petugas/input/", manual_form(region, key))
    c = Complaint.objects.get()
    assert first["Location"] == f"/petugas/input/{c.tracking_id}/tanda-terima/"
    again = op.post("/petugas/input/", manual_form(region, key))
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Complaint.objects.count() == 1
    assert "sudah tercatat sebelumnya" in op.get(again["Location"]).content.decode()


# The API -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_idempotency_key_replays_the_first_response(citizen, other_citizen, region):
    api = api_for(citizen)
    first = api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # The same body, its fields in another order and spaced differently: the first report.
    raw = json.dumps(dict(reversed(list(FILING.items()))), indent=2)
    again = api.post(LIST, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="retry-42")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["tracking_id"] == first.json()["tracking_id"]
    assert again["Location"] == first["Location"]
    assert Complaint.objects.count() == 1

    # The same key with another body: refused, nothing filed.
    other = api.post(LIST, {**FILING, "title": "Lampu jalan mati"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-42")
    assert other.status_code == 422 and set(other.json()) == {"detail"}
    assert "Idempotency-Key" in other.json()["detail"]
    # Keys are per account; without a key every post files.
    assert api_for(other_citizen).post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY="retry-42").status_code == 201
    assert api.post(LIST, FILING, format="json").status_code == 201
    assert Complaint.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "kunci dengan spasi", "x" * 256, "kunci-é"])
def test_a_malformed_idempotency_key_is_a_400(citizen, region, key):
    r = api_for(citizen).post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["detail"]
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_a_refused_filing_does_not_use_up_its_key(citizen, region):
    api = api_for(citizen)
    assert api.post(LIST, {**FILING, "title": "Jl"}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 400
    assert not SubmissionKey.objects.exists()
    assert api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201


@pytest.mark.django_db
def test_the_header_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/complaints/"]["post"]
    [param] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert param["in"] == "header" and not param.get("required") and param["schema"]["maxLength"] == 255
    assert "422" in post["responses"]


# Two at once, on PostgreSQL ---------------------------------------------------------------------------
def waiting_on_a_key():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction it would stay frozen
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE 'INSERT INTO \"complaints_submissionkey\"%%'"
        )
        return cursor.fetchone()[0]


def post_web(user, region, key):
    c = Client()
    c.force_login(user)
    r = c.post("/lapor/", web_form(region, key))
    return r.status_code, r["Location"]


def post_api(user, region, key):
    r = api_for(user).post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return r.status_code, r.json()["tracking_id"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")
@pytest.mark.parametrize("post", [post_web, post_api], ids=["web", "api"])
def test_two_posts_with_the_same_key_at_the_same_time_file_one_report(citizen, region, post):
    """The first request holds its key, not yet committed; the second arrives meanwhile and waits
    on the key's unique index; once the first commits the second answers with the same report."""
    import time

    key = str(uuid.uuid4())
    first_holds_key, results, errors = threading.Event(), {}, []

    def hold_until_the_second_waits(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "complaints_submissionkey"'):
            first_holds_key.set()
            deadline = time.monotonic() + 20
            while waiting_on_a_key() == 0:  # the second request, blocked on our uncommitted key
                assert time.monotonic() < deadline, "the second request never waited on the key"
                time.sleep(0.01)
        return result

    def run(name, wrapper=None):
        try:
            if wrapper:
                with connections["default"].execute_wrapper(wrapper):
                    results[name] = post(citizen, region, key)
            else:
                first_holds_key.wait(20)
                results[name] = post(citizen, region, key)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("first", hold_until_the_second_waits)),
        threading.Thread(target=run, args=("second",)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results["first"] == results["second"]
    assert results["first"][0] in (201, 302)
    assert Complaint.objects.count() == 1 and SubmissionKey.objects.count() == 1


def test_keys_older_than_the_retention_are_purged_and_a_late_retry_files_anew(citizen, region, settings):
    """Beat's daily purge forgets keys past SUBMISSION_KEY_DAYS; a key within them still finds the
    first report."""
    import time_machine
    from django.utils import timezone

    from complaints.common.idempotency import purge_expired
    from lapor.celery import app

    settings.SUBMISSION_KEY_DAYS = 30
    api = api_for(citizen)
    old_key, recent_key = str(uuid.uuid4()), str(uuid.uuid4())
    start = timezone.now()
    with time_machine.travel(start - timezone.timedelta(days=31)):
        first = api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=old_key)
    with time_machine.travel(start - timezone.timedelta(days=29)):
        second = api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=recent_key)
    assert first.status_code == second.status_code == 201
    assert purge_expired(now=start) == 1
    assert list(SubmissionKey.objects.values_list("key", flat=True)) == [recent_key]
    # Within the retention a retry still returns the first report; past it the key is free again.
    again = api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=recent_key)
    assert again.json()["tracking_id"] == second.json()["tracking_id"]
    late = api.post(LIST, FILING, format="json", HTTP_IDEMPOTENCY_KEY=old_key)
    assert late.status_code == 201 and late.json()["tracking_id"] != first.json()["tracking_id"]
    app.finalize(auto=True)
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "complaints.tasks.purge_submission_keys" in schedule
