"""Filing once per one-time key: a double click, a form posted twice or a mobile client retrying
after a timeout gets the report of the first submission instead of a second report.

The web filing form and the operator's manual entry carry a hidden key made when the form is
shown; the API takes the client's `Idempotency-Key` header. Exactly once is a database fact: the
`SubmissionKey` row, unique per account and key, is inserted in the filing's transaction before
the report, so a second request with the same key waits for the first to commit and then finds
its report (or, if the first rolled back, files in its place).
"""

import hashlib
import json
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.errors import Invalid, WorkflowError
from complaints.models import SubmissionKey

HEADER = "Idempotency-Key"
# Visible ASCII: what HTTP header values carry safely (a UUID is the usual choice).
KEY_PATTERN = "^[\\x21-\\x7e]+$"
KEY_RE = re.compile(KEY_PATTERN)


class KeyReused(WorkflowError):
    status_code = 422
    default_message = _(
        "Idempotency-Key ini sudah dipakai untuk laporan dengan isi berbeda. Gunakan kunci baru untuk laporan baru."
    )


def purge_expired(now=None):
    """Delete the keys older than SUBMISSION_KEY_DAYS (beat, daily); the number deleted. A client
    retrying after that long files anew, as a new report would."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUBMISSION_KEY_DAYS)
    deleted, _by_model = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def new_key():
    """A fresh one-time key for a filing form."""
    return str(uuid.uuid4())


def form_key(value):
    """The form's hidden key as submitted, or None when it is missing or not one of ours."""
    try:
        return str(uuid.UUID(str(value or "")))
    except ValueError:
        return None


def header_key(request):
    """The request's `Idempotency-Key`, or None without one; Invalid (400) when it is malformed."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not KEY_RE.fullmatch(value) or len(value) > SubmissionKey.MAX_LENGTH:
        raise Invalid(
            _("Idempotency-Key harus 1–%(n)s karakter ASCII yang terlihat, mis. sebuah UUID.")
            % {"n": SubmissionKey.MAX_LENGTH}
        )
    return value


def fingerprint(data):
    """A hash of a request body (a dict, or a QueryDict of a form post), independent of the order
    of its fields and of JSON spacing."""
    if hasattr(data, "lists"):
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def filed_with(user, key):
    """The report `user` already filed with the form key `key` (as submitted), or None."""
    key = form_key(key)
    if key is None:
        return None
    row = SubmissionKey.objects.filter(user=user, key=key, complaint__isnull=False).select_related("complaint")
    row = row.first()
    return row.complaint if row else None


@transaction.atomic
def file_once(user, key, file, *, fingerprint=None):
    """Run `file()` — which files a report and returns it — once per (`user`, `key`).

    Callers: the web filing form, the operator's manual entry (`user` is the operator) and the
    API's create. Returns `(complaint, replayed)`: the new report and False, or the report filed
    earlier under the same key and True. With a `fingerprint` (the API's request body), a key
    used before for a different body raises KeyReused (422). Without a key, simply files. Writes
    a `SubmissionKey` row in the caller's transaction; if `file()` raises, nothing is kept."""
    if not key:
        return file(), False
    try:
        with transaction.atomic():
            row = SubmissionKey.objects.create(user=user, key=key, fingerprint=fingerprint or "")
    except IntegrityError:
        # Used before, or by a request that was still running: the insert waited for it to
        # commit, so its report is there to read.
        row = SubmissionKey.objects.select_related("complaint").get(user=user, key=key)
        if fingerprint is not None and row.fingerprint != fingerprint:
            raise KeyReused() from None
        return row.complaint, True
    complaint = file()
    row.complaint = complaint
    row.save(update_fields=["complaint"])
    return complaint, False
