"""Brute-force protection on every way to log in: the web login, the Django admin's login, the
API token and the password reset request all go through `attempt_login` / `seconds_locked` and
`record_failure` here, so they share one count.

The client address is the one `lapor.net.client_address` gives: REMOTE_ADDR, or behind
`NUM_PROXIES` trusted proxies the address they saw. Behind a proxy, REMOTE_ADDR is the proxy's
own for every client, and counting on it would let five failures lock an account for everyone
and fifty lock the whole portal.

Failures are counted in the cache (Redis in production, shared by every web worker) per account
and client address: after `LOGIN_LOCKOUT_ATTEMPTS` failures within `LOGIN_LOCKOUT_SECONDS` that
pair is locked for `LOGIN_LOCKOUT_SECONDS`, and each further lock of the same pair within
`LOGIN_LOCKOUT_MAX_SECONDS` lasts twice as long as the one before, up to that maximum (a growing
back-off). An address that fails on many accounts (password spraying) is locked after
`LOGIN_LOCKOUT_IP_ATTEMPTS`, with the same back-off. A lock ends by itself; a successful login
clears the pair's count and its back-off. The account name is hashed in the keys: no identity in the cache.

A lock on one address never blocks the account's owner elsewhere, so an attacker cannot lock a
citizen out of their account from afar.

Without the cache (Redis down or hung: django-redis answers every call with a miss) the lockout
does not fail open: a failure the cache could not count is written to the database instead
(`LoginFailure`, the same hashed keys), and a pair or address with LOGIN_LOCKOUT_ATTEMPTS
(LOGIN_LOCKOUT_IP_ATTEMPTS) such failures within LOGIN_LOCKOUT_SECONDS is locked until the oldest
of them is that old (no back-off while the cache is away: the fixed window holds). A lock is the
longer of what the cache and the database say, so the rule holds across the outage; rows older than the window are deleted as new ones are written.
"""

import hashlib
import math
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils import timezone

from lapor.net import client_address

from .models import LoginFailure

PREFIX = "login-fail"


def client_ip(request):
    """The address failures are counted on: the proxy-aware client address (X-Forwarded-For only
    as far as the trusted proxies wrote it; a client cannot pick a fresh "address" per attempt)."""
    return client_address(request) or "unknown"


def _digest(value):
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]


def _keys(username, ip):
    pair = _digest(f"{(username or '').strip().lower()}|{ip}")
    addr = _digest(ip)
    return f"{PREFIX}:pair:{pair}", f"{PREFIX}:ip:{addr}"


def _locked_until(key):
    until = cache.get(f"{key}:until")
    return until if until and until > time.time() else None


def _locked_in_database(keys):
    """{key: end of its lock (epoch seconds)} from the failures the database counted."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    since = timezone.now() - timedelta(seconds=window)
    limits = dict(zip(keys, (settings.LOGIN_LOCKOUT_ATTEMPTS, settings.LOGIN_LOCKOUT_IP_ATTEMPTS), strict=True))
    times = {key: [] for key in keys}
    for key, at in LoginFailure.objects.filter(key__in=keys, at__gte=since).values_list("key", "at"):
        times[key].append(at)
    ends = {}
    for key, ats in times.items():
        if len(ats) >= limits[key]:
            # Locked while `limit` failures lie within the window: until the limit-th latest ages out.
            ends[key] = sorted(ats, reverse=True)[limits[key] - 1].timestamp() + window
    return ends


def seconds_locked(username, ip):
    """Seconds left on a lock of this account+address (or of the address), 0 when free: the
    cache's lock or the database's count (see the module docstring), whichever ends later."""
    now = time.time()
    keys = _keys(username, ip)
    ends = [u for u in (_locked_until(k) for k in keys) if u]
    ends += [u for u in _locked_in_database(keys).values() if u > now]
    return max(0, math.ceil(max(ends) - now)) if ends else 0


def _bump(key, limit):
    """Count one failure under `key` in the cache; the count, or None when the cache could not
    count it (django-redis answers None for a call it could not make)."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
    if count is None:
        return None
    if count >= limit:
        seconds = _lock_seconds(key)
        cache.set(f"{key}:until", time.time() + seconds, seconds)
        cache.delete(key)
    return count


