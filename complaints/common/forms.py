"""Form fields the citizen, staff and dashboard forms build alike."""

from django import forms

from complaints.common import widgets


def text_area(label, max_length, rows, **options):
    """Free text typed in a box `rows` lines high (Django's textarea markup, written in Python:
    complaints/common/widgets.py)."""
    return forms.CharField(label=label, max_length=max_length, widget=widgets.Textarea(attrs={"rows": rows}), **options)
