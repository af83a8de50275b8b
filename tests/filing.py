"""Reports as the tests file them: the citizen's form (/lapor/), the operators' manual entry
(/petugas/input/) and the API."""

# A report through the API (POST /api/v1/complaints/).
API_FILING = {
    "title": "Jalan berlubang di depan pasar",
    "body": "Lubang besar di Jalan Poros dekat pasar, sudah dua minggu belum diperbaiki.",
    "kind": "aduan",
    "category": "jalan",
    "location": "Jl. Poros",
    "privacy": "umum",
}

# A road report in kelurahan Lamokato as a citizen fills it in, past the fields each test names.
ROAD_REPORT = {
    "location_text": "Dusun II, dekat masjid",
    "lat": "-4.6012345678",
    "lng": "121.9034",
    "incident_date": "2026-11-20",
    "target_agency": "",
    "terlapor_agency": "",
    "privacy": "anonim",
}


def report_form(region, title, body, /, *, details=True, **changes):
    """The form's fields for a road complaint with `title` and `body` in kecamatan Kota, kelurahan
    Lamokato, with the details of ROAD_REPORT (or none of them: details=False); `changes` replace
    or add fields, and a None leaves a field out (not sent)."""
    data = {
        "kind": "aduan",
        "title": title,
        "body": body,
        "category": region.roads.pk,
        "kecamatan": region.kecamatan.pk,
        "kelurahan": region.kelurahan.pk,
        **(ROAD_REPORT if details else {}),
        **changes,
    }
    return {k: v for k, v in data.items() if v is not None}


def walk_in_form(region, **changes):
    """The operators' manual entry of a walk-in report with the reporter's name and phone."""
    return {
        "channel": "walk-in",
        "kind": "aduan",
        "title": "Lampu jalan mati di Jalan Poros",
        "body": "Sudah seminggu lampu jalan di depan masjid mati, jalan gelap.",
        "category": region.roads.pk,
        "privacy": "umum",
        "reporter_name": "Dewi Lestari",
        "reporter_phone": "0812-3456-7890",
        **changes,
    }
