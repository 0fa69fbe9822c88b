"""Recording mid-term and final reviews (sơ kết / tổng kết) of an MoU."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import can_review_mou
from partnerships.models import (
    Mou,
    MouState,
    Review,
    ReviewKind,
)
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import MouError
from partnerships.reports.snapshot import review_figures


def record_review(
    *,
    mou: Mou,
    actor,
    kind: str,
    reviewed_on,
    assessment: str,
    notes: str = "",
    recommendation: str = "",
) -> Review:
    """Record a review by an official, with the pledge and delivery figures of the moment
    (reports.snapshot), which never change afterwards. A final review also closes the MoU
    (`reviewed`), in the same transaction: either both happen or neither does."""
    if not can_review_mou(actor, mou):
        raise PermissionDenied(_("You may not review this MoU."))
    if mou.state != MouState.ACTIVE:
        raise MouError(_("Only an active MoU can be reviewed."))
    if reviewed_on > timezone.localdate():
        raise MouError(_("A review cannot be dated in the future: record it once it has met."))
    if mou.term_start and reviewed_on < mou.term_start:
        raise MouError(_("A review date cannot fall before the term starts."))
    with transaction.atomic():
        review = Review.objects.create(
            mou=mou,
            kind=kind,
            reviewed_on=reviewed_on,
            assessment=assessment,
            notes=notes,
            recommendation=recommendation,
            recorded_by=actor,
            # What the reviewers saw, kept as it was (the live reports move on).
            figures=review_figures(mou, as_of=timezone.localdate()),
        )
        # Codes, not translated text, so the trail reads right in either language.
        lifecycle.record_event(mou, action=f"mou.{kind}_review_recorded", actor=actor)
        if kind == ReviewKind.FINAL:
            lifecycle.perform(mou, "review", actor=actor)
    return review
