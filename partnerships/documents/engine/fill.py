"""Checking and filling DOCX templates with docxtpl (Jinja inside Word files)."""

import html
import io
import logging
import re
import zipfile
import zlib

import jinja2
from django.utils.translation import gettext_lazy as _
from docxtpl import DocxTemplate
from jinja2.exceptions import SecurityError

from partnerships.core.archives import ArchiveLimits, ArchiveTooLarge, check_archive
from partnerships.core.errors import RegistryError
from partnerships.core.isolation import Budget, run_limited
from partnerships.documents.engine.errors import DocumentError
from partnerships.documents.engine.memo import ParentMemo
from partnerships.documents.engine.sandbox import COMPILED, TemplateSandbox, unsafe_access

logger = logging.getLogger(__name__)

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A DOCX is a zip; refuse packages that expand to absurd sizes (zip bombs) by their declared
# sizes, before python-docx parses them: parsed XML takes some 80 times its size in memory, so
# the limit on one XML part is what bounds a worker (the built-in templates' largest is 0.4 MB).
MAX_UNCOMPRESSED_BYTES = 30 * 1024 * 1024
MAX_XML_PART_BYTES = 5 * 1024 * 1024
TEMPLATE_LIMITS = ArchiveLimits(
    max_members=500,
    max_total_bytes=MAX_UNCOMPRESSED_BYTES,
    max_member_bytes=MAX_UNCOMPRESSED_BYTES,
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class TemplateError(DocumentError):
    """A template file that cannot be used; the message names what is wrong."""


def _patch(xml: str) -> str:
    return DocxTemplate(None).patch_xml(xml)


# docxtpl's regular expressions preparing a part's XML were a sixth of a fill.
PATCHED = ParentMemo(_patch)


class MemoDocxTemplate(DocxTemplate):
    """docxtpl's template, its XML prepared once per process (PATCHED)."""

    def __init__(self, template_file):
        super().__init__(template_file)
        self.patched_sources: list[str] = []  # the XML this fill had to prepare

    def patch_xml(self, src_xml):
        patched = PATCHED.get(src_xml)
        if patched is None:
            self.patched_sources.append(src_xml)
            patched = super().patch_xml(src_xml)
        return patched


def _check_container(data: bytes) -> None:
    if not data:
        raise TemplateError(_("The file is empty."))
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(_("The file is larger than 5 MB."))
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTION_STREAM in data:
            raise TemplateError(
                _("The file is password-protected: remove the password in Word, then upload it.")
            )
        raise TemplateError(
            _("This is an old Word (.doc) file: save it as .docx in Word, then upload it.")
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            # A zip that lost its end, such as a DOCX cut short by an interrupted download.
            raise TemplateError(_("The Word document is damaged and cannot be read."))
        raise TemplateError(_("The file is not a Word document (.docx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise TemplateError(_("The file is not a Word document (.docx)."))
            check_archive(archive, TEMPLATE_LIMITS)
            if any(
                info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_XML_PART_BYTES
                for info in archive.infolist()
            ):
                raise TemplateError(_("The file is too large once unpacked."))
            if archive.testzip() is not None:
                raise TemplateError(_("The Word document is damaged and cannot be read."))
    except ArchiveTooLarge as exc:
        raise TemplateError(exc.message) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # zlib.error: a damaged compressed part, which testzip() does not catch itself.
        raise TemplateError(_("The Word document is damaged and cannot be read.")) from exc


def _load(data: bytes) -> "MemoDocxTemplate":
    try:
        template = MemoDocxTemplate(io.BytesIO(data))
        template.init_docx()
    except TemplateError:
        raise
    except Exception as exc:  # python-docx raises many kinds on a broken package
        raise TemplateError(_("The Word document is damaged and cannot be read.")) from exc
    return template


_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.DOTALL)
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_TAG_START = re.compile(r"\{[{%#]")
_TAG_END = {"{{": "}}", "{%": "%}", "{#": "#}"}
# docxtpl's own prefixes ({{r rich text }}, {%tr for … %}), which Jinja alone does not know.
_DOCXTPL_PREFIX = re.compile(r"^\{\{(?:p|r|tr|tc)\s")


def _paragraph_texts(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8", errors="replace")
                for paragraph in _PARAGRAPH.findall(xml):
                    yield html.unescape("".join(_TEXT.findall(paragraph)))


def _broken_tag(data: bytes) -> str | None:
    """The first tag not closed within its paragraph, or the first {{ }} that does not parse
    on its own. Jinja parses the whole document's XML at once, so its message alone ("unexpected
    '/'") does not say where the mistake is; block tags ({% for %} …) it names itself."""
    environment = TemplateSandbox()
    for text in _paragraph_texts(data):
        for match in _TAG_START.finditer(text):
            start, opener = match.start(), match.group()
            end = text.find(_TAG_END[opener], match.end())
            if end < 0:
                return text[start : start + 80].strip()
            if opener == "{{":
                tag = text[start : end + 2]
                try:
                    environment.parse(_DOCXTPL_PREFIX.sub("{{ ", tag))
                except jinja2.TemplateSyntaxError:
                    return tag
    return None


def _check_sandbox_escapes(data: bytes, template: DocxTemplate) -> None:
    """Refuse a template that reaches for internals in any part docxtpl renders: the body,
    headers, footers, footnotes and the document properties."""
    environment = TemplateSandbox()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")) and name != (
                "docProps/core.xml"
            ):
                continue
            source = template.patch_xml(archive.read(name).decode("utf-8", errors="replace"))
            try:
                tree = environment.parse(source)
            except jinja2.TemplateSyntaxError:
                continue  # a part docxtpl renders fails the syntax check with a better message
            unsafe = unsafe_access(tree)
            if unsafe:
                raise _escape_refused(unsafe)


def _escape_refused(name: str) -> TemplateError:
    return TemplateError(
        _(
            "The template reaches into the server's internals (“%(name)s”), which templates "
            "may not do. Use only the registry's variables, such as {{ partner.name }}."
        )
        % {"name": name}
    )


def _syntax_error(data: bytes, exc: jinja2.TemplateSyntaxError) -> TemplateError:
    tag = _broken_tag(data)
    if tag:
        return TemplateError(
            _("The template has a syntax error in the tag “%(tag)s”: %(error)s")
            % {"tag": tag, "error": exc.message}
        )
    return TemplateError(
        _("The template has a syntax error in a {{ }} or {%% %%} tag: %(error)s")
        % {"error": exc.message}
    )


def template_variables(data: bytes) -> set[str]:
    """The variables a template uses, checking its Jinja syntax on the way."""
    _check_container(data)
    template = _load(data)
    _check_sandbox_escapes(data, template)
    try:
        return set(template.get_undeclared_template_variables(TemplateSandbox()))
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(data, exc) from exc


def validate_template(data: bytes, *, provided: set[str]) -> set[str]:
    """Refuse a template that is not a usable DOCX, has a Jinja syntax error, or uses a
    variable the registry does not provide. Returns the variables it uses."""
    used = template_variables(data)
    unknown = sorted(used - provided)
    if unknown:
        raise TemplateError(
            _("The template uses variables the registry does not provide: %(names)s.")
            % {"names": ", ".join(unknown)}
        )
    return used


# What filling one document may take: a template can still ask for a lot within the sandbox
# ({{ x|center(10**9) }}, loops within loops), so filling runs in a child process.
FILL_BUDGET = Budget(memory_mb=512, cpu_seconds=30, wall_seconds=60)


def fill_template(data: bytes, context: dict) -> bytes:
    """Render the template with the context; returns the filled DOCX. Runs in a child
    process under FILL_BUDGET; a template that exceeds it is refused with a TemplateError."""
    try:
        # A child taken over by the template may send anything: its shape is checked.
        docx, compiled, patched = run_limited(
            _fill,
            data,
            context,
            budget=FILL_BUDGET,
            returns=(bytes, list, list),
            classes=(TemplateError,),
        )
    except TemplateError:
        raise
    except RegistryError as exceeded:  # LimitExceeded, or an error no fill raises
        raise TemplateError(
            _(
                "Filling the template needs more memory or time than a document may take. "
                "Check its loops and filters, or use the previous version."
            )
        ) from exceeded
    # The template filled within its budget: prepare and compile its parts here once, for
    # the next fills (the same template text gives the same whatever the values).
    PATCHED.remember(patched)
    COMPILED.remember(compiled)
    return docx


def _fill(data: bytes, context: dict) -> tuple[bytes, list[str], list[str]]:
    """The filled DOCX, and the template texts compiled and prepared to fill it (none
    when the parent had done it already: see memo.ParentMemo)."""
    template = _load(data)
    environment = TemplateSandbox()
    try:
        template.render(context, environment, autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(data, exc) from exc
    except SecurityError as exc:
        # Before UndefinedError: the sandbox answers a forbidden attribute with an undefined
        # value that raises SecurityError once used.
        raise TemplateError(
            _(
                "The template tried something templates may not do. Use only the registry's "
                "variables, such as {{ partner.name }}."
            )
        ) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            _("The template uses a value the registry does not provide: %(error)s")
            % {"error": exc.message}
        ) from exc
    output = io.BytesIO()
    template.save(output)
    return output.getvalue(), environment.compiled_sources, template.patched_sources
