"""The client's network address, as far as this deployment can know it."""

from django.conf import settings


def client_address(request):
    """REMOTE_ADDR, or — behind `NUM_PROXIES` trusted reverse proxies — the address the outermost
    of them saw, read from X-Forwarded-For counting from the right. Anything further left was
    written by the client and could be forged, so it is never used; with NUM_PROXIES=0 the header
    is ignored altogether. The same rule as the API throttles' (DRF's `NUM_PROXIES`), so every
    part of the portal agrees on who the client is. None when nothing is known."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None
