"""The ASGI application, for an ASGI server (`lapor.asgi:application`); see lapor/servers.py."""

from lapor.servers import application_for

application = application_for("asgi")
