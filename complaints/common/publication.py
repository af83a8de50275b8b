"""The publication generation (`complaints.models.Publication`): what makes the cached public
pages exact (docs/architecture.md, "Cached public pages").

`bump()` adds one to the generation inside the caller's transaction, so the new number becomes
visible to other connections in the same instant as the change it stands for. A page reads the
generation before it reads anything else, so a page cached under generation N never shows data
older than N; after a change commits every reader sees N + 1 and no page cached under N is read
again. The row lock this takes makes concurrent writers of public data take turns over the rest of
their transactions: the transactions are short, and a public service is read far more than written.

The receivers below bump on every save and delete of the models public pages are drawn from; the
few writers that bypass model signals (bulk inserts of the deadline sweep, counter updates) call
`bump()` themselves."""

from django.conf import settings
from django.db.models import F
from django.db.models.signals import post_delete, post_save

ROW = 1


def bump(using="default"):
    """Add one to the generation, in the current transaction (alone when there is none): one
    UPDATE of the row migration 0013 created."""
    from complaints.models import Publication

    if not Publication.objects.using(using).filter(pk=ROW).update(generation=F("generation") + 1):
        Publication.objects.using(using).get_or_create(pk=ROW, defaults={"generation": 1})


def current(using="default"):
    """The generation as committed now (0 before the first change). Read on the primary even on a
    page that reads from a replica (an explicit alias bypasses the router): a replica's generation
    may lag, and a page kept under an old generation could outlive a privacy raise."""
    from complaints.models import Publication

    return Publication.objects.using(using).filter(pk=ROW).values_list("generation", flat=True).first() or 0


# Saves of these fields alone change nothing the public sees (the sweep's bookkeeping).
_QUIET_FIELDS = {"complaints.complaint": {"monitor_due_at"}}


def _changed(sender, instance, raw=False, using="default", update_fields=None, created=False, **kwargs):
    if raw:  # fixtures being loaded: nothing is cached from before them
        return
    if sender._meta.label_lower == "accounts.user":
        # The public sees an account only as the name on its reports (privacy.PUBLIC_ACCOUNT_FIELDS):
        # a new account, a sign-in, a password or a phone changes no public page.
        from complaints.privacy import PUBLIC_ACCOUNT_FIELDS

        if created or (update_fields is not None and not set(update_fields) & PUBLIC_ACCOUNT_FIELDS):
            return
    quiet = _QUIET_FIELDS.get(sender._meta.label_lower)
    if quiet and update_fields is not None and set(update_fields) <= quiet:
        return
    bump(using=using)


def _deleted(sender, instance, using="default", **kwargs):
    bump(using=using)


def public_models():
    from agencies.models import Agency, Area, Category, Holiday
    from complaints.models import Attachment, Complaint, Disposition, Event, Support

    return [
        settings.AUTH_USER_MODEL,
        Agency,
        Area,
        Category,
        Holiday,
        Complaint,
        Attachment,
        Disposition,
        Event,
        Support,
    ]


def connect():
    """Called from `ComplaintsConfig.ready`."""
    for model in public_models():
        label = model if isinstance(model, str) else model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"publication-save-{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"publication-delete-{label}")
