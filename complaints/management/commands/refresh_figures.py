"""`python manage.py refresh_figures [--rebuild]` — brings the dashboards' rollups up to date
(docs/architecture.md, "Dashboard rollups"): the months of the reports changed since the last
refresh, as beat does every DASHBOARD_ROLLUP_INTERVAL seconds, or with --rebuild every month, as
the nightly rebuild does (after a restore, or to check a suspicion)."""

import time

from django.core.management.base import BaseCommand

from complaints.dashboards import rollups


class Command(BaseCommand):
    help = "Segarkan angka dasbor (rollup): bulan yang laporannya berubah, atau semua bulan dengan --rebuild."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="bangun ulang semua bulan")

    def handle(self, *args, rebuild=False, **options):
        started = time.monotonic()
        result = rollups.rebuild() if rebuild else rollups.refresh()
        what = "dibangun ulang" if result["rebuilt"] else "disegarkan"
        self.stdout.write(f"{result['months']} bulan {what} dalam {time.monotonic() - started:.1f} detik.")
