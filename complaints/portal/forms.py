"""Citizen forms: filing a report (with evidence) and the reporter's actions on the tracking page.

The forms validate input only; every change goes through `complaints.workflow`."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind, Area, Category
from complaints import workflow
from complaints.common import idempotency
from complaints.common.forms import text_area
from complaints.errors import WorkflowError
from complaints.models import Channel, Kind, Privacy, parse_pk

KIND_HELP = {
    Kind.ADUAN: _("Keluhan tentang pelayanan publik yang buruk atau tidak berjalan."),
    Kind.ASPIRASI: _("Usulan atau saran untuk perbaikan pelayanan dan pembangunan."),
    Kind.INFORMASI: _("Meminta informasi publik dari instansi pemerintah (UU 14/2008 tentang KIP)."),
}
PRIVACY_HELP = {
    Privacy.UMUM: _("Laporan dan nama Anda tampil ke publik."),
    Privacy.ANONIM: _("Laporan tampil ke publik, nama Anda disembunyikan."),
    Privacy.RAHASIA: _("Hanya Anda dan petugas yang melihat laporan; tidak tampil ke publik."),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files in one input; each is checked by `complaints.evidence.uploads` in the view."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


def category_label(category):
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return category_label(obj)


def agency_label(agency):
    """An agency as the lists show it: a unit with its parent OPD."""
    return agency.name if not agency.parent_id else f"{agency.name} — {agency.parent.name}"


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return agency_label(obj)


# Fields the citizen and staff forms build alike.
def coordinate_field(label, limit, example):
    """A latitude (`limit` 90) or longitude (180), optional; `example` is its help text."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        help_text=example,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


def optional_agency_field(label, empty_label, help_text):
    """An optional agency; the form sets its queryset."""
    return AgencyChoiceField(
        label=label, queryset=Agency.objects.none(), required=False, empty_label=empty_label, help_text=help_text
    )


