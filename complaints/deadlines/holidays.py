"""A holiday change moves open deadlines later, never earlier (docs/product.md §5). `agencies`
announces it with `agencies.signals.holidays_changed`; `ComplaintsConfig.ready` connects
`recompute_after_change` here, and `policy_saved` to a save of the SLA policy.

Both change the instants of running clocks' ladders (working days; the policy's reminder and
escalation days), so both set the clocks' next steps back to "not known yet" at once, in one
UPDATE: the next sweep looks at each running clock again (docs/clocks.md, "The sweep's cost")."""

import logging

log = logging.getLogger("lapor.calendar")


def recompute_after_change(sender, since, **kwargs):
    """Hand the recompute to the worker; with the broker down, do it here and now (a holiday
    change must not be lost)."""
    from complaints import tasks  # tasks imports the wings lazily; so does this receiver
    from complaints.deadlines import clocks
    from complaints.deadlines import sweep as sla
    from lapor import publish

    clocks.forget_next_steps()
    if not publish.send(tasks.recompute_deadlines, since.isoformat()):
        log.warning("broker unavailable; recomputing deadlines in-process")
        sla.recompute_open_deadlines(since)


def policy_saved(sender, instance, raw=False, **kwargs):
    """The SLA policy was saved: its reminder and escalation days may have moved every running
    clock's ladder. In the saving transaction, so the change and the reset stand or fall together."""
    from complaints.deadlines import clocks

    if not raw:
        clocks.forget_next_steps()
