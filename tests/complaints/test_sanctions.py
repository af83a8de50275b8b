"""TPP sanction recommendations (docs/product.md §5): one per agency and month from the escalations due
in it, frozen evidence, a clock counted once, decisions by the right auditors, the head's
clarification, the payroll export, the pages and the command."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from agencies.models import Agency, AgencyKind, SlaPolicy
from complaints import tasks, workflow
from complaints.dashboards import exports
from complaints.deadlines import sanctions
from complaints.errors import Forbidden, Invalid, NotFound, TransitionError
from complaints.models import ClockKind, ClockStep, Sanction, SanctionEvidence, StepKind
from tests.clock import at, local, sweep
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
AFTER_NOVEMBER = None  # set in fixtures: 1 December 2026 06:00 local


@pytest.fixture
def staff(region, operator, liaison_pu, liaison_bina_marga, liaison_dinkes, head_pu, auditor, auditor_bkd):
    head_pu.nip = "197001012000031001"
    head_pu.save(update_fields=["nip"])
    liaison_pu.nip = "198502022010012002"
    liaison_pu.save(update_fields=["nip"])
    observer = Agency.objects.create(slug="ombudsman", name="Ombudsman RI", kind=AgencyKind.OBSERVER)
    return type(
        "Staff",
        (),
        {
            "head_dinkes": make_user("kepala.dinkes@pemda.go.id", "Kepala Dinkes", ("head", region.dinkes)),
            "head_diskominfo": make_user("kepala@kominfo.go.id", "Kepala Kominfo", ("head", region.diskominfo)),
            "observer": make_user("pengamat@ombudsman.go.id", "Peng Amat", ("auditor", observer)),
            "auditor_inspektorat": auditor,
            "auditor_bkd": auditor_bkd,
        },
    )()


@pytest.fixture
def november(region, staff, file_report, disposed_report, liaison_pu):
    """Escalations due in November 2026: two Dinas PU follow-ups (one sub-disposed to Bina Marga),
    one Dinas Kesehatan follow-up, one operators' verification clock, one aspirasi."""
    r = type("November", (), {})()
    r.pu = at(local(2026, 11, 2, 10), disposed_report)
    r.pu_unit = at(local(2026, 11, 2, 10, 5), disposed_report, title="Jembatan retak di Desa Lamokato")
    d = r.pu_unit.dispositions.get()
    at(
        local(2026, 11, 3, 9),
        workflow.subdispose,
        r.pu_unit.pk,
        by=liaison_pu,
        disposition=d.pk,
        unit="dinas-pu-bina-marga",
    )
    r.dinkes = at(
        local(2026, 11, 2, 11),
        disposed_report,
        agencies=("dinkes",),
        category=region.health,
        title="Antrian puskesmas terlalu lama",
    )
    r.unverified = at(local(2026, 11, 2, 12), file_report, title="Sampah menumpuk di pasar")
    r.aspirasi = at(local(2026, 11, 2, 13), disposed_report, kind="aspirasi", title="Usul taman kota baru")
    sweep(local(2026, 11, 6, 12))  # reminders on time
    sweep(local(2026, 11, 20, 9))  # overdue and escalated (PU and Dinkes due 12 Nov, verification 10 Nov)
    return r


def build(month=NOVEMBER, now=None):
    return sanctions.build_month(month, now=now or local(2026, 12, 1, 6))


def by_agency(result):
    return {s.agency.slug: s for s in result["created"]}


