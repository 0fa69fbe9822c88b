"""A child that a hostile file took over answers the parent with what it likes. The parent
must not run code of the child's choosing, let the reply change its classes, spend
unbounded time or memory on it, wait for ever, or raise anything but its own refusals."""

import json
import os
import pickle
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from asn1crypto import x509
from django.utils import translation
from django.utils.translation import gettext_lazy

from partnerships.core import isolation, replies
from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.models import MouState
from partnerships.mous.lifecycle import MouError
from partnerships.signing.pdf import verify
from partnerships.signing.pdf.visual import Comparison


def _answer_with(value):
    return value


def _send_raw(connection, payload: bytes) -> None:
    connection.send_bytes(payload)
    connection.close()
    os._exit(0)


def _child_sending(monkeypatch, payload: bytes) -> None:
    """The next run_limited child writes `payload` to the pipe, whatever it was asked."""
    monkeypatch.setattr(isolation, "_child", lambda conn, *rest: _send_raw(conn, payload))


def _tagged(reply) -> bytes:
    return json.dumps(reply).encode()


# --- What honest children send comes back ---------------------------------------------------


def _honest_reply(certificate_der: bytes):
    return {
        "when": datetime(2026, 12, 6, 8, 30, tzinfo=UTC),
        "day": date(2026, 12, 6),
        "after": timedelta(days=2, seconds=5),
        "state": MouState.SIGNED,
        "comparison": Comparison(different_pages=(2,)),
        "certificate": x509.Certificate.load(certificate_der),
        "pdf": b"%PDF-\x00\xff",
        "pages": {1, 3},
        "amount": Decimal("6500000.50"),
        "message": gettext_lazy("Signed"),
        7: [None, True, 1.5, ("a", 1)],
    }


def test_plain_data_and_the_projects_own_records_come_back():
    reply = run_limited(
        _honest_reply, _self_signed_certificate_der(), classes=(MouState, Comparison)
    )

    assert reply["when"] == datetime(2026, 12, 6, 8, 30, tzinfo=UTC)
    assert reply["day"] == date(2026, 12, 6)
    assert reply["after"] == timedelta(days=2, seconds=5)
    assert reply["state"] is MouState.SIGNED
    assert reply["comparison"] == Comparison(different_pages=(2,))
    assert reply["certificate"].subject.native["common_name"] == "Reply test"
    assert reply["pdf"] == b"%PDF-\x00\xff"
    assert reply["pages"] == {1, 3}
    assert reply["amount"] == Decimal("6500000.50")
    assert reply[7] == [None, True, 1.5, ("a", 1)]
    # Still lazy: shown in the reader's language, not the child's.
    with translation.override("vi"):
        vietnamese = str(reply["message"])
    with translation.override("en"):
        assert str(reply["message"]) == "Signed"
    assert vietnamese != "Signed"


def _refuse():
    raise MouError("Hợp đồng đã được gửi.")


def test_a_registry_error_in_the_child_is_raised_again_in_the_parent():
    with pytest.raises(MouError, match="đã được gửi"):
        run_limited(_refuse, classes=(MouError,))


# --- A taken-over child -------------------------------------------------------------------


