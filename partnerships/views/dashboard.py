from django.shortcuts import render

from partnerships import selectors
from partnerships.models import MouState
from partnerships.permissions import can_create_mou

from .access import role_required


@role_required
def dashboard(request):
    counts = selectors.state_counts(user=request.user)
    return render(
        request,
        "dashboard.html",
        {
            "state_counts": [(state, label, counts[state]) for state, label in MouState.choices],
            "total": sum(counts.values()),
            "needing_action": selectors.mous_needing_action(user=request.user),
            "can_create_mou": can_create_mou(request.user),
        },
    )
