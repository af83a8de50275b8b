"""Form fields the citizen, staff and dashboard forms build alike."""

from django import forms


def text_area(label, max_length, rows, **options):
    """Free text typed in a box `rows` lines high."""
    return forms.CharField(label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), **options)
