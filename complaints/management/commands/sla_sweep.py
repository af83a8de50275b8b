"""`python manage.py sla_sweep [--now ISO-8601]` — one pass of every clock (docs/product.md §8), the
same code the beat schedule runs. Safe to run concurrently and repeatedly."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from complaints.deadlines.sweep import sla_sweep

ORDER = (
    "clocks",
    "reminder",
    "reminder_skipped",
    "overdue",
    "ceiling_passed",
    "escalated",
    "auto_closed",
    "auto_archived",
    "deferred",
    "errors",
    "database_lost",
)


def parse_instant(value):
    """ISO-8601 date-time (a naive one is in the deployment's time zone) or a date (its start)."""
    try:
        instant = parse_datetime(value)
        if instant is None:
            day = parse_date(value)
            instant = datetime.combine(day, time.min) if day else None
    except ValueError:
        instant = None
    if instant is None:
        raise CommandError(f"--now harus berupa waktu ISO-8601, mis. 2026-03-25T10:00:00+07:00 (diberikan: {value!r}).")
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant, timezone.get_current_timezone())
    return instant


class Command(BaseCommand):
    help = "Jalankan satu putaran SLA: pengingat, lewat tenggat, eskalasi, tutup/arsip otomatis, batas 60 hari."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="waktu acuan ISO-8601 (bawaan: sekarang)")

    def handle(self, *args, now=None, **options):
        instant = parse_instant(now) if now else timezone.now()
        counts = sla_sweep(instant)
        keys = [k for k in ORDER if k in counts] + sorted(k for k in counts if k not in ORDER)
        summary = " ".join(f"{k}={counts[k]}" for k in keys) or "nothing due"
        self.stdout.write(f"sla_sweep {timezone.localtime(instant).isoformat()}: {summary}")
        if counts.get("database_lost"):
            raise CommandError("Basis data tidak dapat dihubungi; putaran dihentikan. Jalankan lagi setelah pulih.")
        if counts.get("errors"):
            raise CommandError(f"{counts['errors']} jam gagal diproses; lihat log. Jalankan lagi untuk mengulang.")
