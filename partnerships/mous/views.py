"""Staff, official and business pages for MoUs: list, create, edit, detail, transitions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from partnerships.authorities.permissions import (
    authorities_for_drafting,
    can_create_mou,
    can_manage_mou,
    can_renew_mou,
    can_review_mou,
    user_authority,
    visible_partners,
)
from partnerships.core.access import role_required
from partnerships.core.downloads import table_download
from partnerships.documents import rendering
from partnerships.models import Authority, Mou, MouState
from partnerships.mous import drafting, lifecycle, selectors
from partnerships.mous.filters import MouFilter
from partnerships.mous.forms import (
    MouForm,
    PledgeFormSet,
    ReviewForm,
    TransitionForm,
)
from partnerships.mous.tables import MouTable
from partnerships.signing.views import business_signing_context, signing_context

EXPORT_FORMATS = ("csv", "xlsx")


@role_required
def mou_list(request):
    mou_filter = MouFilter(request.GET or None, queryset=selectors.mou_list(user=request.user))
    queryset = mou_filter.qs if mou_filter.is_bound else mou_filter.queryset
    table = MouTable(queryset)
    export_format = request.GET.get("_export")
    if export_format in EXPORT_FORMATS:
        # The export keeps the filters and the sort, and shows every matching row.
        RequestConfig(request, paginate=False).configure(table)
        return table_download(table, file_name="mous", file_format=export_format)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "mous/list.html",
        {
            "filter": mou_filter,
            "table": table,
            "can_create_mou": can_create_mou(request.user),
        },
    )


def _mou_forms(request, mou):
    partners = visible_partners(request.user)
    authorities = authorities_for_drafting(request.user)
    if mou.pk:
        # A draft keeps its own authority even when that body has since been dissolved:
        # the successor's staff, who may manage it, must still be able to save it.
        authorities = authorities | Authority.objects.filter(pk=mou.authority_id)
    form = MouForm(
        request.POST or None,
        instance=mou,
        initial=_new_mou_initial(request, authorities, partners) if not mou.pk else None,
        authorities=authorities,
        partners=partners,
    )
    pledge_formset = PledgeFormSet(request.POST or None, instance=mou, prefix="pledges")
    return form, pledge_formset


def _new_mou_initial(request, authorities, partners) -> dict:
    """A new MoU starts with the staff member's own authority (or the only one they may
    draft for) and, coming from a partner's page (?partner=), that partner and its legal
    representative as signatory."""
    initial = {}
    own = user_authority(request.user)
    if own is not None and authorities.filter(pk=own.pk).exists():
        initial["authority"] = own.pk
    else:
        only = list(authorities.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            initial["authority"] = only[0]
    partner_id = request.GET.get("partner", "")
    partner = partners.filter(pk=partner_id).first() if partner_id.isdigit() else None
    if partner is not None:
        initial["partner"] = partner.pk
        representative = partner.contacts.filter(is_legal_representative=True).first()
        if representative is not None:
            initial["partner_signatory"] = representative.pk
    return initial


def _save_draft(request, mou, template_name):
    form, pledge_formset = _mou_forms(request, mou)
    if request.method == "POST" and form.is_valid() and pledge_formset.is_valid():
        try:
            saved = drafting.save_mou_draft(
                mou=mou,
                content=form.content(),
                pledges=pledge_formset.lines(),
                revision=form.cleaned_data.get("revision"),
                actor=request.user,
            )
        except lifecycle.MouError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("MoU %(number)s saved.") % {"number": saved.document_number}
            )
            return redirect(saved)
    return render(
        request, template_name, {"form": form, "pledge_formset": pledge_formset, "mou": mou}
    )


@role_required
def mou_create(request):
    if not can_create_mou(request.user):
        raise PermissionDenied
    return _save_draft(request, Mou(), "mous/form.html")


@role_required
def mou_edit(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_manage_mou(request.user, mou):
        raise PermissionDenied
    if not mou.is_editable:
        messages.error(request, _("Only a draft can be changed. Take the MoU back to draft first."))
        return redirect(mou)
    return _save_draft(request, mou, "mous/form.html")


def _may_record_review(user, mou) -> bool:
    return mou.state == MouState.ACTIVE and can_review_mou(user, mou)


@role_required
def mou_detail(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    actions = lifecycle.available_actions(mou, request.user)
    return render(
        request,
        "mous/detail.html",
        {
            "mou": mou,
            # As the document sent names them (live for a draft).
            "parties": mou.parties,
            "pledges": selectors.mou_pledges(mou),
            "timeline": selectors.mou_timeline(mou),
            "signatures": mou.signatures.all(),
            "document": rendering.current_document(mou),
            "can_prepare_document": mou.is_editable and can_manage_mou(request.user, mou),
            "reviews": mou.reviews.all(),
            "actions": [action for action in actions if not action.confirm_step],
            "confirm_actions": [action for action in actions if action.confirm_step],
            "blocked_actions": lifecycle.blocked_actions(mou, request.user),
            "can_edit": mou.is_editable and can_manage_mou(request.user, mou),
            "transition_form": TransitionForm(),
            "review_form": ReviewForm() if _may_record_review(request.user, mou) else None,
            "can_renew": can_renew_mou(request.user, mou),
            "renewals": mou.renewals.select_related("authority"),
            "signing": signing_context(request, mou),
            "business_signing": business_signing_context(request, mou),
        },
    )


@role_required
def mou_transition_confirm(request, pk, action):
    """The page that asks before an action that cannot be undone (Action.confirm_step):
    what it does, and the reason, which the partner will read."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    offered = {offer.name: offer for offer in lifecycle.available_actions(mou, request.user)}
    if action not in offered or not offered[action].confirm_step:
        messages.error(request, _("This action is not available for this MoU now."))
        return redirect(mou)
    return render(
        request,
        "mous/confirm_action.html",
        {"mou": mou, "action": offered[action], "form": TransitionForm()},
    )


@role_required
@require_POST
def mou_transition(request, pk, action):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if action not in lifecycle.ACTIONS:
        raise PermissionDenied
    expected_state = request.POST.get("expected_state")
    form = TransitionForm(request.POST)
    form.is_valid()
    try:
        if expected_state and expected_state != mou.state:
            # The page was loaded before someone else moved the MoU on.
            raise lifecycle.MouError(lifecycle.CONFLICT_MESSAGE)
        lifecycle.perform(mou, action, actor=request.user, note=form.cleaned_data.get("note", ""))
    except lifecycle.MouError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Done: the MoU is now “%(state)s”.") % {"state": mou.get_state_display()}
        )
    return redirect(mou)


@role_required
@require_POST
def mou_renew(request, pk):
    """Draft the renewal of a reviewed MoU and open it for editing."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    try:
        renewal = drafting.renew_mou(mou=mou, actor=request.user)
    except lifecycle.MouError as error:
        messages.error(request, error.message)
        return redirect(mou)
    messages.success(
        request,
        _("Draft %(number)s prepared from %(old)s: check it, then send it for signature.")
        % {"number": renewal.document_number, "old": mou.document_number},
    )
    return redirect(renewal)
