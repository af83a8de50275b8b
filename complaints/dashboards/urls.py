"""The dashboards wing's pages: TPP sanctions under /audit/sanksi/ (namespace `sanctions`), the
auditor's dashboard and monthly reports under /audit/ (`dashboards`), the public statistics under
/statistik/ (`statistics`), the open data under /data/ (`opendata`) and the operators' workload at /petugas/beban-kerja/."""

from django.urls import include, path

from complaints.common.replicas import reads_from_replica
from complaints.dashboards import open_data, sanction_views, views

urlpatterns = [
    path("audit/sanksi/", include((sanction_views.urlpatterns, "sanctions"))),
    path("audit/", include((views.audit_urlpatterns, "dashboards"))),
    path("statistik/", include((views.public_urlpatterns, "statistics"))),
    path("data/", include((open_data.urlpatterns, "opendata"))),
    path("petugas/beban-kerja/", reads_from_replica(views.workload), name="workload"),
]
