"""`python manage.py seed_demo [--password PW] [--json]` (docs/product.md §8).

Builds a demo region — Diskominfo, OPDs with units, Inspektorat, BKD, PPID and an external
observer; kecamatan and kelurahan; categories with routing; the holiday calendar; the SLA policy;
one or more accounts per role — and a few dozen sample reports in every status, privacy level and
kind, filed and moved only through `complaints.workflow` acting as the demo users. A few of them
happened last month and were left to run late: filed and verified as of then (the workflow's
`now`), the SLA sweep replayed day by day up to now (reminder, overdue, escalated: docs/clocks.md,
"The ladder") and last month's TPP sanction recommendations built from those escalations
(`sanctions.build_month`), for the auditor to review.

Idempotent: everything is created with get_or_create and never overwritten (an admin's edits
stay), accounts keep their passwords unless `--password` is given, and the sample reports are
made only when no demo account has filed or entered a report yet. The whole run is one
transaction. The region and the accounts are data, in `complaints.demo_data`.
"""

import contextlib
import json
import os
import random
import re
import secrets
import sys
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import second_factor
from accounts.models import Membership, Role, User
from agencies import calendar, demo_areas, national_holidays
from agencies.models import Agency, Area, Category, Holiday, SlaPolicy
from complaints.dashboards import rollups
from complaints.demo_data import ACCOUNTS, AGENCIES, AREAS, CATEGORIES, DEMO_DOMAIN


@dataclass
class Sample:
    """One sample report and the workflow steps that bring it to its demo state."""

    key: str
    age: float  # days before now it was filed
    reporter: str | None  # account key; None for a walk-in without an account
    category: str
    kelurahan: str  # area code
    title: str
    body: str
    steps: list = field(default_factory=list)
    kind: str = "aduan"
    privacy: str = "umum"
    channel: str = "web"
    location: str = ""
    extra: dict = field(default_factory=dict)  # further Complaint fields; agencies by slug
    # The late samples (`_late_samples`): filed on this day of last month at 09:00 and verified
    # (their first step) `verify_after` days later, both as of then; the other steps run now.
    last_month_day: int | None = None
    verify_after: float = 0.1


