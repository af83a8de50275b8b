"""The superadmin's Django admin: every page opens, reports are read-only, the reporter's identity
is never on the page and is reached only through the logged reveal."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from agencies.models import Agency, AgencyKind, Area, Category, Holiday, SlaPolicy
from complaints import workflow
from complaints.models import (
    Clock,
    ClockStep,
    Complaint,
    Event,
    EventType,
    IdentityAccess,
    Open311Key,
    Privacy,
    Sanction,
    StepKind,
)

pytestmark = pytest.mark.django_db

REPORTER_EMAIL = "rahasia.pelapor@warga.id"
REPORTER_PHONE = "+6285211223344"
REPORTER_NIK = "7406015207909999"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superadmin():
    user = User.objects.create_superuser(email="root@pemda.go.id", password="x", full_name="Super Admin")
    assert Membership.objects.filter(user=user, role=Role.SUPERADMIN, agency=None).exists()
    return user


@pytest.fixture
def admin_client(client, superadmin):
    client.force_login(superadmin)
    return client


@pytest.fixture
def report_factory():
    """report_factory(privacy) → a report by a reporter with an email, a phone and a NIK, verified
    and disposed to Dinas PU."""
    diskominfo = Agency.objects.create(slug="diskominfo", name="Diskominfo", kind=AgencyKind.DISKOMINFO)
    pu = Agency.objects.create(slug="dinas-pu", name="Dinas PU", short_name="Dinas PU", kind=AgencyKind.OPD)
    roads = Category.objects.create(slug="jalan", name="Jalan", default_agency=pu)
    SlaPolicy.current()
    reporter = User.objects.create_user(
        email=REPORTER_EMAIL,
        password="x",
        full_name="Wati Pelapor Rahasia",
        display_name="Wati",
        phone=REPORTER_PHONE,
        nik=REPORTER_NIK,
        email_verified=True,
    )
    operator = User.objects.create_user(email="op@kominfo.go.id", password="x", full_name="Opi")
    Membership.objects.create(user=operator, role=Role.OPERATOR, agency=diskominfo)

    def make(privacy):
        c = workflow.file_complaint(
            reporter=reporter,
            title="Jalan berlubang di depan pasar",
            body="Lubang besar, sudah dua minggu.",
            privacy=privacy,
            category=roads,
        )
        workflow.verify(c.pk, by=User.objects.get(pk=operator.pk), agencies=["dinas-pu"])
        return Complaint.objects.get(pk=c.pk)

    return make


@pytest.fixture
def protected_report(report_factory):
    return report_factory(Privacy.RAHASIA)


@pytest.fixture
def every_model(protected_report):
    """At least one row of every model the admin registers."""
    from django.contrib.auth.models import Group

    Group.objects.get_or_create(name="Pengelola")
    kecamatan = Area.objects.create(name="Kota Tengah", code="99.01.01", level=Area.Level.KECAMATAN)
    Area.objects.create(name="Pasar Baru", code="99.01.01.1001", level=Area.Level.KELURAHAN, parent=kecamatan)
    Holiday.objects.create(date=date(2026, 8, 17), name="Hari Kemerdekaan")
    clock = Clock.objects.filter(complaint=protected_report).first()
    ClockStep.objects.create(clock=clock, step=StepKind.REMINDER, due_at=clock.due_at, done_at=timezone.now())
    Sanction.objects.create(
        agency=Agency.objects.get(slug="dinas-pu"),
        month=date.today().replace(day=1),
        evidence=[{"report": protected_report.tracking_id}],
    )
    Open311Key.objects.create(name="Aplikasi kota")
    IdentityAccess.objects.create(
        complaint=protected_report, user=User.objects.get(email="op@kominfo.go.id"), kind=IdentityAccess.Kind.VIEW
    )


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_registered_model_has_working_pages(admin_client, every_model):
    assert admin_client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        response = admin_client.get(_url(model, "changelist"))
        assert response.status_code == 200, model
        obj = model.objects.first()
        assert obj is not None, f"no {model.__name__} row to open"
        response = admin_client.get(_url(model, "change", obj.pk))
        assert response.status_code == 200, model
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(_url(model, "add")).status_code == 200, model


def test_changelist_filters_and_search_work(admin_client, every_model):
    checks = [
        (Complaint, "?status__exact=belum_ditindaklanjuti&privacy__exact=rahasia"),
        (Complaint, "?q=LPR"),
        (Agency, "?kind__exact=opd&level=top"),
        (User, "?membership__role__exact=operator"),
        (User, "?q=op%40kominfo"),
        (Event, "?type__exact=verified"),
        (Clock, "?stopped_at__isempty=1"),
    ]
    for model, query in checks:
        assert admin_client.get(_url(model, "changelist") + query).status_code == 200, (model, query)


def test_seeded_demo_admin_pages_open(admin_client):
    call_command("seed_demo", "--password", "x", stdout=StringIO())
    for model in (Complaint, Agency, Category, User, Event):
        assert admin_client.get(_url(model, "changelist")).status_code == 200
    for c in Complaint.objects.all():
        assert admin_client.get(_url(Complaint, "change", c.pk)).status_code == 200


def test_user_list_hides_phone_and_nik_but_the_form_shows_them(admin_client, protected_report):
    reporter = protected_report.reporter
    listing = admin_client.get(_url(User, "changelist")).content.decode()
    assert REPORTER_EMAIL in listing  # the superadmin manages accounts by email
    assert REPORTER_PHONE not in listing and REPORTER_NIK not in listing
    form = admin_client.get(_url(User, "change", reporter.pk)).content.decode()
    assert REPORTER_PHONE in form and REPORTER_NIK in form
    # Searching by phone or NIK finds nothing: no lookup of people by their personal data.
    found = admin_client.get(_url(User, "changelist") + f"?q={REPORTER_NIK}").content.decode()
    assert REPORTER_EMAIL not in found


def staff_change_form(role, agency, **fields):
    """The admin's change form of the account "Pegawai Baru" with one role (a Membership row)."""
    return {
        "email": "baru@pemda.go.id",
        "full_name": "Pegawai Baru",
        "preferred_language": "id",
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "08:00:00",
        "membership_set-TOTAL_FORMS": "1",
        "membership_set-INITIAL_FORMS": "0",
        "membership_set-0-role": role,
        "membership_set-0-agency": agency,
        **fields,
    }


