"""Does every reader read an incremental update the same way?

pyHanko and PDFium disagree on malformed files, and each disagreement is a way to show a
reader something other than what the allow-list judged:

- pyHanko reads leniently (the first of two values for one key) where PDFium takes another
  (the last); each object an update writes is read again with pyHanko's strict reader, which
  refuses duplicate keys, orphaned generations and broken cross-reference sections;
- a cross-reference table PDFium cannot parse (an offset `0_00096920` that Python's int()
  accepts) makes PDFium rebuild the table by scanning the file, where an object body no
  section lists wins: an update's table must follow the standard's syntax to the byte
  (ISO 32000-1, 7.5.4), and every object body in the update must be one its own section
  lists, at that offset.

Bytes only; used by the allow-list for each update after the first signature.
"""

import io
import logging
import re

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionType

logger = logging.getLogger(__name__)

_SUBSECTION = re.compile(rb"(\d+) (\d+)[ \t]*(?:\r\n|\r|\n)")
_ENTRY = re.compile(rb"\d{10} \d{5} [nf](?: \r| \n|\r\n)")
_ENTRY_LENGTH = 20
# What may follow the last entry up to where pyHanko's reading of the table ends.
_TABLE_END = re.compile(rb"[ \t\r\n\f\x00]*(?:trailer[ \t\r\n\f\x00]*)?")
# An object's header as a scanning reader finds it: `12 0 obj`, not inside a longer number.
_OBJECT_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj")


class StrictReading:
    """The checks above over the bytes of `reader`'s file; its strict reader opened on first
    use."""

    def __init__(self, reader: PdfFileReader, data: bytes):
        self._reader = reader
        self._data = data
        self._strict: PdfFileReader | None = None
        self._failed = False

    def reads(self, number: int) -> bool:
        """Is update `number` read the same by every reader?"""
        if self._failed:
            return False
        try:
            if self._strict is None:
                self._strict = PdfFileReader(io.BytesIO(self._data))
            resolver = self._strict.get_historical_resolver(number)
            for ref in self._strict.xrefs.explicit_refs_in_revision(number):
                resolver.get_object(ref)
        except Exception:
            logger.info("Update %s cannot be read strictly", number, exc_info=True)
            self._failed = self._strict is None
            return False
        return self._table_well_formed(number) and self._bodies_listed(number)

    def _table_well_formed(self, number: int) -> bool:
        info = self._reader.xrefs.get_xref_container_info(number)
        if info.xref_section_type != XRefSectionType.STANDARD:
            return True  # a stream: binary, read alike
        table = self._data[info.start_location : info.end_location]
        position = 0
        while position < len(table):
            header = _SUBSECTION.match(table, position)
            if header is None:
                break
            position = header.end()
            for _ in range(int(header.group(2))):
                if not _ENTRY.match(table, position, position + _ENTRY_LENGTH):
                    logger.info("Update %s: a malformed cross-reference entry", number)
                    return False
                position += _ENTRY_LENGTH
        return _TABLE_END.fullmatch(table, position) is not None

    def _bodies_listed(self, number: int) -> bool:
        xrefs = self._reader.xrefs
        start = xrefs.get_xref_container_info(number - 1).end_location if number else 0
        info = xrefs.get_xref_container_info(number)
        section = xrefs.get_xref_data(number)
        listed = dict(section.standard_xrefs)
        # The cross-reference streams themselves (a hybrid update's too) need no listing.
        own_streams = {info.stream_ref}
        if section.hybrid is not None:
            listed.update(section.hybrid.xref_data.standard_xrefs)
            own_streams.add(section.hybrid.meta_info.stream_ref)
        unlisted = {(ref.idnum, ref.generation) for ref in own_streams if ref is not None}
        for match in _OBJECT_HEADER.finditer(self._data, start, info.declared_startxref):
            idnum, generation = int(match.group(1)), int(match.group(2))
            if (idnum, generation) in unlisted:
                continue
            if listed.get(idnum) != (generation, match.start()):
                logger.info("Update %s: an object body its section does not list", number)
                return False
        return True
