"""The deploy check refuses a production start without a time-stamping authority."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings


def test_the_deploy_check_refuses_production_without_a_tsa():
    with (
        override_settings(DEBUG=False, SIGNING_TSA_URL=""),
        pytest.raises(SystemCheckError, match=r"partnerships\.E020"),
    ):
        call_command("check", deploy=True, tags=["signing"])


def test_the_deploy_check_accepts_a_tsa_and_development():
    with override_settings(DEBUG=False, SIGNING_TSA_URL="https://tsa.example.org/"):
        call_command("check", deploy=True, tags=["signing"])
    with override_settings(DEBUG=True, SIGNING_TSA_URL=""):
        call_command("check", deploy=True, tags=["signing"])
