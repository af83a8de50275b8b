"""Users and their roles in the superadmin's Django admin.

Phone and NIK are personal data (UU 27/2022): the change form shows them (the superadmin manages
accounts), but lists, filters and search never do.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Membership, User


def _unique_email(form):
    email = (form.cleaned_data.get("email") or "").strip().lower()
    if email and User.objects.filter(email=email).exclude(pk=form.instance.pk).exists():
        raise forms.ValidationError(_("Email ini sudah dipakai akun lain."))
    return email


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self):
        return _unique_email(self)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return _unique_email(self)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("role", "agency", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("agency",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    inlines = [MembershipInline]
    # No phone, no NIK in the list, the filters or the search (docs/product.md §3, §9).
    list_display = ("id", "email", "full_name", "role_list", "is_active", "is_staff", "date_joined")
    list_display_links = ("id", "email")
    list_filter = ("is_active", "is_staff", "is_superuser", "email_verified", "sms_only", "membership__role")
    search_fields = ("email", "full_name", "display_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "erased_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profil"), {"fields": ("full_name", "display_name", "phone", "nik", "nip", "preferred_language")}),
        (
            _("Verifikasi dan privasi"),
            {"fields": ("email_verified", "phone_verified", "sms_only", "privacy_consent_at", "erased_at")},
        ),
        (_("Akses admin"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Tanggal penting"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_inline_instances(self, request, obj=None):
        # Like Django's own user admin: create the account first, then give it its roles.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("membership_set__agency")

    @admin.display(description=_("peran"))
    def role_list(self, obj):
        return ", ".join(
            f"{m.get_role_display()} {m.agency.slug}" if m.agency else str(m.get_role_display())
            for m in obj.membership_set.all()
        )


# Second-factor devices are not edited in the admin: their secrets would be readable there. A lost
# device is reset on the server (`manage.py reset_second_factor EMAIL`, README "Security").
def _unregister_devices():
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_unregister_devices()
