"""What the web servers load: `lapor.wsgi` (gunicorn) and `lapor.asgi` each hold one line that
asks `application_for` for Django's callable of their kind."""

import gc
import os


def application_for(interface):
    """Django's "wsgi" or "asgi" callable, under `lapor.settings` unless DJANGO_SETTINGS_MODULE
    names other settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
    if interface == "asgi":
        from django.core.asgi import get_asgi_application

        return _frozen(get_asgi_application())
    from django.core.wsgi import get_wsgi_application

    return _frozen(get_wsgi_application())


def _frozen(application):
    """Move what loading the application made (modules, settings, URL patterns, models) out of the
    garbage collector's reach: it lives as long as the process, and without this every full
    collection walks it again — a pause of ~50 ms every few dozen requests, ~1 ms a request on
    average on the staff pages (docs/benchmarks.md)."""
    gc.freeze()
    return application
