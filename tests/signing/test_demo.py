"""seed_demo signs its signed, active, reviewed and terminated MoUs for real, with a DEMO PKI
made at the first run, so a newcomer sees the whole flow."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from pyhanko.keys import load_cert_from_pemder

from partnerships.models import (
    Mou,
    MouState,
    PdfRevision,
    Signature,
)
from partnerships.signing.demo_pki import ROOT_NAME
from partnerships.signing.setup import demo_setup


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        revisions_after_first = PdfRevision.objects.count()
        call_command("seed_demo", stdout=StringIO())
        yield revisions_after_first
        transaction.set_rollback(True)


def test_every_signed_demo_mou_carries_both_real_signatures(seeded, db):
    setup = demo_setup(settings.DEMO_PKI_DIR)
    signed = Mou.objects.filter(state__in=MouState.SIGNED_ONCE)
    assert signed.count() >= 4
    for mou in signed:
        assert PdfRevision.chain_problems(mou) == []
        final = mou.pdf_revisions.order_by("-sequence").first()
        verdict = setup.verify(bytes(final.pdf))
        assert verdict.ok, (mou.document_number, verdict.as_dict())
        assert [s.registry_seal for s in verdict.signatures] == [False, True]
        assert set(Signature.objects.filter(mou=mou).values_list("method", flat=True)) == {
            "demo",
            "registry_seal",
        }


def test_the_demo_pki_says_it_is_a_demo_and_is_made_once(seeded, db):
    root = load_cert_from_pemder(settings.DEMO_PKI_DIR / "root.pem")
    assert root.subject.native["common_name"] == ROOT_NAME
    assert "not trusted outside this demo" in ROOT_NAME
    # The second run signed nothing new.
    assert PdfRevision.objects.count() == seeded


def test_the_sent_demo_mou_waits_for_the_authority(seeded, db):
    sent = Mou.objects.get(state=MouState.SENT)
    assert not sent.pdf_revisions.exists()
