"""Anyone may upload a PDF to /verify/, so a hostile one must cost little: a file that
declares millions of cross-reference entries is refused by a cheap look at its bytes, and
whatever gets past that is parsed in a child process with its own memory, CPU and time
budget, which the web worker survives."""

import time
import zlib

import pytest
from django.urls import reverse

from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.signing.pdf import verify
from partnerships.signing.pdf.structure import structural_problem
from tests.factories.signing import page_text
from tests.signing.test_verification import final_pdf, post_pdf, signed_mou  # noqa: F401

TOO_COMPLEX = "The PDF is too large or too complex to be checked here."


def xref_stream_pdf(entries: int, *, widths=(1, 4, 2), size=None, index=b"") -> bytes:
    """A small PDF whose cross-reference section is a compressed stream of `entries` empty
    entries (compressed as it is made: the test never holds the unpacked stream)."""
    compressor = zlib.compressobj(9)
    entry = sum(widths)
    block = bytes(entry * 100_000)
    parts, left = [], entries
    while left > 0:
        count = min(left, 100_000)
        parts.append(compressor.compress(block[: count * entry]))
        left -= count
    data = b"".join([*parts, compressor.flush()])
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    catalog = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    pages = b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref_at = len(head) + len(catalog) + len(pages)
    dictionary = (
        b"<< /Type /XRef /Size %d /W [%d %d %d] %s/Root 1 0 R /Filter /FlateDecode /Length %d >>"
        % (size or entries, *widths, index, len(data))
    )
    xref = b"3 0 obj\n" + dictionary + b"\nstream\n" + data + b"\nendstream\nendobj\n"
    return head + catalog + pages + xref + b"startxref\n%d\n%%%%EOF\n" % xref_at


def test_a_pdf_declaring_40_million_entries_gets_a_verdict_in_moments(db, signing_settings):
    pdf = xref_stream_pdf(40_000_000)
    assert len(pdf) < 300 * 1024

    started = time.monotonic()
    response = post_pdf(reverse("verify"), pdf)

    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert TOO_COMPLEX in page_text(response)


@pytest.mark.parametrize(
    "pdf",
    [
        pytest.param(
            lambda: xref_stream_pdf(1000, size=1000, index=b"/Index [0 40000000] "),
            id="entries declared by /Index",
        ),
        pytest.param(lambda: xref_stream_pdf(1000, widths=(1, 4, 2000)), id="absurd widths"),
    ],
)
def test_other_absurd_declarations_are_refused_before_parsing(db, signing_settings, pdf):
    data = pdf()
    assert structural_problem(data) is not None

    response = post_pdf(reverse("verify"), data)

    assert TOO_COMPLEX in page_text(response)


def test_a_genuine_signed_pdf_passes_the_structural_check(signed_mou):  # noqa: F811
    assert structural_problem(final_pdf(signed_mou)) is None


def _codes(pdf: bytes) -> list[str]:
    return [reason.code for reason in verify.verify_pdf(pdf, trust_roots=[]).reasons]


def test_what_slips_past_the_checks_is_stopped_by_the_childs_budget():
    # Four million entries: under the structural limit's tenfold, parsing still spins.
    pdf = xref_stream_pdf(4_000_000)

    started = time.monotonic()
    with pytest.raises(LimitExceeded) as stopped:
        run_limited(_codes, pdf, budget=Budget(memory_mb=768, cpu_seconds=2, wall_seconds=4))

    assert stopped.value.kind in {"cpu", "time"}
    assert time.monotonic() - started < 10


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_the_child_cannot_take_more_memory_than_its_budget():
    with pytest.raises(LimitExceeded) as stopped:
        run_limited(_allocate, 2048, budget=Budget(memory_mb=256, cpu_seconds=10, wall_seconds=20))

    assert stopped.value.kind == "memory"
    assert run_limited(_allocate, 16, budget=Budget(memory_mb=256)) == 16 * 1024 * 1024


def test_a_business_upload_appending_an_absurd_declaration_is_refused_unparsed():
    from partnerships.signing.pdf.upload import check_business_upload

    sent = xref_stream_pdf(10)
    # An incremental update, as a signing tool appends one, declaring 40 million objects.
    appended = b"\n4 0 obj\n<< /Type /XRef /Size 40000000 /W [1 4 2] >>\nstream\n\nendstream\n"

    verdict = check_business_upload(sent, sent + appended, trust_roots=[], tax_code="0312345678")

    assert (verdict.accepted, verdict.reason) == (False, "too_complex")
