"""What the staff lists render through their shortcuts is what the plain Django way renders: the
countdown tag (`{% countdown %}`, rendered once per distinct countdown, language and time zone) and
the choice labels (`get_FOO_display`, translated once per language)."""

import datetime

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.models import Complaint, Disposition, DispositionStatus
from complaints.staff.selectors import Countdown

pytestmark = pytest.mark.django_db

DUE = datetime.datetime(2026, 11, 9, 16, 59, 59, 999999, tzinfo=datetime.UTC)
COUNTDOWNS = [
    Countdown(due=DUE, days=3, overdue=False),
    Countdown(due=DUE, days=1, overdue=False),
    Countdown(due=DUE, days=0, overdue=False),
    Countdown(due=DUE, days=2, overdue=True),
    Countdown(due=DUE, days=0, overdue=True),
    None,
]


@pytest.mark.parametrize("debug", [False, True])
def test_the_countdown_tag_renders_the_template(settings, debug):
    settings.DEBUG = debug
    tag = Template("{% load countdowns %}{% countdown cd %}")
    seen = set()
    for language in ("id", "en"):
        for zone in ("Asia/Jakarta", "Asia/Jayapura"):
            with translation.override(language), timezone.override(zone):
                for cd in COUNTDOWNS:
                    expected = render_to_string("staff/_countdown.html", {"cd": cd})
                    assert tag.render(Context({"cd": cd})) == expected
                    assert tag.render(Context({"cd": cd})) == expected  # again, from the cache
                    seen.add(expected)
    # The cache keeps languages and time zones apart: they render differently.
    assert len(seen) > len(COUNTDOWNS) * 2
    with translation.override("en"), timezone.override("Asia/Jakarta"):
        assert "3 more working days" in tag.render(Context({"cd": COUNTDOWNS[0]}))


def test_choice_labels_follow_the_language(disposed_report):
    c = Complaint.objects.get(pk=disposed_report().pk)
    d = Disposition.objects.get(complaint=c)
    with translation.override("id"):
        assert (c.get_status_display(), d.get_status_display()) == ("Belum ditindaklanjuti", "Menunggu")
    with translation.override("en"):
        assert d.get_status_display() == "Waiting"
        assert c.get_status_display() == str(c._meta.get_field("status").flatchoices[2][1])
        assert c.get_status_display() != "Belum ditindaklanjuti"
    d.status = DispositionStatus.SELESAI
    assert d.get_status_display() == str(DispositionStatus.SELESAI.label)
    d.status = "tidak-dikenal"
    assert d.get_status_display() == "tidak-dikenal"  # a value without a label shows as itself