def kelurahan_choices(kecamatan_id=None, *, areas=None):
    """Kelurahan grouped by kecamatan (<optgroup>), or only those of one kecamatan once chosen
    (the server-side filter that works without JavaScript). `areas`: the kelurahan, with their
    kecamatan, in this order, when the caller has them already (agencies/reference.py)."""
    if areas is None:
        areas = (
            Area.objects.filter(level=Area.Level.KELURAHAN).select_related("parent").order_by("parent__name", "name")
        )
        if kecamatan_id:
            areas = areas.filter(parent_id=kecamatan_id)
    elif kecamatan_id:
        areas = [a for a in areas if a.parent_id == kecamatan_id]
    groups = {}
    for area in areas:
        groups.setdefault(area.parent.name if area.parent_id else "", []).append((str(area.pk), area.name))
    return [("", _("— pilih kelurahan/desa —")), *groups.items()]


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Jenis laporan"), choices=Kind.choices, initial=Kind.ADUAN, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("Judul"),
        min_length=5,
        max_length=200,
        help_text=_("Singkat dan jelas, misalnya “Jalan berlubang di depan Pasar Baru”."),
    )
    body = text_area(
        _("Isi laporan"),
        max_length=10000,
        rows=7,
        min_length=10,
        help_text=_(
            "Ceritakan apa yang terjadi, kapan, di mana, dan siapa yang terlibat. "
            "Jangan tulis nomor telepon atau alamat rumah di sini."
        ),
    )
    category = CategoryChoiceField(
        label=_("Kategori"), queryset=Category.objects.none(), empty_label=_("— pilih kategori —")
    )
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=Area.objects.none(), required=False, empty_label=_("— pilih kecamatan —")
    )
    kelurahan = forms.ChoiceField(label=_("Kelurahan/desa"), required=False)
    location_text = forms.CharField(
        label=_("Lokasi"), max_length=255, required=False, help_text=_("Nama jalan, patokan, atau nama kantor layanan.")
    )
    lat = coordinate_field(_("Lintang"), 90, _("Contoh: -4.601234"))
    lng = coordinate_field(_("Bujur"), 180, _("Contoh: 121.903456"))
    incident_date = forms.DateField(
        label=_("Tanggal kejadian"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    target_agency = optional_agency_field(
        _("Instansi tujuan (opsional)"),
        _("— biar operator yang menentukan —"),
        _("Instansi yang menurut Anda berwenang. Operator dapat mengubahnya."),
    )
    terlapor_agency = optional_agency_field(
        _("Instansi yang dilaporkan (opsional)"),
        _("— tidak ada —"),
        _(
            "Jika laporan Anda tentang perilaku instansi atau pegawainya. Instansi ini tidak akan "
            "menangani laporan Anda dan tidak melihat identitas Anda."
        ),
    )
    privacy = forms.ChoiceField(
        label=_("Privasi"),
        choices=Privacy.choices,
        initial=workflow.DEFAULT_PRIVACY[Channel.WEB],
        widget=forms.RadioSelect,
    )
    files = EvidenceField(label=_("Bukti (foto atau PDF)"), required=False)
    # One-time key made when the form is shown: posting the form twice files one report.
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, initial=idempotency.new_key)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.add_prefix("submission_key")
        if self.is_bound and idempotency.form_key(self.data.get(name)) is None:
            # A post without a usable key (an old page, a script) files once, and the form shown
            # again with errors carries a key from now on.
            self.data = self.data.copy()
            self.data[name] = idempotency.new_key()
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("order", "name")
        self.fields["kecamatan"].queryset = Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name")
        agencies = Agency.objects.active().select_related("parent").order_by("name")
        self.fields["target_agency"].queryset = agencies.exclude(kind=AgencyKind.OBSERVER)
        self.fields["terlapor_agency"].queryset = agencies.exclude(kind=AgencyKind.OBSERVER)
        chosen = self.data.get(self.add_prefix("kecamatan")) if self.is_bound else self.initial.get("kecamatan")
        chosen = str(pk) if (pk := parse_pk(chosen)) is not None else None
        self.fields["kelurahan"].choices = kelurahan_choices(chosen)
        self.fields["files"].widget.attrs.update(
            {"accept": "image/jpeg,image/png,image/webp,application/pdf", "multiple": True}
        )
        self.fields["files"].help_text = _(
            "JPEG, PNG, WebP, atau PDF. Maksimum %(n)s berkas, %(file)s MB per berkas, %(total)s MB seluruhnya. "
            "Data lokasi dan kamera di foto dihapus otomatis."
        ) % {
            "n": settings.UPLOAD_MAX_FILES,
            "file": _mb(settings.UPLOAD_MAX_FILE_BYTES),
            "total": _mb(settings.UPLOAD_MAX_REPORT_BYTES),
        }

    def kind_options(self):
        return [(value, label, KIND_HELP[value]) for value, label in Kind.choices]

    def privacy_options(self):
        return [(value, label, PRIVACY_HELP[value]) for value, label in Privacy.choices]

    def clean_kelurahan(self):
        value = self.cleaned_data.get("kelurahan")
        if not value:
            return None
        area = Area.objects.filter(pk=value, level=Area.Level.KELURAHAN).select_related("parent").first()
        if area is None:
            raise ValidationError(_("Pilih kelurahan/desa dari daftar."), code="invalid_choice")
        return area

    def _coordinate(self, name):
        value = self.cleaned_data.get(name)
        # A phone's GPS gives 15 decimals; six (about 10 cm) is all the column keeps.
        return None if value is None else value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    def clean_lat(self):
        return self._coordinate("lat")

    def clean_lng(self):
        return self._coordinate("lng")

    def clean_submission_key(self):
        return idempotency.form_key(self.cleaned_data.get("submission_key"))

    def clean(self):
        """The rules between fields are `workflow.check_filing`'s; the form puts its answer on
        its own fields."""
        data = super().clean()
        if data.get("kelurahan") is not None and data.get("kecamatan") is None:
            data["kecamatan"] = data["kelurahan"].parent
        fields = {name: data.get(name) for name in workflow.FILING_FIELDS if name not in self.errors}
        errors = workflow.check_filing(channel=data.get("channel") or Channel.WEB, **fields)
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        if not errors and not self.errors:
            # The kelurahan from the pin, already for the similar-reports step (its kecamatan).
            workflow.fill_area_from_point(data)
        return data

    def complaint_fields(self):
        """The cleaned fields as `workflow.file_complaint` takes them."""
        return workflow.filing_fields(self.cleaned_data)


def put_errors(form, err):
    """A workflow or model error onto a citizen or staff form: on its field when the form has
    one, else on the form."""
    fields = err.fields if isinstance(err, WorkflowError) else getattr(err, "message_dict", {})
    placed = False
    for name, msgs in (fields or {}).items():
        for msg in msgs if isinstance(msgs, list | tuple) else [msgs]:
            form.add_error(name if name in form.fields else None, msg)
            placed = True
    if not placed:
        form.add_error(None, err.message if isinstance(err, WorkflowError) else "; ".join(err.messages))


def _mb(n):
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 and value == int(value) else f"{value:.1f}"


# The reporter's actions on the tracking page --------------------------------------------------
class BodyForm(forms.Form):
    body = text_area(_("Pesan"), max_length=10000, rows=4)


class ReplyForm(BodyForm):
    files = EvidenceField(label=_("Lampiran (opsional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Tanggapan Anda")
        self.fields["files"].widget.attrs.update(
            {"accept": "image/jpeg,image/png,image/webp,application/pdf", "multiple": True}
        )


class CompleteForm(ReplyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Kelengkapan laporan")
        self.fields["body"].help_text = _("Jawab apa yang diminta operator.")


class ReopenForm(BodyForm):
    dispositions = forms.MultipleChoiceField(
        label=_("Instansi yang hasilnya belum Anda terima"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kosongkan untuk membuka kembali ke semua instansi."),
    )

    def __init__(self, *args, dispositions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Alasan membuka kembali")
        self.fields["dispositions"].choices = [(str(d.pk), d.agency.name) for d in dispositions]


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Nilai"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 — sangat puas")),
            (4, _("4 — puas")),
            (3, _("3 — cukup")),
            (2, _("2 — kurang puas")),
            (1, _("1 — tidak puas")),
        ],
        error_messages={"required": _("Pilih nilai dari 1 sampai 5.")},
    )
    comment = text_area(
        _("Komentar (opsional)"),
        max_length=2000,
        rows=3,
        required=False,
        # The comment goes on the report's public timeline with the rating (workflow.rate).
        help_text=_(
            "Komentar tampil untuk umum di riwayat laporan bersama nilai Anda. Jangan tulis nama, nomor "
            "telepon, atau data pribadi lain."
        ),
    )


class PrivacyForm(forms.Form):
    privacy = forms.ChoiceField(label=_("Tingkat privasi"), choices=Privacy.choices, widget=forms.RadioSelect)

    def options(self):
        return [(value, label, PRIVACY_HELP[value]) for value, label in Privacy.choices]


class KelurahanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.parent.name}" if obj.parent_id else obj.name


