"""Our own allow-list of what may follow each signature, on top of pyHanko's difference analysis.

pyHanko judges changes by broad levels (form filling, annotations…) and treats a field whose
/Rect it cannot read as invisible: an update that adds a "timestamp" field whose /Rect is an
indirect reference, with an appearance already in the file (a white box, a stamp), passed as
an archive timestamp while it painted over the text. Objects planted unreferenced in a signed
revision (a shadow attack) are ignored by it until a later update reveals them.

Here every object written by each incremental update after the authority's certification is
compared with its previous version and must have one of a few known roles:

- the business's signature: its prepared field receives /V and /AP, and the new signature
  dictionary and appearance objects hang from them;
- validation data: the catalogue's /DSS (and /Extensions) and the DSS's own dictionaries,
  arrays and streams;
- an invisible document timestamp: a new signature field with a plain zero-area /Rect and no
  appearance, appended to the form's /Fields and to its page's /Annots;
- bookkeeping that shows nothing: the modification date in /Info and the XMP metadata.

Anything else is a modification with its own reason code. Bytes only: no Django models.
"""

import dataclasses
import hashlib
import io
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from partnerships.signing.pdf.problems import Problem
from partnerships.signing.pdf.unambiguous import StrictReading

logger = logging.getLogger(__name__)

# --- Reasons --------------------------------------------------------------------------------

OBJECT_CHANGED = "object_changed"
NEW_ANNOTATION = "new_annotation"
NEW_FIELD = "new_field"
NEW_SIGNATURE_FIELD = "new_signature_field"
OVERLAY_FIELD = "overlay_field"
UNREFERENCED_OBJECTS = "unreferenced_objects"
INFO_CHANGED = "info_changed"
METADATA_CHANGED = "metadata_changed"
VERSION_CHANGED = "version_changed"
MARK_INFO_CHANGED = "mark_info_changed"
NEED_APPEARANCES = "need_appearances"
CATALOGUE_CHANGED = "catalogue_changed"
FORM_CHANGED = "form_changed"
SIGNATURE_FIELD_CHANGED = "signature_field_changed"
TOO_MANY_OBJECTS = "too_many_objects"

MESSAGES = {
    NEW_ANNOTATION: _(
        "An annotation (a comment, a stamp or a drawing over the page) was added after the "
        "document was signed."
    ),
    NEW_FIELD: _("A form field was added after the document was signed."),
    NEW_SIGNATURE_FIELD: _(
        "A signature field was added after the authority's certification: only the field "
        "prepared for the business may be signed."
    ),
    OVERLAY_FIELD: _(
        "A field was added after the last signature that can show content over the page: "
        "only invisible document timestamps may be added."
    ),
    UNREFERENCED_OBJECTS: _(
        "A signed part of the file holds hidden objects that nothing uses, which a later "
        "update could reveal (a shadow attack)."
    ),
    INFO_CHANGED: _(
        "The document information (its title, author or subject) was changed after the "
        "document was signed."
    ),
    METADATA_CHANGED: _("The document's XMP metadata was changed after the document was signed."),
    VERSION_CHANGED: _("The document's PDF version was changed after the document was signed."),
    MARK_INFO_CHANGED: _(
        "The document's tagging information (MarkInfo) was changed after the document was signed."
    ),
    NEED_APPEARANCES: _(
        "The form was set to redraw its fields (NeedAppearances) after the document was "
        "signed, so a viewer may show something other than what was signed."
    ),
    CATALOGUE_CHANGED: _(
        "The document's catalogue (what opens, which pages, which names) was changed after "
        "the document was signed."
    ),
    FORM_CHANGED: _("The document's form was changed after the document was signed."),
    SIGNATURE_FIELD_CHANGED: _(
        "A signature field was changed besides being signed (its place, its page or an "
        "earlier signature)."
    ),
    OBJECT_CHANGED: _(
        "Part of the document (a page, its content or another object) was changed after it "
        "was signed."
    ),
    TOO_MANY_OBJECTS: _("The changes after the signatures are too many to be checked here."),
}

