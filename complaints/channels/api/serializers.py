"""Serializers of the API: input validation (thin: the workflow re-checks everything) and the
output shapes of docs/product.md §8.

Output for reports is computed per caller through `complaints.privacy` only: `reporter` from
`reporter_visible_to`, `body` from `public_text`, coordinates from `coordinates_for`, timeline
entries from `timeline_for`, files from `attachments_for`; "staff" means the caller has a role on
the report (`roles_on`). Fields meant for staff are present for everyone and `null` for the others,
so the schema has one shape.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Role
from agencies.models import Agency, AgencyKind, Area, Category
from complaints import privacy, workflow
from complaints.models import (
    TRACKING_RE,
    ArchiveReason,
    Audience,
    Channel,
    DispositionStatus,
    EventType,
    IdentityAccess,
    Institution,
    Kind,
    Privacy,
    Sanction,
    Status,
    TerlaporChange,
    parse_pk,
)
from lapor.api.serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer, SlugTextField, TextField, iso  # noqa: F401

MAX_DB_INT = 2**63 - 1  # the primary keys are bigint: larger numbers are refused, not sent to the database
ARCHIVE_REASONS = [
    ArchiveReason.INVALID,
    ArchiveReason.OUT_OF_SCOPE,
    ArchiveReason.DUPLICATE,
    ArchiveReason.NO_COMPLETION,
]
FILING_CHANNELS = [(Channel.MOBILE.value, Channel.MOBILE.label), (Channel.WEB.value, Channel.WEB.label)]
# Keys of an event's data that are safe to show with the entry (never notes meant for an OPD).
EVENT_DATA_KEYS = ("reason", "forwarded_to", "score", "from", "to", "agency", "duplicate", "channel")
# A merged duplicate is never public (it was unverified, perhaps rahasia): its tracking id is for staff.
PUBLIC_EVENT_DATA_KEYS = tuple(k for k in EVENT_DATA_KEYS if k != "duplicate")


def absolute(request, path):
    return request.build_absolute_uri(path) if request is not None else path


def pk_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_DB_INT, **kwargs)


def normalize_tracking_id(value):
    """`lpr 7k2m 9qxd` → `LPR-7K2M-9QXD`, or None when it cannot be a tracking id."""
    cleaned = re.sub(r"[\s\-_.]", "", str(value or "")).upper()
    if cleaned.startswith("LPR"):
        cleaned = cleaned[3:]
    candidate = f"LPR-{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else ""
    return candidate if re.fullmatch(TRACKING_RE, candidate) else None


# Reference data --------------------------------------------------------------------------------
class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["slug", "name", "short_name", "kind", "parent"]


class CategorySerializer(serializers.ModelSerializer):
    default_agency = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "name_en", "description", "default_agency", "oversight"]


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    lat = serializers.FloatField(allow_null=True, read_only=True)
    lng = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "lat", "lng"]


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = TextField(help_text=_("Jenis peristiwa (nama entri linimasa)."))
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    subject = TextField()
    text = TextField()
    tracking_id = TextField(allow_null=True)

    def to_representation(self, n):
        return {
            "id": n.pk,
            "type": n.template,
            "created_at": iso(n.created_at),
            "read_at": iso(n.read_at),
            "subject": n.subject,
            "text": n.text,
            "tracking_id": n.complaint.tracking_id if n.complaint_id else None,
        }


# Reports: output --------------------------------------------------------------------------------
class AreaRefSerializer(serializers.Serializer):
    code = TextField()
    name = TextField()


class LocationSerializer(serializers.Serializer):
    text = TextField(allow_blank=True)
    kecamatan = AreaRefSerializer(allow_null=True)
    kelurahan = AreaRefSerializer(allow_null=True)
    lat = serializers.FloatField(
        allow_null=True,
        help_text=_("Tepat untuk pelapor dan petugas; dibulatkan ±100 m untuk publik (umum); null untuk anonim."),
    )
    lng = serializers.FloatField(allow_null=True)


class ReporterSerializer(serializers.Serializer):
    display_name = TextField()


class ReporterIdentitySerializer(serializers.Serializer):
    display_name = TextField()
    full_name = TextField(required=False)
    email = TextField(required=False)
    phone = TextField(required=False)
    contact = TextField(required=False, help_text=_("Kontak pelapor laporan manual tanpa akun."))
    nik = TextField(required=False)


class DispositionSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("Hanya untuk petugas; null untuk yang lain."))
    agency = TextField(help_text=_("Slug instansi."))
    agency_name = TextField()
    parent = serializers.IntegerField(allow_null=True, help_text=_("Disposisi induk (sub-disposisi), petugas saja."))
    status = serializers.ChoiceField(choices=DispositionStatus.choices)
    due_at = serializers.DateTimeField(allow_null=True)
    settlement_due_at = serializers.DateTimeField(allow_null=True)
    extended = serializers.BooleanField()


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class EntryRefField(serializers.Field):
    """A timeline entry's id: a number for staff (their actions take it), an opaque string for
    everyone else."""

    def to_representation(self, value):
        return value


class AttachmentSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("Pengenal acak berkas (bukan nomor urut)."))
    url = serializers.URLField()
    thumbnail_url = serializers.URLField(allow_null=True)
    content_type = TextField()
    size = serializers.IntegerField()
    event = EntryRefField(
        allow_null=True,
        help_text=_("Entri linimasa tempat berkas ini dilampirkan (`id` entri itu pada linimasa Anda)."),
    )
    public = serializers.BooleanField(allow_null=True, help_text=_("Tampil ke publik (petugas saja)."))
    name = TextField(allow_null=True, help_text=_("Nama berkas asli: hanya untuk pelapor."))


def event_ref(pk, staff):
    """How a caller refers to a timeline entry: staff by its number (their actions take it), anyone
    else by an opaque id whose gaps reveal nothing of hidden reports."""
    if pk is None:
        return None
    return pk if staff else privacy.opaque_id("event", pk)


def attachment_data(a, request, *, staff=False, reporter=False):
    thumb = reverse("attachment-thumb", kwargs={"key": a.key}) if a.thumbnail else None
    return {
        # The random key already in the URL: a sequence number would count other reports' files.
        "id": str(a.key),
        "url": absolute(request, reverse("attachment", kwargs={"key": a.key})),
        "thumbnail_url": absolute(request, thumb) if thumb else None,
        "content_type": a.content_type,
        "size": a.size,
        "event": event_ref(a.event_id, staff),
        "public": a.is_public if staff else None,
        "name": a.original_name if reporter and a.uploaded_by_id == request.user.pk else None,
    }


class ComplaintSerializer(serializers.Serializer):
    """A report as the caller may see it (lists and actions' answers)."""

    tracking_id = TextField()
    url = serializers.URLField(help_text=_("Halaman laporan di situs web."))
    kind = serializers.ChoiceField(choices=Kind.choices)
    privacy = serializers.ChoiceField(choices=Privacy.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = TextField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    title = TextField()
    body = TextField(help_text=_("Ringkasan publik bagi pemanggil tanpa peran; isi asli bagi pelapor dan petugas."))
    category = TextField(allow_null=True, help_text=_("Slug kategori."))
    location = LocationSerializer()
    incident_date = serializers.DateField(allow_null=True)
    reporter = ReporterSerializer(
        allow_null=True,
        help_text=_(
            "null bila identitas pelapor tersembunyi dari "
            "pemanggil (dalam daftar, juga bila melihatnya "
            "harus dicatat: buka detailnya)."
        ),
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    archive_reason = serializers.ChoiceField(choices=ArchiveReason.choices, allow_null=True)
    forwarded_to = serializers.ChoiceField(choices=Institution.choices, allow_null=True)
    merged_into = TextField(allow_null=True)
    support_count = serializers.IntegerField()
    rating = serializers.IntegerField(allow_null=True)
    dispositions = DispositionSerializer(many=True)
    verification_due_at = serializers.DateTimeField(allow_null=True, help_text=_("Petugas saja."))
    tunda_due_at = serializers.DateTimeField(allow_null=True, help_text=_("Pelapor dan petugas."))
    reopen_until = serializers.DateTimeField(allow_null=True, help_text=_("Pelapor dan petugas."))
    is_reporter = serializers.BooleanField()
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text=_("Peran pemanggil pada laporan ini (kosong: publik/pelapor)."),
    )

    detail_view = False

    def _reporter(self, c, user):
        view = privacy.reporter_visible_to(c, user)
        if not view:
            return None, None
        if view.logged:
            if not self.detail_view:
                # A list never writes identity-access rows: the report's detail shows (and logs) it.
                return None, None
            privacy.log_identity_access(c, user, IdentityAccess.Kind.VIEW)
        identity = privacy.identity_fields(c, view.level) if view.level >= privacy.Level.CONTACT else None
        return {
            "display_name": identity["display_name"] if identity else privacy.reporter_name(c, user, log=False)
        }, identity

    def to_representation(self, c):
        request = self.context.get("request")
        user = request.user
        roles = privacy.roles_on(c, user)
        staff = bool(roles)
        mine = privacy.is_reporter(c, user)
        sub_visible = Audience.REPORTER in privacy.event_audiences(c, user)
        coords = privacy.coordinates_for(c, user)
        reporter, identity = self._reporter(c, user)
        dispositions = [
            {
                "id": d.pk if staff else None,
                "agency": d.agency.slug,
                "agency_name": d.agency.name,
                "parent": d.parent_id if staff else None,
                "status": d.status,
                "due_at": iso(d.due_at),
                "settlement_due_at": iso(d.settlement_due_at),
                "extended": d.extended_at is not None,
            }
            for d in c.dispositions.all()
            if sub_visible or d.parent_id is None
        ]
        data = {
            "tracking_id": c.tracking_id,
            "url": absolute(request, c.get_absolute_url()),
            "kind": c.kind,
            "privacy": c.privacy,
            "status": c.status,
            "status_label": str(c.get_status_display()),
            "channel": c.channel,
            "title": c.title,
            "body": privacy.public_text(c, user),
            "category": c.category.slug if c.category_id else None,
            "location": {
                "text": privacy.location_text_for(c, user),
                "kecamatan": {"code": c.kecamatan.code, "name": c.kecamatan.name} if c.kecamatan_id else None,
                "kelurahan": {"code": c.kelurahan.code, "name": c.kelurahan.name} if c.kelurahan_id else None,
                "lat": float(coords[0]) if coords else None,
                "lng": float(coords[1]) if coords else None,
            },
            "incident_date": iso(c.incident_date),
            "reporter": reporter,
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "verified_at": iso(c.verified_at),
            "closed_at": iso(c.closed_at),
            "archive_reason": c.archive_reason or None,
            "forwarded_to": c.forwarded_to or None,
            "merged_into": _merged_into(c),
            "support_count": c.support_count,
            "rating": c.rating,
            "dispositions": dispositions,
            "verification_due_at": iso(c.verification_due_at) if staff else None,
            "tunda_due_at": iso(c.tunda_due_at) if staff or mine else None,
            "reopen_until": iso(c.reopen_until) if staff or mine else None,
            "is_reporter": mine,
            "roles": sorted({m.role for m, _live in roles}),
        }
        if self.detail_view:
            data.update(self._detail(c, user, request, staff, mine, identity))
        return data

    def _detail(self, c, user, request, staff, mine, identity):
        return {}


class TerlaporChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TerlaporChange.Status.choices)
    from_agency = serializers.CharField()
    to_agency = serializers.CharField(allow_null=True, help_text=_("null: terlapor dihapus."))
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()


class DispositionActionsSerializer(serializers.Serializer):
    disposition = serializers.IntegerField(help_text=_("`id` disposisi (lihat `dispositions`)."))
    actions = serializers.ListField(child=serializers.CharField())


def endpoint_names(actions):
    """The §8 endpoint names (`POST …/{tracking_id}/{name}/`) of workflow actions, sorted."""
    return sorted({workflow.API_ENDPOINTS.get(a, str(a)) for a in actions})


def allowed_actions_data(c, user):
    """What the caller may do on `c` now, as the transition table says: the report's endpoints and,
    per disposition of the caller's OPD, the endpoints taking that disposition."""
    per_disposition = []
    for d in c.dispositions.all():
        found = workflow.available_disposition_actions(c, d, user)
        if found:
            per_disposition.append({"disposition": d.pk, "actions": endpoint_names(found)})
    return {
        "actions": endpoint_names(workflow.available_actions(c, user)),
        "disposition_actions": per_disposition,
    }


class ComplaintDetailSerializer(ComplaintSerializer):
    """One report: the list shape plus the reporter's identity where the caller may see more than
    the display name (logged when §3 says so), files, and the fields meant for staff."""

    reporter_identity = ReporterIdentitySerializer(
        allow_null=True,
        help_text=_(
            "Nama dan kontak pelapor: untuk pelapor sendiri, operator (dicatat untuk anonim/"
            "rahasia) dan penghubung OPD yang menangani laporan umum."
        ),
    )
    attachments = AttachmentSerializer(many=True)
    public_summary = TextField(allow_null=True, help_text=_("Petugas saja."))
    target_agency = TextField(allow_null=True, help_text=_("Pelapor dan petugas."))
    terlapor_agency = TextField(allow_null=True, help_text=_("Pelapor dan petugas."))
    accused_name = TextField(allow_null=True, help_text=_("Petugas saja."))
    accused_position = TextField(allow_null=True, help_text=_("Petugas saja."))
    oversight = serializers.BooleanField(allow_null=True, help_text=_("Berkadar pengawasan (petugas saja)."))
    autoclose_due_at = serializers.DateTimeField(allow_null=True, help_text=_("Pelapor dan petugas."))
    rating_comment = TextField(allow_blank=True)
    terlapor_change = TerlaporChangeSerializer(
        allow_null=True, help_text=_("Permintaan perubahan terlapor yang menunggu keputusan (petugas saja).")
    )
    actions = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Tindakan yang boleh Anda lakukan sekarang pada laporan ini: nama endpoint "
            "`POST /api/v1/complaints/<tracking_id>/<nama>/`."
        ),
    )
    disposition_actions = DispositionActionsSerializer(
        many=True,
        help_text=_("Per disposisi instansi Anda: tindakan yang boleh Anda lakukan sekarang (dengan `disposition`)."),
    )

    detail_view = True

    def _detail(self, c, user, request, staff, mine, identity):
        inner = staff or mine
        return {
            "reporter_identity": identity,
            "attachments": [
                attachment_data(a, request, staff=staff, reporter=mine) for a in privacy.attachments_for(c, user)
            ],
            "public_summary": c.public_summary if staff else None,
            "target_agency": c.target_agency.slug if inner and c.target_agency_id else None,
            "terlapor_agency": c.terlapor_agency.slug if inner and c.terlapor_agency_id else None,
            "accused_name": c.accused_name if staff else None,
            "accused_position": c.accused_position if staff else None,
            "oversight": c.is_oversight if staff else None,
            "autoclose_due_at": iso(c.autoclose_due_at) if inner else None,
            "rating_comment": c.rating_comment,
            "terlapor_change": terlapor_change_data(c) if staff else None,
            **allowed_actions_data(c, user),
        }


