"""The demo region of `manage.py seed_demo`: agencies, areas, categories and the accounts per role.
Data only; the command (`complaints/management/commands/seed_demo.py`) creates it, and keeps the
sample reports beside the workflow steps that bring each to its demo state."""

from dataclasses import dataclass

from accounts.models import Role
from agencies.models import AgencyKind

DEMO_DOMAIN = "demo.lapor.id"

# slug, name, short name, kind, parent slug. Parents come before their units.
AGENCIES = [
    ("diskominfo", "Dinas Komunikasi dan Informatika", "Diskominfo", AgencyKind.DISKOMINFO, None),
    ("dinas-pu", "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas PUPR", AgencyKind.OPD, None),
    ("dinas-pu-bina-marga", "Bidang Bina Marga", "Bidang Bina Marga", AgencyKind.UNIT, "dinas-pu"),
    ("dinas-pu-cipta-karya", "Bidang Cipta Karya", "Bidang Cipta Karya", AgencyKind.UNIT, "dinas-pu"),
    ("dinkes", "Dinas Kesehatan", "Dinas Kesehatan", AgencyKind.OPD, None),
    ("dinkes-puskesmas-kota", "UPTD Puskesmas Kota", "Puskesmas Kota", AgencyKind.UNIT, "dinkes"),
    ("dinkes-puskesmas-sukamaju", "UPTD Puskesmas Sukamaju", "Puskesmas Sukamaju", AgencyKind.UNIT, "dinkes"),
    ("disdik", "Dinas Pendidikan", "Dinas Pendidikan", AgencyKind.OPD, None),
    ("disdik-smpn-1", "SMP Negeri 1", "SMPN 1", AgencyKind.UNIT, "disdik"),
    ("disdik-sdn-3-sukamaju", "SD Negeri 3 Sukamaju", "SDN 3 Sukamaju", AgencyKind.UNIT, "disdik"),
    ("dishub", "Dinas Perhubungan", "Dinas Perhubungan", AgencyKind.OPD, None),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil", AgencyKind.OPD, None),
    ("dlh", "Dinas Lingkungan Hidup", "Dinas Lingkungan Hidup", AgencyKind.OPD, None),
    ("dlh-uptd-persampahan", "UPTD Pengelolaan Sampah", "UPTD Persampahan", AgencyKind.UNIT, "dlh"),
    ("dinsos", "Dinas Sosial", "Dinas Sosial", AgencyKind.OPD, None),
    ("inspektorat", "Inspektorat Daerah", "Inspektorat", AgencyKind.INSPEKTORAT, None),
    ("bkd", "Badan Kepegawaian Daerah", "BKD", AgencyKind.BKD, None),
    ("ppid", "Pejabat Pengelola Informasi dan Dokumentasi", "PPID Utama", AgencyKind.PPID, None),
    ("ombudsman", "Ombudsman RI Perwakilan Provinsi", "Ombudsman", AgencyKind.OBSERVER, None),
]

# The data tables below keep one entry per line or block, as written: easier to read and edit.
# fmt: off

# kecamatan: (name, code, lat, lng, [(kelurahan/desa, code suffix, d_lat, d_lng)])
AREAS = [
    ("Kota Tengah", "99.01.01", -4.6012, 121.9034, [
        ("Pasar Baru", "1001", 0.004, -0.003),
        ("Kampung Baru", "1002", -0.006, 0.005),
        ("Sukajadi", "1003", 0.009, 0.008),
        ("Tanjung Sari", "1004", -0.011, -0.009),
    ]),
    ("Sukamaju", "99.01.02", -4.5521, 121.8712, [
        ("Sukamaju", "2001", 0.003, 0.002),
        ("Mekarsari", "2002", -0.012, 0.010),
        ("Sidomulyo", "2003", 0.015, -0.011),
    ]),
    ("Pesisir Timur", "99.01.03", -4.6487, 121.9866, [
        ("Teluk Dalam", "2001", 0.005, 0.012),
        ("Tanjung Harapan", "2002", -0.010, 0.004),
        ("Pantai Indah", "2003", 0.014, 0.009),
        ("Bajo Indah", "2004", -0.004, 0.018),
    ]),
    ("Bukit Raya", "99.01.04", -4.5179, 121.9548, [
        ("Bukit Indah", "2001", 0.006, -0.004),
        ("Karang Anyar", "2002", -0.009, -0.012),
        ("Margahayu", "2003", 0.013, 0.006),
        ("Lestari Jaya", "2004", -0.016, 0.009),
        ("Sumber Rejo", "2005", 0.002, 0.017),
    ]),
    ("Sungai Lima", "99.01.05", -4.7024, 121.8431, [
        ("Sungai Lima", "2001", 0.004, 0.004),
        ("Air Hitam", "2002", -0.013, -0.007),
        ("Rantau Baru", "2003", 0.011, -0.015),
    ]),
]