def test_user_can_be_added_with_roles(admin_client):
    Agency.objects.create(slug="dinkes", name="Dinas Kesehatan", kind=AgencyKind.OPD)
    response = admin_client.post(
        _url(User, "add"),
        {
            "email": "Baru@Pemda.go.id",
            "full_name": "Pegawai Baru",
            "usable_password": "true",
            "password1": "sandi-yang-panjang-123",
            "password2": "sandi-yang-panjang-123",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="baru@pemda.go.id")
    assert user.check_password("sandi-yang-panjang-123")
    # Then its roles, on the change page (the Membership inline).
    dinkes = Agency.objects.get(slug="dinkes")
    response = admin_client.post(
        _url(User, "change", user.pk),
        staff_change_form("liaison", str(dinkes.pk), display_name="", phone="0812-3456-7890", nik="", nip=""),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.phone == "+6281234567890"
    assert Membership.objects.filter(user=user, role=Role.LIAISON, agency=dinkes).exists()
    # A liaison needs an agency (Membership.clean): the inline refuses one without.
    response = admin_client.post(
        _url(User, "change", user.pk),
        staff_change_form("head", ""),
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=user, role=Role.HEAD).exists()


def test_complaint_pages_do_not_show_the_reporter(admin_client, protected_report):
    pages = [
        admin_client.get(_url(Complaint, "changelist")),
        admin_client.get(_url(Complaint, "change", protected_report.pk)),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert REPORTER_EMAIL not in html
        assert REPORTER_PHONE not in html
        assert REPORTER_NIK not in html
        assert "Wati Pelapor Rahasia" not in html
    change = pages[1].content.decode()
    assert protected_report.tracking_id in change
    assert "Buka identitas (tercatat)" in change
    assert reverse("admin:complaints_complaint_reveal", args=[protected_report.pk]) in change
    # Nothing to save: status and history change only through the workflow.
    assert 'name="_save"' not in change
    assert not IdentityAccess.objects.filter(complaint=protected_report).exists()


def test_complaint_admin_cannot_change_add_or_delete(admin_client, protected_report):
    url = _url(Complaint, "change", protected_report.pk)
    response = admin_client.post(url, {"title": "Diubah", "status": "selesai"})
    assert response.status_code == 403
    protected_report.refresh_from_db()
    assert protected_report.title == "Jalan berlubang di depan pasar"
    assert protected_report.status == "belum_ditindaklanjuti"
    assert admin_client.get(_url(Complaint, "add")).status_code == 403
    assert admin_client.post(_url(Complaint, "delete", protected_report.pk), {"post": "yes"}).status_code == 403
    assert Complaint.objects.filter(pk=protected_report.pk).exists()
    event = Event.objects.filter(complaint=protected_report).first()
    assert admin_client.post(_url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403


def _reveal_flow(client, superadmin, report):
    url = reverse("admin:complaints_complaint_reveal", args=[report.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert REPORTER_EMAIL not in form.content.decode()
    assert not IdentityAccess.objects.exists()

    too_short = client.post(url, {"reason": "cek"})
    assert too_short.status_code == 200
    assert REPORTER_EMAIL not in too_short.content.decode()
    assert not IdentityAccess.objects.filter(kind=IdentityAccess.Kind.REVEAL).exists()

    reason = "Pemeriksaan pengaduan balik atas dugaan laporan palsu."
    response = client.post(url, {"reason": reason})
    assert response.status_code == 200
    html = response.content.decode()
    assert REPORTER_EMAIL in html and REPORTER_PHONE in html and REPORTER_NIK in html
    access = IdentityAccess.objects.get(complaint=report, kind=IdentityAccess.Kind.REVEAL)
    assert access.user == superadmin and access.reason == reason and access.role == Role.SUPERADMIN
    assert Event.objects.filter(complaint=report, type=EventType.REVEALED, body=reason).exists()


@pytest.mark.parametrize("privacy", [Privacy.UMUM, Privacy.ANONIM])
def test_reveal_asks_for_a_reason_then_logs_and_shows_the_identity(admin_client, superadmin, report_factory, privacy):
    _reveal_flow(admin_client, superadmin, report_factory(privacy))


def test_reveal_of_a_rahasia_report(admin_client, superadmin, protected_report):
    _reveal_flow(admin_client, superadmin, protected_report)


def test_reveal_refused_without_a_role(client, protected_report):
    """A Django superuser without the superadmin role (or a conflict) gets no identity."""
    bare = User.objects.create_user(email="bare@pemda.go.id", password="x", is_staff=True, is_superuser=True)
    client.force_login(bare)
    url = reverse("admin:complaints_complaint_reveal", args=[protected_report.pk])
    response = client.post(url, {"reason": "Alasan yang cukup panjang untuk dicoba."})
    assert response.status_code == 200
    assert REPORTER_EMAIL not in response.content.decode()
    assert not IdentityAccess.objects.exists()


def test_reveal_is_staff_only(client, protected_report):
    client.force_login(protected_report.reporter)
    url = reverse("admin:complaints_complaint_reveal", args=[protected_report.pk])
    response = client.post(url, {"reason": "Alasan yang cukup panjang untuk dicoba."})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not IdentityAccess.objects.exists()


def test_sla_policy_is_one_row(admin_client):
    SlaPolicy.current()
    response = admin_client.get(_url(SlaPolicy, "add"))
    assert response.status_code == 403
    response = admin_client.post(_url(SlaPolicy, "delete", 1), {"post": "yes"})
    assert response.status_code == 403
    response = admin_client.get(_url(SlaPolicy, "change", 1))
    assert response.status_code == 200


def test_open311_key_can_be_added(admin_client):
    response = admin_client.post(_url(Open311Key, "add"), {"name": "Aplikasi warga", "is_active": "on"})
    assert response.status_code == 302
    key = Open311Key.objects.get(name="Aplikasi warga")
    assert len(key.key) == 64


def test_holiday_admin_lists_by_date(admin_client):
    Holiday.objects.create(date=date(2026, 3, 19), name="Hari Suci Nyepi")
    response = admin_client.get(_url(Holiday, "changelist") + "?date__year=2026&kind__exact=national")
    assert response.status_code == 200
    assert "Hari Suci Nyepi" in response.content.decode()
    assert (
        admin_client.get(_url(Holiday, "changelist") + f"?date__gte={date.today() - timedelta(days=1)}").status_code
        == 200
    )
