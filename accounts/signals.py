"""What `accounts` announces to the apps above it (docs/architecture.md: lower apps do not import
higher ones). Each app that holds personal data connects in its `AppConfig.ready`."""

from django.dispatch import Signal

# `export_data(user)` asks every app for its part of the user's data (PDP right of access).
# Receivers get `user` and return a dict of top-level sections, merged into the export in order.
personal_data_requested = Signal()

# `erase_account(user)` tells every app to erase the user's identity from its rows (PDP right to
# erasure), inside the erasure's transaction. Receivers get `user` (already blanked, its `pk`
# kept) and `phone`, `phone_verified`: the number the account held before the erasure.
account_erasing = Signal()
