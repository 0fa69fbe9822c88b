"""A pool of warm converters: each conversion takes a free server, skips one that is not
there, and fails clearly when its server dies under it or none comes free in time.

The servers are fakes speaking unoserver's XML-RPC API (one conversion at a time, like the
real one), so these run in well under a second and without LibreOffice.
"""

import socket
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from partnerships.documents.engine import convert, pool
from partnerships.documents.engine.convert import (
    ConversionError,
    ConversionFailure,
    convert_docx_to_pdf,
)
from tests.documents.engine.test_convert import FakeUnoserver, fake_soffice, free_port, make_docx

HOST = "127.0.0.1"
SLOW = 0.4  # seconds a fake conversion takes


@pytest.fixture(autouse=True)
def own_lock_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UNOSERVER_LOCK_DIR", str(tmp_path / "locks"))
    convert._compatible_servers.clear()


class SlowServer(FakeUnoserver):
    """Takes SLOW seconds per document and counts the documents it converted."""

    def __init__(self, pdf: bytes = b"%PDF-1.7 warm"):
        self.converted = 0
        super().__init__(self._convert)
        self._pdf = pdf

    def _convert(self, *args):
        time.sleep(SLOW)
        self.converted += 1
        return xmlrpc.client.Binary(self._pdf)


class DiesMidConversion:
    """Answers unoserver's `info`, then drops the connection of any `convert` unanswered, as
    a unoserver whose LibreOffice is killed in the middle of a document does."""

    def __init__(self):
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.conversions_started = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                request = _read_request(connection)
                if not request:
                    continue
                if b"<methodName>info</methodName>" in request:
                    body = xmlrpc.client.dumps(
                        ({"api": convert.UNOSERVER_API},), methodresponse=True
                    ).encode()
                    connection.sendall(
                        b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                else:
                    self.conversions_started += 1  # and the connection closes unanswered

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.listener.close()


def _read_request(connection) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:  # a probe that only connects (convert._is_listening)
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += connection.recv(65536)
    return body


def test_two_documents_at_once_go_to_two_servers_of_the_pool():
    # Each conversion waits for the other to be under way too: both finish only if they run
    # side by side on two servers, not one after the other in a single server's queue.
    both_converting = threading.Barrier(2, timeout=10)

    def meet(*args):
        both_converting.wait()
        return xmlrpc.client.Binary(b"%PDF-1.7 warm")

    with FakeUnoserver(meet) as first, FakeUnoserver(meet) as second:
        ports = [first.port, second.port]
        with ThreadPoolExecutor(max_workers=2) as callers:
            pdfs = list(
                callers.map(
                    lambda _: convert_docx_to_pdf(
                        make_docx(), unoserver_host=HOST, unoserver_ports=ports
                    ),
                    range(2),
                )
            )

    assert pdfs == [b"%PDF-1.7 warm"] * 2


def test_a_converter_that_is_not_there_is_skipped_for_one_that_is(caplog):
    dead_port = free_port()
    with SlowServer() as live:
        pdfs = [
            convert_docx_to_pdf(
                make_docx(), unoserver_host=HOST, unoserver_ports=[dead_port, live.port]
            )
            for _ in range(3)
        ]

    assert pdfs == [b"%PDF-1.7 warm"] * 3
    assert live.converted == 3


def test_a_converter_dying_during_a_conversion_fails_it_clearly_and_hands_it_to_no_other():
    with (
        DiesMidConversion() as dying,
        SlowServer() as other,
        pytest.raises(ConversionError) as caught,
        # The other server is busy with a document: the dying one is the only one free.
        pool.claim(HOST, [other.port], deadline=time.monotonic() + 5),
    ):
        convert_docx_to_pdf(
            make_docx(), unoserver_host=HOST, unoserver_ports=[dying.port, other.port]
        )

    assert caught.value.reason == ConversionFailure.CRASHED
    # xmlrpc.client itself sends once more on a dropped connection, to the same server.
    assert dying.conversions_started >= 1
    assert other.converted == 0


def test_a_pool_that_stays_busy_past_the_time_limit_times_the_conversion_out():
    with SlowServer() as only, pool.claim(HOST, [only.port], deadline=time.monotonic() + 5):
        started = time.monotonic()
        with pytest.raises(ConversionError) as caught:
            convert_docx_to_pdf(
                make_docx(), unoserver_host=HOST, unoserver_ports=[only.port], timeout=0.5
            )
        waited = time.monotonic() - started

    assert caught.value.reason == ConversionFailure.TIMED_OUT
    assert 0.5 <= waited < 2
    assert only.converted == 0


def test_a_conversion_waits_for_the_first_server_to_come_free():
    with SlowServer() as only, ThreadPoolExecutor(max_workers=2) as callers:
        convert_one = lambda _: convert_docx_to_pdf(  # noqa: E731
            make_docx(), unoserver_host=HOST, unoserver_ports=[only.port]
        )
        assert list(callers.map(convert_one, range(2))) == [b"%PDF-1.7 warm"] * 2

    assert only.converted == 2


def test_with_no_converter_there_at_all_it_converts_cold(tmp_path):
    fake = fake_soffice(
        tmp_path, 'mkdir -p "$OUTDIR"\necho "%PDF-1.6 cold" > "$OUTDIR/document.pdf"'
    )

    pdf = convert_docx_to_pdf(
        make_docx(), soffice=fake, unoserver_host=HOST, unoserver_ports=[free_port(), free_port()]
    )

    assert pdf == b"%PDF-1.6 cold\n"


def test_a_claim_ends_with_its_holder(tmp_path):
    folder = tmp_path / "locks"
    folder.mkdir()
    with (
        pool.claim(HOST, [2003], deadline=time.monotonic() + 1, folder=folder),
        pytest.raises(pool.NoFreeConverter),
        pool.claim(HOST, [2003], deadline=time.monotonic() + 0.1, folder=folder),
    ):
        pass
    with pool.claim(HOST, [2003], deadline=time.monotonic(), folder=folder) as port:
        assert port == 2003


def test_the_lock_folder_is_private_to_its_user(tmp_path, monkeypatch):
    monkeypatch.delenv("UNOSERVER_LOCK_DIR")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    folder = pool.lock_dir()

    assert folder.parent == tmp_path
    assert folder.stat().st_mode & 0o077 == 0
