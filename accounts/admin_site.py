"""The Django admin's site: its login asks for the second factor of staff who must use one
(docs/product.md §9), under the same login lock as the web login and the API token
(accounts.forms.AdminLoginForm), and a session that has not passed the second factor is not let in."""

from django.contrib.admin import AdminSite

from .forms import AdminLoginForm
from .second_factor import needs_second_factor


class LaporAdminSite(AdminSite):
    login_form = AdminLoginForm
    login_template = "admin/lapor_login.html"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not needs_second_factor(request.user) or request.user.is_verified()
