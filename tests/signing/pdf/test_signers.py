"""Where keys come from: a PKCS#12 file, or a PKCS#11 token (SoftHSM2 here, an HSM or a USB
token in production). Each signing path runs end to end, in order."""

import pytest

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.signers import load_pkcs12_signer, open_pkcs11_signer
from partnerships.signing.pdf.upload import check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import AUTHORITY, BUSINESS
from tests.signing.pdf.pki import BUSINESS_TAX_CODE, PASSPHRASE


def test_it_loads_a_pkcs12_file_with_its_chain(pki):
    signer = load_pkcs12_signer(pki.pkcs12("authority"), PASSPHRASE)

    assert signer.signing_cert.subject.native["common_name"] == "Võ Minh Tâm"
    assert pki.cert("interm").dump() in [cert.dump() for cert in signer.cert_registry]


def test_a_wrong_passphrase_is_a_signing_error(pki):
    with pytest.raises(SigningError, match="passphrase is wrong"):
        load_pkcs12_signer(pki.pkcs12("authority"), "sai mật khẩu")


def test_a_missing_file_is_a_signing_error(tmp_path):
    with pytest.raises(SigningError, match="cannot be read"):
        load_pkcs12_signer(tmp_path / "missing.p12", PASSPHRASE)


def test_the_authority_certifies_then_the_business_signs_with_its_own_certificate(flow, pki):
    """The flow fixture made these with PKCS#12 signers; the upload check accepts the result."""
    verdict = verify_pdf(flow.business_signed, trust_roots=pki.trust_roots)

    assert verdict.ok, verdict.as_dict()
    assert [s.field for s in verdict.signatures] == ["Sig_Authority", "Sig_Business"]
    assert check_business_upload(
        flow.certified,
        flow.business_signed,
        trust_roots=pki.trust_roots,
        tax_code=BUSINESS_TAX_CODE,
    ).accepted


def test_the_authority_certifies_then_the_registry_seals_for_the_business(flow, pki):
    verdict = verify_pdf(flow.sealed, trust_roots=pki.trust_roots)

    assert verdict.ok, verdict.as_dict()
    authority, seal = verdict.signatures
    assert authority.certification
    assert (seal.field, seal.permission) == ("Sig_Business", "no_changes")


def test_the_authority_signs_with_a_key_on_a_pkcs11_token(flow, pki, softhsm_token, signer_for):
    with open_pkcs11_signer(
        softhsm_token.module,
        token_label=softhsm_token.label,
        pin=softhsm_token.pin,
        key_label=softhsm_token.key_label,
    ) as token_signer:
        certified = pades.certify_as_authority(
            flow.signable,
            token_signer,
            **AUTHORITY,
            tsa_url=pki.tsa_url,
            trust_roots=pki.trust_roots,
        )
    signed = pades.sign_as_business(certified, signer_for("business"), **BUSINESS)

    verdict = verify_pdf(signed, trust_roots=pki.trust_roots)
    assert verdict.ok, verdict.as_dict()
    authority, business = verdict.signatures
    assert authority.signer_name == "Võ Minh Tâm"
    assert authority.certificate.dump() == pki.cert("authority").dump()
    assert authority.pades_level == "B-LT"
    assert business.signer_name == "Nguyễn Thị Hoa"


def test_a_wrong_pin_is_a_signing_error(softhsm_token):
    with (
        pytest.raises(SigningError, match="PIN is wrong"),
        open_pkcs11_signer(
            softhsm_token.module,
            token_label=softhsm_token.label,
            pin="0000",
            key_label=softhsm_token.key_label,
        ),
    ):
        pass


def test_a_key_missing_from_the_token_is_a_signing_error(softhsm_token):
    with (
        pytest.raises(SigningError, match="not found on the token"),
        open_pkcs11_signer(
            softhsm_token.module,
            token_label=softhsm_token.label,
            pin=softhsm_token.pin,
            key_label="nobody",
        ),
    ):
        pass


def test_a_missing_pkcs11_module_is_a_signing_error(tmp_path):
    missing = tmp_path / "missing.so"
    with (
        pytest.raises(SigningError, match="does not exist"),
        open_pkcs11_signer(missing, token_label="x", pin="1"),
    ):
        pass
