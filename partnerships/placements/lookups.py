"""Matching what a user typed or uploaded against the people in the registry: counted and
audited in one place.

The answers reveal nothing about a person outside their managing authority (see
`services.report_placement` and the import's `validation`), but every national ID number
checked is still a question asked of the registry: each form sent and each file previewed
writes one audit event with how many numbers were checked (never the numbers), and a
budget per user and per business, counted in the database, bounds how many a day.
"""

from django.conf import settings

from partnerships.authorities.permissions import user_partner_id
from partnerships.core import ratelimit
from partnerships.core.errors import RegistryError
from partnerships.mous.lifecycle import record_event
from partnerships.placements.rules import MESSAGES

WINDOW_SECONDS = 24 * 60 * 60

LIMIT_MESSAGE = MESSAGES["lookup_limit"]


class LookupLimitReached(RegistryError):
    """The user, or their business, has checked as many ID numbers as a day allows."""

    def __init__(self):
        super().__init__(LIMIT_MESSAGE)


def _budgets(actor) -> list[tuple[str, str, int]]:
    per_user, per_business = (
        settings.PERSON_LOOKUPS_PER_USER_PER_DAY,
        settings.PERSON_LOOKUPS_PER_BUSINESS_PER_DAY,
    )
    budgets = [("person-lookups-user", str(actor.pk), per_user)]
    partner_id = user_partner_id(actor)
    if partner_id is not None:
        budgets.append(("person-lookups-partner", str(partner_id), per_business))
    return budgets


def count_lookups(*, actor, count: int, via: str, **details) -> None:
    """Count `count` ID numbers about to be matched by `actor` (`via`: "form" or "import")
    and audit it; raises LookupLimitReached, after auditing the refusal, when the user or
    their business would go over the day's budget. Call it outside the transaction of the
    work it allows, so that the count and the event stay whatever becomes of that work."""
    allowed = ratelimit.spend(_budgets(actor), amount=count, window=WINDOW_SECONDS)
    record_event(
        action="people.matched" if allowed else "people.match_refused",
        actor=actor,
        details={"numbers": count, "via": via, **details},
    )
    if not allowed:
        raise LookupLimitReached


def forget_lookups(actor) -> None:
    """Give the user (and their business) a full budget again: for the benchmark, which
    imports its large file as often as it is run."""
    ratelimit.forget([(scope, key) for scope, key, _limit in _budgets(actor)])
