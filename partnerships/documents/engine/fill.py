"""Checking and filling DOCX templates with docxtpl (Jinja inside Word files)."""

import html
import io
import logging
import re
import threading
import zipfile
import zlib
from collections import OrderedDict
from types import CodeType

import jinja2
from django.utils.translation import gettext_lazy as _
from docxtpl import DocxTemplate
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
)

from partnerships.core.archives import ArchiveLimits, ArchiveTooLarge, check_archive
from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.documents.engine.errors import DocumentError

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


# The longest string or list a template expression may build ("x" * n), and the largest power.
_MAX_BUILT_LENGTH = 100_000
_MAX_EXPONENT = 64


class _CompileWithoutEvaluating(CodeGenerator):
    """Jinja's code generator, minus its habit of working out constant expressions while
    compiling ({{ 'x'|center(100000000) }}, {% autoescape … %}): compiling also happens in
    the parent process (_COMPILED), outside the fill's budget, so it must not run a
    template's filters or calls. Those values are worked out when the document is filled,
    in the child, if the branch holding them is taken at all."""

    def _output_child_to_const(self, node, frame, finalize):
        if not isinstance(node, nodes.TemplateData):  # the template's own text stays constant
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def visit_EvalContextModifier(self, node, frame):
        for keyword in node.options:
            self.writeline(f"context.eval_ctx.{keyword.key} = ")
            self.visit(keyword.value, frame)
        frame.eval_ctx.volatile = True  # decided when filling, as Jinja does when it must


