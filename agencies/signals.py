"""When the holiday table changes: reload the calendar everywhere and, after the commit, announce
`holidays_changed` so the apps that keep deadlines move the open ones later (never earlier) —
docs/product.md §5. `complaints` connects it (`complaints.deadlines.holidays`) and runs the
recompute in a Celery task, so the admin's save stays fast and the worker reads the committed table.

When an agency, a category, an area or a route changes: a new version of the reference tables, so every
process builds the lists it keeps from them again (agencies/reference.py)."""

import threading
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

from . import calendar, reference
from .models import Agency, Area, AreaRoute, Category, Holiday

_batch = threading.local()

# Sent after the commit of a holiday change with `since`: the earliest date it touched.
holidays_changed = Signal()


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
def holiday_saved(sender, instance, raw=False, **kwargs):
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
    """Announce the change: the receivers recompute the deadlines that depend on the calendar."""
    holidays_changed.send(sender=Holiday, since=since)


@receiver([post_save, post_delete], sender=Agency)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Area)
@receiver([post_save, post_delete], sender=AreaRoute)
def reference_saved(sender, instance, **kwargs):
    reference.invalidate()  # this transaction sees its own change at once
    # Other processes must build again after the commit: one that built before it would have kept
    # the old rows under the new version.
    transaction.on_commit(reference.invalidate)