# The most objects one update may write, and the most the reachability walk visits.
MAX_CHANGED_OBJECTS = 5_000
MAX_WALK = 200_000

# Keys of the catalogue that validation data (PAdES, ISO 32000-2) may add or change.
_CATALOGUE_VALIDATION_KEYS = {"/DSS", "/Extensions"}
_CATALOGUE_REASONS = {
    "/Version": VERSION_CHANGED,
    "/MarkInfo": MARK_INFO_CHANGED,
    "/Metadata": METADATA_CHANGED,
}
# Bookkeeping a signing tool updates and no viewer shows as the document's content.
_INFO_BOOKKEEPING = {"/ModDate", "/Producer"}
_XMP_BOOKKEEPING_NAMES = rb"(?:xmp:(?:ModifyDate|MetadataDate)|pdf:Producer|xmpMM:InstanceID)"
# As an attribute of a tag, with a plain value (no markup in it)…
_XMP_BOOKKEEPING_ATTRIBUTE = re.compile(
    rb"\s" + _XMP_BOOKKEEPING_NAMES + rb"""\s*=\s*(?:"[^"<>&]*"|'[^'<>&]*')"""
)
# …or as an element holding plain text.
_XMP_BOOKKEEPING_ELEMENT = re.compile(rb"<(" + _XMP_BOOKKEEPING_NAMES + rb")\s*>[^<>&]*</\1\s*>")
_XML_TAG = re.compile(rb"<[^<>]*>")
_FIELD_SIGNING_KEYS = {"/V", "/AP", "/AS"}
# Default resources and appearance of the form: used only to draw fields without an
# appearance (NeedAppearances is refused apart).
_FORM_SIGNING_KEYS = {"/DR", "/DA"}
_ANNOTATION_KEYS = {"/Annots"}
_DSS_ARRAYS = ("/Certs", "/OCSPs", "/CRLs")
_VRI_ENTRIES = ("/Cert", "/OCSP", "/CRL", "/TS")


def problem(code: str) -> Problem:
    return Problem(code, MESSAGES[code])


class _TooMany(Exception):
    pass


# --- Comparing objects -----------------------------------------------------------------------


def _serialised(obj) -> bytes:
    out = io.BytesIO()
    if isinstance(obj, generic.StreamObject):
        generic.DictionaryObject(obj).write_to_stream(out, None)
        out.write(b"stream")
        out.write(obj.encoded_data or b"")
    else:
        obj.write_to_stream(out, None)
    return out.getvalue()


def _same(one, other) -> bool:
    if one is None or other is None:
        return one is other
    try:
        return _serialised(one) == _serialised(other)
    except Exception:
        return False


def _raw(dictionary, key):
    try:
        return dictionary.raw_get(key)
    except (KeyError, AttributeError):
        return None


def _changed_keys(old, new) -> set[str]:
    if not isinstance(old, generic.DictionaryObject) or not isinstance(
        new, generic.DictionaryObject
    ):
        return {"*"}
    changed = set()
    for key in set(old) | set(new):
        if key not in old or key not in new or not _same(_raw(old, key), _raw(new, key)):
            changed.add(str(key))
    return changed


def _ref(value) -> generic.Reference | None:
    if isinstance(value, generic.IndirectObject):
        return value.reference
    return None


def _refs_in(array) -> list:
    """The references in an array (direct or not), in order; other items as None."""
    try:
        items = array.get_object() if isinstance(array, generic.IndirectObject) else array
        return [_ref(item) for item in items] if isinstance(items, generic.ArrayObject) else []
    except Exception:
        return []


def _key(ref: generic.Reference) -> tuple[int, int]:
    return (ref.idnum, ref.generation)


def _appended(old_array, new_array) -> list | None:
    """The references appended to `old_array` to make `new_array`, or None if it was changed
    otherwise."""
    old, new = _refs_in(old_array), _refs_in(new_array)
    if len(new) < len(old) or any(
        (a is None) != (b is None) or (a is not None and _key(a) != _key(b))
        for a, b in zip(old, new, strict=False)
    ):
        return None
    if None in new[len(old) :]:
        return None
    return new[len(old) :]


