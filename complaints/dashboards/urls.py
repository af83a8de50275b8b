"""The dashboards wing's pages: TPP sanctions under /audit/sanksi/ (namespace `sanctions`), the
auditor's dashboard and monthly reports under /audit/ (`dashboards`), the public statistics under
/statistik/ (`statistics`) and the operators' workload at /petugas/beban-kerja/."""

from django.urls import include, path

from complaints.dashboards import sanction_views, views

urlpatterns = [
    path("audit/sanksi/", include((sanction_views.urlpatterns, "sanctions"))),
    path("audit/", include((views.audit_urlpatterns, "dashboards"))),
    path("statistik/", include((views.public_urlpatterns, "statistics"))),
    path("petugas/beban-kerja/", views.workload, name="workload"),
]