# Building ----------------------------------------------------------------------------------------
def test_one_recommendation_per_agency_with_frozen_evidence(november, staff):
    result = build()
    made = by_agency(result)
    assert sorted(made) == ["dinas-pu", "dinkes", "diskominfo"]  # the unit is charged to its OPD; aspirasi not counted
    pu = made["dinas-pu"]
    assert (pu.month, pu.status) == (NOVEMBER, Sanction.Status.RECOMMENDED)
    assert sorted(e["tracking_id"] for e in pu.evidence) == sorted(
        [november.pu.tracking_id, november.pu_unit.tracking_id]
    )
    item = next(e for e in pu.evidence if e["tracking_id"] == november.pu.tracking_id)
    assert item["clock_kind"] == ClockKind.FOLLOWUP and item["disposition_agency"] == "Dinas PU"
    assert timezone.localtime(datetime.fromisoformat(item["deadline"])) == local(2026, 11, 9, 23, 59, 59, 999999)
    assert timezone.localtime(datetime.fromisoformat(item["escalated_at"])) == local(2026, 11, 12, 23, 59, 59, 999999)
    assert item["days_late"] == 16  # 10 November … 1 December, working days, still running
    assert {"name": "Kepala PU", "nip": "197001012000031001", "role": "head", "agency": "Dinas PU"} in item["people"]
    assert {"name": "Lia Penghubung", "nip": "198502022010012002", "role": "liaison", "agency": "Dinas PU"} in item[
        "people"
    ]
    unit_item = next(e for e in pu.evidence if e["tracking_id"] == november.pu_unit.tracking_id)
    assert unit_item["disposition_agency"] == "Bidang Bina Marga"
    assert {p["name"] for p in unit_item["people"]} == {"Kepala PU", "Budi Bina"}
    operators = made["diskominfo"].evidence[0]
    assert operators["clock_kind"] == ClockKind.VERIFICATION
    assert {(p["name"], p["role"]) for p in operators["people"]} == {
        ("Kepala Kominfo", "head"),
        ("Opi Operator", "operator"),
    }
    # Each counted step is tied to its one recommendation.
    assert SanctionEvidence.objects.count() == 4
    assert set(
        SanctionEvidence.objects.filter(sanction=pu).values_list("step__clock__complaint__tracking_id", flat=True)
    ) == {november.pu.tracking_id, november.pu_unit.tracking_id}

    # Frozen: later changes of the people of record do not touch it.
    staff.head_dinkes.membership_set.all().delete()
    assert Sanction.objects.get(pk=made["dinkes"].pk).evidence == made["dinkes"].evidence


def test_re_running_a_month_changes_nothing(november):
    first = build()
    before = {s.pk: (s.evidence, s.status) for s in Sanction.objects.all()}
    again = build(now=local(2027, 2, 1))
    assert again["created"] == [] and again["late"] == 0
    assert sorted(s.pk for s in again["existing"]) == sorted(s.pk for s in first["created"])
    assert {s.pk: (s.evidence, s.status) for s in Sanction.objects.all()} == before
    assert SanctionEvidence.objects.count() == 4


def test_aspirasi_counts_only_when_the_policy_says_so(november):
    policy = SlaPolicy.current()
    policy.aspirasi_counts_for_sanctions = True
    policy.save()
    pu = by_agency(build())["dinas-pu"]
    assert november.aspirasi.tracking_id in {e["tracking_id"] for e in pu.evidence}


def test_a_clock_counts_once_in_the_month_it_escalated(november):
    build()
    # The PU clocks are still overdue in December, but they escalated in November.
    sweep(local(2027, 1, 5, 9))
    december = build(date(2026, 12, 1), now=local(2027, 1, 1, 6))
    counted = {e["clock"] for s in december["created"] for e in s.evidence}
    november_clocks = set(
        SanctionEvidence.objects.filter(sanction__month=NOVEMBER).values_list("step__clock", flat=True)
    )
    assert not counted & november_clocks
    # December's recommendations hold only clocks that escalated in December (the settlement ceilings
    # of early-November dispositions escalate in January).
    for s in december["created"]:
        for e in s.evidence:
            assert timezone.localtime(datetime.fromisoformat(e["escalated_at"])).month == 12


def test_an_escalation_recorded_after_the_month_was_built(
    region, staff, disposed_report, dinkes_report_of_monday_16, liaison_pu
):
    early = at(local(2026, 11, 2, 10), disposed_report)
    sweep(local(2026, 11, 20, 9))  # early's escalation (12 Nov)
    late_pu = at(local(2026, 11, 16, 10), disposed_report, title="Gorong-gorong ambrol di Jl. Poros")
    late_dinkes = dinkes_report_of_monday_16()
    first = build()
    assert sorted(by_agency(first)) == ["dinas-pu"]
    frozen = Sanction.objects.get(agency__slug="dinas-pu").evidence
    # The beat was down: their escalations (due 26 November) are recorded only on 2 December.
    sweep(local(2026, 12, 2, 9))
    assert ClockStep.objects.filter(step=StepKind.ESCALATED, due_at__month=11).count() == 3
    again = build(now=local(2026, 12, 2, 10))
    assert sorted(by_agency(again)) == ["dinkes"]  # a new recommendation for an agency without one
    assert again["late"] == 1  # Dinas PU's frozen evidence is not changed
    assert Sanction.objects.get(agency__slug="dinas-pu").evidence == frozen
    assert [e["tracking_id"] for e in frozen] == [early.tracking_id]
    assert late_dinkes.tracking_id in {e["tracking_id"] for e in by_agency(again)["dinkes"].evidence}
    assert not SanctionEvidence.objects.filter(step__clock__complaint=late_pu).exists()