def _xmp_without_bookkeeping(stream) -> bytes | None:
    """The XMP packet without the dates, producer and instance a signing tool updates: only
    inside tags (text that merely looks like an attribute stays), only with plain values."""
    try:
        data = _XMP_BOOKKEEPING_ELEMENT.sub(b"", stream.data)
        return _XML_TAG.sub(lambda tag: _XMP_BOOKKEEPING_ATTRIBUTE.sub(b"", tag.group()), data)
    except Exception:
        return None


# --- One revision ----------------------------------------------------------------------------


@dataclass
class _Revision:
    """An incremental update and what it may do."""

    reader: PdfFileReader
    number: int
    signature: object | None  # the EmbeddedPdfSignature made in this revision, if any
    first_signed: int  # the revision of the authority's certification
    # This revision holds the document's first signature (reviewed for an authority's upload).
    holds_first_signature: bool = False
    # The DSS objects of each revision, shared by the reviews of one document: an update's
    # "before" is the previous update's "after".
    dss_by_revision: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.old = self.reader.get_historical_resolver(self.number - 1)
        self.new = self.reader.get_historical_resolver(self.number)
        self.found: set[str] = set()
        self.signed_field_name: str | None = None  # the prepared field this update signed
        self.allowed_new: set[tuple[int, int]] = set()
        self.new_widgets: set[tuple[int, int]] = set()  # may be appended to /Fields, /Annots

    def existed(self, ref) -> bool:
        return self.reader.xrefs.get_historical_ref(ref, self.number - 1) is not None

    # --- Roles of the objects in the new revision ---

    def _dss_at(self, number: int) -> tuple[set, set]:
        if number not in self.dss_by_revision:
            resolver = self.new if number == self.number else self.old
            self.dss_by_revision[number] = self._dss_objects(resolver)
        return self.dss_by_revision[number]

    def _dss_objects(self, resolver) -> tuple[dict, set]:
        """({container: its role}, for the DSS dictionary, its arrays, the VRI dictionary and
        its entries: what validation data updates rewrite; the data streams they list,
        written once). Only an object of its role's shape counts (_DSS_SHAPES): a stamp or a
        field listed in the DSS is no container, and stays judged as what it is."""
        containers, leaves = {}, set()

        def take(value, role: str, *, leaf_list: bool = False) -> None:
            if _ref(value) and _dss_shaped(value.get_object(), role):
                containers[_key(_ref(value))] = role
            if leaf_list:
                leaves.update(_key(r) for r in _refs_in(value) if _is_stream(resolver, r))

        try:
            dss_value = _raw(resolver.root, "/DSS")
            if dss_value is None:
                return containers, leaves
            take(dss_value, "dss")
            dss = dss_value.get_object()
            for name in _DSS_ARRAYS:
                take(_raw(dss, name), "array", leaf_list=True)
            vri_value = _raw(dss, "/VRI")
            if vri_value is None:
                return containers, leaves
            take(vri_value, "vri")
            vri = vri_value.get_object()
            for entry_name in vri:
                take(_raw(vri, entry_name), "vri_entry")
                entry = _raw(vri, entry_name).get_object()
                for name in _VRI_ENTRIES:
                    value = _raw(entry, name)
                    if isinstance(value, generic.IndirectObject) and name == "/TS":
                        if _is_stream(resolver, value.reference):
                            leaves.add(_key(value.reference))
                    else:
                        take(value, "array", leaf_list=True)
        except Exception:
            logger.info("Unreadable DSS in revision %s", self.number, exc_info=True)
        return containers, leaves - set(containers)

    def review(self) -> set[str]:
        changed = self.reader.xrefs.explicit_refs_in_revision(self.number)
        if len(changed) > MAX_CHANGED_OBJECTS:
            return {TOO_MANY_OBJECTS}
        if self.reader.xrefs.refs_freed_in_revision(self.number):
            self.found.add(OBJECT_CHANGED)
        self._review_trailer()
        new_containers, new_leaves = self._dss_at(self.number)
        old_containers, _old_leaves = self._dss_at(self.number - 1)
        self.allowed_new |= set(new_containers) | new_leaves
        # A DSS container may be rewritten only if validation data made it (an older object
        # listed in the DSS by an earlier update is no container) and it keeps its role.
        rewritable = {
            key
            for key, role in new_containers.items()
            if old_containers.get(key) == role
            and self.reader.xrefs.get_introducing_revision(generic.Reference(*key))
            > self.first_signed
        }
        signed_field = self._review_signature(changed)
        for ref in sorted(changed, key=_key):
            if not self.existed(ref):
                continue
            old_obj, new_obj = self.old.get_object(ref), self.new.get_object(ref)
            if _same(old_obj, new_obj) or _key(ref) in rewritable:
                continue
            self._judge_change(ref, old_obj, new_obj, signed_field)
        added = [ref for ref in changed if not self.existed(ref)]
        if any(ref.generation != 0 for ref in added):
            # A new generation of an object number: readers disagree on which one counts.
            self.found.add(OBJECT_CHANGED)
        self._judge_added(added)
        return self.found

    def _review_trailer(self) -> None:
        old, new = self.old.trailer_view, self.new.trailer_view
        for key in ("/Root", "/Info", "/Encrypt"):
            if not _same(_raw(old, key), _raw(new, key)):
                self.found.add(INFO_CHANGED if key == "/Info" else CATALOGUE_CHANGED)

    def _review_signature(self, changed) -> tuple[int, int] | None:
        """For the revision of a signature or timestamp: its field's role. Returns the
        (existing) field the business signed, if that is what this revision did."""
        if self.signature is None:
            return None
        sig_ref = self.signature.sig_object.container_ref
        self.allowed_new.add(_key(sig_ref))
        field_ref = self.signature.sig_field.container_ref
        if not isinstance(field_ref, generic.Reference):
            self.found.add(SIGNATURE_FIELD_CHANGED)
            return None
        timestamp = self.signature.sig_object_type == "/DocTimeStamp"
        field = self.new.get_object(field_ref)  # as this revision left it
        if self.existed(field_ref):
            if timestamp:  # a timestamp goes in a field of its own
                self.found.add(SIGNATURE_FIELD_CHANGED)
                return None
            old_field = self.old.get_object(field_ref)
            if _raw(old_field, "/V") is not None:
                self.found.add(SIGNATURE_FIELD_CHANGED)
            self._allow_appearance(field)
            self.signed_field_name = str(self.signature.field_name)
            return _key(field_ref)
        if not timestamp:
            self.found.add(NEW_SIGNATURE_FIELD)
        elif not _invisible(field):
            self.found.add(OVERLAY_FIELD)
        # Reported above if it is not allowed: its widget and appearance add nothing more.
        self._allow_appearance(field)
        self.allowed_new.add(_key(field_ref))
        self.new_widgets.add(_key(field_ref))
        return None

    def _allow_appearance(self, field) -> None:
        """The new objects the signed field's appearance uses: its stamp, fonts, images."""
        widgets = [field, *(kid.get_object() for kid in (_raw(field, "/Kids") or []))]
        for widget in widgets:
            appearance = _raw(widget, "/AP")
            if appearance is None:
                continue
            for ref in self.new.collect_dependencies(appearance, since_revision=self.number):
                self.allowed_new.add(_key(ref))

    def _judge_change(self, ref, old_obj, new_obj, signed_field) -> None:
        keys = _changed_keys(old_obj, new_obj)
        root, trailer = self.new.root_ref, self.new.trailer_view
        if _key(ref) == _key(root):
            return self._judge_catalogue(old_obj, new_obj, keys)
        if _ref(_raw(trailer, "/Info")) and _key(ref) == _key(_ref(_raw(trailer, "/Info"))):
            if keys - _INFO_BOOKKEEPING:
                self.found.add(INFO_CHANGED)
            return None
        metadata = {_ref(_raw(resolver.root, "/Metadata")) for resolver in (self.old, self.new)}
        if _key(ref) in {_key(r) for r in metadata if r is not None}:
            before, after = _xmp_without_bookkeeping(old_obj), _xmp_without_bookkeeping(new_obj)
            if before is None or before != after:
                self.found.add(METADATA_CHANGED)
            return None
        form_value = _raw(self.new.root, "/AcroForm")
        if _ref(form_value) and _key(ref) == _key(_ref(form_value)):
            if signed_field is not None:  # signing tools set the form's default resources
                keys -= _FORM_SIGNING_KEYS
            return self._judge_form(old_obj, new_obj, keys)
        if _is_fields_array(self.new, ref):
            return self._judge_appended(old_obj, new_obj, NEW_FIELD)
        if signed_field is not None and _key(ref) == signed_field:
            if keys - _FIELD_SIGNING_KEYS:
                self.found.add(SIGNATURE_FIELD_CHANGED)
            return None
        if isinstance(new_obj, generic.DictionaryObject) and _raw(new_obj, "/Type") == "/Page":
            if keys - _ANNOTATION_KEYS:
                self.found.add(OBJECT_CHANGED)
            else:
                self._judge_appended(_raw(old_obj, "/Annots"), _raw(new_obj, "/Annots"))
            return None
        if isinstance(new_obj, generic.ArrayObject) and _is_annots_array(self.new, ref):
            return self._judge_appended(old_obj, new_obj)
        if _raw(old_obj, "/FT") is not None:
            self.found.add(
                SIGNATURE_FIELD_CHANGED if _raw(old_obj, "/FT") == "/Sig" else FORM_CHANGED
            )
            return None
        self.found.add(OBJECT_CHANGED)
        return None

    def _judge_catalogue(self, old_obj, new_obj, keys) -> None:
        if "/Perms" in keys and self._certifies_itself(old_obj, new_obj):
            keys = keys - {"/Perms"}
        for key in keys - _CATALOGUE_VALIDATION_KEYS:
            if key == "/AcroForm" and not _ref(_raw(new_obj, "/AcroForm")):
                self._judge_form(
                    _raw(old_obj, "/AcroForm"),
                    _raw(new_obj, "/AcroForm"),
                    _changed_keys(_raw(old_obj, "/AcroForm"), _raw(new_obj, "/AcroForm")),
                )
                continue
            self.found.add(_CATALOGUE_REASONS.get(key, CATALOGUE_CHANGED))

    def _certifies_itself(self, old_catalogue, new_catalogue) -> bool:
        """The first signature's revision adds /Perms holding only its own DocMDP: what a
        certification signature writes (reviewed only for an authority's upload)."""
        if self.signature is None or not self.holds_first_signature:
            return False
        if _raw(old_catalogue, "/Perms") is not None:
            return False
        try:
            perms = _raw(new_catalogue, "/Perms").get_object()
            docmdp = _ref(_raw(perms, "/DocMDP"))
        except Exception:
            return False
        own = self.signature.sig_object.container_ref
        return (
            set(perms) == {"/DocMDP"}
            and docmdp is not None
            and isinstance(own, generic.Reference)
            and _key(docmdp) == _key(own)
        )

    def _judge_form(self, old_form, new_form, keys) -> None:
        if "/NeedAppearances" in keys:
            self.found.add(NEED_APPEARANCES)
        if "/Fields" in keys:
            self._judge_appended(_raw(old_form, "/Fields"), _raw(new_form, "/Fields"), NEW_FIELD)
        if keys - {"/NeedAppearances", "/Fields", "/SigFlags"}:
            self.found.add(FORM_CHANGED)

    def _judge_appended(self, old_array, new_array, otherwise: str = NEW_ANNOTATION) -> None:
        appended = _appended(old_array, new_array)
        if appended is None:
            self.found.add(OBJECT_CHANGED)
        elif any(_key(ref) not in self.new_widgets for ref in appended):
            self.found.add(otherwise)

    def _structure(self) -> set[tuple[int, int]]:
        """The cross-reference stream and object streams this update's own xref uses: file
        structure, which nothing refers to (any other unreferenced object is hidden)."""
        xrefs = self.reader.xrefs
        found = {_key(ref) for ref in xrefs.object_streams_used_in(self.number)}
        stream_ref = xrefs.get_xref_container_info(self.number).stream_ref
        if stream_ref is not None:
            found.add(_key(stream_ref))
        return found

    def _judge_added(self, added) -> None:
        unexplained = [ref for ref in added if _key(ref) not in self.allowed_new]
        if not unexplained:
            return
        reachable = _reachable(self.new)
        plain_objects = False
        for ref in unexplained:
            try:
                obj = self.new.get_object(ref)
            except Exception:
                self.found.add(OBJECT_CHANGED)
                continue
            if _key(ref) not in reachable:
                if _key(ref) not in self._structure():
                    self.found.add(UNREFERENCED_OBJECTS)
            elif isinstance(obj, generic.DictionaryObject) and _raw(obj, "/FT") is not None:
                self.found.add(NEW_SIGNATURE_FIELD if _raw(obj, "/FT") == "/Sig" else NEW_FIELD)
            elif isinstance(obj, generic.DictionaryObject) and (
                _raw(obj, "/Type") == "/Annot" or _raw(obj, "/Rect") is not None
            ):
                self.found.add(NEW_ANNOTATION)
            else:
                plain_objects = True
        # A new object used by something already reported (an annotation's appearance, a
        # field's /Rect) adds nothing to that reason; on its own it is a change.
        if plain_objects and not self.found:
            self.found.add(OBJECT_CHANGED)


