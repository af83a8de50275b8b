"""Serving attachments: only to those who may see them (the §3 rule), never from a public path."""

from django.http import FileResponse, Http404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .privacy import get_attachment_or_404


@never_cache
@require_GET
def attachment(request, key, thumb=False):
    a = get_attachment_or_404(request.user, key)
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
    return response
