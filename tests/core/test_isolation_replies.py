"""A child that a hostile file took over answers the parent with what it likes. The parent
must not run code of the child's choosing, read an endless reply, or wait for ever."""

import os
import pickle
import sys
import time
from datetime import UTC, datetime

import pytest
from asn1crypto import x509

from partnerships.core import isolation
from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.models import MouState
from partnerships.mous.lifecycle import MouError
from partnerships.signing.pdf.visual import Comparison


class _RunsCommandWhenRead:
    """What a taken-over child would pickle: reading it runs a shell command."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _answer_with(value):
    return value


def test_a_reply_that_would_run_a_command_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, _RunsCommandWhenRead(str(marker)))

    assert refused.value.kind == "crash"
    assert not marker.exists()
    # The same object, read without the guard, does run the command: the test is real.
    pickle.loads(pickle.dumps(_RunsCommandWhenRead(str(marker))))  # noqa: S301
    assert marker.exists()


def test_a_reply_naming_a_module_not_loaded_is_refused_without_importing_it():
    # Protocol 0 text for "the attribute s of the module this" (importing it prints a poem).
    crafted = b"cthis\ns\n."
    assert "this" not in sys.modules

    with pytest.raises(isolation.UnsafeReply):
        isolation.load_reply(crafted)

    assert "this" not in sys.modules


def _honest_reply(certificate_der: bytes):
    certificate = x509.Certificate.load(certificate_der)
    return {
        "when": datetime(2026, 12, 6, tzinfo=UTC),
        "state": MouState.SIGNED,
        "comparison": Comparison(different_pages=(2,)),
        "certificate": certificate,
        "bytes": b"%PDF",
    }


def test_plain_data_and_the_projects_own_records_still_come_back():
    reply = run_limited(_honest_reply, _self_signed_certificate_der())

    assert reply["when"] == datetime(2026, 12, 6, tzinfo=UTC)
    assert reply["state"] is MouState.SIGNED
    assert reply["comparison"].different_pages == (2,)
    assert reply["certificate"].subject.native["common_name"] == "Reply test"
    assert reply["bytes"] == b"%PDF"


def _refuse():
    raise MouError("Hợp đồng đã được gửi.")


def test_a_registry_error_in_the_child_is_raised_again_in_the_parent():
    with pytest.raises(MouError, match="đã được gửi"):
        run_limited(_refuse)


def _send_raw(connection, payload: bytes) -> None:
    connection.send_bytes(payload)
    connection.close()
    os._exit(0)


def test_a_reply_that_is_an_exception_of_another_kind_is_not_raised(monkeypatch):
    # A child may not make the parent raise SystemExit (or anything but a RegistryError).
    payload = pickle.dumps(("raise", SystemExit(3)))
    monkeypatch.setattr(isolation, "_child", lambda conn, *rest: _send_raw(conn, payload))

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None)

    assert refused.value.kind == "crash"


def test_a_reply_longer_than_its_budget_is_not_read(monkeypatch):
    payload = pickle.dumps(("ok", b"x" * (3 * 1024 * 1024)))
    monkeypatch.setattr(isolation, "_child", lambda conn, *rest: _send_raw(conn, payload))

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None, budget=Budget(reply_mb=1))

    assert refused.value.kind == "memory"


def _start_a_reply_and_stall(connection, *rest) -> None:
    # A length that promises 1 MB, then a trickle, then nothing: recv would wait for ever.
    os.write(connection.fileno(), (1024 * 1024).to_bytes(4, "big", signed=True) + b"\x80")
    time.sleep(60)
    os._exit(0)


def test_a_reply_that_starts_in_time_must_also_end_in_time(monkeypatch):
    monkeypatch.setattr(isolation, "_child", _start_a_reply_and_stall)
    started = time.monotonic()

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None, budget=Budget(wall_seconds=2))

    assert refused.value.kind == "time"
    assert time.monotonic() - started < 10


def _self_signed_certificate_der() -> bytes:
    from cryptography import x509 as made
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = made.Name([made.NameAttribute(made.oid.NameOID.COMMON_NAME, "Reply test")])
    now = datetime.now(UTC)
    certificate = (
        made.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now.replace(year=now.year + 1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)
