"""A hand-computed region for the dashboard tests (docs/product.md §7).

Every report below is filed and disposed at 10:00 WIB; Wednesday 4 November 2026 is a local
holiday, so a first-follow-up clock started on Monday 2 November is due at the end of Tuesday
10 November (Tue 3, Thu 5, Fri 6, Mon 9, Tue 10). The sweep runs on Friday 20 November, which is
"now" for every figure.

Dinas PU (all in kecamatan Kota):
  A umum     follow-up Thu 5 Nov (2 working days), finished, accepted, rated 4  → selesai, on time
  B anonim   follow-up Tue 10 Nov 15:00 (5), finished, accepted, reopened 16 Nov → proses, on time
  C umum     follow-up Thu 12 Nov (7), finished, accepted, rated 2               → selesai, late
  D umum     never followed up                                                 → overdue now, late, escalated
  E rahasia  follow-up Mon 9 Nov (4)                                           → proses, on time
  F umum     returned Tue 3 Nov (before its deadline), never re-disposed       → a return
Dinas Kesehatan:
  G umum     follow-up Wed 11 Nov (6)                                          → late
  H umum     filed Tue 1 Sep, follow-up Wed 2 Sep (1), never finished          → on time, past 60 days
Not disposed: I unverified (its verification clock escalates to Diskominfo), J archived invalid.
F's re-disposition clock also escalates to Diskominfo.

Hand-computed: PU — 6 reports (2 belum ditindaklanjuti, 2 proses, 2 selesai), on time 3, late 2
(60 %), median first response 4.5 working days (2, 4, 5, 7), overdue now 1, escalations 1,
returns 1, reopen rate 1 of 3 closed (33.3 %), mean rating 3.0. Dinkes — 2 reports (2 proses),
on time 1, late 1 (50 %), median 3.5 (1, 6), past 60 days 1, escalations 1 (H's settlement
clock). Diskominfo — escalations 2.
"""

import datetime

import pytest
import time_machine

from agencies import calendar
from agencies.models import Holiday
from complaints import workflow
from complaints.deadlines import sweep as sla

WIB = datetime.timezone(datetime.timedelta(hours=7))
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=WIB)


def at(day, month=11, hour=10, minute=0):
    return time_machine.travel(datetime.datetime(2026, month, day, hour, minute, tzinfo=WIB), tick=False)


@pytest.fixture
def head_dinkes(region):
    from tests.conftest import make_user

    return make_user("kepala.dinkes@pemda.go.id", "Kepala Dinkes", ("head", region.dinkes))


@pytest.fixture
def november(region, file_report, operator, liaison_pu, liaison_dinkes, citizen):
    Holiday.objects.create(date=datetime.date(2026, 11, 4), name="Hari jadi kabupaten", kind=Holiday.Kind.LOCAL)
    calendar.invalidate()
    r = type("November", (), {})()

    def disposed(title, agencies=("dinas-pu",), privacy="umum", category=None, **fields):
        c = file_report(title=title, privacy=privacy, category=category, **fields)
        workflow.verify(c.pk, by=operator, agencies=list(agencies))
        return c, c.dispositions.get()

    def followup(c, d, by):
        workflow.followup(c.pk, by=by, disposition=d.pk, body="Sudah kami tindak lanjuti di lapangan.")

    def accepted(c, d):
        """Followed up and finished by Dinas PU, then accepted by the reporter."""
        followup(c, d, liaison_pu)
        workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
        workflow.accept(c.pk, by=citizen)

    kota = {"kecamatan": region.kecamatan}
    with at(1, month=9):
        r.h, dh = disposed("Puskesmas tutup siang hari", ("dinkes",), category=region.health)
    with at(2, month=9):
        followup(r.h, dh, liaison_dinkes)
    with at(2):
        r.a, da = disposed("Lampu jalan mati di pasar", **kota)
        r.b, db = disposed("Selokan mampet dekat sekolah", privacy="anonim", **kota)
        r.c, dc = disposed("Jembatan kayu lapuk", **kota)
        r.d, _dd = disposed("Jalan desa belum diaspal", **kota)
        r.e, de = disposed("Rahasia: pungutan proyek jalan", privacy="rahasia", **kota)
        r.f, df = disposed("Drainase bukan urusan PU", **kota)
        r.g, dg = disposed("Antrean obat lama", ("dinkes",), category=region.health)
        r.i = file_report(title="Belum diverifikasi sama sekali", **kota)
        r.j = file_report(title="Laporan iseng tidak valid", **kota)
        workflow.archive(r.j.pk, by=operator, reason="invalid", note="Isi laporan tidak dapat dipahami.")
    with at(3):
        workflow.return_disposition(r.f.pk, by=liaison_pu, disposition=df.pk, reason="Bukan kewenangan Dinas PU.")
    with at(5):
        accepted(r.a, da)
        workflow.rate(r.a.pk, by=citizen, score=4)
    with at(9):
        followup(r.e, de, liaison_pu)
    with at(10, hour=15):
        accepted(r.b, db)
    with at(11):
        followup(r.g, dg, liaison_dinkes)
    with at(12):
        accepted(r.c, dc)
        workflow.rate(r.c.pk, by=citizen, score=2)
    with at(16):
        workflow.reopen(r.b.pk, by=citizen, body="Selokan mampet lagi setelah hujan deras.")
    with at(20):
        sla.sla_sweep(NOW)
    for c in (r.a, r.b, r.c, r.d, r.e, r.f, r.g, r.h, r.i, r.j):
        c.refresh_from_db()
    return r


@pytest.fixture
def now():
    """Freeze the clock at NOW for a test body."""
    with time_machine.travel(NOW, tick=False):
        yield NOW
