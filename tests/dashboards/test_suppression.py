"""Complementary suppression: no hidden public cell can be worked out by subtraction from its
table's total or the other cells (the "36 = 13 + 12 + 9 + < 5" attack)."""

import itertools
import random
import re

import pytest
from django.core.cache import cache

from complaints import workflow
from complaints.dashboards.figures import SECONDARY, UNBOUNDED, protect
from complaints.models import Complaint, Status

LESS, MORE = "< 5", SECONDARY


def feasible_values(cells, total):
    """Every value each hidden cell can take, given the shown cells and the group's sum."""
    hidden = [i for i, c in enumerate(cells) if c in (LESS, MORE, UNBOUNDED)]
    rest = total - sum(c for c in cells if isinstance(c, int))
    bounds = {LESS: (1, 4), MORE: (5, max(rest, 5)), UNBOUNDED: (1, max(rest, 1))}
    ranges = [range(bounds[cells[i]][0], bounds[cells[i]][1] + 1) for i in hidden]
    seen = {i: set() for i in hidden}
    for combo in itertools.product(*ranges):
        if sum(combo) == rest:
            for i, v in zip(hidden, combo, strict=True):
                seen[i].add(v)
    return seen


def assert_protected(values):
    """Each hidden cell can take at least two values, for someone who knows the group's sum (a
    sum under five is itself shown as "< 5": then every cell is "< 5" and no sum is known)."""
    cells = protect(values)
    for i, v in enumerate(values):
        if isinstance(cells[i], int):
            assert cells[i] == v
        else:
            assert v > 0
            assert cells[i] == UNBOUNDED or (cells[i] == LESS) == (v < 5)
    if sum(values) < 5:
        assert all(c == LESS or c == 0 for c in cells)
        return cells
    for i, options in feasible_values(cells, sum(values)).items():
        assert values[i] in options
        assert len(options) >= 2, (values, cells, i, options)
    return cells


def test_the_reported_attack_is_closed():
    cells = assert_protected([13, 12, 9, 2])
    assert cells == [13, 12, MORE, LESS]


@pytest.mark.parametrize(
    "values",
    [
        [5, 1, 1],  # two "< 5" cells pinned to 1 each by their sum
        [6, 1],
        [1, 5, 30],  # a complement of exactly 5 with a 1 would pin both
        [0, 0, 3, 20],
        [4, 4, 4, 40],
        [7, 0, 2],
        [0, 1, 1],
        [0, 0, 3],
    ],
)
def test_crafted_groups(values):
    assert_protected(values)


def test_random_groups():
    rng = random.Random(17)
    for _ in range(300):
        values = [rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20]) for _ in range(rng.randint(2, 5))]
        if sum(values) > 45:
            continue
        assert_protected(values)


def test_nothing_is_hidden_without_need():
    assert protect([13, 12, 9, 7]) == [13, 12, 9, 7]
    assert protect([0, 0, 0]) == [0, 0, 0]


@pytest.mark.django_db
def test_statistics_page_status_table(region, file_report, operator, client):
    """36 published reports: 13 belum ditindaklanjuti, 12 proses, 9 selesai, 2 arsip."""
    cache.clear()
    made = []
    for n in range(36):
        c = file_report(title=f"Jalan rusak nomor {n}")
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        made.append(c.pk)
    Complaint.objects.filter(pk__in=made[13:25]).update(status=Status.PROSES)
    Complaint.objects.filter(pk__in=made[25:34]).update(status=Status.SELESAI)
    Complaint.objects.filter(pk__in=made[34:]).update(status=Status.ARSIP, archive_reason="out_of_scope")
    html = client.get("/statistik/").content.decode()
    stats = re.search(r'<ul class="stats">(.*?)</ul>', html, re.S).group(1)
    shown = [v.replace("&lt;", "<").replace("&gt;", ">") for v in re.findall(r"<strong>([^<]*)</strong>", stats)]
    assert shown[0] == "36"
    cells = [int(v) if v.isdigit() else v for v in shown[1:]]
    assert cells == [13, 12, MORE, LESS]
    for options in feasible_values(cells, 36).values():
        assert len(options) >= 2
    # The OPD scoreboard's selesai column (one OPD: 9) and the CSV say the same.
    csv = b"".join(client.get("/statistik/ekspor.csv", {"tabel": "opd"}).streaming_content).decode()
    assert "Dinas PU" in csv
