"""The root URLconf: the project's own pages, then each app's and each wing of `complaints` its own
`urls.py` (docs/architecture.md, "Where things live"). URL names and namespaces are the wings'."""

from django.contrib import admin
from django.urls import include, path

from . import views

handler400 = "lapor.views.bad_request"
handler403 = "lapor.views.permission_denied"
handler404 = "lapor.views.page_not_found"
handler500 = "lapor.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("bahasa/<str:code>/", views.switch_language, name="switch_language"),
    path("admin/", admin.site.urls),
    path("lampiran/", include("complaints.evidence.urls")),
    path("", include("complaints.dashboards.urls")),
    path("akun/", include("accounts.urls")),
    path("", include("complaints.staff.urls")),
    path("", include("complaints.channels.urls")),
    path("", include("complaints.portal.urls")),
]
