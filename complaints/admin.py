"""The superadmin's view of reports and their machinery.

Reports are read-only here: every change goes through `complaints.workflow` (docs/architecture.md, rule 2), so
the admin never saves a Complaint, an Event or a Disposition. The reporter's identity (account,
walk-in name and contact) is not displayed; the superadmin reaches it only through the
"Buka identitas" view, which asks for a reason and goes through `workflow.reveal` (logged in
`IdentityAccess` and visible to the reporter). Notification recipients are left out for the same
reason: the recipient of a reporter's notification *is* the reporter.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template import engines
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import workflow
from .errors import Forbidden, Invalid, NotFound
from .models import (
    Clock,
    ClockStep,
    Complaint,
    Disposition,
    Event,
    IdentityAccess,
    Notification,
    Open311Key,
    Sanction,
)


class ReadOnlyMixin:
    """View-only: the rows are written by the workflow, the sweeps and the outbox. Every field
    shown is read-only."""

    @property
    def readonly_fields(self):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Reports -----------------------------------------------------------------------------------------
class DispositionInline(ReadOnlyMixin, admin.TabularInline):
    model = Disposition
    fk_name = "complaint"
    extra = 0
    fields = (
        "agency",
        "parent",
        "status",
        "created_at",
        "due_at",
        "settlement_due_at",
        "first_followup_at",
        "finished_at",
        "returned_at",
        "return_reason",
        "return_pending",
        "extended_at",
        "ceiling_passed",
    )


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = Event
    fk_name = "complaint"
    extra = 0
    # `actor` is left out: on the reporter's own entries it would name the reporter.
    fields = ("created_at", "type", "actor_label", "audience", "disposition", "body")
    verbose_name_plural = _("riwayat (timeline)")


IDENTITY_HIDDEN = ("reporter", "walkin_name", "walkin_contact")

REVEAL_TEMPLATE = """{% extends "admin/base_site.html" %}{% load i18n admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{% translate 'Home' %}</a>
&rsaquo; <a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'change' original.pk|admin_urlquote %}">{{ original }}</a>
&rsaquo; {% translate "Buka identitas" %}</div>{% endblock %}
{% block content %}<div id="content-main">
{% if identity %}
<p>{% blocktranslate with tid=original.tracking_id %}Identitas pelapor laporan {{ tid }}. Akses ini tercatat dan dapat dilihat pelapor.{% endblocktranslate %}</p>
<table>
{% for label, value in identity %}<tr><th scope="row">{{ label }}</th><td>{{ value|default:"-" }}</td></tr>{% endfor %}
</table>
<p><a href="{% url opts|admin_urlname:'change' original.pk|admin_urlquote %}">{% translate "Kembali ke laporan" %}</a></p>
{% else %}
<p>{% blocktranslate with tid=original.tracking_id %}Membuka identitas pelapor laporan {{ tid }} dicatat di log akses identitas bersama alasan Anda, dan pelapor dapat melihatnya.{% endblocktranslate %}</p>
<form method="post">{% csrf_token %}
{{ form.non_field_errors }}
<fieldset class="module aligned"><div class="form-row">
{{ form.reason.errors }}<label class="required" for="{{ form.reason.id_for_label }}">{{ form.reason.label }}</label>
{{ form.reason }}<div class="help">{{ form.reason.help_text }}</div>
</div></fieldset>
<div class="submit-row"><input type="submit" class="default" value="{% translate 'Buka identitas (tercatat)' %}"></div>
</form>
{% endif %}
</div>{% endblock %}"""

IDENTITY_LABELS = {
    "display_name": _("nama tampilan"),
    "full_name": _("nama lengkap"),
    "email": _("email"),
    "phone": _("nomor telepon"),
    "nik": _("NIK"),
    "contact": _("kontak"),
}


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Minimal 10 karakter, misalnya dasar pemeriksaan atau surat tugas."),
    )


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("tracking_id", "title", "kind", "privacy", "status", "category", "channel", "created_at")
    list_filter = ("status", "kind", "privacy", "channel", "oversight", "archive_reason", "category")
    list_select_related = ("category",)
    # Never by reporter: searching by a person would be an unlogged identity lookup.
    search_fields = ("tracking_id", "title")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = IDENTITY_HIDDEN
    inlines = [DispositionInline, EventInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "tracking_id",
                    "status",
                    "kind",
                    "privacy",
                    "channel",
                    "channel_link",
                    "category",
                    "oversight",
                    "title",
                    "body",
                    "public_summary",
                )
            },
        ),
        (_("Lokasi"), {"fields": ("location_text", "kecamatan", "kelurahan", "lat", "lng", "incident_date")}),
        (_("Instansi"), {"fields": ("target_agency", "terlapor_agency", "accused_name", "accused_position")}),
        (_("Pelapor"), {"fields": ("reporter_identity", "entered_by")}),
        (
            _("Waktu dan penutupan"),
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "verified_at",
                    "closed_at",
                    "archive_reason",
                    "archive_note",
                    "forwarded_to",
                    "merged_into",
                )
            },
        ),
        (
            _("Tenggat"),
            {
                "fields": (
                    "verification_due_at",
                    "verification_days_left",
                    "tunda_due_at",
                    "redisposition_due_at",
                    "autoclose_due_at",
                    "reopen_until",
                )
            },
        ),
        (_("Penilaian dan dukungan"), {"fields": ("rating", "rating_comment", "support_count", "reopen_count")}),
    )
    readonly_fields = tuple(name for _title, spec in fieldsets for name in spec["fields"])

    def has_add_permission(self, request):
        return False  # reports are filed through the workflow (web, API, SMS, manual entry)

    def has_change_permission(self, request, obj=None):
        return False  # status and history change only through complaints.workflow

    def has_delete_permission(self, request, obj=None):
        return False  # the timeline is append-only

    @admin.display(description=_("identitas pelapor"))
    def reporter_identity(self, obj):
        if obj.reporter_id is None and not obj.walkin_name:
            return _("Tidak ada identitas pelapor.")
        url = reverse("admin:complaints_complaint_reveal", args=[obj.pk])
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            _("Tidak ditampilkan. Gunakan tombol"),
            url,
            _("Buka identitas (tercatat)"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="complaints_complaint_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, object_id):
        """GET: the form asking for a reason; POST: `workflow.reveal` (logged), then the identity."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        form = RevealForm(request.POST if request.method == "POST" else None)
        identity = None
        if form.is_valid():
            try:
                fields = workflow.reveal(obj.pk, by=request.user, reason=form.cleaned_data["reason"])
            except Invalid as exc:
                for name, errors in (exc.fields or {"reason": [exc.message]}).items():
                    for error in errors:
                        form.add_error("reason" if name == "reason" else None, error)
            except (NotFound, Forbidden):
                form.add_error(None, _("Akun Anda tidak berwenang membuka identitas pelapor laporan ini."))
            else:
                identity = [(IDENTITY_LABELS.get(k, k), v) for k, v in (fields or {}).items()]
                messages.info(request, _("Akses identitas tercatat."))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Buka identitas pelapor"),
            "subtitle": obj.tracking_id,
            "opts": self.opts,
            "original": obj,
            "form": form,
            "identity": identity,
        }
        # The page's template lives here, beside the only view that uses it.
        return HttpResponse(engines["django"].from_string(REVEAL_TEMPLATE).render(context, request))


