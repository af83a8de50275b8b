"""The portal's URLs plus `/bench/trivial/`: a Django view that does no query and renders no
template, served through the same middleware by the same gunicorn, the baseline every measured
page is compared with."""

from django.http import HttpResponse
from django.urls import path

from lapor.urls import urlpatterns as portal_urlpatterns


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *portal_urlpatterns]