# The shape of each kind of DSS container (ISO 32000-2, 12.8.4.3): the keys it may hold.
_DSS_KEYS = {"/Type", "/Certs", "/OCSPs", "/CRLs", "/VRI"}
_VRI_ENTRY_KEYS = {"/Type", "/Cert", "/OCSP", "/CRL", "/TS", "/TU"}
_VRI_KEY = re.compile(r"/[0-9A-Fa-f]{40}([0-9A-Fa-f]{24})?")  # SHA-1 or SHA-256, in hex


def _dss_shaped(obj, role: str) -> bool:
    """Is `obj` shaped as a DSS container of `role` (no stream, only the role's keys, an
    array of references)?"""
    if role == "array":
        return isinstance(obj, generic.ArrayObject) and all(
            isinstance(item, generic.IndirectObject)
            and isinstance(item.get_object(), generic.StreamObject)
            for item in obj
        )
    if not isinstance(obj, generic.DictionaryObject) or isinstance(obj, generic.StreamObject):
        return False
    keys = {str(key) for key in obj}
    if role == "dss":
        return keys <= _DSS_KEYS
    if role == "vri":
        return all(_VRI_KEY.fullmatch(key) for key in keys)
    return role == "vri_entry" and keys <= _VRI_ENTRY_KEYS


