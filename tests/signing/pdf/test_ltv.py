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


def test_a_certificate_revoked_after_the_archive_timestamp_does_not_undo_the_mou(
    flow, pki, signer_for
):
    profile = {"tsa_url": pki.tsa_url, "trust_roots": pki.trust_roots}
    signed = pades.sign_as_business(flow.certified, signer_for("revoked_later"), **profile)
    archived = pades.add_archive_timestamp(signed, **profile)
    # Two years on: the certificate was revoked a year from now, as the CRLs then say.
    two_years_ahead = datetime.now(UTC) + timedelta(days=2 * 365)
    crls_then = [
        pki.arch.service_registry.get_crl(ServiceLabel(issuer), at_time=two_years_ahead)
        for issuer in ("root", "interm")
    ]

    def verdict(pdf):
        return verify_pdf(
            pdf,
            trust_roots=pki.trust_roots,
            moment=two_years_ahead,
            allow_fetching=False,
            crls=crls_then,
        )

    assert "revoked" in verdict(signed).codes
    archived_verdict = verdict(archived)
    assert archived_verdict.ok, archived_verdict.as_dict()
    assert archived_verdict.signatures[1].validated_at == archived_verdict.signatures[2].signed_at
