"""The superadmin's configuration: the agency tree, areas, categories and routing, the holiday
calendar and the (single-row) SLA policy."""

from django.contrib import admin
from django.db.models import F
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import Agency, Area, AreaRoute, Category, Holiday, SlaPolicy


class TopLevelFilter(admin.SimpleListFilter):
    title = _("tingkat")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("top", _("Instansi induk")), ("unit", _("Unit di bawah instansi"))]

    def queryset(self, request, queryset):
        if self.value() == "top":
            return queryset.filter(parent__isnull=True)
        if self.value() == "unit":
            return queryset.filter(parent__isnull=False)
        return queryset


class UnitInline(admin.TabularInline):
    model = Agency
    fk_name = "parent"
    fields = ("name", "short_name", "slug", "kind", "is_active")
    extra = 0
    show_change_link = True
    verbose_name = _("unit")
    verbose_name_plural = _("unit di bawahnya")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "short_name", "slug", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active", TopLevelFilter, ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    fields = ("name", "short_name", "slug", "kind", "parent", "email", "is_active")
    # The tree: each top-level agency followed by its units.
    ordering = ("root__name", "root_id", F("parent").asc(nulls_first=True), "name")
    inlines = [UnitInline]

    @admin.display(description=_("nama"), ordering="name")
    def tree_name(self, obj):
        return f"— {obj.name}" if obj.parent_id else obj.name


class KelurahanInline(admin.TabularInline):
    model = Area
    fk_name = "parent"
    fields = ("name", "code", "level", "lat", "lng")
    extra = 0
    verbose_name = _("kelurahan/desa")
    verbose_name_plural = _("kelurahan/desa")


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent", "lat", "lng", "has_boundary")
    list_filter = ("level", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "code")
    ordering = ("code",)
    inlines = [KelurahanInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Area.objects.filter(level=Area.Level.KECAMATAN)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The boundary comes from `manage.py import_areas` (docs/areas.md), not from this form.
    @admin.display(description=_("batas wilayah"), boolean=True)
    def has_boundary(self, obj):
        return obj.min_lat is not None  # set with the boundary; no query per row


class AreaRouteInline(admin.TabularInline):
    """Routing by kecamatan: this category's reports there go to another OPD or a unit."""

    model = AreaRoute
    fields = ("kecamatan", "agency")
    autocomplete_fields = ("agency",)
    extra = 0
    verbose_name = _("rute per kecamatan")
    verbose_name_plural = _("rute per kecamatan (selain instansi tujuan bawaan)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "kecamatan":
            kwargs["queryset"] = Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kecamatan", "agency")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "default_agency", "oversight", "is_active", "order")
    list_editable = ("order",)
    list_filter = ("oversight", "is_active", ("default_agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("default_agency",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("default_agency",)
    fields = ("name", "name_en", "slug", "description", "default_agency", "oversight", "is_active", "order")
    inlines = [AreaRouteInline]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "name", "kind", "source", "updated_at")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)
    readonly_fields = ("source", "updated_at")
    fields = ("date", "name", "kind", "source", "updated_at")

    @admin.display(description=_("hari"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    def save_model(self, request, obj, form, change):
        # An edited national holiday is the admin's from now on: `sync_holidays` leaves it alone.
        if change and form.has_changed():
            obj.source = "admin"
        super().save_model(request, obj, form, change)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """One row: the values each new clock copies when it starts."""

    list_display = ("__str__", "verification_days", "followup_days", "settlement_calendar_days", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SlaPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
