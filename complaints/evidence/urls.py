"""Attachment files under /lampiran/, each answered through the privacy rule (`views`)."""

from django.urls import path

from complaints.evidence import views

urlpatterns = [
    path("<uuid:key>/", views.attachment, name="attachment"),
    path("<uuid:key>/thumb/", views.attachment, {"thumb": True}, name="attachment-thumb"),
]