def _samples():
    # Steps: see Command._step. Liaisons act for the agency named in the step.
    # fmt: off
    return [
        # belum_terverifikasi ---------------------------------------------------------------------
        Sample("lubang-sukamaju", 0.2, "warga", "jalan-jembatan", "99.01.02.2001",
               "Jalan berlubang di Jalan Poros Sukamaju",
               "Ada lubang besar sekitar satu meter di Jalan Poros Sukamaju dekat masjid raya. Sudah dua "
               "pengendara motor jatuh minggu ini, apalagi kalau malam tidak terlihat karena lampu mati.",
               location="Jl. Poros Sukamaju, depan Masjid Raya"),
        Sample("pju-ahmad-yani", 0.9, "warga2", "transportasi", "99.01.01.1001",
               "Lampu penerangan jalan mati sepanjang Jl. Ahmad Yani",
               "Sudah hampir sebulan lampu PJU di Jl. Ahmad Yani dari simpang empat sampai pasar mati "
               "semua. Jalan gelap dan rawan jambret.",
               privacy="anonim", channel="mobile", location="Jl. Ahmad Yani"),
        Sample("sms-ktp", 0.5, "warga3", "kependudukan", "99.01.03.2002",
               "KTP-el belum jadi setelah 4 bulan",
               "LAPOR ktp el saya sudah rekam sejak 4 bulan lalu di kecamatan, tiap datang dibilang blanko habis",
               privacy="rahasia", channel="sms"),
        Sample("walkin-saluran", 1.3, None, "lingkungan-sampah", "99.01.02.2003",
               "Saluran air tersumbat di depan SD Negeri 3",
               "Pelapor datang langsung ke kantor Diskominfo. Saluran air di depan SD Negeri 3 Sukamaju "
               "tersumbat sampah plastik sehingga halaman sekolah tergenang setiap hujan.",
               channel="walk-in", location="Depan SDN 3 Sukamaju",
               extra={"walkin_name": "Ibu Hasnah", "walkin_contact": "0813-4000-1234"}),
        Sample("pkh-tidak-cair", 2.5, "warga", "bantuan-sosial", "99.01.05.2002",
               "Bantuan PKH tidak cair tiga bulan",
               "Bantuan PKH keluarga kami tidak cair sejak Juli, padahal nama masih terdaftar. Pendamping "
               "PKH di desa tidak bisa memberi penjelasan.",
               privacy="anonim",
               steps=[("postpone", "Mohon lengkapi nama desa dan nomor KKS (Kartu Keluarga Sejahtera) Anda."),
                      ("complete", "Desa Air Hitam, Kecamatan Sungai Lima. Nomor KKS sudah saya kirim lewat "
                                   "pesan ini: 6013 0100 xxxx 2231.")]),
        # tunda -----------------------------------------------------------------------------------
        Sample("tps-bau", 3.0, "warga2", "lingkungan-sampah", "99.01.04.2002",
               "Bau menyengat dari TPS dekat permukiman",
               "TPS di belakang perumahan mengeluarkan bau busuk sampai ke rumah warga, terutama sore hari.",
               steps=[("postpone", "Mohon sebutkan nama jalan atau patokan lokasi TPS yang dimaksud.")]),
        Sample("puskesmas-antre", 2.2, "warga3", "kesehatan", "99.01.02.2002",
               "Antrean puskesmas sangat lama",
               "Saya menunggu dari jam 8 pagi sampai jam 12 siang untuk berobat, petugas loket hanya satu.",
               privacy="anonim", channel="mobile",
               steps=[("postpone", "Mohon sebutkan puskesmas mana dan tanggal kunjungan Anda.")]),
        Sample("info-apbdes", 1.8, "warga", "informasi-publik", "99.01.05.2001",
               "Permintaan salinan APBDes tahun berjalan",
               "Saya meminta salinan dokumen APBDes tahun ini untuk keperluan pengawasan oleh warga.",
               kind="informasi",
               steps=[("postpone", "Mohon sebutkan desa yang APBDes-nya Anda minta dan tujuan penggunaannya.")]),
        # belum_ditindaklanjuti -------------------------------------------------------------------
        Sample("jembatan-gantung", 4.0, "warga", "jalan-jembatan", "99.01.05.2002",
               "Jembatan gantung Desa Air Hitam rusak",
               "Papan lantai jembatan gantung di Desa Air Hitam banyak yang lapuk dan patah. Jembatan ini "
               "dipakai anak-anak ke sekolah setiap hari. Rumah saya di Jl. Sungai No. 12, tepat di ujungnya.",
               location="Jembatan gantung Air Hitam",
               steps=[("verify", ["dinas-pu"]),
                      ("summary", "Papan lantai jembatan gantung di Desa Air Hitam banyak yang lapuk dan "
                                  "patah. Jembatan ini dipakai anak-anak ke sekolah setiap hari."),
                      ("support", "warga2"), ("support", "warga3")]),
        Sample("guru-jarang-masuk", 3.5, "warga2", "pendidikan", "99.01.02.2001",
               "Guru jarang masuk kelas di SD Negeri 3 Sukamaju",
               "Wali kelas 4 di SD Negeri 3 Sukamaju sering tidak masuk, dalam sebulan hanya datang "
               "beberapa kali. Murid sering dipulangkan lebih awal.",
               privacy="anonim", steps=[("verify", ["disdik"])]),
        Sample("pungli-proyek-pu", 5.0, "warga3", "pungli", "99.01.01.1003",
               "Oknum pegawai Dinas PU meminta uang pelicin",
               "Saat mengurus persetujuan bangunan gedung, seorang pegawai Dinas PU meminta uang Rp2.000.000 "
               "supaya berkas cepat diproses. Saya punya rekaman percakapannya.",
               privacy="rahasia",
               extra={"terlapor_agency": "dinas-pu", "accused_name": "HS",
                      "accused_position": "Staf Bidang Cipta Karya"},
               steps=[("verify", ["inspektorat"]),
                      ("reveal", "auditor", "Diperlukan untuk memanggil pelapor sebagai saksi dalam "
                                            "pemeriksaan khusus.")]),
        Sample("info-blt", 4.5, "warga", "informasi-publik", "99.01.03.2001",
               "Permintaan daftar penerima BLT Dana Desa",
               "Saya meminta daftar penerima BLT Dana Desa di Kecamatan Pesisir Timur tahun ini beserta "
               "kriteria penetapannya.",
               kind="informasi",
               steps=[("verify", ["ppid"]),
                      ("extend", "ppid", "Data harus dihimpun dari empat desa dan diverifikasi Dinas Sosial "
                                         "terlebih dahulu.")]),
        Sample("pohon-tumbang", 2.8, "warga2", "lingkungan-sampah", "99.01.04.2003",
               "Pohon tumbang menutup badan jalan",
               "Pohon besar tumbang di Jl. Margahayu setelah hujan deras semalam dan menutup separuh jalan.",
               channel="mobile", location="Jl. Margahayu",
               steps=[("verify", ["dlh"]),
                      ("return", "dlh", "Penanganan pohon tumbang di ruas jalan kabupaten adalah kewenangan "
                                        "Dinas PUPR (Bidang Bina Marga).")]),
        Sample("angkot-ngetem", 3.2, "warga3", "transportasi", "99.01.01.1001",
               "Angkot ngetem sembarangan di depan pasar",
               "Setiap pagi angkot berhenti lama di depan Pasar Baru sehingga jalan macet panjang.",
               steps=[("verify", ["dishub"])]),
        # proses ----------------------------------------------------------------------------------
        Sample("lubang-poros", 18.0, "warga", "jalan-jembatan", "99.01.01.1002",
               "Jalan berlubang di Jl. Poros Kota Tengah",
               "Jalan poros di Kelurahan Kampung Baru berlubang di banyak titik, air menggenang saat hujan.",
               location="Jl. Poros Kota Tengah km 3",
               steps=[("verify", ["dinas-pu"]),
                      ("subdispose", "dinas-pu", "dinas-pu-bina-marga"),
                      ("followup", "dinas-pu-bina-marga", "Tim Bidang Bina Marga sudah meninjau lokasi. "
                                                         "Penambalan dijadwalkan minggu depan."),
                      ("reply", "Terima kasih, kami tunggu perbaikannya.")]),
        Sample("puskesmas-tutup", 12.0, "warga2", "kesehatan", "99.01.01.1004",
               "Puskesmas Kota tutup sebelum jam layanan",
               "Hari Kamis jam 11 siang Puskesmas Kota sudah tutup, padahal jadwal layanan sampai jam 14.",
               steps=[("verify", ["dinkes"]),
                      ("subdispose", "dinkes", "dinkes-puskesmas-kota"),
                      ("followup", "dinkes-puskesmas-kota", "Kepala Puskesmas sudah menegur petugas. Jadwal "
                                                            "layanan kembali sampai pukul 14.00."),
                      ("question", "dinkes", "Mohon informasi tanggal kejadian agar kami dapat memeriksa "
                                             "daftar piket."),
                      ("reply", "Kamis, dua minggu lalu. Sekitar pukul 11.00.")]),
        Sample("sampah-pasar", 9.0, "warga3", "lingkungan-sampah", "99.01.02.2001",
               "Sampah menumpuk di Pasar Sukamaju",
               "Sampah di sisi timur Pasar Sukamaju tidak diangkut berminggu-minggu, meluber ke jalan.",
               location="Pasar Sukamaju sisi timur",
               steps=[("verify", ["dlh"]),
                      ("privacy", "anonim"),
                      ("followup", "dlh", "Armada pengangkut sampah sudah dikerahkan; jadwal angkut pasar "
                                          "ditambah menjadi setiap hari."),
                      ("support", "warga")]),
        Sample("banjir-drainase", 15.0, "warga", "jalan-jembatan", "99.01.03.2003",
               "Banjir di perumahan karena drainase buruk",
               "Setiap hujan deras, Perumahan Pantai Indah banjir setinggi lutut karena saluran drainase "
               "tersumbat dan terlalu kecil.",
               steps=[("verify", ["dinas-pu", "dlh"]),
                      ("followup", "dinas-pu", "Normalisasi saluran drainase sudah dikerjakan sepanjang 200 m."),
                      ("finish", "dinas-pu")]),
        Sample("parkir-liar", 10.0, "warga2", "transportasi", "99.01.01.1003",
               "Parkir liar di bahu jalan depan RSUD",
               "Kendaraan parkir di kedua bahu jalan depan RSUD sehingga ambulans sulit lewat.",
               steps=[("verify", ["dinas-pu"]),
                      ("return", "dinas-pu", "Penertiban parkir adalah kewenangan Dinas Perhubungan."),
                      ("dispose", ["dishub"], "Diteruskan ke Dinas Perhubungan sesuai kewenangan."),
                      ("followup", "dishub", "Petugas Dishub sudah memasang rambu larangan parkir dan "
                                             "melakukan patroli harian.")]),
        Sample("trotoar-rusak", 8.0, "warga", "jalan-jembatan", "99.01.01.1001",
               "Trotoar rusak dan dipakai pedagang",
               "Trotoar di Jl. Sudirman banyak yang ambles dan dipakai berjualan, pejalan kaki terpaksa "
               "turun ke jalan.",
               steps=[("verify", ["dinas-pu"]),
                      ("return", "dinas-pu", "Penertiban pedagang kaki lima adalah kewenangan Satpol PP."),
                      ("dispose", ["dinas-pu"], "Laporan juga meminta perbaikan fisik trotoar yang ambles; "
                                                "itu kewenangan Dinas PUPR."),
                      ("followup", "dinas-pu", "Perbaikan trotoar masuk rencana pemeliharaan bulan ini.")]),
        Sample("asn-kampanye", 7.0, "warga2", "netralitas-asn", "99.01.04.2001",
               "ASN ikut kampanye calon bupati di media sosial",
               "Seorang guru ASN di SMP Negeri 1 mengunggah ajakan memilih salah satu calon bupati dan ikut "
               "dalam kegiatan kampanye. Tangkapan layar ada pada saya.",
               privacy="rahasia",
               extra={"terlapor_agency": "disdik", "accused_name": "RM", "accused_position": "Guru SMP Negeri 1"},
               steps=[("verify", ["bkd"]),
                      ("followup", "bkd", "BKD telah memanggil ASN yang bersangkutan untuk klarifikasi.")]),
        Sample("jalan-tambal-sulam", 25.0, "warga", "jalan-jembatan", "99.01.04.2004",
               "Perbaikan jalan hanya tambal sulam",
               "Jalan di Lestari Jaya sudah diperbaiki bulan lalu tetapi sekarang berlubang lagi.",
               steps=[("verify", ["dinas-pu"]),
                      ("followup", "dinas-pu", "Penambalan lubang sudah dilakukan."),
                      ("finish", "dinas-pu"),
                      ("accept",),
                      ("reopen", "Perbaikan hanya tambal sulam, dua hari kemudian sudah berlubang lagi.")]),
        Sample("info-sekolah-rusak", 6.0, "warga3", "informasi-publik", "99.01.05.2003",
               "Permintaan data ruang kelas rusak",
               "Mohon data jumlah ruang kelas SD dan SMP negeri yang rusak berat beserta rencana perbaikannya.",
               kind="informasi",
               steps=[("verify", ["ppid"]),
                      ("followup", "ppid", "Permintaan sedang kami proses bersama Dinas Pendidikan.")]),
        Sample("taman-bermain", 11.0, "warga2", "jalan-jembatan", "99.01.02.2002",
               "Usulan taman bermain anak di Mekarsari",
               "Kami mengusulkan lahan kosong milik pemda di Mekarsari dijadikan taman bermain anak dan "
               "ruang terbuka hijau.",
               kind="aspirasi",
               steps=[("verify", ["dinas-pu"]),
                      ("subdispose", "dinas-pu", "dinas-pu-cipta-karya"),
                      ("followup", "dinas-pu", "Usulan dicatat untuk Musrenbang kecamatan tahun depan.")]),
        Sample("medsos-sampah-sungai", 5.5, None, "lingkungan-sampah", "99.01.05.2001",
               "Sampah dibuang ke sungai di Sungai Lima",
               "Dari unggahan warga di Facebook: banyak sampah rumah tangga dibuang ke sungai di bawah "
               "jembatan Sungai Lima.",
               channel="social",
               extra={"walkin_name": "Akun Facebook warga", "channel_link": "https://www.facebook.com/"},
               steps=[("verify", ["dlh"]),
                      ("followup", "dlh", "Tim DLH membersihkan lokasi dan memasang papan larangan.")]),
        Sample("petugas-membentak", 13.0, "warga3", "kesehatan", "99.01.01.1004",
               "Petugas loket puskesmas membentak pasien lansia",
               "Ibu saya (72 tahun) dibentak petugas loket karena lupa membawa kartu BPJS.",
               privacy="anonim",
               extra={"terlapor_agency": "dinkes", "accused_position": "Petugas loket Puskesmas Kota"},
               steps=[("flag_oversight",),
                      ("verify", ["inspektorat"]),
                      ("followup", "inspektorat", "Inspektorat menjadwalkan klarifikasi kepada petugas "
                                                  "dan kepala puskesmas.")]),
        # selesai ---------------------------------------------------------------------------------
        Sample("pju-diponegoro", 30.0, "warga2", "transportasi", "99.01.01.1002",
               "Lampu jalan mati di Jl. Diponegoro",
               "Tiga tiang lampu jalan di Jl. Diponegoro mati sejak awal bulan.",
               steps=[("verify", ["dishub"]),
                      ("followup", "dishub", "Lampu sudah diganti oleh teknisi PJU."),
                      ("finish", "dishub"), ("accept",), ("rate", 5, "Cepat ditangani, terima kasih.")]),
        Sample("imunisasi", 40.0, "warga", "kesehatan", "99.01.02.2003",
               "Jadwal imunisasi posyandu tidak diumumkan",
               "Jadwal imunisasi di Posyandu Sidomulyo berubah tanpa pengumuman, banyak ibu tidak tahu.",
               steps=[("verify", ["dinkes"]),
                      ("followup", "dinkes", "Jadwal imunisasi kini diumumkan di grup WhatsApp kader dan "
                                             "papan pengumuman kelurahan."),
                      ("finish", "dinkes"), ("accept",), ("rate", 4, "")]),
        Sample("honor-guru", 45.0, "warga3", "pendidikan", "99.01.03.2004",
               "Guru honorer belum menerima honor tiga bulan",
               "Honor guru honorer di beberapa SD di Pesisir Timur belum dibayar sejak tiga bulan lalu.",
               privacy="anonim",
               steps=[("verify", ["disdik"]),
                      ("followup", "disdik", "Honor sudah dibayarkan setelah dana BOS tahap II cair."),
                      ("finish", "disdik"), ("accept",), ("rate", 3, "Akhirnya dibayar, tapi terlambat.")]),
        Sample("sampah-bukit-indah", 35.0, "warga", "lingkungan-sampah", "99.01.04.2001",
               "Sampah tidak diangkut di Perumahan Bukit Indah",
               "Sudah dua minggu truk sampah tidak datang ke Perumahan Bukit Indah.",
               steps=[("verify", ["dlh"]),
                      ("followup", "dlh", "Rute truk sampah sudah diperbaiki."),
                      ("liaison_reply", "dlh", "Apakah sampah di blok C juga sudah terangkut?"),
                      ("reply", "Sudah, terima kasih."),
                      ("finish", "dlh"), ("accept",)]),
        Sample("akta-kelahiran", 50.0, "warga2", "kependudukan", "99.01.01.1003",
               "Akta kelahiran anak tidak kunjung terbit",
               "Berkas akta kelahiran anak saya sudah masuk sejak sebulan lalu tetapi belum terbit.",
               privacy="rahasia", channel="phone",
               steps=[("verify", ["disdukcapil"]),
                      ("followup", "disdukcapil", "Akta sudah terbit dan dapat diambil di loket 3."),
                      ("finish", "disdukcapil"), ("accept",), ("rate", 5, "")]),
        Sample("sembako-lansia", 42.0, "warga3", "bantuan-sosial", "99.01.05.2003",
               "Bantuan sembako lansia tidak merata",
               "Banyak lansia di Rantau Baru tidak mendapat paket sembako, sementara keluarga mampu dapat.",
               steps=[("verify", ["dinsos"]),
                      ("followup", "dinsos", "Data penerima sedang dimutakhirkan bersama pemerintah desa."),
                      ("finish", "dinsos"), ("accept",), ("rate", 2, "Hanya sebagian yang akhirnya dapat.")]),
        Sample("jembatan-kayu", 55.0, "warga", "jalan-jembatan", "99.01.03.2001",
               "Jembatan kayu di Teluk Dalam lapuk",
               "Jembatan kayu penghubung dusun di Teluk Dalam sudah lapuk dan bergoyang saat dilewati.",
               steps=[("verify", ["dinas-pu"]),
                      ("subdispose", "dinas-pu", "dinas-pu-bina-marga"),
                      ("followup", "dinas-pu-bina-marga", "Lantai jembatan diganti dengan papan baru."),
                      ("finish", "dinas-pu-bina-marga"),
                      ("finish", "dinas-pu"), ("accept",), ("rate", 5, "Sekarang aman dilewati.")]),
        Sample("info-rkpd", 38.0, "warga2", "informasi-publik", "99.01.01.1001",
               "Permintaan dokumen RKPD",
               "Saya meminta salinan dokumen RKPD kabupaten tahun depan.",
               kind="informasi",
               steps=[("verify", ["ppid"]),
                      ("followup", "ppid", "Dokumen RKPD dapat diunduh di laman PPID; salinan juga kami kirim "
                                           "lewat email."),
                      ("finish", "ppid"), ("accept",), ("rate", 5, "")]),
        Sample("bus-sekolah", 48.0, "warga", "transportasi", "99.01.02.2003",
               "Usulan penambahan jadwal bus sekolah",
               "Mohon jadwal bus sekolah ditambah pada sore hari untuk murid yang ikut ekstrakurikuler.",
               kind="aspirasi", channel="mobile",
               steps=[("verify", ["dishub"]),
                      ("followup", "dishub", "Mulai bulan depan ada satu rit tambahan pukul 16.30."),
                      ("finish", "dishub"), ("accept",), ("rate", 4, "")]),
        # arsip -----------------------------------------------------------------------------------
        Sample("uji-coba", 20.0, "warga2", "jalan-jembatan", "99.01.01.1001",
               "Tes aplikasi lapor",
               "Coba-coba aplikasi saja, mohon diabaikan.",
               steps=[("archive", "invalid", "Bukan laporan: uji coba aplikasi.")]),
        Sample("dicabut", 16.0, "warga", "jalan-jembatan", "99.01.02.2001",
               "Jalan depan rumah rusak",
               "Jalan di depan rumah kami rusak karena dilewati truk material.",
               steps=[("withdraw",)]),
        Sample("duplikat-lubang", 14.0, "warga3", "jalan-jembatan", "99.01.01.1002",
               "Lubang besar di Jl. Poros Kampung Baru",
               "Ada lubang besar di Jalan Poros Kampung Baru, sudah ada motor yang jatuh.",
               steps=[("merge", "lubang-poros")]),
        Sample("tidak-dilengkapi", 28.0, "warga2", "kesehatan", "99.01.05.2002",
               "Obat di puskesmas habis",
               "Obat yang diresepkan dokter tidak tersedia, disuruh membeli di apotek luar.",
               steps=[("postpone", "Mohon sebutkan nama puskesmas dan jenis obat yang tidak tersedia."),
                      ("archive", "no_completion", "Pelapor tidak melengkapi laporan dalam 10 hari kerja.")]),
        Sample("tagihan-listrik", 22.0, "warga", "lingkungan-sampah", "99.01.04.2005",
               "Tagihan listrik melonjak tanpa sebab",
               "Tagihan listrik rumah kami naik tiga kali lipat bulan ini padahal pemakaian sama.",
               steps=[("forward", "pln", "Diteruskan ke PLN UP3 setempat; pelayanan listrik bukan kewenangan "
                                         "pemda.")]),
        Sample("sertifikat-tanah", 33.0, "warga3", "jalan-jembatan", "99.01.03.2002",
               "Sertifikat tanah tidak selesai dua tahun",
               "Pengurusan sertifikat tanah kami tidak selesai sudah dua tahun, berkas bolak-balik.",
               steps=[("verify", ["dinas-pu"]),
                      ("return", "dinas-pu", "Penerbitan sertifikat tanah adalah kewenangan BPN, bukan Dinas "
                                             "PUPR."),
                      ("forward", "bpn", "Diteruskan ke Kantor Pertanahan (BPN) kabupaten.")]),
        Sample("layanan-bank", 26.0, "warga2", "bantuan-sosial", "99.01.01.1004",
               "Antrean bank penyalur bantuan sangat panjang",
               "Antrean di bank penyalur bantuan sosial mengular sampai ke jalan.",
               steps=[("verify", ["dinsos"]),
                      ("return", "dinsos", "Layanan antrean bank adalah urusan bank penyalur, bukan Dinas "
                                           "Sosial."),
                      ("archive", "out_of_scope", "Di luar kewenangan pemerintah daerah.")]),
        Sample("politik-uang", 19.0, "warga", "perilaku-pejabat", "99.01.04.2003",
               "Dugaan politik uang menjelang Pilkada",
               "Ada pembagian amplop kepada warga oleh tim sukses salah satu calon di Margahayu.",
               privacy="rahasia",
               steps=[("forward", "bawaslu", "Diteruskan ke Bawaslu kabupaten sesuai kewenangan.")]),
    ]
    # fmt: on


