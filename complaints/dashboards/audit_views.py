"""The auditors' staff activity view under /audit/petugas/: what each staff member did (timeline
actions), whose identity they viewed or revealed, when and from where — filterable by staff
member, period and kind, and exportable as CSV. Read-only; auditors (and the superadmin) only."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from complaints import audit, privacy
from complaints.dashboards import exports

PAGE_LIMIT = 500
EXPORT_LIMIT = 50000


class ActivityFilterForm(forms.Form):
    staff = forms.ModelChoiceField(
        label=gettext_lazy("Petugas"), queryset=None, required=False, empty_label=gettext_lazy("— semua petugas —")
    )
    start = forms.DateField(
        label=gettext_lazy("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Jenis"),
        required=False,
        choices=[("", gettext_lazy("— semua —")), *audit.ActivityKind.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = audit.staff_users()
        self.fields["staff"].label_from_instance = lambda u: f"{u.full_name or u.email} <{u.email}>"

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("Tanggal awal harus sebelum tanggal akhir."))
        return data

    def bounds(self):
        """The period as aware datetimes [start, end) in the deployment's time zone."""
        tz = timezone.get_current_timezone()
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return (
            timezone.make_aware(datetime.combine(start, time.min), tz) if start else None,
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz) if end else None,
        )


def _auditor(request):
    if not privacy.can(request.user, "audit_all"):
        raise PermissionDenied(_("Halaman ini untuk auditor."))


def _rows(request, form, limit):
    start, end = form.bounds()
    return audit.activity(
        viewer=request.user,
        staff=form.cleaned_data.get("staff"),
        start=start,
        end=end,
        kind=form.cleaned_data.get("kind") or "",
        limit=limit,
    )


@login_required
@never_cache
@require_GET
def staff_activity(request):
    """/audit/petugas/: the activity list, newest first (the latest PAGE_LIMIT rows)."""
    _auditor(request)
    form = ActivityFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "dashboards/staff_activity.html", {"form": form, "rows": []}, status=400)
    if not request.GET:
        form = ActivityFilterForm({})
        form.is_valid()
    rows = _rows(request, form, PAGE_LIMIT)
    context = {
        "form": form,
        "rows": rows,
        "capped": len(rows) >= PAGE_LIMIT,
        "query": request.GET.urlencode(),
    }
    return render(request, "dashboards/staff_activity.html", context)


@login_required
@never_cache
@require_GET
def staff_activity_export(request):
    """/audit/petugas/ekspor.csv: the same rows as CSV (no reporter identity: tracking ids only)."""
    _auditor(request)
    form = ActivityFilterForm(request.GET or {})
    if not form.is_valid():
        messages = " ".join(str(m) for errors in form.errors.values() for m in errors)
        from django.http import HttpResponse

        return HttpResponse(messages, status=400, content_type="text/plain; charset=utf-8")
    header = [
        _("Waktu"),
        _("Petugas"),
        _("Email"),
        _("Jenis"),
        _("Tindakan"),
        _("Laporan"),
        _("Alasan"),
        _("Alamat IP"),
        _("Perangkat (user agent)"),
    ]

    def rows():
        yield header
        for r in _rows(request, form, EXPORT_LIMIT):
            yield [
                timezone.localtime(r.at).isoformat(timespec="seconds"),
                r.staff.full_name if r.staff else "",
                r.staff.email if r.staff else "",
                r.kind_label,
                r.what,
                r.tracking_id,
                r.reason,
                r.client_ip,
                r.user_agent,
            ]

    return exports.csv_response(rows(), "aktivitas-petugas")
