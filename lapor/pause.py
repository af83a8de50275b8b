"""Leaving a failed service alone for a while, in this process.

The cache (lapor.cache), the broker (lapor.publish) and each read replica
(complaints.common.replicas) are accelerators: when one fails, the request goes on without it,
and the next requests should not each pay the same timeout to find out again. After a failure the
service is left alone for a few seconds; the first failure of an outage is the one to log."""

import time


class Pause:
    """A pause that starts (or is prolonged) at a failure and ends by itself."""

    __slots__ = ("_until",)

    def __init__(self):
        self._until = 0.0

    def active(self):
        return time.monotonic() < self._until

    def start(self, seconds):
        """Leave the service alone for `seconds` from now. True when it was not paused already:
        the start of an outage, the one failure worth a log line."""
        began = not self.active()
        self._until = time.monotonic() + seconds
        return began

    def reset(self):
        """End the pause now (tests; an operator who knows the service is back)."""
        self._until = 0.0
