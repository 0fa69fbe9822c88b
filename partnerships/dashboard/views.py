from django.shortcuts import render
from django.utils import timezone

from partnerships.authorities.permissions import can_create_mou
from partnerships.core.access import role_required
from partnerships.dashboard.selectors import work_queues
from partnerships.models import MouState
from partnerships.mous import selectors
from partnerships.reports.measures import lag_margin
from partnerships.reports.queries import lagging_mous


@role_required
def dashboard(request):
    counts = selectors.state_counts(user=request.user)
    as_of = timezone.localdate()
    lagging_count, lagging = lagging_mous(user=request.user, as_of=as_of)
    return render(
        request,
        "dashboard.html",
        {
            "state_counts": [(state, label, counts[state]) for state, label in MouState.choices],
            "total": sum(counts.values()),
            "needing_action": selectors.mous_needing_action(user=request.user),
            "work_queues": work_queues(user=request.user),
            "can_create_mou": can_create_mou(request.user),
            "lagging_count": lagging_count,
            "lagging": lagging,
            "lag_margin": round(lag_margin() * 100),
        },
    )