def terlapor_change_data(c):
    change = (
        TerlaporChange.objects.filter(complaint=c, status=TerlaporChange.Status.PENDING)
        .select_related("from_agency", "to_agency")
        .first()
    )
    if change is None:
        return None
    return {
        "status": change.status,
        "from_agency": change.from_agency.slug,
        "to_agency": change.to_agency.slug if change.to_agency_id else None,
        "reason": change.reason,
        "requested_at": iso(change.created_at),
    }


class TimelineDispositionSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("Hanya untuk petugas."))
    agency = TextField()
    agency_name = TextField()


class TimelineEntrySerializer(serializers.Serializer):
    id = EntryRefField(
        help_text=_("Pengenal entri: acak bagi publik dan pelapor (bukan nomor urut); nomor entri bagi petugas.")
    )
    type = serializers.ChoiceField(choices=EventType.choices)
    created_at = serializers.DateTimeField()
    actor = TextField(
        help_text=_(
            "Peran atau instansi (“Admin Dinas Kesehatan”), tidak pernah nama "
            "petugas; pelapor tampil seperti pada `reporter`."
        )
    )
    body = TextField(allow_blank=True)
    disposition = TimelineDispositionSerializer(allow_null=True)
    data = serializers.DictField(
        help_text=_("Keterangan tambahan: reason, forwarded_to, score, from, to, agency, duplicate, channel.")
    )
    attachments = AttachmentSerializer(many=True)