def _late_samples():
    """Reports of last month whose deadlines passed: no follow-up at all, a follow-up only now,
    and a verification the operators made too late (docs/clocks.md: each escalates, and the
    escalations due last month make its TPP sanction recommendations)."""
    # fmt: off
    return [
        Sample("gorong-gorong-ambrol", 0, "warga2", "jalan-jembatan", "99.01.04.2002",
               "Gorong-gorong ambrol di Jl. Karang Anyar",
               "Gorong-gorong di Jl. Karang Anyar ambrol sehingga separuh badan jalan amblas. Kendaraan "
               "roda empat tidak bisa lewat dan air meluap ke rumah warga setiap hujan.",
               location="Jl. Karang Anyar, dekat pos ronda", last_month_day=2,
               steps=[("verify", ["dinas-pu"])]),
        Sample("ambulans-desa", 0, "warga", "kesehatan", "99.01.05.2001",
               "Ambulans desa tidak bisa dihubungi malam hari",
               "Nomor ambulans desa Sungai Lima tidak aktif setiap malam. Minggu lalu tetangga kami yang "
               "sesak napas harus dibawa dengan mobil bak terbuka ke puskesmas.",
               privacy="anonim", last_month_day=3,
               steps=[("verify", ["dinkes"]),
                      ("followup", "dinkes", "Mohon maaf atas keterlambatan jawaban. Nomor ambulans desa sudah "
                                             "diganti dan kini dijaga 24 jam oleh petugas puskesmas.")]),
        Sample("lampu-lalin-pasar", 0, "warga3", "transportasi", "99.01.01.1001",
               "Lampu lalu lintas simpang Pasar Baru mati",
               "Lampu lalu lintas di simpang empat Pasar Baru mati sejak beberapa hari. Setiap pagi "
               "kendaraan saling serobot dan hampir terjadi tabrakan.",
               location="Simpang empat Pasar Baru", last_month_day=5, verify_after=12,
               steps=[("verify", ["dishub"]),
                      ("followup", "dishub", "Pengendali lampu lalu lintas sudah diganti; lampu menyala normal.")]),
    ]
    # fmt: on


