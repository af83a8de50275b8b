from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"

    def ready(self):
        # The lower apps announce; complaints listens (docs/architecture.md, "Where things live").
        from django.db.models.signals import post_save

        from accounts import signals as accounts_signals
        from agencies import signals as agencies_signals
        from agencies.models import SlaPolicy

        from . import personal_data
        from .common import publication
        from .deadlines import holidays

        accounts_signals.personal_data_requested.connect(personal_data.export_reports, dispatch_uid="complaints-export")
        accounts_signals.account_erasing.connect(personal_data.erase_reports, dispatch_uid="complaints-erase")
        agencies_signals.holidays_changed.connect(holidays.recompute_after_change, dispatch_uid="complaints-holidays")
        post_save.connect(holidays.policy_saved, sender=SlaPolicy, dispatch_uid="complaints-sla-policy")
        # Every change the public can see moves the publication generation on (cached public pages).
        publication.connect()