def timeline_data(c, user, request):
    """The timeline entries `user` may read, with the files attached to each."""
    staff = bool(privacy.roles_on(c, user))
    mine = privacy.is_reporter(c, user)
    reporter_name = privacy.reporter_name(c, user, log=False)
    files = {}
    for a in privacy.attachments_for(c, user):
        if a.event_id:
            files.setdefault(a.event_id, []).append(attachment_data(a, request, staff=staff, reporter=mine))
    entries = []
    for e in privacy.timeline_for(c, user):
        actor = e.actor_label
        if e.actor_role == Role.PELAPOR and e.actor_id is not None and e.actor_id == c.reporter_id and reporter_name:
            actor = reporter_name
        d = e.disposition
        entries.append(
            {
                "id": event_ref(e.pk, staff),
                "type": e.type,
                "created_at": iso(e.created_at),
                "actor": actor or str(_("Sistem")),
                "body": e.body,
                "disposition": (
                    {"id": d.pk if staff else None, "agency": d.agency.slug, "agency_name": d.agency.name}
                    if d is not None
                    else None
                ),
                "data": {
                    k: e.data[k] for k in (EVENT_DATA_KEYS if staff else PUBLIC_EVENT_DATA_KEYS) if k in (e.data or {})
                },
                "attachments": files.get(e.pk, []),
            }
        )
    return entries


class IdentityAccessSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=IdentityAccess.Kind.choices)
    staff = TextField(allow_null=True, help_text=_("Nama petugas yang melihat atau membuka identitas."))
    role = TextField(allow_blank=True, help_text=_("Peran petugas: operator, auditor, …"))
    agency = TextField(allow_null=True, help_text=_("Nama instansi petugas."))
    reason = TextField(allow_blank=True)

    def to_representation(self, a):
        return privacy.identity_access_entry(a, iso)


# Reports: input ---------------------------------------------------------------------------------
@extend_schema_field({"type": "string", "description": 'Kode wilayah (mis. "01.01") atau id-nya.'})
class AreaField(serializers.Field):
    """A kecamatan or kelurahan by its code (e.g. "01.01"), or by its id."""

    default_error_messages = {"invalid": _("Wilayah tidak dikenal.")}

    def __init__(self, level, **kwargs):
        self.level = level
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int) or "\x00" in str(data):
            self.fail("invalid")
        qs = Area.objects.filter(level=self.level).select_related("parent")
        value = str(data).strip()[:20]
        area = qs.filter(code=value).first()
        if area is None and (pk := parse_pk(value)) is not None:
            area = qs.filter(pk=pk).first()
        if area is None:
            self.fail("invalid")
        return area

    def to_representation(self, value):
        return value.code