def test_a_month_is_built_only_once_it_has_ended(november):
    with pytest.raises(Invalid) as err:
        build(now=local(2026, 11, 30, 23, 59))
    assert "belum berakhir" in str(err.value.fields["month"][0])
    assert not Sanction.objects.exists()
    for bad in ("2026-13", "November", "", "1999-01"):
        with pytest.raises(Invalid):
            sanctions.build_month(bad)


def test_months_follow_the_deployment_time_zone(settings, region, staff, disposed_report):
    settings.TIME_ZONE = "Asia/Jayapura"
    with timezone.override("Asia/Jayapura"):
        # Dispose Monday 23 November 10:00 WIT: follow-up due 30 November, escalation due
        # Thursday 3 December 23:59:59 WIT.
        at(local(2026, 11, 23, 10), disposed_report)
        sweep(local(2026, 12, 4, 9))
        assert not build(now=local(2026, 12, 1, 6))["created"]
        assert by_agency(build(date(2026, 12, 1), now=local(2027, 1, 1, 6)))["dinas-pu"]


# Reading and deciding -----------------------------------------------------------------------------
@pytest.fixture
def made(november):
    return by_agency(build())


def test_who_reads_which_recommendations(made, staff, head_pu, liaison_pu, citizen, auditor):
    everyone = {s.pk for s in made.values()}
    assert {s.pk for s in sanctions.sanctions_visible_to(auditor, "2026-11")} == everyone
    assert {s.pk for s in sanctions.sanctions_visible_to(staff.observer, NOVEMBER)} == everyone
    assert {s.pk for s in sanctions.sanctions_visible_to(head_pu, "2026-11")} == {made["dinas-pu"].pk}
    assert {s.pk for s in sanctions.sanctions_visible_to(staff.head_diskominfo)} == {made["diskominfo"].pk}
    assert not sanctions.sanctions_visible_to(liaison_pu).exists()
    assert not sanctions.sanctions_visible_to(citizen).exists()
    assert not sanctions.sanctions_visible_to(head_pu, "2026-10").exists()
    with pytest.raises(Invalid):
        sanctions.sanctions_visible_to(auditor, "11/2026")


def test_confirm_and_waive_by_the_right_auditors(made, staff, head_pu, liaison_pu, auditor, auditor_bkd):
    pu = made["dinas-pu"]
    with pytest.raises(NotFound):
        sanctions.confirm(pu.pk, liaison_pu, "Terlambat tanpa alasan yang sah.")
    with pytest.raises(NotFound):
        sanctions.confirm(pu.pk, staff.head_dinkes, "Terlambat tanpa alasan yang sah.")
    with pytest.raises(Forbidden):
        sanctions.confirm(pu.pk, head_pu, "Terlambat tanpa alasan yang sah.")
    with pytest.raises(Forbidden):
        sanctions.waive(pu.pk, staff.observer, "Pengamat tidak memutuskan apa pun.")
    with pytest.raises(Invalid) as err:
        sanctions.confirm(pu.pk, auditor, "ok")
    assert "reason" in err.value.fields
    confirmed = sanctions.confirm(pu.pk, auditor, "Terlambat tanpa alasan yang sah.")
    assert (confirmed.status, confirmed.decided_by, confirmed.decision_reason) == (
        Sanction.Status.CONFIRMED,
        auditor,
        "Terlambat tanpa alasan yang sah.",
    )
    with pytest.raises(TransitionError):
        sanctions.waive(pu.pk, auditor_bkd, "Berubah pikiran setelah konfirmasi.")
    with pytest.raises(NotFound):
        sanctions.confirm(999999, auditor, "Terlambat tanpa alasan yang sah.")


