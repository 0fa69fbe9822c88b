"""OCSP answers fetched by one verification are reused by the next ones for a short while
(ocsp_reuse.py): the CA's responder is asked once a minute per certificate, not on every
check, and never past what the answer itself says."""

import pytest
from asn1crypto import ocsp
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.ocsp_client import AIOHttpOCSPFetcher

from partnerships.signing.pdf import ocsp_reuse
from partnerships.signing.pdf.verify import verify_pdf


@pytest.fixture
def questions(monkeypatch):
    """The certificates whose status was asked of an OCSP responder over the network."""
    asked = []
    fetch = AIOHttpOCSPFetcher._fetch

    async def counted(self, cert, authority):
        asked.append(cert.subject.native["common_name"])
        return await fetch(self, cert, authority)

    monkeypatch.setattr(AIOHttpOCSPFetcher, "_fetch", counted)
    return asked


@pytest.fixture
def verify(pki):
    def verify(pdf):
        verdict = verify_pdf(pdf, trust_roots=pki.trust_roots)
        assert verdict.ok, verdict.as_dict()
        return verdict

    return verify


def test_a_second_verification_reuses_the_answers(verify, flow, questions):
    verify(flow.archived)
    first = sorted(questions)

    verify(flow.archived)

    assert first == ["Nguyễn Thị Hoa", "Võ Minh Tâm"]
    assert sorted(questions) == first  # nothing asked again


def test_reuse_can_be_turned_off(verify, flow, questions, settings):
    settings.SIGNING_OCSP_REUSE_SECONDS = 0

    verify(flow.archived)
    verify(flow.archived)

    assert len(questions) == 4


def test_answers_are_asked_again_once_the_time_is_over(verify, flow, questions, monkeypatch):
    verify(flow.archived)
    later = ocsp_reuse.time.monotonic() + ocsp_reuse.reuse_seconds() + 1
    monkeypatch.setattr(ocsp_reuse.time, "monotonic", lambda: later)

    verify(flow.archived)

    assert len(questions) == 4


def test_an_answer_is_kept_no_longer_than_its_next_update(verify, flow):
    verify(flow.archived)
    [(_expires, answer), *_rest] = ocsp_reuse._answers.values()
    next_update = answer.basic_ocsp_response["tbs_response_data"]["responses"][0][
        "next_update"
    ].native
    if next_update is None:
        pytest.skip("The test PKI's responder gives no nextUpdate.")

    assert 0 < ocsp_reuse._lifetime(answer, 10**9) < 10**9


def test_a_failed_answer_is_not_kept():
    refused = ocsp.OCSPResponse({"response_status": "unauthorized"})

    ocsp_reuse.keep(("certificate", "issuer"), refused)

    assert ocsp_reuse.kept(("certificate", "issuer")) is None


def test_signing_asks_afresh(verify, flow, pki, signer_for, questions):
    """Signing embeds the answers (B-LT): a validator may want them issued after the
    signature, so signing never takes one a verification fetched."""
    from partnerships.signing.pdf import pades

    verify(flow.archived)
    asked_by_verification = len(questions)

    pades.sign_as_business(
        flow.certified, signer_for("business"), tsa_url=pki.tsa_url, trust_roots=pki.trust_roots
    )

    assert asked_by_verification == 2
    assert "Nguyễn Thị Hoa" in questions[asked_by_verification:]
