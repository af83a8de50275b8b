"""A URLconf for the 500 page test: the site's own handlers, plus one view that fails."""

from django.urls import path


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom)]

handler500 = "lapor.views.server_error"
