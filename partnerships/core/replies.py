"""What a sandboxed child sends back: tagged JSON, rebuilt by the parent as plain data only.

A child parses hostile files (PDFs drawn by PDFium, DOCX templates). Should one of them take
the child over, its reply is the way back into the web worker, which holds the database and
the keys. A pickle names the callables its reader must call, and even a reader that allows
only "harmless" classes lets a reply rewrite those classes (pickle's BUILD sets attributes
on whatever it is given, a class included) or run an allowed callable on huge numbers. So
replies are JSON, which calls nothing, and this module rebuilds from it only:

- plain values, lists, tuples, dicts, sets, bytes, dates and times, bounded decimals;
- dataclasses (by their constructor, with such values), enumeration members (looked up by
  value) and RegistryErrors (from their message alone, no constructor and no other state),
  each of a class the caller named in `classes`: a constructor may do real work (an
  AuthorityRule compiles the pattern it is given), so a reply may build only what its
  caller expects back;
- asn1crypto values (certificates and CRLs in verdicts), parsed from their DER bytes;
- messages translated lazily by gettext or pgettext, with their text as arguments.

A class is named by module and name and found without walking attributes: the module must
be loaded already (nothing is imported), the class must be defined there and, but for
asn1crypto's, be one of the caller's `classes`. Anything else
(a function, another kind of object, a malformed reply) refuses the whole reply.
"""

import base64
import dataclasses
import datetime
import decimal
import enum
import json
import sys
from collections.abc import Iterable

from asn1crypto.core import Asn1Value
from django.utils import translation
from django.utils.functional import Promise

from partnerships.core.errors import RegistryError


class UnsafeReply(Exception):
    """The reply is not made of the plain data honest children send."""


class UnsendableValue(TypeError):
    """A child's value that has no place in a reply (a programming error in the caller)."""


TAG = "$"
# A decimal in a verdict is a small amount; a longer text, or a huge exponent, is refused
# (int(Decimal("1e1000000")) alone takes a core for half a minute).
MAX_DECIMAL_TEXT = 64
MAX_DECIMAL_EXPONENT = 64
_LAZY_FUNCTIONS = {"gettext": translation.gettext_lazy, "pgettext": translation.pgettext_lazy}
_LAZY_ARGUMENTS = {"gettext": 1, "pgettext": 2}
# Containers a reply may hold, counted from its brackets before it is parsed: a 16 MB reply
# of empty lists took 780 MB of the worker's memory. Honest replies hold a few thousand.
MAX_CONTAINERS = 500_000
# Items (counted from the commas): a 16 MB reply of small numbers took 200 MB to parse.
MAX_ITEMS = 1_000_000
# Dict keys and set members: values whose hashes a reply cannot make collide (an int's hash
# is itself modulo 2**61 - 1, so big ints could all share one and make a set quadratic).
MAX_KEY_INT = 2**31
_OWN_MODULES = ("partnerships.",)
_DATA_MODULES = ("asn1crypto.",)


# --- In the child: a value to JSON -----------------------------------------------------------


def dumps(value) -> bytes:
    """The reply's bytes; UnsendableValue for a value replies cannot carry."""
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")).encode()


def _tagged(kind: str, value) -> dict:
    return {TAG: kind, "v": value}


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _plain(value):
    if value is None or isinstance(value, bool) or type(value) in (int, float, str):
        return value
    if isinstance(value, enum.Enum):  # before str: TextChoices members are strings too
        return {TAG: "enum", "c": _class_name(type(value)), "v": _plain(value.value)}
    if isinstance(value, Promise):
        return _lazy(value)
    if type(value) is list:
        return [_plain(item) for item in value]
    if type(value) is tuple:
        return _tagged("tuple", [_plain(item) for item in value])
    if type(value) is dict:
        return _tagged("dict", [[_plain(key), _plain(item)] for key, item in value.items()])
    if type(value) in (set, frozenset):
        return _tagged(type(value).__name__, [_plain(item) for item in value])
    if type(value) in (bytes, bytearray):
        return _tagged("bytes", base64.b64encode(value).decode("ascii"))
    if type(value) is datetime.datetime:
        return _tagged("datetime", value.isoformat())
    if type(value) is datetime.date:
        return _tagged("date", value.isoformat())
    if type(value) is datetime.timedelta:
        return _tagged("timedelta", [value.days, value.seconds, value.microseconds])
    if type(value) is decimal.Decimal:
        return _tagged("decimal", str(value))
    if isinstance(value, Asn1Value):
        return {TAG: "asn1", "c": _class_name(type(value)), "v": _plain(value.dump())}
    if isinstance(value, RegistryError):
        return {TAG: "error", "c": _class_name(type(value)), "m": _plain(value.message)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: _plain(getattr(value, field.name)) for field in _init_fields(value)}
        return {TAG: "dataclass", "c": _class_name(type(value)), "v": fields}
    raise UnsendableValue(f"a reply cannot carry {type(value).__module__}.{type(value).__name__}")


def _lazy(value: Promise):
    """A gettext or pgettext message stays lazy (translated where it is shown); any other
    lazy text is sent as the child's text."""
    reduced = value.__reduce__()
    arguments = reduced[1] if len(reduced) > 1 else ()
    if len(arguments) >= 3:
        function, args, keywords = arguments[:3]
        name = getattr(function, "__name__", "")
        if (
            name in _LAZY_FUNCTIONS
            and getattr(translation, name, None) is function
            and not keywords
            and all(type(arg) is str for arg in args)
        ):
            return {TAG: "lazy", "f": name, "a": list(args)}
    return str(value)


