"""`python manage.py clean_media [--hours N]` — remove attachment files no row refers to (left by
a killed worker, a rolled-back upload or a full disk), the same code beat runs daily."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from complaints.evidence.uploads import remove_orphan_files


class Command(BaseCommand):
    help = "Hapus berkas lampiran yang tidak dirujuk laporan mana pun (lebih tua dari --hours jam)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=1.0)

    def handle(self, *args, hours, **options):
        removed = remove_orphan_files(older_than=timedelta(hours=hours))
        self.stdout.write(f"{removed} berkas dihapus.")
