"""Citizen and public pages, mounted at the site root."""

from django.urls import path

from complaints.portal import maps, views

app_name = "complaints"

urlpatterns = [
    path("lapor/", views.file_report, name="file"),
    path("lapor/serupa/", views.similar, name="similar"),
    path("lapor/terkirim/<str:tracking_id>/", views.filed, name="filed"),
    path("laporan/", views.feed, name="feed"),
    path("laporan/<str:tracking_id>/", views.report_detail, name="detail"),
    path("laporan/<str:tracking_id>/akses-identitas/", views.identity_log, name="identity_log"),
    path("lacak/", views.track, name="track"),
    path("saya/", views.my_reports, name="mine"),
    path("notifikasi/", views.notifications, name="notifications"),
    path("privasi/", views.privacy_notice, name="privacy"),
    path("peta/", maps.public_map, name="map"),
    path("peta/data.json", maps.map_data, name="map_data"),
    path("peta/wilayah.geojson", maps.areas_geojson, name="areas_geojson"),
]
