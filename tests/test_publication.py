"""The publication generation (complaints/common/publication.py, docs/architecture.md "Cached public
pages"): it moves once per transaction that changes something the public sees, inside that
transaction; a bump undone with its savepoint is made again; writes that send no model signal
(bulk updates) bump by themselves, or change nothing a cached page shows."""

import contextlib

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models.signals import post_delete, post_save
from django.test.utils import CaptureQueriesContext

from complaints import workflow
from complaints.common import publication
from complaints.models import Complaint, Disposition, Privacy

pytestmark = pytest.mark.django_db

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def bumps(ctx):
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "complaints_publication"')]


# Once per transaction, inside it ------------------------------------------------------------------
@pytest.mark.parametrize("database", ["db", "transactional_db"])
def test_verifying_a_report_moves_the_generation_once(request, database, file_report, operator):
    """Verifying saves the report, stops a clock, writes two timeline entries, a disposition and
    its clocks: seven changes the public could see, one transaction, one UPDATE of the row. (With
    `db` the test's own transaction wraps everything, as it does in most tests; with
    `transactional_db` the workflow's block is the transaction, as in production.)"""
    request.getfixturevalue(database)
    c = file_report()
    before = publication.current()
    with CaptureQueriesContext(connection) as ctx:
        workflow.verify(c.pk, by=operator, agencies=["dinas-pu"])
    assert len(bumps(ctx)) == 1, bumps(ctx)
    assert publication.current() == before + 1


def test_a_request_of_several_changes_moves_it_once(disposed_report, operator):
    c = disposed_report()
    before = publication.current()
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():  # as ATOMIC_REQUESTS does
        workflow.edit_summary(c.pk, by=operator, summary="Ringkasan baru.")
        workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
    assert len(bumps(ctx)) == 1
    assert publication.current() == before + 1


def test_each_transaction_moves_it_again(disposed_report, operator):
    """One after the other, each change's transaction moves the generation: a page cached after the
    first is not served after the second."""
    c = disposed_report()
    before = publication.current()
    workflow.edit_summary(c.pk, by=operator, summary="Ringkasan pertama.")
    assert publication.current() == before + 1
    workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
    assert publication.current() == before + 2


def test_the_generation_moves_with_the_first_change_not_at_the_commit(disposed_report, operator):
    c = disposed_report()
    before = publication.current()
    with transaction.atomic():
        workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
        assert publication.current() == before + 1  # already, in the transaction of the change
        workflow.edit_summary(c.pk, by=operator, summary="Ringkasan baru.")
        assert publication.current() == before + 1


def test_a_bump_undone_with_its_savepoint_is_made_again(disposed_report, operator):
    c = disposed_report()
    before = publication.current()
    with transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            workflow.edit_summary(c.pk, by=operator, summary="Dibatalkan.")
            raise RuntimeError("undo the block and its bump")
        assert publication.current() == before
        workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
        assert publication.current() == before + 1
    assert publication.current() == before + 1
    assert Complaint.objects.get(pk=c.pk).privacy == Privacy.RAHASIA


@pytest.mark.skipif(not POSTGRES, reason="another connection to the same database: the test mirror (PostgreSQL)")
@pytest.mark.django_db(transaction=True, databases=["default", "replica_1"])
def test_no_reader_sees_a_raised_privacy_without_its_generation(disposed_report, operator):
    """Read from another connection the instant the change commits (the first callback after the
    commit): the new privacy comes with the new generation, never before it. A bump deferred to a
    commit hook would leave a moment in which a page could be cached under the old generation
    without the report, or a copy under the old one served with it."""
    other = "replica_1"  # the test mirror: a second connection to the test database
    c = disposed_report()
    before = publication.current()
    seen = []

    def look():
        privacy = Complaint.objects.using(other).values_list("privacy", flat=True).get(pk=c.pk)
        seen.append((privacy, publication.current(using=other)))

    with transaction.atomic():
        transaction.on_commit(look)  # runs first once the transaction commits
        workflow.change_privacy(c.pk, by=operator, privacy_level="rahasia")
        assert publication.current(using=other) == before  # not visible before the commit
    assert seen == [(Privacy.RAHASIA, before + 1)]
    connections[other].close()


