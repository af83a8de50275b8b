"""Reports (docs/product.md §3–§5): complaints, dispositions, the append-only timeline, attachments,
supports, identity access log, clocks with their exactly-once steps, the notification outbox,
TPP sanction recommendations and the channels' bookkeeping.

Status fields are written only by `complaints.workflow`; lists reach people only through
`Complaint.objects.visible_to(user)` (`complaints.privacy`).
"""

import re
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from agencies.models import optional_agency


class ChoiceLabels:
    """`get_<field>_display()` from a table of the field's choices made once: Django's own builds a
    dict of every choice on each call, hashing (so translating) every label, which cost 0.3 ms for
    an event's type (37 choices), for each entry of a timeline. The same label, in the language
    active when it is shown."""

    def _get_FIELD_display(self, field):
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = {make_hashable(value): label for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


_CHOICE_LABELS = {}


# Crockford's base32 without I, L, O, U: readable over the phone and by SMS.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_RE = r"LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


def new_tracking_id():
    """`LPR-XXXX-XXXX` from the OS's cryptographic source: 32^8 ≈ 1.1e12 values, no sequence."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"LPR-{chars[:4]}-{chars[4:]}"


class Kind(models.TextChoices):
    ADUAN = "aduan", _("Aduan")
    ASPIRASI = "aspirasi", _("Aspirasi")
    INFORMASI = "informasi", _("Permintaan informasi")


class Privacy(models.TextChoices):
    UMUM = "umum", _("Umum")
    ANONIM = "anonim", _("Anonim")
    RAHASIA = "rahasia", _("Rahasia")


PRIVACY_RANK = {Privacy.UMUM: 0, Privacy.ANONIM: 1, Privacy.RAHASIA: 2}


class Status(models.TextChoices):
    BELUM_TERVERIFIKASI = "belum_terverifikasi", _("Belum terverifikasi")
    TUNDA = "tunda", _("Tunda")
    BELUM_DITINDAKLANJUTI = "belum_ditindaklanjuti", _("Belum ditindaklanjuti")
    PROSES = "proses", _("Proses")
    SELESAI = "selesai", _("Selesai")
    ARSIP = "arsip", _("Arsip")


OPEN_STATUSES = (Status.BELUM_TERVERIFIKASI, Status.TUNDA, Status.BELUM_DITINDAKLANJUTI, Status.PROSES)


class Channel(models.TextChoices):
    WEB = "web", _("Situs web")
    MOBILE = "mobile", _("Aplikasi seluler")
    SMS = "sms", _("SMS")
    OPEN311 = "open311", _("Open311")
    WALK_IN = "walk-in", _("Datang langsung")
    PHONE = "phone", _("Telepon")
    SOCIAL = "social", _("Media sosial")


MANUAL_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.SOCIAL)


class ArchiveReason(models.TextChoices):
    INVALID = "invalid", _("Tidak valid")
    OUT_OF_SCOPE = "out_of_scope", _("Di luar kewenangan")
    DUPLICATE = "duplicate", _("Duplikat (digabung)")
    NO_COMPLETION = "no_completion", _("Tidak dilengkapi")
    WITHDRAWN = "withdrawn", _("Dicabut pelapor")
    FORWARDED = "forwarded", _("Diteruskan ke instansi di luar daerah")


class Institution(models.TextChoices):
    """Institutions outside the region a report can be forwarded to."""

    BPJS = "bpjs", _("BPJS")
    PLN = "pln", _("PLN")
    BPN = "bpn", _("BPN")
    POLRI = "polri", _("Polri")
    BAWASLU = "bawaslu", _("Bawaslu")
    PEMDA_LAIN = "pemda_lain", _("Pemerintah daerah lain")
    SP4N_NASIONAL = "sp4n_nasional", _("SP4N-LAPOR! nasional")


_PK = re.compile(r"[0-9]{1,18}")


def parse_pk(value):
    """A primary key typed into a URL, a form or a payload, or None: ASCII digits that fit the
    database's integer (`str.isdigit()` also accepts "²", which `int()` refuses, and a 30-digit
    number overflows the column), so bad input is a clear error, never a 500."""
    value = "" if value is None else str(value).strip()
    return int(value) if _PK.fullmatch(value) else None


# `privacy.public_filter()` spelled on the model's fields, for the partial indexes of the public lists
# (kept equal to it by tests/complaints/test_scale.py: the planner uses a partial index only
# when the query's filter implies its condition).
PUBLIC_CONDITION = (
    models.Q(verified_at__isnull=False)
    & ~models.Q(privacy="rahasia")
    & ~models.Q(status="arsip", archive_reason="invalid")
)

# ... with a public point on the map: umum, with coordinates (docs/privacy.md).
PUBLIC_POINT_CONDITION = PUBLIC_CONDITION & models.Q(privacy="umum", lat__isnull=False, lng__isnull=False)


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .privacy import visible_filter

        return self.filter(visible_filter(user))

    def public(self):
        from .privacy import public_filter

        return self.filter(public_filter())

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Complaint(ChoiceLabels, models.Model):
    tracking_id = models.CharField(_("nomor pelacakan"), max_length=13, unique=True, editable=False)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.ADUAN)
    privacy = models.CharField(_("privasi"), max_length=10, choices=Privacy.choices, default=Privacy.UMUM)
    status = models.CharField(
        _("status"), max_length=25, choices=Status.choices, default=Status.BELUM_TERVERIFIKASI, editable=False
    )
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    channel_link = models.URLField(_("tautan sumber"), max_length=500, blank=True)

    title = models.CharField(_("judul"), max_length=200)
    body = models.TextField(_("isi laporan"))
    public_summary = models.TextField(_("ringkasan publik"), blank=True)
    category = models.ForeignKey(
        "agencies.Category", verbose_name=_("kategori"), null=True, blank=True, on_delete=models.PROTECT
    )
    location_text = models.CharField(_("lokasi"), max_length=255, blank=True)
    kecamatan = models.ForeignKey(
        "agencies.Area", verbose_name=_("kecamatan"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    kelurahan = models.ForeignKey(
        "agencies.Area", verbose_name=_("kelurahan"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    lat = models.DecimalField(
        _("lintang"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lng = models.DecimalField(
        _("bujur"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    incident_date = models.DateField(_("tanggal kejadian"), null=True, blank=True)
    target_agency = optional_agency(_("instansi tujuan"), "targeted_complaints")
    terlapor_agency = optional_agency(_("instansi terlapor"), "accused_complaints")
    # Staff only: the accused person and position, when the report names one.
    accused_name = models.CharField(_("nama terlapor"), max_length=150, blank=True)
    accused_position = models.CharField(_("jabatan terlapor"), max_length=150, blank=True)
    oversight = models.BooleanField(_("berkadar pengawasan"), default=False)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pelapor"),
        null=True,
        blank=True,
        related_name="complaints",
        on_delete=models.SET_NULL,
    )
    # Walk-in/phone reports by people without an account: kept for staff like an identity.
    walkin_name = models.CharField(_("nama pelapor (manual)"), max_length=150, blank=True)
    walkin_contact = models.CharField(_("kontak pelapor (manual)"), max_length=150, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    verified_at = models.DateTimeField(_("diverifikasi"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True, editable=False)
    archive_reason = models.CharField(
        _("alasan arsip"), max_length=20, choices=ArchiveReason.choices, blank=True, editable=False
    )
    archive_note = models.TextField(_("catatan arsip"), blank=True, editable=False)
    forwarded_to = models.CharField(
        _("diteruskan ke"), max_length=20, choices=Institution.choices, blank=True, editable=False
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, related_name="duplicates", on_delete=models.PROTECT, editable=False
    )

    # Deadlines as columns (docs/architecture.md, rule 4); each mirrors the running `Clock` of that kind.
    verification_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_days_left = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    tunda_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    redisposition_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    autoclose_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    reopen_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The nearest running deadline of the report's live dispositions (the first follow-up or
    # information deadline while it runs, else the 60-day settlement), which the operator's
    # "dipantau" tab sorts by. Kept by `complaints.deadlines.clocks` (docs/clocks.md); never set by hand.
    monitor_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    rating = models.PositiveSmallIntegerField(
        _("penilaian"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)], editable=False
    )
    rating_comment = models.TextField(_("komentar penilaian"), blank=True, editable=False)
    support_count = models.PositiveIntegerField(_("dukungan"), default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("laporan")
        verbose_name_plural = _("laporan")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "verification_due_at"], name="complaint_status_verif_due"),
            models.Index(fields=["status", "redisposition_due_at"], name="complaint_status_redisp_due"),
            models.Index(fields=["status", "-created_at"], name="complaint_status_created"),
            models.Index(fields=["privacy", "status", "-created_at"], name="complaint_public_feed"),
            models.Index(fields=["reporter", "-created_at"], name="complaint_reporter"),
            models.Index(fields=["category", "status"], name="complaint_category_status"),
            models.Index(fields=["kecamatan", "status"], name="complaint_kecamatan_status"),
            # The public lists at a million reports (docs/benchmarks.md): partial on exactly
            # `privacy.public_filter()`, so the feed (by verification) and the API and Open311 (by
            # filing) read their page, their deep page's keys and their count from the index alone.
            models.Index(fields=["-verified_at", "-id"], name="complaint_public_verified", condition=PUBLIC_CONDITION),
            models.Index(fields=["-created_at", "-id"], name="complaint_public_created", condition=PUBLIC_CONDITION),
            # The public map's points (complaints/portal/maps.py): public umum reports with
            # coordinates. By latitude then longitude for a window with few points (a range scan);
            # newest first, the window's columns included, for a window with many (read from the
            # index alone until the cap is reached).
            models.Index(
                fields=["lat", "lng"],
                name="complaint_public_point",
                include=["id", "status", "category_id"],
                condition=PUBLIC_POINT_CONDITION,
            ),
            models.Index(
                fields=["-verified_at", "-id"],
                name="complaint_public_point_new",
                include=["lat", "lng", "status", "category_id"],
                condition=PUBLIC_POINT_CONDITION,
            ),
            # The operator's queue tabs: open statuses only, in deadline order.
            models.Index(
                fields=["verification_due_at", "created_at", "id"],
                name="complaint_unverified_due",
                condition=models.Q(status="belum_terverifikasi"),
            ),
            models.Index(
                fields=["tunda_due_at", "created_at", "id"],
                name="complaint_tunda_due",
                condition=models.Q(status="tunda"),
            ),
            models.Index(
                fields=["monitor_due_at", "created_at", "id"],
                name="complaint_monitor_due",
                condition=models.Q(status__in=["belum_ditindaklanjuti", "proses"]),
            ),
            # Possible duplicates on the operator's review page (staff/selectors.similar_reports):
            # the newest open reports of a category and kecamatan, read in index order.
            models.Index(
                fields=["category", "kecamatan", "-created_at", "-id"],
                name="complaint_open_category_area",
                condition=models.Q(status__in=list(OPEN_STATUSES)),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_range",
            ),
        ]

    def __str__(self):
        return self.tracking_id

    def save(self, *args, **kwargs):
        if not self.tracking_id:
            self.tracking_id = self._unused_tracking_id()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # A full save of a report read earlier must not put back an old `monitor_due_at`:
            # `complaints.deadlines.clocks` keeps it.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "monitor_due_at"
            ]
        super().save(*args, **kwargs)

    @classmethod
    def _unused_tracking_id(cls):
        for _attempt in range(10):
            candidate = new_tracking_id()
            if not cls.objects.filter(tracking_id=candidate).exists():
                return candidate
        raise RuntimeError("could not draw an unused tracking id")  # 10 collisions in 1e12: never

    def clean(self):
        # A stored report keeps the location rules of filing (`workflow.check_filing`), whoever
        # changes it later (reclassification).
        from .workflow import check_filing

        errors = check_filing(
            kecamatan=self.kecamatan if self.kecamatan_id else None,
            kelurahan=self.kelurahan if self.kelurahan_id else None,
            lat=self.lat,
            lng=self.lng,
        )
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_oversight(self):
        return self.oversight or bool(self.category_id and self.category.oversight)

    def get_absolute_url(self):
        return f"/laporan/{self.tracking_id}/"


class DispositionStatus(models.TextChoices):
    MENUNGGU = "menunggu", _("Menunggu")
    DITINDAKLANJUTI = "ditindaklanjuti", _("Ditindaklanjuti")
    SELESAI = "selesai", _("Selesai")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan (bukan kewenangan)")
    # Taken back from the accused organisation when the report was flagged berkadar pengawasan.
    DITARIK = "ditarik", _("Ditarik dari instansi terlapor")


ACTIVE_DISPOSITION = (DispositionStatus.MENUNGGU, DispositionStatus.DITINDAKLANJUTI)


class Disposition(ChoiceLabels, models.Model):
    """One report sent to one agency (or, with `parent`, sub-disposed to a unit under it)."""

    complaint = models.ForeignKey(Complaint, related_name="dispositions", on_delete=models.CASCADE)
    agency = models.ForeignKey("agencies.Agency", related_name="dispositions", on_delete=models.PROTECT)
    parent = models.ForeignKey("self", null=True, blank=True, related_name="subdispositions", on_delete=models.CASCADE)
    status = models.CharField(
        max_length=16, choices=DispositionStatus.choices, default=DispositionStatus.MENUNGGU, editable=False
    )
    note = models.TextField(_("catatan disposisi"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    # The running follow-up (or information-request) deadline and the 60-day ceiling.
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    settlement_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_followup_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    returned_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_reason = models.TextField(_("alasan dikembalikan"), blank=True, editable=False)
    # A return waiting for the operator's decision (re-dispose, refuse, forward, archive).
    return_pending = models.BooleanField(default=False, editable=False)
    extended_at = models.DateTimeField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    ceiling_passed = models.BooleanField(default=False, editable=False)
    # The deadline the liaison's inbox sorts a live disposition by: its own running deadline (first
    # follow-up or information), else the nearest running deadline of its live units (they carry its
    # clock on), else its 60-day settlement; None once it is not live. Kept by
    # `complaints.deadlines.clocks` (docs/clocks.md); never set by hand.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("disposisi")
        verbose_name_plural = _("disposisi")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="disposition_inbox"),
            models.Index(fields=["status", "due_at"], name="disposition_status_due"),
            models.Index(fields=["complaint", "status"], name="disposition_complaint_status"),
            # An OPD's history (finished and returned dispositions), newest first (selectors.live_first).
            models.Index(fields=["-created_at", "id"], name="disposition_history"),
            # The operator's "returned" tab: the few dispositions waiting for a decision.
            models.Index(
                fields=["complaint"], name="disposition_return_pending", condition=models.Q(return_pending=True)
            ),
            # The liaison's inbox: the live dispositions in the inbox's order, read a page at a time
            # (selectors.live_first).
            models.Index(
                fields=["next_due_at", "-created_at", "id"],
                name="disposition_live_next_due",
                condition=models.Q(status__in=["menunggu", "ditindaklanjuti"]),
            ),
        ]

    def __str__(self):
        return f"{self.complaint_id} → {self.agency_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            # A full save of a disposition read earlier must not put back an old `next_due_at`:
            # `complaints.deadlines.clocks` keeps it.
            # Nor load the columns a list left out (`.only()`) just to write them back unchanged.
            left_out = self.get_deferred_fields() | {"next_due_at"}
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.attname not in left_out
            ]
        super().save(*args, **kwargs)

    @property
    def is_active(self):
        return self.status in ACTIVE_DISPOSITION


class EventType(models.TextChoices):
    FILED = "filed", _("Laporan dibuat")
    VERIFIED = "verified", _("Diverifikasi")
    POSTPONED = "postponed", _("Ditunda, menunggu kelengkapan")
    COMPLETED = "completed", _("Dilengkapi pelapor")
    ARCHIVED = "archived", _("Diarsipkan")
    MERGED = "merged", _("Digabung")
    DISPOSED = "disposed", _("Didisposisikan")
    FOLLOWUP = "followup", _("Tindak lanjut")
    RETURNED = "returned", _("Dikembalikan (bukan kewenangan)")
    FINISHED = "finished", _("Tindak lanjut selesai")
    REPLY = "reply", _("Tanggapan")
    ACCEPTED = "accepted", _("Diterima pelapor")
    CLOSED = "closed", _("Selesai")
    REOPENED = "reopened", _("Dibuka kembali")
    RATED = "rated", _("Dinilai")
    PRIVACY_CHANGED = "privacy_changed", _("Privasi diubah")
    REMINDER = "reminder", _("Pengingat tenggat")
    OVERDUE = "overdue", _("Lewat tenggat")
    ESCALATED = "escalated", _("Dieskalasi")
    EXTENDED = "extended", _("Diperpanjang")
    CEILING_PASSED = "ceiling_passed", _("Lewat 60 hari")
    WITHDRAWN = "withdrawn", _("Dicabut pelapor")
    FORWARDED = "forwarded", _("Diteruskan")
    RETURN_REFUSED = "return_refused", _("Pengembalian ditolak")
    SUBDISPOSED = "subdisposed", _("Didisposisikan ke unit")
    SUMMARY_EDITED = "summary_edited", _("Ringkasan publik diubah")
    RECLASSIFIED = "reclassified", _("Klasifikasi diubah")
    QUESTION = "question", _("Pertanyaan kepada pelapor")
    CALENDAR_CHANGED = "calendar_changed", _("Kalender libur berubah")
    SUPPORTED = "supported", _("Didukung")
    ATTACHMENT_HIDDEN = "attachment_hidden", _("Lampiran disembunyikan dari publik")
    OVERSIGHT_FLAGGED = "oversight_flagged", _("Ditandai berkadar pengawasan")
    REVEALED = "revealed", _("Identitas dibuka")
    TERLAPOR_REQUESTED = "terlapor_requested", _("Perubahan terlapor diajukan")
    TERLAPOR_CHANGED = "terlapor_changed", _("Instansi terlapor diubah")
    TERLAPOR_REJECTED = "terlapor_rejected", _("Perubahan terlapor ditolak")
    DISPOSITION_RECALLED = "disposition_recalled", _("Disposisi ditarik dari instansi terlapor")


class Audience(models.TextChoices):
    """Who may see a timeline entry: public ⊂ reporter ⊂ staff (each sees its level and below)."""

    PUBLIC = "public", _("Publik")
    REPORTER = "reporter", _("Pelapor")
    STAFF = "staff", _("Petugas")


class AppendOnlyError(Exception):
    pass


class Event(ChoiceLabels, models.Model):
    """An append-only entry of a report's timeline."""

    complaint = models.ForeignKey(Complaint, related_name="events", on_delete=models.CASCADE)
    type = models.CharField(max_length=20, choices=EventType.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    # What the public sees as the actor: the role or agency ("Admin Dinas Kesehatan"), never a name.
    actor_label = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    actor_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    body = models.TextField(blank=True)
    disposition = models.ForeignKey(Disposition, null=True, blank=True, related_name="events", on_delete=models.CASCADE)
    data = models.JSONField(default=dict, blank=True)
    # Where a staff action came from, for the auditors' activity view (`complaints.audit`).
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("riwayat")
        verbose_name_plural = _("riwayat")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_timeline"),
            # The dashboards count returns per OPD: a few percent of all events, read without
            # scanning the other millions.
            models.Index(
                fields=["disposition", "complaint"], name="event_returned", condition=models.Q(type=EventType.RETURNED)
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.complaint_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("force_append_only_bypass", False):
            raise AppendOnlyError("timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("timeline events are append-only")


def attachment_path(instance, filename):
    # A random name: the original never appears in a path or URL.
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}.get(
        instance.content_type, "bin"
    )
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, related_name="attachments", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, null=True, blank=True, related_name="attachments", on_delete=models.SET_NULL)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255, blank=True)  # shown to the reporter only
    is_public = models.BooleanField(_("tampil ke publik"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return str(self.key)


class Support(models.Model):
    """A citizen following a report: a "Saya juga mengalami" support, or the reporter of a
    duplicate merged into it."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Dukungan")
        MERGED = "merged", _("Laporan duplikat yang digabung")

    complaint = models.ForeignKey(Complaint, related_name="supports", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="supports", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SUPPORT)
    source = models.ForeignKey(Complaint, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["complaint", "user"], name="support_once")]

    def __str__(self):
        return f"{self.kind} {self.complaint_id} by user #{self.user_id}"


class SubmissionKey(models.Model):
    """A filing made under a client's one-time key: the hidden key of the web and manual-entry
    forms, or the API's `Idempotency-Key` header. The key is unique per account, so a doubled or
    retried submission finds the report of the first instead of filing a second; the row is
    written in the filing's transaction, before the report, and a second request with the same
    key waits on it. `fingerprint` is a hash of the API request body (empty for the forms)."""

    MAX_LENGTH = 255

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    key = models.CharField(max_length=MAX_LENGTH)
    fingerprint = models.CharField(max_length=64, blank=True)
    complaint = models.ForeignKey(Complaint, null=True, related_name="+", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submission_key_once")]

    def __str__(self):
        return f"key of user #{self.user_id} for report {self.complaint_id}"


class IdentityAccess(models.Model):
    """Every time a protected identity is shown outside the reporter: who, when, why."""

    class Kind(models.TextChoices):
        VIEW = "view", _("Dilihat")
        REVEAL = "reveal", _("Dibuka dengan alasan")
        ADMIN = "admin", _("Dilihat di admin")
        EXPORT = "export", _("Diunduh")

    complaint = models.ForeignKey(Complaint, related_name="identity_accesses", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, related_name="+", on_delete=models.PROTECT)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Where the view or reveal came from, for the auditors' activity view.
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("akses identitas")
        verbose_name_plural = _("akses identitas")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["complaint", "-created_at"], name="identity_access_complaint")]

    def __str__(self):
        return f"{self.kind} of {self.complaint_id} by user #{self.user_id}"


class TerlaporChange(models.Model):
    """An operator's request to remove or replace the terlapor a report already names. Only a
    second person (the head of Diskominfo or an auditor, never the requester) decides it; only an
    approval changes the report (`workflow.decide_terlapor_change`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu keputusan")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")

    complaint = models.ForeignKey(Complaint, related_name="terlapor_changes", on_delete=models.CASCADE)
    from_agency = models.ForeignKey("agencies.Agency", related_name="+", on_delete=models.PROTECT)
    to_agency = models.ForeignKey("agencies.Agency", null=True, blank=True, related_name="+", on_delete=models.PROTECT)
    reason = models.TextField(_("alasan pengajuan"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)

    class Meta:
        verbose_name = _("perubahan terlapor")
        verbose_name_plural = _("perubahan terlapor")
        ordering = ["-created_at"]
        constraints = [
            # One open request per report: a second would race the first's decision.
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(status="pending"), name="terlapor_change_one_pending"
            ),
        ]

    def __str__(self):
        return f"terlapor change #{self.pk} of {self.complaint_id} ({self.status})"


class ClockKind(models.TextChoices):
    VERIFICATION = "verification", _("Verifikasi")
    REDISPOSITION = "redisposition", _("Disposisi ulang")
    FOLLOWUP = "followup", _("Tindak lanjut pertama")
    INFORMATION = "information", _("Permintaan informasi")
    SETTLEMENT = "settlement", _("Penyelesaian 60 hari")
    REPORTER_REPLY = "reporter_reply", _("Tanggapan pelapor")
    TUNDA = "tunda", _("Kelengkapan laporan tunda")


# Clocks that bind staff climb the escalation ladder; the others end in a workflow action.
STAFF_CLOCKS = (
    ClockKind.VERIFICATION,
    ClockKind.REDISPOSITION,
    ClockKind.FOLLOWUP,
    ClockKind.INFORMATION,
    ClockKind.SETTLEMENT,
)


# First-response clocks (complaints.deadlines.clocks.FOLLOWUP_STOPS), for the partial indexes below.
FOLLOWUP_CLOCK = models.Q(kind__in=["followup", "information"])


class Clock(models.Model):
    """One run of one deadline. Restarting a clock (a refused return, a reopen) is a new row, so
    each run climbs its own escalation ladder exactly once."""

    complaint = models.ForeignKey(Complaint, related_name="clocks", on_delete=models.CASCADE)
    disposition = models.ForeignKey(Disposition, null=True, blank=True, related_name="clocks", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    # The agency held to this clock: the disposition's top-level OPD, or Diskominfo for operators.
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, related_name="+", on_delete=models.PROTECT)
    started_at = models.DateTimeField()
    length = models.PositiveSmallIntegerField()  # working days (calendar days for settlement)
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=30, blank=True)
    # The clock this one continues (docs/clocks.md): the OPD's clock a unit's sub-disposition
    # inherited, or the information clock an extension replaced; stopped when this one started.
    continues = models.ForeignKey(
        "self", null=True, blank=True, related_name="continued_by", on_delete=models.SET_NULL, editable=False
    )
    # The instant of the next step of its ladder while it runs (None: not known yet, the next sweep
    # looks): written by complaints.deadlines.clocks only (docs/clocks.md, "The sweep's cost").
    next_step_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], name="clock_running_due", condition=models.Q(stopped_at__isnull=True)),
            models.Index(fields=["next_step_at"], name="clock_next_step", condition=models.Q(stopped_at__isnull=True)),
            models.Index(
                fields=["id"],
                name="clock_next_step_unknown",
                condition=models.Q(stopped_at__isnull=True, next_step_at__isnull=True),
            ),
            models.Index(fields=["complaint", "kind"], name="clock_complaint_kind"),
            # The dashboards' live count of running first-response clocks past their deadline
            # (complaints/dashboards/rollups.py), read from the index alone: the rest of their
            # figures are rollups.
            # A head's on-time rate of the month (complaints.staff.selectors.on_time_rate).
            models.Index(fields=["agency", "due_at"], name="clock_followup_due", condition=FOLLOWUP_CLOCK),
            models.Index(fields=["agency", "stopped_at"], name="clock_followup_stopped", condition=FOLLOWUP_CLOCK),
            models.Index(
                fields=["due_at"],
                include=["agency", "complaint"],
                name="clock_running_followup_due",
                condition=FOLLOWUP_CLOCK & models.Q(stopped_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.complaint_id} due {self.due_at:%Y-%m-%d}"


class StepKind(models.TextChoices):
    REMINDER = "reminder", _("Pengingat")
    OVERDUE = "overdue", _("Lewat tenggat")
    ESCALATED = "escalated", _("Dieskalasi")
    ACTION = "action", _("Tindakan otomatis")


class ClockStep(models.Model):
    """A step of a clock's ladder: it exists at most once per clock (docs/architecture.md, rule 3)."""

    clock = models.ForeignKey(Clock, related_name="steps", on_delete=models.CASCADE)
    step = models.CharField(max_length=10, choices=StepKind.choices)
    due_at = models.DateTimeField()  # the instant it was due (the evidence)
    done_at = models.DateTimeField()  # the instant the sweep recorded it
    event = models.ForeignKey(Event, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    skipped = models.BooleanField(default=False)  # a late sweep skips a reminder past its deadline

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "step"], name="clock_step_once")]
        indexes = [models.Index(fields=["step", "done_at"], name="clock_step_month")]

    def __str__(self):
        return f"{self.step} of clock #{self.clock_id}"


