"""The national ID number is stored only as a keyed hash, the name only encrypted; keys come
from the environment and can be rotated; nothing identifying reaches the database in clear,
nor the logs."""

import hashlib
import logging
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from partnerships.core import privacy
from partnerships.models import Person
from tests.factories.placements import NATIONAL_ID, csv_bytes, import_row, person_details, report


def test_it_normalises_the_national_id_number():
    assert privacy.normalise_national_id(" 079 203 001 234 ") == "079203001234"
    assert privacy.normalise_national_id("079.203.001.234") == "079203001234"
    assert privacy.normalise_national_id("079\u00a0203\u00a0001234") == "079203001234"
    assert privacy.normalise_national_id("012345678") == "012345678"  # old 9-digit CMND


@pytest.mark.parametrize("raw", ["", "12345", "0792030012345", "07920300123A", "1234567890"])
def test_it_refuses_what_is_not_a_cccd_or_cmnd(raw):
    with pytest.raises(privacy.InvalidNationalId) as error:
        privacy.normalise_national_id(raw)
    assert raw.strip() == "" or raw not in str(error.value)  # the value never in the message


def test_the_hash_is_keyed_and_ignores_formatting():
    digest = privacy.national_id_hash(NATIONAL_ID)
    assert digest == privacy.national_id_hash("079 203 001 234")
    assert len(digest) == 64
    assert digest != hashlib.sha256(NATIONAL_ID.encode()).hexdigest()  # not a plain hash
    with override_settings(PERSON_ID_HMAC_KEY="another-key-of-sufficient-length"):
        assert privacy.national_id_hash(NATIONAL_ID) != digest


def test_names_are_encrypted_and_decrypted():
    token = privacy.encrypt_name("  Nguyễn   Văn An ")
    assert "Nguy" not in token
    assert privacy.decrypt_name(token) == "Nguyễn Văn An"
    assert privacy.encrypt_name("Nguyễn Văn An") != token  # a fresh IV each time


def test_name_keys_rotate():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PERSON_NAME_KEYS=[old_key]):
        token = privacy.encrypt_name("Trần Thị Bích")
    with override_settings(PERSON_NAME_KEYS=[new_key, old_key]):
        assert privacy.decrypt_name(token) == "Trần Thị Bích"  # old tokens still readable
        rotated = privacy.rotate_name(token)
    with override_settings(PERSON_NAME_KEYS=[new_key]):
        assert privacy.decrypt_name(rotated) == "Trần Thị Bích"
        with pytest.raises(ImproperlyConfigured):
            privacy.decrypt_name(token)


def test_the_rotate_command_re_encrypts_every_name(placements_world):
    w = placements_world
    report(w)
    new_key = Fernet.generate_key().decode()
    with override_settings(PERSON_NAME_KEYS=[new_key, *settings.PERSON_NAME_KEYS]):
        call_command("rotate_name_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with override_settings(PERSON_NAME_KEYS=[new_key]):
        assert privacy.decrypt_name(Person.objects.get().full_name_encrypted) == "Nguyễn Văn An"


@pytest.mark.parametrize(
    "overrides",
    [{"PERSON_NAME_KEYS": ["not-a-fernet-key"]}, {"PERSON_ID_HMAC_KEY": "short"}],
)
def test_the_system_check_refuses_bad_keys(overrides):
    with override_settings(**overrides):
        errors = privacy.check_person_keys()
    assert [error.id for error in errors] == ["partnerships.E001"]


@pytest.mark.parametrize("missing", ["PERSON_ID_HMAC_KEY", "PERSON_NAME_KEY"])
def test_keys_are_required_when_debug_is_off(missing):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", missing}
    } | {"DEBUG": "0", "SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [sys.executable, "-c", "import partnerships.settings"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def _every_stored_text() -> str:
    """Every row of every table, as text: what someone with a copy of the database sees."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_no_id_number_or_name_is_stored_in_clear(
    placements_world, upload, confirm_import, client_as, caplog
):
    w = placements_world
    caplog.set_level(logging.DEBUG)
    report(w, person=person_details(w, full_name="Phạm Thị Hồng Nhung"))
    rows = [import_row(w, national_id="001099012345", full_name="Đỗ Quang Khải", gender="Nam")]
    batch = upload(w.business, csv_bytes(rows))
    confirm_import(batch, w.business)
    person = Person.objects.get(pk=Person.objects.order_by("pk").first().pk)
    client_as(w.staff).get(f"/people/{person.pk}/")

    stored = _every_stored_text()
    for secret in ["079203001234", "001099012345", "Nhung", "Khải", "Phạm Thị"]:
        assert secret not in stored
        assert secret not in caplog.text
    assert Person.objects.filter(id_hash=privacy.national_id_hash("001099012345")).exists()


def test_a_crash_while_reading_logs_no_cell(placements_world, upload, caplog):
    from unittest import mock

    from partnerships.placements.imports.validation import RowChecker

    w = placements_world
    leak = ValueError(f"cannot convert {NATIONAL_ID} (Nguyễn Văn An)")
    with mock.patch.object(RowChecker, "check", side_effect=leak):
        batch = upload(w.business, csv_bytes([import_row(w)]))
    assert (batch.status, batch.error_code) == ("failed", "internal")
    assert "crashed: ValueError" in caplog.text
    assert NATIONAL_ID not in caplog.text and "Nguyễn" not in caplog.text
