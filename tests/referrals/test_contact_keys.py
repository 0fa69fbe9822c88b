"""The contact given with a referral is encrypted like a name, and rotates with the names."""

import os

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from partnerships.core import privacy
from partnerships.models import Referral
from tests.factories.referrals import CONTACT, refer

pytestmark = pytest.mark.django_db


def test_the_rotate_command_re_encrypts_referral_contacts(placements_world):
    refer(placements_world)
    new_key = Fernet.generate_key().decode()
    with override_settings(PERSON_NAME_KEYS=[new_key, *settings.PERSON_NAME_KEYS]):
        call_command("rotate_name_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with override_settings(PERSON_NAME_KEYS=[new_key]):
        assert privacy.decrypt_name(Referral.objects.get().contact_encrypted) == CONTACT
