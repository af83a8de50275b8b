"""Personas and factories shared by the whole suite.

Region: Diskominfo; OPDs Dinas PU (with unit Bina Marga) and Dinas Kesehatan (with Puskesmas
Kota); Inspektorat, BKD, PPID. People: citizen (alice), other_citizen (bob), operator, liaison_pu,
liaison_dinkes, head_pu, auditor (Inspektorat), auditor_bkd, liaison_bina_marga, observer (an
Ombudsman auditor), superadmin and liaison_without_agency (roles without an agency).
"""

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On PostgreSQL, a `replica_1` alias mirroring the test database when DATABASE_REPLICA_URLS
    gave none (Django's TEST MIRROR: the alias opens its own connection to the test database and
    nothing is created for it), so the routing tests of tests/test_read_replicas.py run in every
    PostgreSQL run, CI's included. Nothing reads from it unless a test turns replicas on."""
    from django.conf import settings
    from django.db import connections

    databases = settings.DATABASES
    if databases["default"]["ENGINE"] == "django.db.backends.postgresql" and "replica_1" not in databases:
        databases["replica_1"] = {
            **databases["default"],
            "ATOMIC_REQUESTS": False,
            "OPTIONS": dict(databases["default"]["OPTIONS"]),
            "TEST": {"MIRROR": "default"},
        }
        connections.configure_settings(databases)  # the defaults the handler gives every alias


@pytest.fixture(scope="session", autouse=True)
def _static_root(tmp_path_factory):
    """Tests never run collectstatic: whitenoise gets an (empty) STATIC_ROOT that exists, or it
    warns "No directory at …" for every test client and the live server; the files come from the
    finders. Session-wide, so it is in place before the live server starts."""
    from django.test.utils import override_settings

    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static")):
        yield


@pytest.fixture(autouse=True)
def _isolated_services(settings, tmp_path):
    """Each test: in-process cache, eager Celery, media in a temporary folder, fresh calendar and
    reference lists, the default language (a request in English leaves English active in the thread, and a later test
    calling gettext directly would read English)."""
    from django.utils import translation

    from agencies import calendar, reference
    from lapor.celery import app

    translation.activate(settings.LANGUAGE_CODE)

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # LocMemCache keeps its data in a module-level dict shared by every instance of the same
    # location: without a clear, one test's login lock or cached count would reach the next.
    from django.core.cache import cache

    cache.clear()
    settings.LIST_COUNT_CACHE_SECONDS = 0  # a test reads its own writes; the cache has its own test
    settings.DASHBOARD_CACHE_SECONDS = 0  # likewise; the dashboard cache tests turn it on
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # likewise; tests/test_page_cache.py turns it on
    # A test reads its own writes inside its transaction, which a replica's connection cannot see;
    # tests/test_read_replicas.py turns replicas on.
    settings.DATABASE_REPLICAS = []
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_ACCOUNTS_FILE = tmp_path / "demo-accounts.txt"
    settings.SMS_BACKEND = "tests.conftest.RecordingSms"
    app.conf.task_always_eager = True
    RecordingSms.sent.clear()
    calendar.invalidate()
    reference.invalidate()
    yield
    calendar.invalidate()
    reference.invalidate()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _second_factor_passed_on_force_login(request, monkeypatch):
    """`client.force_login(staff)` and `client.login(...)` stand for a finished sign-in: for staff
    who must use a second factor (docs/product.md §9) the session is also marked as having passed
    it, with a TOTP device made for the account if it has none, so that tests of what staff do
    need not type codes. Tests of the second factor itself opt out with
    `@pytest.mark.real_second_factor` and sign in through the login forms."""
    if request.node.get_closest_marker("real_second_factor"):
        yield
        return
    from django.test import Client

    original = Client._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        mark_second_factor_passed(self, user)

    monkeypatch.setattr(Client, "_login", _login)
    yield


def mark_second_factor_passed(client, user):
    """Mark `client`'s session as verified by the account's TOTP device (made if missing)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.second_factor import needs_second_factor

    if not needs_second_factor(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def totp_code(user, offset=0):
    """The current code (or the one `offset` time steps away) of `user`'s TOTP device, as the
    authenticator app on their phone would show it."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + offset * device.step
    return f"{generator.token():0{device.digits}d}"


class RecordingSms:
    """The SMS gateway is the outside world: record instead of sending."""

    sent = []

    def send(self, to, text):
        RecordingSms.sent.append((to, text))


@pytest.fixture
def sms_outbox():
    return RecordingSms.sent


