"""Account URLs, mounted at /akun/."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .password_reset import PasswordResetRequestView

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", views.login_view, name="login"),
    path("masuk/kode/", views.login_code, name="login_code"),
    path("dua-langkah/", views.second_factor_setup, name="second_factor"),
    path("keluar/", views.logout_view, name="logout"),
    path("daftar/", views.register, name="register"),
    path("verifikasi/", views.verify, name="verify"),
    path("verifikasi/telepon/", views.verify_phone, name="verify_phone"),
    path("profil/", views.profile, name="profile"),
    path("profil/sandi/", views.password_change, name="password_change"),
    path("keluar-semua/", views.logout_everywhere, name="logout_everywhere"),
    path("konfirmasi-laporan/<str:token>/", views.confirm_report, name="confirm_report"),
    path("data/", views.data_export, name="data"),
    path("hapus/", views.delete_account, name="delete"),
    path(
        "lupa-sandi/",
        PasswordResetRequestView.as_view(
            template_name="registration/password_reset_form.html",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
            extra_email_context={"site_name": settings.SITE_NAME},
        ),
        name="password_reset",
    ),
    path(
        "lupa-sandi/terkirim/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "lupa-sandi/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "lupa-sandi/selesai/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
