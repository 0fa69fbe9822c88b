"""Whoever holds a signing link may upload any PDF as "signed by the business", so pyHanko
reads the upload in a child process with its own memory, CPU and time budget, as /verify/
does: a file built to exhaust the parser is refused with a clear reason, nothing changes,
and the web process that received it carries on."""

import re
import resource
import time
import zlib

import pytest

from partnerships.models import MouState, PdfRevision
from partnerships.signing.pdf.structure import structural_problem
from tests.factories.signing import anonymous, open_link, page_text, signer_get, upload

TOO_COMPLEX = "The PDF is too large or too complex to be checked here."
COULD_NOT_CHECK = "The file could not be checked."  # the child died without a word
# The parser ran out of the child's memory (MemoryError inside pyHanko's reading).
DAMAGED = "The PDF is damaged and cannot be read."
# The production default: the child's wall-clock budget is this plus 20 s.
NETWORK_BUDGET = 10


def chained_xref_updates(pdf: bytes, *, entries: int = 450_000, count: int = 12) -> bytes:
    """`pdf` plus `count` incremental updates, each a compressed cross-reference stream of
    `entries` entries (5 KB each): every one is under the structural limit, together they
    make the parser build millions of entries (about 1 GB and 12 s of CPU for 8 of them)."""
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    root = re.findall(rb"/Root\s+(\d+ \d+ R)", pdf)[-1]
    data = zlib.compress((b"\x01" + bytes(6)) * entries, 9)
    for _ in range(count):
        at = len(pdf) + 1
        dictionary = (
            b"<< /Type /XRef /Size %d /W [1 4 2] /Prev %d /Root %s /Filter /FlateDecode "
            b"/Length %d >>" % (entries, previous, root, len(data))
        )
        xref = b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (
            entries - 1,
            dictionary,
            data,
        )
        pdf = pdf + b"\n" + xref + b"startxref\n%d\n%%%%EOF\n" % at
        previous = at
    return pdf


def absurd_declaration(pdf: bytes) -> bytes:
    """`pdf` plus an update declaring 40 million objects: refused unparsed."""
    return pdf + b"\n999 0 obj\n<< /Type /XRef /Size 40000000 /W [1 4 2] >>\nstream\n\nendstream\n"


def peak_memory_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(chained_xref_updates, id="cross-reference updates under each limit"),
        pytest.param(absurd_declaration, id="an absurd declaration"),
    ],
)
def test_a_hostile_upload_is_refused_and_the_web_process_carries_on(
    invited, signing_settings, hostile
):
    signing_settings.SIGNING_NETWORK_TIMEOUT = NETWORK_BUDGET
    mou, invitation, _staff = invited
    business = anonymous()
    open_link(business, invitation.token)
    prepared = signer_get(business, invitation.token, "invitation_document").content
    bomb = hostile(prepared)
    assert len(bomb) - len(prepared) < 100 * 1024
    if hostile is chained_xref_updates:
        assert structural_problem(bomb[len(prepared) :]) is None  # the child's budget stops it
    memory_before = peak_memory_mb()

    started = time.monotonic()
    response = upload(business, invitation.token, bomb)
    elapsed = time.monotonic() - started

    assert response.status_code == 400
    assert any(
        refusal in page_text(response) for refusal in (TOO_COMPLEX, COULD_NOT_CHECK, DAMAGED)
    ), re.findall(r"role=\"alert\"[^>]*>(.*?)</", page_text(response), re.S)
    assert elapsed < NETWORK_BUDGET + 20 + 15, elapsed  # the child's budget, and slack
    assert peak_memory_mb() - memory_before < 200
    mou.refresh_from_db()
    assert mou.state == MouState.SENT
    assert PdfRevision.objects.filter(mou=mou).count() == 1
    # The same process answers the signer at once.
    assert signer_get(business, invitation.token, "signing_page").status_code == 200
