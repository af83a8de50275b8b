"""Citizen and public pages, mounted at the site root."""

from django.urls import path

from complaints.common.pagecache import public_page
from complaints.portal import feeds, follow_views, maps, views

app_name = "complaints"

urlpatterns = [
    path("lapor/", views.file_report, name="file"),
    path("lapor/serupa/", views.similar, name="similar"),
    path("lapor/wilayah/", views.locate_area, name="locate_area"),
    path("lapor/terkirim/<str:tracking_id>/", views.filed, name="filed"),
    path("laporan/", public_page(views.feed), name="feed"),
    # Atom feeds (before the report page's pattern)
    path("laporan/feed/semua.atom", public_page(feeds.ReportsFeed()), name="feed_atom"),
    path("laporan/feed/kecamatan/<str:code>.atom", public_page(feeds.KecamatanFeed()), name="feed_kecamatan"),
    path("laporan/feed/kelurahan/<str:code>.atom", public_page(feeds.KelurahanFeed()), name="feed_kelurahan"),
    path("laporan/feed/kategori/<slug:slug>.atom", public_page(feeds.CategoryFeed()), name="feed_kategori"),
    path("laporan/<str:tracking_id>/", public_page(views.report_detail), name="detail"),
    path("laporan/<str:tracking_id>/akses-identitas/", views.identity_log, name="identity_log"),
    path("lacak/", views.track, name="track"),
    path("saya/", views.my_reports, name="mine"),
    path("notifikasi/", views.notifications, name="notifications"),
    path("privasi/", views.privacy_notice, name="privacy"),
    path("ikuti/", follow_views.follow, name="follow"),
    path("ikuti/konfirmasi/<str:token>/", follow_views.confirm, name="follow_confirm"),
    path("ikuti/berhenti/<str:token>/", follow_views.unsubscribe, name="follow_unsubscribe"),
    path("peta/", public_page(maps.public_map), name="map"),
    path("peta/data.json", public_page(maps.map_data), name="map_data"),
    path("peta/wilayah.geojson", maps.areas_geojson, name="areas_geojson"),
]
