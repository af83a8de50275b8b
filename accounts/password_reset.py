"""The password reset request, under the login's brute-force lock.

A reset request is a way in too: it mails a link that sets a new password, and unthrottled it
lets anyone flood an inbox. Each request counts as one attempt on the email+address pair and on
the address, in the same count as failed logins; while either is locked no email is sent and the
form answers 429 with the lockout message. Whether the email belongs to an account makes no
difference to the count or the answer, so the lock reveals nothing about who is registered.
"""

from django.contrib.auth import views as auth_views

from . import ratelimit
from .forms import lockout_message


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Django's reset request with the lock in front of the email."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        ip = ratelimit.client_ip(self.request)
        locked = ratelimit.seconds_locked(email, ip)
        if locked:
            form.add_error(None, lockout_message(locked))
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(locked)
            return response
        ratelimit.record_failure(email, ip)
        return super().form_valid(form)
