"""django.contrib.admin with the portal's admin site (accounts.admin_site): its login asks for the
second factor and stands under the login lock. Listed in INSTALLED_APPS instead of
"django.contrib.admin"."""

from django.contrib.admin.apps import AdminConfig


class LaporAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.LaporAdminSite"