# Region ----------------------------------------------------------------------------------------
@pytest.fixture
def client_for(db):
    """client_for(user) → a test client with that user's session (tests/api/ has its own: a token)."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_client_for(db):
    """api_client_for(user) → a DRF client carrying an API token of that user."""
    from rest_framework.test import APIClient

    from accounts.auth import issue_token

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
        return client

    return make


# (attribute, slug, name, kind, parent attribute): the region's agencies, in the order they are made.
REGION_AGENCIES = (
    ("diskominfo", "diskominfo", "Diskominfo", "DISKOMINFO", None),
    ("pu", "dinas-pu", "Dinas PU", "OPD", None),
    ("bina_marga", "dinas-pu-bina-marga", "Bidang Bina Marga", "UNIT", "pu"),
    ("dinkes", "dinkes", "Dinas Kesehatan", "OPD", None),
    ("puskesmas", "dinkes-puskesmas-kota", "Puskesmas Kota", "UNIT", "dinkes"),
    ("inspektorat", "inspektorat", "Inspektorat", "INSPEKTORAT", None),
    ("bkd", "bkd", "BKD", "BKD", None),
    ("ppid", "ppid", "PPID", "PPID", None),
)


def build_region(r, without=()):
    """Make the region's agencies (but those named in `without`), the kecamatan Kota with its
    kelurahan Lamokato and the roads category (Dinas PU) as attributes of `r`; returns `r`."""
    from agencies.models import Agency, AgencyKind, Area, Category

    for attr, slug, name, kind, parent in REGION_AGENCIES:
        if attr not in without:
            parent_agency = getattr(r, parent) if parent else None
            agency = Agency.objects.create(
                slug=slug, name=name, short_name=name, kind=AgencyKind[kind], parent=parent_agency
            )
            setattr(r, attr, agency)
    r.kecamatan = Area.objects.create(name="Kota", code="01", level=Area.Level.KECAMATAN)
    r.kelurahan = Area.objects.create(name="Lamokato", code="01.01", level=Area.Level.KELURAHAN, parent=r.kecamatan)
    r.roads = Category.objects.create(slug="jalan", name="Jalan dan jembatan", default_agency=r.pu)
    return r


@pytest.fixture
def region(db):
    from agencies.models import Category, SlaPolicy

    r = build_region(type("Region", (), {})())
    r.health = Category.objects.create(slug="kesehatan", name="Kesehatan", default_agency=r.dinkes)
    r.pungli = Category.objects.create(
        slug="pungli", name="Pungutan liar", default_agency=r.inspektorat, oversight=True
    )
    r.info = Category.objects.create(slug="informasi", name="Informasi publik", default_agency=r.ppid)
    SlaPolicy.current()
    return r


@pytest.fixture
def kota_areas(region):
    """The region with polygons: kecamatan Kota, its kelurahan Lamokato (west) and Watubangga (east)."""
    from shapely.geometry import box

    from agencies.areas import set_boundary
    from agencies.models import Area

    set_boundary(region.kecamatan, box(121.89, -4.62, 121.92, -4.59))
    set_boundary(region.kelurahan, box(121.89, -4.62, 121.905, -4.59))
    region.watubangga = Area.objects.create(
        name="Watubangga", code="01.02", level=Area.Level.KELURAHAN, parent=region.kecamatan
    )
    set_boundary(region.watubangga, box(121.905, -4.62, 121.92, -4.59))
    return region


def make_user(email, full_name, *roles, phone=None):
    from accounts.models import Membership, User

    user = User.objects.create_user(
        email=email,
        password="rahasia-sekali-123",
        full_name=full_name,
        display_name=full_name.split()[0],
        phone=phone,
        email_verified=True,
    )
    for role, agency in roles:
        Membership.objects.create(user=user, role=role, agency=agency)
    return User.objects.get(pk=user.pk)


def fail_logins(client, times):
    """Sign in as the citizen (alice@warga.id) `times` times with a wrong password (salah-0,
    salah-1, …) through the login form; returns the last answer."""
    for attempt in range(times):
        response = client.post("/akun/masuk/", {"username": "alice@warga.id", "password": f"salah-{attempt}"})
    return response


# The citizen's profile form (/akun/profil/) as it shows her details.
ALICE_PROFILE = {
    "full_name": "Alice Rahmawati",
    "display_name": "Alice",
    "email": "alice@warga.id",
    "phone": "0852-9860-111",
    "language": "id",
}


def profile_form(**changes):
    """The citizen's profile form with `changes` (a change of email or phone also wants the
    current_password)."""
    return {**ALICE_PROFILE, **changes}


def check_a_success_resets_the_count(client, failures):
    """`failures` wrong passwords, then the right one signs in; after it, as many wrong ones again
    are only wrong passwords (the count started from zero), not a lockout."""
    fail_logins(client, failures)
    assert (
        client.post("/akun/masuk/", {"username": "alice@warga.id", "password": "rahasia-sekali-123"}).status_code == 302
    )
    client.post("/akun/keluar/")
    assert fail_logins(client, failures).status_code == 400  # counting from zero again


@pytest.fixture
def citizen(db):
    return make_user("alice@warga.id", "Alice Rahmawati", phone="0852-9860-111")


@pytest.fixture
def other_citizen(db):
    return make_user("bob@warga.id", "Bob Santoso", phone="+62 813 1111 2222")


def staff_fixture(email, full_name, role, agency, doc=None):
    """A fixture: a member `full_name` with `role` in the region's agency named by the attribute
    `agency` (None: a membership without an agency)."""

    def persona(region):
        return make_user(email, full_name, (role, getattr(region, agency) if agency else None))

    persona.__doc__ = doc
    return pytest.fixture(persona)


operator = staff_fixture("operator@kominfo.go.id", "Opi Operator", "operator", "diskominfo")
liaison_pu = staff_fixture("pu@pemda.go.id", "Lia Penghubung", "liaison", "pu")
liaison_bina_marga = staff_fixture("binamarga@pemda.go.id", "Budi Bina", "liaison", "bina_marga")
liaison_dinkes = staff_fixture("dinkes@pemda.go.id", "Dina Kes", "liaison", "dinkes")
head_pu = staff_fixture("kepala.pu@pemda.go.id", "Kepala PU", "head", "pu")
head_diskominfo = staff_fixture(
    "kepala@kominfo.go.id",
    "Kepala Kominfo",
    "head",
    "diskominfo",
    doc="The head of Diskominfo: answers for the operators' clocks, reads what operators read.",
)
auditor = staff_fixture("auditor@inspektorat.go.id", "Audi Tor", "auditor", "inspektorat")
auditor_bkd = staff_fixture("auditor@bkd.go.id", "Bkd Auditor", "auditor", "bkd")


@pytest.fixture
def observer(region):
    """An auditor of an external observer (Ombudsman): reads every report, decides no sanction."""
    from agencies.models import Agency, AgencyKind

    ombudsman = Agency.objects.create(slug="ombudsman", name="Ombudsman RI", kind=AgencyKind.OBSERVER)
    return make_user("pengamat@ombudsman.go.id", "Omar Pengamat", ("auditor", ombudsman))


@pytest.fixture
def superadmin(db):
    """The system owner: a role without an agency."""
    from accounts.models import User

    user = User.objects.create_superuser(email="root@pemda.go.id", password="x", full_name="Super Admin")
    return User.objects.get(pk=user.pk)


liaison_without_agency = staff_fixture(
    "tanpa.instansi@pemda.go.id",
    "Tanpa Instansi",
    "liaison",
    None,
    doc="A liaison membership without an agency (the admin form refuses one; the data can still hold "
    "it): it gives no OPD role on any report.",
)


@pytest.fixture
def file_report(region, citizen):
    """file_report(privacy=..., **fields) → a new belum_terverifikasi report by `citizen`."""
    from complaints import workflow

    def make(reporter=None, privacy="umum", category=None, **fields):
        fields.setdefault("title", "Jalan berlubang di depan pasar")
        fields.setdefault("body", "Lubang besar di Jalan Poros, sudah dua minggu belum diperbaiki.")
        return workflow.file_complaint(
            reporter=reporter or citizen, privacy=privacy, category=category or region.roads, **fields
        )

    return make


@pytest.fixture
def disposed_report(file_report, operator, region):
    """disposed_report(privacy=...) → verified and disposed to Dinas PU."""
    from complaints import workflow

    def make(privacy="umum", agencies=("dinas-pu",), **fields):
        c = file_report(privacy=privacy, **fields)
        workflow.verify(c.pk, by=operator, agencies=list(agencies))
        c.refresh_from_db()
        return c

    return make


@pytest.fixture(autouse=True)
def _broker_circuit_closed():
    """notify.enqueue leaves a broker that just failed alone for a while; every test starts (and
    ends) with that memory cleared, so an outage simulated in one test never leaks into another."""
    from complaints.outbox import notify

    yield from before_and_after(notify.reset_broker_state)


def before_and_after(reset):
    """For an autouse fixture (`yield from`): `reset()` before the test and again after it."""
    reset()
    yield
    reset()


@pytest.fixture
def open311_cut_mid_way(disposed_report, monkeypatch):
    """Three public requests, listed two per chunk, the database gone before the second chunk
    (OperationalError). Returns the chunk reader as it was, to put back."""
    from django.db import OperationalError

    from complaints.channels import open311

    for _i in range(3):
        disposed_report()
    monkeypatch.setattr(open311, "CHUNK", 2)
    read = open311._read_chunk
    calls = []

    def fails_second_time(qs, ids):
        calls.append(ids)
        if len(calls) > 1:
            raise OperationalError("server closed the connection unexpectedly")
        return read(qs, ids)

    monkeypatch.setattr(open311, "_read_chunk", fails_second_time)
    return read
