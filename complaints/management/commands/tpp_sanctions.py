"""`python manage.py tpp_sanctions --month YYYY-MM` — builds that month's TPP sanction
recommendations (docs/product.md §8), what the beat runs on the first day of each month. Re-running it
neither duplicates nor drops any."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.deadlines import sanctions
from complaints.errors import Invalid

from .sla_sweep import parse_instant


class Command(BaseCommand):
    help = "Buat rekomendasi sanksi TPP untuk satu bulan (bawaan: bulan lalu)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="bulan YYYY-MM (bawaan: bulan lalu)")
        parser.add_argument("--now", help="waktu acuan ISO-8601 (bawaan: sekarang), untuk data demo")

    def handle(self, *args, month=None, now=None, **options):
        instant = parse_instant(now) if now else timezone.now()
        try:
            target = sanctions.parse_month(month) if month else sanctions.last_month(instant)
            result = sanctions.build_month(target, now=instant)
        except Invalid as exc:
            raise CommandError(" ".join(str(m) for msgs in exc.fields.values() for m in msgs) or str(exc))
        label = target.strftime("%Y-%m")
        for s in result["created"]:
            self.stdout.write(
                f"  created {s.agency.slug}: {len(s.evidence)} evidence ({sanctions.late_evidence(s)} late),"
                f" {sanctions.days_late(s)} days late"
            )
        for s in result["existing"]:
            self.stdout.write(f"  existing {s.agency.slug}: {s.status}")
        self.stdout.write(
            f"tpp_sanctions {label}: created={len(result['created'])} existing={len(result['existing'])}"
            f" late={result['late']}"
        )
        if result["late"]:
            self.stdout.write(
                f"  {result['late']} eskalasi tercatat setelah rekomendasi instansinya dibuat; bukti yang sudah"
                " dibekukan tidak diubah: eskalasi itu masuk rekomendasi bulan berikutnya yang dibuat, ditandai"
                " susulan."
            )
