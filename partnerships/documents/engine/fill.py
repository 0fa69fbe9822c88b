"""Checking and filling DOCX templates with docxtpl (Jinja inside Word files)."""

import html
import io
import re
import zipfile
import zlib

import jinja2
from django.utils.translation import gettext_lazy as _
from docxtpl import DocxTemplate

from partnerships.documents.engine.errors import DocumentError

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# A DOCX is a zip; refuse archives that expand to absurd sizes (zip bombs).
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class TemplateError(DocumentError):
    """A template file that cannot be used; the message names what is wrong."""


def _jinja_environment() -> jinja2.Environment:
    # Autoescape: a company called "A & B <Co>" must come out as written, not break the XML.
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


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
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise TemplateError(_("The document is too large once unpacked."))
            if archive.testzip() is not None:
                raise TemplateError(_("The Word document is damaged and cannot be read."))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # zlib.error: a damaged compressed part, which testzip() does not catch itself.
        raise TemplateError(_("The Word document is damaged and cannot be read.")) from exc


def _load(data: bytes) -> DocxTemplate:
    try:
        template = DocxTemplate(io.BytesIO(data))
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
    environment = _jinja_environment()
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
    try:
        return set(template.get_undeclared_template_variables(_jinja_environment()))
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


def fill_template(data: bytes, context: dict) -> bytes:
    """Render the template with the context; returns the filled DOCX."""
    template = _load(data)
    try:
        template.render(context, _jinja_environment(), autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(data, exc) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            _("The template uses a value the registry does not provide: %(error)s")
            % {"error": exc.message}
        ) from exc
    output = io.BytesIO()
    template.save(output)
    return output.getvalue()
