"""The stored revisions of an MoU's PDF, and the lock every signing takes to add one.

A signature is made outside any transaction (it may wait for a time-stamping authority or an
OCSP responder), on the revision that was current when the signer started. It is stored only
if that revision is still the latest once the MoU's row is locked: of two signatures racing
on the same revision, the first to lock wins and the other gets `SigningConflict`, so the
stored chain is never forked. The unique (mou, sequence) constraint backs this up where row
locks do not exist (SQLite serialises writers instead).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from partnerships.models import (
    Mou,
    MouDocument,
    MouState,
    PdfRevision,
    RevisionKind,
    SignatureParty,
    sha256_hex,
)
from partnerships.mous.lifecycle import MouError

SIGNING_CONFLICT = _(
    "Someone else signed or changed this MoU's document at the same moment, so your signature "
    "was not stored and nothing was changed. Reload the page to see the document as it is now."
)


class SigningConflict(MouError):
    """Someone else signed or changed the document since this person loaded it: the revision
    they signed on is stale. Pages answer 409 Conflict and show the document as it is now."""

    def __init__(self, message=SIGNING_CONFLICT):
        super().__init__(message)


@dataclass(frozen=True)
class Basis:
    """The PDF a new signature goes onto: the latest stored revision, or the PDF that was sent
    (sequence 0)."""

    sequence: int
    pdf: bytes
    sha256: str


def latest_revision(mou: Mou) -> PdfRevision | None:
    return mou.pdf_revisions.defer("pdf").order_by("-sequence").first()


def revisions(mou: Mou):
    return mou.pdf_revisions.defer("pdf").select_related("signature").order_by("sequence")


def current_basis(mou: Mou) -> Basis:
    latest = mou.pdf_revisions.order_by("-sequence").first()
    if latest is not None:
        return Basis(latest.sequence, bytes(latest.pdf), latest.sha256)
    if mou.signable_document_id is None:
        raise MouError(_("This MoU has no PDF sent for signature."))
    pdf = bytes(MouDocument.objects.values_list("pdf", flat=True).get(pk=mou.signable_document_id))
    return Basis(0, pdf, sha256_hex(pdf))


def signed_parties(mou: Mou) -> set[str]:
    """The parties whose signature the stored PDF carries."""
    return set(
        mou.signatures.filter(revision__isnull=False, is_verified=True).values_list(
            "party", flat=True
        )
    )


def require_sent(mou: Mou) -> None:
    if mou.state != MouState.SENT:
        raise MouError(
            _("Only an MoU sent for signature can be signed; this one is “%(state)s”.")
            % {"state": mou.get_state_display()}
        )


def require_authority_signed(mou: Mou) -> None:
    if SignatureParty.AUTHORITY not in signed_parties(mou):
        raise MouError(_("The authority has not signed yet: the business signs after it."))


def require_business_unsigned(mou: Mou) -> None:
    if SignatureParty.BUSINESS in signed_parties(mou):
        raise MouError(_("The business has already signed this MoU."))


@contextmanager
def locked_for_signing(mou: Mou, *, expected_sequence: int) -> Iterator[Mou]:
    """A transaction holding the MoU's row lock, in which the MoU is still sent and its
    latest revision is still `expected_sequence`; else `SigningConflict`."""
    try:
        with transaction.atomic():
            locked = Mou.objects.select_for_update().select_related("partner").get(pk=mou.pk)
            latest = locked.pdf_revisions.order_by("-sequence").values_list("sequence", flat=True)
            if locked.state != mou.state or (latest.first() or 0) != expected_sequence:
                raise SigningConflict
            require_sent(locked)
            yield locked
    except IntegrityError as exc:  # the same revision stored meanwhile (no row locks)
        raise SigningConflict from exc
    # The caller's copy follows what was stored.
    mou.refresh_from_db()


def store_revision(
    mou: Mou, *, basis: Basis, pdf: bytes, kind: RevisionKind, actor=None
) -> PdfRevision:
    """Store `pdf` as the revision after `basis`; it must extend it byte for byte."""
    if not pdf.startswith(basis.pdf) or len(pdf) == len(basis.pdf):
        raise MouError(
            _("The signed PDF does not extend the current revision; nothing was stored.")
        )
    return PdfRevision.objects.create(
        mou=mou,
        sequence=basis.sequence + 1,
        kind=kind,
        pdf=pdf,
        sha256=sha256_hex(pdf),
        previous_sha256=basis.sha256,
        size=len(pdf),
        created_by=actor,
    )


def next_basis(revision: PdfRevision, pdf: bytes) -> Basis:
    return Basis(revision.sequence, pdf, revision.sha256)


def revision_audit_details(revision: PdfRevision, report, *, signed_at) -> dict:
    """What the audit event of a signature records: the revision it made, the hashes that
    chain it to the one before, and who signed at which PAdES level, when."""
    return {
        "revision": revision.sequence,
        "sha256": revision.sha256,
        "previous_sha256": revision.previous_sha256,
        "signer": report.signer_subject,
        "pades_level": report.pades_level,
        "signed_at": signed_at.isoformat() if signed_at else None,
    }


def final_revision(mou: Mou) -> PdfRevision | None:
    """The final PDF: the latest revision of an MoU that was signed."""
    if mou.signed_at is None:
        return None
    return latest_revision(mou)
