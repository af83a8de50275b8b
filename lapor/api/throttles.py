"""Rate limits: anonymous callers per address, signed-in callers per account, and stricter scopes
on the token and registration endpoints (password guessing, mass sign-ups).

Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (environment: API_THROTTLE_*) and are
read when a request arrives, so a settings change (or a test override) takes effect at once.
The client address is REMOTE_ADDR unless `NUM_PROXIES` says how many trusted proxies to skip.

The request histories live in the cache. Without it (Redis down or hung: every cache call is a
miss) the throttles fail open: each request finds an empty history and is allowed. They shape load
and are not what protects accounts: password guessing on `auth/token/` is still stopped by the
login lockout (accounts.ratelimit), which counts in the database while the cache is gone, and
the SMS webhook counts a sender's messages in the database likewise.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class _LiveRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_LiveRate, AnonRateThrottle):
    pass


class UserThrottle(_LiveRate, UserRateThrottle):
    pass


class ScopedThrottle(_LiveRate, ScopedRateThrottle):
    """Per-view scope (`throttle_scope = "auth_token"`): per account, or per address when anonymous."""
