"""The public map in a real browser, on the seeded demo region: the map draws the area outlines
(no tile server: the zero-service demo) and the public points under the Content-Security-Policy,
is operable from the keyboard, and axe-core finds nothing on /peta/. The same run takes the
README's picture (docs/img/peta.png, 1366 × 900) when PETA_SCREENSHOT is set."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from .conftest import violations
from .test_citizen_flow import assert_accessible, screenshot_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "peta.png"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


def test_the_public_map_draws_outlines_and_points_and_passes_axe(watched, live_server):
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    page = watched
    with screenshot_on_failure(page, "public-map"):
        page.goto(f"{live_server.url}/peta/")
        # The script shows the map and draws the kecamatan outlines and the points.
        page.locator("#public-map:not([hidden])").wait_for()
        page.locator("#public-map path.leaflet-interactive").first.wait_for()
        page.locator("#public-map .pin").first.wait_for()
        pins = page.locator("#public-map .pin")
        assert pins.count() > 0
        # The list beside it holds the same reports, without the script's help.
        assert page.locator(".map-list li.card").count() > 0
        # Keyboard: the map takes the focus, then a point; Enter opens its popup with a link.
        page.locator("#public-map").focus()
        page.keyboard.press("ArrowUp")
        pins.first.focus()
        page.keyboard.press("Enter")
        page.locator(".leaflet-popup-content a").first.wait_for()
        assert violations(page) == []
        assert_accessible(page)
        if os.environ.get("PETA_SCREENSHOT"):  # PETA_SCREENSHOT=1 retakes the README picture
            page.keyboard.press("Escape")
            page.mouse.move(0, 0)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            raw = page.screenshot(full_page=False)
            # A palette PNG keeps the picture small for the README.
            Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=128).save(SCREENSHOT, optimize=True)


def test_a_report_page_map_runs_under_the_policy(watched, live_server):
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    from django.contrib.auth.models import AnonymousUser

    from complaints.models import Complaint

    report = (
        Complaint.objects.visible_to(AnonymousUser())
        .public()
        .filter(privacy="umum", lat__isnull=False)
        .order_by("pk")
        .first()
    )
    assert report is not None
    page = watched
    with screenshot_on_failure(page, "report-map"):
        page.goto(f"{live_server.url}{report.get_absolute_url()}")
        # The point at the precision the public may see: a circle of about 100 m, not a pin.
        page.locator('#report-map:not([hidden]) path[stroke="#b30000"]').wait_for()
        assert violations(page) == []
        assert_accessible(page)
