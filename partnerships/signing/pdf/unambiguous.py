"""Does every reader read an incremental update the same way?

pyHanko and PDFium disagree on malformed files, and each disagreement is a way to show a
reader something other than what the allow-list judged:

- pyHanko reads leniently (the first of two values for one key) where PDFium takes another
  (the last); each object an update writes is read again with pyHanko's strict reader, which
  refuses duplicate keys, orphaned generations and broken cross-reference sections;
- a cross-reference table or a startxref PDFium cannot parse (an offset `0_00096920` that
  Python's int() accepts) makes PDFium rebuild the table by scanning the file, where an
  object body no section lists wins, whatever odd header it has (`12 0 %x\nobj`). So an
  update is laid out plainly, byte for byte: the bodies its own section lists, each parsed
  to its `endobj`, with only whitespace between them; then its table, in the standard's
  syntax to the byte (ISO 32000-1, 7.5.4), or its cross-reference stream; its trailer;
  `startxref` with the plain digits of that section's offset; `%%EOF`; and after the last
  update, at most a little whitespace (PDFium looks for `startxref` in the last 4096 bytes
  and rebuilds without it). Comment lines may sit between bodies. Each object stream holds
  only objects its section lists there (a rebuild takes all it finds). Hybrid-reference
  updates are refused.

Bytes only; used by the allow-list for each update after the first signature.
"""

import io
import logging
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionType, read_object_header

logger = logging.getLogger(__name__)