def _is_stream(resolver, ref) -> bool:
    if ref is None:
        return False
    try:
        return isinstance(resolver.get_object(ref), generic.StreamObject)
    except Exception:
        return False


def _is_fields_array(resolver, ref) -> bool:
    form = _raw(resolver.root, "/AcroForm")
    try:
        fields = _raw(form.get_object(), "/Fields")
    except Exception:
        return False
    return _ref(fields) is not None and _key(_ref(fields)) == _key(ref)


def _is_annots_array(resolver, ref) -> bool:
    """Is `ref` the /Annots array of some page? (Checked only for a changed array.)"""
    try:
        for page_ref in _page_refs(resolver):
            annots = _raw(resolver.get_object(page_ref), "/Annots")
            if _ref(annots) is not None and _key(_ref(annots)) == _key(ref):
                return True
    except Exception:
        return False
    return False


def _page_refs(resolver) -> list:
    found, pending, seen = [], [_ref(_raw(resolver.root, "/Pages"))], set()
    while pending and len(seen) < MAX_WALK:
        ref = pending.pop()
        if ref is None or _key(ref) in seen:
            continue
        seen.add(_key(ref))
        node = resolver.get_object(ref)
        if _raw(node, "/Type") == "/Page":
            found.append(ref)
        pending += [r for r in _refs_in(_raw(node, "/Kids")) if r is not None]
    return found


