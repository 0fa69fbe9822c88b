"""How far a line's referrals went, as SQL counts (the referral half of the funnel).

- referred: every referral made to the line, whatever became of it (a person referred to
  the same line twice counts twice: the business received two introductions);
- interviewed: the business met the person: an interview was recorded, or the person was
  hired (a hire may be recorded without the interview before it);
- one count per outcome: in progress (referred or interviewed, nothing final yet), hired,
  not hired (and by reason), did not come, expired (nothing recorded in time), ended
  (the person withdrew consent).

The hired stage of the funnel itself is the line's confirmed placements
(partnerships.placements.delivery), as everywhere in the reports: a referral's hire counts
there once staff confirm its placement, next to people a business took on without one.
`referral_annotations()` gives the Count expressions for annotate()/aggregate() on any
queryset reaching referrals, so the recount and the live reading share one rule.
"""

from django.db.models import Count, Q

from partnerships.models import (
    REFERRAL_IN_PROGRESS,
    NotHiredReason,
    ReferralStatus,
)

# Tally column: the outcome it counts.
OUTCOME_COUNTS = {
    "referrals_hired": ReferralStatus.HIRED,
    "not_hired": ReferralStatus.NOT_HIRED,
    "no_show": ReferralStatus.NO_SHOW,
    "referrals_expired": ReferralStatus.EXPIRED,
    "referrals_ended": ReferralStatus.ENDED,
}
# Tally column: the reason it counts (NOT_HIRED_REASON_COUNTS is "not_hired_" + reason).
# (A test checks every reason has its column.)
REASON_COUNTS = {f"not_hired_{reason}": reason for reason in NotHiredReason.values}


def interviewed_filter(prefix: str = "") -> Q:
    return Q(**{f"{prefix}interviewed_on__isnull": False}) | Q(
        **{f"{prefix}status": ReferralStatus.HIRED}
    )


def referral_annotations(*, prefix: str = "") -> dict:
    """Count expressions, by tally column (models.REFERRAL_TALLY_COUNTS), for a queryset
    that reaches referrals through `prefix` ("" on Referral, "referrals__" on Pledge)."""
    counted = f"{prefix}pk" if prefix else "pk"
    status = f"{prefix}status"

    def count(condition: Q | None = None) -> Count:
        return Count(counted, filter=condition) if condition is not None else Count(counted)

    annotations = {
        "referred": count(),
        "interviewed": count(interviewed_filter(prefix)),
        "referrals_in_progress": count(Q(**{f"{status}__in": REFERRAL_IN_PROGRESS})),
    }
    for name, outcome in OUTCOME_COUNTS.items():
        annotations[name] = count(Q(**{status: outcome}))
    for name, reason in REASON_COUNTS.items():
        annotations[name] = count(
            Q(**{status: ReferralStatus.NOT_HIRED, f"{prefix}not_hired_reason": reason})
        )
    return annotations
