"""Serving attachments: only to those who may see them (the same rule as the report they belong
to), never from a public path. The caller is the session's user or, for the mobile app, the
holder of an API token (`Authorization: Token …`, checked exactly as the API checks it)."""

from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework import exceptions

from accounts.auth import ExpiringTokenAuthentication
from complaints.privacy import get_attachment_or_404


def _caller(request):
    """The user asking: the token's user when the request carries `Authorization: Token`, else
    the session's. An invalid or expired token raises AuthenticationFailed; it never falls back
    to the session, as the API does not."""
    found = ExpiringTokenAuthentication().authenticate(request)
    if found is not None:
        return found[0]
    return request.user


@never_cache
@require_GET
def attachment(request, key, thumb=False):
    try:
        user = _caller(request)
    except exceptions.AuthenticationFailed as err:
        response = JsonResponse({"detail": str(err.detail)}, status=401)
        response["WWW-Authenticate"] = "Token"
        return response
    a = get_attachment_or_404(user, key)
    f = a.thumbnail if thumb else a.file
    if not f:
        raise Http404()
    pdf = a.content_type == "application/pdf"
    response = FileResponse(
        f.open("rb"),
        content_type="image/jpeg" if thumb else a.content_type,
        as_attachment=pdf,  # PDFs are always downloads
        filename=f"{a.complaint.tracking_id}-{a.pk}.{'pdf' if pdf else f.name.rsplit('.', 1)[-1]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    if request.META.get("HTTP_AUTHORIZATION"):
        response["Vary"] = "Authorization, Cookie"
    return response
