"""`manage.py reset_second_factor EMAIL`: a staff member lost the phone with their authenticator
(and their backup codes). A superadmin on the server removes the account's devices; every session
and API token of the account ends, and at the next sign-in (password) the staff member enrols a
new device. The reset is logged (account id only, no identity: docs/product.md §9)."""

import logging

from django.core.management.base import BaseCommand, CommandError

from accounts import second_factor
from accounts.models import User

logger = logging.getLogger("accounts.second_factor")


class Command(BaseCommand):
    help = "Hapus perangkat autentikasi dua langkah sebuah akun (ponsel hilang); akun memasang ulang saat masuk."

    def add_arguments(self, parser):
        parser.add_argument("email", help="Email akun petugas.")

    def handle(self, *args, **options):
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        removed = second_factor.reset(user)
        logger.warning(
            "second factor reset for user #%s from the command line (%s device(s) removed)", user.pk, removed
        )
        self.stdout.write(
            f"Second factor of user #{user.pk} reset: {removed} authenticator device(s) and the backup codes removed, "
            "every session and API token ended. At the next sign-in the account enrols a new device."
        )
