"""Every transition of docs/product.md §4 through the one door, and a refused one from each status."""

import pytest
import time_machine
from django.utils import timezone

from complaints import models, privacy, workflow
from complaints.errors import Forbidden, Invalid, NotFound, TransitionError
from complaints.models import Clock, ClockKind, Complaint, DispositionStatus, Event, EventType, Status, Support

pytestmark = pytest.mark.django_db


def types(c):
    return list(Event.objects.filter(complaint=c).values_list("type", flat=True))


def refreshed(c):
    return Complaint.objects.get(pk=c.pk)


# belum_terverifikasi ---------------------------------------------------------------------------
def test_filing_stores_the_report_with_its_verification_clock(file_report):
    c = file_report()
    assert c.status == Status.BELUM_TERVERIFIKASI
    assert c.verification_due_at is not None
    assert Clock.objects.filter(complaint=c, kind=ClockKind.VERIFICATION, stopped_at__isnull=True).count() == 1
    assert types(c) == [EventType.FILED]


def test_verify_disposes_and_publishes(file_report, operator):
    c = file_report()
    workflow.verify(c.pk, by=operator, agencies=["dinas-pu", "dinkes"])
    c = refreshed(c)
    assert c.status == Status.BELUM_DITINDAKLANJUTI
    assert c.verified_at and c.verification_due_at is None
    assert sorted(c.dispositions.values_list("agency__slug", flat=True)) == ["dinas-pu", "dinkes"]
    assert all(d.due_at and d.settlement_due_at for d in c.dispositions.all())
    assert types(c) == [EventType.FILED, EventType.VERIFIED, EventType.DISPOSED, EventType.DISPOSED]


def test_verify_refused_to_citizen_and_liaison(file_report, citizen, liaison_pu):
    c = file_report()
    with pytest.raises(Forbidden):
        workflow.verify(c.pk, by=citizen, agencies=["dinas-pu"])
    with pytest.raises(NotFound):  # a liaison does not even see an unverified report
        workflow.verify(c.pk, by=liaison_pu, agencies=["dinas-pu"])


def test_verify_refuses_the_accused_agency_and_its_units(region, file_report, operator):
    c = file_report(terlapor_agency=region.pu)
    for slug in ("dinas-pu", "dinas-pu-bina-marga"):
        with pytest.raises(Invalid) as err:
            workflow.verify(c.pk, by=operator, agencies=[slug])
        assert "terlapor" in str(err.value.fields["agencies"][0])
    assert refreshed(c).status == Status.BELUM_TERVERIFIKASI


def test_a_unit_as_terlapor_bars_the_opd_above_it(region, file_report, operator, liaison_dinkes, citizen):
    """§3: never to the agency named as terlapor, nor any unit under it *or above it*."""
    c = file_report(title="Petugas Puskesmas Kota meminta uang", terlapor_agency=region.puskesmas)
    for slug in ("dinkes", "dinkes-puskesmas-kota"):
        with pytest.raises(Invalid) as err:
            workflow.verify(c.pk, by=operator, agencies=["dinas-pu", slug])
        assert "terlapor" in str(err.value.fields["agencies"][0])
    assert not c.dispositions.exists()  # a refused list disposes to nobody
    workflow.verify(c.pk, by=operator, agencies=["inspektorat"])
    with pytest.raises(Invalid):
        workflow.dispose(c.pk, by=operator, agencies=["dinkes"], note="Mohon ditangani.")
    assert list(c.dispositions.values_list("agency__slug", flat=True)) == ["inspektorat"]
    # The accused OPD's liaison sees only what the public sees: no identity, no staff timeline.
    c = refreshed(c)
    assert privacy.reporter_visible_to(c, liaison_dinkes).level <= privacy.Level.NAME
    assert not privacy.roles_on(c, liaison_dinkes)


def test_oversight_reports_go_only_to_oversight_agencies(region, file_report, operator):
    c = file_report(category=region.pungli, terlapor_agency=region.dinkes)
    assert c.oversight
    with pytest.raises(Invalid):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.verify(c.pk, by=operator, agencies=["inspektorat"])
    assert refreshed(c).status == Status.BELUM_DITINDAKLANJUTI


def test_operator_flag_makes_a_report_oversight(file_report, operator):
    c = file_report()
    workflow.flag_oversight(c.pk, by=operator)
    with pytest.raises(Invalid):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.verify(c.pk, by=operator, agencies=["bkd"])


