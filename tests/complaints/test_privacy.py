"""The §3 matrix over the one privacy rule: `visible_to` (lists) and `reporter_visible_to`
(identity), for every role × privacy level, including the edges of the table."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from complaints import workflow
from complaints.models import Complaint, IdentityAccess
from complaints.privacy import Level, can, get_complaint_or_404, reporter_identity, reporter_visible_to
from tests.conftest import staff_fixture

# privacy -> (sees the report, identity level, view is logged), for the rows several personas share
PUBLIC = {"umum": (True, Level.NAME, False), "anonim": (True, Level.NONE, False), "rahasia": (False, None, None)}
READS_ALL = {
    "umum": (True, Level.NAME, False),
    "anonim": (True, Level.NONE, False),
    "rahasia": (True, Level.NONE, False),
}
DISPOSED_OPD = {
    "umum": (True, Level.CONTACT, False),
    "anonim": (True, Level.NONE, False),
    "rahasia": (True, Level.NONE, False),
}

# (persona, privacy) -> (sees the report, identity level, view is logged)
MATRIX = {
    "anonymous": PUBLIC,
    "other_citizen": PUBLIC,
    "citizen": {
        "umum": (True, Level.FULL, False),
        "anonim": (True, Level.FULL, False),
        "rahasia": (True, Level.FULL, False),
    },
    "operator": {
        "umum": (True, Level.FULL, False),
        "anonim": (True, Level.FULL, True),
        "rahasia": (True, Level.FULL, True),
    },
    "liaison_pu": DISPOSED_OPD,
    "head_pu": DISPOSED_OPD,
    "liaison_dinkes": PUBLIC,
    "liaison_bina_marga": PUBLIC,
    "auditor": READS_ALL,
    "observer": READS_ALL,  # Ombudsman: an auditor of an observer agency
    "superadmin": READS_ALL,  # a role without an agency: reads everything, identity only through a reveal
    "liaison_without_agency": PUBLIC,  # no agency, so no OPD: the public's view
}


def persona(request, name):
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


@pytest.mark.django_db
@pytest.mark.parametrize("privacy", ["umum", "anonim", "rahasia"])
@pytest.mark.parametrize("name", list(MATRIX))
def test_matrix_on_a_disposed_report(request, disposed_report, name, privacy):
    report = disposed_report(privacy=privacy)
    user = persona(request, name)
    sees, level, logged = MATRIX[name][privacy]

    listed = Complaint.objects.visible_to(user).filter(pk=report.pk).exists()
    assert listed is sees
    if not sees:
        with pytest.raises(Http404):
            get_complaint_or_404(user, report.tracking_id)
        return
    assert get_complaint_or_404(user, report.tracking_id.lower()).pk == report.pk
    view = reporter_visible_to(report, user)
    assert view.level == level
    assert view.logged is logged

    before = IdentityAccess.objects.count()
    identity = reporter_identity(report, user)
    assert IdentityAccess.objects.count() == before + (1 if logged else 0)
    if level == Level.NONE:
        assert identity is None
    else:
        assert identity["display_name"] == "Alice"
        assert ("email" in identity) is (level >= Level.CONTACT)
        assert ("nik" in identity) is (level >= Level.FULL)


@pytest.mark.django_db
@pytest.mark.parametrize("privacy", ["umum", "anonim", "rahasia"])
@pytest.mark.parametrize(
    "name,sees",
    [
        ("anonymous", False),
        ("other_citizen", False),
        ("liaison_pu", False),
        ("liaison_dinkes", False),
        ("auditor", True),
        ("observer", True),
        ("superadmin", True),
        ("liaison_without_agency", False),
        ("operator", True),
        ("citizen", True),
    ],
)
def test_unverified_reports_are_private_to_reporter_and_oversight(request, file_report, name, sees, privacy):
    report = file_report(privacy=privacy)
    user = persona(request, name)
    assert Complaint.objects.visible_to(user).filter(pk=report.pk).exists() is sees


@pytest.mark.django_db
def test_archived_invalid_is_never_public(disposed_report, file_report, operator, other_citizen):
    report = file_report(privacy="umum")
    workflow.archive(report.pk, by=operator, reason="invalid", note="Laporan berisi iklan.")
    assert not Complaint.objects.visible_to(other_citizen).filter(pk=report.pk).exists()
    assert not Complaint.objects.visible_to(AnonymousUser()).filter(pk=report.pk).exists()


@pytest.mark.django_db
def test_staff_of_the_accused_agency_see_it_as_the_public(region, file_report, operator, liaison_pu, liaison_dinkes):
    report = file_report(privacy="rahasia", terlapor_agency=region.dinkes)
    workflow.verify(report.pk, by=operator, agencies=["dinas-pu"])
    assert not Complaint.objects.visible_to(liaison_dinkes).filter(pk=report.pk).exists()
    assert Complaint.objects.visible_to(liaison_pu).filter(pk=report.pk).exists()

    umum = file_report(privacy="umum", terlapor_agency=region.dinkes)
    workflow.verify(umum.pk, by=operator, agencies=["dinas-pu"])
    umum.refresh_from_db()
    assert reporter_visible_to(umum, liaison_dinkes).level == Level.NAME


head_dinkes = staff_fixture("kepala.dinkes@pemda.go.id", "Kepala Dinkes", "head", "dinkes")
liaison_puskesmas = staff_fixture("puskesmas@pemda.go.id", "Pus Kesmas", "liaison", "puskesmas")


@pytest.mark.django_db
@pytest.mark.parametrize("privacy", ["umum", "anonim", "rahasia"])
@pytest.mark.parametrize("name", ["liaison_dinkes", "head_dinkes", "liaison_puskesmas"])
def test_the_opd_named_as_terlapor_sees_only_what_the_public_sees(
    request, region, file_report, operator, name, privacy
):
    """Dinas Kesehatan (and the Puskesmas under it) is accused; the report went to Dinas PU and,
    before the accusation was recorded, to Dinas Kesehatan itself (so it even holds a returned
    disposition). Its staff get the public's view: the report only if public, never an identity."""
    report = file_report(privacy=privacy)
    workflow.verify(report.pk, by=operator, agencies=["dinas-pu", "dinkes"])
    liaison_dinkes = request.getfixturevalue("liaison_dinkes")
    d = report.dispositions.get(agency=region.dinkes)
    workflow.return_disposition(report.pk, by=liaison_dinkes, disposition=d.pk, reason="Kami yang dilaporkan.")
    workflow.reclassify(report.pk, by=operator, terlapor_agency=region.dinkes)
    report.refresh_from_db()
    user = request.getfixturevalue(name)

    public = privacy != "rahasia"
    assert Complaint.objects.visible_to(user).filter(pk=report.pk).exists() is public
    view = reporter_visible_to(report, user)
    assert view.level == (Level.NAME if privacy == "umum" else Level.NONE)
    assert not view.logged
    assert not can(user, "followup", report) and not can(user, "reply", report)
    before = IdentityAccess.objects.count()
    identity = reporter_identity(report, user)
    assert IdentityAccess.objects.count() == before
    assert identity is None or set(identity) == {"display_name"}


