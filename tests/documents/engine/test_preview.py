"""A PDF's pages as images for the signer's page, and where the business signs on them."""

import struct
import subprocess
import sys
import zlib

import pytest
from django.conf import settings

from partnerships.documents.engine import preview
from partnerships.documents.engine.fields import BUSINESS_FIELD
from partnerships.signing.pdf import pades
from tests.factories.signing import AUTHORITY


def png_size_and_pixels(png: bytes) -> tuple[int, int, bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, zlib.decompress(data)


def test_each_page_is_an_image_as_wide_as_asked(signable_pdf):
    layout = preview.layout(signable_pdf)
    assert layout.page_count >= 1

    width, height, pixels = png_size_and_pixels(preview.page_png(signable_pdf, 0, width_px=600))

    page_width, page_height = layout.page_sizes[0]
    assert width == 600
    assert abs(height - round(600 * page_height / page_width)) <= 1
    assert len(pixels) == height * (1 + width * 3)
    assert set(pixels[1 : 1 + width * 3]) != {0}  # not a black page


def test_the_business_signature_box_is_found_on_its_page(signable_pdf):
    box = preview.field_box(signable_pdf, BUSINESS_FIELD)
    layout = preview.layout(signable_pdf)

    assert box is not None
    page_width, page_height = layout.page_sizes[box.page]
    assert box.left >= 0 and box.left + box.width <= page_width
    assert box.top >= 0 and box.top + box.height <= page_height
    assert preview.field_box(signable_pdf, "No_Such_Field") is None


def test_the_authoritys_stamp_shows_on_the_page_image(signable_pdf, signer_for):
    certified = pades.certify_as_authority(signable_pdf, signer_for("authority"), **AUTHORITY)
    page = preview.field_box(signable_pdf, BUSINESS_FIELD).page

    before = preview.page_png(signable_pdf, page, width_px=400)
    after = preview.page_png(certified, page, width_px=400)

    assert before != after


def test_a_damaged_pdf_is_a_clear_error():
    with pytest.raises(preview.PreviewError):
        preview.layout(b"%PDF-1.7 not really")
    with pytest.raises(preview.PreviewError):
        preview.page_png(b"garbage", 0)


THREADED_RENDERING = """
import sys, threading
from partnerships.documents.engine import preview

pdf = open(sys.argv[1], "rb").read()
failures = []

def draw():
    try:
        for _ in range(30):
            preview.layout(pdf)
            preview.page_png(pdf, 0, width_px=400)
    except Exception as error:  # a Python error is a failure too, not only a crash
        failures.append(repr(error))

threads = [threading.Thread(target=draw) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
sys.exit(1 if failures else 0)
"""


def test_pages_drawn_in_several_threads_at_once_do_not_crash_the_server(signable_pdf, tmp_path):
    """PDFium is not thread-safe, and the web server answers requests in threads: a page image
    drawn while a signature was being checked once killed the whole process (a segmentation
    fault). Run in a child process, so a crash fails this test instead of the test run."""
    pdf_path = tmp_path / "mou.pdf"
    pdf_path.write_bytes(signable_pdf)
    result = subprocess.run(
        [sys.executable, "-c", THREADED_RENDERING, str(pdf_path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