# What a document timestamp's field and widget may hold: nothing that acts (/A, /AA) or
# draws beyond an empty appearance.
_TIMESTAMP_FIELD_KEYS = {
    "/Type", "/Subtype", "/FT", "/T", "/TU", "/TM", "/V", "/F", "/Ff", "/Rect", "/P", "/AP",
    "/Kids", "/Parent",
}  # fmt: skip


def _invisible(field) -> bool:
    """A plainly invisible widget: a /Rect of four direct numbers enclosing nothing, and no
    appearance that could be drawn. An indirect /Rect (which pyHanko reads as invisible) or
    an indirect number in it is refused: viewers resolve it and draw. So is a field or widget
    with actions or other keys a timestamp's field has no use for."""
    for widget in [field, *(kid.get_object() for kid in (_raw(field, "/Kids") or []))]:
        if {str(key) for key in widget} - _TIMESTAMP_FIELD_KEYS:
            return False
        rect = _raw(widget, "/Rect")
        if rect is not None:
            if not isinstance(rect, generic.ArrayObject) or len(rect) != 4:
                return False
            if not all(isinstance(v, generic.NumberObject | generic.FloatObject) for v in rect):
                return False
            x1, y1, x2, y2 = (float(v) for v in rect)
            if abs(x2 - x1) * abs(y2 - y1) != 0:
                return False
        if _raw(widget, "/AP") is not None and not _empty_appearance(_raw(widget, "/AP")):
            return False
    return True


