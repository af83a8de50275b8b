"""TPP sanction pages under /audit/sanksi/ (docs/product.md §5): the month's recommendations for
auditors (all) and heads (their own agency's), one recommendation with its frozen evidence, the
auditor's confirm/waive form, the head's clarification form, and the payroll export (CSV, XLSX) of
confirmed sanctions. Thin views over `complaints.deadlines.sanctions`, which decides who may do what."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies import calendar
from complaints.dashboards import exports
from complaints.deadlines import sanctions
from complaints.errors import Invalid, NotFound, WorkflowError
from complaints.models import ClockKind, Sanction

DATE_FIELDS = ("started_at", "deadline", "escalated_at", "stopped_at")


def _month(request):
    """The `bulan` query parameter (YYYY-MM), last month by default; Invalid when malformed."""
    value = request.GET.get("bulan")
    return sanctions.parse_month(value, field="bulan") if value else sanctions.last_month()


def _reader(request):
    if not sanctions.may_read(request.user):
        raise PermissionDenied(_("Halaman ini untuk auditor dan pimpinan instansi."))


def _summarise(sanction):
    sanction.evidence_count = len(sanction.evidence)
    sanction.days_late_total = sanctions.days_late(sanction)
    sanction.late_count = sanctions.late_evidence(sanction)
    return sanction


@require_GET
@login_required
def sanction_list(request):
    _reader(request)
    try:
        month = _month(request)
    except Invalid as exc:
        return render(
            request,
            "sanctions/list.html",
            {"errors": exc.fields.get("bulan", []), "rows": [], "month": None},
            status=400,
        )
    rows = [_summarise(s) for s in sanctions.sanctions_visible_to(request.user, month)]
    context = {
        "month": month,
        "month_value": month.strftime("%Y-%m"),
        "previous": calendar.previous_month(month).strftime("%Y-%m"),
        "next": calendar.next_month(month).strftime("%Y-%m"),
        "rows": rows,
        "any_confirmed": any(s.status == Sanction.Status.CONFIRMED for s in rows),
        "Status": Sanction.Status,
    }
    return render(request, "sanctions/list.html", context)


def _evidence_rows(sanction):
    """The evidence items the reader may see (`sanctions.with_evidence_for` ran), for the table."""
    rows = []
    for item in sanction.visible_evidence:
        row = dict(item)
        # The kind of deadline in the reader's language (the frozen label is the builder's).
        if item.get("clock_kind") in ClockKind.values:
            row["clock_label"] = ClockKind(item["clock_kind"]).label
        for field in DATE_FIELDS:
            row[field] = parse_datetime(item[field]) if item.get(field) else None
        rows.append(row)
    return rows


def _detail(request, sanction, *, errors=None, form=None, status=200):
    user = request.user
    recommended = sanction.status == Sanction.Status.RECOMMENDED
    # Only the evidence naming reports this reader may see; the rest is a count.
    sanctions.with_evidence_for(user, [sanction])
    context = {
        "s": _summarise(sanction),
        "evidence": _evidence_rows(sanction),
        "people": [
            {**p, "role": str(sanctions.ROLE_LABELS.get(p.get("role"), p.get("role", "")))}
            for p in sanctions.people_of_record(sanction)
        ],
        "can_decide": recommended and sanctions.may_decide(user, sanction),
        "can_clarify": recommended and not sanction.clarification and sanctions.may_clarify(user, sanction),
        "errors": errors or {},
        "form": form or {},
        "Status": Sanction.Status,
    }
    return render(request, "sanctions/detail.html", context, status=status)


def _get(request, pk):
    try:
        return sanctions.get_sanction(request.user, pk)
    except NotFound:
        raise Http404(_("Rekomendasi sanksi tidak ditemukan."))


@require_GET
@login_required
def sanction_detail(request, pk):
    return _detail(request, _get(request, pk))


def _act(request, pk, action, fields):
    """Run a service, then redirect to the detail (PRG), or show the form again with its error."""
    sanction = _get(request, pk)
    try:
        action()
    except WorkflowError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()} or {"__all__": [str(exc.message)]}
        form = {k: request.POST.get(k, "") for k in fields}
        return _detail(
            request, sanctions.get_sanction(request.user, sanction.pk), errors=errors, form=form, status=exc.status_code
        )
    return redirect("sanctions:detail", pk=sanction.pk)


@require_POST
@login_required
def sanction_decide(request, pk):
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")

    def action():
        if decision == "confirm":
            sanctions.confirm(pk, request.user, reason)
            messages.success(request, _("Rekomendasi sanksi dikonfirmasi."))
        elif decision == "waive":
            sanctions.waive(pk, request.user, reason)
            messages.success(request, _("Rekomendasi sanksi dibatalkan."))
        else:
            raise Invalid(fields={"decision": [_("Pilih konfirmasi atau batalkan.")]})

    return _act(request, pk, action, ("decision", "reason"))


@require_POST
@login_required
def sanction_clarify(request, pk):
    def action():
        sanctions.clarify(pk, request.user, request.POST.get("clarification", ""))
        messages.success(request, _("Klarifikasi disimpan."))

    return _act(request, pk, action, ("clarification",))


def _export(request, render_file, content_type, extension):
    _reader(request)
    try:
        month = _month(request)
    except Invalid as exc:
        return HttpResponse(
            " ".join(str(m) for m in exc.fields["bulan"]), status=400, content_type="text/plain; charset=utf-8"
        )
    data = render_file(list(sanctions.confirmed_for_export(request.user, month)))
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="sanksi-tpp-{month:%Y-%m}.{extension}"'
    return response


@require_GET
@login_required
def export_csv(request):
    return _export(request, exports.sanctions_csv, "text/csv; charset=utf-8", "csv")


@require_GET
@login_required
def export_xlsx(request):
    return _export(
        request, exports.sanctions_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    )


urlpatterns = [
    # The list and the exports only read: a read replica may answer them (complaints.common.replicas).
    # On the primary: a confirmed sanction moves no publication generation, so a replica that
    # looks caught up may not have it, and the export is the payroll's (docs/architecture.md,
    # "Read replicas").
    path("", sanction_list, name="list"),
    path("ekspor.csv", export_csv, name="export-csv"),
    path("ekspor.xlsx", export_xlsx, name="export-xlsx"),
    path("<int:pk>/", sanction_detail, name="detail"),
    path("<int:pk>/keputusan/", sanction_decide, name="decide"),
    path("<int:pk>/klarifikasi/", sanction_clarify, name="clarify"),
]