def _init_fields(value_or_class) -> list:
    return [field for field in dataclasses.fields(value_or_class) if field.init]


# --- In the parent: JSON to values -----------------------------------------------------------


def loads(data: bytes, classes: Iterable[type] = ()):
    """The value a child sent in `data`, its dataclasses, enumerations and errors only of
    `classes`; UnsafeReply for anything an honest child does not send (other classes,
    unknown tags, malformed JSON, too deep, out of bounds)."""
    try:
        if data.count(b"[") + data.count(b"{") > MAX_CONTAINERS:
            raise UnsafeReply("too many containers")
        if data.count(b",") > MAX_ITEMS:
            raise UnsafeReply("too many items")
        return _Reader(frozenset(classes)).value(json.loads(data))
    except UnsafeReply:
        raise
    except Exception as exc:  # malformed, too deep, a constructor refusing its values
        raise UnsafeReply(type(exc).__name__) from exc


class _Reader:
    """Rebuilds one reply, with the classes its caller allows."""

    def __init__(self, classes: frozenset):
        self.classes = classes

    def allowed(self, name, base: type) -> type:
        cls = _class(name, base, _OWN_MODULES)
        if cls not in self.classes:
            raise UnsafeReply(f"class {name!r} not expected here")
        return cls

    def value(self, item):
        if item is None or type(item) in (bool, int, float, str):
            return item
        if type(item) is list:
            return [self.value(element) for element in item]
        if type(item) is not dict or type(item.get(TAG)) is not str:
            raise UnsafeReply("untagged object")
        kind, raw = item[TAG], item.get("v")
        if kind == "tuple":
            return tuple(self.value(element) for element in _list(raw))
        if kind == "dict":
            pairs = (_pair(pair) for pair in _list(raw))
            return {_key(key): self.value(element) for key, element in pairs}
        if kind in ("set", "frozenset"):
            return (set if kind == "set" else frozenset)(_key(element) for element in _list(raw))
        if kind == "bytes":
            return base64.b64decode(_text(raw), validate=True)
        if kind == "datetime":
            return datetime.datetime.fromisoformat(_text(raw))
        if kind == "date":
            return datetime.date.fromisoformat(_text(raw))
        if kind == "timedelta":
            days, seconds, microseconds = (_integer(part) for part in _list(raw))
            return datetime.timedelta(days=days, seconds=seconds, microseconds=microseconds)
        if kind == "decimal":
            return _decimal(_text(raw))
        if kind == "lazy":
            function = _LAZY_FUNCTIONS.get(item.get("f"))
            args = _list(item.get("a"))
            if (
                function is None
                or len(args) != _LAZY_ARGUMENTS[item["f"]]
                or not all(type(arg) is str for arg in args)
            ):
                raise UnsafeReply("lazy text")
            return function(*args)
        if kind == "enum":
            return self.allowed(item.get("c"), enum.Enum)(self.value(raw))
        if kind == "asn1":
            return _class(item.get("c"), Asn1Value, _DATA_MODULES).load(self.value(raw))
        if kind == "error":
            cls = self.allowed(item.get("c"), RegistryError)
            message = self.value(item.get("m"))
            if type(message) is not str and not isinstance(message, Promise):
                raise UnsafeReply("error message")
            # Not through the class's own constructor, which may take other arguments and do
            # work with them: the message is all the parent shows.
            error = cls.__new__(cls)
            RegistryError.__init__(error, message)
            return error
        if kind == "dataclass":
            cls = self.allowed(item.get("c"), object)
            if not dataclasses.is_dataclass(cls):
                raise UnsafeReply("not a dataclass")
            fields = raw if type(raw) is dict else {}
            known = {field.name for field in _init_fields(cls)}
            if set(fields) != known:
                raise UnsafeReply("dataclass fields")
            return cls(**{name: self.value(element) for name, element in fields.items()})
        raise UnsafeReply(f"unknown tag {kind!r}")


def _class(name, base: type, modules: tuple[str, ...]) -> type:
    """The class `module:Name`, defined in that already loaded module, a subclass of `base`."""
    module_name, _colon, class_name = name.partition(":") if type(name) is str else ("", "", "")
    module = sys.modules.get(module_name)
    if (
        module is None
        or not module_name.startswith(modules)
        or not class_name.isidentifier()
        or class_name.startswith("_")
    ):
        raise UnsafeReply(f"class {name!r}")
    cls = vars(module).get(class_name)
    if not (
        isinstance(cls, type)
        and cls.__module__ == module_name
        and cls.__qualname__ == class_name
        and issubclass(cls, base)
    ):
        raise UnsafeReply(f"class {name!r}")
    return cls


def _key(raw):
    """A dict key or set member: text, a small whole number, True, False or None."""
    if raw is None or type(raw) in (bool, str) or (type(raw) is int and abs(raw) < MAX_KEY_INT):
        return raw
    raise UnsafeReply("dict key or set member")


def _list(raw) -> list:
    if type(raw) is not list:
        raise UnsafeReply("expected a list")
    return raw


def _pair(raw) -> list:
    if type(raw) is not list or len(raw) != 2:
        raise UnsafeReply("expected a pair")
    return raw


def _text(raw) -> str:
    if type(raw) is not str:
        raise UnsafeReply("expected text")
    return raw


def _integer(raw) -> int:
    if type(raw) is not int:
        raise UnsafeReply("expected a whole number")
    return raw


def _decimal(text: str) -> decimal.Decimal:
    if len(text) > MAX_DECIMAL_TEXT:
        raise UnsafeReply("decimal too long")
    number = decimal.Decimal(text)
    if number.is_finite() and abs(number.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise UnsafeReply("decimal out of range")
    return number
