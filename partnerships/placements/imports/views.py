"""Bulk import pages: upload, the batch (progress, preview, result), confirm, cancel, the
template downloads, and the list of problems as CSV."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerships.authorities.permissions import can_import_placements
from partnerships.core.access import role_required
from partnerships.core.downloads import attachment, spreadsheet
from partnerships.models import ImportBatch, Mou, Pledge
from partnerships.placements.forms import ImportUploadForm
from partnerships.placements.imports import service
from partnerships.placements.imports.columns import column_label, template_csv, template_xlsx
from partnerships.placements.imports.errors import ImportRefused, file_message
from partnerships.placements.rules import Problem

PROBLEMS_SHOWN = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(user):
    if not can_import_placements(user):
        raise PermissionDenied


@role_required
def import_upload(request):
    _require_importer(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > service.MAX_FILE_MEGABYTES * 1024 * 1024:
                raise ImportRefused("file_too_large", limit=service.MAX_FILE_MEGABYTES)
            batch = service.upload(user=request.user, file_name=upload.name, data=upload.read())
        except ImportRefused as error:
            form.add_error("file", error.message)
        else:
            return redirect("import_detail", pk=batch.pk)
    batches = ImportBatch.objects.filter(uploaded_by=request.user).defer(
        "rows", "row_errors", "pending_file"
    )[:20]
    return render(request, "placements/import_upload.html", {"form": form, "batches": batches})


def _own_batch(request, pk, *, light: bool = False) -> ImportBatch:
    """Only the uploader sees a batch; anyone else gets 404."""
    queryset = ImportBatch.objects.filter(uploaded_by=request.user)
    if light:
        queryset = queryset.defer("rows", "pending_file")
    return get_object_or_404(queryset, pk=pk)


def _problem_rows(batch: ImportBatch, limit: int | None = None):
    """(row number, column label, message) for each problem, in the reader's language."""
    shown = 0
    for entry in batch.row_errors:
        for data in entry["problems"]:
            problem = Problem.from_dict(data)
            yield entry["row"], column_label(problem.column), problem.message
            shown += 1
            if limit is not None and shown >= limit:
                return


def _summary_by_pledge(batch: ImportBatch) -> list[dict]:
    """How many rows go to each MoU pledge line, so the user can check before confirming."""
    counts = Counter((row["mou"], row["pledge"]) for row in batch.rows)
    if not counts:
        return []
    mous = Mou.objects.select_related("authority").in_bulk({mou for mou, _p in counts})
    pledges = Pledge.objects.in_bulk({pledge for _m, pledge in counts})
    return [
        {
            "mou": mous[mou_id],
            "line": pledges[pledge_id].line,
            "pledge": pledges[pledge_id],
            "count": count,
        }
        for (mou_id, pledge_id), count in sorted(counts.items())
    ]


@role_required
def import_detail(request, pk):
    batch = _own_batch(request, pk)
    problem_count = sum(len(entry["problems"]) for entry in batch.row_errors)
    return render(
        request,
        "placements/import_batch.html",
        {
            "batch": batch,
            "file_error": file_message(batch.error_code, batch.error_params)
            if batch.error_code
            else "",
            "problems": list(_problem_rows(batch, PROBLEMS_SHOWN)),
            "problem_count": problem_count,
            "rows_with_problems": len(batch.row_errors),
            "rows_to_add": len(batch.rows),
            "summary": _summary_by_pledge(batch) if batch.status == "preview" else [],
            "can_confirm": service.can_confirm(batch, request.user),
        },
    )


@role_required
def import_problems_csv(request, pk):
    batch = _own_batch(request, pk)
    # The problems quote the uploaded cells, so they go through the exports' formula guard.
    return spreadsheet(
        file_name=f"import-{batch.pk}-problems",
        file_format="csv",
        sheets=[(_("Problems"), [_("Row"), _("Column"), _("Problem")], _problem_rows(batch))],
    )


@role_required
@require_POST
def import_confirm(request, pk):
    batch = _own_batch(request, pk)
    try:
        service.confirm(batch=batch, user=request.user)
    except ImportRefused as error:
        messages.error(request, error.message)
    return redirect("import_detail", pk=pk)


@role_required
@require_POST
def import_cancel(request, pk):
    batch = _own_batch(request, pk, light=True)
    if service.cancel(batch=batch, user=request.user):
        messages.success(request, _("Import cancelled: nothing was saved."))
        return redirect("import_upload")
    # Finished meanwhile (imported, or cancelled already): say so, on the batch's own page.
    messages.info(request, _("This import had already finished; nothing was cancelled."))
    return redirect("import_detail", pk=batch.pk)


@role_required
def import_template(request, extension):
    _require_importer(request.user)
    if extension not in ("xlsx", "csv"):
        raise Http404
    if extension == "xlsx":
        response = HttpResponse(template_xlsx(), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    attachment(response, f"mau-nhap-tiep-nhan.{extension}")
    return response
