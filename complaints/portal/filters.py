"""Filters of the public feed (django-filter). They narrow a queryset that already went through
`Complaint.objects.visible_to(user).public()`; none of them can widen it."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind, Area, Category
from complaints.models import Complaint, Disposition, Kind, Status
from complaints.portal.forms import AgencyChoiceField, CategoryChoiceField


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class AgencyFilter(django_filters.ModelChoiceFilter):
    field_class = AgencyChoiceField


class FeedFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=_("Semua status"))
    kind = django_filters.ChoiceFilter(label=_("Jenis"), choices=Kind.choices, empty_label=_("Semua jenis"))
    category = CategoryFilter(
        label=_("Kategori"),
        queryset=Category.objects.filter(is_active=True).order_by("order", "name"),
        to_field_name="slug",
        empty_label=_("Semua kategori"),
    )
    agency = AgencyFilter(
        label=_("Instansi"),
        queryset=Agency.objects.active().exclude(kind=AgencyKind.OBSERVER).select_related("parent").order_by("name"),
        to_field_name="slug",
        empty_label=_("Semua instansi"),
        method="filter_agency",
    )
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        queryset=Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name"),
        empty_label=_("Semua kecamatan"),
    )
    date_from = django_filters.DateFilter(
        label=_("Dari tanggal"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Sampai tanggal"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Complaint
        fields = ["status", "kind", "category", "agency", "kecamatan", "date_from", "date_to"]

    def filter_agency(self, queryset, name, value):
        # Reports held by the agency or a unit under it; EXISTS keeps one row per report.
        ids = value.descendants_and_self_ids()
        return queryset.filter(Exists(Disposition.objects.filter(complaint_id=OuterRef("pk"), agency_id__in=ids)))