def _lock_seconds(key):
    """The length of the lock `key` earns now: LOGIN_LOCKOUT_SECONDS for its first lock, doubled
    for each further lock within LOGIN_LOCKOUT_MAX_SECONDS of the last, up to that maximum (a
    growing back-off: a patient guesser gets a few tries a day, the owner who mistyped five times
    waits once). The strikes live as long as the maximum lock and are cleared by a right login."""
    window, ceiling = settings.LOGIN_LOCKOUT_SECONDS, max(settings.LOGIN_LOCKOUT_MAX_SECONDS, 1)
    strikes_key = f"{key}:strikes"
    if cache.add(strikes_key, 1, ceiling):
        strikes = 1
    else:
        try:
            strikes = cache.incr(strikes_key)
        except ValueError:  # expired between add and incr
            cache.set(strikes_key, 1, ceiling)
            strikes = 1
        cache.touch(strikes_key, ceiling)
    strikes = strikes or 1
    return int(min(window * 2 ** min(strikes - 1, 32), max(ceiling, window)))


def record_failure(username, ip):
    """Count one failed login or reset request (`attempt_login` and the reset request call this); returns the seconds locked now (0 when
    not yet locked). Writes LoginFailure rows only for keys the cache could not count."""
    pair, addr = _keys(username, ip)
    uncounted = [
        key
        for key, limit in ((pair, settings.LOGIN_LOCKOUT_ATTEMPTS), (addr, settings.LOGIN_LOCKOUT_IP_ATTEMPTS))
        if _bump(key, limit) is None
    ]
    if uncounted:
        now = timezone.now()
        LoginFailure.objects.filter(at__lt=now - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)).delete()
        LoginFailure.objects.bulk_create([LoginFailure(key=key, at=now) for key in uncounted])
    return seconds_locked(username, ip)


def reset(username, ip):
    """A successful login clears this account+address count (not the address's own lock), in the
    cache and in the database."""
    pair, _addr = _keys(username, ip)
    cache.delete_many([pair, f"{pair}:until", f"{pair}:strikes"])
    LoginFailure.objects.filter(key=pair).delete()


def attempt_login(request, username, password):
    """Check a password under the lock; every login path calls this. Returns `(user, seconds)`:
    the user when the password is right and the account+address (and the address) is not locked,
    else None and the seconds left on the lock (0 for a plain wrong password). While locked the
    password is not even checked, so guessing on gains nothing. A failure is counted; a success
    clears this account+address count (for an account with a second factor, only its right code
    does)."""
    ip = client_ip(request)
    locked = seconds_locked(username, ip)
    if locked:
        return None, locked
    user = authenticate(request, username=username, password=password)
    if user is None:
        return None, record_failure(username, ip)
    if not user.needs_second_factor:
        # For an account with a second factor the password is half a login: its count is cleared
        # only by the right code (accounts.second_factor.check_login_code).
        reset(username, ip)
    return user, 0


def confirm_password(request, user, password):
    """A signed-in user's password typed again (to change the email or phone, the password, or to
    delete the account) is under the same lock as a login: a stolen session cannot be used to guess
    the password. Returns `(ok, seconds)`: ok when the password is right and the account+address is
    not locked, else False and the seconds left on the lock (0 for a plain wrong password). While
    locked the password is not checked."""
    ip = client_ip(request)
    username = user.get_username()
    locked = seconds_locked(username, ip)
    if locked:
        return False, locked
    if not user.check_password(password or ""):
        return False, record_failure(username, ip)
    reset(username, ip)
    return True, 0
