"""Agencies (the OPD tree), areas, categories with routing, holidays and the SLA policy."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    DISKOMINFO = "diskominfo", _("Diskominfo (pengelola)")
    OPD = "opd", _("OPD")
    UNIT = "unit", _("Unit di bawah OPD")
    INSPEKTORAT = "inspektorat", _("Inspektorat")
    BKD = "bkd", _("BKD")
    PPID = "ppid", _("PPID")
    OBSERVER = "observer", _("Pengawas eksternal (Ombudsman, KemenPANRB)")


OVERSIGHT_KINDS = {AgencyKind.INSPEKTORAT, AgencyKind.BKD}


class AgencyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def disposable(self):
        """Agencies a report can be disposed to (not the observers)."""
        return self.active().exclude(kind=AgencyKind.OBSERVER)


class Agency(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    short_name = models.CharField(_("nama singkat"), max_length=60, blank=True)
    kind = models.CharField(_("jenis"), max_length=20, choices=AgencyKind.choices, default=AgencyKind.OPD)
    parent = models.ForeignKey(
        "self", verbose_name=_("induk"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    # The top-level agency of the tree (itself for a top-level one): conflict-of-interest checks and
    # sanction charging compare roots in SQL.
    root = models.ForeignKey("self", null=True, blank=True, related_name="+", on_delete=models.PROTECT, editable=False)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("Induk tidak boleh membentuk lingkaran.")})
            seen.add(node.pk)
            node = node.parent

    def save(self, *args, **kwargs):
        self.root_id = self.parent.root_id or self.parent_id if self.parent_id else self.pk
        super().save(*args, **kwargs)
        if self.root_id is None:  # a new top-level agency is its own root
            self.root_id = self.pk
            type(self).objects.filter(pk=self.pk).update(root=self.pk)
        for child in self.children.all():  # keep the subtree's root right after a move
            if child.root_id != self.root_id:
                child.save()

    @property
    def top(self):
        return self.root if self.root_id and self.root_id != self.pk else self

    def descendants_and_self_ids(self):
        """Ids of this agency and every unit under it. Remembered on the instance (one request's
        or one transaction's life), since a page asks for the same subtree several times."""
        cached = self.__dict__.get("_subtree_ids")
        if cached is None:
            ids, frontier = [self.pk], [self.pk]
            while frontier:
                frontier = list(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
                ids.extend(frontier)
            cached = self.__dict__["_subtree_ids"] = tuple(ids)
        return list(cached)

    @property
    def display(self):
        """How the agency signs on public timelines ("Admin Dinas Kesehatan")."""
        return self.short_name or self.name


class Area(models.Model):
    class Level(models.TextChoices):
        KECAMATAN = "kecamatan", _("Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan/Desa")

    name = models.CharField(_("nama"), max_length=120)
    code = models.CharField(_("kode"), max_length=20, unique=True)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("kecamatan"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # The bounding box of the boundary (AreaBoundary): a point lookup selects the candidates by box
    # in SQL and tests their polygons with shapely (agencies/areas.py; docs/areas.md says why not
    # PostGIS). Set with the boundary by `manage.py import_areas`.
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["level", "name"]
        indexes = [models.Index(fields=["min_lat", "max_lat", "min_lng", "max_lng"], name="agencies_area_bbox")]

    def __str__(self):
        return self.name


class AreaBoundary(models.Model):
    """An area's boundary: a GeoJSON Polygon or MultiPolygon (WGS 84, [lng, lat]). In a table of its
    own because a real boundary weighs kilobytes, and the many queries that join a report's
    kecamatan and kelurahan must not carry it."""

    area = models.OneToOneField(
        Area, verbose_name=_("wilayah"), primary_key=True, related_name="boundary", on_delete=models.CASCADE
    )
    geometry = models.JSONField(_("batas wilayah (GeoJSON)"))

    class Meta:
        verbose_name = _("batas wilayah")
        verbose_name_plural = _("batas wilayah")

    def __str__(self):
        return str(self.area)


def optional_agency(verbose_name, related_name, on_delete=models.PROTECT):
    """A link that may name an agency: a category's default route, a report's target or terlapor."""
    return models.ForeignKey(
        "agencies.Agency",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        related_name=related_name,
        on_delete=on_delete,
    )


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    name_en = models.CharField(_("nama (Inggris)"), max_length=120, blank=True)
    description = models.CharField(_("keterangan"), max_length=255, blank=True)
    default_agency = optional_agency(_("instansi tujuan bawaan"), "routed_categories", models.SET_NULL)
    oversight = models.BooleanField(
        _("berkadar pengawasan"),
        default=False,
        help_text=_("Laporan tentang perilaku pejabat/ASN: dialihkan ke instansi pengawas, tidak ke terlapor."),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("kategori")
        verbose_name_plural = _("kategori")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.oversight and self.default_agency and self.default_agency.kind not in OVERSIGHT_KINDS:
            raise ValidationError({"default_agency": _("Kategori berkadar pengawasan harus ke Inspektorat atau BKD.")})


class AreaRoute(models.Model):
    """A category's routing in one kecamatan: its reports there go to `agency` (an OPD or one of
    its units) instead of the category's default. `agencies.routing.route_for` reads it."""

    category = models.ForeignKey(
        Category, verbose_name=_("kategori"), related_name="area_routes", on_delete=models.CASCADE
    )
    kecamatan = models.ForeignKey(
        Area,
        verbose_name=_("kecamatan"),
        related_name="routes",
        on_delete=models.CASCADE,
        limit_choices_to={"level": Area.Level.KECAMATAN},
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("instansi tujuan"),
        related_name="area_routes",
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = _("rute per kecamatan")
        verbose_name_plural = _("rute per kecamatan")
        ordering = ["category", "kecamatan__name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "kecamatan"], name="agencies_arearoute_category_kecamatan")
        ]

    def __str__(self):
        return f"{self.category} · {self.kecamatan} → {self.agency}"

    def clean(self):
        errors = {}
        if self.kecamatan_id and self.kecamatan.level != Area.Level.KECAMATAN:
            errors["kecamatan"] = _("Pilih kecamatan, bukan kelurahan/desa.")
        if self.agency_id:
            if self.agency.kind == AgencyKind.OBSERVER:
                errors["agency"] = _("Pengawas eksternal tidak menerima disposisi.")
            elif self.category_id and self.category.oversight and self.agency.kind not in OVERSIGHT_KINDS:
                # The same rule as Category.clean: a report berkadar pengawasan goes to an overseer.
                errors["agency"] = _("Kategori berkadar pengawasan harus ke Inspektorat atau BKD.")
        if errors:
            raise ValidationError(errors)


class Holiday(models.Model):
    class Kind(models.TextChoices):
        NATIONAL = "national", _("Libur nasional")
        CUTI_BERSAMA = "cuti_bersama", _("Cuti bersama")
        LOCAL = "local", _("Libur daerah")
        WORKING_DAY = "working_day", _("Hari kerja tambahan (Sabtu/Minggu masuk)")

    date = models.DateField(_("tanggal"), unique=True)
    name = models.CharField(_("nama"), max_length=150)
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices, default=Kind.NATIONAL)
    # "library": loaded by `manage.py sync_holidays` and untouched since; "admin": added or edited
    # in the admin (the sync never changes or removes it); "demo": the demo region's.
    source = models.CharField(max_length=20, default="admin", editable=False)
    # The date the `holidays` package gave, kept when an admin moves the day: the sync does not
    # bring back a national holiday the admin moved.
    package_date = models.DateField(null=True, blank=True, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


def _days(default, label):
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )


class SlaPolicy(models.Model):
    """The editable SLA values (one row). Each clock copies its length when it starts, so a change
    applies to clocks started after it."""

    verification_days = _days(3, _("verifikasi (hari kerja)"))
    redisposition_days = _days(1, _("disposisi ulang setelah dikembalikan (hari kerja)"))
    followup_days = _days(5, _("tindak lanjut pertama (hari kerja)"))
    information_days = _days(10, _("permintaan informasi (hari kerja)"))
    information_extension_days = _days(7, _("perpanjangan permintaan informasi (hari kerja)"))
    settlement_calendar_days = _days(60, _("batas penyelesaian (hari kalender)"))
    reporter_reply_days = _days(10, _("tanggapan pelapor sebelum ditutup otomatis (hari kerja)"))
    tunda_days = _days(10, _("melengkapi laporan tunda (hari kerja)"))
    reopen_days = _days(10, _("batas membuka kembali (hari kerja)"))
    reminder_before_days = _days(1, _("pengingat sebelum tenggat (hari kerja)"))
    escalation_after_days = _days(3, _("eskalasi setelah lewat tenggat (hari kerja)"))
    aspirasi_counts_for_sanctions = models.BooleanField(_("aspirasi dihitung untuk sanksi TPP"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("kebijakan SLA")
        verbose_name_plural = _("kebijakan SLA")

    def __str__(self):
        return str(_("Kebijakan SLA"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