class Command(BaseCommand):
    help = "Membuat wilayah, instansi, kategori, hari libur, akun dan laporan contoh untuk demo."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Kata sandi untuk semua akun demo (diatur ulang setiap kali).")
        parser.add_argument("--json", action="store_true", help="Cetak akun sebagai JSON saja.")

    def handle(self, *args, **options):
        password = options.get("password")
        if password is not None and not password.strip():
            raise CommandError("--password tidak boleh kosong.")
        # Nothing but the report goes to stdout (a console mail backend would write there).
        with contextlib.redirect_stdout(sys.stderr), transaction.atomic():
            self.now = timezone.now()
            agencies = self.seed_agencies()
            self.seed_areas()
            self.seed_categories(agencies)
            demo_areas.seed()
            holidays_made = self.seed_holidays()
            SlaPolicy.current()
            accounts = self.seed_accounts(agencies, password)
            samples_made = self.seed_samples()
            # The dashboards read their figures from the rollups: built now, not at beat's first refresh.
            rollups.rebuild()
        # The printed list names only passwords set by this run (a second run lists none); the
        # file keeps those of earlier runs that still open their account.
        write_accounts_file(keep_known_passwords(accounts))
        if options.get("json"):
            self.stdout.write(json.dumps(accounts, ensure_ascii=False, indent=2))
            return
        self.print_table(accounts, holidays_made, samples_made)

    # Region ------------------------------------------------------------------------------------
    def seed_agencies(self):
        by_slug = {}
        for slug, name, short_name, kind, parent in AGENCIES:
            agency, _created = Agency.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "short_name": short_name,
                    "kind": kind,
                    "parent": by_slug.get(parent),
                    "email": f"{slug}@{DEMO_DOMAIN}",
                },
            )
            by_slug[slug] = agency
        return by_slug

    def seed_areas(self):
        for name, code, lat, lng, villages in AREAS:
            kecamatan, _created = Area.objects.get_or_create(
                code=code,
                defaults={"name": name, "level": Area.Level.KECAMATAN, "lat": _coord(lat), "lng": _coord(lng)},
            )
            for village, suffix, dlat, dlng in villages:
                Area.objects.get_or_create(
                    code=f"{code}.{suffix}",
                    defaults={
                        "name": village,
                        "level": Area.Level.KELURAHAN,
                        "parent": kecamatan,
                        "lat": _coord(lat + dlat),
                        "lng": _coord(lng + dlng),
                    },
                )

    def seed_categories(self, agencies):
        for order, (slug, name, name_en, description, agency, oversight) in enumerate(CATEGORIES, start=1):
            Category.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "description": description,
                    "default_agency": agencies[agency],
                    "oversight": oversight,
                    "order": order,
                },
            )

    def seed_holidays(self):
        """National holidays and cuti bersama through `sync_holidays` (this year, next year and
        2026, the year of docs/product.md's worked example) plus the regency's anniversary. A date already
        in the table is left alone: the admin's edits win."""
        this_year = timezone.localdate().year
        years = sorted({this_year, this_year + 1, 2026})
        made = len(national_holidays.sync_national_holidays(years)["created"])
        region = getattr(settings, "REGION_NAME", "Kabupaten")
        for year in years:
            _holiday, created = Holiday.objects.get_or_create(
                date=date(year, 10, 14),
                defaults={"name": f"Hari Jadi {region}"[:150], "kind": Holiday.Kind.LOCAL, "source": "demo"},
            )
            made += created
        return made

    # Accounts ----------------------------------------------------------------------------------
    def seed_accounts(self, agencies, password):
        """Create the demo accounts that are missing (with a random password unless one is given)
        and their roles. Existing accounts keep their password unless `password` is given."""
        result = []
        for acc in ACCOUNTS:
            user = User.objects.filter(email=acc.email).first()
            new_password = None
            if user is None:
                phone_taken = User.objects.filter(phone=acc.phone).exists()
                user = User(
                    email=acc.email,
                    full_name=acc.full_name,
                    display_name=acc.display_name,
                    phone=None if phone_taken else acc.phone,
                    nik=acc.nik,
                    nip=acc.nip,
                    email_verified=True,
                    phone_verified=not phone_taken,
                    privacy_consent_at=self.now,
                    is_staff=acc.superuser,
                    is_superuser=acc.superuser,
                )
                new_password = password or secrets.token_urlsafe(9)
                user.set_password(new_password)
                user.save()
            elif password:
                new_password = password
                user.set_password(password)
                user.save(update_fields=["password"])
            for role, slug in acc.memberships:
                Membership.objects.get_or_create(user=user, role=role, agency=agencies[slug] if slug else None)
            memberships = list(user.membership_set.select_related("agency").order_by("pk"))
            row = {
                "username": user.email,
                "roles": list(dict.fromkeys(m.role for m in memberships)),
                "agency": memberships[0].agency.slug if memberships and memberships[0].agency else None,
                "agencies": list(dict.fromkeys(m.agency.slug for m in memberships if m.agency)),
            }
            if new_password is not None:
                row["password"] = new_password
            if second_factor.needs_second_factor(user):
                # Staff who can see identities sign in with a TOTP code (docs/product.md §8, §9):
                # the demo enrols them and prints the base32 secret for an authenticator app.
                row["totp_secret"] = second_factor.base32_secret(second_factor.enrol(user))
            result.append(row)
        return result

    # Sample reports ----------------------------------------------------------------------------
    def seed_samples(self):
        """File and move the sample reports through the workflow; 0 when they exist already."""
        from complaints.models import Complaint

        emails = [acc.email for acc in ACCOUNTS]
        if Complaint.objects.filter(Q(reporter__email__in=emails) | Q(entered_by__email__in=emails)).exists():
            return 0
        self.people = {acc.key: User.objects.get(email=acc.email) for acc in ACCOUNTS}
        self.liaisons = {}
        for acc in ACCOUNTS:
            for role, slug in acc.memberships:
                if role == Role.LIAISON:
                    self.liaisons.setdefault(slug, self.people[acc.key])
        self.areas = {a.code: a for a in Area.objects.all()}
        self.categories = {c.slug: c for c in Category.objects.all()}
        self.agencies = {a.slug: a for a in Agency.objects.all()}
        rng = random.Random(20260313)  # the same demo every time
        # First, while they are the only reports: the sweeps replayed as of past instants must not
        # meet a clock that starts later.
        made = self.seed_late_samples(random.Random(20261105))
        for sample in _samples():
            c = self.file(sample, rng)
            made[sample.key] = c
            for step in sample.steps:
                self._step(c, step, sample, made)
            self._backdate(c, sample, rng)
        return len(made)

    def seed_late_samples(self, rng):
        """The late samples, replayed on last month's calendar: each is filed and verified as of
        its day (`now` of the workflow), the SLA sweep runs as of 06:00 every day from the first
        filing up to now (as the beat would have: each step once, at its time), the remaining
        steps run now, and last month's sanction recommendations are built. Then the timeline
        entries get the instants they were made at (seed data only, as `_backdate`)."""
        from complaints import workflow
        from complaints.deadlines import sanctions
        from complaints.deadlines.sweep import sla_sweep
        from complaints.models import Event

        month = sanctions.last_month(self.now)
        timeline = []  # (instant, order, action)
        made, filed_at = {}, {}
        for sample in _late_samples():
            day = month.replace(day=sample.last_month_day)
            filed_at[sample.key] = calendar.start_of_day(day) + timedelta(hours=9)
            verified_at = filed_at[sample.key] + timedelta(days=sample.verify_after)
            timeline.append((filed_at[sample.key], 0, ("file", sample)))
            timeline.append((verified_at, 1, ("verify", sample)))
        first = calendar.local_date(min(filed_at.values()))
        today = calendar.local_date(self.now)
        for n in range(1, (today - first).days + 1):
            at = calendar.start_of_day(first + timedelta(days=n)) + timedelta(hours=6)
            if at < self.now:
                timeline.append((at, 2, ("sweep", None)))
        timeline.append((self.now, 3, ("sweep", None)))

        marks = []  # (last event pk, instant): the events up to that pk were made at that instant
        for at, _order, (what, sample) in sorted(timeline, key=lambda item: (item[0], item[1])):
            if what == "file":
                made[sample.key] = self.file(sample, rng, now=at)
            elif what == "verify":
                _op, agencies = sample.steps[0]
                workflow.verify(made[sample.key].pk, by=self.people["operator"], agencies=agencies, now=at)
            else:
                sla_sweep(at)
            marks.append((Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0, at))
        for sample in _late_samples():
            for step in sample.steps[1:]:
                self._step(made[sample.key], step, sample, made)
        for c in made.values():
            self._stamp(c, marks)
        sanctions.build_month(month, now=self.now)
        return made

    def _stamp(self, c, marks):
        """Seed data only: each timeline entry of a late sample, its notifications and the
        disposition it made get the instant of the step that made them (the workflow and the sweep
        stamp rows with the real present); the steps taken now keep theirs."""
        from complaints.models import Complaint, Disposition, Event, Notification

        first_at = None
        for pk, disposition_id in Event.objects.filter(complaint=c).order_by("pk").values_list("pk", "disposition"):
            at = next((instant for last, instant in marks if pk <= last), None)
            if at is None:
                continue
            first_at = first_at or at
            Event.objects.filter(pk=pk).update(created_at=at)
            Notification.objects.filter(event_id=pk).update(created_at=at)
            if disposition_id:
                Disposition.objects.filter(pk=disposition_id, created_at__gt=at).update(created_at=at)
        Complaint.objects.filter(pk=c.pk).update(created_at=first_at)

    def file(self, sample, rng, now=None):
        from complaints import workflow

        kelurahan = self.areas[sample.kelurahan]
        filed_on = timezone.localtime(now or (self.now - timedelta(days=sample.age))).date()
        fields = {}
        for name, value in sample.extra.items():
            fields[name] = self.agencies[value] if name.endswith("_agency") else value
        operator = self.people["operator"]
        manual = sample.channel in ("walk-in", "phone", "social")
        return workflow.file_complaint(
            reporter=self.people[sample.reporter] if sample.reporter else None,
            entered_by=operator if manual else None,
            title=sample.title,
            body=sample.body,
            kind=sample.kind,
            privacy=sample.privacy,
            channel=sample.channel,
            category=self.categories[sample.category],
            location_text=sample.location or f"Kel. {kelurahan.name}",
            kecamatan=kelurahan.parent,
            kelurahan=kelurahan,
            lat=_coord(float(kelurahan.lat) + rng.uniform(-0.003, 0.003)),
            lng=_coord(float(kelurahan.lng) + rng.uniform(-0.003, 0.003)),
            incident_date=filed_on - timedelta(days=rng.randint(0, 6)),
            now=now,
            **fields,
        )

    def _disposition(self, c, slug):
        return c.dispositions.filter(agency__slug=slug).order_by("-pk").first().pk

    def _step(self, c, step, sample, made):
        from complaints import workflow

        op, *args = step
        operator = self.people["operator"]
        reporter = self.people.get(sample.reporter)
        if op == "verify":
            workflow.verify(c.pk, by=operator, agencies=args[0])
        elif op == "dispose":
            workflow.dispose(c.pk, by=operator, agencies=args[0], note=args[1])
        elif op == "postpone":
            workflow.postpone(c.pk, by=operator, reason=args[0])
        elif op == "complete":
            workflow.complete(c.pk, by=reporter, body=args[0])
        elif op == "archive":
            workflow.archive(c.pk, by=operator, reason=args[0], note=args[1])
        elif op == "withdraw":
            workflow.withdraw(c.pk, by=reporter)
        elif op == "forward":
            workflow.forward(c.pk, by=operator, institution=args[0], note=args[1])
        elif op == "merge":
            workflow.merge(c.pk, by=operator, into=made[args[0]].tracking_id)
        elif op == "summary":
            workflow.edit_summary(c.pk, by=operator, summary=args[0])
        elif op == "flag_oversight":
            workflow.flag_oversight(c.pk, by=operator)
        elif op == "subdispose":
            workflow.subdispose(
                c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]), unit=args[1]
            )
        elif op == "followup":
            workflow.followup(c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]), body=args[1])
        elif op == "question":
            workflow.question(c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]), body=args[1])
        elif op == "return":
            workflow.return_disposition(
                c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]), reason=args[1]
            )
        elif op == "finish":
            workflow.finish(c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]))
        elif op == "extend":
            workflow.extend(c.pk, by=self.liaisons[args[0]], disposition=self._disposition(c, args[0]), reason=args[1])
        elif op == "liaison_reply":
            workflow.reply(c.pk, by=self.liaisons[args[0]], body=args[1])
        elif op == "reply":
            workflow.reply(c.pk, by=reporter, body=args[0])
        elif op == "accept":
            workflow.accept(c.pk, by=reporter)
        elif op == "rate":
            workflow.rate(c.pk, by=reporter, score=args[0], comment=args[1])
        elif op == "reopen":
            workflow.reopen(c.pk, by=reporter, body=args[0])
        elif op == "privacy":
            workflow.change_privacy(c.pk, by=reporter, privacy_level=args[0])
        elif op == "support":
            workflow.support(c.pk, by=self.people[args[0]])
        elif op == "reveal":
            workflow.reveal(c.pk, by=self.people[args[0]], reason=args[1])
        else:  # pragma: no cover - a typo in the table above
            raise CommandError(f"unknown sample step {op!r}")

    def _backdate(self, c, sample, rng):
        """Seed data only: the workflow stamps everything with the real now; spread this report's
        history over the days before it (filed `sample.age` days ago, each later entry a little
        after the one before) so lists and charts look lived-in. Timestamps only — statuses and
        the deadlines the workflow computed are left as they are."""
        from complaints.models import Complaint, Disposition, Event, EventType, IdentityAccess, Notification

        events = list(Event.objects.filter(complaint=c).order_by("created_at", "pk").values_list("pk", "created_at"))
        if not events:
            return
        start = self.now - timedelta(days=sample.age, minutes=rng.randint(0, 240))
        span = (self.now - timedelta(minutes=30)) - start
        gap = min(span / len(events), timedelta(days=3))
        new = [start]
        for _event in events[1:]:
            new.append(new[-1] + gap * rng.uniform(0.4, 1.0))
        real = [created for _pk, created in events]

        def remap(instant):
            # Each workflow call takes `now` once, then writes its events: a stamp belongs to the
            # first event written at or after it.
            if instant is None:
                return None
            return new[min(bisect_left(real, instant), len(new) - 1)]

        for (pk, _created), when in zip(events, new, strict=True):
            Event.objects.filter(pk=pk).update(created_at=when)
            Notification.objects.filter(event_id=pk).update(created_at=when)
        c.refresh_from_db()
        Complaint.objects.filter(pk=c.pk).update(
            created_at=new[0], updated_at=new[-1], verified_at=remap(c.verified_at), closed_at=remap(c.closed_at)
        )
        for d in Disposition.objects.filter(complaint=c):
            Disposition.objects.filter(pk=d.pk).update(
                created_at=remap(d.created_at),
                first_followup_at=remap(d.first_followup_at),
                finished_at=remap(d.finished_at),
                returned_at=remap(d.returned_at),
                extended_at=remap(d.extended_at),
            )
        for access in IdentityAccess.objects.filter(complaint=c):
            IdentityAccess.objects.filter(pk=access.pk).update(created_at=remap(access.created_at))
        if c.merged_into_id:
            # The primary's "merged" entry happened when this duplicate was archived (its timeline
            # sorts by time, so the entry falls between the primary's own).
            primary = Complaint.objects.get(pk=c.merged_into_id)
            when = max(new[-1], primary.created_at + timedelta(minutes=1))
            merged = Event.objects.filter(complaint=primary, type=EventType.MERGED).order_by("-pk").first()
            Event.objects.filter(pk=merged.pk).update(created_at=when)
            Notification.objects.filter(event_id=merged.pk).update(created_at=when)

    # Output ------------------------------------------------------------------------------------
    def print_table(self, accounts, holidays_made, samples_made):
        from complaints.models import ClockStep, Complaint, Sanction, StepKind

        escalated = ClockStep.objects.filter(step=StepKind.ESCALATED, skipped=False).count()
        self.stdout.write(
            f"Wilayah demo: {Agency.objects.count()} instansi, {Area.objects.count()} wilayah, "
            f"{Category.objects.count()} kategori, {Holiday.objects.count()} hari libur "
            f"({holidays_made} baru), {Complaint.objects.count()} laporan "
            f"({samples_made} laporan contoh baru), {escalated} eskalasi, "
            f"{Sanction.objects.count()} rekomendasi sanksi TPP."
        )
        for line in account_table(accounts):
            self.stdout.write(line)
        self.stdout.write(f"Daftar akun ini tersimpan di {settings.DEMO_ACCOUNTS_FILE}.")