class Notification(models.Model):
    """The outbox: one row per recipient and channel, rendered and sent after commit by a task,
    which records delivery. The unique constraint makes "never twice" a database fact."""

    class Channel(models.TextChoices):
        INAPP = "inapp", _("Di aplikasi")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="notifications", on_delete=models.CASCADE
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    complaint = models.ForeignKey(Complaint, null=True, blank=True, related_name="+", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, null=True, blank=True, related_name="notifications", on_delete=models.CASCADE)
    template = models.CharField(max_length=40)
    # Who the message is for, so it renders at send time with the privacy of that moment.
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.REPORTER)
    dedup_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)  # filled when rendered
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key", "recipient", "channel"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="notification_unsent", condition=models.Q(sent_at__isnull=True)),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self):
        return f"{self.template} via {self.channel} to user #{self.recipient_id}"


class Sanction(models.Model):
    """A monthly TPP sanction recommendation for one agency, with frozen evidence."""

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", _("Direkomendasikan")
        CONFIRMED = "confirmed", _("Dikonfirmasi")
        WAIVED = "waived", _("Dibatalkan")

    agency = models.ForeignKey("agencies.Agency", related_name="sanctions", on_delete=models.PROTECT)
    month = models.DateField(help_text="first day of the month")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECOMMENDED)
    evidence = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    clarification = models.TextField(blank=True)
    clarified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    clarified_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("rekomendasi sanksi TPP")
        verbose_name_plural = _("rekomendasi sanksi TPP")
        ordering = ["-month", "agency__name"]
        constraints = [models.UniqueConstraint(fields=["agency", "month"], name="sanction_once_per_month")]

    def __str__(self):
        return f"{self.agency_id} {self.month:%Y-%m} ({self.status})"