class LocationInputSerializer(serializers.Serializer):
    text = TextField(max_length=255, required=False, allow_blank=True)
    kecamatan = AreaField(Area.Level.KECAMATAN)
    kelurahan = AreaField(Area.Level.KELURAHAN)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": 255, "description": "Lokasi sebagai teks bebas."},
            {
                "type": "object",
                "description": "Lokasi sebagai objek.",
                "properties": {
                    "text": {"type": "string", "maxLength": 255},
                    "kecamatan": {"type": "string", "nullable": True, "description": "Kode kecamatan."},
                    "kelurahan": {"type": "string", "nullable": True, "description": "Kode kelurahan/desa."},
                    "lat": {"type": "number", "nullable": True, "minimum": -90, "maximum": 90},
                    "lng": {"type": "number", "nullable": True, "minimum": -180, "maximum": 180},
                },
            },
        ]
    }
)
class LocationField(serializers.Field):
    """`location` as free text, or as an object {text, kecamatan, kelurahan, lat, lng}."""

    default_error_messages = {"invalid": _("Lokasi harus berupa teks atau objek.")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"text": data}
        if not isinstance(data, dict):
            self.fail("invalid")
        inner = LocationInputSerializer(data=data)
        inner.is_valid(raise_exception=True)
        return inner.validated_data