def test_postpone_pauses_verification_and_complete_resumes(file_report, operator, citizen):
    with time_machine.travel("2026-03-13 10:00 +07:00", tick=False):  # Friday, before Nyepi
        c = file_report()
    with time_machine.travel("2026-03-16 09:00 +07:00", tick=False):
        workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto lokasi.")
    c = refreshed(c)
    assert c.status == Status.TUNDA
    assert c.verification_due_at is None and c.tunda_due_at is not None
    assert c.verification_days_left >= 1
    with pytest.raises(TransitionError):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.complete(c.pk, by=citizen, body="Foto sudah saya lampirkan, lokasinya depan pasar.")
    c = refreshed(c)
    assert c.status == Status.BELUM_TERVERIFIKASI
    assert c.tunda_due_at is None and c.verification_due_at is not None
    assert EventType.COMPLETED in types(c)


def test_complete_refused_outside_tunda(file_report, citizen):
    c = file_report()
    with pytest.raises(TransitionError):
        workflow.complete(c.pk, by=citizen, body="tambahan keterangan")


@pytest.mark.parametrize("reason", ["invalid", "out_of_scope", "duplicate", "no_completion"])
def test_operator_archives_before_verification(file_report, operator, reason):
    c = file_report()
    workflow.archive(c.pk, by=operator, reason=reason, note="Alasan arsip yang jelas.")
    c = refreshed(c)
    assert (c.status, c.archive_reason) == (Status.ARSIP, reason)
    assert not Clock.objects.filter(complaint=c, stopped_at__isnull=True).exists()


def test_archive_reason_must_be_known(file_report, operator):
    c = file_report()
    with pytest.raises(Invalid):
        workflow.archive(c.pk, by=operator, reason="bosan")


def test_withdraw_before_verification_only(file_report, citizen, operator):
    c = file_report()
    workflow.withdraw(c.pk, by=citizen)
    c = refreshed(c)
    assert (c.status, c.archive_reason) == (Status.ARSIP, "withdrawn")
    d = file_report()
    workflow.verify(d.pk, by=operator, agencies=["dinas-pu"])
    with pytest.raises(TransitionError):
        workflow.withdraw(d.pk, by=citizen)


def test_forward_outside_the_region(file_report, operator):
    c = file_report()
    workflow.forward(c.pk, by=operator, institution="pln", note="Listrik padam: kewenangan PLN.")
    c = refreshed(c)
    assert (c.status, c.archive_reason, c.forwarded_to) == (Status.ARSIP, "forwarded", "pln")
    with pytest.raises(Invalid):
        workflow.forward(file_report().pk, by=operator, institution="nasa")


def test_merge_moves_reporter_and_supporters_to_the_primary(
    file_report, disposed_report, operator, other_citizen, citizen
):
    primary = disposed_report()
    supporter_of_dup = type(citizen).objects.create_user(email="carol@warga.id", password="x-long-password-1")
    dup = file_report(reporter=other_citizen)
    Support.objects.create(complaint=dup, user=supporter_of_dup)
    workflow.merge(dup.pk, by=operator, into=primary.tracking_id)
    dup, primary = refreshed(dup), refreshed(primary)
    assert (dup.status, dup.archive_reason, dup.merged_into_id) == (Status.ARSIP, "duplicate", primary.pk)
    followers = set(Support.objects.filter(complaint=primary).values_list("user_id", "kind"))
    assert followers == {(other_citizen.pk, "merged"), (supporter_of_dup.pk, "support")}
    assert primary.support_count == 2
    assert EventType.MERGED in types(dup) and EventType.MERGED in types(primary)


def test_merge_refuses_itself_and_archived(file_report, operator):
    c = file_report()
    with pytest.raises(Invalid):
        workflow.merge(c.pk, by=operator, into=c.tracking_id)


