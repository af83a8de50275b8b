"""`privacy.is_public` (one report in memory) and `privacy.public_filter` (SQL) are one rule: equal
on every combination of what they read."""

import itertools

import pytest
from django.utils import timezone

from complaints import privacy, workflow
from complaints.models import ArchiveReason, Complaint, Privacy, Status

pytestmark = pytest.mark.django_db

VERIFIED = (None, "now")
STATUSES = (Status.BELUM_TERVERIFIKASI, Status.PROSES, Status.SELESAI, Status.ARSIP)
REASONS = ("", *ArchiveReason.values)


def test_in_memory_and_sql_agree_on_every_combination(file_report):
    c = file_report()
    seen = {True: 0, False: 0}
    for verified, level, status, reason in itertools.product(VERIFIED, Privacy.values, STATUSES, REASONS):
        Complaint.objects.filter(pk=c.pk).update(
            verified_at=timezone.now() if verified else None, privacy=level, status=status, archive_reason=reason
        )
        c.refresh_from_db()
        in_sql = Complaint.objects.public().filter(pk=c.pk).exists()
        assert privacy.is_public(c) == in_sql, (verified, level, status, reason)
        seen[in_sql] += 1
    assert seen[True] and seen[False]  # both answers were reached


def test_support_is_offered_on_an_open_public_report_only_and_reads_no_row(disposed_report, django_assert_num_queries):
    c = disposed_report()
    with django_assert_num_queries(0):
        assert workflow.state_allows(c, workflow.Action.SUPPORT)
    c.privacy = Privacy.RAHASIA
    with django_assert_num_queries(0):
        assert not workflow.state_allows(c, workflow.Action.SUPPORT)
