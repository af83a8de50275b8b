"""The publication generation (`complaints.models.Publication`): what makes the cached public
pages exact (docs/architecture.md, "Cached public pages").

`bump()` adds one to the generation inside the caller's transaction, so the new number becomes
visible to other connections in the same instant as the change it stands for. A page reads the
generation before it reads anything else, so a page cached under generation N never shows data
older than N; after a change commits every reader sees N + 1 and no page cached under N is read
again. The row lock this takes makes concurrent writers of public data take turns over the rest of
their transactions: the transactions are short, and a public service is read far more than written.

A transaction moves the generation once, at its first change: every change after it commits in
the same instant as that UPDATE, so a second one would tell no reader anything (verifying a report
saves seven rows the public can see; one UPDATE). The bump stays in the transaction, never in a
commit hook: a hook runs after the commit, and in between a reader could see a raised privacy
with the old generation.

The receivers below bump on every save and delete of the models public pages are drawn from; the
writers that bypass model signals (bulk inserts of the deadline sweep, bulk updates of a count or
of a report's owner) call `bump()` themselves: with the generation already moved in their
transaction, that costs nothing."""

from django.conf import settings
from django.db import connections
from django.db.models import F
from django.db.models.signals import post_delete, post_save

ROW = 1


class _Bumped:
    """The mark a bump leaves among its connection's commit callbacks (a no-op when they run). Django
    drops the callbacks of a savepoint rolled back, so the mark goes with the UPDATE it stands for,
    and every commit or rollback of the transaction clears it."""

    __slots__ = ("transaction",)

    def __init__(self, transaction):
        self.transaction = transaction

    def __call__(self):
        pass


def _transaction(connection):
    """What tells the transaction a bump happens in from the others on `connection`: "outermost" in
    an application's transaction, a savepoint id when the transaction is a block inside a test
    case's own blocks (Django marks them `_from_testcase`: they stand for no transaction of the
    application, and a test's changes one after the other are each a transaction of their own, as
    in production); None when that cannot be told (no block, or one without a savepoint): bump."""
    if not connection.in_atomic_block:
        return None
    blocks = connection.atomic_blocks
    first = next((i for i, block in enumerate(blocks) if not getattr(block, "_from_testcase", False)), None)
    if first is None:
        return None
    if first == 0:
        return "outermost"
    # Every block but the outermost pushed a savepoint id (None: `savepoint=False`).
    position = first - (len(blocks) - len(connection.savepoint_ids))
    return connection.savepoint_ids[position] if position >= 0 else None


def bump(using="default"):
    """Add one to the generation, in the current transaction (alone when there is none): one
    UPDATE of the row migration 0013 created, unless this transaction has already made it."""
    from complaints.models import Publication

    connection = connections[using]
    transaction = _transaction(connection)
    if transaction is not None and any(
        isinstance(mark, _Bumped) and mark.transaction == transaction
        for _sids, mark, _robust in connection.run_on_commit
    ):
        return
    if not Publication.objects.using(using).filter(pk=ROW).update(generation=F("generation") + 1):
        Publication.objects.using(using).get_or_create(pk=ROW, defaults={"generation": 1})
    if transaction is not None:
        connection.on_commit(_Bumped(transaction))


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
