"""The models and the migrations agree (`makemigrations --check`), as a test too: `make test` runs
the same check before pytest, and a run of pytest alone must not miss it."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_migration_is_missing():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without a migration:\n{out.getvalue()}")
        raise AssertionError from exit_
