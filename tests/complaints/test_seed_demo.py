"""`manage.py seed_demo` (docs/product.md §8): the demo region, accounts per role, sample reports in
every status, idempotent re-runs and the `--json` / `--password` contract."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import Role, User
from agencies.models import Agency, AgencyKind, Area, Category, Holiday
from complaints.models import ArchiveReason, Complaint, Event, IdentityAccess, Kind, Privacy, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue()


def seed_json(*args):
    return json.loads(seed("--json", *args))


def table_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_region_agencies_categories_and_holidays():
    seed()
    kinds = dict(Agency.objects.values_list("slug", "kind"))
    assert kinds["diskominfo"] == AgencyKind.DISKOMINFO
    assert kinds["inspektorat"] == AgencyKind.INSPEKTORAT
    assert kinds["bkd"] == AgencyKind.BKD
    assert kinds["ppid"] == AgencyKind.PPID
    assert kinds["ombudsman"] == AgencyKind.OBSERVER
    opds = Agency.objects.filter(kind=AgencyKind.OPD, parent__isnull=True)
    assert opds.count() >= 6
    assert {"dinas-pu", "dinkes", "disdik", "dishub", "disdukcapil", "dlh", "dinsos"} <= set(
        opds.values_list("slug", flat=True)
    )
    unit = Agency.objects.get(slug="dinkes-puskesmas-kota")
    assert unit.kind == AgencyKind.UNIT and unit.parent.slug == "dinkes" and unit.root.slug == "dinkes"
    assert Agency.objects.get(slug="dinas-pu-bina-marga").root.slug == "dinas-pu"

    kecamatan = Area.objects.filter(level=Area.Level.KECAMATAN)
    assert kecamatan.count() >= 5
    for k in kecamatan:
        assert 3 <= k.children.count() <= 5
        assert k.lat is not None and k.lng is not None

    routing = {c.slug: (c.default_agency.slug, c.oversight) for c in Category.objects.select_related("default_agency")}
    assert routing["jalan-jembatan"] == ("dinas-pu", False)
    assert routing["informasi-publik"] == ("ppid", False)
    assert routing["netralitas-asn"] == ("bkd", True)
    assert routing["pungli"] == ("inspektorat", True)
    assert routing["perilaku-pejabat"] == ("inspektorat", True)
    assert not Category.objects.filter(name_en="").exists()

    # The worked example of §5 needs 18–24 March 2026 off (Nyepi, Idul Fitri, cuti bersama).
    march = dict(Holiday.objects.filter(date__range=("2026-03-18", "2026-03-24")).values_list("date", "kind"))
    assert len(march) == 7
    assert Holiday.Kind.CUTI_BERSAMA in march.values() and Holiday.Kind.NATIONAL in march.values()
    assert Holiday.objects.filter(kind=Holiday.Kind.LOCAL).exists()
    assert Holiday.objects.filter(source="library").exists()


def test_second_run_changes_nothing():
    seed()
    counts = table_counts()
    hashes = dict(User.objects.values_list("email", "password"))
    out = seed()
    assert table_counts() == counts
    assert dict(User.objects.values_list("email", "password")) == hashes
    assert "(tidak diubah)" in out
    accounts = seed_json()
    assert all("password" not in a for a in accounts)
    assert table_counts() == counts


def test_admin_edits_survive_a_rerun():
    seed()
    Agency.objects.filter(slug="dinkes").update(name="Dinas Kesehatan dan KB")
    day = Holiday.objects.filter(source="library").first()
    Holiday.objects.filter(pk=day.pk).update(name="Diubah admin")
    seed()
    assert Agency.objects.get(slug="dinkes").name == "Dinas Kesehatan dan KB"
    assert Holiday.objects.get(pk=day.pk).name == "Diubah admin"


def test_first_run_prints_random_passwords_that_work():
    accounts = seed_json()
    passwords = [a["password"] for a in accounts]
    assert len(set(passwords)) == len(passwords)
    for a in accounts[:3]:
        assert authenticate(username=a["username"], password=a["password"]) is not None


def test_json_shape_and_roles():
    accounts = seed_json()
    assert isinstance(accounts, list)
    for a in accounts:
        assert {"username", "roles", "agency", "agencies"} <= set(a)
        assert "@" in a["username"]
        assert set(a["roles"]) <= set(Role.values)
        assert a["agency"] is None or a["agency"] == a["agencies"][0]
    by_name = {a["username"]: a for a in accounts}
    assert {role for a in accounts for role in a["roles"]} == set(Role.values)
    assert by_name["warga@demo.lapor.id"]["roles"] == ["pelapor"]
    assert by_name["warga@demo.lapor.id"]["agency"] is None
    assert by_name["operator@demo.lapor.id"]["roles"] == ["operator"]
    assert by_name["operator@demo.lapor.id"]["agency"] == "diskominfo"
    assert by_name["operator@demo.lapor.id"]["agencies"] == ["diskominfo"]
    assert by_name["penghubung.pu@demo.lapor.id"]["agency"] == "dinas-pu"
    assert by_name["kepala.pu@demo.lapor.id"]["roles"] == ["head"]
    assert by_name["auditor@demo.lapor.id"]["agency"] == "inspektorat"
    assert by_name["auditor.bkd@demo.lapor.id"]["agency"] == "bkd"
    assert by_name["admin@demo.lapor.id"]["roles"] == ["superadmin"]
    assert by_name["admin@demo.lapor.id"]["agency"] is None
    liaison_agencies = {a["agency"] for a in accounts if "liaison" in a["roles"]}
    assert Agency.objects.filter(slug__in=liaison_agencies, kind=AgencyKind.UNIT).exists()

    admin = User.objects.get(email="admin@demo.lapor.id")
    assert admin.is_staff and admin.is_superuser
    warga = User.objects.get(email="warga@demo.lapor.id")
    assert warga.email_verified and warga.privacy_consent_at and warga.phone.startswith("+62")


def test_json_prints_nothing_else():
    out = seed("--json")
    json.loads(out)  # the whole of stdout is the JSON document
    again = seed("--json")
    json.loads(again)


def test_password_option_sets_every_password_every_run():
    accounts = seed_json("--password", "x")
    assert all(a["password"] == "x" for a in accounts)
    for a in accounts:
        assert authenticate(username=a["username"], password="x") is not None
    counts = table_counts()
    accounts = seed_json("--password", "y")
    assert all(a["password"] == "y" for a in accounts)
    assert authenticate(username="operator@demo.lapor.id", password="y") is not None
    assert authenticate(username="operator@demo.lapor.id", password="x") is None
    assert table_counts() == counts


def test_sample_reports_cover_every_status_privacy_and_kind():
    seed()
    reports = Complaint.objects.all()
    assert 30 <= reports.count() <= 60
    assert set(reports.values_list("status", flat=True)) == set(Status.values)
    assert set(reports.values_list("privacy", flat=True)) == set(Privacy.values)
    assert set(reports.values_list("kind", flat=True)) == set(Kind.values)
    reasons = set(reports.filter(status=Status.ARSIP).values_list("archive_reason", flat=True))
    assert len(reasons) >= 4 and ArchiveReason.FORWARDED in reasons
    # An oversight report that names an OPD as terlapor goes to the Inspektorat, never to that OPD.
    accused = reports.get(privacy=Privacy.RAHASIA, terlapor_agency__slug="dinas-pu")
    assert accused.category.slug == "pungli"
    assert set(accused.dispositions.values_list("agency__slug", flat=True)) == {"inspektorat"}
    assert IdentityAccess.objects.filter(complaint=accused, kind=IdentityAccess.Kind.REVEAL).exists()
    # Moved through the workflow: every verified report has its "verified" timeline entry.
    for c in reports.exclude(verified_at=None):
        assert c.events.filter(type="verified").exists()


def test_sample_history_is_spread_over_the_past_and_ordered():
    seed()
    created = list(Complaint.objects.values_list("created_at", flat=True))
    assert (max(created) - min(created)).days >= 30
    for c in Complaint.objects.all():
        times = list(Event.objects.filter(complaint=c).order_by("pk").values_list("created_at", flat=True))
        assert times[0] == c.created_at
        assert all(t >= c.created_at for t in times)
        if c.verified_at:
            assert c.verified_at >= c.created_at
        if c.closed_at:
            assert c.closed_at >= (c.verified_at or c.created_at)
        for d in c.dispositions.all():
            assert d.created_at >= c.created_at
            if d.first_followup_at:
                assert d.first_followup_at >= d.created_at


def test_demo_staff_are_enrolled_and_their_secrets_printed():
    """docs/product.md §8: `--json` gives `totp_secret` (base32) to every account that signs in with a
    second factor, so the demo and the acceptance tests can log in; the same on every run."""
    from base64 import b32decode

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    accounts = {a["username"]: a for a in seed_json()}
    for name in ("operator@demo.lapor.id", "auditor@demo.lapor.id", "admin@demo.lapor.id"):
        secret = accounts[name]["totp_secret"]
        device = TOTPDevice.objects.get(user__email=name, confirmed=True)
        assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
        assert totp(b32decode(secret + "=" * (-len(secret) % 8))) == totp(device.bin_key)
    for name in ("warga@demo.lapor.id", "penghubung.pu@demo.lapor.id", "kepala.pu@demo.lapor.id"):
        assert "totp_secret" not in accounts[name]
        assert not TOTPDevice.objects.filter(user__email=name).exists()
    again = {a["username"]: a for a in seed_json()}
    assert all(again[n].get("totp_secret") == accounts[n].get("totp_secret") for n in accounts)
    table = seed()
    assert "RAHASIA TOTP" in table and accounts["operator@demo.lapor.id"]["totp_secret"] in table


def test_the_accounts_are_kept_in_a_file_only_the_owner_reads(settings):
    accounts = seed_json()
    path = settings.DEMO_ACCOUNTS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert text.startswith("USERNAME")
    for a in accounts:
        assert a["username"] in text and a["password"] in text
    assert "RAHASIA TOTP" in text and accounts[0].get("totp_secret", "-") in text


def test_a_rerun_lists_no_password_but_the_file_keeps_the_first_ones(settings):
    first = {a["username"]: a["password"] for a in seed_json()}
    table = seed()
    assert all("password" not in a for a in seed_json())
    kept = settings.DEMO_ACCOUNTS_FILE.read_text()
    for username, password in first.items():
        assert authenticate(username=username, password=password) is not None
        assert password not in table
        assert password in kept


def test_a_password_the_file_remembers_wrongly_is_not_shown(settings):
    first = seed_json()
    user = User.objects.get(email=first[0]["username"])
    user.set_password("diganti-oleh-admin-123")
    user.save()
    seed()
    kept = settings.DEMO_ACCOUNTS_FILE.read_text()
    line = next(row for row in kept.splitlines() if row.startswith(user.email + " "))
    assert first[0]["password"] not in kept and "(tidak diubah)" in line
    assert first[1]["password"] in kept


def test_late_samples_escalate_and_make_last_months_sanctions():
    """Some demo reports ran late last month: the sweep escalated them (each step once, at its
    time) and last month's TPP recommendations list them, waiting for an auditor's decision."""
    from agencies import calendar
    from complaints.deadlines import sanctions
    from complaints.models import ClockStep, Sanction, StepKind

    seed()
    escalated = ClockStep.objects.filter(step=StepKind.ESCALATED, skipped=False)
    assert escalated.count() >= 2
    for step in escalated.select_related("clock"):
        assert step.due_at < step.done_at and step.clock.due_at < step.due_at
        assert step.event is not None and step.event.created_at == step.done_at
    month = sanctions.last_month()
    recommended = Sanction.objects.filter(month=month, status=Sanction.Status.RECOMMENDED)
    assert {"dinas-pu", "dinkes"} <= set(recommended.values_list("agency__slug", flat=True))
    for s in recommended:
        assert s.evidence and all(item["people"] for item in s.evidence)
        assert s.evidence_rows.count() == len(s.evidence)
    start, end = calendar.month_bounds(month)
    assert escalated.filter(due_at__gte=start, due_at__lt=end).count() >= 2
    # The auditor reviews them on the sanctions pages.
    from django.test import Client

    auditor = User.objects.get(email="auditor@demo.lapor.id")
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/sanksi/", {"bulan": month.strftime("%Y-%m")})
    assert page.status_code == 200 and "Dinas Pekerjaan Umum" in page.content.decode()
    # A second run adds nothing: no sweep replayed, no recommendation built again.
    counts = (ClockStep.objects.count(), Sanction.objects.count())
    seed()
    assert (ClockStep.objects.count(), Sanction.objects.count()) == counts
