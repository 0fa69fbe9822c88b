"""The authority's key on a PKCS#11 token (SoftHSM2 here, an HSM or USB token in real life),
configured through the settings, signs from the MoU page like a PKCS#12 file does."""

from partnerships.models import PdfRevision, Signature
from partnerships.signing.setup import SigningSetup
from tests.factories.signing import certify


def test_the_authority_signs_with_a_key_on_a_token(
    client_as, world, sent_mou, signing_settings, softhsm_token
):
    signing_settings.SIGNING_AUTHORITY_PKCS12 = ""
    signing_settings.SIGNING_AUTHORITY_PKCS11_MODULE = softhsm_token.module
    signing_settings.SIGNING_AUTHORITY_PKCS11_TOKEN = softhsm_token.label
    signing_settings.SIGNING_AUTHORITY_PKCS11_PIN = softhsm_token.pin
    signing_settings.SIGNING_AUTHORITY_PKCS11_KEY_LABEL = softhsm_token.key_label

    response = certify(client_as(world.staff), sent_mou)

    assert response.status_code == 302
    revision = PdfRevision.objects.get(mou=sent_mou)
    verdict = SigningSetup.from_settings().verify(bytes(revision.pdf))
    assert verdict.ok, verdict.as_dict()
    assert verdict.signatures[0].signer_name == "Võ Minh Tâm"
    assert Signature.objects.get(mou=sent_mou).is_verified
