"""Migration 0013: a registry set up before the signature anchors gets the current built-in
templates as a new version; one that already has them gets nothing."""

import importlib

import pytest
from django.apps import apps

from partnerships.documents.rendering import SIGNATURE_ANCHOR_VARIABLES
from partnerships.models import DocumentTemplate, TemplateVersion, sha256_hex
from tests.factories import built_in_template

migration = importlib.import_module(
    "partnerships.migrations.0015_builtin_templates_with_signature_anchors"
)

pytestmark = pytest.mark.django_db


def test_an_old_built_in_version_without_anchors_gets_the_current_file_as_its_next_version():
    bgn_vi = DocumentTemplate.objects.get(key="bgn_vi")
    mou_en = DocumentTemplate.objects.get(key="mou_en")
    # As a registry set up earlier has it: the latest version uses no anchors.
    old = bytes(bgn_vi.latest_version().docx)
    TemplateVersion.objects.create(
        template=bgn_vi,
        number=bgn_vi.latest_version().number + 1,
        docx=old,
        sha256=sha256_hex(old),
        variables=["authority", "authority_signatory", "partner_signatory", "pledges"],
    )
    vi_versions, en_versions = bgn_vi.versions.count(), mou_en.versions.count()

    migration.add_anchored_versions(apps, None)
    migration.add_anchored_versions(apps, None)  # run twice: nothing more the second time

    latest = bgn_vi.latest_version()
    assert latest.note.startswith("Built-in template")
    assert bytes(latest.docx) == built_in_template("bgn_vi")
    assert set(latest.variables) >= SIGNATURE_ANCHOR_VARIABLES
    assert bgn_vi.versions.count() == vi_versions + 1
    assert mou_en.versions.count() == en_versions
