"""The citizen's filing form (/lapor/) as the tests post it."""

# A road report in kelurahan Lamokato as a citizen fills it in, past the fields each test names.
ROAD_REPORT = {
    "kind": "aduan",
    "location_text": "Dusun II, dekat masjid",
    "lat": "-4.6012345678",
    "lng": "121.9034",
    "incident_date": "2026-11-20",
    "target_agency": "",
    "terlapor_agency": "",
    "privacy": "anonim",
}


def report_form(region, title, body, /, **changes):
    """The form's fields for a road report with `title` and `body` in kecamatan Kota, kelurahan
    Lamokato; `changes` replace or add fields, and a None leaves a field out (not sent)."""
    data = {
        "title": title,
        "body": body,
        "category": region.roads.pk,
        "kecamatan": region.kecamatan.pk,
        "kelurahan": region.kelurahan.pk,
        **ROAD_REPORT,
        **changes,
    }
    return {k: v for k, v in data.items() if v is not None}
