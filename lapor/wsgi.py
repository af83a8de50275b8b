"""The WSGI application gunicorn serves (`gunicorn lapor.wsgi:application`); see lapor/servers.py."""

from lapor.servers import application_for

application = application_for("wsgi")