def _coordinate(value):
    # A phone's GPS gives 15 decimals; six (about 10 cm) is all the column keeps.
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@extend_schema_field(
    {"type": "string", "nullable": True, "description": "Slug instansi; kosong atau null: tidak ada instansi."}
)
class AgencySlugField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Instansi “{value}” tidak ditemukan."),
        "invalid": _("Slug instansi tidak sah."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("queryset", Agency.objects.active().exclude(kind=AgencyKind.OBSERVER).select_related("root"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class ComplaintCreateSerializer(serializers.Serializer):
    """Filing a report (docs/product.md §3). `location` is free text or an object; `kecamatan`,
    `kelurahan`, `lat` and `lng` may also be sent beside it."""

    title = TextField(min_length=5, max_length=200)
    body = TextField(min_length=10, max_length=10000)
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.ADUAN)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.filter(is_active=True))
    location = LocationField(required=False)
    kecamatan = AreaField(Area.Level.KECAMATAN)
    kelurahan = AreaField(Area.Level.KELURAHAN)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    incident_date = serializers.DateField(required=False, allow_null=True)
    target_agency = AgencySlugField()
    terlapor_agency = AgencySlugField()
    privacy = serializers.ChoiceField(
        choices=Privacy.choices,
        required=False,
        help_text=_("Kosong: bawaan kanal (umum untuk web dan aplikasi)."),
    )
    channel = serializers.ChoiceField(choices=FILING_CHANNELS, default=Channel.MOBILE)

    def validate(self, attrs):
        """Parses `location`; the rules between fields are `workflow.check_filing`'s."""
        loc = attrs.pop("location", None) or {}
        for name in ("kecamatan", "kelurahan", "lat", "lng"):
            if attrs.get(name) is None and loc.get(name) is not None:
                attrs[name] = loc[name]
        attrs["location_text"] = (loc.get("text") or "").strip()
        if attrs.get("kelurahan") is not None and attrs.get("kecamatan") is None:
            attrs["kecamatan"] = attrs["kelurahan"].parent
        errors = workflow.check_filing(
            channel=attrs.get("channel"),
            **{name: attrs.get(name) for name in workflow.FILING_FIELDS},
        )
        if errors:
            raise serializers.ValidationError(errors)
        attrs["lat"], attrs["lng"] = _coordinate(attrs.get("lat")), _coordinate(attrs.get("lng"))
        return attrs

    def file_kwargs(self):
        return {**workflow.filing_fields(self.validated_data), "channel": self.validated_data["channel"]}


def _text(max_length=10000, **kwargs):
    return TextField(max_length=max_length, **kwargs)


def _note():
    return TextField(max_length=5000, required=False, allow_blank=True, default="")


class VerifySerializer(serializers.Serializer):
    agencies = serializers.ListField(
        child=SlugTextField(max_length=60),
        min_length=1,
        max_length=20,
        required=False,
        help_text=_(
            "Slug instansi tujuan disposisi. Tanpa `agencies`: instansi yang disarankan bagi operator "
            "(rute kategori untuk kecamatan laporan, atau instansi tujuan bawaan kategori)."
        ),
    )
    note = _note()


class DisposeSerializer(VerifySerializer):
    """`note` is required when disposing again to an OPD that returned the report (refusing the return)."""

    agencies = serializers.ListField(
        child=SlugTextField(max_length=60),
        min_length=1,
        max_length=20,
        help_text=_("Slug instansi tujuan disposisi."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = _text(5000)


class RevealSerializer(serializers.Serializer):
    reason = _text(1000, min_length=10)


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[(r, r.label) for r in ARCHIVE_REASONS])
    note = _note()


class MergeSerializer(serializers.Serializer):
    into = TextField(max_length=20, help_text=_("Nomor pelacakan laporan utama."))


class BodySerializer(serializers.Serializer):
    body = _text()


class DispositionBodySerializer(serializers.Serializer):
    body = _text()
    disposition = pk_field(help_text=_("id disposisi (lihat `dispositions[].id`)."))


class DispositionReasonSerializer(serializers.Serializer):
    reason = _text(5000)
    disposition = pk_field()


class DispositionSerializerIn(serializers.Serializer):
    disposition = pk_field()


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = TextField(max_length=2000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    body = _text()
    dispositions = serializers.ListField(
        child=pk_field(),
        required=False,
        max_length=50,
        help_text=_("Disposisi yang dipersoalkan; kosong: semua yang selesai."),
    )


class PrivacySerializer(serializers.Serializer):
    privacy = serializers.ChoiceField(choices=Privacy.choices)


class ForwardSerializer(serializers.Serializer):
    institution = serializers.ChoiceField(choices=Institution.choices)
    note = _note()


class SubdisposeSerializer(serializers.Serializer):
    disposition = pk_field()
    unit = SlugTextField(max_length=60, help_text=_("Slug unit di bawah instansi Anda."))


class SummarySerializer(serializers.Serializer):
    summary = TextField(max_length=10000, allow_blank=True)


class ReclassifySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    kecamatan = AreaField(Area.Level.KECAMATAN)
    kelurahan = AreaField(Area.Level.KELURAHAN)
    location_text = TextField(max_length=255, required=False, allow_blank=True)
    terlapor_agency = AgencySlugField()
    terlapor_reason = TextField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=_("Wajib bila menghapus atau mengganti terlapor yang sudah disebut."),
    )

    def validate(self, attrs):
        if not {k for k in attrs if k != "terlapor_reason"}:
            raise serializers.ValidationError(_("Kirim minimal satu isian yang diubah."))
        return attrs


class TerlaporDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = TextField(max_length=2000)


class FlagOversightSerializer(serializers.Serializer):
    terlapor_agency = AgencySlugField(help_text=_("Slug instansi terlapor, bila laporan belum menyebutnya."))


class AttachmentVisibilitySerializer(serializers.Serializer):
    attachment = TextField(max_length=40, help_text=_("`id` lampiran (atau nomornya)."))
    public = serializers.BooleanField()


class IdentitySerializer(serializers.Serializer):
    reporter = ReporterIdentitySerializer(allow_null=True)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("JPEG, PNG, WebP atau PDF; diperiksa menurut isinya."))
    event = TextField(
        max_length=40,
        required=False,
        help_text=_(
            "Petugas: entri linimasa (tindak lanjut, pertanyaan, tanggapan) milik Anda, dengan `id` dari linimasa; "
            "bawaan: entri terakhir Anda."
        ),
    )


class SimilarSerializer(serializers.Serializer):
    tracking_id = TextField()
    title = TextField()
    status = serializers.ChoiceField(choices=Status.choices)
    support_count = serializers.IntegerField()
    url = serializers.URLField()
    created_at = serializers.DateTimeField()


# Sanctions -------------------------------------------------------------------------------------
class SanctionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = TextField(help_text=_("Slug instansi."))
    agency_name = TextField()
    month = TextField(help_text="YYYY-MM")
    status = serializers.ChoiceField(choices=Sanction.Status.choices)
    evidence = serializers.ListField(
        child=serializers.DictField(),
        help_text=_("Bukti yang dibekukan: tracking_id, clock_kind, deadline, escalated_at, days_late, people, …"),
    )
    evidence_count = serializers.IntegerField(
        help_text=_("Jumlah seluruh bukti, termasuk yang tidak dapat Anda lihat.")
    )
    hidden_evidence = serializers.IntegerField(
        help_text=_("Jumlah bukti tentang laporan yang tidak dapat Anda lihat (tidak dicantumkan di evidence).")
    )
    days_late = serializers.IntegerField()
    clarification = TextField(allow_blank=True)
    clarified_at = serializers.DateTimeField(allow_null=True)
    decision_reason = TextField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, s):
        from complaints.deadlines import sanctions

        return {
            "id": s.pk,
            "agency": s.agency.slug,
            "agency_name": s.agency.name,
            "month": s.month.strftime("%Y-%m"),
            "status": s.status,
            # Only the items naming reports the caller may see (`sanctions.with_evidence_for`); none
            # when the view did not decide that. The counts cover every item.
            "evidence": getattr(s, "visible_evidence", []),
            "evidence_count": len(s.evidence),
            "hidden_evidence": len(s.evidence) - len(getattr(s, "visible_evidence", [])),
            "days_late": sanctions.days_late(s),
            "clarification": s.clarification,
            "clarified_at": iso(s.clarified_at),
            "decision_reason": s.decision_reason,
            "decided_at": iso(s.decided_at),
            "created_at": iso(s.created_at),
        }


class ClarificationSerializer(serializers.Serializer):
    clarification = _text(5000)


def _merged_into(c):
    """The tracking id of the report `c` was merged into: the API's queryset reads it as a column
    (`merged_into_tracking_id`); any other instance reads the row."""
    if not c.merged_into_id:
        return None
    if hasattr(c, "merged_into_tracking_id"):
        return c.merged_into_tracking_id
    return c.merged_into.tracking_id
