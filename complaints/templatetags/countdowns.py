"""`{% countdown cd %}`: a deadline's countdown (`complaints.staff.selectors.Countdown`, or None) as
templates/staff/_countdown.html renders it.

A staff list shows 25–50 countdowns a page, most of them repeating a few dates, and rendering the
template for each was a third of the list's rendering time. What it renders depends only
on the countdown (deadline, working days, overdue), the active language and the active time zone,
so each distinct one is rendered once per process and reused — as the cached template loader does,
only when templates are not reloaded (DEBUG off)."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils import timezone, translation

register = template.Library()

TEMPLATE = "staff/_countdown.html"


def _render(cd):
    return get_template(TEMPLATE).render({"cd": cd})


@lru_cache(maxsize=4096)
def _rendered(cd, language, zone):
    return _render(cd)


@register.simple_tag
def countdown(cd):
    if settings.DEBUG:
        return _render(cd)
    return _rendered(cd, translation.get_language(), timezone.get_current_timezone_name())
