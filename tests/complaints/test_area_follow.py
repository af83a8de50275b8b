"""Following an area or a category (README, "Ikuti wilayah"): subscribing with a signed
confirmation, one-click unsubscribe by a signed link, the daily digest (public data only, one per
follow per day as a database fact: docs/architecture.md, rule 3) and the Atom feeds."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from agencies.models import Area
from complaints import workflow
from complaints.models import AreaDigest, AreaFollow, Audience, Event, EventType, Status
from complaints.outbox import digests
from complaints.tasks import send_area_digests
from tests.clock import local
from tests.concurrency import run_at_once

ATOM = "{http://www.w3.org/2005/Atom}"
ANONIM_STREET = "Gang Melati RT 03 No. 17, rumah pelapor"


T0 = local(2026, 11, 2, 8)  # the follow is confirmed
T1 = local(2026, 11, 2, 10)  # reports are filed and verified
DAY1 = local(2026, 11, 3, 7)  # the first digest
DAY2 = local(2026, 11, 4, 7)  # the second


@pytest.fixture
def other_kecamatan(region):
    return Area.objects.create(name="Pesisir", code="02", level=Area.Level.KECAMATAN)


@pytest.fixture
def reports(region, file_report, operator, other_kecamatan):
    """Verified reports in the followed kecamatan (umum, anonim with a street address, rahasia),
    one elsewhere, and one not verified yet."""
    out = {}
    with time_machine.travel(T1, tick=False):
        for key, privacy, kecamatan, title in (
            ("umum", "umum", region.kecamatan, "Jembatan Lamokato retak"),
            ("anonim", "anonim", region.kecamatan, "Pungutan di loket kelurahan"),
            ("rahasia", "rahasia", region.kecamatan, "Rahasia soal pengadaan Zelvoran"),
            ("elsewhere", "umum", other_kecamatan, "Dermaga Pesisir rusak"),
            ("unverified", "umum", region.kecamatan, "Belum diverifikasi Quorvin"),
        ):
            c = file_report(
                privacy=privacy,
                title=title,
                kecamatan=kecamatan,
                kelurahan=region.kelurahan if kecamatan == region.kecamatan else None,
                location_text=ANONIM_STREET if key == "anonim" else "Jalan Poros km 3",
            )
            if key != "unverified":
                workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
            c.refresh_from_db()
            out[key] = c
    mail.outbox.clear()
    return out


def follow_of(region, **fields):
    fields.setdefault("kecamatan", region.kecamatan)
    return AreaFollow.objects.create(email="pengikut@warga.id", confirmed_at=T0, **fields)


def digests_sent():
    return [m for m in mail.outbox if m.to == ["pengikut@warga.id"]]


# Subscribing ----------------------------------------------------------------------------------
def test_an_address_without_an_account_confirms_by_a_signed_link(region, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/ikuti/", {"action": "follow", "email": "tamu@contoh.id", "kecamatan": region.kecamatan.pk})
    assert r.status_code == 302
    follow = AreaFollow.objects.get(email="tamu@contoh.id")
    assert follow.confirmed_at is None and follow.user is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["tamu@contoh.id"]
    link = next(w for w in mail.outbox[0].body.split() if "/ikuti/konfirmasi/" in w)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # A tampered link is refused and confirms nothing.
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/ikuti/konfirmasi/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/ikuti/berhenti/{token}/").status_code == 404  # a confirmation is no unsubscribe
    follow.refresh_from_db()
    assert follow.confirmed_at is None

    r = client.get(f"/{path}")
    assert r.status_code == 200
    follow.refresh_from_db()
    assert follow.confirmed_at is not None

    # Asking again tells nothing new and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ikuti/", {"action": "follow", "email": "tamu@contoh.id", "kecamatan": region.kecamatan.pk})
    assert AreaFollow.objects.filter(email="tamu@contoh.id").count() == 1
    assert len(mail.outbox) == 1


def test_an_unconfirmed_follow_gets_no_digest(region, reports):
    AreaFollow.objects.create(email="pengikut@warga.id", kecamatan=region.kecamatan)
    assert send_area_digests(DAY1.isoformat()) == {"decided": 0, "sent": 0}
    assert digests_sent() == []


def test_a_verified_account_follows_at_once_and_manages_its_follows(region, citizen, other_citizen, client_for):
    client = client_for(citizen)
    r = client.post(
        "/ikuti/",
        {"action": "follow", "email": "someone@else.id", "kelurahan": region.kelurahan.pk, "category": region.roads.pk},
    )
    assert r.status_code == 302
    follow = AreaFollow.objects.get()
    # The account's own verified address, whatever was typed; no confirmation mail.
    assert (follow.email, follow.user, follow.kecamatan, follow.kelurahan) == (
        citizen.email,
        citizen,
        region.kecamatan,
        region.kelurahan,
    )
    assert follow.confirmed_at is not None and mail.outbox == []
    page = client.get("/ikuti/").content.decode()
    assert "Lamokato" in page and 'id="my-follows"' in page
    assert "/ikuti/" in client.get("/akun/").content.decode()

    # Someone else cannot remove it; its owner can.
    client_for(other_citizen).post("/ikuti/", {"action": "unfollow", "follow": follow.pk})
    assert AreaFollow.objects.filter(pk=follow.pk).exists()
    client.post("/ikuti/", {"action": "unfollow", "follow": follow.pk})
    assert not AreaFollow.objects.filter(pk=follow.pk).exists()


def test_a_follow_must_name_something(region, citizen, client_for):
    r = client_for(citizen).post("/ikuti/", {"action": "follow", "email": citizen.email})
    assert r.status_code == 200
    assert not AreaFollow.objects.exists()


def test_one_click_unsubscribe_by_signed_link(region):
    follow = follow_of(region)
    token = digests.unsubscribe_token(follow)
    client = Client(enforce_csrf_checks=True)
    # Opening the link (a mail scanner does) only shows the button.
    assert client.get(f"/ikuti/berhenti/{token}/").status_code == 200
    assert AreaFollow.objects.filter(pk=follow.pk).exists()
    # Tampered or forged: refused.
    assert client.post(f"/ikuti/berhenti/{token[:-3]}abc/").status_code == 404
    assert client.post(f"/ikuti/berhenti/{digests.confirm_token(follow)}/").status_code == 404
    assert AreaFollow.objects.filter(pk=follow.pk).exists()
    # RFC 8058: the mail client's POST carries no form token.
    assert client.post(f"/ikuti/berhenti/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not AreaFollow.objects.filter(pk=follow.pk).exists()
    assert client.post(f"/ikuti/berhenti/{token}/").status_code == 404


# The digest -----------------------------------------------------------------------------------
def test_the_digest_carries_public_data_only_and_comes_once_a_day(region, reports, citizen):
    follow = follow_of(region)
    assert send_area_digests(DAY1.isoformat()) == {"decided": 1, "sent": 1}
    assert send_area_digests((DAY1 + timedelta(hours=3)).isoformat()) == {"decided": 0, "sent": 0}
    sent = digests_sent()
    assert len(sent) == 1
    assert AreaDigest.objects.filter(follow=follow).count() == 1
    message = sent[0]
    text = message.subject + message.body
    for key in ("umum", "anonim"):
        assert reports[key].title in text and reports[key].tracking_id in text
    for key in ("rahasia", "elsewhere", "unverified"):
        assert reports[key].title not in text and reports[key].tracking_id not in text
    assert ANONIM_STREET not in text
    for secret in (citizen.email, citizen.full_name, citizen.display_name, str(citizen.phone)):
        assert secret not in text
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<") and "/ikuti/berhenti/" in unsubscribe and unsubscribe.strip("<>") in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = AreaDigest.objects.get()
    assert digest.sent_at is not None and digest.items == 2


def test_the_next_digest_tells_status_changes_not_old_news(region, reports, liaison_pu):
    follow = follow_of(region, category=region.roads)
    send_area_digests(DAY1.isoformat())
    mail.outbox.clear()
    umum = reports["umum"]
    with time_machine.travel(DAY1 + timedelta(hours=2), tick=False):
        Event.objects.create(complaint=umum, type=EventType.CLOSED, audience=Audience.PUBLIC)
        umum.__class__.objects.filter(pk=umum.pk).update(status=Status.SELESAI)
        # A staff-only entry about the rahasia report, and one about a public report, say nothing.
        Event.objects.create(complaint=reports["anonim"], type=EventType.CLOSED, audience=Audience.STAFF)
        Event.objects.create(complaint=reports["rahasia"], type=EventType.CLOSED, audience=Audience.PUBLIC)
    assert send_area_digests(DAY2.isoformat())["sent"] == 1
    (message,) = digests_sent()
    assert "Perubahan status" in message.body and "Laporan baru" not in message.body
    assert umum.title in message.body and "Selesai" in message.body
    assert reports["anonim"].title not in message.body and reports["rahasia"].title not in message.body
    assert AreaFollow.objects.get(pk=follow.pk).last_digest_at == DAY2


def test_nothing_new_sends_nothing(region, reports, other_kecamatan):
    follow_of(region, kecamatan=other_kecamatan, category=region.health)
    assert send_area_digests(DAY1.isoformat()) == {"decided": 0, "sent": 0}
    assert digests_sent() == [] and not AreaDigest.objects.exists()


def test_a_report_made_rahasia_before_sending_is_not_told(region, reports, monkeypatch):
    follow_of(region)
    original = digests.deliver
    monkeypatch.setattr(digests, "deliver", lambda pk: False)
    send_area_digests(DAY1.isoformat())
    reports["umum"].__class__.objects.filter(pk__in=[reports["umum"].pk, reports["anonim"].pk]).update(
        privacy="rahasia"
    )
    digest = AreaDigest.objects.get()
    assert original(digest.pk) is True
    digest.refresh_from_db()
    assert digest.last_error.startswith("suppressed") and digests_sent() == []


def test_a_failed_mail_is_retried_and_sent_once(region, reports, monkeypatch):
    from django.core.mail import EmailMessage

    follow_of(region)
    real_send = EmailMessage.send

    def down(self, *args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", down)
    assert send_area_digests(DAY1.isoformat()) == {"decided": 1, "sent": 0}
    digest = AreaDigest.objects.get()
    assert digest.sent_at is None and digest.attempts == 1 and "SMTP down" in digest.last_error
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert send_area_digests((DAY1 + timedelta(hours=1)).isoformat())["decided"] == 0
    assert digests.flush_digests(older_than_seconds=0) == 1
    assert digests.flush_digests(older_than_seconds=0) == 0
    assert len(digests_sent()) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (SKIP LOCKED) need PostgreSQL; SQLite has one writer"
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_one_digest(region, file_report, operator):
    with time_machine.travel(T1, tick=False):
        c = file_report(title="Lampu jalan padam", kecamatan=region.kecamatan)
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    for i in range(10):
        AreaFollow.objects.create(email=f"p{i}@warga.id", kecamatan=region.kecamatan, confirmed_at=T0)
    mail.outbox.clear()
    results, errors = run_at_once(lambda: digests.send_area_digests(DAY1))
    assert not errors and len(results) == 2
    assert sum(r["sent"] for r in results) == 10
    assert AreaDigest.objects.count() == 10
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{i}@warga.id" for i in range(10))


# Feeds ----------------------------------------------------------------------------------------
def _entries(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # well-formed XML
    assert root.tag == f"{ATOM}feed"
    return {e.find(f"{ATOM}title").text: e for e in root.findall(f"{ATOM}entry")}


def test_feeds_are_valid_atom_with_public_reports_only(region, reports, citizen, other_kecamatan):
    client = Client()
    everything = _entries(client.get("/laporan/feed/semua.atom"))
    assert set(everything) == {reports[k].title for k in ("umum", "anonim", "elsewhere")}
    kecamatan = _entries(client.get(f"/laporan/feed/kecamatan/{region.kecamatan.code}.atom"))
    assert set(kecamatan) == {reports["umum"].title, reports["anonim"].title}
    kelurahan = _entries(client.get(f"/laporan/feed/kelurahan/{region.kelurahan.code}.atom"))
    assert set(kelurahan) == {reports["umum"].title, reports["anonim"].title}
    assert set(_entries(client.get(f"/laporan/feed/kecamatan/{other_kecamatan.code}.atom"))) == {
        reports["elsewhere"].title
    }
    assert set(_entries(client.get("/laporan/feed/kategori/jalan.atom"))) == set(everything)
    assert _entries(client.get("/laporan/feed/kategori/kesehatan.atom")) == {}
    for url in ("/laporan/feed/kecamatan/99.atom", "/laporan/feed/kategori/tidak-ada.atom"):
        assert client.get(url).status_code == 404
    # The report's link is there; no author, no identity, no anonim street.
    entry = everything[reports["anonim"].title]
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/laporan/{reports['anonim'].tracking_id}/")
    assert entry.find(f"{ATOM}author") is None
    for url in ("/laporan/feed/semua.atom", f"/laporan/feed/kecamatan/{region.kecamatan.code}.atom"):
        body = client.get(url).content.decode()
        assert ANONIM_STREET not in body and reports["rahasia"].title not in body
        for secret in (citizen.email, citizen.full_name, citizen.display_name):
            assert secret not in body
    # A signed-in reporter reads the same public feed (their rahasia report is not in it).
    c = Client()
    c.force_login(citizen)
    assert set(_entries(c.get("/laporan/feed/semua.atom"))) == set(everything)


def test_the_feed_page_and_report_page_link_their_feeds(region, reports):
    client = Client()
    page = client.get("/laporan/").content.decode()
    assert 'rel="alternate" type="application/atom+xml"' in page and "/laporan/feed/semua.atom" in page
    filtered = client.get(f"/laporan/?kecamatan={region.kecamatan.pk}&category=jalan").content.decode()
    assert f"/laporan/feed/kecamatan/{region.kecamatan.code}.atom" in filtered
    assert "/laporan/feed/kategori/jalan.atom" in filtered
    assert f"/ikuti/?kecamatan={region.kecamatan.pk}" in filtered
    report_page = client.get(reports["umum"].get_absolute_url()).content.decode()
    assert f"/laporan/feed/kecamatan/{region.kecamatan.code}.atom" in report_page
    assert f"/ikuti/?kecamatan={region.kecamatan.pk}" in report_page


def test_a_signed_link_names_no_address_and_dies_with_its_follow(region):
    follow = follow_of(region)
    token = digests.unsubscribe_token(follow)
    assert "pengikut" not in signing.b64_decode(token.split(":")[0].encode()).decode()
    pk = follow.pk
    follow.delete()
    # A new follow that got the same row id (SQLite reuses them) is not reached by the old link.
    AreaFollow.objects.create(pk=pk, email="orang.lain@warga.id", kecamatan=region.kecamatan, confirmed_at=T0)
    assert Client().post(f"/ikuti/berhenti/{token}/").status_code == 404
    assert AreaFollow.objects.filter(pk=pk).exists()


def test_the_form_cannot_flood_a_mailbox(region, other_kecamatan, django_capture_on_commit_callbacks):
    client = Client()
    areas = [region.kecamatan, other_kecamatan] + [
        Area.objects.create(name=f"Kec {i}", code=f"9{i}", level=Area.Level.KECAMATAN) for i in range(6)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            for area in areas:
                client.post("/ikuti/", {"action": "follow", "email": "korban@contoh.id", "kecamatan": area.pk})
    assert len(mail.outbox) == 5
    assert AreaFollow.objects.filter(email="korban@contoh.id").count() == 5
    # A day later the same request may be mailed again (the old link is replaced).
    first = AreaFollow.objects.filter(kecamatan=region.kecamatan).get()
    AreaFollow.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ikuti/", {"action": "follow", "email": "korban@contoh.id", "kecamatan": region.kecamatan.pk})
    assert len(mail.outbox) == 6
    assert AreaFollow.objects.filter(email="korban@contoh.id").count() == 5
    assert digests.follow_for_confirmation(digests.confirm_token(first)) is None


def test_an_erased_account_follows_nothing(region, citizen, client_for):
    from accounts.services import erase_account, export_data

    client_for(citizen).post("/ikuti/", {"action": "follow", "email": citizen.email, "kecamatan": region.kecamatan.pk})
    exported = export_data(citizen)
    assert [f["kecamatan"] for f in exported["area_follows"]] == ["Kota"]
    erase_account(citizen)
    assert not AreaFollow.objects.exists()


def test_beat_sends_the_digests_daily_at_the_documented_hour(settings):
    from lapor.celery import app

    app.finalize(auto=True)
    entries = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    daily = entries["complaints.tasks.send_area_digests"]["schedule"]
    assert daily.hour == {settings.AREA_DIGEST_HOUR} and daily.minute == {0}
    assert "complaints.tasks.flush_area_digests" in entries


def test_an_account_reads_its_digest_in_its_language(region, reports, citizen):
    region.roads.name_en = "Roads and bridges"
    region.roads.save()
    citizen.preferred_language = "en"
    citizen.save()
    AreaFollow.objects.create(email=citizen.email, user=citizen, category=region.roads, confirmed_at=T0)
    send_area_digests(DAY1.isoformat())
    (message,) = [m for m in mail.outbox if m.to == [citizen.email]]
    assert "Newly published reports" in message.body and "Roads and bridges" in message.body
    assert "Laporan baru yang dipublikasikan" not in message.body
