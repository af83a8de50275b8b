"""Moving the clock in the deadline tests: aware local instants, a call made at an instant, the
SLA sweep run at an instant."""

from datetime import datetime

import time_machine
from django.utils import timezone


def local(*args):
    """An aware instant in the deployment's (current) time zone."""
    return timezone.make_aware(datetime(*args))


def end_of(y, m, d):
    """The last microsecond of that local day."""
    return local(y, m, d, 23, 59, 59, 999999)


def at(instant, fn, *args, **kwargs):
    """fn(*args, **kwargs), called with the clock at `instant`."""
    with time_machine.travel(instant, tick=False):
        return fn(*args, **kwargs)


def sweep(instant):
    """The SLA sweep's counts, run with the clock at `instant`."""
    from complaints.deadlines import sweep as sla

    with time_machine.travel(instant, tick=False):
        return sla.sla_sweep()
