"""The conflict rule on disposition rows: `privacy._report_not_accused` (the anti-join the staff
lists and their totals use) selects exactly the rows of `_not_accused(…, via="complaint__")`."""

import pytest

from complaints import privacy
from complaints.models import Complaint, Disposition

pytestmark = pytest.mark.django_db


def test_both_spellings_of_the_conflict_rule_select_the_same_dispositions(region, disposed_report):
    # Reports accusing nobody, an OPD, a unit of it, another OPD; each disposed to PU, to its unit
    # and to Dinas Kesehatan.
    accused = (None, region.pu, region.bina_marga, region.dinkes, region.puskesmas, region.inspektorat)
    for agency in accused:
        c = disposed_report(agencies=("dinas-pu", "dinas-pu-bina-marga", "dinkes"))
        Complaint.objects.filter(pk=c.pk).update(terlapor_agency=agency)
    everything = set(Disposition.objects.values_list("pk", flat=True))
    assert len(everything) == 3 * len(accused)
    checked = 0
    for member in (None, region.pu, region.bina_marga, region.dinkes, region.puskesmas, region.diskominfo):
        joined = set(
            Disposition.objects.filter(privacy._not_accused(member, via="complaint__")).values_list("pk", flat=True)
        )
        anti = set(Disposition.objects.filter(privacy._report_not_accused(member)).values_list("pk", flat=True))
        assert anti == joined, member
        if member is not None and member.root_id in (region.pu.pk, region.dinkes.pk):
            # Accusing the organisation or any unit of it hides the report's rows from its staff.
            assert len(everything - anti) == 3 * 2
            checked += 1
    assert checked == 4