class SanctionEvidence(models.Model):
    """Ties an escalation step to the one recommendation that counted it: a clock counts once."""

    sanction = models.ForeignKey(Sanction, related_name="evidence_rows", on_delete=models.CASCADE)
    step = models.OneToOneField(ClockStep, related_name="sanction_evidence", on_delete=models.PROTECT)

    def __str__(self):
        return f"step #{self.step_id} in sanction #{self.sanction_id}"


class InboundSms(models.Model):
    """Each message from the SMS gateway, deduplicated on the gateway's id."""

    gateway_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    sender = models.CharField(max_length=20)
    text = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    complaint = models.ForeignKey(Complaint, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    reply = models.TextField(blank=True)
    # The reply is sent once, by a task that marks it here (a retried task sends nothing twice).
    reply_sent_at = models.DateTimeField(null=True, blank=True)
    reply_attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self):
        return f"SMS from {self.sender} at {self.received_at:%Y-%m-%d %H:%M}"


class ReporterClaim(models.Model):
    """A report filed through Open311 or by an operator that gave the email or phone of an existing
    account waits here, unattached, until the owner of that address confirms through the signed
    link sent to it (or declines); the contact stays on the report meanwhile. A walk-in's new
    phone-only account gets one too: it is attached already, and confirming proves the number."""

    class Via(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"

    complaint = models.ForeignKey(Complaint, related_name="+", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    via = models.CharField(max_length=10, choices=Via.choices)
    # The address the link went to: confirming proves it (for a number, the account's number
    # becomes verified).
    target = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("konfirmasi pelapor")
        verbose_name_plural = _("konfirmasi pelapor")

    def __str__(self):
        return f"claim #{self.pk} of report #{self.complaint_id}"


class Open311Key(models.Model):
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=64, unique=True, default=secrets.token_hex)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kunci API Open311")
        verbose_name_plural = _("kunci API Open311")

    def __str__(self):
        return self.name


def monthly_report_path(instance, filename):
    # A random name: the file is served only through the download view, which checks access.
    return f"monthly-reports/{instance.month:%Y-%m}/{uuid.uuid4().hex}.pdf"


class MonthlyReport(models.Model):
    """A monthly PDF report for the region (no agency) or one OPD, built by a Celery task
    (`complaints.dashboards.monthly_report`) for whoever asked for it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        RUNNING = "running", _("Sedang dibuat")
        DONE = "done", _("Selesai")
        FAILED = "failed", _("Gagal")

    month = models.DateField(_("bulan"), help_text="first day of the month")
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("instansi"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to=monthly_report_path, max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diminta oleh"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("laporan bulanan")
        verbose_name_plural = _("laporan bulanan")
        ordering = ["-month", "-created_at"]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.agency_id or 'region'} ({self.status})"


class AreaFollow(models.Model):
    """Someone (an account, or an email address confirmed by a signed link) follows a kecamatan, a
    kelurahan and/or a category and gets a daily digest of what became public there
    (complaints/outbox/digests.py). Unsubscribing deletes the row: nothing is kept about them."""

    email = models.EmailField(_("email"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="area_follows", on_delete=models.CASCADE
    )
    kecamatan = models.ForeignKey(
        "agencies.Area", null=True, blank=True, related_name="+", on_delete=models.CASCADE, verbose_name=_("kecamatan")
    )
    kelurahan = models.ForeignKey(
        "agencies.Area",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
        verbose_name=_("kelurahan/desa"),
    )
    category = models.ForeignKey(
        "agencies.Category",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
        verbose_name=_("kategori"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The end of the window the last digest covered: the next one starts there.
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kecamatan__isnull=False)
                | models.Q(kelurahan__isnull=False)
                | models.Q(category__isnull=False),
                name="area_follow_names_something",
            ),
        ]
        indexes = [models.Index(fields=["email"], name="area_follow_email")]

    def __str__(self):
        return f"follow #{self.pk}"


class AreaDigest(models.Model):
    """One digest of one follow for one day: the unique constraint makes "at most one a day" a
    database fact (docs/architecture.md, rule 3). Written, with its text, in the transaction that
    moves the follow's window on; marked when sent."""

    follow = models.ForeignKey(AreaFollow, related_name="digests", on_delete=models.CASCADE)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    since = models.DateTimeField()
    until = models.DateTimeField()
    items = models.PositiveIntegerField(default=0)
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follow", "day"], name="area_digest_once")]
        indexes = [
            models.Index(fields=["created_at"], name="area_digest_unsent", condition=models.Q(sent_at__isnull=True))
        ]

    def __str__(self):
        return f"digest of follow #{self.follow_id} on {self.day}"


class Publication(models.Model):
    """One row: the generation of what the public sees. Every change that can alter a public page
    (a report, its timeline, attachments, dispositions, supports; the names of agencies, areas and
    categories; the holiday calendar) adds one to it in the transaction that makes the change
    (`complaints.common.publication`), and cached public pages are kept under the generation they
    were rendered in, so a page rendered before a change is never served after it commits
    (docs/architecture.md, "Cached public pages")."""

    generation = models.BigIntegerField(default=0)

    def __str__(self):
        return f"publication generation {self.generation}"


# Dashboard rollups (docs/architecture.md, "Dashboard rollups") -----------------------------------
class RollupDims(models.Model):
    """What every rollup row is grouped by: the month a report was filed (local time), its category,
    kecamatan, kind and status; whether it is published (verified, not archived as invalid) and
    rahasia; the top-level agency it accuses; `member`, the top-level agency whose reports the row
    belongs to (0: every report; an agency: the reports disposed to it or a unit of it); and
    `agency`, the agency the row's figures are about (0: the reports themselves). Plain ids, not
    foreign keys: a rollup row is derived data, rebuilt from the reports, never joined."""

    month = models.DateField()
    category_id = models.BigIntegerField(null=True)
    kecamatan_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=25)
    published = models.BooleanField()
    rahasia = models.BooleanField()
    accused_id = models.BigIntegerField(null=True)
    member = models.BigIntegerField()
    agency = models.BigIntegerField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.month:%Y-%m} member {self.member} agency {self.agency}"


