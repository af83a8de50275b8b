"""What the browser tests share: an Indonesian browser, a page watched for console errors and policy violations, and
signing in through the login form."""

import re

import pytest


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Most users read Indonesian; their phones say so in Accept-Language.
    return {**browser_context_args, "locale": "id-ID"}


# Records every violation the page reports; Playwright's init scripts are not subject to the policy.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every console error and policy violation collected in `page.problems`."""
    page.problems = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: _console(page, msg))
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    return page


def _console(page, msg):
    # The browser asks for /favicon.ico on its own; the site has none, which is not a page's fault.
    if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
        page.problems.append(f"{msg.text} ({msg.location.get('url')})")


def violations(page):
    return page.problems + page.evaluate("window.cspViolations || []")


def sign_in(page, base, email, password, code=None, lands=r"/akun/$"):
    """Sign in through the login form; staff with a second factor then give `code` on the next page.
    Citizens land on their account page, staff on their work list (`lands`)."""
    page.goto(f"{base}/akun/masuk/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Kata sandi")).fill(password)
    page.get_by_role("button", name="Masuk").click()
    if code is not None:
        page.wait_for_url(re.compile(r"/akun/masuk/kode/$"))
        page.get_by_label("Kode autentikasi dua langkah").fill(code)
        page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(lands))
