"""The crawler's table: every URL pattern of the project, how to fill it and which privacy rule its
responses are held to. `tests/security/test_crawler.py` walks the URL resolver and fails when a
pattern has no entry here (docs/privacy.md says how to add one).

Keys are the pattern's name with its namespaces (`complaints:detail`, `admin:index`), or its full
route when it has no name (`api/v1/^.*$`). Kinds:

- "report-scoped": the pattern names one report (by tracking id, disposition, attachment or admin
  object id). It is requested for the umum, the anonim and the rahasia report, and for a report
  that does not exist; a caller who may not see the report must get exactly the missing report's
  answer (status and body).
- "list": pages and endpoints that list or count reports; the crawl checks which reports and
  which identities each role finds in them.
- "staff-only": the same checks, and only the roles in `staff` may get a 200.
- "object": a page about another object (a sanction, a monthly report, a notification, an admin
  row); the same checks on its answer.
- "public static": pages that hold no report; the same checks (nothing must appear).

Every response of every kind is checked for every report: its tracking id and title only where
the caller may see the report, the reporter's display name, full name, email, phone and NIK only
where the caller may see them, exact coordinates and an anonim report's location text only for
the reporter and staff with a role on the report.
"""

from dataclasses import dataclass, field, replace

REPORT_KEYS = ("umum", "anonim", "rahasia")

# Roles of the crawl. "reporter" on a report-scoped pattern is the reporter of the report under
# test; on the other patterns each reporter is a role of its own.
PUBLIC_ROLES = ("anonymous", "other_citizen", "liaison_other", "liaison_accused", "auditor_accused")
STAFF_ROLES = (
    "operator",
    "liaison_disposed",
    "head",
    "liaison_other",
    "liaison_accused",
    "auditor",
    "auditor_accused",
    "superadmin",
)
REPORT_ROLES = (
    "anonymous",
    "other_citizen",
    "reporter",
    "operator",
    "liaison_accused",
    "liaison_other",
    "liaison_disposed",
    "head",
    "auditor",
    "auditor_accused",
    "superadmin",
)
GLOBAL_ROLES = tuple(r for r in REPORT_ROLES if r != "reporter") + (
    "reporter_umum",
    "reporter_anonim",
    "reporter_rahasia",
)

OPERATORS = frozenset({"operator"})
OPD_STAFF = frozenset({"liaison_disposed", "head", "liaison_other", "liaison_accused"})
AUDITORS = frozenset({"auditor", "auditor_accused", "superadmin"})
SIGNED_IN = frozenset(GLOBAL_ROLES) - {"anonymous"}
SUPERADMIN = frozenset({"superadmin"})
CODE_ONLY = ("anonymous",)


@dataclass(frozen=True)
class Rule:
    kind: str
    # Report-scoped: how the report is named in the URL ("tracking_id", "pk" of the admin row,
    # "disposition" pk, "attachment" or "hidden_attachment" key; a tuple: each in turn) and the
    # URL keyword that takes it.
    via: str | tuple = ""
    param: str = ""
    # Other kinds: the URL keywords, from the crawl's world.
    kwargs: object = None  # world -> {keyword: value}
    extra: dict = field(default_factory=dict)  # report-scoped: further fixed keywords
    url: object = None  # {keyword: value} -> path, for a pattern without a name (not reversible)
    query: str = ""
    methods: tuple = ("GET",)
    data: dict = field(default_factory=dict)  # the body of a POST probe
    transports: tuple = ("session",)  # "session" (a signed-in browser) and/or "token" (the API)
    staff: frozenset | None = None  # staff-only: the roles that may get a 200
    shows: frozenset | None = None  # report-scoped: roles that get the report itself (200, title)
    reveal: bool = False  # a logged reveal: auditors and operators get the full identity
    identity_ok: frozenset = frozenset()  # roles who manage accounts here: any identity may show
    public_only: bool = False  # a public surface: everyone gets what the public gets
    roles: tuple | None = None  # fewer roles, for an answer that depends on no data (with a reason)
    statuses: tuple = ()  # 5xx answers that are part of the contract (healthz: 503)
    reason: str = ""


