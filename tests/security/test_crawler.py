"""The privacy crawler: every URL pattern of the project, requested as every role, for an umum, an
anonim and a rahasia report, each answer held to the privacy matrix (docs/privacy.md).

The patterns come from walking the URL resolver, never from a hand list: a pattern without a rule
in `tests/security/crawl_rules.py` fails `test_every_url_pattern_has_a_rule`. The region and its
reports are built once for the module; each test runs in a transaction rolled back at its end, so
even the POST probes of action endpoints leave nothing behind.
"""

import html
import io
import json
import re
import uuid
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.privacy import Level
from tests.conftest import mark_second_factor_passed
from tests.security.crawl_rules import GLOBAL_ROLES, PUBLIC_ROLES, REPORT_KEYS, REPORT_ROLES, RULES

# The resolver ------------------------------------------------------------------------------------


def url_patterns(resolver=None, prefix="", namespace=""):
    """(key, route) of every URL pattern, through every include (the admin's too). The key is the
    namespaced name, or the full route of a pattern without a name."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from url_patterns(p, route, ns)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else route), route


PATTERNS = dict(url_patterns())


def test_every_url_pattern_has_a_rule():
    """A new URL pattern must say, in the crawler's table, how it is filled and which privacy rule
    its answers follow; a rule for a pattern that no longer exists is stale."""
    missing = sorted(set(PATTERNS) - set(RULES))
    stale = sorted(set(RULES) - set(PATTERNS))
    assert not missing, f"URL patterns without a rule in tests/security/crawl_rules.py: {missing}"
    assert not stale, f"rules for URL patterns that no longer exist: {stale}"


def test_the_walk_reaches_every_include():
    """The walk goes through includes (the API router, Open311, the admin's per-model URLs)."""
    assert {"admin:complaints_complaint_change", "api-complaint-detail", "open311:request", "complaints:detail"} <= set(
        PATTERNS
    )


# Distinctive strings -----------------------------------------------------------------------------
# Each reporter's identity and each report's private details are strings found nowhere else, so
# their presence in an answer can only be a disclosure.
PEOPLE = {
    "umum": ("Zelvoran", "Umbaraksa", "zelvoran.umbaraksa@warga.test", "0812-7771-0001", "3171999900000001"),
    "anonim": ("Qoribeth", "Anonsari", "qoribeth.anonsari@warga.test", "0812-7772-0002", "3171999900000002"),
    "rahasia": ("Wistara", "Rahsyadi", "wistara.rahsyadi@warga.test", "0812-7773-0003", "3171999900000003"),
}
COORDINATES = {"umum": (-4.517382, 122.394615), "anonim": (-4.528471, 122.385726), "rahasia": (-4.539561, 122.376837)}
TITLES = {
    "umum": "Talud Umumvarra jebol di tepi sungai",
    "anonim": "Talud Anonvarra jebol di tepi sungai",
    "rahasia": "Talud Rahsvarra jebol di tepi sungai",
    "merged": "Talud Gabungvarra jebol di tepi sungai",
    "pending": "Talud Tundavarra retak di hulu sungai",
}
ANONIM_ADDRESS = "Lorong Quimbasari nomor 9"
ORIGINAL_BODY = "Keterangan asli Ortobresi"  # the umum report's body; the public reads the summary
STAFF_NAMES = {"operator": "Opirasta Kominfo", "liaison_disposed": "Liabresta Penghubung"}


def _exact_tokens(lat, lng):
    # The six decimals, so a rounded (public) coordinate never contains them, whatever the decimal
    # separator.
    return [f"{abs(lat):.6f}".split(".")[1], f"{abs(lng):.6f}".split(".")[1]]


# The world ----------------------------------------------------------------------------------------
def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def build_world():
    from django.contrib.auth.models import Group
    from django.contrib.auth.tokens import default_token_generator
    from django.contrib.contenttypes.models import ContentType
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.auth import issue_token
    from accounts.models import User
    from agencies.models import Category, Holiday, SlaPolicy
    from complaints import privacy, workflow
    from complaints.dashboards import monthly_report
    from complaints.deadlines.sanctions import build_month
    from complaints.deadlines.sweep import sla_sweep
    from complaints.evidence import uploads
    from complaints.models import Clock, ClockStep, Complaint, Event, IdentityAccess, Notification, Open311Key, Sanction
    from tests.conftest import build_region, make_user

    r = build_region(SimpleNamespace(), without={"puskesmas"})
    Category.objects.create(slug="pungli", name="Pungutan liar", default_agency=r.inspektorat, oversight=True)
    sla_policy = SlaPolicy.current()
    holiday = Holiday.objects.create(date=date(2026, 12, 25), name="Natal")

    users = {}
    for key, (display, surname, email, phone, nik) in PEOPLE.items():
        u = make_user(email, f"{display} {surname}", phone=phone)
        User.objects.filter(pk=u.pk).update(nik=nik, display_name=display)
        users[f"reporter_{key}"] = User.objects.get(pk=u.pk)
    users["other_citizen"] = make_user("bob.crawl@warga.test", "Bob Santoso")
    users["operator"] = make_user("operator@kominfo.test", STAFF_NAMES["operator"], ("operator", r.diskominfo))
    users["liaison_disposed"] = make_user("pu@pemda.test", STAFF_NAMES["liaison_disposed"], ("liaison", r.pu))
    users["head"] = make_user("kepala.pu@pemda.test", "Kepala Pu", ("head", r.pu))
    users["liaison_other"] = make_user("dinkes@pemda.test", "Dina Kes", ("liaison", r.dinkes))
    users["liaison_accused"] = make_user("penghubung@inspektorat.test", "Ina Penghubung", ("liaison", r.inspektorat))
    users["auditor"] = make_user("auditor@bkd.test", "Bekade Auditor", ("auditor", r.bkd))
    users["auditor_accused"] = make_user("auditor@inspektorat.test", "Insa Auditor", ("auditor", r.inspektorat))
    su = User.objects.create_superuser(email="root@pemda.test", password="x", full_name="Super Admin")
    users["superadmin"] = User.objects.get(pk=su.pk)
    operator, liaison = users["operator"], users["liaison_disposed"]

    reports, attachments, hidden = {}, {}, {}
    for key in REPORT_KEYS:
        lat, lng = COORDINATES[key]
        c = workflow.file_complaint(
            reporter=users[f"reporter_{key}"],
            privacy=key,
            category=r.roads,
            title=TITLES[key],
            body=(ORIGINAL_BODY if key == "umum" else "Talud jebol, air masuk ke rumah warga sejak pekan lalu.")
            + " Mohon segera diperbaiki.",
            location_text=ANONIM_ADDRESS if key == "anonim" else f"Jalan Poros {key}",
            kecamatan=r.kecamatan,
            kelurahan=r.kelurahan,
            lat=Decimal(str(lat)),
            lng=Decimal(str(lng)),
            terlapor_agency=r.inspektorat,
        )
        attachments[key] = uploads.add_attachment(
            c, by=c.reporter, uploaded=SimpleUploadedFile(f"bukti-Xantiperu-{key}.png", _png())
        )
        hidden[key] = uploads.add_attachment(
            c, by=c.reporter, uploaded=SimpleUploadedFile(f"bukti-Xantiperu-{key}-rumah.png", _png())
        )
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        d = c.dispositions.get()
        workflow.followup(c.pk, by=liaison, disposition=d.pk, body="Tim sudah meninjau lokasi talud.")
        # The operator hides the second file from the public (it shows the reporter's house).
        workflow.set_attachment_public(c.pk, by=operator, attachment=hidden[key], public=False)
        reports[key] = Complaint.objects.get(pk=c.pk)
    workflow.edit_summary(reports["umum"].pk, by=operator, summary="Talud jebol di tepi sungai, mohon diperbaiki.")

    def file_about_the_inspektorat(reporter, privacy, title, body):
        return workflow.file_complaint(
            reporter=reporter, privacy=privacy, category=r.roads, title=title, body=body, terlapor_agency=r.inspektorat
        )

    # A rahasia duplicate merged into the umum report: its tracking id stays hidden.
    merged = file_about_the_inspektorat(
        users["reporter_rahasia"], "rahasia", TITLES["merged"], "Talud yang sama jebol, laporan kedua dari saya."
    )
    workflow.merge(merged.pk, by=operator, into=reports["umum"].tracking_id)
    # An umum report not yet verified: until an operator verifies it, the public sees it exactly
    # as a rahasia report. Filed by the "other citizen", about the Inspektorat too.
    pending = file_about_the_inspektorat(
        users["other_citizen"], "umum", TITLES["pending"], "Talud di hulu juga mulai retak, mohon diperiksa."
    )

    # The identity log has entries: an operator's logged view and an auditor's reveal.
    privacy.reporter_identity(reports["anonim"], operator)
    workflow.reveal(reports["rahasia"].pk, by=users["auditor"], reason="Pemeriksaan atas surat tugas nomor 7.")
    # Deadlines passed: reminders, overdue and escalation steps, on timelines and dashboards.
    sla_sweep(timezone.now() + timedelta(days=75))

    # The month the clocks escalated in, built as the month-end task builds it: Dinas PU's TPP
    # sanction recommendation, with every escalated report as evidence.
    escalated = ClockStep.objects.filter(step="escalated", clock__agency=r.pu).order_by("pk").first()
    month = timezone.localtime(escalated.due_at).date().replace(day=1)
    build_month(month, now=timezone.now() + timedelta(days=200))
    sanction = Sanction.objects.get(agency=r.pu, month=month)
    month = timezone.localdate().replace(day=1)
    monthly = monthly_report.request_report(by=users["auditor"], month=month)

    tokens = {name: issue_token(u) for name, u in users.items()}
    reporter = users["reporter_rahasia"]
    return SimpleNamespace(
        region=r,
        users=users,
        tokens=tokens,
        reports=reports,
        merged=Complaint.objects.get(pk=merged.pk),
        pending=Complaint.objects.get(pk=pending.pk),
        attachments=attachments,
        hidden_attachments=hidden,
        dispositions={k: c.dispositions.get() for k, c in reports.items()},
        sanction=sanction,
        monthly_report=monthly,
        notification=Notification.objects.filter(recipient=reporter).order_by("pk").first(),
        event=Event.objects.filter(complaint=reports["rahasia"]).order_by("pk").last(),
        identity_access=IdentityAccess.objects.order_by("pk").first(),
        clock=Clock.objects.filter(complaint=reports["rahasia"]).first(),
        clock_step=ClockStep.objects.order_by("pk").first(),
        open311_key=Open311Key.objects.create(name="Aplikasi kota"),
        group=Group.objects.create(name="Pengamat"),
        holiday=holiday,
        sla_policy=sla_policy,
        content_type_id=ContentType.objects.get_for_model(Complaint).pk,
        password_reset={
            "uidb64": urlsafe_base64_encode(force_bytes(users["other_citizen"].pk)),
            "token": default_token_generator.make_token(users["other_citizen"]),
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The region, people and reports, built once; rolled back when the module ends."""
    from lapor.celery import app

    media = tmp_path_factory.mktemp("crawl-media")
    app.conf.task_always_eager = True
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            SMS_BACKEND="tests.conftest.RecordingSms",
        ),
        transaction.atomic(),
    ):
        with TestCase.captureOnCommitCallbacks(execute=True):
            w = build_world()
        w.media = media
        w.clients = {}
        for name in GLOBAL_ROLES:
            w.clients[name] = {"session": Client(), "token": APIClient()}
            if name != "anonymous":
                w.clients[name]["session"].force_login(w.users[name])
                # Built before any test's fixtures: the session passes the second factor here.
                mark_second_factor_passed(w.clients[name]["session"], w.users[name])
                w.clients[name]["token"].credentials(HTTP_AUTHORIZATION=f"Token {w.tokens[name]}")
        w.missing = {}  # (key, role, transport, method) -> the answer for a report that does not exist
        yield w
        transaction.set_rollback(True)


@pytest.fixture
def crawl(world, db, settings, _isolated_services):
    """The world, with its media folder; each test's own writes are rolled back (`db`)."""
    settings.MEDIA_ROOT = world.media
    cache.clear()  # throttles count in the cache
    return world


# The matrix ---------------------------------------------------------------------------------------
def owner(key):
    return {"merged": "reporter_rahasia", "pending": "other_citizen"}.get(key, f"reporter_{key}")


def expected(role, key, *, reveal=False):
    """(sees the report, identity level, exact location) for `role` on report `key`, per the
    privacy matrix. All three reports are verified, disposed to Dinas PU and name the Inspektorat
    as terlapor; `merged` is a rahasia duplicate merged (archived) before verification, `pending`
    an umum report not yet verified (its reporter, "other_citizen", is not one of the people whose
    identity the crawl tracks)."""
    if role == owner(key):
        return True, Level.FULL, True
    if key == "pending":
        if role == "operator":
            return True, Level.FULL, True
        return role in ("auditor", "superadmin"), Level.NONE, role in ("auditor", "superadmin")
    if key == "merged":
        if role == "operator":
            return True, Level.FULL, True
        if role in ("auditor", "superadmin"):
            return True, Level.FULL if reveal else Level.NONE, True
        return False, Level.NONE, False
    if role in PUBLIC_ROLES or role.startswith("reporter_"):
        return key != "rahasia", Level.NAME if key == "umum" else Level.NONE, False
    if role == "operator":
        return True, Level.FULL, True
    if role in ("liaison_disposed", "head"):
        return True, Level.CONTACT if key == "umum" else Level.NONE, True
    if role in ("auditor", "superadmin"):
        return True, Level.FULL if reveal else (Level.NAME if key == "umum" else Level.NONE), True
    raise AssertionError(f"no expectation for role {role}")


def body_text(response):
    """What a reader gets from the answer: HTML and JSON as text, spreadsheets and PDFs unpacked."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    ctype = response.get("Content-Type", "")
    if content[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if content[:5] == b"%PDF-":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    text = content.decode("utf-8", "replace")
    if "json" in ctype:
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return html.unescape(text)


def leaks(text, role, world, rule, *, reveal=False):
    """Every disclosure in `text` that `role` is not entitled to."""
    found = []
    digits = re.sub(r"\D", "", text)
    keys = (*REPORT_KEYS, "merged", "pending")
    for key in keys:
        c = getattr(world, key) if key in ("merged", "pending") else world.reports[key]
        sees, _level, exact = expected(role, key, reveal=reveal)
        if not sees:
            tokens = [TITLES[key]]
            # Staff with a role on the primary read the merge on its staff timeline; the public's
            # surfaces never name a hidden duplicate.
            if not (key == "merged" and role in ("liaison_disposed", "head")):
                tokens.append(c.tracking_id)
            for token in tokens:
                if token in text:
                    found.append(f"{key} report present ({token!r})")
        if key in COORDINATES and not exact:
            for token in _exact_tokens(*COORDINATES[key]):
                if token in digits:
                    found.append(f"exact coordinates of the {key} report ({token})")
        if key == "anonim" and not exact and ANONIM_ADDRESS in text:
            found.append("the anonim report's location text")
        if key == "umum" and not exact and ORIGINAL_BODY in text:
            found.append("the umum report's original body (the public reads the summary)")
        if key in REPORT_KEYS and role != owner(key) and f"bukti-Xantiperu-{key}" in text:
            found.append(f"the original file name of the {key} report's attachment")
        if key in REPORT_KEYS and not exact and str(world.hidden_attachments[key].key) in text:
            found.append(f"the {key} report's attachment hidden from the public")
    if role not in rule.identity_ok:
        for key, (display, surname, email, phone, nik) in PEOPLE.items():
            person = owner(key)
            level = max(expected(role, k, reveal=reveal)[1] for k in keys if owner(k) == person)
            checks = [(Level.NAME, "display name", display in text)]
            checks += [
                (Level.CONTACT, "full name", surname in text),
                (Level.CONTACT, "email", email in text),
                (Level.CONTACT, "phone", re.sub(r"\D", "", phone)[1:] in digits),
                (Level.FULL, "NIK", nik in text),
            ]
            found += [f"the {key} reporter's {what}" for need, what, present in checks if present and level < need]
    if role in ("anonymous", "other_citizen"):
        found += [f"staff member's name {n!r}" for n in STAFF_NAMES.values() if n in text]
    return found


# Requests -----------------------------------------------------------------------------------------
def _url(key, rule, kwargs):
    path = rule.url(kwargs) if rule.url else reverse(key, kwargs=kwargs)
    if rule.query:
        path += "?" + rule.query
    return path


def _request(client, method, url, rule):
    if method == "POST":
        if rule.transports == ("token",):
            return client.post(url, rule.data, format="json")
        return client.post(url, rule.data)
    return getattr(client, method.lower())(url)


def _normalise(text, value):
    text = text.replace(str(value), "{id}")
    return re.sub(r'(csrfmiddlewaretoken" value="|csrfToken":\s*")[^"]+', r"\1", text)


REPORT_VALUES = {
    "tracking_id": lambda w, key: w.reports[key].tracking_id,
    "pk": lambda w, key: w.reports[key].pk,
    "disposition": lambda w, key: w.dispositions[key].pk,
    "attachment": lambda w, key: w.attachments[key].key,
    "hidden_attachment": lambda w, key: w.hidden_attachments[key].key,
}
MISSING_VALUES = {
    "tracking_id": "LPR-ZZZZ-ZZZZ",
    "pk": 987654321,
    "disposition": 987654321,
    "attachment": uuid.UUID(int=7),
    "hidden_attachment": uuid.UUID(int=7),
}


def _missing(world, key, rule, via, role, transport, method):
    """The answer for a report that does not exist, once per pattern, role, transport and method."""
    memo = (key, via, role, transport, method)
    if memo not in world.missing:
        value = MISSING_VALUES[via]
        url = _url(key, rule, {rule.param: value, **rule.extra})
        r = _request(world.clients[role][transport], method, url, rule)
        world.missing[memo] = (r.status_code, _normalise(body_text(r), value))
    return world.missing[memo]


# Known leaks: (pattern, privacy level or None, role or None for any, what leaks) -> why. A test
# whose only problems are known leaks is an expected failure; a known leak that no longer shows
# fails the test ("fixed: remove the entry"), as a strict xfail would. Empty: none is known.
KNOWN_LEAKS: dict[tuple, str] = {}


def _params():
    for key, rule in sorted(RULES.items()):
        if rule.kind == "report-scoped":
            for privacy in REPORT_KEYS:
                yield pytest.param(key, privacy, id=f"{key}|{privacy}")
        else:
            yield pytest.param(key, None, id=key)


def crawl_one(world, key, privacy, role):
    """The problems of pattern `key` (for report `privacy`) as `role`."""
    rule = RULES[key]
    if not privacy:
        kwargs = rule.kwargs(world) if rule.kwargs else {}
        return _check(world, key, rule, role, role, _url(key, rule, kwargs), None, None, None)
    as_role = owner(privacy) if role == "reporter" else role
    problems = []
    for via in rule.via if isinstance(rule.via, tuple) else (rule.via,):
        sees, _level, exact = expected("anonymous" if rule.public_only else as_role, privacy, reveal=rule.reveal)
        if via == "hidden_attachment":
            sees = exact  # hidden from the public: the reporter and staff with a role only
        value = REPORT_VALUES[via](world, privacy)
        url = _url(key, rule, {rule.param: value, **rule.extra})
        problems += _check(world, key, rule, role, as_role, url, via, value, sees)
    return problems


def _check(world, key, rule, role, as_role, url, via, value, sees):
    """Request `url` as `as_role` by each transport and method of the rule; the problems found.
    `via` is None for a URL that names no report."""
    url = url.replace("%7Brahasia%7D", world.reports["rahasia"].tracking_id)
    problems = []
    for transport in rule.transports:
        for method in rule.methods:
            where = f"{method} {url} as {role} ({transport})"
            r = _request(world.clients[as_role][transport], method, url, rule)
            if r.status_code >= 500 and r.status_code not in rule.statuses:
                problems.append(f"{where}: {r.status_code}")
                continue
            text = body_text(r)
            if via and not sees:
                got = (r.status_code, _normalise(text, value))
                if got != _missing(world, key, rule, via, as_role, transport, method):
                    problems.append(f"{where}: answers {r.status_code}, unlike a missing report")
            if via and sees and method == "GET" and rule.shows and (role in rule.shows or as_role in rule.shows):
                if r.status_code != 200:
                    problems.append(f"{where}: {r.status_code}, expected the report (200)")
            if not via and rule.staff is not None and role not in rule.staff and r.status_code == 200:
                problems.append(f"{where}: 200 on a page for {sorted(rule.staff)} only")
            problems += [f"{where}: {leak}" for leak in leaks(text, as_role, world, rule, reveal=rule.reveal)]
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("key,privacy", list(_params()))
def test_crawl(crawl, key, privacy):
    """Pattern `key` (for the `privacy` report when it names one) as every role."""
    rule = RULES[key]
    expected_leaks = {entry: why for entry, why in KNOWN_LEAKS.items() if entry[:2] == (key, privacy)}
    problems, seen = [], {}
    for role in rule.roles or (REPORT_ROLES if privacy else GLOBAL_ROLES):
        for problem in crawl_one(crawl, key, privacy, role):
            entry = next((e for e in expected_leaks if e[2] in (None, role) and e[3] in problem), None)
            if entry:
                seen.setdefault(entry, []).append(problem)
            else:
                problems.append(problem)
    assert not problems, "\n".join(problems)
    fixed = [entry for entry in expected_leaks if entry not in seen]
    assert not fixed, f"known leaks no longer found (fixed: remove them from KNOWN_LEAKS): {fixed}"
    if seen:
        pytest.xfail("; ".join(sorted({expected_leaks[e] for e in seen})))