@pytest.mark.django_db
def test_operators_of_an_accused_diskominfo_get_no_identity(region, file_report, operator):
    from accounts.models import Membership, User

    report = file_report(privacy="rahasia", terlapor_agency=region.diskominfo)
    assert not Complaint.objects.visible_to(operator).filter(pk=report.pk).exists()
    assert not can(operator, "verify", report)
    # The superadmin names an operator outside Diskominfo for such reports.
    outsider = User.objects.create_user(email="ops@inspektorat.go.id", password="x-very-long-1")
    Membership.objects.create(user=outsider, role="operator", agency=region.inspektorat)
    outsider = User.objects.get(pk=outsider.pk)
    assert Complaint.objects.visible_to(outsider).filter(pk=report.pk).exists()
    assert can(outsider, "verify", report)
    assert reporter_visible_to(report, outsider).level == Level.FULL


@pytest.mark.django_db
def test_auditor_of_the_accused_inspektorat_is_excluded(region, file_report, auditor, auditor_bkd):
    report = file_report(privacy="rahasia", terlapor_agency=region.inspektorat)
    assert not Complaint.objects.visible_to(auditor).filter(pk=report.pk).exists()
    assert Complaint.objects.visible_to(auditor_bkd).filter(pk=report.pk).exists()


@pytest.mark.django_db
def test_subdisposed_unit_counts_as_disposed(disposed_report, liaison_pu, liaison_bina_marga, region):
    report = disposed_report(privacy="rahasia")
    assert not Complaint.objects.visible_to(liaison_bina_marga).filter(pk=report.pk).exists()
    d = report.dispositions.get()
    workflow.subdispose(report.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    assert Complaint.objects.visible_to(liaison_bina_marga).filter(pk=report.pk).exists()
    assert reporter_visible_to(report, liaison_bina_marga).level == Level.NONE


@pytest.mark.django_db
def test_returned_opd_keeps_history_without_identity(disposed_report, liaison_pu):
    report = disposed_report(privacy="umum")
    d = report.dispositions.get()
    workflow.return_disposition(
        report.pk, by=liaison_pu, disposition=d.pk, reason="Jalan provinsi, bukan kewenangan kami."
    )
    assert Complaint.objects.visible_to(liaison_pu).filter(pk=report.pk).exists()
    assert reporter_visible_to(report, liaison_pu).level == Level.NAME  # the public display name only
    assert not can(liaison_pu, "followup", report)


@pytest.mark.django_db
def test_privacy_raise_takes_effect_at_once(disposed_report, citizen, other_citizen):
    report = disposed_report(privacy="umum")
    assert Complaint.objects.visible_to(other_citizen).filter(pk=report.pk).exists()
    workflow.change_privacy(report.pk, by=citizen, privacy_level="rahasia")
    assert not Complaint.objects.visible_to(other_citizen).filter(pk=report.pk).exists()


@pytest.mark.django_db
def test_missing_and_forbidden_are_the_same_404(disposed_report, other_citizen):
    report = disposed_report(privacy="rahasia")
    with pytest.raises(Http404) as forbidden:
        get_complaint_or_404(other_citizen, report.tracking_id)
    with pytest.raises(Http404) as missing:
        get_complaint_or_404(other_citizen, "LPR-0000-0000")
    assert str(forbidden.value) == str(missing.value)


@pytest.mark.django_db
def test_visible_to_is_one_query(disposed_report, liaison_pu, django_assert_num_queries):
    for _ in range(3):
        disposed_report(privacy="rahasia")
    liaison = type(liaison_pu).objects.get(pk=liaison_pu.pk)
    liaison.memberships  # noqa: B018 - roles are loaded once per request
    from complaints.privacy import _subtree_ids

    _subtree_ids(liaison)
    with django_assert_num_queries(1):
        assert len(list(Complaint.objects.visible_to(liaison))) == 3
