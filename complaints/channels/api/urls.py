"""`/api/v1/` (docs/product.md §8), with the OpenAPI 3 schema and its Swagger UI (local assets)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from complaints.channels.api import views

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="api-agency")
router.register("categories", views.CategoryViewSet, basename="api-category")
router.register("areas", views.AreaViewSet, basename="api-area")
router.register("complaints", views.ComplaintViewSet, basename="api-complaint")
router.register("notifications", views.NotificationViewSet, basename="api-notification")
router.register("sanctions", views.SanctionViewSet, basename="api-sanction")

urlpatterns = [
    path("auth/register/", accounts_api.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("auth/logout-all/", accounts_api.LogoutAllView.as_view(), name="api-logout-all"),
    path("auth/verify-email/", accounts_api.VerifyEmailView.as_view(), name="api-verify-email"),
    path("auth/verify-email/resend/", accounts_api.ResendVerificationView.as_view(), name="api-verify-email-resend"),
    path("auth/verify-phone/", accounts_api.VerifyPhoneView.as_view(), name="api-verify-phone"),
    path("auth/verify-phone/resend/", accounts_api.ResendPhoneCodeView.as_view(), name="api-verify-phone-resend"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html", throttle_classes=[]
        ),
        name="api-docs",
    ),
    path("", include(router.urls)),
    re_path(r"^.*$", views.not_found_view),
]
