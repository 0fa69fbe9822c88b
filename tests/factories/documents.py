"""Documents for the tests: the real sample DOCX and PDF (rendered once per session), PDF
readers built on poppler, built-in and spoiled templates, a misbehaving soffice."""

import functools
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from docx import Document
from pypdf import PdfReader

from partnerships.models import MouDocument, RenderStatus, sha256_hex


@functools.cache
def sample_documents() -> tuple[bytes, bytes]:
    """A real DOCX and signable PDF, rendered once per test session with the real template,
    LibreOffice and pyHanko. Lifecycle tests need *a* finished document to send; the
    document tests check the rendering of each MoU itself."""
    from partnerships.documents.engine.convert import convert_docx_to_pdf
    from partnerships.documents.engine.fields import prepare_signable_pdf
    from partnerships.documents.engine.fill import fill_template
    from partnerships.documents.template_library import _SAMPLE_CONTEXT

    docx = fill_template(
        (settings.BASE_DIR / "mou_templates" / "bgn_vi.docx").read_bytes(), _SAMPLE_CONTEXT
    )
    pdf = prepare_signable_pdf(convert_docx_to_pdf(docx))
    return docx, pdf


def attach_ready_document(mou) -> MouDocument:
    """Give the MoU's current revision a finished document, as a completed rendering would."""
    docx, pdf = sample_documents()
    return MouDocument.objects.create(
        mou=mou,
        mou_revision=mou.revision,
        template_version=mou.template.latest_version(),
        status=RenderStatus.READY,
        docx=docx,
        pdf=pdf,
        pdf_sha256=sha256_hex(pdf),
    )


requires_libreoffice = pytest.mark.skipif(
    shutil.which(os.environ.get("SOFFICE_PATH") or "soffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


def _poppler(tool: str, pdf: bytes, *arguments: str) -> str:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(pdf)
        command = [tool, *arguments, str(path)]
        if tool == "pdftotext":
            command.append("-")
        return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def pdf_layout_text(pdf: bytes) -> str:
    """The text as `pdftotext -layout` lays it out: columns side by side, as on the page."""
    return _poppler("pdftotext", pdf, "-layout", "-enc", "UTF-8")


def pdf_fonts(pdf: bytes) -> list[tuple[str, str]]:
    """(font name, embedded "yes"/"no") for each row of `pdffonts`."""
    rows = _poppler("pdffonts", pdf).splitlines()[2:]
    fonts = []
    for row in rows:
        # name type encoding emb sub uni object-id: the name has no spaces, the type may.
        match = re.match(r"(\S+)\s.*?\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row)
        assert match, f"unexpected pdffonts row: {row!r}"
        fonts.append((match.group(1), match.group(2)))
    return fonts


def pdf_words(pdf: bytes, page_index: int) -> list[tuple[str, float, float, float, float]]:
    """(word, x1, y1, x2, y2) on one page, in PDF points with the origin at the bottom left
    (as signature field rectangles are given)."""
    page = str(page_index + 1)
    html = _poppler("pdftotext", pdf, "-bbox", "-f", page, "-l", page, "-enc", "UTF-8")
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    words = []
    for x1, y1, x2, y2, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html,
    ):
        words.append((word, float(x1), height - float(y2), float(x2), height - float(y1)))
    return words


def text_box(pdf: bytes, page_index: int, text: str) -> tuple[float, float, float, float]:
    """The box around the last occurrence of `text` (words in sequence) on the page."""
    wanted = text.split()
    words = pdf_words(pdf, page_index)
    for start in range(len(words) - len(wanted), -1, -1):
        run = words[start : start + len(wanted)]
        if [word for word, *_box in run] == wanted:
            return (
                min(box[1] for box in run),
                min(box[2] for box in run),
                max(box[3] for box in run),
                max(box[4] for box in run),
            )
    raise AssertionError(f"{text!r} is not on page {page_index + 1}")


def stamp_text(pdf: bytes, field: str) -> str:
    """The text pdftotext reads inside a signature field's rectangle (its stamp and nothing
    else but the template's invisible anchor under it)."""
    from partnerships.documents.engine.fields import find_signature_fields

    page_index, (x1, y1, x2, y2) = find_signature_fields(pdf)[field]
    height = float(PdfReader(io.BytesIO(pdf)).pages[page_index].mediabox.height)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "signed.pdf"
        path.write_bytes(pdf)
        page = str(page_index + 1)
        return subprocess.run(
            ["pdftotext", "-f", page, "-l", page, "-enc", "UTF-8",
             "-x", str(int(x1)), "-y", str(int(height - y2)),
             "-W", str(int(x2 - x1) + 1), "-H", str(int(y2 - y1) + 1), str(path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip


def fake_soffice(directory: Path, body: str) -> str:
    """A stand-in for soffice (a shell script) that misbehaves as `body` says; $OUTDIR is
    where the real one would write its PDF."""
    script = directory / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'OUTDIR=""; while [ $# -gt 0 ]; do [ "$1" = --outdir ] && OUTDIR="$2"; shift; done\n'
        f"{body}\n"
    )
    script.chmod(0o755)
    return str(script)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


TEMPLATE_DIR = Path(settings.BASE_DIR) / "mou_templates"


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def built_in_template(key: str = "bgn_vi") -> bytes:
    return (TEMPLATE_DIR / f"{key}.docx").read_bytes()


def template_with_paragraph(text: str, key: str = "bgn_vi") -> bytes:
    """A built-in template with one more paragraph at the end of its body: apart from what
    that paragraph says, a real, valid template."""
    document = Document(io.BytesIO(built_in_template(key)))
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def a_png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def _ole_file(*streams: str) -> bytes:
    """The outline of an OLE compound file: its signature, a header, and a directory sector
    naming the streams (128-byte entries, names in UTF-16LE)."""
    directory = b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in streams)
    return OLE_MAGIC + bytes(504) + directory.ljust(512, b"\0")


def an_encrypted_docx() -> bytes:
    # Word saves a password-protected .docx as an OLE file with these streams.
    return _ole_file("Root Entry", "EncryptionInfo", "EncryptedPackage")


def a_legacy_doc() -> bytes:
    # A Word 97-2003 .doc: an OLE file too, without encryption.
    return _ole_file("Root Entry", "WordDocument", "1Table")


def a_truncated_docx() -> bytes:
    data = built_in_template()
    return data[: len(data) // 2]


def a_docx_with_a_damaged_part() -> bytes:
    """Complete zip structure, but word/document.xml's compressed bytes are corrupted."""
    data = bytearray(built_in_template())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 100] ^= 0xFF
    return bytes(data)


def a_zip_that_is_not_a_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "Bản ghi nhớ")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()
