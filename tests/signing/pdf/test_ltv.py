"""Long-term validation: a completed MoU (B-LTA) is judged at the time of its archive
timestamp, so it stays valid after its signers' certificates expire."""

from datetime import UTC, datetime, timedelta

import pytest
from certomancer.registry import ServiceLabel

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.verify import verify_pdf

# Past the signers' certificates (ten years), within the root's and the TSA's.
TEN_YEARS_AHEAD = datetime.now(UTC) + timedelta(days=10 * 365 + 60)


@pytest.fixture(scope="module")
def completed_demo_like(flow, pki):
    """The demo's way: the authority certifies, the registry's seal signs for the business,
    an archive timestamp closes it."""
    return pades.add_archive_timestamp(
        flow.sealed, tsa_url=pki.tsa_url, trust_roots=pki.trust_roots
    )


def ten_years_ahead(pdf, pki):
    """Verified as in ten years, with the CRL the root will publish then (the server
    answers with today's)."""
    crl_then = pki.arch.service_registry.get_crl(ServiceLabel("root"), at_time=TEN_YEARS_AHEAD)
    return verify_pdf(
        pdf,
        trust_roots=pki.trust_roots,
        moment=TEN_YEARS_AHEAD,
        allow_fetching=False,
        crls=[crl_then],
    )


def test_a_completed_mou_verifies_ten_years_ahead(completed_demo_like, pki):
    verdict = ten_years_ahead(completed_demo_like, pki)

    assert verdict.ok, verdict.as_dict()
    authority, seal, archive = verdict.signatures
    assert [authority.pades_level, seal.pades_level] == ["B-LTA", "B-LTA"]
    archived_at = archive.signed_at
    assert authority.validated_at == seal.validated_at == archived_at
    assert archive.validated_at is None  # the archive timestamp itself is valid then


def test_without_an_archive_timestamp_the_signatures_expire(flow, pki):
    verdict = ten_years_ahead(flow.sealed, pki)

    assert not verdict.ok
    # The signers' chain has expired by then (pyHanko finds no valid path: "untrusted").
    assert verdict.codes & {"expired", "untrusted"}
    assert all(s.validated_at is None for s in verdict.signatures)
