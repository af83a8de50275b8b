"""`get_<field>_display()` of reports, dispositions and timeline entries reads a table of choices
made once (complaints.models.ChoiceLabels) and says exactly what Django's own says, in the
language of the moment, for every choice and for a value outside them."""

import pytest
from django.db import models
from django.utils import translation

from complaints.models import Complaint, Disposition, Event


@pytest.mark.parametrize("model", [Complaint, Disposition, Event])
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_same_label_as_djangos(model, language):
    obj = model()
    fields = [f for f in model._meta.concrete_fields if f.choices]
    assert fields
    with translation.override(language):
        for field in fields:
            for value in [v for v, _label in field.flatchoices] + ["tidak-ada"]:
                setattr(obj, field.attname, value)
                ours = getattr(obj, f"get_{field.name}_display")()
                assert ours == models.Model._get_FIELD_display(obj, field), (field.name, value)


def test_the_label_follows_the_language():
    entry = Event(type="verified")
    with translation.override("id"):
        indonesian = entry.get_type_display()
    with translation.override("en"):
        english = entry.get_type_display()
    assert indonesian != english
