"""`manage.py totp_code EMAIL`: the current TOTP code of an account, for demos and local
development only — refused unless DEBUG is on, so a production server never prints a code."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Cetak kode TOTP saat ini sebuah akun (hanya bila DEBUG menyala: demo dan pengembangan)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="Email akun.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code works only with DEBUG=true (demo and development).")
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError("No such account.")
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError("This account has no authenticator device.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