def report(via="tracking_id", param="tracking_id", **kw):
    return Rule("report-scoped", via=via, param=param, **kw)


def page(kind, kwargs=None, **kw):
    return Rule(kind, kwargs=kwargs, **kw)


API = ("token",)
# An action endpoint is probed without side effects that outlive the test (each test runs in a
# transaction rolled back at its end): a POST with an empty body, whose answer (400, 403, 409 …)
# must be the missing report's 404 for anyone who may not see the report. (A GET is refused with
# 405 by the router before any report is looked up.)
ACTION = {"methods": ("POST",), "transports": API}
SEES_ALL = frozenset(REPORT_ROLES)
DETAIL_API = report(transports=API, shows=SEES_ALL)
# A report's evidence, and its evidence the operator hid from the public.
FILES = ("attachment", "hidden_attachment")

RULES = {
    # Site ------------------------------------------------------------------------------------
    "home": page("list"),
    "healthz": page("public static", statuses=(503,), reason="503 while the test's broker has no worker"),
    "switch_language": page(
        "public static", kwargs=lambda w: {"code": "en"}, reason="sets the language cookie, redirects back"
    ),
    "attachment": report(via=FILES, param="key", transports=("session", "token"), shows=SEES_ALL),
    "attachment-thumb": report(via=FILES, param="key", transports=("session", "token"), shows=SEES_ALL),
    # Citizen portal --------------------------------------------------------------------------
    "complaints:file": page("public static"),
    "complaints:similar": page("list", query="title=Jembatan+ambruk+Zelvoran&category=jalan"),
    "complaints:filed": report(shows=frozenset({"reporter"})),
    "complaints:feed": page("list"),
    "complaints:detail": report(shows=SEES_ALL),
    "complaints:identity_log": report(shows=frozenset({"reporter"})),
    "complaints:track": page("list", kwargs=None, query="id={rahasia}"),
    "complaints:mine": page("list"),
    "complaints:notifications": page("list"),
    "complaints:privacy": page("public static"),
    # Accounts --------------------------------------------------------------------------------
    "accounts:home": page("public static"),
    "accounts:login": page("public static"),
    "accounts:login_code": page("public static"),
    "accounts:second_factor": page("public static"),
    "accounts:logout": page("public static"),
    "accounts:register": page("public static"),
    "accounts:verify_phone": page("list"),
    "accounts:confirm_report": page(
        "object",
        kwargs=lambda w: {"token": "tautan-palsu"},
        methods=("GET", "POST"),
        reason="a forged link: tests/api/test_whistleblower.py follows a real one",
    ),
    "accounts:verify": page("public static"),
    "accounts:profile": page("list"),
    "accounts:password_change": page("public static"),
    "accounts:logout_everywhere": page("public static", reason="POST-only: a GET is refused with 405"),
    "accounts:data": page("list"),
    "accounts:delete": page("public static"),
    "accounts:password_reset": page("public static"),
    "accounts:password_reset_done": page("public static"),
    "accounts:password_reset_confirm": page("object", kwargs=lambda w: w.password_reset),
    "accounts:password_reset_complete": page("public static"),
    # Staff workspace -------------------------------------------------------------------------
    "staff:queue": page("staff-only", staff=OPERATORS),
    "staff:workspace": page("staff-only", staff=OPERATORS | OPD_STAFF | AUDITORS),
    "staff:review": report(shows=OPERATORS),
    "staff:manual_entry": page("staff-only", staff=OPERATORS),
    "staff:receipt": report(shows=OPERATORS),
    "opd:inbox": page("staff-only", staff=OPD_STAFF),
    "opd:disposition": report(via="disposition", param="pk", shows=frozenset({"liaison_disposed", "head"})),
    "opd:head": page("staff-only", staff=frozenset({"head"})),
    "workload": page("staff-only", staff=OPERATORS | AUDITORS),
    # The second person who decides a terlapor change: the head of Diskominfo or an auditor.
    "staff:terlapor_changes": page("staff-only", staff=AUDITORS, methods=("GET", "POST")),
    # Dashboards and sanctions ----------------------------------------------------------------
    "dashboards:audit": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:export-csv": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:export-xlsx": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:reports": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:reports-csv": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:reports-xlsx": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:reveal": report(
        shows=frozenset({"auditor", "superadmin"}),
        methods=("GET", "POST"),
        data={"reason": "Pemeriksaan atas surat tugas nomor 7."},
        reveal=True,
    ),
    "dashboards:staff-activity": page("staff-only", staff=AUDITORS),
    "dashboards:staff-activity-csv": page("staff-only", staff=AUDITORS),
    "dashboards:monthly": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "dashboards:monthly-download": page(
        "object",
        kwargs=lambda w: {"pk": w.monthly_report.pk},
        staff=frozenset({"auditor", "auditor_accused", "superadmin"}),
    ),
    "statistics:statistics": page("list"),
    "statistics:statistics-csv": page("list"),
    "statistics:statistics-xlsx": page("list"),
    "sanctions:list": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "sanctions:export-csv": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "sanctions:export-xlsx": page("staff-only", staff=AUDITORS | frozenset({"head"})),
    "sanctions:detail": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, staff=AUDITORS | frozenset({"head"})),
    "sanctions:decide": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, methods=("GET", "POST")),
    "sanctions:clarify": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, methods=("GET", "POST")),
    # REST API --------------------------------------------------------------------------------
    "api-register": page("public static", transports=API),
    "api-token": page("public static", transports=API),
    "api-verify-email": page("public static", transports=API),
    "api-verify-email-resend": page("public static", transports=API),
    "api-verify-phone": page("public static", transports=API),
    "api-verify-phone-resend": page("public static", transports=API),
    "api-me": page("list", transports=API),
    "api-logout-all": page("public static", transports=API, reason="POST-only: a GET is refused with 405"),
    "api-schema": page("public static", transports=API, roles=CODE_ONLY, reason="generated from the code"),
    "api-docs": page("public static", transports=API, roles=CODE_ONLY, reason="generated from the code"),
    "api-agency-list": page("public static", transports=API),
    "api-category-list": page("public static", transports=API),
    "api-area-list": page("public static", transports=API),
    "api-complaint-list": page("list", transports=API),
    "api-complaint-similar": page("list", transports=API, query="title=Jembatan+ambruk+Zelvoran&category=jalan"),
    "api-complaint-detail": DETAIL_API,
    "api-complaint-timeline": DETAIL_API,
    "api-complaint-identity-log": report(transports=API, shows=frozenset({"reporter"})),
    "api-notification-list": page("list", transports=API),
    "api-notification-read": page(
        "object", kwargs=lambda w: {"pk": w.notification.pk}, transports=API, methods=("GET", "OPTIONS")
    ),
    "api-sanction-list": page("staff-only", transports=API, staff=AUDITORS | frozenset({"head"})),
    "api-sanction-clarify": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, **ACTION),
    "api-sanction-confirm": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, **ACTION),
    "api-sanction-waive": page("object", kwargs=lambda w: {"pk": w.sanction.pk}, **ACTION),
    "api/v1/^.*$": page(
        "public static", url=lambda kw: "/api/v1/tidak-ada/", reason="the catch-all 404", transports=API
    ),
    # Channels ------------------------------------------------------------------------------
    "sms-inbound": page("public static", reason="POST-only webhook, signed; a GET is refused"),
    "open311:discovery": page("public static", kwargs=lambda w: {"fmt": "json"}),
    "open311:services": page("public static", kwargs=lambda w: {"fmt": "xml"}),
    "open311:service": page("public static", kwargs=lambda w: {"code": "jalan", "fmt": "json"}),
    "open311:requests": page("list", kwargs=lambda w: {"fmt": "json"}, public_only=True),
    "open311:request": report(param="request_id", extra={"fmt": "json"}, shows=SEES_ALL, public_only=True),
    "open311/v2/^.*$": page("public static", url=lambda kw: "/open311/v2/tidak-ada", reason="the catch-all 404"),
    # Django admin: the superadmin's, everyone else is sent to its login page ---------------------
    "admin:index": page("staff-only", staff=SUPERADMIN),
    "admin:login": page("public static"),
    "admin:logout": page("public static", reason="POST-only since Django 5"),
    "admin:password_change": page("staff-only", staff=SUPERADMIN),
    "admin:password_change_done": page("staff-only", staff=SUPERADMIN),
    "admin:autocomplete": page("staff-only", staff=frozenset(), reason="needs a widget's parameters"),
    "admin:jsi18n": page("staff-only", staff=SUPERADMIN),
    "admin:view_on_site": page(
        "object", kwargs=lambda w: {"content_type_id": w.content_type_id, "object_id": w.reports["umum"].pk}
    ),
    "admin:app_list": page("staff-only", staff=SUPERADMIN, kwargs=lambda w: {"app_label": "complaints"}),
    "admin/(?P<url>.*)$": page("staff-only", staff=frozenset(), url=lambda kw: "/admin/tidak-ada/"),
    # The public map: the public's view for everyone (points at ~100 m, umum only; counts by area)
    "complaints:map": page("list", public_only=True),
    "complaints:map_data": page("list", query="bbox=122.3,-4.6,122.5,-4.4", public_only=True),
    "complaints:areas_geojson": page("public static", reason="area outlines: no report in them"),
}