def _empty_appearance(appearance) -> bool:
    try:
        streams = []
        for value in appearance.get_object().values():
            value = value.get_object()
            if isinstance(value, generic.StreamObject):
                streams.append(value)
            else:
                streams += [v.get_object() for v in value.values()]
        return all(not v.data.strip() for v in streams)
    except Exception:
        return False


def _reachable(resolver) -> set[tuple[int, int]]:
    """Every object reachable from the revision's trailer (bounded)."""
    seen: set[tuple[int, int]] = set()
    pending = list(resolver.trailer_view.values())
    while pending:
        obj = pending.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            if len(seen) >= MAX_WALK:
                raise _TooMany
            seen.add(key)
            try:
                # Through the revision's resolver: the trailer's references point at the
                # latest version of each object.
                obj = resolver.get_object(obj.reference)
            except Exception:  # a dangling reference: nothing behind it to reach
                logger.debug("Dangling reference %s", key)
                continue
        if isinstance(obj, generic.DictionaryObject):
            pending += [_raw(obj, key) for key in obj]
        elif isinstance(obj, generic.ArrayObject):
            pending += list(obj)
    return seen


# --- The document -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionFindings:
    """What one incremental update after the first signature did, as the allow-list sees it."""

    number: int
    reasons: frozenset[str]  # codes of what it did outside the allow-list (MESSAGES)
    signed_field: str | None = None  # the prepared signature field it signed, if any
    wrote_objects: bool = True  # it wrote objects (validation data, a timestamp…)

    @property
    def level(self) -> ModificationLevel:
        """The update in pyHanko's terms: anything outside the allow-list is OTHER, signing
        a prepared field is form filling, validation data and timestamps are LTA updates."""
        if self.reasons:
            return ModificationLevel.OTHER
        if self.signed_field is not None:
            return ModificationLevel.FORM_FILLING
        return ModificationLevel.LTA_UPDATES if self.wrote_objects else ModificationLevel.NONE


# The findings depend on the file's bytes alone (and `since`): remembered by its SHA-256, as
# the comparison of its pages is (visual.py), for a file checked again.
REMEMBERED_FILES = 512
_remembered: OrderedDict[tuple, tuple[RevisionFindings, ...]] = OrderedDict()
_remembered_lock = threading.Lock()


