"""Response headers and session lifetimes that protect personal data.

`PrivateResponseMiddleware` marks answers that carry personal data `Cache-Control: no-store,
private`, so that neither a shared proxy nor the browser's own cache keeps a copy (a shared office
computer, a browser's back button after sign-out). The rule is deliberately broad rather than per
view, so that a new page cannot forget it:

- every answer to a signed-in caller, by session or by API token (the profile, "my reports", the
  staff pages, exports, sanction pages, every API answer to a signed-in caller);
- every answer that the request carried credentials for (an `Authorization` header), even a
  refused one;
- every answer under `/api/`: API answers are read by apps, not shared caches, and several of them
  (registration, token issue, phone verification) answer anonymous callers with their own data;
- every answer under `/akun/`: account pages (password reset links carry a token in the address,
  registration and sign-in forms echo what was typed).

Public pages for anonymous visitors (the home page, the public feed, statistics) stay cacheable.

`StaffSessionMiddleware` ends a staff member's web session after `STAFF_SESSION_IDLE_SECONDS`
without a request (a working day by default): each request of a staff member pushes the session's
expiry forward again (at most once every `REFRESH_SECONDS`). Citizens keep the site's default session lifetime.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.cache import patch_cache_control

PRIVATE_PREFIXES = ("/api/", "/akun/")
# A staff session's end is pushed forward at most once per this many seconds, so it ends between
# STAFF_SESSION_IDLE_SECONDS minus this and STAFF_SESSION_IDLE_SECONDS after the last request.
REFRESH_SECONDS = 300
REFRESHED_KEY = "_staff_expiry_refreshed"


def _signed_in(request):
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def carries_personal_data(request):
    """Whether the answer to `request` must not be stored by any cache (see the module's rule)."""
    return _signed_in(request) or "HTTP_AUTHORIZATION" in request.META or request.path_info.startswith(PRIVATE_PREFIXES)


def is_staff_user(user):
    """Staff for the session rule: anyone with a staff role, and Django admin users."""
    if not (user is not None and user.is_authenticated):
        return False
    return bool(user.is_staff or user.is_superuser or getattr(user, "is_staff_member", False))


class PrivateResponseMiddleware:
    """Adds `Cache-Control: no-store, private` to every answer that carries personal data. Stands
    inside the authentication middleware and looks at the request after the view ran, so that a
    caller signed in by an API token (which the API view authenticates itself) is seen too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if carries_personal_data(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


class StaffSessionMiddleware:
    """Sliding idle expiry for staff sessions. Runs after the view, so the sign-in request itself
    already gets the staff lifetime, and a sign-out (the session emptied) is left alone. Sessions of
    callers authenticated by an API token are not touched: tokens keep their own expiry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and is_staff_user(user) and session.get(SESSION_KEY) == str(user.pk):
            now = int(time.time())
            # Pushing the end forward saves the session; once every few minutes is enough and
            # spares the database a write on every click.
            if now - session.get(REFRESHED_KEY, 0) >= REFRESH_SECONDS:
                session[REFRESHED_KEY] = now
                session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        return response
