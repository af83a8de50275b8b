"""Celery tasks of the agencies app: thin, idempotent, each calls a service."""

from celery import shared_task


@shared_task
def sync_holidays(years=None):
    """Load the national holidays and cuti bersama (beat, each December: this year and next)."""
    from . import national_holidays

    result = national_holidays.sync_national_holidays(years)
    return {key: len(days) for key, days in result.items()}
