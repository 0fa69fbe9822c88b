"""Cheap structural checks on an untrusted PDF, before any parser reads it.

A PDF can declare far more than it holds: a compressed cross-reference stream of 204 KB that
declares 40 million entries (and unpacks to hundreds of megabytes) made pyHanko take 800 MB
and spin. A document of the registry has a few thousand objects; the declarations are read
here with a regular expression over the raw bytes, without parsing anything.
"""

import re

from django.utils.translation import gettext_lazy as _

from partnerships.signing.pdf.verify import Problem

TOO_COMPLEX = "too_complex"
TOO_COMPLEX_PROBLEM = Problem(
    TOO_COMPLEX, _("The PDF is too large or too complex to be checked here.")
)

# Objects a document may declare (/Size, /Index of cross-reference streams).
MAX_OBJECTS = 500_000
# Bytes per field of a cross-reference stream entry (/W): 1, 2, 3 or 4 in practice.
MAX_FIELD_WIDTH = 8

_SIZE = re.compile(rb"/Size\s+(\d{1,20})")
_INDEX = re.compile(rb"/Index\s*\[([\d\s]{0,2000})\]")
_WIDTHS = re.compile(rb"/W\s*\[\s*(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s*\]")


def structural_problem(pdf: bytes) -> Problem | None:
    """TOO_COMPLEX_PROBLEM when the file declares more than a real document would."""
    for found in _SIZE.finditer(pdf):
        if int(found.group(1)) > MAX_OBJECTS:
            return TOO_COMPLEX_PROBLEM
    for found in _INDEX.finditer(pdf):
        numbers = [int(n) for n in found.group(1).split()]
        if sum(numbers[1::2]) > MAX_OBJECTS:
            return TOO_COMPLEX_PROBLEM
    for found in _WIDTHS.finditer(pdf):
        if any(int(width) > MAX_FIELD_WIDTH for width in found.groups()):
            return TOO_COMPLEX_PROBLEM
    return None
