"""What the notification outbox (`notify`) and the area digests (`digests`) deliver alike: each
row is sent exactly once under a row lock, a failure is recorded on the row, and a periodic flush
retries the rows left unsent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone


def deliver_once(queryset, pk, send, log, what):
    """Lock the unsent row `pk` of `queryset` (others skip it), call `send(row)` (which sends it, or
    records on `last_error` why it is suppressed) and mark it sent in the same transaction. A
    failure is recorded on the row and logged to `log` as "`what` <pk> failed" for the flush to
    retry. Returns True when the row is now marked sent."""
    with transaction.atomic():
        row = queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk, sent_at__isnull=True).first()
        if row is None:
            return False
        row.attempts += 1
        try:
            send(row)
            row.sent_at = timezone.now()
        except Exception as exc:  # noqa: BLE001 - recorded and retried by the flush
            row.last_error = str(exc)[:255]
            log.warning("%s %s failed: %s", what, pk, type(exc).__name__)
        row.save(update_fields=["attempts", "sent_at", "last_error", "subject", "text"])
        return row.sent_at is not None


def flush(model, deliver, older_than_seconds, limit, max_attempts):
    """`deliver(pk)` each row of `model` left unsent for `older_than_seconds` and tried fewer than
    `max_attempts` times, oldest first, at most `limit`. Returns how many were sent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        model.objects.filter(sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=max_attempts)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if deliver(pk))
