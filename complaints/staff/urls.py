"""Staff workspace URLs: the operators' pages under /petugas/ (namespace `staff`), the OPDs' under
/opd/ (namespace `opd`), both mounted by `urlpatterns` below, which lapor/urls.py includes."""

from django.urls import include, path

from complaints.staff import views as staff_views

operator_urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("ruang-kerja/", staff_views.workspace, name="workspace"),
    path("laporan/<str:tracking_id>/", staff_views.review, name="review"),
    path("input/", staff_views.manual_entry, name="manual_entry"),
    path("perubahan-terlapor/", staff_views.terlapor_changes, name="terlapor_changes"),
    path("input/<str:tracking_id>/tanda-terima/", staff_views.receipt, name="receipt"),
]

opd_urlpatterns = [
    path("", staff_views.inbox, name="inbox"),
    path("disposisi/<int:pk>/", staff_views.disposition, name="disposition"),
    path("pimpinan/", staff_views.head, name="head"),
]

urlpatterns = [
    path("petugas/", include((operator_urlpatterns, "staff"))),
    path("opd/", include((opd_urlpatterns, "opd"))),
]
