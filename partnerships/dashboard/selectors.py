"""The dashboard's work queues: what waits for the user, each a count and the address of
the list that shows exactly those items. Counted in a few queries whatever the data (one
over MoUs, one over placements, one over the identity checks of staff who settle them),
through the same scope rules as every list."""

from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import (
    has_any_role,
    identity_conflicts_to_settle,
    identity_scope,
    placements_to_confirm,
    user_partner_id,
    visible_mous,
    visible_referrals,
)
from partnerships.models import REFERRAL_IN_PROGRESS, Role
from partnerships.mous import queues

PLACEMENTS_TO_CONFIRM = "placements_to_confirm"
IDENTITY_CONFLICTS = "identity_conflicts"
REFERRALS_TO_ANSWER = "referrals_to_answer"

STAFF = [Role.AUTHORITY_STAFF, Role.ADMINISTRATOR]


@dataclass(frozen=True)
class WorkQueue:
    key: str
    label: str
    count: int
    url: str


def _mou_queues_for(user) -> list[str]:
    keys = []
    if has_any_role(user, STAFF):
        keys += [
            queues.AWAITING_AUTHORITY,
            queues.INVITATION_OPEN,
            queues.INVITATION_EXPIRING,
        ]
    if has_any_role(user, [*STAFF, Role.OFFICIAL]):
        keys.append(queues.REVIEW_DUE)
    return keys


def work_queues(*, user, now=None) -> list[WorkQueue]:
    """The queues this user works on, by role: staff and administrators all of them,
    officials the reviews due; business representatives the referrals waiting for them to
    record what happened."""
    now = now or timezone.now()
    labels = dict(queues.QUEUE_CHOICES)
    keys = _mou_queues_for(user)
    result = []
    if keys:
        counts = visible_mous(user).aggregate(
            **{key: Count("pk", filter=queues.queue_condition(key, now=now)) for key in keys}
        )
        mou_list = reverse("mou_list")
        result = [
            WorkQueue(
                key=key,
                label=labels[key],
                count=counts[key] or 0,
                url=f"{mou_list}?{urlencode({'queue': key})}",
            )
            for key in keys
        ]
    if has_any_role(user, STAFF):
        result.insert(
            len(result) - 1,  # before the reviews due
            WorkQueue(
                key=PLACEMENTS_TO_CONFIRM,
                label=_("Placements waiting for confirmation"),
                count=placements_to_confirm(user).count(),
                url=f"{reverse('placement_list')}?{urlencode({'queue': 'to_confirm'})}",
            ),
        )
    partner_id = user_partner_id(user)
    if partner_id:
        result.append(
            WorkQueue(
                key=REFERRALS_TO_ANSWER,
                label=_("Referrals waiting for what happened"),
                count=visible_referrals(user)
                .filter(pledge__mou__partner_id=partner_id, status__in=REFERRAL_IN_PROGRESS)
                .count(),
                url=f"{reverse('referral_list')}?{urlencode({'status': 'in_progress'})}",
            )
        )
    if identity_scope(user):
        # Only when there is one: the check is rare, and a zero would only add noise.
        to_settle = identity_conflicts_to_settle(user).count()
        if to_settle:
            result.insert(
                0,
                WorkQueue(
                    key=IDENTITY_CONFLICTS,
                    label=_("Reports with a person's details to check"),
                    count=to_settle,
                    url=f"{reverse('placement_list')}?{urlencode({'queue': IDENTITY_CONFLICTS})}",
                ),
            )
    return result