def _file_bytes(reader: PdfFileReader) -> bytes:
    stream = reader.stream
    position = stream.tell()
    try:
        stream.seek(0)
        return stream.read()
    finally:
        stream.seek(position)


def forget_all() -> None:
    with _remembered_lock:
        _remembered.clear()


def review_revisions(
    reader: PdfFileReader, signatures=None, *, since: int | None = None
) -> list[RevisionFindings]:
    """`_review_revisions`, remembered for the same file (and signatures, and `since`)."""
    signatures = sorted(
        reader.embedded_signatures if signatures is None else signatures,
        key=lambda e: e.signed_revision,
    )
    digest = hashlib.sha256(_file_bytes(reader)).digest()
    key = (digest, since, tuple((e.signed_revision, e.sig_object_type) for e in signatures))
    with _remembered_lock:
        found = _remembered.get(key)
        if found is not None:
            _remembered.move_to_end(key)
            return list(found)
    findings = _review_revisions(reader, signatures, since=since)
    with _remembered_lock:
        _remembered[key] = tuple(findings)
        while len(_remembered) > REMEMBERED_FILES:
            _remembered.popitem(last=False)
    return findings


def _review_revisions(
    reader: PdfFileReader, signatures, *, since: int | None = None
) -> list[RevisionFindings]:
    """The findings of every update after the first signature (`since`: from this revision
    on instead, the first signature's own included: the authority's upload, `since` being the
    number of revisions of the PDF that was sent). None for a PDF without signatures.

    Once one update cannot be reviewed (too many objects, an unreadable object), it and every
    later update carry that reason: nothing after it is judged allowed."""
    # From the first signature; from the first document timestamp in a file with no other.
    certifications = [e for e in signatures if e.sig_object_type == "/Sig"] or signatures
    if not certifications:
        return []
    by_revision = {e.signed_revision: e for e in signatures}
    first = certifications[0].signed_revision if since is None else since - 1
    findings, failure, dss_by_revision = [], None, {}
    unambiguous = StrictReading(reader, _file_bytes(reader))
    for number in range(first + 1, reader.xrefs.total_revisions):
        if failure is not None:
            findings.append(RevisionFindings(number, frozenset({failure})))
            continue
        if len(reader.xrefs.explicit_refs_in_revision(number)) > MAX_CHANGED_OBJECTS:
            findings.append(RevisionFindings(number, frozenset({TOO_MANY_OBJECTS})))
            continue  # not read again, strictly or at all: a bound on the work
        if not unambiguous.reads(number):
            findings.append(RevisionFindings(number, frozenset({OBJECT_CHANGED})))
            continue
        signature = by_revision.get(number)
        revision = _Revision(
            reader,
            number,
            signature,
            first,
            holds_first_signature=signature is certifications[0],
            dss_by_revision=dss_by_revision,
        )
        try:
            found = revision.review()
        except _TooMany:
            failure = TOO_MANY_OBJECTS
        except Exception:
            logger.info("Revision review failed", exc_info=True)
            failure = OBJECT_CHANGED
        if failure is not None:
            findings.append(RevisionFindings(number, frozenset({failure})))
            continue
        findings.append(
            RevisionFindings(
                number,
                frozenset(found),
                signed_field=revision.signed_field_name,
                wrote_objects=bool(reader.xrefs.explicit_refs_in_revision(number)),
            )
        )
    return findings


def problems_of(findings) -> list[Problem]:
    """One Problem per reason found in any update, in a stable order."""
    found = set().union(*(f.reasons for f in findings))
    return [problem(code) for code in MESSAGES if code in found]


def review(reader: PdfFileReader, signatures=None, *, since: int | None = None) -> list[Problem]:
    """What the updates after the first signature did outside the allow-list: one Problem per
    reason, in a stable order; none for a genuine MoU (certified, signed by the business,
    validation data, archive timestamps). `since` as for `review_revisions`."""
    return problems_of(review_revisions(reader, signatures, since=since))
