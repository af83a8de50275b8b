"""Response headers on a crawl of every page: a Content-Security-Policy that allows no inline
script or style on every HTML page (and no page that needs one), `Cache-Control: no-store,
private` on every answer that carries personal data.

The crawl reuses the privacy crawler's world and URL table, so a new page is crawled here too.
"""

import re

import pytest
from django.test import Client

from tests.security.crawl_rules import RULES
from tests.security.test_crawler import REPORT_VALUES, _url, world  # noqa: F401  (the module's world)

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def parse_policy(header):
    """{directive: sources} of a Content-Security-Policy header (the order is not significant)."""
    if not header:
        return None
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip())


# A <script> element without src that a browser would run (a JSON data block is not run).
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)

# Who crawls: an anonymous visitor, a citizen (the umum report's reporter) and staff: an operator,
# the auditor (sanctions, exports, dashboards), the head of the disposed agency and the superadmin
# (the Django admin).
CRAWL_ROLES = ("anonymous", "reporter_umum", "operator", "auditor", "head", "superadmin")


@pytest.fixture
def crawl(world, db, settings, _isolated_services):  # noqa: F811
    from django.core.cache import cache

    settings.MEDIA_ROOT = world.media
    cache.clear()
    return world


def crawl_urls(w):
    """(pattern key, URL, transport) for every GET pattern of the table; a pattern that names a
    report is filled with the umum report (which every role may at least look up)."""
    for key, rule in sorted(RULES.items()):
        if "GET" not in rule.methods:
            continue
        if rule.kind == "report-scoped":
            via = rule.via[0] if isinstance(rule.via, tuple) else rule.via
            kwargs = {rule.param: REPORT_VALUES[via](w, "umum"), **rule.extra}
        else:
            kwargs = rule.kwargs(w) if rule.kwargs else {}
        url = _url(key, rule, kwargs).replace("%7Brahasia%7D", w.reports["rahasia"].tracking_id)
        for transport in rule.transports:
            yield key, url, transport


def _content(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def header_problems(response, where, *, signed_in, api):
    problems = []
    ctype = response.get("Content-Type", "")
    if ctype.startswith("text/html"):
        csp = response.get("Content-Security-Policy")
        if parse_policy(csp) != POLICY:
            problems.append(f"{where}: Content-Security-Policy {csp!r}")
        body = _content(response).decode("utf-8", "replace")
        for name, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("inline event handler", EVENT_HANDLER),
            ("style= attribute", STYLE_ATTRIBUTE),
            ("<style> element", STYLE_ELEMENT),
            ("javascript: URL", JAVASCRIPT_URL),
        ):
            found = pattern.search(body)
            if found:
                problems.append(f"{where}: {name} {body[found.start() : found.start() + 80]!r}")
    if signed_in or api:
        cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        if not {"no-store", "private"} <= cache_control:
            problems.append(f"{where}: Cache-Control {response.get('Cache-Control')!r}")
    return problems


@pytest.mark.django_db
def test_every_page_has_the_policy_no_inline_code_and_private_answers_are_not_stored(crawl):
    """Every GET pattern as an anonymous visitor, a citizen and three kinds of staff, by session
    (pages) or token (API): HTML answers carry the policy and no inline script, handler or style;
    every answer to a signed-in caller and every API answer is `no-store, private`."""
    problems, html_pages, private_answers = [], set(), 0
    for key, url, transport in crawl_urls(crawl):
        statuses = RULES[key].statuses
        for role in CRAWL_ROLES:
            client = crawl.clients[role][transport]
            response = client.get(url)
            if response.status_code >= 500 and response.status_code not in statuses:
                problems.append(f"GET {url} as {role}: {response.status_code}")
                continue
            where = f"GET {url} as {role} ({transport}, {response.status_code})"
            signed_in = role != "anonymous"
            problems += header_problems(response, where, signed_in=signed_in, api=url.startswith("/api/"))
            if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
                html_pages.add(key)
            private_answers += signed_in
    assert not problems, "\n".join(problems)
    # The crawl reached the pages that matter, as HTML answers.
    assert {
        "home",
        "complaints:file",
        "complaints:mine",
        "complaints:detail",
        "accounts:profile",
        "staff:queue",
        "staff:review",
        "sanctions:list",
        "sanctions:detail",
        "dashboards:audit",
        "api-docs",
        "admin:index",
    } <= html_pages, sorted(html_pages)
    assert private_answers > 100


@pytest.mark.django_db
def test_personal_answers_are_not_stored(crawl):
    """The answers the issue names, one by one: the API's `me`, a reveal, a staff member's API
    detail, the profile, the data download, "my reports", the exports and the sanction pages."""
    umum = crawl.reports["umum"]
    cases = [
        ("reporter_umum", "token", "/api/v1/me/"),
        ("operator", "token", f"/api/v1/complaints/{umum.tracking_id}/"),
        ("reporter_umum", "session", "/akun/profil/"),
        ("reporter_umum", "session", "/akun/data/"),
        ("reporter_umum", "session", "/saya/"),
        ("auditor", "session", "/audit/ekspor.csv"),
        ("auditor", "session", "/audit/sanksi/"),
        ("auditor", "session", f"/audit/sanksi/{crawl.sanction.pk}/"),
        ("operator", "session", "/petugas/"),
    ]
    for role, transport, url in cases:
        response = crawl.clients[role][transport].get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= cache_control, (url, response.get("Cache-Control"))
    # A public page for an anonymous visitor stays cacheable.
    assert "no-store" not in Client().get("/laporan/").get("Cache-Control", "")


@pytest.mark.django_db
def test_attachments_keep_their_own_sandbox_policy(crawl):
    attachment = crawl.attachments["umum"]
    response = crawl.clients["operator"]["session"].get(f"/lampiran/{attachment.key}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert {"no-store", "private"} <= {p.strip() for p in response["Cache-Control"].split(",")}