class _TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja for templates uploaded by users: the immutable sandbox refuses attributes that
    lead out of the values (`__class__`, `__globals__`, a function's code), calls that change
    them, and here also expressions that build huge values. The helpers Jinja puts in every
    template (lipsum, cycler, joiner) have no use in an MoU and are the usual door out."""

    intercepted_binops = frozenset({"*", "**"})
    code_generator_class = _CompileWithoutEvaluating

    def __init__(self):
        # Autoescape: a company called "A & B <Co>" must come out as written, not break the XML.
        # Not optimized: Jinja's optimizer, too, runs filters on constants while compiling
        # (see _CompileWithoutEvaluating).
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined, optimized=False)
        for helper in ("lipsum", "cycler", "joiner"):
            self.globals.pop(helper, None)
        # The sources this environment had to compile (not found in _COMPILED).
        self.compiled_sources: list[str] = []

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        """Jinja's compile, answered from _COMPILED when the parent process has compiled
        the same source before (docxtpl hands each part of the document to from_string,
        which compiles it: about a quarter of a fill). Only for this environment's own
        settings, which the memo's code was compiled with (docxtpl may set autoescape)."""
        plain = (
            isinstance(source, str)
            and not (name or filename or raw or defer_init)
            and self.autoescape is True
            and not self.optimized
        )
        code = _COMPILED.get(source) if plain else None
        if code is not None:
            return code
        if plain:
            self.compiled_sources.append(source)
        return super().compile(source, name, filename, raw, defer_init)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > _MAX_EXPONENT:
            raise SecurityError("exponent too large")
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if (
                    isinstance(sized, (str, list, tuple))
                    and isinstance(times, int)
                    and len(sized) * times > _MAX_BUILT_LENGTH
                ):
                    raise SecurityError("value too large")
        return super().call_binop(context, operator, left, right)


def _jinja_environment() -> _TemplateSandbox:
    return _TemplateSandbox()


class _ParentMemo:
    """What this process worked out from template text (a part's Jinja code, docxtpl's
    cleaned-up XML), kept for the fills to come: a fill runs in a child forked from this
    process, which finds here what the parent worked out before the fork. A child only
    says which texts it had to work on; the parent works them out itself from those
    texts, after the child has done the same within its budget: the parent runs no code
    a child built. (The reply itself comes through a pickle: see core.isolation.)

    Bounded by the text it holds, which also bounds the code compiled from it (some ten
    times the text): a part larger than MAX_TEXT is not kept (it is compiled per fill, as
    before), and the least recently used go first."""

    MAX_TEXT = 1024 * 1024
    MAX_TOTAL_TEXT = 4 * 1024 * 1024  # the built-in templates' largest part is 0.4 MB

    def __init__(self, compute):
        self._compute = compute
        self._items: OrderedDict[str, object] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()  # web processes fill (a sample) from several threads

    def get(self, text: str):
        return self._items.get(text)

    def __len__(self) -> int:
        return len(self._items)

    def texts(self) -> list[str]:
        return list(self._items)

    def remember(self, texts) -> None:
        for text in texts if isinstance(texts, list) else ():
            if not isinstance(text, str) or len(text) > self.MAX_TEXT:
                continue
            if text in self._items:
                with self._lock:
                    if text in self._items:
                        self._items.move_to_end(text)
                continue
            # Worked out outside the lock: one template's parts never hold up another's.
            try:
                result = self._compute(text)
            except Exception as exc:  # it worked in the child; if not here, it is not kept
                logger.info("A template part is not kept for later fills (%s)", type(exc).__name__)
                continue
            with self._lock:
                if text not in self._items:
                    self._items[text] = result
                    self._total += len(text)
                while self._total > self.MAX_TOTAL_TEXT:
                    evicted, _result = self._items.popitem(last=False)
                    self._total -= len(evicted)


def _compile(source: str) -> CodeType:
    return _jinja_environment().compile(source)


def _patch(xml: str) -> str:
    return DocxTemplate(None).patch_xml(xml)


# Jinja compiling each part was about a quarter of a fill, docxtpl's regular expressions
# preparing its XML a sixth. A template has a body, headers, footers and a few properties.
_COMPILED = _ParentMemo(_compile)
_PATCHED = _ParentMemo(_patch)


class _MemoDocxTemplate(DocxTemplate):
    """docxtpl's template, its XML prepared once per process (_PATCHED)."""

    def __init__(self, template_file):
        super().__init__(template_file)
        self.patched_sources: list[str] = []  # the XML this fill had to prepare

    def patch_xml(self, src_xml):
        patched = _PATCHED.get(src_xml)
        if patched is None:
            self.patched_sources.append(src_xml)
            patched = super().patch_xml(src_xml)
        return patched


_UNSAFE_NAMES = (
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {"mro", "format_map"}
)


def _is_unsafe_name(name) -> bool:
    return isinstance(name, str) and (name.startswith("_") or name in _UNSAFE_NAMES)


def _unsafe_access(tree: nodes.Node) -> str | None:
    """The first attribute a template reaches for that leads out of the values
    (`x.__class__`, `x['__globals__']`, `x|attr('__init__')`). The sandbox refuses these when
    rendering anyway; finding them in the text refuses the upload with a clear reason, even in
    a branch the sample rendering does not take."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:
            first = node.args[0] if node.name == "attr" and node.args else None
            name = first.value if isinstance(first, nodes.Const) else None
        if _is_unsafe_name(name):
            return name
    return None


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


def _load(data: bytes) -> "_MemoDocxTemplate":
    try:
        template = _MemoDocxTemplate(io.BytesIO(data))
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


def _check_sandbox_escapes(data: bytes, template: DocxTemplate) -> None:
    """Refuse a template that reaches for internals in any part docxtpl renders: the body,
    headers, footers, footnotes and the document properties."""
    environment = _jinja_environment()
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
            unsafe = _unsafe_access(tree)
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


# What filling one document may take: a template can still ask for a lot within the sandbox
# ({{ x|center(10**9) }}, loops within loops), so filling runs in a child process.
FILL_BUDGET = Budget(memory_mb=512, cpu_seconds=30, wall_seconds=60)


def fill_template(data: bytes, context: dict) -> bytes:
    """Render the template with the context; returns the filled DOCX. Runs in a child
    process under FILL_BUDGET; a template that exceeds it is refused with a TemplateError."""
    try:
        docx, compiled, patched = run_limited(_fill, data, context, budget=FILL_BUDGET)
    except LimitExceeded as exceeded:
        raise TemplateError(
            _(
                "Filling the template needs more memory or time than a document may take. "
                "Check its loops and filters, or use the previous version."
            )
        ) from exceeded
    # The template filled within its budget: prepare and compile its parts here once, for
    # the next fills (the same template text gives the same whatever the values).
    _PATCHED.remember(patched)
    _COMPILED.remember(compiled)
    return docx


def _fill(data: bytes, context: dict) -> tuple[bytes, list[str], list[str]]:
    """The filled DOCX, and the template texts compiled and prepared to fill it (none
    when the parent had done it already: see _ParentMemo)."""
    template = _load(data)
    environment = _jinja_environment()
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
