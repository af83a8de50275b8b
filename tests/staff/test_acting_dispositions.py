"""`privacy.acting_dispositions_filter` (the OPD lists' condition, spelled for the database to join)
selects exactly the dispositions that the one privacy rule gives: those of the agency whose report
is in `visible_to(user)` and on which the user acts in the role (`acting_filter`), conflicts of
interest included, for users with several memberships too."""

import itertools

import pytest

from accounts.models import Role
from complaints import privacy, workflow
from complaints.models import Complaint, Disposition
from complaints.staff import selectors
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def by_the_rule(user, agency, *roles):
    reports = Complaint.objects.visible_to(user).filter(privacy.acting_filter(user, *roles))
    return set(
        Disposition.objects.filter(agency_id__in=agency.descendants_and_self_ids(), complaint__in=reports).values_list(
            "pk", flat=True
        )
    )


def test_agency_lists_match_the_privacy_rule(
    region, disposed_report, liaison_pu, head_pu, liaison_bina_marga, liaison_dinkes
):
    plain = disposed_report(title="Jalan rusak biasa")
    secret = disposed_report(title="Pungutan liar di kantor", privacy="rahasia")
    shared = disposed_report(title="Drainase dan puskesmas", agencies=("dinas-pu", "dinkes"))
    unit = disposed_report(title="Jembatan desa retak")
    workflow.subdispose(unit.pk, by=liaison_pu, disposition=unit.dispositions.get().pk, unit="dinas-pu-bina-marga")
    accused = disposed_report(title="Petugas PU meminta uang", agencies=("dinas-pu", "dinkes"))
    health = disposed_report(title="Obat puskesmas habis", agencies=("dinkes",), category=region.health)
    # A report that names Dinas PU as terlapor while PU holds a disposition (named after disposal).
    Complaint.objects.filter(pk=accused.pk).update(terlapor_agency=region.bina_marga)
    Complaint.objects.filter(pk=health.pk).update(terlapor_agency=region.pu)
    mixed = make_user("campur@pemda.go.id", "Campur Peran", ("liaison", region.bina_marga), ("head", region.dinkes))
    other = make_user("kepala.ganda@pemda.go.id", "Kepala Ganda", ("head", region.pu), ("liaison", region.dinkes))
    users = [liaison_pu, head_pu, liaison_bina_marga, liaison_dinkes, mixed, other]
    agencies = [region.pu, region.bina_marga, region.dinkes]
    role_sets = [(Role.LIAISON, Role.HEAD), (Role.HEAD,), (Role.LIAISON,)]
    nonempty = 0
    for user, agency, roles in itertools.product(users, agencies, role_sets):
        expected = by_the_rule(user, agency, *roles)
        got = set(selectors.agency_dispositions(user, agency, *roles).values_list("pk", flat=True))
        assert got == expected, (user.email, agency.slug, roles)
        nonempty += bool(expected)
    assert nonempty > 10  # the comparison covered real lists, not only empty ones
    pu = set(selectors.agency_dispositions(liaison_pu, region.pu, Role.LIAISON).values_list("complaint_id", flat=True))
    assert {plain.pk, secret.pk, shared.pk, unit.pk} <= pu
    assert accused.pk not in pu  # the conflict rule: PU never works on a report accusing PU


def test_operator_reports_match_the_privacy_rule(region, file_report, disposed_report, operator, head_pu, auditor):
    """`privacy.acting_reports` (the operator's queue) gives exactly `visible_to` narrowed to the
    acting branches, conflicts of interest included, for every staff role."""
    plain = disposed_report(title="Jalan rusak biasa")
    secret = disposed_report(title="Pungutan liar di kantor", privacy="rahasia")
    unverified = file_report(title="Belum diverifikasi")
    kominfo = file_report(title="Petugas Diskominfo lambat")
    Complaint.objects.filter(pk=kominfo.pk).update(terlapor_agency=region.diskominfo)
    both = make_user("dua.peran@pemda.go.id", "Dua Peran", ("operator", region.diskominfo), ("head", region.pu))
    users = [operator, head_pu, auditor, both]
    role_sets = [(Role.OPERATOR,), (Role.AUDITOR,), (Role.HEAD,), (Role.OPERATOR, Role.HEAD)]
    for user, roles in itertools.product(users, role_sets):
        expected = set(
            Complaint.objects.visible_to(user).filter(privacy.acting_filter(user, *roles)).values_list("pk", flat=True)
        )
        assert set(privacy.acting_reports(user, *roles).values_list("pk", flat=True)) == expected, (user.email, roles)
    queue = set(selectors.operator_reports(operator).values_list("pk", flat=True))
    assert {plain.pk, secret.pk, unverified.pk} <= queue
    assert kominfo.pk not in queue  # an operator never works on a report accusing Diskominfo
