import re

import pytest

from complaints.models import TRACKING_ALPHABET, TRACKING_RE, Complaint, new_tracking_id


def test_format_and_alphabet():
    for _ in range(500):
        tid = new_tracking_id()
        assert re.fullmatch(TRACKING_RE, tid), tid
        assert not set(tid[4:].replace("-", "")) & set("ILOU")


def test_no_sequence_and_uniform_use_of_the_alphabet():
    ids = [new_tracking_id() for _ in range(4000)]
    assert len(set(ids)) == len(ids)
    # Consecutive ids share no common prefix pattern (no counter underneath).
    # "LPR-" and four random characters: two random ids share them once in about a million pairs,
    # a counter underneath would make most neighbours share them.
    same_prefix = sum(1 for a, b in zip(ids, ids[1:], strict=False) if a[:8] == b[:8])
    assert same_prefix <= 1
    chars = "".join(i[4:].replace("-", "") for i in ids)
    counts = {c: chars.count(c) for c in TRACKING_ALPHABET}
    expected = len(chars) / 32
    assert min(counts.values()) > expected * 0.7 and max(counts.values()) < expected * 1.3


@pytest.mark.django_db
def test_unique_in_the_database(file_report):
    tids = {file_report().tracking_id for _ in range(20)}
    assert len(tids) == 20
    assert Complaint._meta.get_field("tracking_id").unique


@pytest.mark.django_db
def test_a_colliding_draw_is_redrawn(file_report, monkeypatch):
    existing = file_report().tracking_id
    draws = iter([existing, existing, "LPR-ABCD-EFGH"])
    monkeypatch.setattr("complaints.models.new_tracking_id", lambda: next(draws))
    assert file_report().tracking_id == "LPR-ABCD-EFGH"
