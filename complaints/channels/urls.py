"""The machine channels: the REST API under /api/v1/, the SMS gateway's webhook and Open311 GeoReport v2."""

from django.urls import include, path

from complaints.channels import open311, sms

urlpatterns = [
    path("api/v1/", include("complaints.channels.api.urls")),
    path("sms/inbound/", sms.inbound, name="sms-inbound"),
    path("open311/v2/", include((open311.urlpatterns, "open311"))),
]
