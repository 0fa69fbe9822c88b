"""DOCX to PDF/A-2b: cold soffice, warm unoserver, and every way a conversion can fail.

The LibreOffice tests use the real soffice; the failure paths that need a misbehaving
converter use a fake soffice (a shell script) or a fake unoserver (an XML-RPC server in a
thread), so they run in milliseconds and without LibreOffice.
"""

import io
import logging
import os
import re
import shutil
import socket
import threading
import time
import xmlrpc.client
import xmlrpc.server
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.utils import translation
from docx import Document
from docx.shared import Pt
from pypdf import PdfReader

from partnerships.documents.engine import convert
from partnerships.documents.engine.convert import (
    ConversionError,
    ConversionFailure,
    convert_cold,
    convert_docx_to_pdf,
    convert_warm,
    start_unoserver,
    stop_unoserver,
)
from tests.factories import requires_libreoffice

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"


def make_docx(paragraphs: int = 0) -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    document.add_paragraph(MOTTO)
    document.add_paragraph(SLOGAN)
    for number in range(1, paragraphs + 1):
        document.add_paragraph(
            f"Điều {number}. Bên B tiếp nhận và bố trí việc làm cho người chấp hành xong án "
            "phạt tù, bảo đảm tiền lương và điều kiện làm việc như người lao động khác."
        )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_broken_body() -> bytes:
    """A sound zip with the DOCX parts, whose document.xml is not XML: only Word can tell."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as source,
        zipfile.ZipFile(buffer, "w") as broken,
    ):
        for name in source.namelist():
            data = source.read(name)
            broken.writestr(name, b"<w:document garbage" if name == "word/document.xml" else data)
    return buffer.getvalue()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """Each font the pages use, with whether its program is embedded (what pdffonts shows).

    A font without a descriptor (one of the standard 14, like Helvetica) counts as not embedded.
    """
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            font = font.get_object()
            descriptors = [
                described.get_object()["/FontDescriptor"].get_object()
                for described in [font, *font.get("/DescendantFonts", [])]
                if "/FontDescriptor" in described.get_object()
            ]
            fonts[str(font["/BaseFont"])] = bool(descriptors) and all(
                {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
                for descriptor in descriptors
            )
    return fonts


def pdfa_identification(pdf: bytes) -> tuple[str, str]:
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    xmp = metadata.decode()
    part = re.search(r"pdfaid:part(?:>|=\")(\d+)", xmp)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")(\w+)", xmp)
    return part.group(1), conformance.group(1)


def assert_is_vietnamese_pdfa(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert MOTTO in text
    assert SLOGAN in text
    fonts = pdf_fonts(pdf)
    assert fonts, "the PDF uses no fonts at all"
    assert all(fonts.values()), f"fonts not embedded: {fonts}"
    # Times New Roman comes out as its metric twin from fonts-liberation2, not a fallback.
    assert all("LiberationSerif" in name for name in fonts), fonts
    assert pdfa_identification(pdf) == ("2", "B")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_members_of_group(pgid: int) -> list[int]:
    """Processes still running in a process group; zombies (dead, not yet reaped) excluded."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def fake_soffice(tmp_path: Path, body: str) -> str:
    """A shell script standing in for soffice; $OUTDIR is the --outdir it was given."""
    script = tmp_path / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'OUTDIR=""\n'
        'while [ $# -gt 0 ]; do [ "$1" = "--outdir" ] && OUTDIR="$2"; shift; done\n'
        f"{body}\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.fixture(autouse=True)
