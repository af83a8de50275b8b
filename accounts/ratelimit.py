"""Brute-force protection on login (PRODUCT.md §9).

Failures are counted in the cache (Redis in production, shared by every web worker) per account
and client address: after `LOGIN_LOCKOUT_ATTEMPTS` failures within `LOGIN_LOCKOUT_SECONDS` that
pair is locked for `LOGIN_LOCKOUT_SECONDS`. An address that fails on many accounts (password
spraying) is locked after `LOGIN_LOCKOUT_IP_ATTEMPTS`. A lock ends by itself; a successful login
clears the pair's count. The account name is hashed in the keys: no identity in the cache.

A lock on one address never blocks the account's owner elsewhere, so an attacker cannot lock a
citizen out of their account from afar.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

PREFIX = "login-fail"


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it,
    # and trusting it would let an attacker pick a fresh "address" for every attempt.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _digest(value):
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]


def _keys(username, ip):
    pair = _digest(f"{(username or '').strip().lower()}|{ip}")
    addr = _digest(ip)
    return f"{PREFIX}:pair:{pair}", f"{PREFIX}:ip:{addr}"


def _locked_until(key):
    until = cache.get(f"{key}:until")
    return until if until and until > time.time() else None


def seconds_locked(username, ip):
    """Seconds left on a lock of this account+address (or of the address), 0 when free."""
    now = time.time()
    ends = [u for u in (_locked_until(k) for k in _keys(username, ip)) if u]
    return max(0, math.ceil(max(ends) - now)) if ends else 0


def _bump(key, limit):
    window = settings.LOGIN_LOCKOUT_SECONDS
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
    if count >= limit:
        cache.set(f"{key}:until", time.time() + window, window)
        cache.delete(key)
    return count


def record_failure(username, ip):
    """Count one failed login; returns the seconds locked now (0 when not yet locked)."""
    pair, addr = _keys(username, ip)
    _bump(pair, settings.LOGIN_LOCKOUT_ATTEMPTS)
    _bump(addr, settings.LOGIN_LOCKOUT_IP_ATTEMPTS)
    return seconds_locked(username, ip)


def reset(username, ip):
    """A successful login clears this account+address count (not the address's own lock)."""
    pair, _addr = _keys(username, ip)
    cache.delete_many([pair, f"{pair}:until"])
