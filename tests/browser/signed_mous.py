"""MoUs brought to a signing stage with the project's own signing services (real pyHanko over
the test PKI), for browser tests whose subject is what comes after: the verification pages,
the signer's page, the dashboards. The signing journeys themselves click through the pages.

Use with the `signing_settings` fixture (tests/signing/pdf/fixtures.py).
"""

import re
from dataclasses import dataclass

from django.core import mail

from partnerships.models import Mou, MouState
from partnerships.signing import authority, business, invitations
from tests.factories import bring_to

EVIDENCE = business.Evidence(ip="127.0.0.1", user_agent="Journey test")


@dataclass
class Invited:
    mou: Mou
    invitation: object
    token: str


def certified(mou: Mou, *, staff) -> Mou:
    """Sent, then signed for the authority (revision 1)."""
    if mou.state == MouState.DRAFT:
        bring_to(mou, MouState.SENT)
    authority.certify(mou, actor=staff, expected_sequence=0)
    mou.refresh_from_db()
    return mou


def invited(mou: Mou, *, staff) -> Invited:
    """Certified, and the legal representative invited by email (the link's token kept)."""
    certified(mou, staff=staff)
    invitation = invitations.send_invitation(mou, actor=staff)
    token = re.search(r"/sign/([^/\s]+)/", mail.outbox[-1].body).group(1)
    return Invited(mou=mou, invitation=invitation, token=token)


def signed(mou: Mou, *, staff) -> Mou:
    """Certified, then sealed for the business after its emailed one-time code."""
    invitation = invited(mou, staff=staff).invitation
    invitations.send_code(invitation, ip=EVIDENCE.ip, user_agent=EVIDENCE.user_agent)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    business.seal_with_code(
        invitation, code=code, consent=True, expected_sequence=1, evidence=EVIDENCE
    )
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    return mou


def final_pdf(mou: Mou) -> bytes:
    return bytes(mou.pdf_revisions.order_by("-sequence").first().pdf)
