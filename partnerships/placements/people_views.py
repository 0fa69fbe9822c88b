"""People pages, for staff of the authority that manages them: the list (no names), finding
a person by ID number, one person (name shown, and the look audited), withdrawing consent."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from partnerships.authorities.permissions import (
    can_refer,
    can_see_identity,
    can_withdraw_consent,
    identity_scope,
    visible_people,
    visible_placements,
)
from partnerships.core.access import role_required
from partnerships.placements import selectors as placement_selectors
from partnerships.placements import services as placements
from partnerships.placements.forms import FindPersonForm
from partnerships.referrals.selectors import referrals_of


def _manages_people(user) -> bool:
    return bool(identity_scope(user))


@sensitive_post_parameters("national_id")
@role_required
def person_list(request):
    if not _manages_people(request.user):
        raise PermissionDenied
    form = FindPersonForm(request.POST or None)
    # POST, not GET: an ID number in a URL would end up in server and proxy logs.
    if request.method == "POST" and form.is_valid():
        try:
            person = placements.find_person(
                national_id=form.cleaned_data["national_id"], actor=request.user
            )
        except placements.PlacementError as error:
            form.add_error("national_id", error.message)
        else:
            if person is not None:
                return redirect("person_detail", pk=person.pk)
            form.add_error(
                "national_id", _("Nobody with this number is among the people you manage.")
            )
    people = placement_selectors.people_list(user=request.user)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(request, "placements/people.html", {"page": page, "form": form})


@never_cache
@role_required
def person_detail(request, pk):
    """Shows the person's name to staff of the owning authority; each view is audited.
    Anyone else gets 404, as for any record outside their scope."""
    person = get_object_or_404(
        visible_people(request.user).select_related("target_group", "commune", "owning_authority"),
        pk=pk,
    )
    full_name = None
    if can_see_identity(request.user, person):
        full_name = placements.reveal_identity(person=person, actor=request.user)
    person_placements = visible_placements(request.user, person.placements.all()).select_related(
        "pledge__mou__authority"
    )
    return render(
        request,
        "placements/person.html",
        {
            "person": person,
            "full_name": full_name,
            "placements": person_placements,
            "referrals": referrals_of(user=request.user, person=person),
            "can_refer": can_refer(request.user, person),
            "can_withdraw": can_withdraw_consent(request.user, person),
        },
    )


@role_required
@require_POST
def person_withdraw_consent(request, pk):
    person = get_object_or_404(visible_people(request.user), pk=pk)
    if request.POST.get("confirm") != "yes":
        # Erasure cannot be undone: it needs the box ticked, not just a stray click.
        messages.error(request, _("Tick the box to confirm that the person asked for this."))
        return redirect("person_detail", pk=pk)
    try:
        placements.withdraw_consent(person=person, actor=request.user)
    except placements.PlacementError as error:
        messages.error(request, error.message)
        return redirect("person_detail", pk=pk)
    messages.success(
        request,
        _(
            "Consent withdrawn: the person's identifying data is erased; their placements "
            "still count anonymously."
        ),
    )
    return redirect("person_list")
