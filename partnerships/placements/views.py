"""Placement pages: the list, one placement (confirm, reject, end), an MoU's delivery, and
the report form of the business portal."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    can_confirm_placement,
    can_confirm_placements_of,
    can_end_placement,
    can_list_placements,
    can_report_placement,
    can_see_identity,
    has_role,
    identity_conflicts_to_settle,
)
from partnerships.core.access import role_required
from partnerships.core.downloads import table_download
from partnerships.core.params import whole_number
from partnerships.models import Confirmation, IdentityConflict, Placement, Role
from partnerships.mous import selectors
from partnerships.placements import selectors as placement_selectors
from partnerships.placements import services as placements
from partnerships.placements.delivery import RETENTION_MONTHS
from partnerships.placements.forms import EndPlacementForm, PlacementReportForm, RejectForm
from partnerships.placements.open_places import open_lines
from partnerships.placements.open_places_table import OpenPlaceFilter, OpenPlaceTable
from partnerships.placements.rules import MESSAGES, wage_below_minimum


@role_required
def placement_list(request):
    if not can_list_placements(request.user):
        # Officials, and anyone else who may see MoUs but not people: counts only.
        return _counts_page(request)
    confirmation = request.GET.get("confirmation", "")
    to_confirm = request.GET.get("queue") == "to_confirm"
    identity_conflicts = request.GET.get("queue") == "identity_conflicts"
    queryset = placement_selectors.placement_list(
        user=request.user,
        confirmation=confirmation,
        to_confirm=to_confirm,
        identity_conflicts=identity_conflicts,
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    confirmable = {
        row.pk
        for row in page
        if row.confirmation == Confirmation.REPORTED
        and not row.held
        and can_confirm_placement(request.user, row)
    }
    # The mark is for those who settle the check; for the others the row waits as any.
    to_check = {row.pk for row in page if row.held and can_see_identity(request.user, row.person)}
    return render(
        request,
        "placements/list.html",
        {
            "page": page,
            "confirmable": confirmable,
            "to_check": to_check,
            "confirmation": confirmation,
            "confirmation_choices": Confirmation.choices,
            "to_confirm": to_confirm,
            "identity_conflicts": identity_conflicts,
            "conflicts_to_settle": identity_conflicts_to_settle(request.user).count(),
            "show_person_groups": has_role(request.user, Role.AUTHORITY_STAFF),
        },
    )


def _counts_page(request):
    mous = placement_selectors.mou_delivery_counts(user=request.user)
    page = Paginator(mous, 50).get_page(request.GET.get("page"))
    return render(request, "placements/counts.html", {"page": page})


@role_required
@require_POST
def placement_confirm_many(request):
    """Confirm the ticked placements of the list; each is checked on its own."""
    ids = [
        number
        for number in map(whole_number, request.POST.getlist("placement"))
        if number is not None
    ]
    rows = placement_selectors.placement_for_detail(user=request.user).filter(pk__in=ids)
    confirmed = 0
    for placement in rows:
        try:
            placements.confirm_placement(placement=placement, actor=request.user)
        except (placements.PlacementError, PermissionDenied):
            continue
        confirmed += 1
    messages.success(request, _("Placements confirmed: %(count)s.") % {"count": confirmed})
    return redirect("placement_list")


@role_required
def placement_detail(request, pk):
    placement = get_object_or_404(
        placement_selectors.placement_for_detail(user=request.user), pk=pk
    )
    held = IdentityConflict.objects.filter(placement_id=placement.pk).exists()
    may_decide = (
        placement.confirmation == Confirmation.REPORTED
        and not held
        and can_confirm_placement(request.user, placement)
    )
    # Staff of the person's managing authority see the two sets of details and settle;
    # staff of the MoU's authority only learn that the check is pending.
    conflict = placements.reveal_identity_conflict(placement=placement, actor=request.user)
    check_pending = held and conflict is None and can_confirm_placement(request.user, placement)
    may_end = (
        not placement.is_ended
        and placement.confirmation != Confirmation.REJECTED
        and can_end_placement(request.user, placement)
    )
    return render(
        request,
        "placements/detail.html",
        {
            "placement": placement,
            "mou": placement.pledge.mou,
            "line": placement.pledge.line,
            "may_decide": may_decide,
            "reject_form": RejectForm() if may_decide or conflict else None,
            "conflict": conflict,
            "check_pending": MESSAGES["identity_check_pending"] if check_pending else "",
            "end_form": EndPlacementForm() if may_end else None,
            "may_open_person": can_see_identity(request.user, placement.person),
            "show_person_groups": has_role(request.user, Role.AUTHORITY_STAFF),
        },
    )


def _placement_for_action(request, pk) -> Placement:
    return get_object_or_404(placement_selectors.placement_for_detail(user=request.user), pk=pk)


@role_required
@require_POST
def placement_confirm(request, pk):
    placement = _placement_for_action(request, pk)
    try:
        placements.confirm_placement(placement=placement, actor=request.user)
    except placements.PlacementError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Placement confirmed: it counts as delivered."))
    return redirect("placement_detail", pk=pk)


@role_required
@require_POST
def placement_reject(request, pk):
    placement = _placement_for_action(request, pk)
    form = RejectForm(request.POST)
    try:
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        placements.reject_placement(placement=placement, actor=request.user, reason=reason)
    except placements.PlacementError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Placement rejected."))
    return redirect("placement_detail", pk=pk)


@role_required
@require_POST
def placement_settle_identity(request, pk):
    """Staff of the person's managing authority settle an identity check: the same person,
    or not (the report is rejected with the reason given)."""
    placement = _placement_for_action(request, pk)
    same_person = request.POST.get("decision") == "same_person"
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if not same_person and form.is_valid() else ""
    try:
        placements.settle_identity_conflict(
            placement=placement, actor=request.user, same_person=same_person, reason=reason
        )
    except placements.PlacementError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Settled: the placement now awaits confirmation.")
            if same_person
            else _("Settled: the report is rejected."),
        )
    return redirect("placement_detail", pk=pk)


@role_required
@require_POST
def placement_end(request, pk):
    placement = _placement_for_action(request, pk)
    form = EndPlacementForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("placement_detail", pk=pk)
    try:
        placements.end_placement(placement=placement, actor=request.user, **form.cleaned_data)
    except placements.PlacementError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The end of the placement is recorded."))
    return redirect("placement_detail", pk=pk)


@role_required
def mou_placements(request, pk):
    """An MoU's delivery: counts per pledge line for everyone who may see the MoU; the
    placements themselves for those who may see them."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    pledges = placement_selectors.pledge_delivery(mou)
    rows = None
    if can_list_placements(request.user):
        rows = placement_selectors.placement_list(user=request.user, mou_id=mou.pk)[:200]
    return render(
        request,
        "placements/mou.html",
        {
            "mou": mou,
            "pledges": pledges,
            "retention_months": RETENTION_MONTHS,
            "rows": rows,
            "can_report": can_report_placement(request.user, mou),
            "can_confirm": can_confirm_placements_of(request.user, mou),
        },
    )


