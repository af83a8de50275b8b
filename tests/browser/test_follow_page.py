"""/ikuti/ in a real browser: a signed-in citizen follows a kecamatan and a category from the
page the report list links to, sees the follow listed with its button, and axe passes. The page at
1366x900 is the README's picture (docs/img/ikuti.png; `UPDATE_SCREENSHOTS=1` rewrites it)."""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from complaints.models import AreaFollow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "ikuti.png"


def test_a_citizen_follows_a_kecamatan(page, live_server, citizen, region, disposed_report):
    disposed_report(kecamatan=region.kecamatan, kelurahan=region.kelurahan)
    page.set_viewport_size({"width": 1366, "height": 900})
    base = live_server.url
    page.goto(f"{base}/akun/masuk/")
    page.get_by_label("Email").fill(citizen.email)
    page.get_by_label(re.compile(r"^Kata sandi")).fill("rahasia-sekali-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/akun/$"))

    page.goto(f"{base}/laporan/?kecamatan={region.kecamatan.pk}")
    page.get_by_role("link", name="Ikuti lewat email").click()
    page.wait_for_url(re.compile(r"/ikuti/\?kecamatan="))
    assert page.get_by_label("Kecamatan").input_value() == str(region.kecamatan.pk)
    page.get_by_label("Kategori").select_option(str(region.roads.pk))
    page.get_by_role("button", name="Ikuti", exact=True).click()
    page.wait_for_url(re.compile(r"/ikuti/$"))
    follow = AreaFollow.objects.get()
    assert (follow.user_id, follow.kecamatan_id, follow.category_id) == (
        citizen.pk,
        region.kecamatan.pk,
        region.roads.pk,
    )
    assert follow.confirmed_at is not None
    assert page.locator("#my-follows").get_by_text("Kecamatan Kota").is_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    if os.environ.get("UPDATE_SCREENSHOTS"):
        IMAGE.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(IMAGE))
