"""The authority signs with its own USB token: staff download the PDF that was sent, sign it in
the authority's field with the official-duty certificate (outside the registry), and upload
it. It is checked in a limited child exactly as a business's upload is (upload_verdicts,
signing/pdf/upload.py): the sent PDF plus one signature in the authority's field and nothing
else, valid, trusted, by a certificate that belongs to this authority. Then it is stored as
the server's certification would be, and the signing goes on (the business's invitation)."""

import logging

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import can_manage_mou
from partnerships.models import Mou, SignatureMethod, sha256_hex
from partnerships.mous.lifecycle import MouError
from partnerships.signing.authority import (
    authority_identity,
    require_authority_unsigned,
    store_authority_signature,
    unverified,
)
from partnerships.signing.business import max_upload_bytes, max_upload_mb
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.revisions import current_basis, require_sent
from partnerships.signing.setup import SigningSetup
from partnerships.signing.upload_verdicts import check_authority_signed_upload

logger = logging.getLogger(__name__)


def accept_authority_upload(
    mou: Mou,
    *,
    actor,
    uploaded: bytes,
    expected_sequence: int,
    setup: SigningSetup | None = None,
):
    """Take the PDF the authority's staff signed with the authority's own certificate, if it
    is the sent PDF plus exactly that one valid, trusted signature in the authority's field;
    else MouError with the precise reason, and nothing changes. PermissionDenied for anyone
    but staff managing the MoU; SigningConflict when the page showed an older revision."""
    if not can_manage_mou(actor, mou):
        raise PermissionDenied(_("You may not do this to this MoU."))
    setup = setup or SigningSetup.from_settings()
    require_sent(mou)
    problems = setup.authority_upload_problems()
    if problems:
        raise MouError(" ".join(str(problem) for problem in problems))
    if len(uploaded) > max_upload_bytes():
        raise MouError(_("The file is larger than %(size)s MB.") % {"size": max_upload_mb()})
    basis = current_basis(mou)
    require_authority_unsigned(basis, expected_sequence)
    # The check waits for the revocation servers: within one time budget, before anything
    # is stored. The upload is parsed in a limited child process.
    with setup.network_budget():
        try:
            upload_verdict, verdict = check_authority_signed_upload(
                setup, sent_pdf=basis.pdf, uploaded=uploaded, authority=authority_identity(mou)
            )
        except SigningError as error:
            raise MouError(error.message) from error
    if not upload_verdict.accepted:
        logger.info(
            "Authority upload for MoU %s refused: %s (%s)",
            mou.pk,
            upload_verdict.reason,
            sha256_hex(uploaded),
        )
        raise MouError(upload_verdict.message)
    if not verdict.ok:
        raise unverified(verdict)
    report = upload_verdict.signature
    return store_authority_signature(
        mou,
        basis=basis,
        pdf=uploaded,
        report=report,
        actor=actor,
        method=SignatureMethod.CERTIFICATE,
        signed_at=timezone.now().replace(microsecond=0),
        action="mou.authority_signed_upload",
        note=report.signer_subject,
    )
