"""The one table of allowed actions (docs/architecture.md, "Allowed actions"; docs/product.md §2, §4):
each status × role gives exactly the expected actions, every transition refuses what the table does
not offer, and the pages offer exactly what the table allows."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser

from complaints import workflow
from complaints.errors import Forbidden, NotFound, TransitionError
from complaints.models import Institution, Status
from complaints.workflow import Action as A

pytestmark = pytest.mark.django_db

REFUSED = (Forbidden, NotFound, TransitionError)
OPERATOR_ALWAYS = {A.EDIT_SUMMARY, A.PRIVACY, A.REVEAL}
OPERATOR_OPEN = OPERATOR_ALWAYS | {A.RECLASSIFY, A.FLAG_OVERSIGHT}


@pytest.fixture
def states(file_report, disposed_report, operator, liaison_pu, citizen):
    """One report in each state of docs/product.md §4 (disposed ones to Dinas PU)."""

    def build(state):
        if state == "belum_terverifikasi":
            return file_report()
        if state == "tunda":
            c = file_report()
            workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto jalan.")
            return c
        if state == "arsip":
            c = file_report()
            workflow.archive(c.pk, by=operator, reason="invalid", note="Bukan pengaduan.")
            return c
        c = disposed_report()
        if state == "belum_ditindaklanjuti":
            return c
        d = c.dispositions.get()
        workflow.followup(c.pk, by=liaison_pu, disposition=d.pk, body="Tim sudah meninjau lokasi.")
        if state == "proses":
            return c
        workflow.finish(c.pk, by=liaison_pu, disposition=d.pk)
        if state == "proses_selesai_opd":
            return c
        workflow.accept(c.pk, by=citizen)
        return c

    def make(state):
        c = build(state)
        c.refresh_from_db()
        return c

    return make


def row(reporter, operator, other_citizen=(), liaison_pu=()):
    """One state's personas → actions: the head of Dinas PU, the head of Diskominfo and an anonymous
    visitor get none, the Inspektorat auditor may reveal the reporter."""
    return {
        "reporter": set(reporter),
        "other_citizen": set(other_citizen),
        "operator": set(operator),
        "liaison_pu": set(liaison_pu),
        "head_pu": set(),
        "auditor": {A.REVEAL},
        "head_diskominfo": set(),
        "anonymous": set(),
    }


# A report disposed to Dinas PU and not yet finished there.
DISPOSED_OPEN = {
    "reporter": {A.REPLY, A.PRIVACY, A.ATTACH},
    "operator": OPERATOR_OPEN | {A.DISPOSE},
    "other_citizen": {A.SUPPORT},
    "liaison_pu": {A.REPLY, A.ATTACH},
}

# state → persona → exactly the report-level actions the table gives
EXPECTED = {
    "belum_terverifikasi": row(
        reporter={A.WITHDRAW, A.PRIVACY, A.ATTACH},
        operator=OPERATOR_OPEN | {A.VERIFY, A.POSTPONE, A.MERGE, A.ARCHIVE, A.FORWARD},
    ),
    "tunda": row(reporter={A.COMPLETE, A.PRIVACY, A.ATTACH}, operator=OPERATOR_OPEN | {A.MERGE, A.ARCHIVE}),
    "belum_ditindaklanjuti": row(**DISPOSED_OPEN),
    "proses": row(**DISPOSED_OPEN),
    "proses_selesai_opd": row(
        reporter={A.REPLY, A.ACCEPT, A.PRIVACY, A.ATTACH},
        operator=OPERATOR_OPEN | {A.DISPOSE},
        other_citizen={A.SUPPORT},
        liaison_pu=set(),  # their part is done: no live disposition, no action
    ),
    "selesai": row(reporter={A.RATE, A.REOPEN, A.PRIVACY}, operator=OPERATOR_OPEN),
    "arsip": row(reporter=set(), operator=OPERATOR_ALWAYS),
}
# Any verified account other than the reporter's may support an open public report ("Saya juga
# mengalami"), staff accounts included (docs/product.md §8: `support`, any citizen) — except the
# staff who handle or audit this report: every staff persona above holds a role on it, so only
# `other_citizen` is offered it (a liaison of another OPD is, below).
CASES = [(state, persona) for state, row in EXPECTED.items() for persona in row]


@pytest.fixture
def people(citizen, other_citizen, operator, liaison_pu, head_pu, auditor, head_diskominfo):
    return {
        "reporter": citizen,
        "other_citizen": other_citizen,
        "operator": operator,
        "liaison_pu": liaison_pu,
        "head_pu": head_pu,
        "auditor": auditor,
        "head_diskominfo": head_diskominfo,
        "anonymous": AnonymousUser(),
    }


@pytest.mark.parametrize(("state", "persona"), CASES)
def test_each_status_and_role_gives_exactly_the_expected_actions(states, people, state, persona):
    c = states(state)
    assert c.status == (Status.PROSES if state == "proses_selesai_opd" else state)
    assert workflow.available_actions(c, people[persona]) == EXPECTED[state][persona]


def test_staff_with_no_role_on_the_report_may_support_it_as_citizens(states, liaison_dinkes, liaison_pu):
    c = states("proses")
    assert A.SUPPORT in workflow.available_actions(c, liaison_dinkes)  # Dinkes has no part in it
    assert A.SUPPORT not in workflow.available_actions(c, liaison_pu)  # the OPD handling it
    workflow.support(c.pk, by=liaison_dinkes)
    c.refresh_from_db()
    assert c.support_count == 1
    with pytest.raises(Forbidden):
        workflow.support(c.pk, by=liaison_pu)


def test_the_table_names_every_action_once():
    assert set(workflow.RULES) == set(A)
    assert workflow.DISPOSITION_ACTIONS == {A.FOLLOWUP, A.QUESTION, A.RETURN, A.SUBDISPOSE, A.FINISH, A.EXTEND}


def test_guards_beyond_the_status(states, disposed_report, people, operator, liaison_pu, citizen):
    selesai = states("selesai")
    workflow.rate(selesai.pk, by=citizen, score=4)
    selesai.refresh_from_db()
    assert A.RATE not in workflow.available_actions(selesai, citizen)  # rated once
    rahasia = disposed_report(privacy="rahasia")
    assert A.PRIVACY not in workflow.available_actions(rahasia, operator)  # nothing left to raise
    assert A.SUPPORT not in workflow.available_actions(rahasia, people["other_citizen"])  # not public
    flagged = disposed_report()
    workflow.flag_oversight(flagged.pk, by=operator)
    flagged.refresh_from_db()
    assert A.FLAG_OVERSIGHT not in workflow.available_actions(flagged, operator)
    returned = disposed_report()
    d = returned.dispositions.get()
    workflow.return_disposition(returned.pk, by=liaison_pu, disposition=d.pk, reason="Jalan nasional, bukan kami.")
    returned.refresh_from_db()
    assert {A.ARCHIVE, A.FORWARD, A.REFUSE_RETURN, A.DISPOSE} <= workflow.available_actions(returned, operator)


# Disposition actions --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("belum_ditindaklanjuti", {A.FOLLOWUP, A.QUESTION, A.RETURN, A.SUBDISPOSE, A.REPLY}),
        ("proses", {A.FOLLOWUP, A.QUESTION, A.RETURN, A.SUBDISPOSE, A.FINISH, A.REPLY}),
        ("proses_selesai_opd", set()),
        ("selesai", set()),
    ],
)
def test_disposition_actions_for_the_liaison_only(states, people, liaison_dinkes, state, expected):
    c = states(state)
    d = c.dispositions.get()
    assert workflow.available_disposition_actions(c, d, people["liaison_pu"]) == expected
    for persona in ("reporter", "operator", "head_pu", "auditor"):
        assert workflow.available_disposition_actions(c, d, people[persona]) == set()
    assert workflow.available_disposition_actions(c, d, liaison_dinkes) == set()


def test_extension_only_for_information_requests_and_once(disposed_report, region, liaison_pu):
    c = disposed_report(kind="informasi", category=region.info, agencies=("dinas-pu",))
    d = c.dispositions.get()
    assert A.EXTEND in workflow.available_disposition_actions(c, d, liaison_pu)
    workflow.extend(c.pk, by=liaison_pu, disposition=d.pk, reason="Data masih dihimpun dari bidang.")
    c.refresh_from_db()
    d.refresh_from_db()
    assert A.EXTEND not in workflow.available_disposition_actions(c, d, liaison_pu)
    with pytest.raises(TransitionError):
        workflow.extend(c.pk, by=liaison_pu, disposition=d.pk, reason="Sekali lagi, data belum lengkap.")


def test_a_unit_has_no_return_to_the_operator(disposed_report, liaison_pu, liaison_bina_marga):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = c.dispositions.get(parent=d)
    offered = workflow.available_disposition_actions(c, child, liaison_bina_marga)
    assert A.FOLLOWUP in offered and A.RETURN not in offered and A.SUBDISPOSE not in offered
    with pytest.raises(TransitionError):
        workflow.return_disposition(c.pk, by=liaison_bina_marga, disposition=child.pk, reason="Bukan urusan unit.")


# Every transition refuses what the table does not offer ----------------------------------------
REPORT_TRANSITIONS = {
    A.VERIFY: lambda c, u: workflow.verify(c.pk, by=u, agencies=["dinkes"]),
    A.DISPOSE: lambda c, u: workflow.dispose(c.pk, by=u, agencies=["dinkes"]),
    A.POSTPONE: lambda c, u: workflow.postpone(c.pk, by=u, reason="Mohon lengkapi fotonya."),
    A.ARCHIVE: lambda c, u: workflow.archive(c.pk, by=u, reason="out_of_scope", note="Di luar kewenangan."),
    A.MERGE: lambda c, u: workflow.merge(c.pk, by=u, into="LPR-AAAA-BBBB"),
    A.FORWARD: lambda c, u: workflow.forward(c.pk, by=u, institution=Institution.PLN),
    A.EDIT_SUMMARY: lambda c, u: workflow.edit_summary(c.pk, by=u, summary="Ringkasan publik."),
    A.RECLASSIFY: lambda c, u: workflow.reclassify(c.pk, by=u, kind="aspirasi"),
    A.FLAG_OVERSIGHT: lambda c, u: workflow.flag_oversight(c.pk, by=u),
    A.HIDE_ATTACHMENT: lambda c, u: workflow.set_attachment_public(c.pk, by=u, attachment=1, public=False),
    A.COMPLETE: lambda c, u: workflow.complete(c.pk, by=u, body="Foto jalan terlampir."),
    A.WITHDRAW: lambda c, u: workflow.withdraw(c.pk, by=u),
    A.ACCEPT: lambda c, u: workflow.accept(c.pk, by=u),
    A.RATE: lambda c, u: workflow.rate(c.pk, by=u, score=5),
    A.REOPEN: lambda c, u: workflow.reopen(c.pk, by=u, body="Lubangnya muncul lagi setelah hujan."),
    A.SUPPORT: lambda c, u: workflow.support(c.pk, by=u),
    A.PRIVACY: lambda c, u: workflow.change_privacy(c.pk, by=u, privacy_level="rahasia"),
    A.REPLY: lambda c, u: workflow.reply(c.pk, by=u, body="Terima kasih atas kabarnya."),
    A.REVEAL: lambda c, u: workflow.reveal(c.pk, by=u, reason="Pemeriksaan dugaan pungutan liar."),
    A.DECIDE_TERLAPOR: lambda c, u: workflow.decide_terlapor_change(
        c.pk, by=u, approve=False, reason="Terlapor tetap seperti semula."
    ),
}
DISPOSITION_TRANSITIONS = {
    A.FOLLOWUP: lambda c, d, u: workflow.followup(c.pk, by=u, disposition=d.pk, body="Sudah ditinjau."),
    A.QUESTION: lambda c, d, u: workflow.question(c.pk, by=u, disposition=d.pk, body="Di sisi jalan mana?"),
    A.RETURN: lambda c, d, u: workflow.return_disposition(
        c.pk, by=u, disposition=d.pk, reason="Jalan nasional, kewenangan balai."
    ),
    A.SUBDISPOSE: lambda c, d, u: workflow.subdispose(c.pk, by=u, disposition=d.pk, unit="dinas-pu-bina-marga"),
    A.FINISH: lambda c, d, u: workflow.finish(c.pk, by=u, disposition=d.pk),
    A.EXTEND: lambda c, d, u: workflow.extend(c.pk, by=u, disposition=d.pk, reason="Data masih dihimpun."),
}


def test_every_transition_has_a_refusal_case():
    assert set(REPORT_TRANSITIONS) | set(DISPOSITION_TRANSITIONS) == set(A) - {A.ATTACH, A.REFUSE_RETURN}


@pytest.mark.parametrize(("state", "persona"), CASES)
def test_every_transition_refuses_an_action_not_offered(states, people, state, persona):
    c = states(state)
    user = people[persona]
    offered = workflow.available_actions(c, user)
    for action, run in REPORT_TRANSITIONS.items():
        if action in offered:
            continue
        with pytest.raises(REFUSED):
            run(c, user)
    for d in c.dispositions.all():
        offered = workflow.available_disposition_actions(c, d, user)
        for action, run in DISPOSITION_TRANSITIONS.items():
            if action in offered:
                continue
            with pytest.raises(REFUSED):
                run(c, d, user)
    before = (c.status, c.privacy, c.public_summary, c.kind)
    c.refresh_from_db()
    assert (c.status, c.privacy, c.public_summary, c.kind) == before


def test_an_offered_action_goes_through(states, people):
    """The other side: what the table offers, the transition does (one per capacity)."""
    c = states("belum_ditindaklanjuti")
    workflow.reply(c.pk, by=people["reporter"], body="Lubangnya makin besar.")
    d = c.dispositions.get()
    workflow.followup(c.pk, by=people["liaison_pu"], disposition=d.pk, body="Tim sudah meninjau lokasi.")
    workflow.support(c.pk, by=people["other_citizen"])
    workflow.edit_summary(c.pk, by=people["operator"], summary="Jalan berlubang di depan pasar.")
    c.refresh_from_db()
    assert c.status == Status.PROSES and c.support_count == 1 and c.public_summary


# The pages offer exactly what the table allows ----------------------------------------------------
def _posted_actions(html):
    return set(re.findall(r'name="action" value="([a-z_]+)"', html))


@pytest.mark.parametrize("state", list(EXPECTED))
def test_report_page_buttons_match_the_table(states, people, client_for, client, state):
    c = states(state)
    page_actions = {str(a) for a in (A.SUPPORT, A.WITHDRAW, A.COMPLETE, A.REPLY, A.ACCEPT, A.RATE, A.REOPEN, A.PRIVACY)}
    for persona in ("reporter", "other_citizen"):
        response = client_for(people[persona]).get(c.get_absolute_url())
        if response.status_code == 404:  # not yet public: the table offers this person nothing
            assert workflow.available_actions(c, people[persona]) == set()
            continue
        expected = {str(a) for a in workflow.available_actions(c, people[persona])} & page_actions
        assert _posted_actions(response.content.decode()) == expected, persona


@pytest.mark.parametrize("state", list(EXPECTED))
def test_operator_review_buttons_match_the_table(states, operator, client_for, state):
    c = states(state)
    html = client_for(operator).get(f"/petugas/laporan/{c.tracking_id}/").content.decode()
    offered = workflow.available_actions(c, operator, who=(workflow.Who.OPERATOR,))
    expected = {str(a) for a in offered} - {"reveal"}  # the identity is revealed on its own page
    assert _posted_actions(html) - {"identity"} == expected


@pytest.mark.parametrize("state", ["belum_ditindaklanjuti", "proses", "proses_selesai_opd"])
def test_disposition_page_buttons_match_the_table(states, people, client_for, state):
    c = states(state)
    d = c.dispositions.get()
    for persona in ("liaison_pu", "head_pu"):
        html = client_for(people[persona]).get(f"/opd/disposisi/{d.pk}/").content.decode()
        expected = {str(a) for a in workflow.available_disposition_actions(c, d, people[persona])}
        assert _posted_actions(html) == expected, persona
    assert workflow.available_disposition_actions(c, d, people["liaison_pu"]) or state == "proses_selesai_opd"


def test_review_page_after_a_return_offers_the_operators_decisions(disposed_report, operator, liaison_pu, client_for):
    c = disposed_report()
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Jalan nasional, kewenangan balai.")
    c.refresh_from_db()
    html = client_for(operator).get(f"/petugas/laporan/{c.tracking_id}/").content.decode()
    offered = {str(a) for a in workflow.available_actions(c, operator, who=(workflow.Who.OPERATOR,))}
    assert {"refuse_return", "archive", "forward", "dispose"} <= offered
    assert _posted_actions(html) - {"identity"} == offered - {"reveal"}
