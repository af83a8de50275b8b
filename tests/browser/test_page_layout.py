"""Every page of every role fits the screen, on a laptop (1366 × 900) and on a phone (390 × 844):
the page never scrolls sideways (a wide table scrolls inside its own region), axe-core finds
nothing, and a full-page screenshot of each lands in test-results/layout/<role>-<page>-<size>.png
(docs/product.md, "a cheap Android phone"). The region is the seeded demo, aged five weeks so
that deadlines have passed, escalations are recorded and last month has TPP sanction
recommendations. Staff are signed in by session cookie, their second factor passed (tests/conftest.py)."""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint, Disposition, MonthlyReport, Sanction, Status

from .test_citizen_flow import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "layout"
SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
DEMO = "demo.lapor.id"
ROLES = {
    "publik": None,
    "warga": f"warga@{DEMO}",
    "operator": f"operator@{DEMO}",
    "penghubung": f"penghubung.pu@{DEMO}",
    "pimpinan": f"kepala.pu@{DEMO}",
    "auditor": f"auditor@{DEMO}",
}

# The elements that make the page wider than the window: the outermost ones, outside any element
# that scrolls or clips on its own.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= width) return null;
  const clips = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = (el) => el && el !== document.body && el.getBoundingClientRect().right > width + 0.5;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const offenders = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!wide(el) || wide(el.parentElement) || clips(el)) continue;
    const path = [];
    for (let a = el; a && a !== document.body; a = a.parentElement) path.unshift(name(a));
    const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    offenders.push(`${path.join(" > ")} (right edge ${Math.round(el.getBoundingClientRect().right)} px) «${text}»`);
  }
  return {scrollWidth, width, offenders: offenders.slice(0, 12)};
}"""


@pytest.fixture
def demo():
    """The demo region seeded five weeks ago, swept three weeks ago and now; last month's TPP
    sanctions built; one monthly report done. Returns what the page list needs."""
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=35)):
        call_command("seed_demo", "--password", "demo-sandi-123", stdout=io.StringIO())
    with time_machine.travel(now - datetime.timedelta(days=20)):
        call_command("sla_sweep", stdout=io.StringIO())
    call_command("sla_sweep", stdout=io.StringIO())
    call_command("tpp_sanctions", stdout=io.StringIO())
    auditor = User.objects.get(email=ROLES["auditor"])
    MonthlyReport.objects.create(
        month=(now.date().replace(day=1) - datetime.timedelta(days=1)).replace(day=1),
        status=MonthlyReport.Status.DONE,
        requested_by=auditor,
    )
    reports = Complaint.objects.order_by("pk")
    public = reports.filter(privacy="umum", status=Status.PROSES).exclude(kecamatan=None).first()
    own = reports.filter(reporter__email=ROLES["warga"]).exclude(status=Status.BELUM_TERVERIFIKASI).first()
    disposition = Disposition.objects.filter(agency__slug="dinas-pu", status="ditindaklanjuti").order_by("pk").first()
    return {
        "public": public.tracking_id,
        "own": own.tracking_id,
        "unverified": reports.filter(status=Status.BELUM_TERVERIFIKASI).first().tracking_id,
        "monitored": disposition.complaint.tracking_id,
        "entered": reports.filter(entered_by__email=ROLES["operator"]).first().tracking_id,
        "secret": reports.filter(privacy="rahasia").exclude(status=Status.BELUM_TERVERIFIKASI).first().tracking_id,
        "disposition": disposition.pk,
        "sanction": Sanction.objects.filter(agency__slug="dinas-pu").order_by("-month", "-pk").first().pk,
    }


def pages(role, d):
    """(name, path, expected status) of every page `role` reaches."""
    if role == "publik":
        return [
            ("beranda", "/", 200),
            ("laporan-warga", "/laporan/", 200),
            ("laporan", f"/laporan/{d['public']}/", 200),
            ("peta", "/peta/", 200),
            ("statistik", "/statistik/", 200),
            ("data-terbuka", "/data/", 200),
            ("lacak", f"/lacak/?id={d['public']}", 200),
            ("ikuti", "/ikuti/", 200),
            ("privasi", "/privasi/", 200),
            ("masuk", "/akun/masuk/", 200),
            ("daftar", "/akun/daftar/", 200),
            ("lupa-sandi", "/akun/lupa-sandi/", 200),
            ("galat", "/laporan/LPR-TIDAK-ADA0/", 404),
        ]
    if role == "warga":
        return [
            ("akun", "/akun/", 200),
            ("lapor", "/lapor/", 200),
            ("laporan-saya", "/saya/", 200),
            ("laporan", f"/laporan/{d['own']}/", 200),
            ("akses-identitas", f"/laporan/{d['own']}/akses-identitas/", 200),
            ("notifikasi", "/notifikasi/", 200),
            ("profil", "/akun/profil/", 200),
            ("ganti-sandi", "/akun/profil/sandi/", 200),
            ("hapus-akun", "/akun/hapus/", 200),
        ]
    if role == "operator":
        return [
            ("antrean", "/petugas/", 200),
            ("antrean-tunda", "/petugas/?tab=tunda", 200),
            ("antrean-dikembalikan", "/petugas/?tab=dikembalikan", 200),
            ("antrean-dipantau", "/petugas/?tab=dipantau", 200),
            ("periksa", f"/petugas/laporan/{d['unverified']}/", 200),
            ("periksa-dipantau", f"/petugas/laporan/{d['monitored']}/", 200),
            ("input", "/petugas/input/", 200),
            ("tanda-terima", f"/petugas/input/{d['entered']}/tanda-terima/", 200),
            ("beban-kerja", "/petugas/beban-kerja/", 200),
            ("notifikasi", "/notifikasi/", 200),
        ]
    if role == "penghubung":
        return [
            ("kotak-masuk", "/opd/", 200),
            ("kotak-masuk-semua", "/opd/?status=semua", 200),
            ("disposisi", f"/opd/disposisi/{d['disposition']}/", 200),
            ("notifikasi", "/notifikasi/", 200),
        ]
    if role == "pimpinan":
        return [
            ("kinerja", "/opd/pimpinan/", 200),
            ("disposisi", f"/opd/disposisi/{d['disposition']}/", 200),
            ("sanksi", "/audit/sanksi/", 200),
            ("sanksi-rinci", f"/audit/sanksi/{d['sanction']}/", 200),
        ]
    return [
        ("audit", "/audit/", 200),
        ("audit-laporan", "/audit/laporan/", 200),
        ("buka-identitas", f"/audit/laporan/{d['secret']}/identitas/", 200),
        ("laporan-bulanan", "/audit/laporan-bulanan/", 200),
        ("aktivitas-petugas", "/audit/petugas/", 200),
        ("beban-kerja", "/petugas/beban-kerja/", 200),
        ("sanksi", "/audit/sanksi/", 200),
        ("sanksi-rinci", f"/audit/sanksi/{d['sanction']}/", 200),
        ("perubahan-terlapor", "/petugas/perubahan-terlapor/", 200),
    ]


def signed_in_context(browser, live_server, email, size):
    """A browser context of the window's `size`, carrying the session of the account `email`."""
    context = browser.new_context(locale="id-ID", viewport=SIZES[size])
    if email:
        client = Client()
        client.force_login(User.objects.get(email=email))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_the_screen(browser, live_server, demo, role, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = signed_in_context(browser, live_server, ROLES[role], size)
    page = context.new_page()
    problems = []
    try:
        for name, path, status in pages(role, demo):
            response = page.goto(f"{live_server.url}{path}")
            if response.status != status:
                problems.append(f"{path}: answered {response.status}, not {status}")
                continue
            if name in ("peta", "laporan") and page.locator(".lapor-map").count():
                page.wait_for_load_state("networkidle")
            overflow = page.evaluate(OVERFLOW)
            if overflow:
                problems.append(
                    f"{path} is {overflow['scrollWidth']} px wide in a {overflow['width']} px window; too wide:\n  "
                    + "\n  ".join(overflow["offenders"])
                )
            try:
                assert_accessible(page)
            except AssertionError as failure:
                problems.append(str(failure))
            page.screenshot(path=str(SHOTS / f"{role}-{name}-{size}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "\n\n".join(problems)
