"""Staff accountability: where each staff action came from, and the auditors' activity view.

`ClientMiddleware` keeps the request's client address and user agent for the length of the
request; `client_fields(user)` gives them to the rows that record a staff member's action
(timeline `Event`s and `IdentityAccess` rows). Citizens' requests are not recorded: the activity
view is about staff, and a citizen's address is personal data the portal does not need.

`activity(...)` merges both kinds of row into one list per staff member, which the auditors'
page (`complaints.dashboards.audit_views.staff_activity`) filters and exports.
"""

import contextvars
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from lapor.net import client_address

_client = contextvars.ContextVar("lapor_client", default=None)

USER_AGENT_MAX = 255


def _address(request):
    """The client address, proxy-aware (see `lapor.net.client_address`)."""
    return client_address(request)


class ClientMiddleware:
    """Remembers the client address and user agent of the current request (a context variable,
    so threads and async tasks never see another request's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client.set((_address(request), request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]))
        try:
            return self.get_response(request)
        finally:
            _client.reset(token)


def client_fields(user):
    """`{"client_ip", "user_agent"}` of the current request when `user` is staff, else blanks
    (a sweep, a command, a citizen)."""
    current = _client.get()
    if current is None or user is None or not getattr(user, "is_staff_member", False):
        return {"client_ip": None, "user_agent": ""}
    ip, agent = current
    return {"client_ip": ip, "user_agent": agent}


# The activity view -----------------------------------------------------------------------------
class ActivityKind:
    ACTION = "action"
    VIEW = "view"
    REVEAL = "reveal"

    choices = [
        (ACTION, _("Tindakan")),
        (VIEW, _("Melihat identitas")),
        (REVEAL, _("Membuka identitas")),
    ]


@dataclass
class ActivityRow:
    at: datetime
    kind: str
    staff: object
    what: str
    tracking_id: str
    reason: str
    client_ip: str
    user_agent: str

    @property
    def kind_label(self):
        return dict(ActivityKind.choices)[self.kind]


def staff_users():
    """Every account that holds a staff role, by name (the filter's choices)."""
    from accounts.models import STAFF_ROLES, User

    return User.objects.filter(membership__role__in=STAFF_ROLES).distinct().order_by("full_name", "email")


def activity(*, viewer, staff=None, start=None, end=None, kind="", limit=None):
    """What staff did, newest first: timeline actions (`Event` rows with a staff actor) and
    identity views and reveals (`IdentityAccess` rows), on the reports `viewer` may see (an
    auditor never learns of a report that accuses their own agency this way). `staff`: one user
    or None for all staff; `start`/`end`: aware datetimes bounding `created_at` (end excluded);
    `kind`: one of `ActivityKind` or "" for all. Read-only; auditors only (the view checks)."""
    from .models import Complaint, Event, IdentityAccess

    staff_ids = [staff.pk] if staff is not None else list(staff_users().values_list("pk", flat=True))
    visible = Complaint.objects.visible_to(viewer).values("pk")

    def bounded(qs):
        qs = qs.filter(complaint__in=visible)
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        qs = qs.order_by("-created_at", "-pk")
        return qs[:limit] if limit else qs

    rows = []
    if kind in ("", ActivityKind.ACTION):
        events = bounded(Event.objects.filter(actor_id__in=staff_ids).select_related("actor", "complaint"))
        for e in events:
            rows.append(
                ActivityRow(
                    e.created_at,
                    ActivityKind.ACTION,
                    e.actor,
                    str(e.get_type_display()),
                    e.complaint.tracking_id,
                    "",
                    e.client_ip or "",
                    e.user_agent,
                )
            )
    kinds = {ActivityKind.VIEW: ["view", "admin", "export"], ActivityKind.REVEAL: ["reveal"]}
    wanted = [k for key, values in kinds.items() if kind in ("", key) for k in values]
    if wanted:
        accesses = bounded(
            IdentityAccess.objects.filter(user_id__in=staff_ids, kind__in=wanted).select_related("user", "complaint")
        )
        for a in accesses:
            rows.append(
                ActivityRow(
                    a.created_at,
                    ActivityKind.REVEAL if a.kind == "reveal" else ActivityKind.VIEW,
                    a.user,
                    str(a.get_kind_display()),
                    a.complaint.tracking_id,
                    a.reason,
                    a.client_ip or "",
                    a.user_agent,
                )
            )
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit] if limit else rows
