"""`python manage.py sync_holidays [--years 2026 2027 …]` — loads the national holidays and cuti
bersama of those years (default: this year and next) from the `holidays` package into the holiday
table, leaving local and admin-edited days alone. Runs after `migrate` and from beat each
December; running it again changes nothing."""

from django.core.management.base import BaseCommand, CommandError

from agencies import national_holidays


class Command(BaseCommand):
    help = "Muat libur nasional dan cuti bersama dari paket `holidays` (bawaan: tahun ini dan tahun depan)."

    def add_arguments(self, parser):
        parser.add_argument("--years", nargs="+", type=int, help="tahun, mis. 2026 2027")

    def handle(self, *args, years=None, **options):
        if years and any(not 1900 < y < 2200 for y in years):
            raise CommandError("--years: tahun harus empat angka, mis. 2026.")
        years = sorted(set(years or national_holidays.default_years()))
        result = national_holidays.sync_national_holidays(years)
        for label, days in (("added", result["created"]), ("removed", result["removed"])):
            for day in days:
                self.stdout.write(f"  {label} {day.isoformat()}")
        self.stdout.write(
            f"sync_holidays {' '.join(map(str, years))}: created={len(result['created'])}"
            f" removed={len(result['removed'])} kept={len(result['kept'])}"
        )
