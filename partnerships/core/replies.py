"""Reading what a sandboxed child sends back, as plain data only.

A child parses hostile files (PDFs drawn by PDFium, DOCX templates). Should one of them take
the child over, its reply is the way back into the web worker, which holds the database and
the keys. A pickle can name any importable callable and have the reader call it, so the
parent's reader accepts only the kinds of object honest replies are made of:

- plain values and containers, dates and times;
- the project's own data: dataclasses, enumerations and RegistryErrors (whose constructors
  only store what they are given), from modules already loaded;
- asn1crypto values (certificates, CRLs in verdicts): parsed from bytes, never executed.

Anything else (a function, os.system, a class with side effects) refuses the whole reply.
"""

import builtins
import collections
import copyreg
import dataclasses
import datetime
import decimal
import enum
import io
import pickle
import sys

from asn1crypto import core as asn1_core
from asn1crypto.core import Asn1Value
from django.utils import functional, translation

from partnerships.core.errors import RegistryError

_PLAIN = {
    getattr(builtins, name)
    for name in (
        "object",
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "bytearray",
        "list",
        "tuple",
        "dict",
        "set",
        "frozenset",
        "slice",
        "range",
    )
} | {
    datetime.date,
    datetime.datetime,
    datetime.time,
    datetime.timedelta,
    datetime.timezone,
    decimal.Decimal,
    collections.OrderedDict,
}
# The only functions a reply may have called, each harmless whatever its arguments.
_FUNCTIONS = {
    # Rebuilds an object as `base.__new__(cls)`; both classes are read, and checked, here too.
    ("copyreg", "_reconstructor"): copyreg._reconstructor,
    # A lazily translated message (a problem's text): `function(*args)` when it is shown,
    # where the function is itself one of these.
    ("django.utils.functional", "_lazy_proxy_unpickle"): functional._lazy_proxy_unpickle,
    ("django.utils.translation", "gettext"): translation.gettext,
    ("django.utils.translation", "ngettext"): translation.ngettext,
    ("django.utils.translation", "pgettext"): translation.pgettext,
    ("django.utils.translation", "npgettext"): translation.npgettext,
}
_OWN_MODULES = ("partnerships.",)
_DATA_MODULES = ("asn1crypto.",)


class UnsafeReply(Exception):
    """The reply names something that is not plain data."""


def load_reply(data: bytes):
    """The object a child pickled into `data`, if it is made of plain data only."""
    try:
        return _PlainDataUnpickler(io.BytesIO(data)).load()
    except UnsafeReply:
        raise
    except Exception as exc:  # truncated, malformed: no honest child sends that either
        raise UnsafeReply(type(exc).__name__) from exc


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module_name: str, name: str):
        if (module_name, name) in _FUNCTIONS:
            return _FUNCTIONS[module_name, name]
        module = sys.modules.get(module_name)  # never import: an import runs code
        if module is None or any(part.startswith("_") for part in name.split(".")):
            raise UnsafeReply(f"{module_name}.{name}")
        found = module
        for part in name.split("."):
            found = getattr(found, part, None)
        if _allowed(found, module_name):
            if isinstance(found, type) and issubclass(found, Asn1Value):
                _set_up(found)
            return found
        raise UnsafeReply(f"{module_name}.{name}")


def _allowed(found, module_name: str) -> bool:
    if not isinstance(found, type):
        return False
    if found in _PLAIN:
        return True
    if module_name.startswith(_OWN_MODULES):
        return (
            dataclasses.is_dataclass(found)
            or issubclass(found, enum.Enum)
            or issubclass(found, RegistryError)
        )
    if module_name.startswith(_DATA_MODULES):
        return issubclass(found, Asn1Value)
    return False


def _set_up(asn1_class: type) -> None:
    """asn1crypto prepares a class's field specs when its first instance is made. Unpickling
    makes none, so a value built in the child, of a class this process never made, would
    fail when read: make one, empty, here."""
    if asn1_class not in asn1_core._SETUP_CLASSES:
        asn1_class()
