"""The Content-Security-Policy in a real browser: the filing page, the receipt after filing, a staff
page and the API documentation (Swagger UI) load and work with no violation of the policy, as
the browser itself reports them (console errors and `securitypolicyviolation` events)."""

import re

import pytest

from accounts import second_factor
from tests.conftest import totp_code

from .conftest import sign_in, violations
from .test_citizen_flow import screenshot_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_filing_page_and_receipt_run_under_the_policy(watched, live_server, region, citizen):
    page = watched
    with screenshot_on_failure(page, "csp-filing"):
        response = page.goto(f"{live_server.url}/lapor/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert violations(page) == []
        sign_in(page, live_server.url, "alice@warga.id", "rahasia-sekali-123")
        page.goto(f"{live_server.url}/lapor/")
        # The page's own script runs: it shows the location button only with JavaScript.
        page.wait_for_load_state("load")
        # The stylesheets moved out of the page apply: a fieldset gets its rounded border.
        radius = page.evaluate("getComputedStyle(document.querySelector('fieldset')).borderTopLeftRadius")
        assert radius == "6px"
        page.get_by_label("Aduan").check()
        page.get_by_label("Judul").fill("Lampu jalan mati di Jalan Poros")
        page.get_by_label("Isi laporan").fill("Sudah seminggu lampu jalan di depan masjid mati, jalan gelap.")
        page.get_by_label("Kategori").select_option(label="Jalan dan jembatan")
        page.get_by_role("button", name="Kirim laporan").click()
        page.wait_for_url(re.compile(r"/lapor/terkirim/"))
        # The receipt's print button is shown by the page's script, and the receipt has its border.
        assert page.locator("[data-print]").is_visible()
        border = page.evaluate("getComputedStyle(document.querySelector('.receipt')).borderTopWidth")
        assert border == "2px"
        assert violations(page) == []


def test_the_api_documentation_runs_under_the_policy(watched, live_server):
    page = watched
    with screenshot_on_failure(page, "csp-api-docs"):
        response = page.goto(f"{live_server.url}/api/v1/docs/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # Swagger UI ran its (separate) start script, fetched the schema and drew the operations.
        page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("LAPOR Daerah API")
        assert violations(page) == []


def test_a_staff_page_runs_under_the_policy(watched, live_server, operator):
    page = watched
    operator.set_password("sandi-petugas-123")
    operator.save()
    second_factor.enrol(operator)
    with screenshot_on_failure(page, "csp-staff"):
        sign_in(
            page, live_server.url, operator.email, "sandi-petugas-123", code=totp_code(operator), lands=r"/petugas/$"
        )
        response = page.goto(f"{live_server.url}/petugas/")
        assert response.status == 200
        assert "no-store" in response.headers["cache-control"]
        # The staff stylesheet applies: the navigation is a flex row.
        assert page.evaluate("getComputedStyle(document.querySelector('.staffnav')).display") == "flex"
        assert violations(page) == []
