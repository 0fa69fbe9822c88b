"""The render comparison: the pages of the whole file against those of its last signed
revision, outside the signature boxes; remembered by the file's SHA-256."""

import hashlib
import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from partnerships.signing.pdf import visual
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf import attacks, tampering


@pytest.fixture(autouse=True)
def fresh_cache():
    visual.forget_all()
    yield
    visual.forget_all()


def compare(pdf: bytes) -> visual.Comparison:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return visual.compare(pdf, reader, reader.embedded_signatures)


def test_validation_data_and_an_archive_timestamp_change_nothing_visible(flow):
    assert compare(flow.archived) == visual.Comparison()


def test_a_box_drawn_on_page_1_is_seen(flow):
    assert compare(tampering.append_page_content(flow.archived)).different_pages == (1,)


def test_an_overlay_pyhanko_takes_for_invisible_is_seen(flow, pki):
    forged = attacks.overlay_through_indirect_rect(flow.archived, tsa_url=pki.tsa_url)

    assert compare(forged).different_pages == (1,)


def test_the_outcome_is_remembered_by_the_files_sha256(flow, pki):
    digest = hashlib.sha256(flow.archived).hexdigest()
    assert verify_pdf(flow.archived, trust_roots=pki.trust_roots).ok
    assert visual.remembered(digest) == visual.Comparison()

    # What is remembered is what counts: the pages are not drawn again.
    visual.remember(digest, visual.Comparison(different_pages=(2,)))
    verdict = verify_pdf(flow.archived, trust_roots=pki.trust_roots)

    assert "visible_difference" in verdict.codes
    assert "page 2 looks different" in str(verdict.problems[-1].message)
