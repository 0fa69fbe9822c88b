"""After the last signature: the archive timestamp is stored and the MoU moves to signed."""

from partnerships.models import Mou, PdfRevision, RevisionKind
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import record_event
from partnerships.signing.revisions import next_basis, store_revision


def finish_signing(
    locked: Mou, *, after: PdfRevision, pdf: bytes, archived: bytes | None
) -> PdfRevision:
    """Inside the signing transaction, with the MoU's row locked and both signatures stored:
    store the archive-timestamped PDF when there is one (made beforehand, see
    business._archive), then move the MoU to signed as the system. The `sign` transition
    checks the verified signatures and the unbroken chain of revisions; if anything is
    wrong it raises and the whole signature is rolled back."""
    final = after
    if archived is not None:
        final = store_revision(
            locked,
            basis=next_basis(after, pdf),
            pdf=archived,
            kind=RevisionKind.ARCHIVE_TIMESTAMP,
        )
        record_event(
            locked,
            action="mou.archive_timestamped",
            actor=None,
            details={
                "revision": final.sequence,
                "sha256": final.sha256,
                "previous_sha256": final.previous_sha256,
            },
        )
    lifecycle.perform(locked, "sign", actor=None)
    return final