# Every complaint action of the API.
for _action in (
    "accept",
    "archive",
    "attachment-visibility",
    "attachments",
    "privacy",
    "complete",
    "dispose",
    "extend",
    "finish",
    "flag-oversight",
    "followup",
    "forward",
    "merge",
    "postpone",
    "question",
    "rate",
    "reclassify",
    "reopen",
    "reply",
    "return",
    "subdispose",
    "summary",
    "terlapor-decision",
    "support",
    "verify",
    "withdraw",
):
    RULES[f"api-complaint-{_action}"] = report(**ACTION)
RULES["api-complaint-reveal"] = report(
    methods=("POST",),
    transports=API,
    data={"reason": "Pemeriksaan atas surat tugas nomor 7."},
    reveal=True,
)


def _admin_model(app, model, obj, *, report_rows=False, identity_by_design=False):
    """The six patterns of one ModelAdmin. `obj(world)` is a row's pk; `report_rows`: the rows are
    reports (the pattern is report-scoped). `identity_by_design`: the superadmin manages these rows
    and their people (the user admin), which no report's privacy level restricts."""
    prefix = f"admin:{app}_{model}"
    route = f"admin/{app}/{model}/<path:object_id>/"
    rules = {
        f"{prefix}_changelist": page("staff-only", staff=SUPERADMIN),
        f"{prefix}_add": page("staff-only", staff=SUPERADMIN),
    }
    for suffix, key in (("history", None), ("delete", None), ("change", None), (None, route)):
        name = key or f"{prefix}_{suffix}"
        # The unnamed pattern only redirects to the change page; it is built by hand.
        url = (lambda kw, app=app, model=model: f"/admin/{app}/{model}/{kw['object_id']}/") if key else None
        if report_rows:
            # Reports are read-only in the admin: delete answers 403, the bare id redirects.
            shows = SUPERADMIN if suffix in ("change", "history") else None
            rules[name] = report(via="pk", param="object_id", shows=shows, url=url)
        else:
            rules[name] = page("object", kwargs=lambda w, obj=obj: {"object_id": obj(w)}, staff=SUPERADMIN, url=url)
    if identity_by_design:
        rules = {
            k: replace(v, identity_ok=SUPERADMIN, reason="the superadmin manages accounts") for k, v in rules.items()
        }
    return rules