# slug, name, English name, description, routing agency, oversight
CATEGORIES = [
    ("jalan-jembatan", "Jalan dan Jembatan", "Roads and Bridges",
     "Jalan rusak atau berlubang, jembatan, drainase jalan, trotoar.", "dinas-pu", False),
    ("kesehatan", "Kesehatan", "Health",
     "Puskesmas, rumah sakit daerah, posyandu, imunisasi, pelayanan kesehatan.", "dinkes", False),
    ("pendidikan", "Pendidikan", "Education",
     "Sekolah negeri, guru, penerimaan murid baru, sarana sekolah.", "disdik", False),
    ("transportasi", "Transportasi dan Perhubungan", "Transport",
     "Angkutan umum, lampu penerangan jalan, rambu, parkir, terminal.", "dishub", False),
    ("kependudukan", "Administrasi Kependudukan", "Civil Registration",
     "KTP-el, kartu keluarga, akta kelahiran dan kematian, pindah datang.", "disdukcapil", False),
    ("lingkungan-sampah", "Lingkungan Hidup dan Persampahan", "Environment and Waste",
     "Sampah, TPS, pencemaran, bau, pohon tumbang, ruang terbuka hijau.", "dlh", False),
    ("bantuan-sosial", "Bantuan Sosial", "Social Assistance",
     "PKH, BPNT, bantuan lansia dan disabilitas, data kesejahteraan sosial.", "dinsos", False),
    ("informasi-publik", "Permintaan Informasi Publik", "Public Information Requests",
     "Permintaan informasi dan dokumen publik (UU 14/2008).", "ppid", False),
    ("netralitas-asn", "Netralitas ASN", "Civil Servant Neutrality",
     "ASN berkampanye atau memihak dalam pemilu/pilkada.", "bkd", True),
    ("perilaku-pejabat", "Perilaku Pejabat", "Officials' Conduct",
     "Sikap arogan, penyalahgunaan wewenang, maladministrasi oleh pejabat.", "inspektorat", True),
    ("pungli", "Pungutan Liar", "Illegal Levies",
     "Permintaan uang di luar ketentuan dalam pelayanan publik.", "inspektorat", True),
]

# fmt: on


@dataclass
class Account:
    email: str
    full_name: str
    display_name: str
    phone: str
    memberships: list  # [(role, agency slug or None)]
    nik: str = ""
    nip: str = ""
    superuser: bool = False

    @property
    def key(self):
        return self.email.split("@")[0]


def _acc(local, full_name, display_name, phone, memberships, **kw):
    return Account(f"{local}@{DEMO_DOMAIN}", full_name, display_name, phone, memberships, **kw)


