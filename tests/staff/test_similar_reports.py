"""Possible duplicates on the operator's review page (`selectors.similar_reports`): among the newest
open reports of the same category and kecamatan the operator works on, those that resemble the
report come first, then the others, newest first; the lookup is bounded by the number of
candidates, not by how many reports match a common word."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from complaints import workflow
from complaints.models import Complaint, Kind
from complaints.staff import selectors

pytestmark = pytest.mark.django_db


def titles(found):
    return [c.title for c in found]


def filed_days_ago(file_report, days, **fields):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days), tick=False):
        return file_report(**fields)


def test_resembling_reports_first_then_the_newest(file_report, disposed_report, operator, region):
    c = file_report(title="Jalan berlubang di depan pasar", kecamatan=region.kecamatan)
    like = filed_days_ago(
        file_report,
        3,
        title="Lubang besar jalan depan pasar",
        body="Jalan berlubang dekat pasar.",
        kecamatan=region.kecamatan,
    )
    disposed = disposed_report(title="Pasar: jalan berlubang lagi", kecamatan=region.kecamatan)
    other = file_report(title="Trotoar retak", body="Trotoar retak di taman.", kecamatan=region.kecamatan)
    found = selectors.similar_reports(c, operator)
    assert set(titles(found[:2])) == {like.title, disposed.title}  # an unverified one too
    assert all(s.similar for s in found[:2])
    assert titles(found[2:]) == [other.title] and not found[2].similar
    assert c.pk not in [s.pk for s in found]


def test_only_open_reports_of_the_same_category_and_kecamatan(file_report, operator, region):
    from agencies.models import Area

    elsewhere = Area.objects.create(name="Lain", code="02", level=Area.Level.KECAMATAN)
    c = file_report(kecamatan=region.kecamatan)
    file_report(kecamatan=elsewhere)
    file_report(kecamatan=region.kecamatan, category=region.health)
    closed = file_report(kecamatan=region.kecamatan)
    workflow.archive(closed.pk, by=operator, reason="invalid", note="Bukan laporan.")
    assert selectors.similar_reports(c, operator) == []


def test_reports_accusing_the_operators_organisation_are_not_offered(file_report, operator, region):
    c = file_report(kecamatan=region.kecamatan)
    accusing = file_report(kecamatan=region.kecamatan)
    Complaint.objects.filter(pk=accusing.pk).update(terlapor_agency=region.diskominfo)
    assert selectors.similar_reports(c, operator) == []


def test_only_the_newest_candidates_are_compared(file_report, operator, region, monkeypatch):
    monkeypatch.setattr(selectors, "SIMILAR_CANDIDATES", 2)
    c = file_report(title="Jembatan gantung putus", body="Jembatan gantung Sungai Rejo putus.")
    filed_days_ago(file_report, 30, title="Jembatan gantung putus lagi", body="Jembatan gantung Sungai Rejo putus.")
    newer = [filed_days_ago(file_report, days, title=f"Trotoar retak {days}") for days in (2, 1)]
    found = selectors.similar_reports(c, operator)
    assert titles(found) == [newer[1].title, newer[0].title]  # the old duplicate is past the bound


def test_a_report_without_a_category_is_compared_with_the_others_without_one(file_report, citizen, operator):
    def uncategorised(title):
        return workflow.file_complaint(reporter=citizen, title=title, body=title, kind=Kind.INFORMASI)

    c = uncategorised("Minta data anggaran jalan desa")
    like = uncategorised("Permintaan data anggaran jalan")
    file_report(title="Minta data anggaran jalan desa")  # in a category
    assert titles(selectors.similar_reports(c, operator)) == [like.title]


def test_what_was_found_is_kept_for_a_while_the_reports_read_fresh(
    file_report, operator, region, settings, django_assert_num_queries
):
    settings.LIST_COUNT_CACHE_SECONDS = 30
    c = file_report(kecamatan=region.kecamatan)
    first, second = (
        file_report(kecamatan=region.kecamatan, title=f"Jalan berlubang di depan pasar {i}") for i in (1, 2)
    )
    assert titles(selectors.similar_reports(c, operator)) == [second.title, first.title]
    later = file_report(kecamatan=region.kecamatan, title="Jalan berlubang di depan pasar 3")
    workflow.archive(first.pk, by=operator, reason="invalid", note="Bukan laporan.")
    with django_assert_num_queries(1):  # the same one query as when nothing was kept
        kept = selectors.similar_reports(c, operator)
    assert titles(kept) == [second.title]  # the archived one drops out; the new one waits
    assert kept[0].similar
    c.save()  # a new version of the report: looked for again
    assert titles(selectors.similar_reports(c, operator)) == [later.title, second.title]
