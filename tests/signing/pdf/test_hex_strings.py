"""Hex strings read in bulk (hex_strings.py) give what pyHanko's own reader gives: the same
object, the stream left at the same place, the same error."""

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError

from partnerships.signing.pdf import hex_strings


def _both(data: bytes):
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    return (
        (hex_strings.read_hex_string(ours), ours.tell()),
        (hex_strings._pyhanko_reader(theirs), theirs.tell()),
    )


@pytest.mark.parametrize(
    "data",
    [
        b"<48656C6C6F> rest",
        b"<48 65\n6c\r\n6C\t6F\x00\x0c> rest",
        b"<4865a>",  # odd: the last digit is followed by 0
        b"<>",
        b"<FEFF00560069EC007400> ",  # UTF-16: a text string
        b"<" + b"3082" * 40_000 + b">trailing",  # longer than one chunk
        b"<48 % a comment > with a bracket\n65>",
    ],
)
def test_same_object_and_position_as_pyhanko(data):
    (ours, our_end), (theirs, their_end) = _both(data)

    assert type(ours) is type(theirs)
    assert ours == theirs
    assert our_end == their_end


@pytest.mark.parametrize("data", [b"<48656G>", b"<4865", b"<48 65 6"])
def test_same_error_as_pyhanko(data):
    with pytest.raises(PdfReadError) as ours:
        hex_strings.read_hex_string(io.BytesIO(data))
    with pytest.raises(PdfReadError) as theirs:
        hex_strings._pyhanko_reader(io.BytesIO(data))

    assert str(ours.value) == str(theirs.value)


def test_pyhanko_reads_with_it_once_installed():
    assert generic.read_hex_string_from_stream is hex_strings.read_hex_string
    assert generic.read_object(io.BytesIO(b"<414243>"), None) == "ABC"