class FollowForm(forms.Form):
    """/ikuti/: what to follow (a kecamatan, a kelurahan and/or a category) and where the digest
    goes. A signed-in account with a verified email follows with that address; anyone else gets a
    confirmation link first (complaints.outbox.digests)."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"),
        queryset=Area.objects.filter(level=Area.Level.KECAMATAN).order_by("name"),
        required=False,
        empty_label=_("Semua kecamatan"),
    )
    kelurahan = KelurahanChoiceField(
        label=_("Kelurahan/desa"),
        queryset=Area.objects.filter(level=Area.Level.KELURAHAN)
        .select_related("parent")
        .order_by("parent__name", "name"),
        required=False,
        empty_label=_("Semua kelurahan/desa"),
    )
    category = CategoryChoiceField(
        label=_("Kategori"),
        queryset=Category.objects.filter(is_active=True).order_by("order", "name"),
        required=False,
        empty_label=_("Semua kategori"),
    )

    def clean(self):
        data = super().clean()
        kecamatan, kelurahan = data.get("kecamatan"), data.get("kelurahan")
        if not (kecamatan or kelurahan or data.get("category")):
            raise ValidationError(_("Pilih kecamatan, kelurahan/desa atau kategori yang ingin diikuti."))
        if kelurahan and kecamatan and kelurahan.parent_id != kecamatan.pk:
            self.add_error("kelurahan", _("Kelurahan/desa ini tidak berada di kecamatan yang dipilih."))
        if kelurahan and not kecamatan:
            data["kecamatan"] = kelurahan.parent
        return data