class _RunsCommandWhenRead:
    """What a taken-over child would pickle: reading it with pickle runs a shell command."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_a_command_is_refused_and_nothing_runs(monkeypatch, tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(("ok", _RunsCommandWhenRead(str(marker))))
    _child_sending(monkeypatch, payload)

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None)

    assert refused.value.kind == "crash"
    assert not marker.exists()
    pickle.loads(payload)  # noqa: S301 - the same bytes, read as pickle, do run it
    assert marker.exists()


def test_a_reply_cannot_change_the_parents_classes(monkeypatch):
    """Pickle's BUILD set attributes on a class: a reply made every later Verdict "ok"
    without any signature. JSON names no operation; try the nearest things."""
    attempts = [
        {"$": "dataclass", "c": "partnerships.signing.pdf.verify:Verdict", "v": {"ok": True}},
        {"$": "error", "c": "partnerships.mous.lifecycle:MouError", "m": {"$": "bytes"}},
        {"$": "enum", "c": "partnerships.models.mous:MouState", "v": "HACKED"},
    ]
    for attempt in attempts:
        with pytest.raises(replies.UnsafeReply):
            replies.loads(_tagged(attempt), classes=(verify.Verdict, MouError, MouState))

    assert not verify.Verdict(sha256="x").ok
    assert MouState("sent") is MouState.SENT


def test_a_reply_builds_only_the_classes_its_caller_expects():
    """Any project dataclass by its constructor was too much: an AuthorityRule compiles the
    pattern it is given, and a child chose 12 KB of pattern that took 4.6 s to compile."""
    rule = {
        "$": "dataclass",
        "c": "partnerships.signing.pdf.authority_rule:AuthorityRule",
        "v": {"attributes": ["organization_name"], "match": "pattern", "value": "(a|b)*c" * 2000},
    }
    started = time.process_time()

    with pytest.raises(replies.UnsafeReply, match="not expected"):
        replies.loads(_tagged(rule), classes=(Comparison,))

    assert time.process_time() - started < 0.5


def test_a_child_answering_with_another_class_than_expected_is_a_crash():
    verdict = verify.Verdict(sha256="x")

    assert run_limited(_answer_with, verdict, classes=(verify.Verdict,)) == verdict
    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, verdict, classes=(Comparison,))
    assert refused.value.kind == "crash"


def test_an_error_is_rebuilt_from_its_message_alone():
    """Not by its constructor (which may take other arguments and work on them) and with
    none of the state the child sends beside the message."""
    reply = {
        "$": "error",
        "c": "partnerships.core.isolation:LimitExceeded",  # its constructor takes a kind
        "m": "memory",
        "d": {"$": "dict", "v": [["kind", "cpu"], ["__class__", "x"]]},
    }

    error = replies.loads(_tagged(reply), classes=(LimitExceeded,))

    assert type(error) is LimitExceeded
    assert error.message == "memory"
    assert vars(error) == {"_message": "memory"}


@pytest.mark.parametrize(
    "reply",
    [
        {"$": "enum", "c": "enum:Enum", "v": "X"},  # not the project's
        {"$": "dataclass", "c": "partnerships.settings:re", "v": {}},  # a module, by name
        {"$": "enum", "c": "partnerships.settings:dj_database_url.logging.re.RegexFlag"},
        {"$": "dataclass", "c": "partnerships.core.isolation:Budget.__class__", "v": {}},
        {"$": "dataclass", "c": "this:s", "v": {}},  # a module not loaded: never imported
        {"$": "error", "c": "builtins:SystemExit", "a": [3], "d": {"$": "dict", "v": []}},
        {"$": "lazy", "f": "format_lazy", "a": ["{0.__class__}"]},
        {"$": "lazy", "f": "gettext", "a": [{"$": "bytes", "v": ""}]},
        {"$": "pickle", "v": "gASV"},
        {"no tag": 1},
        {"$": "decimal", "v": "1e1000000"},  # int() of it took half a minute
        {"$": "decimal", "v": "9" * 100},
        {"$": "tuple", "v": "not a list"},
        {"$": "dict", "v": [[["unhashable"], 1]]},
        {"$": "set", "v": [2**61 - 1, 2 * (2**61 - 1)]},  # ints that share one hash
        {"$": "set", "v": [{"$": "tuple", "v": []}]},
        {"$": "lazy", "f": "gettext", "a": []},  # would fail only when shown
        {"$": "lazy", "f": "pgettext", "a": ["context"]},
    ],
)
def test_what_no_honest_child_sends_is_refused(reply):
    with pytest.raises(replies.UnsafeReply):
        replies.loads(_tagged(reply))
    assert "this" not in __import__("sys").modules


def test_huge_numbers_and_deep_nesting_are_refused_without_working_on_them():
    started = time.process_time()
    for payload in (
        b"[" + b"9" * 100_000 + b"]",  # Python refuses to convert over 4,300 digits
        b"[" * 100_000 + b"]" * 100_000,
        b'{"$": "decimal", "v": "1e999999999"}',
        b"[" + b"[]," * 600_000 + b"[]]",  # many small containers: memory, refused unparsed
        b"[" + b"1e5," * 1_100_000 + b"1]",  # many small numbers: memory, refused unparsed
    ):
        with pytest.raises(replies.UnsafeReply):
            replies.loads(payload)
    assert time.process_time() - started < 2


@pytest.mark.parametrize(
    "payload",
    [
        _tagged([1, 2]),  # not the (outcome, value) pair
        _tagged({"$": "tuple", "v": [1, 2, 3]}),
        _tagged({"$": "tuple", "v": [{"$": "tuple", "v": []}, None]}),  # outcome not text
        _tagged({"$": "tuple", "v": ["raise", "not an error"]}),
        _tagged({"$": "tuple", "v": ["limit", "disk"]}),
        b"\x80\x04not json",
    ],
)
def test_a_malformed_reply_is_a_crash_never_another_exception(monkeypatch, payload):
    _child_sending(monkeypatch, payload)

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None)

    assert refused.value.kind == "crash"


def test_a_reply_longer_than_its_budget_is_not_read(monkeypatch):
    _child_sending(monkeypatch, b" " * (3 * 1024 * 1024))

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None, budget=Budget(reply_mb=1))

    assert refused.value.kind == "memory"


def _start_a_reply_and_stall(connection, *rest) -> None:
    # A length that promises 1 MB, then one byte, then nothing: recv would wait for ever.
    os.write(connection.fileno(), (1024 * 1024).to_bytes(4, "big", signed=True) + b"[")
    time.sleep(60)
    os._exit(0)


def _leave_a_grandchild_holding_the_pipe(connection, *rest) -> None:
    # The taken-over child forks; its own child keeps the pipe open and stays silent, so
    # killing the child at the deadline does not end the reply.
    if os.fork() == 0:
        time.sleep(8)
        os._exit(0)
    os.write(connection.fileno(), (1024).to_bytes(4, "big", signed=True) + b"[")
    os._exit(0)


def test_a_process_the_child_forked_cannot_keep_the_parent_waiting(monkeypatch):
    monkeypatch.setattr(isolation, "_child", _leave_a_grandchild_holding_the_pipe)
    started = time.monotonic()

    with pytest.raises(LimitExceeded) as refused:
        run_limited(_answer_with, None, budget=Budget(wall_seconds=2))

    assert refused.value.kind == "time"
    assert time.monotonic() - started < 5


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


def test_a_reply_of_another_shape_than_the_caller_expects_is_a_crash():
    expected = (bytes, (str, type(None)))

    assert run_limited(_answer_with, (b"%PDF", None), returns=expected) == (b"%PDF", None)
    for other in [(b"%PDF", 5), (b"%PDF",), "abc", [b"%PDF", None]]:
        with pytest.raises(LimitExceeded) as refused:
            run_limited(_answer_with, other, returns=expected)
        assert refused.value.kind == "crash"


def _fork_a_grandchild(pid_file: str) -> tuple[int]:
    # What a hostile file's code could do in the child: start a process and answer at once.
    grandchild = os.fork()
    if grandchild == 0:
        time.sleep(30)
        os._exit(0)
    with open(pid_file, "w") as out:
        out.write(str(grandchild))
    return (grandchild,)


def _is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_process_the_child_started_does_not_outlive_the_request(tmp_path):
    pid_file = tmp_path / "grandchild"

    run_limited(_fork_a_grandchild, str(pid_file), returns=(int,))

    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while _is_running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _is_running(grandchild)
