"""Form widgets, and a field group, that write their markup in Python instead of a template per
option and per field.

Django renders every `<option>` and every checkbox of a choice widget through templates of its
own (the option, its attributes, the input), and every field group (`as_field_group`: label, help
text, errors, widget) through four more: a page with a few selects of agencies and areas and a
dozen fields spent most of its time there (the operator's review page, docs/benchmarks.md). The
classes below write the same markup as Django's: the same ids (one per form and field,
`id_<prefix>-<name>_<n>` for each checkbox), labels, `aria-*` attributes, `required` and
`checked`/`selected`; tests/staff/test_widgets.py holds them to Django's output, byte for byte.

`Options` is a choice list that keeps each option's escaped value and label once it has rendered
them: a list built once per process from the reference tables (`agencies.reference.memo`) is
escaped once, then reused by every form of every page. A field given `Options` keeps it as is
(Django's choice fields accept any `BaseChoiceIterator`), so validation sees the same choices."""

from django import forms
from django.forms.boundfield import BoundField
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def _attrs(attrs):
    """The attributes as django/forms/widgets/attrs.html writes them: in order, `True` as a bare
    name, `False` left out."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not False:
            out.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(out)


class Options(BaseChoiceIterator):
    """Choices ([(value, label)], a label may be a list of (value, label) under a group name),
    optionally led by an empty choice, with their HTML kept once rendered. Immutable: a cached
    list is shared by every request of the process."""

    def __init__(self, choices, empty_label=None, *, _html=None):
        self._choices = list(choices)
        self.empty_label = empty_label
        self._html = _html

    def __iter__(self):
        if self.empty_label is not None:
            yield ("", self.empty_label)
        yield from self._choices

    def with_empty(self, label):
        """The same options led by an empty choice named `label` (translated when rendered)."""
        return Options(self._choices, label, _html=self._own_html())

    def _own_html(self):
        if self._html is None:
            self._html = [_entry(value, label) for value, label in self._choices]
        return self._html

    def html(self):
        """[(group name HTML, grouped?, [(value, value HTML, label HTML)])], one entry per choice
        as Django's `ChoiceWidget.optgroups` counts them (the empty choice first)."""
        if self.empty_label is None:
            return self._own_html()
        return [_entry("", self.empty_label), *self._own_html()]


def _option(value, label):
    value = "" if value is None else str(value)
    return value, escape(value), conditional_escape(label)


def _entry(value, label):
    if isinstance(label, (list, tuple)):
        return conditional_escape(value) if value else "", True, [_option(v, sub) for v, sub in label]
    return "", False, [_option(value, label)]


def _html_of(choices):
    return (choices if isinstance(choices, Options) else Options(choices)).html()


def _split_id(attrs):
    """(attributes before the id, the id, attributes after it): an option's id takes the place of
    the widget's among the attributes, as in Django's `ChoiceWidget.create_option`."""
    names = list(attrs)
    if "id" not in attrs:
        return _attrs(attrs), None, ""
    at = names.index("id")
    before = {k: attrs[k] for k in names[:at]}
    after = {k: attrs[k] for k in names[at + 1 :]}
    return _attrs(before), attrs["id"], _attrs(after)