RULES.update(_admin_model("auth", "group", lambda w: w.group.pk))
RULES.update(_admin_model("accounts", "user", lambda w: w.users["reporter_umum"].pk, identity_by_design=True))
RULES["admin:auth_user_password_change"] = page(
    "object",
    kwargs=lambda w: {"id": w.users["reporter_umum"].pk},
    staff=SUPERADMIN,
    identity_ok=SUPERADMIN,
    reason="the superadmin manages accounts",
)
RULES.update(_admin_model("agencies", "agency", lambda w: w.region.pu.pk))
RULES.update(_admin_model("agencies", "area", lambda w: w.region.kelurahan.pk))
RULES.update(_admin_model("agencies", "category", lambda w: w.region.roads.pk))
RULES.update(_admin_model("agencies", "holiday", lambda w: w.holiday.pk))
RULES.update(_admin_model("agencies", "slapolicy", lambda w: w.sla_policy.pk))
RULES.update(_admin_model("complaints", "complaint", None, report_rows=True))
RULES["admin:complaints_complaint_reveal"] = report(
    via="pk",
    param="object_id",
    shows=SUPERADMIN,
    methods=("GET", "POST"),
    data={"reason": "Pemeriksaan atas surat tugas nomor 7."},
    reveal=True,
)
RULES.update(_admin_model("complaints", "event", lambda w: w.event.pk))
RULES.update(_admin_model("complaints", "identityaccess", lambda w: w.identity_access.pk))
RULES.update(_admin_model("complaints", "notification", lambda w: w.notification.pk))
RULES.update(_admin_model("complaints", "clock", lambda w: w.clock.pk))
RULES.update(_admin_model("complaints", "clockstep", lambda w: w.clock_step.pk))
RULES.update(_admin_model("complaints", "sanction", lambda w: w.sanction.pk))
RULES.update(_admin_model("complaints", "open311key", lambda w: w.open311_key.pk))


