from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"
    verbose_name = _("Instansi dan kalender")

    def ready(self):
        from django.core.signals import request_started

        from . import reference, signals  # noqa: F401

        request_started.connect(reference.new_request, dispatch_uid="agencies-reference-request")