class Select(forms.Select):
    """`forms.Select`, its options written in Python (the markup of django/forms/widgets/select.html)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        chosen = set(self.format_value(value))
        found = False
        out = [f'<select name="{escape(name)}"{_attrs(attrs)}>']
        for group, _grouped, options in _html_of(self.choices):
            if group:
                out.append(f'\n  <optgroup label="{group}">')
            for raw, value_html, label_html in options:
                selected = (not found or self.allow_multiple_selected) and raw in chosen
                found |= selected
                mark = " selected" if selected else ""
                out.append(f'\n  <option value="{value_html}"{mark}>{label_html}</option>\n')
            if group:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - names, values, labels and attributes escaped above


class CheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """`forms.CheckboxSelectMultiple`, its boxes written in Python (the markup of
    django/forms/widgets/multiple_input.html): each box inside its label, ids `<id>_<n>`."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        before, box_id, after = _split_id(attrs)
        chosen = set(self.format_value(value))
        name_html = escape(name)
        out = ["<div"]
        if box_id:
            out.append(f' id="{conditional_escape(box_id)}"')
        if attrs.get("class"):
            out.append(f' class="{conditional_escape(attrs["class"])}"')
        out.append(">")
        for index, (group, grouped, options) in enumerate(_html_of(self.choices)):
            if group:
                out.append(f"\n  <div><label>{group}</label>")
            for sub, (raw, value_html, label_html) in enumerate(options):
                if box_id:
                    option_id = conditional_escape(f"{box_id}_{index}_{sub}" if grouped else f"{box_id}_{index}")
                    label_open, id_attr = f'<label for="{option_id}">', f' id="{option_id}"'
                else:
                    label_open, id_attr = "<label>", ""
                mark = " checked" if raw in chosen else ""
                out.append(
                    f"<div>\n    {label_open}"
                    f'<input type="checkbox" name="{name_html}" value="{value_html}"{before}{id_attr}{after}{mark}>\n'
                    f" {label_html}</label>\n\n</div>"
                )
            if group:
                out.append("\n  </div>")
        out.append("\n</div>")
        return mark_safe("".join(out))  # noqa: S308 - names, values, labels and attributes escaped above


class Textarea(forms.Textarea):
    """`forms.Textarea` (django/forms/widgets/textarea.html) written in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        value = self.format_value(value)
        text = conditional_escape(value) if value else ""
        return mark_safe(f'<textarea name="{escape(name)}"{_attrs(attrs)}>\n{text}</textarea>')  # noqa: S308 - escaped


class TextInput(forms.TextInput):
    """`forms.TextInput` (django/forms/widgets/input.html) written in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        value = self.format_value(value)
        shown = f' value="{conditional_escape(value)}"' if value is not None else ""
        html = f'<input type="{self.input_type}" name="{escape(name)}"{shown}{_attrs(attrs)}>'
        return mark_safe(html)  # noqa: S308 - the name, value and attributes are escaped


class HiddenInput(forms.HiddenInput):
    """`forms.HiddenInput` (django/forms/widgets/input.html) written in Python."""

    render = TextInput.render


class FieldGroup(BoundField):
    """A bound field whose `as_field_group` (and label) are written in Python: the markup of
    django/forms/field.html and label.html. A form uses it with `bound_field_class = FieldGroup`.
    Errors, when there are any, are still rendered by their template."""

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        contents = contents or self.label
        if label_suffix is None:
            label_suffix = self.field.label_suffix if self.field.label_suffix is not None else self.form.label_suffix
        if label_suffix and contents and contents[-1] not in _(":?.!"):
            contents = format_html("{}{}", contents, label_suffix)
        widget = self.field.widget
        id_ = widget.attrs.get("id") or self.auto_id
        if not id_:
            return conditional_escape(contents)
        id_for_label = widget.id_for_label(id_)
        if id_for_label:
            attrs = {**(attrs or {}), "for": id_for_label}
        if self.field.required and hasattr(self.form, "required_css_class"):
            attrs = attrs or {}
            required = self.form.required_css_class
            attrs["class"] = f"{attrs['class']} {required}" if "class" in attrs else required
        tag = tag or "label"
        html = f"<{tag}{_attrs(attrs or {})}>{conditional_escape(contents)}</{tag}>"
        return mark_safe(html)  # noqa: S308 - the label and attributes are escaped

    def as_field_group(self):
        out = []
        if self.use_fieldset:
            described = self.aria_describedby
            out.append(
                f'\n  <fieldset aria-describedby="{escape(described)}">\n  ' if described else "\n  <fieldset>\n  "
            )
            if self.label:
                out.append(self.legend_tag())
        else:
            out.append("\n  ")
            if self.label:
                out.append(self.label_tag())
        out.append("\n\n")
        if self.help_text:
            helptext_id = f' id="{escape(self.auto_id)}_helptext"' if self.auto_id else ""
            out.append(f'<div class="helptext"{helptext_id}>{self.help_text}</div>')
        errors = self.errors
        out.append(f"\n{errors if errors else ''}\n")
        out.append(str(self))
        if self.use_fieldset:
            out.append("</fieldset>")
        # Stripped as Django's form renderer strips what its templates write. The help text is
        # the form's own (Django marks it safe too); everything else is escaped above.
        return mark_safe("".join(out).strip())  # noqa: S308