def forget_known_servers():
    # Fake servers come and go on random ports; a port seen before may now be another server.
    convert._compatible_servers.clear()


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    """Send the converter's temporary directories here, to see that none is left behind."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(directory))
    return directory


# --- Cold conversion with the real LibreOffice ---------------------------------------------


@requires_libreoffice
def test_it_converts_vietnamese_to_pdfa_2b_with_fonts_embedded(own_tempdir):
    pdf = convert_cold(make_docx())

    assert_is_vietnamese_pdfa(pdf)
    assert list(own_tempdir.iterdir()) == []


@requires_libreoffice
def test_it_converts_two_documents_at_the_same_time():
    documents = [make_docx(paragraphs=1), make_docx(paragraphs=2)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        pdfs = list(pool.map(lambda docx: convert_cold(docx, timeout=120), documents))

    for pdf in pdfs:
        assert_is_vietnamese_pdfa(pdf)
    assert "Điều 1." in pdf_text(pdfs[0])
    assert "Điều 2." not in pdf_text(pdfs[0])
    assert "Điều 2." in pdf_text(pdfs[1])


@requires_libreoffice
def test_it_reports_a_document_libreoffice_cannot_open_as_corrupt():
    with pytest.raises(ConversionError) as caught:
        convert_cold(docx_with_broken_body())

    assert caught.value.reason == ConversionFailure.CORRUPT


@requires_libreoffice
def test_it_falls_back_to_cold_soffice_when_no_unoserver_answers(caplog):
    caplog.set_level(logging.INFO, logger="partnerships.documents.engine.convert")

    pdf = convert_docx_to_pdf(make_docx(), unoserver_host="127.0.0.1", unoserver_port=free_port())

    assert_is_vietnamese_pdfa(pdf)
    assert "No unoserver at 127.0.0.1" in caplog.text


# --- Warm conversion through a real unoserver ----------------------------------------------


@pytest.fixture(scope="module")
def unoserver(tmp_path_factory):
    if shutil.which(os.environ.get("SOFFICE_PATH") or "soffice") is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    port = free_port()
    process = start_unoserver(port, tmp_path_factory.mktemp("unoserver"))
    try:
        yield ("127.0.0.1", port, process)
    finally:
        stop_unoserver(process)
    assert live_members_of_group(process.pid) == []


def test_it_converts_through_a_running_unoserver(unoserver):
    host, port, _process = unoserver

    pdf = convert_warm(make_docx(), host=host, port=port)

    assert_is_vietnamese_pdfa(pdf)


def test_it_prefers_the_running_unoserver(unoserver, monkeypatch):
    host, port, _process = unoserver

    def no_cold_conversion(*args, **kwargs):
        raise AssertionError("converted cold although a unoserver was running")

    monkeypatch.setattr(convert, "_convert_cold", no_cold_conversion)
    monkeypatch.setenv("UNOSERVER_HOST", host)
    monkeypatch.setenv("UNOSERVER_PORT", str(port))

    assert_is_vietnamese_pdfa(convert_docx_to_pdf(make_docx()))


def test_the_unoserver_reports_a_document_it_cannot_open_as_corrupt(unoserver):
    host, port, _process = unoserver

    with pytest.raises(ConversionError) as caught:
        convert_warm(docx_with_broken_body(), host=host, port=port)

    assert caught.value.reason == ConversionFailure.CORRUPT
    # The server survives a bad document and goes on converting.
    assert_is_vietnamese_pdfa(convert_warm(make_docx(), host=host, port=port))


# --- Inputs refused before any converter starts --------------------------------------------


@pytest.mark.parametrize(
    "docx",
    [
        pytest.param(os.urandom(4096), id="random bytes"),
        pytest.param(make_docx()[:3000], id="truncated zip"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), id="old .doc or encrypted"),
    ],
)
def test_it_refuses_input_that_is_not_a_docx(docx, tmp_path):
    never_started = str(tmp_path / "no-soffice-here")

    with pytest.raises(ConversionError) as caught:
        convert_docx_to_pdf(docx, soffice=never_started, unoserver_port=free_port())

    assert caught.value.reason == ConversionFailure.CORRUPT
    with translation.override("en"):
        assert "damaged or is not a Word (.docx) document" in str(caught.value.message)


def test_it_refuses_a_zip_that_is_not_a_word_document(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")

    with pytest.raises(ConversionError) as caught:
        convert_cold(buffer.getvalue(), soffice=str(tmp_path / "no-soffice-here"))

    assert caught.value.reason == ConversionFailure.CORRUPT


# --- A cold converter that hangs, crashes or lies (fake soffice) ---------------------------


def test_it_kills_a_hanging_converter_and_everything_it_started(tmp_path, own_tempdir):
    pid_file = tmp_path / "soffice.pid"
    # Like soffice -> oosplash -> soffice.bin: a launcher with children, all stuck.
    hanging = fake_soffice(tmp_path, f'echo $$ > "{pid_file}"\nsleep 60 &\nsleep 60')

    started = time.monotonic()
    with pytest.raises(ConversionError) as caught:
        convert_cold(make_docx(), soffice=hanging, timeout=2)
    elapsed = time.monotonic() - started

    assert caught.value.reason == ConversionFailure.TIMED_OUT
    with translation.override("en"):
        assert "took too long" in str(caught.value.message)
    assert elapsed < 6
    pgid = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while live_members_of_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_members_of_group(pgid) == []
    assert list(own_tempdir.iterdir()) == []


def test_it_reports_a_converter_that_exits_with_an_error_as_a_crash(tmp_path, own_tempdir):
    crashing = fake_soffice(tmp_path, "echo 'Segmentation fault' >&2\nexit 139")

    with pytest.raises(ConversionError) as caught:
        convert_cold(make_docx(), soffice=crashing)

    assert caught.value.reason == ConversionFailure.CRASHED
    with translation.override("en"):
        assert "failed while converting" in str(caught.value.message)
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("exit 0", id="no output"),
        pytest.param(': > "$OUTDIR/document.pdf"', id="empty output"),
        pytest.param('echo "not a pdf" > "$OUTDIR/document.pdf"', id="not a PDF"),
    ],
)
def test_it_reports_missing_or_bad_output_as_a_crash(body, tmp_path):
    lying = fake_soffice(tmp_path, f'mkdir -p "$OUTDIR"\n{body}')

    with pytest.raises(ConversionError) as caught:
        convert_cold(make_docx(), soffice=lying)

    assert caught.value.reason == ConversionFailure.CRASHED


def test_it_reports_a_missing_converter_as_a_crash(tmp_path):
    with pytest.raises(ConversionError) as caught:
        convert_cold(make_docx(), soffice=str(tmp_path / "no-soffice-here"))

    assert caught.value.reason == ConversionFailure.CRASHED


def test_it_reads_the_soffice_path_from_the_environment(tmp_path, monkeypatch):
    fake = fake_soffice(
        tmp_path, 'mkdir -p "$OUTDIR"\necho "%PDF-1.6 fake" > "$OUTDIR/document.pdf"'
    )
    monkeypatch.setenv("SOFFICE_PATH", fake)
    monkeypatch.setenv("UNOSERVER_PORT", str(free_port()))

    assert convert_docx_to_pdf(make_docx()) == b"%PDF-1.6 fake\n"


# --- A warm converter that hangs or fails (fake unoserver) ---------------------------------


class FakeUnoserver:
    """unoserver's XML-RPC API, with `convert` doing whatever the test says."""

    def __init__(self, convert_behaviour):
        self.server = xmlrpc.server.SimpleXMLRPCServer(
            ("127.0.0.1", 0), allow_none=True, logRequests=False
        )
        self.port = self.server.server_address[1]
        self.server.register_function(lambda: {"api": convert.UNOSERVER_API}, "info")
        self.server.register_function(convert_behaviour, "convert")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


