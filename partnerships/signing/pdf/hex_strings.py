"""A faster reader of PDF hex strings for pyHanko, installed once per process (`install()`,
from the app's ready()).

pyHanko reads a hex string (`<48656C6C6F>`) one byte at a time, through a generator. A
signature's /Contents is one, of 16,000 to 30,000 digits; reading the three of a final MoU was
a fifth of its verification. This reads the same bytes with bytes methods and returns the
same object. Anything unusual (a comment inside the string, a character that is not a hex
digit, the file ending first) goes back to pyHanko's own reader, so errors stay pyHanko's.
"""

import binascii
import os
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]*")
CHUNK = 64 * 1024

_pyhanko_reader = generic.read_hex_string_from_stream


def read_hex_string(stream):
    """The string object at `stream` (positioned on its "<"), the stream left after its ">"."""
    start = stream.tell()
    stream.read(1)  # "<"
    parts = []
    while True:
        chunk = stream.read(CHUNK)
        end = chunk.find(b">")
        piece = chunk if end < 0 else chunk[:end]
        if not chunk or b"%" in piece:  # the end of the file, or a comment: pyHanko's case
            stream.seek(start)
            return _pyhanko_reader(stream)
        parts.append(piece)
        if end >= 0:
            stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
            break
    digits = b"".join(parts).translate(None, PDF_WHITESPACE)
    if not _HEX_DIGITS.fullmatch(digits):
        stream.seek(start)
        return _pyhanko_reader(stream)  # raises pyHanko's own error
    if len(digits) % 2:
        digits += b"0"  # an odd last digit is followed by 0 (ISO 32000-1, 7.3.4.3)
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    """pyHanko's object reader uses this one from now on (in this process)."""
    generic.read_hex_string_from_stream = read_hex_string