@sensitive_post_parameters("national_id", "full_name")
@role_required
def placement_report(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_report_placement(request.user, mou):
        raise PermissionDenied
    form = PlacementReportForm(request.POST or None, mou=mou)
    low_wage = None
    if request.method == "POST":
        parsed = form.is_valid()
        # What did parse is checked against the rules even when something else did not:
        # every mistake shows at once.
        problems = placements.report_rule_problems(form.cleaned_data, today=timezone.localdate())
        _show_problems(form, problems)
        data = form.cleaned_data
        if parsed and not problems:
            if (
                wage_below_minimum(data["pledge"], data["monthly_wage"])
                and not data["low_wage_confirmed"]
            ):
                low_wage = {
                    "wage": data["monthly_wage"],
                    "minimum": data["pledge"].min_monthly_wage,
                    "line": data["pledge"].line,
                }
            else:
                placement = _report(request, data)
                if isinstance(placement, placements.PlacementError):
                    _show_problems(form, placement.problems)
                else:
                    messages.success(
                        request,
                        _("Placement %(reference)s recorded.") % {"reference": placement.reference},
                    )
                    return redirect("mou_placements", pk=mou.pk)
    return render(
        request,
        "placements/report_form.html",
        {"form": form, "mou": mou, "low_wage": low_wage},
    )


def _report(request, data):
    """The placement recorded, or the PlacementError that says why not."""
    try:
        return placements.report_placement(
            actor=request.user,
            person=placements.PersonDetails(
                national_id=data["national_id"],
                full_name=data["full_name"],
                gender=data["gender"],
                birth_year=data["birth_year"],
                target_group=data["target_group"],
                consent_given_on=data["consent_given_on"],
                consent_scope=data["consent_scope"],
            ),
            placement=placements.PlacementDetails(
                pledge=data["pledge"],
                start_date=data["start_date"],
                contract_type=data["contract_type"],
                occupation=data["occupation"],
                monthly_wage=data["monthly_wage"],
            ),
        )
    except placements.PlacementError as error:
        return error


def _show_problems(form, problems) -> None:
    for problem in problems:
        field = problem.column if problem.column in form.fields else None
        if field is None or field not in form.errors:
            form.add_error(field, problem.message)


@role_required
def open_places(request):
    """Pledge lines with places still open, to send people to: filterable and exportable."""
    lines = open_lines(user=request.user)
    place_filter = OpenPlaceFilter(request.GET or None, lines=lines)
    table = OpenPlaceTable(place_filter.qs if place_filter.is_bound else lines)
    export_format = request.GET.get("_export")
    if export_format in ("csv", "xlsx"):
        # The export keeps the filters and the sort, and holds every matching line.
        RequestConfig(request, paginate=False).configure(table)
        return table_download(table, file_name="open-places", file_format=export_format)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "placements/open_places.html", {"filter": place_filter, "table": table})
