"""Celery tasks: thin and idempotent, each calls a service."""

from celery import shared_task

from complaints.outbox import notify


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def deliver_notification(self, pk):
    return notify.deliver(pk)


@shared_task
def deliver_notifications(pks):
    """Deliver a batch of outbox rows (the SLA sweep hands them over this way), each once."""
    return sum(1 for pk in pks if notify.deliver(pk))


@shared_task
def flush_outbox():
    return notify.flush_outbox()


# SLA engine -------------------------------------------------------------------------
@shared_task
def sla_sweep(now=None):
    """One pass of every clock (beat, every SLA_SWEEP_INTERVAL seconds). `now`: ISO-8601."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from complaints.deadlines import sweep as sla

    instant = parse_datetime(now) if now else timezone.now()
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return dict(sla.sla_sweep(instant))


@shared_task
def tpp_sanctions(month=None):
    """Build the TPP sanction recommendations of `month` (YYYY-MM; default: last month)."""
    from complaints.deadlines import sanctions

    result = sanctions.build_month(month or sanctions.last_month())
    return {"created": len(result["created"]), "existing": len(result["existing"]), "late": result["late"]}


@shared_task
def recompute_deadlines(since=None):
    """Move open deadlines after a holiday change (queued by agencies.signals on commit)."""
    from datetime import date

    from complaints.deadlines import sweep as sla

    return sla.recompute_open_deadlines(date.fromisoformat(since) if since else None)


# Dashboard rollups -------------------------------------------------------------------
@shared_task
def refresh_figures():
    """Rebuild the rollup months whose reports changed since the last refresh (beat)."""
    from complaints.dashboards import rollups

    return rollups.refresh()


@shared_task
def rebuild_figures():
    """Rebuild every rollup month (beat, nightly)."""
    from complaints.dashboards import rollups

    return rollups.rebuild()


# SMS gateway -------------------------------------------------------------------------
@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_sms_reply(self, inbound_id):
    """Send the reply to one inbound SMS (once; a failure is recorded and retried)."""
    from complaints.channels import sms

    try:
        return sms.send_reply(inbound_id)
    except RuntimeError as exc:
        raise self.retry(exc=exc)


@shared_task
def flush_sms_replies():
    """Send replies whose task never ran or gave up (broker outage, gateway down): beat."""
    from complaints.channels import sms

    sent = 0
    for pk in sms.unsent_replies():
        try:
            sent += bool(sms.send_reply(pk))
        except RuntimeError:
            continue
    return sent


# Dashboards --------------------------------------------------------------------------
@shared_task
def build_monthly_report(pk):
    """Build one requested monthly PDF report (once: the service claims the row)."""
    from complaints.dashboards import monthly_report

    return monthly_report.generate(pk)


@shared_task
def retry_monthly_reports():
    """Build the monthly reports whose task was lost while the broker was down (beat)."""
    from complaints.dashboards import monthly_report

    return monthly_report.retry_pending()


@shared_task
def clean_media():
    """Daily: remove attachment files without a row (see `uploads.remove_orphan_files`)."""
    from complaints.evidence.uploads import remove_orphan_files

    return remove_orphan_files()


@shared_task
def purge_submission_keys():
    """Daily: forget filings' one-time keys older than SUBMISSION_KEY_DAYS."""
    from complaints.common.idempotency import purge_expired

    return purge_expired()


# Following an area -------------------------------------------------------------------------
@shared_task
def send_area_digests(now=None):
    """The daily digests of followed areas and categories (beat, AREA_DIGEST_HOUR local time)."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from complaints.outbox import digests

    instant = parse_datetime(now) if now else timezone.now()
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return digests.send_area_digests(instant)


@shared_task
def flush_area_digests():
    """Digests decided but not sent (mail down, a worker crash): beat retries them."""
    from complaints.outbox import digests

    return digests.flush_digests()
