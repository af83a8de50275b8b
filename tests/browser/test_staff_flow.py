"""One story, three people, three browser contexts (Debian Chromium through Playwright): a citizen's
report is verified and disposed by an operator, followed up with a photo and finished by the Dinas
PU liaison, then accepted and rated by the reporter on their tracking page. Staff log in by session
cookie (the login page is another part of the portal); axe-core checks each staff page on the way.
A failing run leaves a screenshot per context in test-results/."""

import contextlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from complaints.models import Complaint, DispositionStatus, EventType, Status

from .test_citizen_flow import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def photo(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(out, format="JPEG")
    path = tmp_path / "tambalan.jpg"
    path.write_bytes(out.getvalue())
    return path


def logged_in_page(browser, live_server, user):
    """A fresh browser context carrying `user`'s session cookie."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="id-ID")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


@contextlib.contextmanager
def screenshots_on_failure(pages):
    try:
        yield
    except BaseException:
        RESULTS.mkdir(exist_ok=True)
        for name, page in pages.items():
            with contextlib.suppress(Exception):
                page.screenshot(path=str(RESULTS / f"staff-flow-{name}.png"), full_page=True)
        raise


def test_verify_dispose_follow_up_finish_accept_and_rate(
    browser, live_server, region, citizen, operator, liaison_pu, photo, file_report
):
    base = live_server.url
    report = file_report(
        title="Jalan berlubang di depan SD Negeri 3",
        body="Lubang selebar satu meter, sudah dua anak jatuh dari sepeda.",
        kecamatan=region.kecamatan,
    )
    tid = report.tracking_id
    pages = {
        "operator": logged_in_page(browser, live_server, operator),
        "liaison": logged_in_page(browser, live_server, liaison_pu),
        "reporter": logged_in_page(browser, live_server, citizen),
    }
    with screenshots_on_failure(pages):
        # The operator finds it at the top of the queue, with its countdown, and opens it.
        op = pages["operator"]
        op.goto(f"{base}/petugas/")
        assert op.get_by_role("link", name="Belum diverifikasi 1").is_visible()
        assert "hari kerja lagi" in op.locator("tbody tr").first.inner_text()
        assert_accessible(op)
        op.get_by_role("link", name="Jalan berlubang di depan SD Negeri 3").click()
        op.wait_for_url(f"**/petugas/laporan/{tid}/")
        assert_accessible(op)
        # The category's routing is ticked; verify and dispose in one step.
        assert op.get_by_label("Dinas PU", exact=True).is_checked()
        op.get_by_role("button", name="Verifikasi dan disposisikan").click()
        op.wait_for_load_state()
        assert "diverifikasi dan didisposisikan ke Dinas PU" in op.locator(".messages").inner_text()
        assert "Belum ditindaklanjuti" in op.locator("#status-title").inner_text()

        # The liaison sees it in the inbox, follows up with a photo, and finishes.
        lia = pages["liaison"]
        lia.goto(f"{base}/opd/")
        assert_accessible(lia)
        row = lia.locator("tbody tr", has_text=tid)
        assert "hari kerja lagi" in row.inner_text()
        row.get_by_role("link").click()
        lia.wait_for_url("**/opd/disposisi/*/")
        assert "Alice Rahmawati" in lia.locator("#identity-title + dl").inner_text()  # umum: name and contact
        assert_accessible(lia)
        lia.get_by_label("Tindak lanjut:", exact=True).fill("Lubang sudah ditambal dengan aspal hari ini.")
        lia.locator("input[name=followup-files]").set_input_files(str(photo))
        lia.get_by_role("button", name="Kirim tindak lanjut").click()
        lia.wait_for_load_state()
        assert "Tindak lanjut tersimpan." in lia.locator(".messages").inner_text()
        lia.get_by_role("button", name="Tandai selesai").click()
        lia.wait_for_load_state()
        assert "dinyatakan selesai" in lia.locator(".messages").inner_text()

        # The reporter reads the follow-up on their tracking page, accepts, and rates.
        rep = pages["reporter"]
        rep.goto(f"{base}/laporan/{tid}/")
        assert "Lubang sudah ditambal dengan aspal hari ini." in rep.content()
        assert "Lia Penghubung" not in rep.content()  # the public timeline names the agency, not the person
        rep.get_by_role("button", name="Terima dan tutup laporan").click()
        rep.wait_for_load_state()
        rep.get_by_label("5 — sangat puas").check()
        rep.get_by_label("Komentar (opsional)").fill("Cepat dan rapi, terima kasih.")
        rep.get_by_role("button", name="Kirim penilaian").click()
        rep.wait_for_load_state()
        assert "Terima kasih atas penilaian Anda." in rep.content()

        # The operator's monitor no longer lists it: the story is over.
        op.goto(f"{base}/petugas/?tab=dipantau")
        assert tid not in op.content()

    c = Complaint.objects.get(pk=report.pk)
    assert (c.status, c.rating) == (Status.SELESAI, 5)
    d = c.dispositions.get()
    assert d.status == DispositionStatus.SELESAI and d.agency.slug == "dinas-pu"
    types = list(c.events.values_list("type", flat=True))
    assert types == [
        EventType.FILED,
        EventType.VERIFIED,
        EventType.DISPOSED,
        EventType.FOLLOWUP,
        EventType.FINISHED,
        EventType.ACCEPTED,
        EventType.CLOSED,
        EventType.RATED,
    ]
    assert c.events.get(type=EventType.FOLLOWUP).attachments.count() == 1


def test_a_failed_action_reopens_its_form_named_at_the_top(browser, live_server, region, operator, file_report):
    """The review page lists its actions folded; the expected one (verification) is open. A failed
    submission comes back with that action's form open and an error at the top that names it and
    links to it."""
    report = file_report(title="Lampu jalan mati di Jalan Melati", kecamatan=region.kecamatan)
    op = logged_in_page(browser, live_server, operator)
    with screenshots_on_failure({"operator": op}):
        op.goto(f"{live_server.url}/petugas/laporan/{report.tracking_id}/")
        assert op.locator("#aksi-verify").get_attribute("open") is not None
        assert op.locator("#aksi-archive").get_attribute("open") is None
        assert not op.get_by_role("button", name="Arsipkan").is_visible()
        op.locator("#aksi-archive > summary").click()
        op.get_by_role("button", name="Arsipkan").click()  # nothing filled in
        op.wait_for_load_state()
        alert = op.locator("[role=alert]").first
        assert "Periksa isian formulir: Arsipkan." in alert.inner_text()
        assert op.locator("#aksi-archive").get_attribute("open") is not None
        assert op.locator("#aksi-verify").get_attribute("open") is None
        assert op.get_by_role("button", name="Arsipkan").is_visible()
        assert_accessible(op)
        alert.get_by_role("link", name="Ke formulir yang perlu diperbaiki").click()
        assert op.url.endswith("#aksi-archive")
    assert Complaint.objects.get(pk=report.pk).status == Status.BELUM_TERVERIFIKASI