# Timeline and identity log ----------------------------------------------------------------------
@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "complaint", "type", "actor_label", "staff_actor", "client_ip", "audience")
    list_filter = ("type", "audience", "actor_role")
    list_select_related = ("complaint", "actor")
    search_fields = ("complaint__tracking_id", "actor__email", "actor__full_name")
    date_hierarchy = "created_at"
    # `actor` itself is left out (see EventInline): `staff_actor` names only staff members.
    fields = (
        "staff_actor",
        "client_ip",
        "user_agent",
        "complaint",
        "type",
        "created_at",
        "actor_label",
        "actor_role",
        "actor_agency",
        "audience",
        "disposition",
        "body",
        "data_json",
    )

    @admin.display(description=_("data"))
    def data_json(self, obj):
        return json.dumps(obj.data, ensure_ascii=False, indent=1)

    @admin.display(description=_("petugas"))
    def staff_actor(self, obj):
        # Staff act in the name of their office, and the admin answers for who it was; a
        # citizen's own entries keep their actor hidden (the reporter's identity).
        if obj.actor is None or obj.actor_role in ("", "system", "pelapor"):
            return "-"
        return f"{obj.actor.full_name or obj.actor.email} <{obj.actor.email}>"


@admin.register(IdentityAccess)
class IdentityAccessAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "complaint", "kind", "role", "agency", "user", "client_ip")
    list_filter = ("kind", "role", ("agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("complaint", "agency", "user")
    search_fields = ("complaint__tracking_id",)
    date_hierarchy = "created_at"
    fields = ("complaint", "user", "role", "agency", "kind", "reason", "created_at", "client_ip", "user_agent")


# Outbox and clocks ------------------------------------------------------------------------------
@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "complaint", "template", "channel", "audience", "sent_at", "attempts", "last_error")
    list_filter = ("channel", "audience", "template", ("sent_at", admin.EmptyFieldListFilter))
    list_select_related = ("complaint",)
    search_fields = ("complaint__tracking_id",)
    date_hierarchy = "created_at"
    # No recipient, subject or text: they would name (or greet) the reporter.
    fields = (
        "complaint",
        "event",
        "template",
        "channel",
        "audience",
        "dedup_key",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
        "read_at",
    )


class ClockStepInline(ReadOnlyMixin, admin.TabularInline):
    model = ClockStep
    extra = 0
    fields = ("step", "due_at", "done_at", "skipped", "event")


@admin.register(Clock)
class ClockAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "complaint",
        "kind",
        "agency",
        "disposition",
        "started_at",
        "length",
        "due_at",
        "stopped_at",
        "stop_reason",
    )
    list_filter = ("kind", ("stopped_at", admin.EmptyFieldListFilter), ("agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("complaint", "agency", "disposition")
    search_fields = ("complaint__tracking_id",)
    date_hierarchy = "due_at"
    fields = (
        "complaint",
        "disposition",
        "kind",
        "agency",
        "started_at",
        "length",
        "due_at",
        "stopped_at",
        "stop_reason",
    )
    inlines = [ClockStepInline]


@admin.register(ClockStep)
class ClockStepAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("clock", "step", "due_at", "done_at", "skipped")
    list_filter = ("step", "skipped")
    list_select_related = ("clock",)
    search_fields = ("clock__complaint__tracking_id",)
    date_hierarchy = "done_at"
    fields = ("clock", "step", "due_at", "done_at", "skipped", "event")


# Sanctions and Open311 --------------------------------------------------------------------------
@admin.register(Sanction)
class SanctionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: the monthly job recommends, the head clarifies and an auditor decides (API)."""

    list_display = ("agency", "month", "status", "evidence_count", "decided_by", "decided_at")
    list_filter = ("status", "month", ("agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("agency", "decided_by")
    fields = (
        "agency",
        "month",
        "status",
        "created_at",
        "evidence_json",
        "clarification",
        "clarified_by",
        "clarified_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )

    @admin.display(description=_("jumlah bukti"))
    def evidence_count(self, obj):
        return len(obj.evidence or [])

    @admin.display(description=_("bukti"))
    def evidence_json(self, obj):
        return json.dumps(obj.evidence, ensure_ascii=False, indent=1)


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "is_active", "key", "created_at")
    readonly_fields = ("key", "created_at")