# The accounts table: printed by seed_demo, kept in DEMO_ACCOUNTS_FILE (data/demo-accounts.txt) and
# printed again by `make demo` once the portal is up, so the passwords of the first run are never
# lost in the start-up output. Columns are separated by two spaces or more (no value holds two).
TABLE_HEADERS = ("USERNAME", "PERAN", "INSTANSI", "KATA SANDI", "RAHASIA TOTP")
UNCHANGED = "(tidak diubah)"


def account_table(accounts):
    """The accounts as aligned text lines (header first), with a closing hint for the TOTP."""
    rows = [
        (
            a["username"],
            ", ".join(a["roles"]),
            ", ".join(a["agencies"]) or "-",
            a.get("password", UNCHANGED),
            a.get("totp_secret", "-"),
        )
        for a in accounts
    ]
    widths = [max(len(r[i]) for r in [TABLE_HEADERS, *rows]) for i in range(len(TABLE_HEADERS))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [TABLE_HEADERS, *rows]]
    if any("password" not in a for a in accounts):
        lines.append(
            f"{UNCHANGED}: kata sandi dari jalankan sebelumnya (tersimpan di {settings.DEMO_ACCOUNTS_FILE}); "
            "`python manage.py seed_demo --password KATA-SANDI` mengatur ulang semuanya."
        )
    if any("totp_secret" in a for a in accounts):
        lines.append(
            "Petugas dengan RAHASIA TOTP masuk dengan kode dari aplikasi autentikator yang diisi rahasia itu "
            "(atau, dengan DEBUG=true, `python manage.py totp_code EMAIL`)."
        )
    return lines


def known_passwords(path=None):
    """{username: password} from the accounts file an earlier run wrote (empty if none)."""
    path = path or settings.DEMO_ACCOUNTS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    known = {}
    for line in lines[1:]:
        columns = re.split(r" {2,}", line.strip())
        if len(columns) == len(TABLE_HEADERS) and columns[3] != UNCHANGED:
            known[columns[0]] = columns[3]
    return known


def keep_known_passwords(accounts):
    """An account whose password this run left alone keeps the one the accounts file recorded,
    if that password still opens it (a wiped database gets new ones, printed)."""
    known = known_passwords()
    result = []
    for a in accounts:
        password = known.get(a["username"])
        if "password" not in a and password:
            user = User.objects.filter(email=a["username"]).first()
            if user is not None and user.check_password(password):
                a = {**a, "password": password}
        result.append(a)
    return result


def write_accounts_file(accounts):
    """DEMO_ACCOUNTS_FILE, readable by its owner only (it holds passwords)."""
    path = settings.DEMO_ACCOUNTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(account_table(accounts)) + "\n")
    os.chmod(path, 0o600)


def _coord(value):
    return Decimal(str(round(value, 6)))
