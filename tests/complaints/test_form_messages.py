"""Errors that say what to do: which field, and how to get it right."""

import pytest
from django.core.exceptions import ValidationError

from accounts.phone import normalize_phone
from complaints.portal.forms import RateForm
from complaints.staff.forms import VerifyForm


def test_a_missing_rating_asks_for_a_score_and_the_comment_warns_it_is_public():
    form = RateForm({"comment": "Terima kasih"})
    assert form.errors["score"] == ["Pilih nilai dari 1 sampai 5."]
    assert "tampil untuk umum" in str(form.fields["comment"].help_text)


@pytest.mark.django_db
def test_verifying_without_an_opd_says_to_choose_one(region):
    assert VerifyForm({}).errors["agencies"] == ["Pilih sedikitnya satu OPD tujuan."]


def test_a_wrong_phone_number_shows_the_expected_format():
    with pytest.raises(ValidationError) as err:
        normalize_phone("12345")
    assert "Contoh: 0812-3456-7890" in err.value.messages[0]