# belum_ditindaklanjuti / proses ----------------------------------------------------------------
def test_followup_moves_to_proses_and_stops_first_clock_only(disposed_report, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tim sudah meninjau lokasi.")
    c, d = refreshed(c), c.dispositions.get()
    assert c.status == Status.PROSES
    assert d.status == DispositionStatus.DITINDAKLANJUTI and d.first_followup_at
    running = set(Clock.objects.filter(disposition=d, stopped_at__isnull=True).values_list("kind", flat=True))
    assert running == {ClockKind.SETTLEMENT}


def test_followup_refused_to_other_opd_and_on_unverified(disposed_report, file_report, liaison_dinkes, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    with pytest.raises((Forbidden, NotFound)):
        workflow.followup(c.pk, by=liaison_dinkes, disposition=d.pk, body="Bukan urusan kami.")
    u = file_report(privacy="umum")
    with pytest.raises(NotFound):
        workflow.followup(u.pk, by=liaison_pu, disposition=d.pk, body="Tidak ada disposisi.")


def return_to_operator(c, liaison, reason):
    """The report's one disposition goes back to the operator: the OPD says it is not theirs."""
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison, disposition=d.pk, reason=reason)


def test_return_then_redispose_to_another_opd(disposed_report, liaison_pu, operator):
    c = disposed_report()
    return_to_operator(c, liaison_pu, "Jalan nasional, bukan kewenangan kami.")
    c, d = refreshed(c), c.dispositions.get()
    assert c.status == Status.BELUM_DITINDAKLANJUTI  # the report keeps its status
    assert d.status == DispositionStatus.DIKEMBALIKAN and d.return_pending
    assert c.redisposition_due_at is not None
    workflow.dispose(c.pk, by=operator, agencies=["dinkes"])
    c = refreshed(c)
    assert c.redisposition_due_at is None
    assert not c.dispositions.filter(return_pending=True).exists()


def test_refusing_a_return_needs_a_note_and_restarts_the_clock(disposed_report, liaison_pu, operator):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan Dinas PU sama sekali.")
    with pytest.raises(Invalid):
        workflow.dispose(c.pk, by=operator, agencies=["dinas-pu"])
    workflow.dispose(c.pk, by=operator, agencies=["dinas-pu"], note="Jalan kabupaten: kewenangan Dinas PU.")
    d = c.dispositions.get()
    assert d.status == DispositionStatus.MENUNGGU and d.due_at
    assert EventType.RETURN_REFUSED in types(c)
    assert Clock.objects.filter(disposition=d, kind=ClockKind.FOLLOWUP).count() == 2


def test_archive_out_of_scope_only_after_every_return(disposed_report, liaison_pu, operator):
    c = disposed_report()
    with pytest.raises(TransitionError):
        workflow.archive(c.pk, by=operator, reason="out_of_scope")
    return_to_operator(c, liaison_pu, "Bukan kewenangan pemerintah daerah.")
    with pytest.raises(TransitionError):
        workflow.archive(c.pk, by=operator, reason="invalid", note="x")
    workflow.archive(c.pk, by=operator, reason="out_of_scope", note="Kewenangan pusat.")
    assert refreshed(c).status == Status.ARSIP


def test_forward_after_every_return(disposed_report, liaison_pu, operator):
    c = disposed_report()
    with pytest.raises(TransitionError):
        workflow.forward(c.pk, by=operator, institution="bpn")
    return_to_operator(c, liaison_pu, "Sengketa tanah, kewenangan BPN.")
    workflow.forward(c.pk, by=operator, institution="bpn", note="Diteruskan ke BPN.")
    assert refreshed(c).forwarded_to == "bpn"


def test_subdispose_inherits_the_deadline(disposed_report, liaison_pu, liaison_bina_marga, liaison_dinkes):
    c = disposed_report()
    d = c.dispositions.get()
    child_event = workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = child_event.disposition
    assert child.parent_id == d.pk and child.due_at == d.due_at
    with pytest.raises(Invalid):
        workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinkes-puskesmas-kota")
    workflow.followup(c.pk, by=liaison_bina_marga, disposition=child.pk, body="Perbaikan dijadwalkan minggu depan.")
    assert c.dispositions.get(pk=d.pk).status == DispositionStatus.DITINDAKLANJUTI


def test_finish_accept_rate_reopen(disposed_report, liaison_pu, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    with pytest.raises(TransitionError):  # nothing followed up yet
        workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Lubang sudah ditambal.")
    with pytest.raises(TransitionError):
        workflow.accept(c.pk, by=citizen)  # not every disposition is finished
    workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    assert refreshed(c).autoclose_due_at is not None
    with pytest.raises(TransitionError):
        workflow.rate(c.pk, by=citizen, score=5)
    workflow.accept(c.pk, by=citizen)
    c = refreshed(c)
    assert c.status == Status.SELESAI and c.reopen_until and c.autoclose_due_at is None
    with pytest.raises(Invalid):
        workflow.rate(c.pk, by=citizen, score=9)
    workflow.rate(c.pk, by=citizen, score=4, comment="Cepat.")
    with pytest.raises(TransitionError):
        workflow.rate(c.pk, by=citizen, score=5)
    workflow.reopen(c.pk, by=citizen, body="Lubang muncul lagi setelah hujan.")
    c, d = refreshed(c), c.dispositions.get()
    assert c.status == Status.PROSES and c.rating is None
    assert d.status == DispositionStatus.DITINDAKLANJUTI and d.due_at
    assert types(c)[-1] == EventType.REOPENED


def test_reopen_refused_after_the_window(disposed_report, liaison_pu, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah diperbaiki.")
    workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    workflow.accept(c.pk, by=citizen)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=40)):
        with pytest.raises(TransitionError):
            workflow.reopen(c.pk, by=citizen, body="Masih rusak sampai sekarang.")


def test_auto_close_after_reporter_silence(disposed_report, liaison_pu, citizen):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah diperbaiki.")
    workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
    due = refreshed(c).autoclose_due_at
    assert workflow.auto_close(c.pk, now=due - timezone.timedelta(seconds=1)) is None
    with time_machine.travel(timezone.now() + timezone.timedelta(days=3)):
        workflow.reply(c.pk, by=citizen, body="Terima kasih, saya cek dulu.")
    assert refreshed(c).autoclose_due_at > due  # the reporter's reply restarts the clock
    later = refreshed(c).autoclose_due_at
    assert workflow.auto_close(c.pk, now=later + timezone.timedelta(seconds=1)) is not None
    assert refreshed(c).status == Status.SELESAI
    assert workflow.auto_close(c.pk, now=later + timezone.timedelta(days=1)) is None  # once


def test_auto_archive_after_tunda_silence(file_report, operator):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon lengkapi lokasi.")
    due = refreshed(c).tunda_due_at
    assert workflow.auto_archive(c.pk, now=due - timezone.timedelta(hours=1)) is None
    workflow.auto_archive(c.pk, now=due + timezone.timedelta(seconds=1))
    c = refreshed(c)
    assert (c.status, c.archive_reason) == (Status.ARSIP, "no_completion")


def test_reply_refused_on_closed_and_by_strangers(disposed_report, other_citizen, operator, file_report):
    c = disposed_report()
    with pytest.raises(Forbidden):
        workflow.reply(c.pk, by=other_citizen, body="Saya juga.")
    a = file_report()
    workflow.archive(a.pk, by=operator, reason="invalid", note="spam")
    with pytest.raises(TransitionError):
        workflow.reply(a.pk, by=a.reporter, body="Kenapa diarsipkan?")


def test_extend_information_request_once(region, file_report, operator, citizen):
    from tests.conftest import make_user

    liaison_ppid = make_user("ppid@pemda.go.id", "Petugas PPID", ("liaison", region.ppid))
    c = file_report(kind="informasi", category=region.info)
    workflow.verify(c.pk, by=operator, agencies=["ppid"])
    d = c.dispositions.get()
    assert Clock.objects.get(disposition=d, kind=ClockKind.INFORMATION, stopped_at__isnull=True)
    before = d.due_at
    workflow.extend(c.pk, by=liaison_ppid, disposition=d.pk, reason="Dokumen perlu dikumpulkan dari tiga bidang.")
    d.refresh_from_db()
    assert d.due_at > before
    with pytest.raises(TransitionError):
        workflow.extend(c.pk, by=liaison_ppid, disposition=d.pk, reason="Sekali lagi karena sibuk sekali.")


def test_privacy_reporter_both_ways_operator_only_up(disposed_report, citizen, operator):
    c = disposed_report(privacy="anonim")
    workflow.change_privacy(c.pk, by=citizen, privacy_level="umum")
    workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
    with pytest.raises(Forbidden):
        workflow.change_privacy(c.pk, by=operator, privacy_level="umum")
    workflow.change_privacy(c.pk, by=citizen, privacy_level="anonim")
    assert refreshed(c).privacy == "anonim"


def test_support_once_and_not_by_the_reporter(disposed_report, citizen, other_citizen):
    c = disposed_report()
    workflow.support(c.pk, by=other_citizen)
    with pytest.raises(TransitionError):
        workflow.support(c.pk, by=other_citizen)
    with pytest.raises(Forbidden):
        workflow.support(c.pk, by=citizen)
    assert refreshed(c).support_count == 1


def test_reveal_is_logged_with_a_reason(disposed_report, auditor, liaison_pu):
    c = disposed_report(privacy="rahasia")
    with pytest.raises(Invalid):
        workflow.reveal(c.pk, by=auditor, reason="")
    identity = workflow.reveal(c.pk, by=auditor, reason="Pemeriksaan dugaan pungli oleh Inspektorat.")
    assert identity["email"] == "alice@warga.id"
    access = models.IdentityAccess.objects.get(complaint=c)
    assert (access.user_id, access.kind, access.role) == (auditor.pk, "reveal", "auditor")
    with pytest.raises(Forbidden):
        workflow.reveal(c.pk, by=liaison_pu, reason="Ingin tahu siapa pelapornya.")


def test_summary_and_reclassify_are_staff_events(disposed_report, operator, region):
    c = disposed_report()
    workflow.edit_summary(c.pk, by=operator, summary="Jalan berlubang di depan pasar.")
    workflow.reclassify(c.pk, by=operator, category=region.health)
    events = Event.objects.filter(complaint=c, type__in=["summary_edited", "reclassified"])
    assert {e.audience for e in events} == {"staff"}
    assert refreshed(c).public_summary


@pytest.mark.parametrize("accused", ["pu", "bina_marga"])
def test_reclassify_never_names_as_terlapor_an_agency_holding_the_report(
    disposed_report, operator, liaison_pu, region, accused, head_diskominfo
):
    """The OPD (or a unit under it) cannot become terlapor while it holds a live disposition; once
    it returned the report, it can."""
    c = disposed_report(privacy="rahasia")
    with pytest.raises(Invalid) as err:
        workflow.reclassify(c.pk, by=operator, terlapor_agency=getattr(region, accused))
    assert "terlapor_agency" in err.value.fields
    assert refreshed(c).terlapor_agency_id is None
    workflow.reclassify(c.pk, by=operator, terlapor_agency=region.dinkes)  # another OPD: fine
    assert refreshed(c).terlapor_agency_id == region.dinkes.pk

    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan Dinas PU.")
    # Replacing a named terlapor is a second person's decision (the head of Diskominfo here).
    workflow.reclassify(c.pk, by=operator, terlapor_agency=region.pu, terlapor_reason="Pelaku ternyata staf Dinas PU.")
    workflow.decide_terlapor_change(c.pk, by=head_diskominfo, approve=True, reason="Sesuai hasil klarifikasi.")
    assert refreshed(c).terlapor_agency_id == region.pu.pk
    assert not Complaint.objects.visible_to(liaison_pu).filter(pk=c.pk).exists()  # rahasia, and accused


def test_events_are_append_only(file_report):
    from complaints.models import AppendOnlyError

    e = Event.objects.filter(complaint=file_report()).first()
    e.body = "changed"
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()


def test_public_actor_is_a_role_never_a_name(disposed_report, liaison_pu):
    c = disposed_report()
    d = c.dispositions.get()
    e = workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah ditinjau.")
    assert e.actor_label == "Admin Dinas PU"
    assert "Lia" not in e.actor_label


@pytest.mark.parametrize(
    "status_setup,action",
    [
        ("tunda", lambda c, p: workflow.verify(c.pk, by=p["operator"], agencies=["dinas-pu"])),
        ("arsip", lambda c, p: workflow.verify(c.pk, by=p["operator"], agencies=["dinas-pu"])),
        ("belum_ditindaklanjuti", lambda c, p: workflow.postpone(c.pk, by=p["operator"], reason="lengkapi data")),
        ("proses", lambda c, p: workflow.verify(c.pk, by=p["operator"], agencies=["dinkes"])),
        ("selesai", lambda c, p: workflow.dispose(c.pk, by=p["operator"], agencies=["dinkes"])),
        ("belum_terverifikasi", lambda c, p: workflow.accept(c.pk, by=p["citizen"])),
    ],
)
def test_a_refused_transition_from_each_status(file_report, operator, liaison_pu, citizen, status_setup, action):
    c = file_report()
    if status_setup == "tunda":
        workflow.postpone(c.pk, by=operator, reason="Lengkapi foto.")
    elif status_setup == "arsip":
        workflow.archive(c.pk, by=operator, reason="invalid", note="spam")
    elif status_setup in ("belum_ditindaklanjuti", "proses", "selesai"):
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
        if status_setup in ("proses", "selesai"):
            d = c.dispositions.get()
            workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Sudah ditinjau.")
            if status_setup == "selesai":
                workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
                workflow.accept(c.pk, by=citizen)
    assert refreshed(c).status == status_setup
    before = (refreshed(c).status, Event.objects.filter(complaint=c).count())
    # The caller holds the right for the action: the refusal is the status's, a clear TransitionError (409).
    with pytest.raises(TransitionError):
        action(c, {"operator": operator, "citizen": citizen})
    assert (refreshed(c).status, Event.objects.filter(complaint=c).count()) == before
