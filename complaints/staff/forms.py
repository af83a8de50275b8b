"""Staff forms: the operator's queue filters and review actions, manual entry, and the OPD
liaison's actions on a disposition.

The forms validate input only; every change goes through `complaints.workflow`, whose errors the
views put back on these forms.

The review page's forms offer lists of the reference tables (agencies, categories, areas): each is
read once per process and version of those tables (`agencies.reference`) and rendered by the
widgets of `complaints.common.choices`, which write their options without a template each. The
fields still validate against their querysets."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.phone import normalize_phone
from agencies import reference
from agencies.models import Agency, AgencyKind, Area, Category
from complaints import workflow
from complaints.common import widgets
from complaints.common.forms import text_area
from complaints.models import (
    MANUAL_CHANNELS,
    PRIVACY_RANK,
    TRACKING_RE,
    ArchiveReason,
    Channel,
    Institution,
    Kind,
    Privacy,
    parse_pk,
)
from complaints.portal.forms import (
    AgencyChoiceField,
    BodyForm,
    CategoryChoiceField,
    EvidenceField,
    ReportForm,
    agency_label,
    category_label,
    kelurahan_choices,
)

FILE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


def disposable_agencies():
    return (
        Agency.objects.disposable()
        .exclude(kind=AgencyKind.DISKOMINFO)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


def terlapor_agencies():
    """The agencies a report can name as terlapor."""
    return Agency.objects.active().exclude(kind=AgencyKind.OBSERVER).select_related("parent").order_by("name")


def kecamatan_areas():
    return Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name")


def _reference_choices():
    """Every list of the reference tables the staff forms offer, in the order and with the labels
    of their querysets (`disposable_agencies`, `terlapor_agencies`, …), made from the rows kept per
    process (agencies/reference.py) once per version of the tables and language: a page costs
    the same queries whichever of its forms it shows, and none once the rows are kept."""

    def build():
        kept = reference.tables()
        agencies = list(kept["agencies"].values())  # by name
        areas = list(kept["areas"].values())  # by name
        disposable = [a for a in agencies if a.is_active and a.kind not in (AgencyKind.OBSERVER, AgencyKind.DISKOMINFO)]
        kelurahan = [a for a in areas if a.level == Area.Level.KELURAHAN]
        (_empty, kelurahan_label), *kelurahan_groups = kelurahan_choices(
            areas=reference.by_parent_then_name(kelurahan, "areas")
        )
        return {
            "disposable": widgets.Options(
                [(a.slug, agency_label(a)) for a in reference.by_parent_then_name(disposable, "agencies")]
            ),
            "terlapor": widgets.Options(
                [(a.pk, agency_label(a)) for a in agencies if a.is_active and a.kind != AgencyKind.OBSERVER]
            ),
            "categories": widgets.Options([(c.pk, category_label(c)) for c in kept["categories"].values()]),
            "kecamatan": widgets.Options([(a.pk, a.name) for a in areas if a.level == Area.Level.KECAMATAN]),
            "kelurahan": widgets.Options(kelurahan_groups, kelurahan_label),
        }

    return reference.memo(("staff-choices", get_language()), build)


def disposable_agency_choices():
    return _reference_choices()["disposable"]


def terlapor_agency_choices():
    return _reference_choices()["terlapor"]


def category_choices():
    return _reference_choices()["categories"]


def kecamatan_choices():
    return _reference_choices()["kecamatan"]


def kelurahan_options():
    """The kelurahan grouped by kecamatan, led by the empty choice (`kelurahan_choices`)."""
    return _reference_choices()["kelurahan"]


def use_kept_choices(field, kept):
    """Render `field` (a model choice field: it still validates against its queryset) from the
    kept list, led by the field's empty choice when it has one."""
    empty = getattr(field, "empty_label", None)
    field.widget.choices = kept.with_empty(empty) if empty is not None else kept


class AgencySlugsField(forms.ModelMultipleChoiceField):
    """Agencies by slug (the workflow takes slugs), shown with their parent OPD."""

    widget = widgets.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=Agency.objects.none(), to_field_name="slug", **kwargs)

    def label_from_instance(self, obj):
        return agency_label(obj)


