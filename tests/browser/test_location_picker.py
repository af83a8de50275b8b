"""The filing form's location picker in a real browser: a report filed by tapping the map (the
kecamatan and kelurahan follow the pin, no coordinates typed), the same form filed without
JavaScript, and axe-core on the form with the map (docs/areas.md)."""

import re

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint
from tests.browser.conftest import sign_in
from tests.browser.test_citizen_flow import assert_accessible, screenshot_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base):
    sign_in(page, base, "alice@warga.id", "rahasia-sekali-123")


def fill_report(page, title):
    page.get_by_label("Aduan").check()
    page.get_by_label("Judul").fill(title)
    page.get_by_label("Isi laporan").fill("Lampu penerangan di simpang pasar padam sejak sepekan, jalan gelap.")
    page.get_by_label("Kategori").select_option(label="Jalan dan jembatan")


def send(page):
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state()
    if page.get_by_role("button", name="Tetap kirim laporan saya").count():
        page.get_by_role("button", name="Tetap kirim laporan saya").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/LPR-"))
    return Complaint.objects.get(tracking_id=page.locator(".big").inner_text().strip())


def test_file_a_report_by_tapping_the_map(page, live_server, citizen, kota_areas):
    base = live_server.url
    page.set_viewport_size({"width": 1024, "height": 900})
    with screenshot_on_failure(page, "location-picker"):
        log_in(page, base)
        page.goto(f"{base}/lapor/")
        canvas = page.locator("#map-pick-canvas")
        canvas.locator(".leaflet-control-zoom").wait_for()
        assert page.locator("[data-map-pick]").is_visible()
        assert_accessible(page)  # the form with the map
        fill_report(page, "Lampu jalan padam di simpang pasar")

        # Keyboard: Enter drops the pin at the centre, an arrow moves it.
        canvas.focus()
        page.keyboard.press("Enter")
        first = page.locator("#id_lat").input_value()
        assert re.fullmatch(r"-4\.\d{6}", first)
        page.keyboard.press("ArrowDown")
        assert page.locator("#id_lat").input_value() != first

        # A tap in Watubangga: the selects follow the pin.
        x, y = page.evaluate(
            "() => { const m = document.querySelector('[data-map-pick]').mapPick;"
            " const p = m.latLngToContainerPoint([-4.605, 121.912]); return [p.x, p.y]; }"
        )
        canvas.click(position={"x": x, "y": y})
        expect(page.locator("#id_kelurahan")).to_have_value(str(kota_areas.watubangga.pk), timeout=10_000)
        assert page.locator("#id_kecamatan").input_value() == str(kota_areas.kecamatan.pk)
        assert "Watubangga" in page.locator("#map-pick-status").inner_text()
        assert page.locator("#id_lat").input_value().startswith("-4.60")

        report = send(page)
        assert (report.kecamatan, report.kelurahan) == (kota_areas.kecamatan, kota_areas.watubangga)
        assert abs(float(report.lat) + 4.605) < 0.001 and abs(float(report.lng) - 121.912) < 0.001


def test_file_a_report_without_javascript(browser, live_server, citizen, kota_areas):
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    base = live_server.url
    with screenshot_on_failure(page, "location-picker-nojs"):
        log_in(page, base)
        page.goto(f"{base}/lapor/")
        assert not page.locator("[data-map-pick]").is_visible()  # the map needs the script
        fill_report(page, "Lampu jalan padam di depan pasar")
        page.get_by_label("Kecamatan").select_option(label="Kota")
        page.get_by_label("Kelurahan/desa").select_option(label="Watubangga")
        page.get_by_label(re.compile(r"^Lokasi:?$")).fill("Simpang pasar, depan toko emas")
        report = send(page)
        assert (report.kecamatan, report.kelurahan) == (kota_areas.kecamatan, kota_areas.watubangga)
        assert report.lat is None and report.location_text == "Simpang pasar, depan toko emas"
    context.close()
