"""Keeping completed MoUs verifiable: a fresh archive timestamp before the last one's
certificate expires (PAdES B-LTA renewal, ETSI EN 319 142-1).

Each renewal adds validation data for everything in the file and a document timestamp over
it, and is stored as the MoU's next revision in the hash chain, like a signature. Run
`manage.py renew_archive_timestamps` from cron: it does nothing for an MoU that is not due,
so running it often is harmless.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from partnerships.models import Mou, RevisionKind
from partnerships.mous.lifecycle import record_event
from partnerships.signing.pdf import ltv, pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.revisions import Basis, store_revision
from partnerships.signing.setup import SigningSetup

logger = logging.getLogger(__name__)

# Renew this long before the last archive timestamp's certificate expires.
DEFAULT_MARGIN = timedelta(days=180)


@dataclass
class RenewalRun:
    renewed: list[int] = field(default_factory=list)  # MoU ids
    not_due: int = 0
    failed: list[int] = field(default_factory=list)


def is_due(pdf: bytes, *, now: datetime, margin: timedelta = DEFAULT_MARGIN) -> bool:
    """A completed PDF needs a fresh archive timestamp: it has none, or the last one's
    certificate expires within `margin`."""
    expiry = ltv.last_archive_expiry(pdf)
    return expiry is None or expiry <= now + margin


def renew_archive_timestamp(
    mou: Mou, *, setup: SigningSetup, now: datetime, margin: timedelta = DEFAULT_MARGIN
) -> bool:
    """Add a fresh archive timestamp to the signed MoU's final PDF when it is due; True when
    a revision was stored. Raises SigningError when the TSA fails or the result does not
    verify (nothing is stored then)."""
    latest = mou.pdf_revisions.order_by("-sequence").first()
    if mou.signed_at is None or latest is None:
        return False
    pdf = bytes(latest.pdf)
    if not is_due(pdf, now=now, margin=margin):
        return False
    before = ltv.last_archive_expiry(pdf)
    with setup.network_budget():
        archived = pades.add_archive_timestamp(
            pdf,
            tsa_url=setup.tsa_url,
            trust_roots=setup.trust_roots,
            other_certs=list(setup.other_certs),
            crls=list(setup.crls),
        )
        verdict = setup.verify(archived)
    if not verdict.ok:
        reasons = ", ".join(sorted(verdict.codes))
        raise SigningError(f"The renewed PDF does not verify: {reasons}")
    after = ltv.last_archive_expiry(archived)
    if before is not None and (after is None or after <= before):
        # The TSA's certificate expires no later: renewing would extend nothing, every run.
        raise SigningError("The time-stamping authority's certificate expires too soon.")
    with transaction.atomic():
        locked = Mou.objects.select_for_update().get(pk=mou.pk)
        current = locked.pdf_revisions.order_by("-sequence").values_list("sequence", flat=True)
        if current.first() != latest.sequence:
            return False  # renewed meanwhile by another run
        revision = store_revision(
            locked,
            basis=Basis(latest.sequence, pdf, latest.sha256),
            pdf=archived,
            kind=RevisionKind.ARCHIVE_TIMESTAMP,
        )
        record_event(
            locked,
            action="mou.archive_timestamped",
            actor=None,
            details={
                "revision": revision.sequence,
                "sha256": revision.sha256,
                "previous_sha256": revision.previous_sha256,
                "renewal": True,
                "valid_until": after.isoformat() if after else None,
            },
        )
    return True


def renew_archive_timestamps(
    *, setup: SigningSetup | None = None, now=None, margin: timedelta = DEFAULT_MARGIN
) -> RenewalRun:
    """Renew every signed MoU whose archive timestamp is due (see renew_archive_timestamp)."""
    setup = setup or SigningSetup.from_settings()
    now = now or timezone.now()
    run = RenewalRun()
    if not setup.tsa_url:
        raise SigningError("SIGNING_TSA_URL is not set: no archive timestamp can be made.")
    for mou in Mou.objects.filter(signed_at__isnull=False).order_by("pk").iterator():
        try:
            if renew_archive_timestamp(mou, setup=setup, now=now, margin=margin):
                run.renewed.append(mou.pk)
            else:
                run.not_due += 1
        except SigningError:
            logger.warning("Archive timestamp of MoU %s not renewed", mou.pk, exc_info=True)
            run.failed.append(mou.pk)
    return run
