from django.contrib import admin
from django.urls import include, path

from complaints import files, open311, sms, staff_urls, views_dashboards, views_sanctions

from . import views

handler400 = "lapor.views.bad_request"
handler403 = "lapor.views.permission_denied"
handler404 = "lapor.views.page_not_found"
handler500 = "lapor.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("lampiran/<uuid:key>/", files.attachment, name="attachment"),
    path("lampiran/<uuid:key>/thumb/", files.attachment, {"thumb": True}, name="attachment-thumb"),
    path("audit/sanksi/", include((views_sanctions.urlpatterns, "sanctions"))),
    path("audit/", include((views_dashboards.audit_urlpatterns, "dashboards"))),
    path("statistik/", include((views_dashboards.public_urlpatterns, "statistics"))),
    path("petugas/beban-kerja/", views_dashboards.workload, name="workload"),
    path("akun/", include("accounts.urls")),
    path("petugas/", include((staff_urls.operator_urlpatterns, "staff"))),
    path("opd/", include((staff_urls.opd_urlpatterns, "opd"))),
    path("api/v1/", include("complaints.api.urls")),
    path("sms/inbound/", sms.inbound, name="sms-inbound"),
    path("open311/v2/", include((open311.urlpatterns, "open311"))),
    path("", include("complaints.urls")),
]
