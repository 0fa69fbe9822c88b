"""The signatures embedded in a PDF, each read on its own: one that cannot be parsed (a missing
or malformed /ByteRange or /Contents) does not hide the others."""

import logging
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

logger = logging.getLogger(__name__)

MAX_SIGNATURES = 100


@dataclass(frozen=True)
class UnparsedSignature:
    """A filled signature field whose value pyHanko cannot read as a signature."""

    field_name: str
    sig_object_type: str
    signed_revision: int | None


# Each reader's signatures are read once and kept on the reader (they refer to it, so a
# weak mapping would keep it alive): reading one parses its CMS, and a verification asks for
# them several times (the verdict, the allow-list, the pages).
_READ = "_partnerships_embedded_signatures"


def embedded_signatures(
    reader: PdfFileReader,
) -> tuple[list[EmbeddedPdfSignature], list[UnparsedSignature]]:
    """(the readable signatures in signing order, the unreadable ones); new lists each time,
    of the same signature objects for the same reader."""
    if not hasattr(reader, _READ):
        setattr(reader, _READ, _read_signatures(reader))
    readable, unparsed = getattr(reader, _READ)
    return list(readable), list(unparsed)


def _read_signatures(reader: PdfFileReader) -> tuple[list, list]:
    readable, unparsed = [], []
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=True):
        if len(readable) + len(unparsed) >= MAX_SIGNATURES:
            break
        try:
            readable.append(EmbeddedPdfSignature(reader, field_ref.get_object(), name))
        except Exception:
            logger.info("Signature %s cannot be parsed", name, exc_info=True)
            unparsed.append(_unparsed(reader, name, value))
    readable.sort(key=lambda e: e.signed_revision)
    return readable, unparsed


def _unparsed(reader: PdfFileReader, name: str, value) -> UnparsedSignature:
    kind, revision = "/Sig", None
    try:
        kind = str(value.get_object().get("/Type", "/Sig"))
        revision = reader.xrefs.get_last_change(value.reference)
    except Exception:
        logger.info("Signature value of %s cannot be read", name, exc_info=True)
    return UnparsedSignature(field_name=name, sig_object_type=kind, signed_revision=revision)