def test_an_auditor_never_decides_on_their_own_agency(region, staff, disposed_report, auditor, auditor_bkd):
    at(local(2026, 11, 2, 10), disposed_report, agencies=("inspektorat",), category=region.pungli)
    sweep(local(2026, 11, 20, 9))
    inspektorat = by_agency(build())["inspektorat"]
    with pytest.raises(Forbidden):
        sanctions.confirm(inspektorat.pk, auditor, "Inspektorat menilai dirinya sendiri.")
    assert sanctions.confirm(inspektorat.pk, auditor_bkd, "Dinilai oleh BKD, terlambat.").status == "confirmed"


def test_a_waived_recommendation_stays_waived(made, auditor, auditor_bkd):
    dinkes = made["dinkes"]
    sanctions.waive(dinkes.pk, auditor_bkd, "Keterlambatan karena bencana banjir.")
    with pytest.raises(TransitionError):
        sanctions.confirm(dinkes.pk, auditor, "Tetap harus disanksi, menurut kami.")
    build(now=local(2027, 3, 1))
    dinkes.refresh_from_db()
    assert dinkes.status == Sanction.Status.WAIVED
    assert Sanction.objects.filter(agency=dinkes.agency, month=NOVEMBER).count() == 1


def test_the_head_clarifies_once_before_the_decision(made, staff, head_pu, auditor):
    pu, dinkes = made["dinas-pu"], made["dinkes"]
    with pytest.raises(Forbidden):
        sanctions.clarify(pu.pk, auditor, "Auditor tidak memberi klarifikasi.")
    with pytest.raises(NotFound):
        sanctions.clarify(dinkes.pk, head_pu, "Bukan instansi saya sama sekali.")
    with pytest.raises(Invalid):
        sanctions.clarify(pu.pk, head_pu, "  ")
    s = sanctions.clarify(pu.pk, head_pu, "Petugas penghubung sedang cuti melahirkan.")
    assert (s.clarification, s.clarified_by) == ("Petugas penghubung sedang cuti melahirkan.", head_pu)
    with pytest.raises(TransitionError):
        sanctions.clarify(pu.pk, head_pu, "Klarifikasi kedua tidak diterima.")
    sanctions.waive(made["diskominfo"].pk, auditor, "Gangguan jaringan di kantor Kominfo.")
    with pytest.raises(TransitionError):
        sanctions.clarify(made["diskominfo"].pk, staff.head_diskominfo, "Terlambat mengklarifikasi.")


# Export --------------------------------------------------------------------------------------------
def test_payroll_export_csv_and_xlsx(made, auditor, head_pu):
    pu = made["dinas-pu"]
    sanctions.confirm(pu.pk, auditor, "=Terlambat tanpa alasan yang sah.")
    sanctions.waive(made["dinkes"].pk, auditor, "Keterlambatan karena bencana banjir.")
    confirmed = list(sanctions.confirmed_for_export(auditor, "2026-11"))
    assert [s.pk for s in confirmed] == [pu.pk]

    rows = list(csv.reader(io.StringIO(exports.sanctions_csv(confirmed).decode("utf-8-sig"))))
    assert rows[0] == [
        "Instansi",
        "Bulan",
        "Jumlah bukti",
        "Hari terlambat",
        "Nama",
        "NIP",
        "Peran",
        "Keputusan",
        "Auditor",
        "Tanggal keputusan",
        "Alasan",
        "Bukti susulan dari bulan sebelumnya",
    ]
    body = rows[1:]
    assert {r[4] for r in body} == {"Kepala PU", "Lia Penghubung", "Budi Bina"}
    head = next(r for r in body if r[4] == "Kepala PU")
    assert head[:4] == ["Dinas PU", "2026-11", "2", str(sanctions.days_late(pu))]
    assert head[5:9] == ["197001012000031001", "Pimpinan", "Dikonfirmasi", "Audi Tor"]
    assert head[10] == "'=Terlambat tanpa alasan yang sah."  # never a formula in a spreadsheet
    assert head[11] == "0"  # every item escalated in November itself

    book = load_workbook(io.BytesIO(exports.sanctions_xlsx(confirmed)))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Instansi" and len(values) == 4
    assert {v[4] for v in values[1:]} == {"Kepala PU", "Lia Penghubung", "Budi Bina"}
    assert all(v[2] == 2 for v in values[1:])


