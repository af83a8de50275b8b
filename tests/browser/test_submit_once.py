"""The filing form in a real browser: a second click on "Kirim laporan" while the form is on its
way sends nothing (the button is disabled as soon as it goes), and without JavaScript the form
still files."""

import re

import pytest

from complaints.models import Complaint

from .conftest import sign_in
from .test_citizen_flow import screenshot_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_and_fill(page, base):
    sign_in(page, base, "alice@warga.id", "rahasia-sekali-123")
    page.goto(f"{base}/lapor/")
    page.get_by_label("Aduan").check()
    page.get_by_label("Judul").fill("Lampu jalan mati di Jalan Poros")
    page.get_by_label("Isi laporan").fill("Sudah seminggu lampu jalan di depan masjid mati, jalan gelap.")
    page.get_by_label("Kategori").select_option(label="Jalan dan jembatan")


def test_a_second_click_while_the_form_is_sent_sends_nothing(page, live_server, region, citizen):
    """The citizen clicks "Kirim laporan" and, the connection being slow, clicks again: the button
    is disabled and reads "Mengirim…" after the first click, and the second sends nothing. (The
    page counts the form's submissions and keeps them from leaving, so that it stays to be
    clicked again; the server's side of a doubled post is in tests/complaints/test_idempotency.py.)"""
    with screenshot_on_failure(page, "submit-once"):
        sign_in_and_fill(page, live_server.url)
        page.evaluate(
            """() => {
                window.submits = 0;
                window.addEventListener("submit", (event) => { window.submits += 1; event.preventDefault(); });
            }"""
        )
        button = page.locator("form[data-submit-once] button[type=submit]")
        assert button.inner_text() == "Kirim laporan"
        button.click()
        page.wait_for_timeout(200)
        assert button.is_disabled() and button.inner_text() == "Mengirim…"
        button.click(force=True)  # a real click, on the disabled button
        page.wait_for_timeout(200)
        assert page.evaluate("window.submits") == 1
    assert not Complaint.objects.exists()


def test_the_form_files_without_javascript(browser, live_server, region, citizen):
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    with screenshot_on_failure(page, "submit-once-no-js"):
        sign_in_and_fill(page, live_server.url)
        page.get_by_role("button", name="Kirim laporan").click()
        page.wait_for_url(re.compile(r"/lapor/terkirim/LPR-"))
    context.close()
    assert Complaint.objects.count() == 1
