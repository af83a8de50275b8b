"""`python manage.py import_areas FILE.geojson` — load a region's kecamatan and kelurahan/desa
boundaries from a GeoJSON FeatureCollection (docs/areas.md: the properties it reads).

Each feature is created or updated by its code; the whole file is checked first and stored in
one transaction, so a bad feature leaves the database as it was."""

import json

from django.core.management.base import BaseCommand, CommandError

from agencies.areas import AreaImportError, import_feature_collection


class Command(BaseCommand):
    help = "Memuat batas kecamatan dan kelurahan/desa dari GeoJSON FeatureCollection (EPSG:4326)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Berkas .geojson (FeatureCollection).")
        parser.add_argument("--level-property", default="level", help="Properti tingkat (bawaan: level).")
        parser.add_argument("--code-property", default="code", help="Properti kode wilayah (bawaan: code).")
        parser.add_argument("--name-property", default="name", help="Properti nama wilayah (bawaan: name).")
        parser.add_argument(
            "--parent-property",
            default="parent_code",
            help="Properti kode kecamatan induk sebuah kelurahan/desa (bawaan: parent_code; tanpa nilai, "
            "diambil dari kode Kemendagri kelurahan itu).",
        )
        parser.add_argument(
            "--level",
            choices=["kecamatan", "kelurahan", "desa"],
            help="Tingkat untuk fitur tanpa properti tingkat (mis. satu berkas per tingkat).",
        )

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8-sig") as f:
                data = json.load(f)
        except OSError as exc:
            raise CommandError(f"Berkas tidak dapat dibuka: {exc.strerror or exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"Berkas bukan JSON yang sah: {exc}") from exc
        try:
            result = import_feature_collection(
                data,
                level_property=options["level_property"],
                code_property=options["code_property"],
                name_property=options["name_property"],
                parent_property=options["parent_property"],
                level=options["level"],
            )
        except AreaImportError as exc:
            lines = "\n".join(f"  - {p}" for p in exc.problems)
            raise CommandError(f"Tidak ada yang dimuat; perbaiki berkasnya:\n{lines}") from exc
        self.stdout.write(f"Wilayah dimuat: {result['created']} baru, {result['updated']} diperbarui.")