def test_payroll_export_through_the_urls_hands_no_formula(made, region, client_for, auditor):
    from tests.dashboards.test_formula_injection import assert_inert_csv, workbook_cells

    region.pu.name = "Dinas PU;=cmd|' /C calc'!A0"
    region.pu.save(update_fields=["name"])
    sanctions.confirm(made["dinas-pu"].pk, auditor, "Terlambat, -1+1 hari;\t@SUM(1+1) tanpa alasan.")
    c = client_for(auditor)
    page = c.get("/audit/sanksi/", {"bulan": "2026-11"}).content.decode()
    assert "Unduh CSV" in page and page.count('class="muted csv-note noprint"') == 1  # what the file is
    r = c.get("/audit/sanksi/ekspor.csv", {"bulan": "2026-11"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = assert_inert_csv(r.content.decode("utf-8-sig"))
    body = rows[1:]
    assert len(body) == 3
    assert {row[0] for row in body} == {"Dinas PU;'=cmd|' /C calc'!A0"}
    assert {row[10] for row in body} == {"Terlambat, '-1+1 hari;'\t'@SUM(1+1) tanpa alasan."}

    r = c.get("/audit/sanksi/ekspor.xlsx", {"bulan": "2026-11"})
    assert r.status_code == 200
    sheet = workbook_cells(r.content).active
    assert sheet.title == "Sanksi TPP" and sheet.freeze_panes == "A2" and sheet.column_dimensions["K"].width == 50
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert {v[0] for v in values} == {"Dinas PU;'=cmd|' /C calc'!A0"}
    assert {v[10] for v in values} == {"Terlambat, '-1+1 hari;'\t'@SUM(1+1) tanpa alasan."}
    assert all(v[2] == 2 for v in values)  # numbers stay numbers


# Pages -----------------------------------------------------------------------------------------------
def test_list_page_for_auditor_and_head(client, made, auditor, head_pu, citizen):
    client.force_login(auditor)
    r = client.get("/audit/sanksi/?bulan=2026-11")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Dinas PU" in html and "Dinas Kesehatan" in html and "Diskominfo" in html
    client.force_login(head_pu)
    html = client.get("/audit/sanksi/?bulan=2026-11").content.decode()
    assert "Dinas PU" in html and "Dinas Kesehatan" not in html
    client.force_login(citizen)
    assert client.get("/audit/sanksi/?bulan=2026-11").status_code == 403
    client.logout()
    assert client.get("/audit/sanksi/").status_code == 302


def test_list_page_defaults_to_last_month_and_refuses_a_bad_one(client, auditor):
    with time_machine.travel(local(2026, 12, 15, 9), tick=False):
        client.force_login(auditor)
        r = client.get("/audit/sanksi/")
    assert r.status_code == 200 and 'value="2026-11"' in r.content.decode()
    r = client.get("/audit/sanksi/?bulan=2026-13")
    assert r.status_code == 400 and "YYYY-MM" in r.content.decode()
    assert client.get("/audit/sanksi/ekspor.csv?bulan=x").status_code == 400


@pytest.mark.parametrize("rows", [1, 50])
def test_list_page_query_count_does_not_grow(client, region, auditor, django_assert_max_num_queries, rows):
    evidence = [{"tracking_id": "LPR-0000-0000", "days_late": 3, "people": [{"name": "X", "nip": "", "role": "head"}]}]
    for i in range(rows):
        agency = Agency.objects.create(slug=f"opd-{i}", name=f"OPD {i:02d}", kind=AgencyKind.OPD)
        Sanction.objects.create(agency=agency, month=NOVEMBER, evidence=evidence)
    client.force_login(auditor)
    # The first staff request of a session writes its idle end (then at most every five minutes):
    # measured is the page itself. A staff request also reads the second factor's device that
    # verified the session (django-otp, docs/product.md §9): one query, whatever the rows.
    client.get("/audit/sanksi/?bulan=2026-11")
    with django_assert_max_num_queries(7):
        r = client.get("/audit/sanksi/?bulan=2026-11")
    assert r.status_code == 200 and r.content.decode().count("/audit/sanksi/") >= rows


def test_detail_page_and_the_decision_form(client, made, auditor, staff, head_pu):
    pu = made["dinas-pu"]
    url = f"/audit/sanksi/{pu.pk}/"
    client.force_login(staff.observer)
    html = client.get(url).content.decode()
    assert pu.evidence[0]["tracking_id"] in html and "197001012000031001" in html
    assert 'name="decision"' not in html  # observers only read
    assert (
        client.post(url + "keputusan/", {"decision": "confirm", "reason": "Pengamat mencoba memutuskan."}).status_code
        == 403
    )

    client.force_login(auditor)
    html = client.get(url).content.decode()
    assert 'name="decision"' in html and 'name="clarification"' not in html
    r = client.post(url + "keputusan/", {"decision": "confirm", "reason": "pendek"})
    assert r.status_code == 400 and "minimal 10 karakter" in r.content.decode()
    assert (
        client.post(url + "keputusan/", {"decision": "hapus", "reason": "Keputusan yang tidak dikenal."}).status_code
        == 400
    )
    r = client.post(url + "keputusan/", {"decision": "confirm", "reason": "Terlambat tanpa alasan yang sah."})
    assert r.status_code == 302 and r["Location"] == url
    pu.refresh_from_db()
    assert pu.status == Sanction.Status.CONFIRMED
    r = client.post(url + "keputusan/", {"decision": "waive", "reason": "Mencoba membatalkan lagi."})
    assert r.status_code == 409

    export = client.get("/audit/sanksi/ekspor.xlsx?bulan=2026-11")
    assert export.status_code == 200 and export["Content-Disposition"].endswith('sanksi-tpp-2026-11.xlsx"')
    assert load_workbook(io.BytesIO(export.content)).active.max_row == 4
    export = client.get("/audit/sanksi/ekspor.csv?bulan=2026-11")
    assert export["Content-Type"].startswith("text/csv") and "Kepala PU" in export.content.decode("utf-8-sig")


def test_head_clarifies_on_the_page_and_others_get_404(client, made, staff, head_pu):
    pu, dinkes = made["dinas-pu"], made["dinkes"]
    client.force_login(head_pu)
    html = client.get(f"/audit/sanksi/{pu.pk}/").content.decode()
    assert 'name="clarification"' in html and 'name="decision"' not in html
    r = client.post(f"/audit/sanksi/{pu.pk}/klarifikasi/", {"clarification": "Penghubung sedang cuti melahirkan."})
    assert r.status_code == 302
    html = client.get(f"/audit/sanksi/{pu.pk}/").content.decode()
    assert "Penghubung sedang cuti melahirkan." in html and 'name="clarification"' not in html
    assert client.get(f"/audit/sanksi/{dinkes.pk}/").status_code == 404
    assert client.get("/audit/sanksi/999999/").status_code == 404
    assert (
        client.post(f"/audit/sanksi/{dinkes.pk}/klarifikasi/", {"clarification": "Bukan urusan saya."}).status_code
        == 404
    )


# Command and beat task --------------------------------------------------------------------------------
def test_command_builds_and_re_runs(november, capsys):
    call_command("tpp_sanctions", "--month", "2026-11", "--now", "2026-12-01T06:00:00+07:00")
    out = capsys.readouterr().out
    assert "tpp_sanctions 2026-11: created=3 existing=0 late=0" in out and "created dinas-pu: 2 evidence" in out
    call_command("tpp_sanctions", "--month", "2026-11", "--now", "2026-12-02T06:00:00+07:00")
    out = capsys.readouterr().out
    assert "created=0 existing=3" in out
    # Without --month: the month before --now.
    call_command("tpp_sanctions", "--now", "2026-12-05T06:00:00+07:00")
    assert "tpp_sanctions 2026-11: created=0 existing=3" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2026/11"], "YYYY-MM"),
        (["--month", "2026-11", "--now", "2026-11-20T10:00:00+07:00"], "belum berakhir"),
        (["--month", "2026-11", "--now", "besok"], "ISO-8601"),
    ],
)
def test_command_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("tpp_sanctions", *args)


def test_beat_tasks_run_the_services(november):
    with time_machine.travel(local(2026, 12, 1, 6), tick=False):
        assert tasks.tpp_sanctions.delay().get() == {"created": 3, "existing": 0, "late": 0}
    assert tasks.sla_sweep.delay("2027-03-01T00:00:00+07:00").get()["clocks"] >= 1