class FigureRollup(RollupDims):
    """Counts per group (complaints.dashboards.rollups). On a row about the reports (`agency` 0):
    reports, and their first-response clocks of every agency. On a row about an agency: the reports
    disposed to it and theirs ratings, reopenings and closings, its dispositions past the 60-day
    ceiling, answered (`responded`) and returned, and the first-response clocks and escalations it
    was held to. Clocks still running are not here: whether they are late depends on the hour."""

    reports = models.IntegerField(default=0)
    ceiling = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late_stopped = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["member", "agency", "month"], name="figure_rollup_scope")]


class ResponseRollup(RollupDims):
    """How many of an agency's answered dispositions took `working_days` to the first follow-up:
    the distribution the median first response is read from."""

    working_days = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["member", "agency", "month"], name="response_rollup_scope")]


class RollupState(models.Model):
    """One row: how far the rollups are built. `built_at` None: never built (the dashboards compute
    from the reports). `event_mark`/`previous_mark`: the highest event id seen by the last two
    refreshes (a refresh re-reads from the older one, so an event committed late by a slow
    transaction is still seen). `fingerprint`: the holiday calendar and the agency tree the rows were
    built with; when it changes, every month is rebuilt."""

    built_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    event_mark = models.BigIntegerField(default=0)
    previous_mark = models.BigIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"rollups refreshed {self.refreshed_at}"
