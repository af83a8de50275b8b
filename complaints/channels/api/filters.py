"""Filters of `GET /api/v1/complaints/`. They narrow a queryset that already went through
`Complaint.objects.visible_to(user)`; none of them can widen it."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from agencies.models import Agency, AgencyKind, Category
from complaints.common import search
from complaints.models import Complaint, Disposition, Kind, Privacy, Status


@extend_schema_field(OpenApiTypes.STR)
class SlugFilter(django_filters.ModelChoiceFilter):
    """A model chosen by its slug (documented as a string)."""


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not "no filter" as Django's select reads it."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise ValidationError(_("Isi true atau false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


ORDERINGS = {
    "-created_at": ("-created_at", "-pk"),
    "created_at": ("created_at", "pk"),
    "verification_due_at": ("verification_due_at", "created_at", "pk"),
    "-support_count": ("-support_count", "-created_at", "-pk"),
    "-updated_at": ("-updated_at", "-pk"),
}


def _search_help_text():
    # Lazy: read in the language of the request that renders the schema, with the actual bound.
    return gettext(
        "Pencarian teks penuh. Hanya %(n)s laporan terbaru yang cocok yang diurutkan menurut relevansi dan "
        "dihitung (`count`); saringan lain diterapkan lebih dulu."
    ) % {"n": search.RANKED_MATCHES}


_search_help = lazy(_search_help_text, str)


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=_("Status (§4); boleh diulang: ?status=proses&status=selesai.")
    )
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    privacy = django_filters.ChoiceFilter(choices=Privacy.choices)
    category = SlugFilter(queryset=Category.objects.all(), to_field_name="slug", help_text=_("Slug kategori."))
    agency = SlugFilter(
        queryset=Agency.objects.exclude(kind=AgencyKind.OBSERVER),
        to_field_name="slug",
        method="filter_agency",
        help_text=_("Slug instansi: laporan yang didisposisikan ke instansi itu atau unit di bawahnya."),
    )
    mine = StrictBooleanFilter(method="filter_mine", help_text=_("true: hanya laporan Anda sendiri."))
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=_search_help(),
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="filter_ordering",
        empty_label=None,
        help_text=_("Urutan; bawaan: terbaru dulu (atau relevansi bila ada q)."),
    )

    class Meta:
        model = Complaint
        fields = ["status", "kind", "privacy", "category", "agency", "mine", "q", "ordering"]

    def filter_agency(self, queryset, name, value):
        ids = value.descendants_and_self_ids()
        return queryset.filter(Exists(Disposition.objects.filter(complaint_id=OuterRef("pk"), agency_id__in=ids)))

    def filter_mine(self, queryset, name, value):
        user = self.request.user if self.request else None
        if not value:
            return queryset
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(reporter_id=user.pk)

    def filter_q(self, queryset, name, value):
        # The original text of a summarised report is never searched here (see complaints.common.search).
        return search.search(queryset, value)

    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS[value])
