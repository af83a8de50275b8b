"""The docs/product.md §3 matrix as one shared table, for every surface (HTML pages, API, search,
Open311…): role × privacy level × status → does the caller see the report, and how much of the
reporter.

Usage in a surface's tests::

    from tests.privacy_matrix import CASES, build_report, expected, persona

    @pytest.mark.parametrize("name,privacy,state", CASES)
    def test_surface(request, name, privacy, state):
        report = build_report(request, privacy, state)
        user = persona(request, name)
        exp = expected(name, privacy, state)
        ... exp.sees, exp.listed, exp.level, exp.shows_name

`state` is "unverified" (filed, waiting for an operator), "verified" (verified and disposed to
Dinas PU) or "invalid" (archived as invalid by an operator before verification).
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from complaints.privacy import Level

PERSONAS = (
    "anonymous",
    "other_citizen",
    "citizen",  # the reporter
    "operator",
    "liaison_pu",  # liaison of the disposed OPD
    "head_pu",
    "liaison_dinkes",  # another OPD
    "liaison_bina_marga",  # a unit under the disposed OPD, without a sub-disposition
    "auditor",
    "observer",  # an auditor of an external observer (Ombudsman): reads everything, no identity
    "superadmin",  # a role without an agency
    "liaison_without_agency",  # a liaison membership with no agency: no OPD role at all
    "head_diskominfo",  # answers for the operators' clocks: reads what they read, identity as the public
)
PRIVACY_LEVELS = ("umum", "anonim", "rahasia")
STATES = ("unverified", "verified", "invalid")

# Verified and disposed to Dinas PU: (sees the report, identity level) per persona and privacy.
_VERIFIED = {
    "anonymous": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (False, Level.NONE)},
    "other_citizen": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (False, Level.NONE)},
    "citizen": {"umum": (True, Level.FULL), "anonim": (True, Level.FULL), "rahasia": (True, Level.FULL)},
    "operator": {"umum": (True, Level.FULL), "anonim": (True, Level.FULL), "rahasia": (True, Level.FULL)},
    "liaison_pu": {"umum": (True, Level.CONTACT), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
    "head_pu": {"umum": (True, Level.CONTACT), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
    "liaison_dinkes": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (False, Level.NONE)},
    "liaison_bina_marga": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (False, Level.NONE)},
    "auditor": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
    "observer": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
    "superadmin": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
    "liaison_without_agency": {
        "umum": (True, Level.NAME),
        "anonim": (True, Level.NONE),
        "rahasia": (False, Level.NONE),
    },
    "head_diskominfo": {"umum": (True, Level.NAME), "anonim": (True, Level.NONE), "rahasia": (True, Level.NONE)},
}


@dataclass(frozen=True)
class Expected:
    sees: bool  # the report page answers 200 (else the same 404 as a missing id)
    listed: bool  # it appears on public lists: the feed, search, similar reports
    level: Level  # how much of the reporter the caller may see
    exact_location: bool = False  # exact coordinates (reporter and staff with a role on the report)

    @property
    def shows_name(self):
        return self.sees and self.level >= Level.NAME


# Personas with a role on every report (or the reporter), and those with one once it is disposed.
_ALWAYS_ON_REPORT = {"citizen", "operator", "auditor", "observer", "superadmin", "head_diskominfo"}
_ON_DISPOSED_REPORT = {"liaison_pu", "head_pu"}


def expected(name, privacy, state):
    """What persona `name` gets for a report of `privacy` in `state`."""
    on_report = name in _ALWAYS_ON_REPORT or (state == "verified" and name in _ON_DISPOSED_REPORT)
    if state == "verified":
        sees, level = _VERIFIED[name][privacy]
        return Expected(
            sees=sees,
            listed=privacy != "rahasia",
            level=level if sees else Level.NONE,
            exact_location=sees and on_report,
        )
    # Unverified, and archived as invalid, are not public at any level: only the reporter and the
    # staff who read every report (operators, auditors) see them; no OPD has it yet.
    if name in ("citizen", "operator"):
        return Expected(True, False, Level.FULL, exact_location=True)
    if name in ("auditor", "observer", "superadmin", "head_diskominfo"):
        return Expected(True, False, Level.NAME if privacy == "umum" else Level.NONE, exact_location=True)
    return Expected(False, False, Level.NONE)


CASES = [(name, privacy, state) for state in STATES for privacy in PRIVACY_LEVELS for name in PERSONAS]


def persona(request, name):
    """The user behind persona `name` (fixtures of tests/conftest.py), or AnonymousUser."""
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


def build_report(request, privacy, state, **fields):
    """A report by `citizen` (Alice) of `privacy` in `state`, built through the workflow."""
    from complaints import workflow

    file_report = request.getfixturevalue("file_report")
    operator = request.getfixturevalue("operator")
    report = file_report(privacy=privacy, **fields)
    if state == "verified":
        workflow.verify(report.pk, by=operator, agencies=["dinas-pu"])
    elif state == "invalid":
        workflow.archive(report.pk, by=operator, reason="invalid", note="Bukan pelayanan publik.")
    report.refresh_from_db()
    return report
