"""A staff member's second factor in a real browser (docs/product.md §9): an operator with no device
signs in, is held on enrolment, scans nothing but types the shown secret into an "authenticator"
(django-otp's TOTP, as a phone app would compute it), receives the backup codes, reaches the staff
workspace; then signs in again with password and code. No inline script runs: every page stays
under the Content-Security-Policy, and axe-core checks the two new pages."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from .conftest import RECORD_VIOLATIONS, _console, violations
from .test_citizen_flow import assert_accessible, screenshot_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.real_second_factor]

PASSWORD = "sandi-petugas-123"


def authenticator(secret, offset=0):
    """The code an authenticator app shows for `secret` now (or `offset` steps of 30 s later)."""
    generator = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    generator.time = time.time() + offset * 30
    return f"{generator.token():06d}"


def test_operator_enrols_then_signs_in_with_a_code(page, live_server, operator):
    operator.set_password(PASSWORD)
    operator.save()
    page.problems = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: _console(page, msg))
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    base = live_server.url
    with screenshot_on_failure(page, "second-factor"):
        page.goto(f"{base}/akun/masuk/?next=/petugas/")
        page.get_by_label("Email").fill(operator.email)
        page.get_by_label(re.compile(r"^Kata sandi")).fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/akun/dua-langkah/"))
        # Held here: the staff workspace sends back to enrolment.
        page.goto(f"{base}/petugas/")
        assert "/akun/dua-langkah/" in page.url
        assert page.locator(".qr svg").is_visible()
        assert_accessible(page)
        secret = page.locator("code.secret").inner_text().strip()
        page.get_by_label("Kode 6 angka dari aplikasi").fill(authenticator(secret))
        with page.expect_navigation():
            page.get_by_role("button", name="Aktifkan").click()
        codes = page.locator("ul.backup-codes li").all_inner_texts()
        assert len(codes) == 10
        page.get_by_role("link", name=re.compile("lanjut")).click()
        page.wait_for_url(re.compile(r"/petugas/$"))
        assert page.get_by_role("heading", level=1).count() >= 1
        # Sign out, then in again: the password, then the code of the next time step (the one just
        # used would be refused as a replay).
        page.context.clear_cookies()
        page.goto(f"{base}/akun/masuk/?next=/petugas/")
        page.get_by_label("Email").fill(operator.email)
        page.get_by_label(re.compile(r"^Kata sandi")).fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/akun/masuk/kode/$"))
        assert_accessible(page)
        page.get_by_label("Kode autentikasi dua langkah").fill(authenticator(secret, offset=1))
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/petugas/$"))
        assert violations(page) == []