# fmt: off
ACCOUNTS = [
    _acc("warga", "Siti Rahmawati", "Siti", "+6285298601110", [(Role.PELAPOR, None)], nik="7406015207900001"),
    _acc("warga2", "Budi Santoso", "Budi S.", "+6281311112222", [(Role.PELAPOR, None)], nik="7406011503850002"),
    _acc("warga3", "La Ode Muhammad Arif", "Arif", "+6282193334444", [(Role.PELAPOR, None)],
         nik="7406022108920003"),
    _acc("operator", "Rahmat Hidayat, S.Kom.", "Rahmat", "+6281245550001", [(Role.OPERATOR, "diskominfo")],
         nip="198703152010011003"),
    _acc("kepala.diskominfo", "Drs. Andi Baso Mappanyompa, M.Si.", "Andi Baso", "+6281245550002",
         [(Role.HEAD, "diskominfo")], nip="197005121995031002"),
    _acc("penghubung.pu", "Agus Salim Lamba, S.T.", "Agus", "+6281245550010", [(Role.LIAISON, "dinas-pu")],
         nip="198508222011011004"),
    _acc("kepala.pu", "Ir. H. Muhammad Yamin, M.T.", "M. Yamin", "+6281245550011", [(Role.HEAD, "dinas-pu")],
         nip="196811041994031005"),
    _acc("penghubung.binamarga", "Wahyu Pratama, S.T.", "Wahyu", "+6281245550012",
         [(Role.LIAISON, "dinas-pu-bina-marga")], nip="199001172015031001"),
    _acc("penghubung.dinkes", "dr. Fitri Handayani", "Fitri", "+6281245550020", [(Role.LIAISON, "dinkes")],
         nip="198904102014022002"),
    _acc("kepala.dinkes", "dr. Hasanuddin, M.Kes.", "Hasanuddin", "+6281245550021", [(Role.HEAD, "dinkes")],
         nip="197207201999031003"),
    _acc("penghubung.puskesmas", "Dewi Lestari, S.Kep., Ns.", "Dewi", "+6281245550022",
         [(Role.LIAISON, "dinkes-puskesmas-kota")], nip="199203252017032001"),
    _acc("penghubung.disdik", "Hendra Gunawan, S.Pd.", "Hendra", "+6281245550030", [(Role.LIAISON, "disdik")],
         nip="198612032010011006"),
    _acc("penghubung.dishub", "Rudi Hartono", "Rudi", "+6281245550040", [(Role.LIAISON, "dishub")],
         nip="198302142009011002"),
    _acc("penghubung.disdukcapil", "Sri Wahyuni, S.Sos.", "Sri", "+6281245550050",
         [(Role.LIAISON, "disdukcapil")], nip="198710302011012003"),
    _acc("penghubung.dlh", "Ahmad Fauzi, S.Si.", "Fauzi", "+6281245550060", [(Role.LIAISON, "dlh")],
         nip="198905052014031002"),
    _acc("penghubung.dinsos", "Ratna Sari Dewi, S.Sos.", "Ratna", "+6281245550070", [(Role.LIAISON, "dinsos")],
         nip="198411192008012004"),
    _acc("penghubung.ppid", "Irfan Maulana, S.I.Kom.", "Irfan", "+6281245550080", [(Role.LIAISON, "ppid")],
         nip="199107092019031005"),
    _acc("penghubung.inspektorat", "Kartini Susanti, S.H.", "Kartini", "+6281245550090",
         [(Role.LIAISON, "inspektorat")], nip="198601272010012002"),
    _acc("penghubung.bkd", "Yulianti Rahman, S.AP.", "Yulianti", "+6281245550100", [(Role.LIAISON, "bkd")],
         nip="198807142012012001"),
    _acc("auditor", "Bambang Sutrisno, S.E., Ak.", "Bambang", "+6281245550091", [(Role.AUDITOR, "inspektorat")],
         nip="197503211998031004"),
    _acc("auditor.bkd", "Dra. Maria Magdalena Tuwo", "Maria", "+6281245550101", [(Role.AUDITOR, "bkd")],
         nip="197110081997032003"),
    _acc("ombudsman", "Abdul Rahman Saleh, S.H., M.H.", "Abdul Rahman", "+6281245550200",
         [(Role.AUDITOR, "ombudsman")]),
    _acc("admin", "Administrator Sistem", "Admin", "+6281245550999", [(Role.SUPERADMIN, None)], superuser=True),
]
# fmt: on
