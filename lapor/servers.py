"""What the web servers load: `lapor.wsgi` (gunicorn) and `lapor.asgi` each hold one line that
asks `application_for` for Django's callable of their kind."""

import os


def application_for(interface):
    """Django's "wsgi" or "asgi" callable, under `lapor.settings` unless DJANGO_SETTINGS_MODULE
    names other settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
    if interface == "asgi":
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()
