"""Load a realistic region into an empty, migrated PostgreSQL database, fast.

At scale 1: 1,000,000 reports filed over three years, with their dispositions (~1.3 each),
timelines (~6 entries each), supports, clocks and the clock steps the sweeps would have recorded,
across every status, kind, channel and privacy level (70% umum, 20% anonim, 10% rahasia); 40
agencies, 20 kecamatan with 200 kelurahan, 50,000 citizens and the staff accounts the benchmark
signs in as. Smaller scales shrink the reports and the citizens in proportion.

Reference rows (agencies, areas, categories, holidays, staff) go through the ORM; the bulk goes
through `COPY … FROM STDIN` with the big tables' secondary indexes and foreign keys dropped during
the load and rebuilt (and validated) afterwards. Every row respects the invariants the workflow
keeps: a status's timestamps and deadline columns, each running clock mirrored on its report or
disposition, unique tracking ids of the `LPR-XXXX-XXXX` form, `support_count` equal to the
supports, a step recorded for every rung of a ladder that was due before yesterday (the sweep has
been running), so a sweep "now" has one day of work, like every morning.
"""

import io
import json
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

FULL_REPORTS = 1_000_000
FULL_CITIZENS = 50_000
CHUNK = 20_000
SEED = 9

# (slug, name, short name, kind, parent slug): 40 agencies with the demo region's 19 among them.
EXTRA_OPDS = [
    ("disnakertrans", "Dinas Tenaga Kerja dan Transmigrasi", "Disnakertrans"),
    ("dinas-pertanian", "Dinas Pertanian dan Ketahanan Pangan", "Dinas Pertanian"),
    ("dinas-perikanan", "Dinas Kelautan dan Perikanan", "DKP"),
    ("dinas-perkim", "Dinas Perumahan dan Kawasan Permukiman", "Disperkim"),
    ("dinas-pariwisata", "Dinas Pariwisata dan Kebudayaan", "Dispar"),
    ("dinas-koperasi", "Dinas Koperasi dan UKM", "Diskop UKM"),
    ("dinas-perdagangan", "Dinas Perindustrian dan Perdagangan", "Disperindag"),
    ("dpmptsp", "Dinas Penanaman Modal dan PTSP", "DPMPTSP"),
    ("dinas-pora", "Dinas Pemuda dan Olahraga", "Dispora"),
    ("dp3a", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak", "DP3A"),
    ("dpmd", "Dinas Pemberdayaan Masyarakat dan Desa", "DPMD"),
    ("satpol-pp", "Satuan Polisi Pamong Praja", "Satpol PP"),
    ("bpbd", "Badan Penanggulangan Bencana Daerah", "BPBD"),
    ("bapenda", "Badan Pendapatan Daerah", "Bapenda"),
    ("bappeda", "Badan Perencanaan Pembangunan Daerah", "Bappeda"),
    ("rsud", "Rumah Sakit Umum Daerah", "RSUD"),
    ("pdam", "Perumda Air Minum", "PDAM"),
    ("dinas-arsip", "Dinas Perpustakaan dan Kearsipan", "Dispusip"),
]
EXTRA_UNITS = [
    ("dishub-uptd-terminal", "UPTD Terminal", "UPTD Terminal", "dishub"),
    ("dinsos-uptd-panti", "UPTD Panti Sosial", "UPTD Panti", "dinsos"),
    ("satpol-pp-damkar", "Bidang Pemadam Kebakaran", "Damkar", "satpol-pp"),
]

# category slug -> (titles, sentences, extra agencies a second disposition may go to)
TOPICS = {
    "jalan-jembatan": (
        [
            "Jalan berlubang di depan pasar",
            "Jembatan kayu rusak dan membahayakan",
            "Drainase tersumbat membuat jalan tergenang",
            "Aspal jalan mengelupas setelah hujan",
            "Trotoar rusak dan dipakai pedagang",
            "Jalan desa belum diperbaiki bertahun-tahun",
        ],
        [
            "Lubangnya dalam dan sudah beberapa kali membuat pengendara motor terjatuh.",
            "Saat hujan air menggenang setinggi lutut dan warga tidak bisa lewat.",
            "Kami mohon jalan segera ditambal sebelum ada korban.",
            "Perbaikan tahun lalu hanya bertahan dua bulan.",
        ],
        ["dinas-perkim", "bpbd"],
    ),
    "kesehatan": (
        [
            "Antrean puskesmas sangat lama",
            "Obat di puskesmas sering kosong",
            "Petugas posyandu tidak datang",
            "Pelayanan IGD rumah sakit lambat",
            "Ambulans desa tidak bisa dihubungi",
        ],
        [
            "Pasien lansia menunggu sejak pagi sampai siang tanpa kepastian.",
            "Kami diminta membeli obat sendiri di apotek luar.",
            "Jadwal imunisasi anak bulan ini batal tanpa pemberitahuan.",
            "Mohon pelayanan kesehatan diperbaiki.",
        ],
        ["rsud"],
    ),
    "pendidikan": (
        [
            "Atap ruang kelas bocor",
            "Pungutan seragam di sekolah negeri",
            "Guru sering tidak hadir mengajar",
            "Penerimaan murid baru tidak transparan",
        ],
        [
            "Anak-anak belajar dengan ember penampung air di kelas.",
            "Orang tua diminta membayar di luar ketentuan.",
            "Murid dipulangkan lebih awal karena tidak ada guru.",
            "Mohon dinas pendidikan memeriksa sekolah ini.",
        ],
        ["dinas-pora"],
    ),
    "transportasi": (
        [
            "Lampu penerangan jalan mati",
            "Angkutan umum ngetem sembarangan",
            "Rambu lalu lintas hilang di persimpangan",
            "Parkir liar di bahu jalan",
            "Terminal kotor dan gelap pada malam hari",
        ],
        [
            "Sudah sebulan lampu jalan mati sehingga rawan kejahatan.",
            "Kemacetan terjadi setiap pagi karena kendaraan parkir sembarangan.",
            "Pengendara dari luar kota sering salah arah.",
            "Mohon segera ditertibkan oleh petugas.",
        ],
        ["satpol-pp", "dishub-uptd-terminal"],
    ),
    "kependudukan": (
        [
            "KTP elektronik belum jadi",
            "Pengurusan kartu keluarga berbelit",
            "Akta kelahiran anak belum terbit",
            "Blangko KTP habis di kecamatan",
        ],
        [
            "Sudah tiga bulan menunggu padahal berkas lengkap.",
            "Kami disuruh bolak-balik ke kantor tanpa kejelasan.",
            "Anak kami butuh akta untuk mendaftar sekolah.",
            "Mohon informasi kapan dokumen bisa diambil.",
        ],
        [],
    ),
    "lingkungan-sampah": (
        [
            "Sampah menumpuk di TPS",
            "Bau limbah pabrik mengganggu warga",
            "Pohon tumbang menutup jalan",
            "Truk sampah tidak mengangkut seminggu",
            "Sungai tercemar limbah rumah tangga",
        ],
        [
            "Tumpukan sampah sudah meluber ke jalan dan berbau busuk.",
            "Warga mengeluh sesak napas terutama pada malam hari.",
            "Anak-anak tidak bisa lewat karena jalan tertutup.",
            "Mohon dinas lingkungan hidup segera menindaklanjuti.",
        ],
        ["dlh-uptd-persampahan", "bpbd"],
    ),
    "bantuan-sosial": (
        [
            "Bantuan PKH tidak tepat sasaran",
            "Lansia belum menerima BPNT",
            "Data DTKS tidak diperbarui",
            "Bantuan disabilitas dipotong oknum",
        ],
        [
            "Tetangga yang mampu menerima bantuan, yang miskin tidak.",
            "Nenek kami sudah mendaftar dua kali tetapi belum terdaftar.",
            "Mohon pendataan ulang penerima bantuan di desa kami.",
            "Kami khawatir bantuan tidak sampai ke yang berhak.",
        ],
        ["dpmd", "dinsos-uptd-panti"],
    ),
    "informasi-publik": (
        [
            "Permintaan salinan APBDes",
            "Permintaan data anggaran perbaikan jalan",
            "Permintaan daftar penerima bantuan",
            "Permintaan dokumen izin bangunan",
        ],
        [
            "Saya meminta salinan dokumen untuk keperluan penelitian.",
            "Mohon informasi dikirim dalam bentuk PDF.",
            "Dokumen ini informasi publik menurut UU 14/2008.",
            "Terima kasih atas pelayanannya.",
        ],
        [],
    ),
    "netralitas-asn": (
        [
            "ASN ikut kampanye pasangan calon",
            "Kepala sekolah mengarahkan guru memilih calon",
        ],
        [
            "Ada foto dan video kegiatan tersebut di media sosial.",
            "Kejadian berlangsung di acara resmi pemerintah.",
            "Mohon diperiksa sesuai aturan netralitas ASN.",
        ],
        [],
    ),
    "perilaku-pejabat": (
        [
            "Pejabat bersikap arogan kepada warga",
            "Petugas pelayanan membentak pemohon",
        ],
        [
            "Warga yang bertanya justru dimarahi di depan umum.",
            "Kami berharap ada pembinaan kepada petugas tersebut.",
            "Kejadian disaksikan banyak orang di kantor pelayanan.",
        ],
        [],
    ),
    "pungli": (
        [
            "Pungutan liar saat mengurus surat",
            "Diminta uang pelicin untuk izin usaha",
        ],
        [
            "Petugas meminta uang tanpa kuitansi resmi.",
            "Kami tidak diberi layanan sebelum membayar.",
            "Mohon ditindak tegas agar tidak terulang.",
        ],
        [],
    ),
}
OVERSIGHT_CATEGORIES = ("netralitas-asn", "perilaku-pejabat", "pungli")
KECAMATAN_NAMES = [
    "Kota Tengah", "Sukamaju", "Tanjung Harapan", "Bukit Indah", "Pantai Timur", "Lembah Hijau",
    "Sungai Rejo", "Mekarsari", "Karang Anyar", "Tanah Merah", "Padang Luas", "Batu Putih",
    "Rawa Bening", "Gunung Sari", "Teluk Biru", "Pasir Panjang", "Sumber Jaya", "Cempaka",
    "Harapan Baru", "Kebun Raya",
]  # fmt: skip
VILLAGE_WORDS = ["Baru", "Jaya", "Makmur", "Indah", "Lestari", "Sejahtera", "Mulya", "Asri", "Permai", "Damai"]
FIRST_NAMES = ["Andi", "Budi", "Citra", "Dewi", "Eka", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika", "Lina",
               "Made", "Nur", "Oki", "Putri", "Rahmat", "Sari", "Taufik", "Wulan", "Yusuf", "Zahra"]  # fmt: skip
LAST_NAMES = ["Saputra", "Wijaya", "Lestari", "Hidayat", "Pratama", "Siregar", "Nasution", "Rahayu", "Santoso",
              "Kusuma", "Harahap", "Daeng", "Lubis", "Sembiring"]  # fmt: skip
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BIG_TABLES = (
    "complaints_complaint",
    "complaints_disposition",
    "complaints_event",
    "complaints_clock",
    "complaints_clockstep",
    "complaints_support",
)
STAFF_PASSWORD_HASH = "!bench-unusable"  # sessions are made directly: no one logs in with a password


# COPY --------------------------------------------------------------------------------------------
def _text(value):
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


_FORMAT = {
    str: _text,
    int: str,
    bool: lambda v: "t" if v else "f",
    type(None): lambda v: "\\N",
    datetime: datetime.isoformat,
    date: date.isoformat,
    Decimal: str,
    dict: lambda v: _text(json.dumps(v, ensure_ascii=False)),
    list: lambda v: _text(json.dumps(v, ensure_ascii=False)),
}


class Table:
    """Rows of one model, buffered as COPY text. Columns the loader does not set get the field's
    default (or NULL/'' when it has none), computed once; a required column without a default is
    an error, so a field added to a model later is noticed here rather than loaded wrong."""

    def __init__(self, model, now):
        self.model = model
        self.name = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.defaults = []
        for f in fields:
            if f.has_default():
                default = f.get_default()
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = now
            elif f.null or f.primary_key:
                default = None
            elif f.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
                default = ""
            else:
                default = _Required(f.attname)
            self.defaults.append(default)
        self.buffer = io.StringIO()
        self.rows = 0
        self.total = 0

    def add(self, row):
        values = []
        for attname, default in zip(self.attnames, self.defaults, strict=True):
            value = row.get(attname, default)
            if isinstance(value, _Required):
                raise ValueError(f"{self.name}.{attname} needs a value")
            values.append(_FORMAT[type(value)](value))
        self.buffer.write("\t".join(values))
        self.buffer.write("\n")
        self.rows += 1

    def flush(self, cursor):
        if not self.rows:
            return
        self.buffer.seek(0)
        cols = ", ".join(f'"{c}"' for c in self.columns)
        cursor.copy_expert(f'COPY "{self.name}" ({cols}) FROM STDIN', self.buffer)
        self.total += self.rows
        self.buffer = io.StringIO()
        self.rows = 0


class _Required:
    def __init__(self, name):
        self.name = name


# Calendar, memoised (deadlines fall on a few thousand distinct days) -------------------------------
class Deadlines:
    def __init__(self):
        from agencies import calendar

        self.cal = calendar
        self._add, self._sub, self._cal = {}, {}, {}

    def add(self, instant, n):
        key = (self.cal.local_date(instant), n)
        if key not in self._add:
            self._add[key] = self.cal.add_working_days(key[0], n)
        return self._add[key]

    def sub(self, deadline, n):
        key = (deadline, n)
        if key not in self._sub:
            self._sub[key] = self.cal.subtract_working_days(deadline, n)
        return self._sub[key]

    def calendar_days(self, instant, n):
        key = (self.cal.local_date(instant), n)
        if key not in self._cal:
            self._cal[key] = self.cal.add_calendar_days(instant, n)
        return self._cal[key]


# Reference data ----------------------------------------------------------------------------------
def reference(now, log):
    """Agencies, areas, categories, holidays, the SLA policy and the staff accounts (ORM)."""
    import holidays as holidays_lib

    from accounts.models import Membership, Role, User
    from agencies.models import Agency, AgencyKind, Area, Category, Holiday, SlaPolicy
    from complaints.demo_data import AGENCIES, CATEGORIES

    with transaction.atomic():
        by_slug = {}
        for slug, name, short_name, kind, parent in AGENCIES:
            by_slug[slug] = Agency.objects.create(
                slug=slug, name=name, short_name=short_name, kind=kind, parent=by_slug.get(parent)
            )
        for slug, name, short_name in EXTRA_OPDS:
            by_slug[slug] = Agency.objects.create(slug=slug, name=name, short_name=short_name, kind=AgencyKind.OPD)
        for slug, name, short_name, parent in EXTRA_UNITS:
            by_slug[slug] = Agency.objects.create(
                slug=slug, name=name, short_name=short_name, kind=AgencyKind.UNIT, parent=by_slug[parent]
            )
        kelurahan = []
        for i, name in enumerate(KECAMATAN_NAMES, start=1):
            lat, lng = Decimal("-4.6") + Decimal(i) / 100, Decimal("121.9") + Decimal(i) / 100
            kec = Area.objects.create(name=name, code=f"99.01.{i:02d}", level=Area.Level.KECAMATAN, lat=lat, lng=lng)
            for j, word in enumerate(VILLAGE_WORDS, start=1):
                kelurahan.append(
                    Area.objects.create(
                        name=f"{name.split()[0]} {word}",
                        code=f"99.01.{i:02d}.{2000 + j}",
                        level=Area.Level.KELURAHAN,
                        parent=kec,
                        lat=lat + Decimal(j) / 1000,
                        lng=lng - Decimal(j) / 1000,
                    )
                )
        categories = {}
        for order, (slug, name, name_en, description, agency, oversight) in enumerate(CATEGORIES, start=1):
            categories[slug] = Category.objects.create(
                slug=slug,
                name=name,
                name_en=name_en,
                description=description,
                default_agency=by_slug[agency],
                oversight=oversight,
                order=order,
            )
        years = list(range(now.year - 3, now.year + 2))
        rows = {}
        for cats, kind in ((("public",), Holiday.Kind.NATIONAL), (("government",), Holiday.Kind.CUTI_BERSAMA)):
            for day, name in holidays_lib.Indonesia(years=years, categories=cats, language="id").items():
                rows.setdefault(day, (name[:150], kind))
        Holiday.objects.bulk_create(
            [Holiday(date=d, name=n, kind=k, source="library") for d, (n, k) in sorted(rows.items())]
        )
        SlaPolicy.current()

        staff = {}

        def account(key, role, agency):
            user = User.objects.create(
                email=f"{key}@bench.invalid",
                full_name=f"Petugas {key}",
                display_name=key,
                email_verified=True,
                privacy_consent_at=now,
                password=STAFF_PASSWORD_HASH,
            )
            Membership.objects.create(user=user, role=role, agency=agency)
            staff[key] = user
            return user

        for n in range(1, 6):
            account(f"operator{n}", Role.OPERATOR, by_slug["diskominfo"])
        account("auditor-inspektorat", Role.AUDITOR, by_slug["inspektorat"])
        account("auditor-bkd", Role.AUDITOR, by_slug["bkd"])
        account("auditor-ombudsman", Role.AUDITOR, by_slug["ombudsman"])
        for slug, agency in by_slug.items():
            if agency.kind in (AgencyKind.OPD, AgencyKind.PPID, AgencyKind.INSPEKTORAT, AgencyKind.BKD):
                account(f"liaison-{slug}", Role.LIAISON, agency)
                account(f"head-{slug}", Role.HEAD, agency)
            elif agency.kind == AgencyKind.UNIT:
                account(f"liaison-{slug}", Role.LIAISON, agency)
    from agencies import calendar

    calendar.invalidate()
    log(f"reference: {len(by_slug)} agencies, {len(kelurahan)} kelurahan, {len(categories)} categories, "
        f"{len(rows)} holidays, {len(staff)} staff accounts")  # fmt: skip
    return by_slug, kelurahan, categories, staff


# Indexes and foreign keys ------------------------------------------------------------------------
def drop_secondary(cursor):
    """Drop the big tables' foreign keys and non-constraint indexes; return the SQL to restore."""
    restore_idx, restore_fk = [], []
    for table in BIG_TABLES:
        cursor.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            restore_fk.append((table, name, definition))
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename = %s AND NOT EXISTS (
                   SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore_idx.append(definition)
    return restore_idx, restore_fk


def restore_secondary(cursor, restore_idx, restore_fk, log):
    cursor.execute("SET maintenance_work_mem = '512MB'")
    t = time.monotonic()
    for definition in restore_idx:
        cursor.execute(definition)
    log(f"indexes rebuilt: {len(restore_idx)} in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    for table, name, definition in restore_fk:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition} NOT VALID')
        cursor.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')
    log(f"foreign keys restored and validated: {len(restore_fk)} in {time.monotonic() - t:.1f} s")


# The generator -----------------------------------------------------------------------------------
class Generator:
    def __init__(self, scale, now, by_slug, kelurahan, categories, staff, log):
        from accounts.models import User
        from complaints import models as m
        from complaints.deadlines.clocks import LADDER_DONE

        self.m = m
        self.ladder_done = LADDER_DONE
        self.rng = random.Random(SEED)
        self.now = now
        self.log = log
        self.n_reports = max(int(round(FULL_REPORTS * scale)), 50)
        self.n_citizens = max(int(round(FULL_CITIZENS * scale)), 100)
        self.start = now - timedelta(days=3 * 365)
        self.dl = Deadlines()
        # Steps whose instant is before this were recorded by the sweeps of earlier days.
        local_today = timezone.localtime(now).date()
        self.cutoff = timezone.make_aware(datetime.combine(local_today - timedelta(days=1), datetime.min.time()))
        self.agencies = by_slug
        self.kelurahan = kelurahan
        self.categories = categories
        self.staff = staff
        self.operators = [u for k, u in staff.items() if k.startswith("operator")]
        self.liaison = {k.removeprefix("liaison-"): u for k, u in staff.items() if k.startswith("liaison-")}
        self.diskominfo = by_slug["diskominfo"]
        self.opds = [a for a in by_slug.values() if a.kind == "opd"]
        self.tracking = set()
        self.users = Table(User, now)
        self.complaints = Table(m.Complaint, now)
        self.dispositions = Table(m.Disposition, now)
        self.events = Table(m.Event, now)
        self.clocks = Table(m.Clock, now)
        self.steps = Table(m.ClockStep, now)
        self.supports = Table(m.Support, now)
        self.tables = [self.users, self.complaints, self.dispositions, self.events, self.clocks, self.steps,
                       self.supports]  # fmt: skip
        self.ids = {"user": 0, "complaint": 0, "disposition": 0, "event": 0, "clock": 0, "step": 0, "support": 0}
        cat_list = list(categories.values())
        self.cat_weights = [
            (c, 0.6 if c.slug in OVERSIGHT_CATEGORIES else (6 if c.slug == "informasi-publik" else 12))
            for c in cat_list
        ]
        from agencies.models import SlaPolicy

        self.policy = SlaPolicy.current()

    # helpers
    def next_id(self, key):
        self.ids[key] += 1
        return self.base[key] + self.ids[key]

    def tracking_id(self):
        while True:
            chars = "".join(self.rng.choices(ALPHABET, k=8))
            tid = f"LPR-{chars[:4]}-{chars[4:]}"
            if tid not in self.tracking:
                self.tracking.add(tid)
                return tid

    def after(self, t, lo_hours, hi_hours):
        return t + timedelta(hours=self.rng.uniform(lo_hours, hi_hours))

    def pick(self, weighted):
        r = self.rng.random() * sum(w for _v, w in weighted)
        for value, w in weighted:
            r -= w
            if r <= 0:
                return value
        return weighted[-1][0]

    def event(self, complaint_id, type_, at, audience="public", *, actor=None, label="", role="", agency=None,
              body="", disposition=None, data=None):  # fmt: skip
        eid = self.next_id("event")
        self.events.add(
            {
                "id": eid,
                "complaint_id": complaint_id,
                "type": type_,
                "created_at": at,
                "actor_id": actor,
                "actor_label": label,
                "actor_role": role,
                "actor_agency_id": agency,
                "audience": audience,
                "body": body,
                "disposition_id": disposition,
                "data": data or {},
            }
        )
        return eid

    # citizens
    def citizens(self, cursor):
        rng = self.rng
        self.citizen_ids = []
        for n in range(1, self.n_citizens + 1):
            uid = self.next_id("user")
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            joined = self.start + timedelta(seconds=rng.uniform(0, (self.now - self.start).total_seconds()))
            self.users.add(
                {
                    "id": uid,
                    "password": STAFF_PASSWORD_HASH,
                    "email": f"warga{n}@bench.invalid",
                    "full_name": f"{first} {last}",
                    "display_name": first if n % 3 else "",
                    "phone": f"+62812{n:08d}" if n % 5 < 3 else None,
                    "nik": f"7405{n:012d}" if n % 2 else "",
                    "email_verified": True,
                    "phone_verified": n % 5 < 3,
                    "privacy_consent_at": joined,
                    "date_joined": joined,
                    "is_active": True,
                }
            )
            self.citizen_ids.append(uid)
            if self.users.rows >= CHUNK:
                self.users.flush(cursor)
        self.users.flush(cursor)

    # reports
    def status_for(self, age_days):
        if age_days < 3:
            table = [("belum_terverifikasi", 55), ("tunda", 8), ("belum_ditindaklanjuti", 27), ("proses", 8),
                     ("arsip", 2)]  # fmt: skip
        elif age_days < 30:
            table = [("belum_terverifikasi", 3), ("tunda", 3), ("belum_ditindaklanjuti", 17), ("proses", 35),
                     ("selesai", 30), ("arsip", 12)]  # fmt: skip
        elif age_days < 120:
            table = [("belum_ditindaklanjuti", 4), ("proses", 10), ("selesai", 66), ("arsip", 20)]
        else:
            table = [("belum_ditindaklanjuti", 0.6), ("proses", 2), ("selesai", 74), ("arsip", 23.4)]
        return self.pick(table)

    def generate(self, cursor):
        rng = self.rng
        span = (self.now - self.start).total_seconds()
        offsets = sorted(rng.uniform(0, span - 600) for _ in range(self.n_reports))
        for i, off in enumerate(offsets):
            self.report(self.start + timedelta(seconds=off))
            if (i + 1) % CHUNK == 0:
                for table in self.tables[1:]:
                    table.flush(cursor)
                if (i + 1) % (CHUNK * 10) == 0:
                    self.log(f"  {i + 1:,} reports")
        for table in self.tables[1:]:
            table.flush(cursor)

    def report(self, created):
        rng, m, now = self.rng, self.m, self.now
        cid = self.next_id("complaint")
        age = (now - created).days
        status = self.status_for(age)
        category = self.pick(self.cat_weights)
        if category.slug == "informasi-publik":
            kind = "informasi"
        else:
            kind = "aspirasi" if rng.random() < 0.17 else "aduan"
        privacy = self.pick([("umum", 70), ("anonim", 20), ("rahasia", 10)])
        channel = self.pick([("web", 55), ("mobile", 25), ("sms", 8), ("open311", 3), ("walk-in", 4), ("phone", 3),
                             ("social", 2)])  # fmt: skip
        titles, sentences, extra = TOPICS[category.slug]
        village = rng.choice(self.kelurahan) if rng.random() < 0.85 else None
        place = village.name if village else rng.choice(KECAMATAN_NAMES)
        title = f"{rng.choice(titles)} {place}"[:200]
        body = " ".join(rng.sample(sentences, k=min(len(sentences), rng.randint(2, 3))))
        body = f"{title}. {body} Lokasi: {place}, RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 5):02d}."
        reporter = rng.choice(self.citizen_ids) if channel not in ("walk-in", "phone") or rng.random() < 0.5 else None
        oversight_cat = category.slug in OVERSIGHT_CATEGORIES
        row = {
            "id": cid,
            "tracking_id": self.tracking_id(),
            "kind": kind,
            "privacy": privacy,
            "status": status,
            "channel": channel,
            "title": title,
            "body": body,
            "category_id": category.pk,
            "location_text": f"Dekat balai {place}" if village else "",
            "kecamatan_id": village.parent_id if village else None,
            "kelurahan_id": village.pk if village else None,
            "incident_date": (created - timedelta(days=rng.randint(0, 7))).date(),
            "reporter_id": reporter,
            "walkin_name": "" if reporter else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "walkin_contact": "" if reporter else f"0813{rng.randint(10_000_000, 99_999_999)}",
            "entered_by_id": rng.choice(self.operators).pk if channel in m.MANUAL_CHANNELS else None,
            "created_at": created,
            "updated_at": created,
            "oversight": oversight_cat,
        }
        if village is not None and village.lat is not None and rng.random() < 0.5:
            row["lat"] = village.lat + Decimal(rng.randint(-900, 900)) / 1_000_000
            row["lng"] = village.lng + Decimal(rng.randint(-900, 900)) / 1_000_000
        if rng.random() < 0.25:
            row["target_agency_id"] = category.default_agency_id
        terlapor = None
        if (oversight_cat or rng.random() < 0.03) and self.opds:
            terlapor = rng.choice(self.opds)
            row["terlapor_agency_id"] = terlapor.pk
            if oversight_cat and rng.random() < 0.5:
                row["accused_name"], row["accused_position"] = "Oknum pegawai", "Staf pelayanan"
        rep_actor = {"actor": reporter, "label": "Pelapor", "role": "pelapor"}
        op = rng.choice(self.operators)
        op_actor = {"actor": op.pk, "label": "Admin Diskominfo", "role": "operator", "agency": self.diskominfo.pk}
        filed_at = created
        self.event(cid, "filed", filed_at, "public", **rep_actor)
        last = filed_at

        # Verification (and a tunda before it, for some).
        verified = status in ("belum_ditindaklanjuti", "proses", "selesai") or (
            status == "arsip" and rng.random() < 0.35
        )
        verification_start = filed_at
        if status == "tunda" or (verified and rng.random() < 0.08):
            tunda_at = self.after(filed_at, 1, 20)
            if status == "tunda":  # asked within the last week: its 10-working-day clock still runs
                tunda_at = min(max(tunda_at, now - timedelta(days=rng.uniform(0, 7))), now - timedelta(minutes=5))
            self.clock(cid, "verification", filed_at, 3, self.dl.add(filed_at, 3), self.diskominfo.pk,
                                 stopped=tunda_at, reason="postponed")  # fmt: skip
            self.event(cid, "postponed", tunda_at, "reporter", body="Mohon lengkapi foto lokasi.", **op_actor)
            if status == "tunda":
                due = self.dl.add(tunda_at, self.policy.tunda_days)
                self.clock(cid, "tunda", tunda_at, self.policy.tunda_days, due, None)
                row["tunda_due_at"] = due
                row["verification_days_left"] = 2
                row["updated_at"] = tunda_at
                self.complaints.add(row)
                return
            completed = self.after(tunda_at, 2, 48)
            self.clock(cid, "tunda", tunda_at, self.policy.tunda_days, self.dl.add(tunda_at, self.policy.tunda_days),
                       None, stopped=completed, reason="completed")  # fmt: skip
            self.event(cid, "completed", completed, "reporter", body="Foto sudah saya lampirkan.", **rep_actor)
            verification_start = completed
        v_due = self.dl.add(verification_start, self.policy.verification_days)
        if status == "belum_terverifikasi":
            self.clock(cid, "verification", verification_start, 3, v_due, self.diskominfo.pk)
            row["verification_due_at"] = v_due
            self.complaints.add(row)
            return
        if not verified:  # archived before verification
            reason = self.pick([("invalid", 40), ("withdrawn", 15), ("no_completion", 15), ("duplicate", 20),
                                ("forwarded", 10)])  # fmt: skip
            closed = min(self.after(verification_start, 2, 70), now - timedelta(minutes=1))
            self.clock(cid, "verification", verification_start, 3, v_due, self.diskominfo.pk, stopped=closed,
                       reason="archived")  # fmt: skip
            row.update(status="arsip", archive_reason=reason, closed_at=closed, updated_at=closed)
            if reason == "duplicate" and cid > self.base["complaint"] + 1:
                row["merged_into_id"] = rng.randint(self.base["complaint"] + 1, cid - 1)
                self.event(cid, "merged", closed, "public", data={"reason": reason}, **op_actor)
            elif reason == "forwarded":
                row["forwarded_to"] = rng.choice(["bpjs", "pln", "bpn", "polri", "bawaslu"])
                self.event(cid, "forwarded", closed, "public", data={"forwarded_to": row["forwarded_to"]}, **op_actor)
            elif reason == "withdrawn":
                self.event(cid, "withdrawn", closed, "public", data={"reason": reason}, **rep_actor)
            else:
                row["archive_note"] = "Laporan tidak memenuhi ketentuan."
                self.event(cid, "archived", closed, "public", data={"reason": reason}, **op_actor)
            self.complaints.add(row)
            return

        verified_at = self.after(verification_start, 0.5, 60)
        if verified_at > now:
            verified_at = self.after(
                verification_start, 0, max((now - verification_start).total_seconds() / 3600, 0.01)
            )
        self.clock(cid, "verification", verification_start, 3, v_due, self.diskominfo.pk, stopped=verified_at,
                   reason="verified")  # fmt: skip
        row["verified_at"] = verified_at
        if privacy != "rahasia" and rng.random() < 0.08:
            row["public_summary"] = f"{title}. Laporan warga tentang layanan publik di {place}."
        self.event(cid, "verified", verified_at, "public", **op_actor)
        last = verified_at

        # Dispositions.
        if oversight_cat:
            targets = [self.agencies["bkd" if category.slug == "netralitas-asn" else "inspektorat"]]
        else:
            targets = [category.default_agency]
            n = self.pick([(1, 76), (2, 19), (3, 5)])
            pool = [self.agencies[s] for s in extra if s in self.agencies] + self.opds
            while len(targets) < n:
                a = rng.choice(pool)
                if a not in targets:
                    targets.append(a)
        if terlapor is not None:
            targets = [a for a in targets if (a.root_id or a.pk) != terlapor.pk] or [self.agencies["inspektorat"]]
        information = kind == "informasi"
        follow_days = self.policy.information_days if information else self.policy.followup_days
        d_states = self.disposition_states(status, len(targets))
        any_returned_pending = False
        finishes = []
        for agency, state in zip(targets, d_states, strict=True):
            did = self.next_id("disposition")
            top = agency.root_id or agency.pk
            d = {"id": did, "complaint_id": cid, "agency_id": agency.pk, "status": state, "created_at": verified_at,
                 "created_by_id": op.pk, "note": ""}  # fmt: skip
            self.event(cid, "disposed", verified_at, "public", disposition=did, **op_actor)
            follow_due = self.dl.add(verified_at, follow_days)
            settle_due = self.dl.calendar_days(verified_at, self.policy.settlement_calendar_days)
            d["settlement_due_at"] = settle_due
            liaison = self.liaison.get(agency.slug)
            lia_actor = {"actor": liaison.pk if liaison else None, "label": f"Admin {agency.display}",
                         "role": "liaison", "agency": agency.pk}  # fmt: skip
            kind_clock = "information" if information else "followup"
            if state == "menunggu":
                self.clock(cid, kind_clock, verified_at, follow_days, follow_due, top, disposition=did)
                self.clock(cid, "settlement", verified_at, 60, settle_due, top, disposition=did)
                d["due_at"] = follow_due
                d["ceiling_passed"] = settle_due < self.cutoff
            elif state == "dikembalikan":
                returned = min(self.after(verified_at, 2, 60), now - timedelta(minutes=2))
                self.clock(cid, kind_clock, verified_at, follow_days, follow_due, top, disposition=did,
                           stopped=returned, reason="returned")  # fmt: skip
                self.clock(cid, "settlement", verified_at, 60, settle_due, top, disposition=did, stopped=returned,
                           reason="returned")  # fmt: skip
                d.update(returned_at=returned, return_reason="Bukan kewenangan kami; mohon ke instansi lain.")
                self.event(cid, "returned", returned, "public", disposition=did, body=d["return_reason"], **lia_actor)
                if status in ("belum_ditindaklanjuti", "proses") and not any_returned_pending and rng.random() < 0.5:
                    d["return_pending"] = True
                    any_returned_pending = True
                    due = self.dl.add(returned, self.policy.redisposition_days)
                    self.clock(cid, "redisposition", returned, 1, due, self.diskominfo.pk)
                    row["redisposition_due_at"] = due
                last = max(last, returned)
            else:  # ditindaklanjuti or selesai: followed up
                span_h = max(min((now - verified_at).total_seconds() / 3600 - 0.1, 24 * 12), 0.05)
                followed = self.after(verified_at, 0.02, span_h)
                self.clock(cid, kind_clock, verified_at, follow_days, follow_due, top, disposition=did,
                           stopped=followed, reason="followed_up")  # fmt: skip
                d["first_followup_at"] = followed
                self.event(cid, "followup", followed, "public", disposition=did,
                           body="Laporan sudah kami tindak lanjuti dengan pengecekan lapangan.", **lia_actor)  # fmt: skip
                last = max(last, followed)
                if rng.random() < 0.5:
                    reply_at = min(self.after(followed, 1, 72), now - timedelta(minutes=1))
                    self.event(cid, "reply", reply_at, "public", body="Terima kasih, mohon dikabari hasilnya.",
                               **rep_actor)  # fmt: skip
                    last = max(last, reply_at)
                if state == "selesai":
                    if status == "proses":
                        # A finished part of an open report finished recently (the auto-close clock runs).
                        finished = max(followed, now - timedelta(days=rng.uniform(0.01, 8)))
                    else:
                        finished = min(self.after(followed, 2, 24 * 20), now - timedelta(minutes=3))
                    finished = max(finished, followed)
                    self.clock(cid, "settlement", verified_at, 60, settle_due, top, disposition=did,
                               stopped=finished, reason="finished")  # fmt: skip
                    d["finished_at"] = finished
                    finishes.append(finished)
                    self.event(cid, "finished", finished, "public", disposition=did,
                               body="Perbaikan sudah selesai dikerjakan.", **lia_actor)  # fmt: skip
                    last = max(last, finished)
                else:
                    self.clock(cid, "settlement", verified_at, 60, settle_due, top, disposition=did)
                    d["ceiling_passed"] = settle_due < self.cutoff
            self.dispositions.add(d)

        if status == "proses" and d_states and all(s in ("selesai", "dikembalikan") for s in d_states) and finishes:
            started = max(finishes)
            due = self.dl.add(started, self.policy.reporter_reply_days)
            self.clock(cid, "reporter_reply", started, self.policy.reporter_reply_days, due, None)
            row["autoclose_due_at"] = due
        elif status == "selesai":
            closed = min(self.after(last, 1, 24 * 12), now - timedelta(minutes=1))
            accepted = rng.random() < 0.45
            if accepted:
                self.event(cid, "accepted", closed, "public", **rep_actor)
            self.event(cid, "closed", closed, "public", label="Sistem", role="system")
            row.update(closed_at=closed, reopen_until=self.dl.add(closed, self.policy.reopen_days), updated_at=closed)
            if reporter and rng.random() < 0.4:
                score = self.pick([(5, 35), (4, 30), (3, 15), (2, 10), (1, 10)])
                row["rating"] = score
                rated = min(self.after(closed, 1, 96), now)
                self.event(cid, "rated", rated, "public", data={"score": score}, **rep_actor)
            last = closed
        elif status == "arsip":  # verified, every disposition returned: out of scope
            closed = min(self.after(last, 1, 48), now - timedelta(minutes=1))
            row.update(archive_reason="out_of_scope", closed_at=closed, updated_at=closed)
            self.event(cid, "archived", closed, "public", data={"reason": "out_of_scope"}, **op_actor)
            last = closed
        row["updated_at"] = max(row["updated_at"], last)

        # Supports on public reports.
        if privacy != "rahasia" and rng.random() < 0.22:
            n = self.pick([(1, 60), (2, 25), (3, 10), (6, 5)])
            users = {u for u in rng.sample(self.citizen_ids, k=n) if u != reporter}
            for u in users:
                self.supports.add({"id": self.next_id("support"), "complaint_id": cid, "user_id": u, "kind": "support",
                                   "created_at": min(self.after(verified_at, 1, 24 * 10), now)})  # fmt: skip
            row["support_count"] = len(users)
        self.complaints.add(row)

    def disposition_states(self, status, n):
        rng = self.rng
        if status == "belum_ditindaklanjuti":
            states = ["menunggu"] * n
            if n > 1 or rng.random() < 0.06:
                states[-1] = "dikembalikan" if rng.random() < 0.4 else "menunggu"
            if all(s == "dikembalikan" for s in states):
                states[0] = "menunggu"
            return states
        if status == "proses":
            states = [self.pick([("ditindaklanjuti", 55), ("selesai", 30), ("menunggu", 10), ("dikembalikan", 5)])
                      for _ in range(n)]  # fmt: skip
            if not any(s in ("ditindaklanjuti", "selesai") for s in states):
                states[0] = "ditindaklanjuti"
            return states
        if status == "selesai":
            states = ["selesai"] * n
            if n > 1 and rng.random() < 0.3:
                states[-1] = "dikembalikan"
            return states
        return ["dikembalikan"] * n  # arsip, out of scope

    def clock(self, cid, kind, started, length, due, agency, *, disposition=None, stopped=None, reason=""):
        kid = self.next_id("clock")
        self.clocks.add(
            {
                "id": kid,
                "complaint_id": cid,
                "disposition_id": disposition,
                "kind": kind,
                "agency_id": agency,
                "started_at": started,
                "length": length,
                "due_at": due,
                "stopped_at": stopped,
                "stop_reason": reason,
                # What `clocks.next_step_at` gives a running clock: its first rung not yet taken.
                "next_step_at": None if stopped else self.ladder(kid, cid, kind, due, agency, disposition, stopped),
            }
        )
        if stopped:
            self.ladder(kid, cid, kind, due, agency, disposition, stopped)
        return kid

    def ladder(self, kid, cid, kind, due, agency, disposition, stopped):
        """The steps earlier sweeps recorded: every rung due before min(stopped, cutoff). Returns the
        instant of the first rung not taken (the clock's next step), or `LADDER_DONE`."""
        m = self.m
        limit = min(stopped, self.cutoff) if stopped else self.cutoff
        if kind in m.STAFF_CLOCKS:
            rungs = [("reminder", self.dl.sub(due, self.policy.reminder_before_days)), ("overdue", due),
                     ("escalated", self.dl.add(due, self.policy.escalation_after_days))]  # fmt: skip
        elif kind == "tunda":
            rungs = [("reminder", self.dl.sub(due, self.policy.reminder_before_days)), ("action", due)]
        else:
            rungs = [("action", due)]
        for step, at in rungs:
            if at >= limit or step == "action":  # an automatic action ends the clock: never recorded here
                return at
            done = at + timedelta(minutes=3)
            etype = "ceiling_passed" if (kind == "settlement" and step == "overdue") else step
            eid = self.event(cid, etype, done, "reporter" if kind == "tunda" else "staff", label="Sistem",
                             role="system", disposition=disposition, body=f"{step}: tenggat {kind}",
                             data={"clock": kid, "clock_kind": kind, "step": step})  # fmt: skip
            self.steps.add({"id": self.next_id("step"), "clock_id": kid, "step": step, "due_at": at, "done_at": done,
                            "event_id": eid, "skipped": False})  # fmt: skip
        return self.ladder_done


def _max_ids(cursor):
    tables = {
        "user": "accounts_user",
        "complaint": "complaints_complaint",
        "disposition": "complaints_disposition",
        "event": "complaints_event",
        "clock": "complaints_clock",
        "step": "complaints_clockstep",
        "support": "complaints_support",
    }
    base = {}
    for key, table in tables.items():
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table names from the models, no input
        base[key] = cursor.fetchone()[0]
    return base, tables


def load(scale, now=None, log=print):
    """Load the data set at `scale` (1 = a million reports) into the configured, migrated and
    empty database. Returns a summary dict (row counts, seconds)."""
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark loads into PostgreSQL only")
    now = now or timezone.now()
    t0 = time.monotonic()
    by_slug, kelurahan, categories, staff = reference(now, log)
    gen = Generator(scale, now, by_slug, kelurahan, categories, staff, log)
    with connection.cursor() as cursor:
        gen.base, tables = _max_ids(cursor)
        restore_idx, restore_fk = drop_secondary(cursor)
        t = time.monotonic()
        gen.citizens(cursor)
        log(f"citizens: {gen.users.total:,} in {time.monotonic() - t:.1f} s")
        t = time.monotonic()
        gen.generate(cursor)
        log(f"reports generated and copied in {time.monotonic() - t:.1f} s")
        restore_secondary(cursor, restore_idx, restore_fk, log)
        t = time.monotonic()
        from complaints.deadlines.clocks import refresh_monitor_due

        # The reports' nearest live deadline and the dispositions' inbox deadline, as
        # complaints.deadlines.clocks keeps them.
        refresh_monitor_due()
        log(f"monitored and inbox deadlines: {time.monotonic() - t:.1f} s")
        for table in tables.values():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), GREATEST(MAX(id), 1)) FROM \"{table}\""  # noqa: S608 - table names from the models, no input
            )
    connection.commit() if not connection.get_autocommit() else None
    t = time.monotonic()
    old = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    connection.set_autocommit(old)
    log(f"vacuum analyze: {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    from complaints.dashboards import rollups

    built = rollups.rebuild()  # the dashboards' rollups, as the nightly rebuild makes them
    rollup_seconds = round(time.monotonic() - t, 1)
    log(f"dashboard rollups: {built['months']} months in {rollup_seconds} s")
    summary = {table.name: table.total for table in gen.tables}
    summary["rollup_seconds"] = rollup_seconds
    summary["seconds"] = round(time.monotonic() - t0, 1)
    summary["reports"] = gen.complaints.total
    summary["citizens"] = gen.users.total
    return summary


def check(log=print):
    """Invariants the pages rely on, asserted in SQL after a load (a failure stops the bench)."""
    checks = {
        "verified status without verified_at": """SELECT count(*) FROM complaints_complaint
            WHERE status IN ('belum_ditindaklanjuti','proses','selesai') AND verified_at IS NULL""",
        "open verification clock without mirrored column": """SELECT count(*) FROM complaints_clock k
            JOIN complaints_complaint c ON c.id = k.complaint_id
            WHERE k.kind = 'verification' AND k.stopped_at IS NULL AND c.verification_due_at IS DISTINCT FROM k.due_at""",
        "running follow-up clock not mirrored on its disposition": """SELECT count(*) FROM complaints_clock k
            JOIN complaints_disposition d ON d.id = k.disposition_id
            WHERE k.kind IN ('followup','information') AND k.stopped_at IS NULL AND d.due_at IS DISTINCT FROM k.due_at""",
        "support_count differs from supports": """SELECT count(*) FROM complaints_complaint c
            WHERE c.support_count <> (SELECT count(*) FROM complaints_support s WHERE s.complaint_id = c.id)""",
        "tracking id of the wrong form": r"""SELECT count(*) FROM complaints_complaint
            WHERE tracking_id !~ '^LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'""",
        "monitored deadline differs from its live dispositions'": """SELECT count(*) FROM complaints_complaint c
            WHERE c.monitor_due_at IS DISTINCT FROM (SELECT MIN(COALESCE(d.due_at, d.settlement_due_at))
                FROM complaints_disposition d WHERE d.complaint_id = c.id AND d.status IN ('menunggu','ditindaklanjuti'))""",
        "inbox deadline differs from the disposition's and its units'": """SELECT count(*)
            FROM complaints_disposition d WHERE d.next_due_at IS DISTINCT FROM CASE
                WHEN d.status IN ('menunggu','ditindaklanjuti') THEN COALESCE(d.due_at,
                    (SELECT MIN(u.due_at) FROM complaints_disposition u
                        WHERE u.parent_id = d.id AND u.status IN ('menunggu','ditindaklanjuti')),
                    d.settlement_due_at) END""",
        "closed report without closed_at": """SELECT count(*) FROM complaints_complaint
            WHERE status IN ('selesai','arsip') AND closed_at IS NULL""",
        "open report with an active disposition to its terlapor": """SELECT count(*) FROM complaints_disposition d
            JOIN complaints_complaint c ON c.id = d.complaint_id JOIN agencies_agency a ON a.id = d.agency_id
            WHERE c.terlapor_agency_id IS NOT NULL AND COALESCE(a.root_id, a.id) = c.terlapor_agency_id""",
        "running clock without its next step": """SELECT count(*) FROM complaints_clock
            WHERE stopped_at IS NULL AND next_step_at IS NULL""",
    }
    bad = {}
    with connection.cursor() as cursor:
        for name, sql in checks.items():
            cursor.execute(sql)
            n = cursor.fetchone()[0]
            if n:
                bad[name] = n
    wrong = _next_steps_differ()
    if wrong:
        bad["next step differs from the ladder's (of 500 running clocks)"] = wrong
    if bad:
        raise SystemExit(f"the loaded data breaks invariants: {bad}")
    log(f"invariants: {len(checks) + 1} checks pass")


def _next_steps_differ(sample=500):
    """How many of `sample` running clocks carry a next step other than the one the sweep would
    compute (`clocks.next_step_at` on the steps they have, under the loaded calendar and policy)."""
    from agencies.models import SlaPolicy
    from complaints.deadlines.clocks import next_step_at
    from complaints.models import Clock, ClockStep

    policy = SlaPolicy.current()
    running = list(Clock.objects.filter(stopped_at__isnull=True).order_by("?")[:sample])
    taken = {}
    for clock_id, step in ClockStep.objects.filter(clock__in=running).values_list("clock_id", "step"):
        taken.setdefault(clock_id, set()).add(step)
    return sum(next_step_at(k, taken.get(k.pk, set()), policy) != k.next_step_at for k in running)
