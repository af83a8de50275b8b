"""A citizen in a real browser (Debian Chromium through Playwright): register → verify the email
from the outbox → file an anonim report with a photo → it is absent from the feed → an operator
verifies it → it shows on the feed without a name → the tracking page shows the timeline. At a
desktop width and at 360 px; axe-core checks every page on the way. A failing run leaves a
screenshot in test-results/."""

import contextlib
import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from PIL import Image

from complaints import workflow
from complaints.models import Attachment, Complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = "Kopi-Tubruk-2026"
axe = Axe()


@pytest.fixture
def photo(tmp_path):
    img = Image.new("RGB", (320, 240), (120, 90, 60))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x8825] = {1: "S", 2: (5.0, 30.0, 0.0), 3: "E", 4: (122.0, 10.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    path = tmp_path / "jembatan.jpg"
    path.write_bytes(out.getvalue())
    return path


@contextlib.contextmanager
def screenshot_on_failure(page, name):
    try:
        yield
    except BaseException:
        RESULTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        raise


def assert_accessible(page):
    results = axe.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def verification_code(email):
    for message in reversed(mail.outbox):
        if message.to == [email]:
            match = re.search(r"\b(\d{6})\b", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no verification mail for {email}")


@pytest.mark.parametrize("width,height", [(1280, 900), (360, 740)], ids=["desktop", "phone"])
def test_register_file_verify_and_track(page, live_server, region, operator, photo, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    email = f"citra.{width}@warga.id"
    with screenshot_on_failure(page, f"citizen-flow-{width}"):
        # Register, with the privacy notice and consent.
        page.goto(f"{base}/akun/daftar/")
        assert page.locator("html").get_attribute("lang") == "id"
        assert_accessible(page)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Nama lengkap").fill("Citra Lestari")
        page.get_by_label("Nomor telepon").fill(f"0812-3456-{width:04d}")
        page.get_by_label(re.compile(r"^Kata sandi")).fill(PASSWORD)
        page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
        page.get_by_role("checkbox", name=re.compile("pemberitahuan privasi")).check()
        page.get_by_role("button", name="Daftar").click()

        # Verify the email with the code from the outbox.
        page.wait_for_url(re.compile(r"/akun/verifikasi/"))
        assert_accessible(page)
        page.get_by_label("Kode 6 digit").fill(verification_code(email))
        page.get_by_role("button", name="Verifikasi", exact=True).click()
        page.wait_for_url(re.compile(r"/akun/$"))

        # File an anonim report with a photo.
        page.goto(f"{base}/lapor/")
        assert_accessible(page)
        page.get_by_label("Aduan").check()
        page.get_by_label("Judul").fill("Jembatan kayu di Lamokato patah")
        page.get_by_label("Isi laporan").fill("Jembatan kayu penghubung dusun patah sejak banjir minggu lalu.")
        page.get_by_label("Kategori").select_option(label="Jalan dan jembatan")
        page.get_by_label("Kecamatan").select_option(label="Kota")
        page.get_by_label("Kelurahan/desa").select_option(label="Lamokato")
        page.get_by_label(re.compile(r"^Lokasi:?$")).fill("Dusun II, dekat masjid")
        page.get_by_label("Anonim").check()
        page.get_by_label("Bukti (foto atau PDF)").set_input_files(str(photo))
        page.get_by_role("button", name="Kirim laporan").click()

        # The receipt: the tracking id, big, and what happens next.
        page.wait_for_url(re.compile(r"/lapor/terkirim/LPR-"))
        assert_accessible(page)
        tracking_id = page.locator(".big").inner_text().strip()
        assert re.fullmatch(r"LPR-[0-9A-Z]{4}-[0-9A-Z]{4}", tracking_id)
        assert "3 hari kerja" in page.content()
        report = Complaint.objects.get(tracking_id=tracking_id)
        assert report.privacy == "anonim" and report.reporter.email == email
        stored = Attachment.objects.get(complaint=report)
        assert b"SecretPhoneMaker" not in stored.file.read()

        # Not public before an operator checks it.
        page.goto(f"{base}/laporan/")
        assert_accessible(page)
        assert tracking_id not in page.content()

        # An operator verifies it (the staff workspace is another page; the workflow is the door).
        workflow.verify(report.pk, by=operator, agencies=["dinas-pu"])

        # Now on the feed, without a name.
        page.goto(f"{base}/laporan/")
        card = page.locator(".card", has_text=tracking_id)
        assert card.count() == 1
        assert "Pelapor: Anonim" in card.inner_text()
        assert "Citra" not in page.content()
        assert_accessible(page)

        # The tracking page shows the timeline (and the agency that holds it).
        card.get_by_role("link").first.click()
        page.wait_for_url(re.compile(rf"/laporan/{tracking_id}/"))
        timeline = page.locator(".timeline").inner_text()
        assert "Laporan dibuat" in timeline and "Diverifikasi" in timeline and "Didisposisikan" in timeline
        assert "Dinas PU" in page.content()
        assert page.locator("img[src*='/thumb/']").count() == 1
        assert_accessible(page)

        # Someone else, signed out, sees the public page without the name.
        page.context.clear_cookies()
        page.goto(f"{base}/laporan/{tracking_id}/")
        assert "Citra" not in page.content() and "Anonim" in page.content()
        assert_accessible(page)


def test_pages_work_without_javascript(browser, live_server, region, disposed_report):
    report = disposed_report(privacy="umum")
    context = browser.new_context(java_script_enabled=False, locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    with screenshot_on_failure(page, "no-js"):
        page.goto(f"{live_server.url}/laporan/")
        assert report.tracking_id in page.content()
        page.get_by_role("searchbox", name="Cari").fill("berlubang")
        with page.expect_navigation():
            page.get_by_role("button", name="Tampilkan").click()
        assert report.tracking_id in page.content()
        page.goto(f"{live_server.url}/")
        page.get_by_label("Lacak laporan dengan nomor pelacakan").fill(report.tracking_id.lower())
        page.get_by_role("button", name="Lacak").click()
        page.wait_for_url(re.compile(rf"/laporan/{report.tracking_id}/"))
        assert "Riwayat" in page.content()
    context.close()


def test_every_citizen_page_passes_axe(page, live_server, citizen, other_citizen, disposed_report, liaison_pu, region):
    """axe-core over the pages not on the main flow, with the forms they show in each state."""
    closed = disposed_report(privacy="umum", title="Jalan berlubang di depan pasar")
    d = closed.dispositions.get()
    workflow.followup(closed.pk, by=liaison_pu, disposition=d.pk, body="Lubang sudah ditambal.")
    workflow.finish(closed.pk, by=liaison_pu, disposition=d.pk)
    workflow.accept(closed.pk, by=citizen)
    open_report = disposed_report(
        reporter=other_citizen,
        privacy="anonim",
        kecamatan=region.kecamatan,
        title="Jembatan Lamokato patah",
        body="Jembatan kayu di Lamokato patah total.",
    )
    base = live_server.url
    with screenshot_on_failure(page, "axe-pages"):
        page.goto(f"{base}/akun/masuk/")
        assert_accessible(page)
        page.get_by_label("Email").fill("alice@warga.id")
        page.get_by_label(re.compile(r"^Kata sandi")).fill("rahasia-sekali-123")
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/akun/$"))
        for path in (
            "/akun/",
            "/akun/profil/",
            "/akun/hapus/",
            "/akun/lupa-sandi/",
            "/saya/",
            "/notifikasi/",
            "/privasi/",
            "/lacak/",
            "/lacak/?id=zz",
            "/lapor/serupa/?category=jalan&q=jembatan+patah",
            closed.get_absolute_url(),
            open_report.get_absolute_url(),
            f"/laporan/{closed.tracking_id}/akses-identitas/",
            "/laporan/?status=x&date_from=kemarin",
            "/laporan/LPR-ZZZZ-ZZZZ/",  # the 404 page
            "/audit/",  # the 403 page
            "/",
        ):
            page.goto(base + path)
            assert_accessible(page)
        # The duplicate step of the filing form.
        page.goto(f"{base}/lapor/")
        page.get_by_label("Judul").fill("Jembatan Lamokato patah")
        page.get_by_label("Isi laporan").fill("Jembatan kayu di Lamokato patah, anak sekolah memutar.")
        page.get_by_label("Kategori").select_option(label="Jalan dan jembatan")
        page.get_by_label("Kecamatan").select_option(label="Kota")
        with page.expect_navigation():
            page.get_by_role("button", name="Kirim laporan").click()
        assert page.get_by_role("button", name="Tetap kirim laporan saya").count() == 1
        assert open_report.tracking_id in page.content()
        assert_accessible(page)
        # And an error state of the same form.
        page.get_by_label("Judul").fill("")
        with page.expect_navigation():
            page.get_by_role("button", name="Tetap kirim laporan saya").click()
        assert "Periksa kembali isian Anda" in page.content()
        assert_accessible(page)
