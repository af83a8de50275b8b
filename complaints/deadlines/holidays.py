"""A holiday change moves open deadlines later, never earlier (docs/product.md §5). `agencies`
announces it with `agencies.signals.holidays_changed`; `ComplaintsConfig.ready` connects
`recompute_after_change` here."""

import logging

log = logging.getLogger("lapor.calendar")


def recompute_after_change(sender, since, **kwargs):
    """Hand the recompute to the worker; with the broker down, do it here and now (a holiday
    change must not be lost)."""
    from complaints import tasks  # tasks imports the wings lazily; so does this receiver
    from complaints.deadlines import sweep as sla
    from lapor import publish

    if not publish.send(tasks.recompute_deadlines, since.isoformat()):
        log.warning("broker unavailable; recomputing deadlines in-process")
        sla.recompute_open_deadlines(since)
