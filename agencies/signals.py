"""When the holiday table changes: reload the calendar everywhere and move open deadlines later
(never earlier) — docs/product.md §5. The recompute runs in a Celery task queued after the commit, so
the admin's save stays fast and the worker reads the committed table."""

import logging
import threading
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import calendar
from .models import Holiday

log = logging.getLogger("lapor.calendar")
_batch = threading.local()


@contextmanager
def one_recompute():
    """Holiday changes saved inside this block (a sync of many days) queue one recompute after
    the commit, from the earliest date they touched, instead of one per day."""
    outer = getattr(_batch, "dates", None)
    if outer is not None:  # nested: the outer block queues it
        yield
        return
    _batch.dates = []
    try:
        yield
        dates = _batch.dates
    finally:
        _batch.dates = None
    if dates:
        transaction.on_commit(partial(queue_recompute, min(dates)))


@receiver(pre_save, sender=Holiday)
def remember_old_date(sender, instance, raw=False, **kwargs):
    # Moving a holiday (or an extra working day) touches the old date too.
    if instance.pk and not raw:
        instance._old_date = Holiday.objects.filter(pk=instance.pk).values_list("date", flat=True).first()


@receiver([post_save, post_delete], sender=Holiday)
def holidays_changed(sender, instance, raw=False, **kwargs):
    calendar.invalidate()  # this transaction sees its own change at once
    # Other processes must reload after the commit: one that reloaded before it would have cached
    # the old table under the new version.
    transaction.on_commit(calendar.invalidate)
    if raw:  # loaddata: there are no clocks to move yet that a fixture could know of
        return
    dates = [d for d in (instance.date, getattr(instance, "_old_date", None)) if d]
    if getattr(_batch, "dates", None) is not None:
        _batch.dates.extend(dates)
        return
    transaction.on_commit(partial(queue_recompute, min(dates)))


def queue_recompute(since):
    """Hand the recompute to the worker; with the broker down, do it here and now (a holiday
    change must not be lost)."""
    from complaints import sla, tasks
    from lapor import publish

    if not publish.send(tasks.recompute_deadlines, since.isoformat()):
        log.warning("broker unavailable; recomputing deadlines in-process")
        sla.recompute_open_deadlines(since)