# Following an area: the Atom feeds are public lists (rahasia never, anonim without its location
# text, no identity); /ikuti/ and its signed links name no report.
def _follow_token(world, kind):
    """A signed link for a follow of the crawl's kecamatan (made on first use, in the test's
    transaction); an unsigned token is probed by tests/complaints/test_area_follow.py."""
    from complaints.models import AreaFollow
    from complaints.outbox import digests

    follow, _ = AreaFollow.objects.get_or_create(email="pengikut@warga.id", kecamatan=world.region.kecamatan)
    return digests.confirm_token(follow) if kind == "confirm" else digests.unsubscribe_token(follow)


RULES.update(
    {
        "complaints:feed_atom": page("list"),
        "complaints:feed_kecamatan": page("list", kwargs=lambda w: {"code": w.region.kecamatan.code}),
        "complaints:feed_kelurahan": page("list", kwargs=lambda w: {"code": w.region.kelurahan.code}),
        "complaints:feed_kategori": page("list", kwargs=lambda w: {"slug": w.region.roads.slug}),
        "complaints:follow": page("public static"),
        "complaints:follow_confirm": page("public static", kwargs=lambda w: {"token": _follow_token(w, "confirm")}),
        "complaints:follow_unsubscribe": page(
            "public static", kwargs=lambda w: {"token": _follow_token(w, "unsubscribe")}
        ),
    }
)

# Open data (docs/product.md §8): the public's view of the public reports, whoever asks.
RULES["opendata:index"] = page("public static")
RULES["opendata:csv"] = page("list", public_only=True)
RULES["opendata:json"] = page("list", public_only=True)

# The filing form's location picker: the areas holding a point (ids and names, no report).
RULES["complaints:locate_area"] = page("public static", query="lat=-4.5174&lng=122.3946")
# /lapor/serupa/ with a point also lists the open reports nearby (umum only, at public precision):
# probed next to the umum report, so an exact coordinate would show.
RULES["complaints:similar"] = replace(
    RULES["complaints:similar"], query="title=Jembatan+ambruk+Zelvoran&category=jalan&lat=-4.5175&lng=122.3945"
)
