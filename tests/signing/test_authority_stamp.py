"""The authority's stamp, as the registry signs it: the certificate's holder and, when the
MoU names someone else under the block (a deputy, the demo certificate), that person too."""

import pytest

from partnerships.models import Mou, PdfRevision
from tests.factories import stamp_text
from tests.factories.signing import certify

pytestmark = pytest.mark.django_db


def authority_stamp(mou) -> str:
    pdf = bytes(PdfRevision.objects.get(mou=mou, sequence=1).pdf)
    return " ".join(stamp_text(pdf, "Sig_Authority").split())


def test_a_certificate_of_the_person_under_the_block_names_that_person_once(
    client_as, world, sent_mou, signing_settings
):
    assert certify(client_as(world.staff), sent_mou).status_code == 302

    text = authority_stamp(sent_mou)
    assert "Ký số bởi: Võ Minh Tâm" in text  # the test PKI's authority certificate
    assert "Người ký trên văn bản" not in text


def test_a_certificate_of_someone_else_shows_both_names(
    client_as, world, sent_mou, signing_settings
):
    # The MoU names the vice-chairman; the deployment's certificate is the chairman's.
    Mou.objects.filter(pk=sent_mou.pk).update(authority_signatory_name="Lê Văn Tám")

    assert certify(client_as(world.staff), sent_mou).status_code == 302

    text = authority_stamp(sent_mou)
    assert "Ký số bởi: Võ Minh Tâm" in text
    assert "Người ký trên văn bản: Lê Văn Tám" in text