# Writes that send no model signal ------------------------------------------------------------------
@contextlib.contextmanager
def receivers_off():
    """The publication receivers disconnected: only the bumps a writer makes itself count."""
    for model in publication.public_models():
        label = model if isinstance(model, str) else model._meta.label_lower
        post_save.disconnect(dispatch_uid=f"publication-save-{label}", sender=model)
        post_delete.disconnect(dispatch_uid=f"publication-delete-{label}", sender=model)
    try:
        yield
    finally:
        publication.connect()


def test_a_support_moves_the_generation_itself(disposed_report, other_citizen):
    c = disposed_report()
    with receivers_off():
        before = publication.current()
        workflow.support(c.pk, by=other_citizen)  # the count on the feed and the report page
        assert publication.current() == before + 1


def test_a_merge_that_adds_supporters_moves_the_generation_itself(
    file_report, disposed_report, operator, other_citizen
):
    primary = disposed_report()
    duplicate = file_report(reporter=other_citizen)
    with receivers_off():
        before = publication.current()
        workflow.merge(duplicate.pk, by=operator, into=primary.tracking_id)
        assert publication.current() == before + 1
    assert Complaint.objects.get(pk=primary.pk).support_count == 1


def test_a_proved_number_that_brings_reports_moves_the_generation(client, disposed_report, settings):
    """An SMS reporter's reports move to the web account that proves the number: their public name
    changes from "Warga" to the account's, and no cached copy keeps the old one."""
    from accounts import services
    from accounts.models import User

    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    texted = User.objects.create_user(
        email="sms-6281199990000@sms.invalid", password=None, phone="+6281199990000", sms_only=True, phone_verified=True
    )
    c = disposed_report(reporter=texted, title="Drainase tersumbat di Zelvoran")
    assert "Pelapor: Warga" in client.get("/laporan/").content.decode()
    web = User.objects.create_user(
        email="zelda@warga.id", password="rahasia-sekali-123", full_name="Zelda Wijaya", phone="+6281199990000"
    )
    services.attach_phone(web)
    assert Complaint.objects.get(pk=c.pk).reporter_id == web.pk
    assert "Pelapor: Zelda" in client.get("/laporan/").content.decode()


PUBLIC_PAGES = ("/", "/laporan/", "/laporan/feed/semua.atom", "/peta/data.json", "/open311/v2/requests.json")


def _public_pages(c):
    from django.test import Client

    visitor = Client()
    pages = [*PUBLIC_PAGES, c.get_absolute_url(), f"/open311/v2/requests/{c.tracking_id}.json"]
    answers = {}
    for url in pages:
        response = visitor.get(url)
        assert response.status_code == 200, url
        answers[url] = b"".join(response.streaming_content) if response.streaming else response.content
    return answers


def _png():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG")
    return out.getvalue()


def _returned(c, liaison_pu):
    d = c.dispositions.get()
    workflow.return_disposition(c.pk, by=liaison_pu, disposition=d.pk, reason="Bukan kewenangan kami.")
    return Disposition.objects.filter(pk=d.pk)


@pytest.mark.parametrize("write", ["return_pending", "walkin", "original_name"])
def test_bulk_updates_without_a_bump_change_no_public_page(disposed_report, liaison_pu, citizen, write):
    """The bulk updates that do not bump (the workflow's `return_pending`, the erasure's manual
    contact fields on an account's reports and attachment file names) change nothing an anonymous
    visitor is shown: the pages are byte for byte the same."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.evidence import uploads
    from complaints.models import Attachment

    c = disposed_report(title="Trotoar rusak di Zelvoran")
    if write == "return_pending":
        rows, change = _returned(c, liaison_pu), {"return_pending": False}
        assert rows.get().return_pending
    elif write == "walkin":
        rows, change = Complaint.objects.filter(pk=c.pk), {"walkin_name": "Pak Xavierius", "walkin_contact": "0811"}
    else:
        uploads.add_attachment(c, by=citizen, uploaded=SimpleUploadedFile("rumah-xavierius.png", _png()))
        rows, change = Attachment.objects.filter(complaint=c), {"original_name": "rumah-zelda.png"}
    before = _public_pages(c)
    assert rows.update(**change)
    assert _public_pages(c) == before
