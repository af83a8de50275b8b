"""The widgets and field group of complaints/common/widgets.py write exactly the markup of Django's
own (the review page's forms render through them, docs/benchmarks.md): the same ids, labels,
`aria-*` attributes, `required`, `checked` and `selected`, byte for byte, bound or not, with errors
or help text or neither; and a kept choice list is escaped once and reused."""

import itertools

import pytest
from django import forms
from django.utils import translation

from complaints.common import widgets

CHOICES = [
    ("", "— tidak ada —"),
    ("1", "Dinas PU & <Bina Marga>"),
    ("Kecamatan Kota", [("2", "Lamokato"), ("3", "Watubangga")]),
    ("", [("4", "Tanpa kecamatan")]),  # a group without a name: Django shows no <optgroup>
    (5, "Lima"),
]


def form_class(fast, required, help_text):
    """One form with every kind of field the review page has, with Django's widgets and bound
    field (`fast=False`) or ours."""

    def pick(django_widget, ours):
        return ours if fast else django_widget

    attrs = {
        "label": "Pilih",
        "help_text": help_text,
        "required": required,
    }

    class Form(forms.Form):
        if fast:
            bound_field_class = widgets.FieldGroup
        agencies = forms.MultipleChoiceField(
            choices=CHOICES, widget=pick(forms.CheckboxSelectMultiple, widgets.CheckboxSelectMultiple), **attrs
        )
        classed = forms.MultipleChoiceField(
            choices=CHOICES,
            widget=pick(forms.CheckboxSelectMultiple, widgets.CheckboxSelectMultiple)(attrs={"class": "a b"}),
            **attrs,
        )
        area = forms.ChoiceField(choices=CHOICES, widget=pick(forms.Select, widgets.Select), **attrs)
        note = forms.CharField(
            max_length=5, widget=pick(forms.Textarea, widgets.Textarea)(attrs={"rows": 2}), **{**attrs, "label": "Isi?"}
        )
        into = forms.CharField(max_length=20, widget=pick(forms.TextInput, widgets.TextInput), **attrs)
        hidden = forms.IntegerField(required=required, widget=pick(forms.HiddenInput, widgets.HiddenInput))
        unlabelled = forms.CharField(label="", required=False, widget=pick(forms.TextInput, widgets.TextInput))

    return Form


FORM_ARGUMENTS = [
    {
        "prefix": "verify",
        "initial": {"agencies": ["2", "5"], "area": "3", "note": "a <b>\nc", "into": "LPR", "hidden": 5},
    },
    {"prefix": "verify", "initial": {"classed": ["1"], "area": 5}},
    {
        "prefix": "verify",
        "data": {"verify-agencies": ["zz"], "verify-area": "zz", "verify-note": "x" * 9, "verify-hidden": "q"},
    },
    {"data": {"agencies": ["1", "4"], "area": "4", "note": "ok", "into": "LPR-1", "hidden": "3"}},
    {"auto_id": False, "initial": {"agencies": ["1"]}},
    {"auto_id": "f_%s", "label_suffix": ""},
]


@pytest.mark.parametrize(
    "required, help_text, arguments",
    list(itertools.product([False, True], ["", "Bantuan & <i>catatan</i>"], FORM_ARGUMENTS)),
)
def test_the_markup_is_djangos(required, help_text, arguments):
    django_form = form_class(False, required, help_text)(**arguments)
    our_form = form_class(True, required, help_text)(**arguments)
    django_form.is_valid()
    our_form.is_valid()
    for name in django_form.fields:
        theirs, ours = django_form[name], our_form[name]
        assert ours.as_field_group() == theirs.as_field_group(), name
        assert str(ours) == str(theirs), name
        assert ours.label_tag() == theirs.label_tag(), name
        assert ours.legend_tag() == theirs.legend_tag(), name


def test_each_checkbox_has_its_own_id_and_label_in_each_form():
    form = form_class(True, True, "Bantuan")
    html = form(prefix="verify").as_div() + form(prefix="dispose").as_div()
    for prefix in ("verify", "dispose"):
        for n in ("0", "1", "2_0", "2_1", "3_0", "4"):
            box = f"id_{prefix}-agencies_{n}"
            assert html.count(f'id="{box}"') == 1 and html.count(f'for="{box}"') == 1


def test_a_kept_list_is_escaped_once_and_shared(monkeypatch):
    kept = widgets.Options([(1, "Satu & dua"), ("Grup", [(2, "Dua")])])
    first = kept.with_empty("— pilih —")
    assert "Satu &amp; dua" in widgets.Select(choices=first).render("x", 1)
    calls = []
    original = widgets._option
    monkeypatch.setattr(widgets, "_option", lambda *a: calls.append(a) or original(*a))
    second = kept.with_empty("— lain —")
    html = widgets.Select(choices=second).render("x", 2)
    assert first.html()[1:] == second.html()[1:]
    assert {value for value, _label in calls} == {""}  # only the empty choices, never the list's own
    assert '<option value="2" selected>Dua</option>' in html and "— lain —" in html
    assert list(second) == [("", "— lain —"), (1, "Satu & dua"), ("Grup", [(2, "Dua")])]


def test_a_kept_list_validates_like_its_choices():
    class Form(forms.Form):
        area = forms.ChoiceField(required=False, widget=widgets.Select)

    form = Form({"area": "3"})
    form.fields["area"].choices = widgets.Options([("Kota", [("2", "A"), ("3", "B")])], "— pilih —")
    assert form.is_valid() and form.cleaned_data["area"] == "3"
    bad = Form({"area": "9"})
    bad.fields["area"].choices = widgets.Options([("Kota", [("2", "A")])], "— pilih —")
    assert not bad.is_valid()


def test_labels_follow_the_language_of_the_page():
    kept = widgets.Options([("a", forms.Field.default_error_messages["required"])])
    select = widgets.Select(choices=kept.with_empty(forms.Field.default_error_messages["required"]))
    with translation.override("en"):
        english = select.render("x", None)
    with translation.override("id"):
        indonesian = select.render("x", None)
    assert "This field is required." in english
    assert "This field is required." not in indonesian
