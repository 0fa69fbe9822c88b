"""Officials record mid-term and final reviews from the MoU page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerships.authorities.permissions import can_review_mou
from partnerships.core.access import role_required
from partnerships.mous import reviews as reviewing
from partnerships.mous import selectors
from partnerships.mous.forms import ReviewForm
from partnerships.mous.lifecycle import MouError


@role_required
@require_POST
def review_create(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_review_mou(request.user, mou):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(mou)
    try:
        reviewing.record_review(mou=mou, actor=request.user, **form.cleaned_data)
    except MouError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Review recorded."))
    return redirect(mou)