_SUBSECTION = re.compile(rb"(\d+) (\d+)[ \t]*(?:\r\n|\r|\n)")
_ENTRY = re.compile(rb"\d{10} \d{5} [nf](?: \r| \n|\r\n)")
_ENTRY_LENGTH = 20
# What may follow the last entry up to where pyHanko's reading of the table ends.
_TABLE_END = re.compile(rb"[ \t\r\n\f\x00]*(?:trailer[ \t\r\n\f\x00]*)?")
_WHITESPACE = rb"[ \t\r\n\f\x00]"
_BLANK = re.compile(_WHITESPACE + rb"*")
# Between bodies: whitespace and whole comment lines (a scanning reader skips both).
_GAP = re.compile(rb"(?:" + _WHITESPACE + rb"|%[^\r\n]*(?:\r\n|\r|\n))*")
# After the last %%EOF: a little whitespace. PDFium looks for `startxref` in the last 4096
# bytes only and rebuilds the table when it is not there; pyHanko looks at the last 1024.
_TAIL = re.compile(_WHITESPACE + rb"{0,512}")
_TRAILER_KEYWORD = re.compile(_WHITESPACE + rb"*(?:trailer" + _WHITESPACE + rb"*)?")
_END_OF_UPDATE = re.compile(
    _WHITESPACE + rb"*startxref" + _WHITESPACE + rb"+([0-9]+)" + _WHITESPACE + rb"*%%EOF"
)
_ENDOBJ = re.compile(_WHITESPACE + rb"*endobj")


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
        return self._table_well_formed(number) and self._laid_out_plainly(number)

    def _table_well_formed(self, number: int) -> bool:
        info = self._reader.xrefs.get_xref_container_info(number)
        if info.xref_section_type != XRefSectionType.STANDARD:
            return True  # a stream: binary, read alike
        table = self._data[info.start_location : info.end_location]
        # pyHanko's table starts one byte after `xref`: the \n of a \r\n is still there.
        position = _BLANK.match(table).end()
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

    def _laid_out_plainly(self, number: int) -> bool:
        xrefs = self._reader.xrefs
        section = xrefs.get_xref_data(number)
        if section.hybrid is not None:
            logger.info("Update %s: a hybrid-reference update", number)
            return False
        position = self._end_of_update(number - 1)
        info = xrefs.get_xref_container_info(number)
        bodies = sorted(
            (offset, idnum, generation)
            for idnum, (generation, offset) in section.standard_xrefs.items()
            if position is not None and position <= offset < info.declared_startxref
        )
        if info.stream_ref is not None:  # the cross-reference stream: a body of its own
            bodies.append((info.declared_startxref, info.stream_ref.idnum, -1))
        for offset, idnum, generation in bodies:
            if position is None or not _GAP.fullmatch(self._data, position, offset):
                logger.info("Update %s: something besides its listed objects", number)
                return False
            position = self._end_of_body(offset, idnum, generation)
        if info.stream_ref is None:
            # Between the last body and the table: the `xref` keyword only.
            gap = self._data[position : info.start_location] if position is not None else b""
            if position is None or gap.strip(b" \t\r\n\f\x00") != b"xref":
                logger.info("Update %s: something before its cross-reference table", number)
                return False
        end = self._end_of_update(number)
        if end is None:
            return False
        if number == xrefs.total_revisions - 1 and not _TAIL.fullmatch(self._data, end):
            logger.info("Update %s: something after the last %%%%EOF", number)
            return False
        return self._object_streams_listed(number)

    def _object_streams_listed(self, number: int) -> bool:
        """Every object in each object stream the update writes is one its section lists
        there, at that index: a reader that rebuilds the table takes every object it finds in
        an object stream."""
        section = self._reader.xrefs.get_xref_data(number)
        listed = {
            (ref.obj_stream_id, ref.ix_in_stream): idnum
            for idnum, ref in section.xrefs_in_objstm.items()
        }
        for stream_id in {stream for stream, _index in listed} | set(section.obj_streams_used):
            try:
                stream = self._strict.get_historical_resolver(number).get_object(
                    generic.Reference(stream_id, 0, self._strict)
                )
                count = int(stream["/N"])
                numbers = [int(n) for n in stream.data[: int(stream["/First"])].split()]
            except Exception:
                logger.info("Update %s: an unreadable object stream", number, exc_info=True)
                return False
            if len(numbers) != 2 * count:
                return False
            for index in range(count):
                if listed.get((stream_id, index)) != numbers[2 * index]:
                    logger.info("Update %s: an object stream holds an unlisted object", number)
                    return False
        return True

    def _end_of_update(self, number: int) -> int | None:
        """Where update `number` ends (after its %%EOF), if its trailer and startxref are
        plain; None otherwise."""
        info = self._reader.xrefs.get_xref_container_info(number)
        try:
            if info.stream_ref is None:
                position = _TRAILER_KEYWORD.match(self._data, info.end_location).end()
                stream = io.BytesIO(self._data)
                stream.seek(position)
                trailer = generic.read_object(stream, generic.TrailerReference(self._strict))
                if not isinstance(trailer, generic.DictionaryObject):
                    return None
                position = stream.tell()
            else:
                position = self._end_of_body(info.declared_startxref, info.stream_ref.idnum, -1)
                if position is None:
                    return None
        except Exception:
            logger.info("Update %s: an unreadable trailer", number, exc_info=True)
            return None
        end = _END_OF_UPDATE.match(self._data, position)
        if end is None or int(end.group(1)) != info.declared_startxref:
            logger.info("Update %s: its startxref is not plain", number)
            return None
        return end.end()

    def _end_of_body(self, offset: int, idnum: int, generation: int) -> int | None:
        """Where the object at `offset` ends (after `endobj`), read as pyHanko reads it, if
        its header is `idnum generation` (any generation for -1); None otherwise."""
        stream = io.BytesIO(self._data)
        stream.seek(offset)
        try:
            found = read_object_header(stream, strict=True)
            if found[0] != idnum or (generation >= 0 and found[1] != generation):
                return None
            generic.read_object(stream, generic.Reference(found[0], found[1], self._strict))
        except Exception:
            logger.info("An unreadable object at %s", offset, exc_info=True)
            return None
        end = _ENDOBJ.match(self._data, stream.tell())
        return end.end() if end is not None else None