def test_it_gives_up_on_a_unoserver_that_hangs():
    release = threading.Event()

    def hang(*args):
        release.wait(30)

    with FakeUnoserver(hang) as server:
        started = time.monotonic()
        with pytest.raises(ConversionError) as caught:
            convert_docx_to_pdf(
                make_docx(), unoserver_host="127.0.0.1", unoserver_port=server.port, timeout=1
            )
        elapsed = time.monotonic() - started
        release.set()

    assert caught.value.reason == ConversionFailure.TIMED_OUT
    assert elapsed < 4


def test_it_reports_a_unoserver_failure_as_a_crash():
    def fail(*args):
        raise RuntimeError("LibreOffice disposed")

    with FakeUnoserver(fail) as server, pytest.raises(ConversionError) as caught:
        convert_warm(make_docx(), host="127.0.0.1", port=server.port)

    assert caught.value.reason == ConversionFailure.CRASHED


def test_it_checks_what_the_unoserver_returns():
    with (
        FakeUnoserver(lambda *args: xmlrpc.client.Binary(b"")) as server,
        pytest.raises(ConversionError) as caught,
    ):
        convert_warm(make_docx(), host="127.0.0.1", port=server.port)

    assert caught.value.reason == ConversionFailure.CRASHED


def test_it_says_when_no_unoserver_answers():
    with pytest.raises(convert.UnoserverUnavailable):
        convert_warm(make_docx(), host="127.0.0.1", port=free_port())


def test_it_converts_cold_when_the_server_speaks_another_api(tmp_path):
    fake = fake_soffice(
        tmp_path, 'mkdir -p "$OUTDIR"\necho "%PDF-1.6 cold" > "$OUTDIR/document.pdf"'
    )

    with FakeUnoserver(lambda *args: None) as server:
        server.server.register_function(lambda: {"api": "2"}, "info")
        pdf = convert_docx_to_pdf(
            make_docx(), soffice=fake, unoserver_host="127.0.0.1", unoserver_port=server.port
        )

    assert pdf == b"%PDF-1.6 cold\n"


# --- Starting a unoserver -------------------------------------------------------------------


def test_it_refuses_to_start_a_unoserver_on_a_port_in_use(tmp_path):
    with FakeUnoserver(lambda *args: None) as server, pytest.raises(convert.UnoserverUnavailable):
        convert.start_unoserver(server.port, tmp_path)


def test_it_says_why_a_unoserver_did_not_start(tmp_path):
    with pytest.raises(convert.UnoserverUnavailable, match="exited with status"):
        convert.start_unoserver(free_port(), tmp_path, python=shutil.which("false"))