# The operator's queue ----------------------------------------------------------------------------
class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis"), required=False, choices=[("", _("Semua jenis")), *Kind.choices])
    category = CategoryChoiceField(
        label=_("Kategori"), required=False, queryset=Category.objects.none(), empty_label=_("Semua kategori")
    )
    channel = forms.ChoiceField(label=_("Kanal"), required=False, choices=[("", _("Semua kanal")), *Channel.choices])
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), required=False, queryset=Area.objects.none(), empty_label=_("Semua kecamatan")
    )
    overdue = forms.BooleanField(label=_("Hanya yang lewat tenggat"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.order_by("order", "name")
        self.fields["kecamatan"].queryset = Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name")

    def filters(self):
        """The valid filters only: a bad value is reported on the form and ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


# The review page ---------------------------------------------------------------------------------
class ActionForm(forms.Form):
    """A form of the review page: its field groups written in Python (complaints/common/widgets.py)."""

    bound_field_class = widgets.FieldGroup


class VerifyForm(ActionForm):
    agencies = AgencySlugsField(
        label=_("Disposisikan ke"),
        help_text=_("Pilih satu atau lebih OPD. Usulan dari kategori sudah dicentang."),
        error_messages={"required": _("Pilih sedikitnya satu OPD tujuan.")},
    )
    note = text_area(_("Catatan untuk OPD (opsional)"), max_length=2000, rows=2, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = disposable_agencies()
        use_kept_choices(self.fields["agencies"], disposable_agency_choices())


class DisposeForm(VerifyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].label = _("Disposisikan (lagi) ke")
        self.fields["agencies"].help_text = _(
            "Memilih OPD yang mengembalikan laporan berarti menolak pengembaliannya: isi alasannya di catatan."
        )
        self.fields["note"].label = _("Catatan / alasan")


class RefuseReturnForm(ActionForm):
    disposition = forms.IntegerField(widget=forms.HiddenInput)
    note = text_area(
        _("Alasan menolak pengembalian"),
        max_length=2000,
        rows=2,
        help_text=_("OPD menerima laporan kembali dengan alasan ini dan tenggat baru."),
    )


class PostponeForm(ActionForm):
    reason = text_area(
        _("Yang perlu dilengkapi pelapor"),
        max_length=2000,
        rows=3,
        min_length=5,
        help_text=_("Dikirim ke pelapor. Tenggat verifikasi berhenti sampai laporan dilengkapi."),
    )


class ArchiveForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Alasan arsip"),
        widget=widgets.Select,
        choices=[
            (r.value, r.label) for r in (ArchiveReason.INVALID, ArchiveReason.OUT_OF_SCOPE, ArchiveReason.NO_COMPLETION)
        ],
        help_text=_("Untuk laporan ganda, gunakan “Gabungkan” agar pelapornya ikut mengikuti laporan utama."),
    )
    note = text_area(
        _("Keterangan"),
        max_length=2000,
        rows=2,
        required=False,
        help_text=_("Wajib untuk laporan tidak valid. Dilihat pelapor."),
    )


class ForwardForm(ActionForm):
    institution = forms.ChoiceField(
        label=_("Teruskan ke instansi di luar daerah"), choices=Institution.choices, widget=widgets.Select
    )
    note = text_area(_("Keterangan untuk pelapor"), max_length=2000, rows=2, required=False)


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("Nomor laporan utama"),
        max_length=20,
        widget=widgets.TextInput,
        help_text=_("Laporan ini diarsipkan sebagai duplikat; pelapornya mengikuti laporan utama."),
    )

    def clean_into(self):
        value = self.cleaned_data["into"].strip().upper()
        if not re.fullmatch(TRACKING_RE, value):
            raise ValidationError(_("Nomor pelacakan berbentuk LPR-XXXX-XXXX."), code="invalid")
        return value


class SummaryForm(ActionForm):
    summary = text_area(
        _("Ringkasan publik"),
        max_length=10000,
        rows=4,
        required=False,
        help_text=_(
            "Tampil ke publik sebagai pengganti isi laporan. Hapus nama orang, alamat, dan kata kasar. "
            "Petugas tetap melihat isi asli. Kosongkan untuk menampilkan isi asli."
        ),
    )


class RaisePrivacyForm(ActionForm):
    privacy = forms.ChoiceField(label=_("Naikkan privasi menjadi"), choices=(), widget=widgets.Select)

    def __init__(self, *args, current=Privacy.UMUM, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy"].choices = [
            (value, label) for value, label in Privacy.choices if PRIVACY_RANK[value] > PRIVACY_RANK[current]
        ]


class ReclassifyForm(ActionForm):
    kind = forms.ChoiceField(label=_("Jenis"), choices=Kind.choices, widget=widgets.Select)
    category = CategoryChoiceField(
        label=_("Kategori"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— tanpa kategori —"),
        widget=widgets.Select,
    )
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("— tidak diketahui —"),
        widget=widgets.Select,
    )
    kelurahan = forms.ChoiceField(label=_("Kelurahan/desa"), required=False, widget=widgets.Select)
    location_text = forms.CharField(label=_("Lokasi"), max_length=255, required=False, widget=widgets.TextInput)
    terlapor_agency = AgencyChoiceField(
        label=_("Instansi terlapor"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("— tidak ada —"),
        widget=widgets.Select,
    )
    terlapor_reason = text_area(
        _("Alasan mengubah terlapor"),
        max_length=2000,
        rows=2,
        required=False,
        help_text=_(
            "Wajib bila menghapus atau mengganti terlapor yang sudah disebut: perubahan itu berlaku setelah "
            "disetujui pimpinan Diskominfo atau auditor."
        ),
    )

    FIELDS = ("kind", "category", "kecamatan", "kelurahan", "location_text", "terlapor_agency")

    def __init__(self, data=None, *args, complaint=None, **kwargs):
        if complaint is not None and data is None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": complaint.kind,
                    "category": complaint.category_id,
                    "kecamatan": complaint.kecamatan_id,
                    "kelurahan": complaint.kelurahan_id or "",
                    "location_text": complaint.location_text,
                    "terlapor_agency": complaint.terlapor_agency_id,
                },
            )
        super().__init__(data, *args, **kwargs)
        self.complaint = complaint
        self.fields["category"].queryset = Category.objects.order_by("order", "name")
        self.fields["kecamatan"].queryset = kecamatan_areas()
        self.fields["terlapor_agency"].queryset = terlapor_agencies()
        use_kept_choices(self.fields["category"], category_choices())
        use_kept_choices(self.fields["kecamatan"], kecamatan_choices())
        use_kept_choices(self.fields["terlapor_agency"], terlapor_agency_choices())
        # A plain choice field: it validates against these choices (then `clean_kelurahan`).
        self.fields["kelurahan"].choices = kelurahan_options()

    def clean_kelurahan(self):
        value = self.cleaned_data.get("kelurahan")
        if not value:
            return None
        pk = parse_pk(value)
        area = Area.objects.filter(pk=pk, level=Area.Level.KELURAHAN).first() if pk is not None else None
        if area is None:
            raise ValidationError(_("Pilih kelurahan/desa dari daftar."), code="invalid_choice")
        return area

    def clean(self):
        data = super().clean()
        kecamatan, kelurahan = data.get("kecamatan"), data.get("kelurahan")
        if kelurahan is not None:
            if kecamatan is None:
                data["kecamatan"] = kelurahan.parent
            elif kelurahan.parent_id != kecamatan.pk:
                self.add_error("kelurahan", _("Kelurahan tidak berada di kecamatan yang dipilih."))
        return data

    def changes(self):
        """Only the fields that differ from the report: the timeline records what changed."""
        out = {}
        for name in self.FIELDS:
            empty = "" if name == "location_text" else None
            new = self.cleaned_data.get(name) or empty
            if new != (getattr(self.complaint, name) or empty):
                out[name] = new
        return out


class TerlaporDecisionForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Keputusan"), choices=[("approve", _("Setujui")), ("reject", _("Tolak"))], widget=forms.RadioSelect
    )
    reason = text_area(_("Alasan"), max_length=2000, rows=2, min_length=10)


class FlagOversightForm(ActionForm):
    terlapor_agency = AgencyChoiceField(
        label=_("Instansi terlapor"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("— tidak disebut —"),
        help_text=_("Disposisi yang masih berjalan ke instansi ini (dan unit di bawah atau di atasnya) ditarik."),
        widget=widgets.Select,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terlapor_agency"].queryset = terlapor_agencies()
        use_kept_choices(self.fields["terlapor_agency"], terlapor_agency_choices())


class AttachmentVisibilityForm(ActionForm):
    attachment = forms.IntegerField(widget=forms.HiddenInput)
    public = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


# Manual entry ------------------------------------------------------------------------------------
class ManualEntryForm(ReportForm):
    """A report taken at the counter, by phone or from social media: the citizen form's fields and
    rules, plus the source and who reported it."""

    channel = forms.ChoiceField(
        label=_("Sumber laporan"), choices=[(c.value, c.label) for c in MANUAL_CHANNELS], widget=forms.RadioSelect
    )
    channel_link = forms.URLField(
        label=_("Tautan sumber"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Alamat unggahan media sosial (wajib untuk sumber media sosial)."),
    )
    anonymous = forms.BooleanField(
        label=_("Pelapor tidak ingin memberikan identitas"),
        required=False,
        help_text=_("Laporan tanpa identitas tidak dapat diberi kabar perkembangan; berikan nomor pelacakan."),
    )
    reporter_name = forms.CharField(label=_("Nama pelapor"), required=False, max_length=150)
    reporter_phone = forms.CharField(
        label=_("Nomor telepon pelapor"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    reporter_email = forms.EmailField(
        label=_("Email pelapor"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    accused_name = forms.CharField(label=_("Nama terlapor (hanya petugas)"), required=False, max_length=150)
    accused_position = forms.CharField(label=_("Jabatan terlapor (hanya petugas)"), required=False, max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy"].initial = workflow.DEFAULT_PRIVACY[Channel.WALK_IN]
        self.fields["privacy"].help_text = _("Tanyakan kepada pelapor. Laporan tanpa identitas sebaiknya anonim.")

    def clean_reporter_phone(self):
        raw = (self.cleaned_data.get("reporter_phone") or "").strip()
        return normalize_phone(raw) if raw else ""

    def clean_reporter_email(self):
        return (self.cleaned_data.get("reporter_email") or "").strip().lower()

    def clean(self):
        data = super().clean()  # the filing rules, the social link among them (workflow.check_filing)
        if data.get("anonymous"):
            for name in ("reporter_name", "reporter_phone", "reporter_email"):
                data[name] = ""
        else:
            if not (data.get("reporter_name") or "").strip():
                self.add_error("reporter_name", _("Isi nama pelapor, atau centang pelapor tanpa identitas."))
            if (
                not data.get("reporter_phone")
                and not data.get("reporter_email")
                and "reporter_phone" not in self.errors
            ):
                self.add_error("reporter_phone", _("Isi nomor telepon atau email pelapor agar ia menerima kabar."))
        return data

    def complaint_fields(self):
        fields = super().complaint_fields()
        d = self.cleaned_data
        fields.update(
            channel=d["channel"],
            channel_link=d.get("channel_link") or "",
            accused_name=d.get("accused_name") or "",
            accused_position=d.get("accused_position") or "",
        )
        return fields


# The OPD's actions on a disposition ------------------------------------------------------------------
class StaffBodyForm(BodyForm):
    def __init__(self, *args, label=None, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label
        if help_text:
            self.fields["body"].help_text = help_text


class BodyWithFilesForm(StaffBodyForm):
    files = EvidenceField(label=_("Lampiran (opsional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({"accept": FILE_ACCEPT, "multiple": True})


class ReasonForm(forms.Form):
    reason = text_area(_("Alasan"), max_length=5000, rows=3, min_length=10)

    def __init__(self, *args, label=None, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        if help_text:
            self.fields["reason"].help_text = help_text


class SubdisposeForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Agency.objects.none(),
        to_field_name="slug",
        empty_label=_("— pilih unit —"),
        help_text=_("Tenggat tindak lanjut tetap sama (ikut disposisi OPD)."),
    )

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agency is not None:
            ids = [pk for pk in agency.descendants_and_self_ids() if pk != agency.pk]
            self.fields["unit"].queryset = Agency.objects.active().filter(pk__in=ids).order_by("name")
