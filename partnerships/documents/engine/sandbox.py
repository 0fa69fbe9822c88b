"""The Jinja sandbox that fills templates uploaded by users, and what it refuses.

Its compiled code is kept per process (COMPILED): a fill runs in a child forked from the
worker, which finds there the code the worker compiled before (see memo.ParentMemo)."""

from types import CodeType

import jinja2
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

from partnerships.documents.engine.memo import ParentMemo

# The longest string or list a template expression may build ("x" * n), and the largest power.
_MAX_BUILT_LENGTH = 100_000
_MAX_EXPONENT = 64


class CompileWithoutEvaluating(CodeGenerator):
    """Jinja's code generator, minus its habit of working out constant expressions while
    compiling ({{ 'x'|center(100000000) }}, {% autoescape … %}): compiling also happens in
    the parent process (COMPILED), outside the fill's budget, so it must not run a
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


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja for templates uploaded by users: the immutable sandbox refuses attributes that
    lead out of the values (`__class__`, `__globals__`, a function's code), calls that change
    them, and here also expressions that build huge values. The helpers Jinja puts in every
    template (lipsum, cycler, joiner) have no use in an MoU and are the usual door out."""

    intercepted_binops = frozenset({"*", "**"})
    code_generator_class = CompileWithoutEvaluating

    def __init__(self):
        # Autoescape: a company called "A & B <Co>" must come out as written, not break the XML.
        # Not optimized: Jinja's optimizer, too, runs filters on constants while compiling
        # (see CompileWithoutEvaluating).
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined, optimized=False)
        for helper in ("lipsum", "cycler", "joiner"):
            self.globals.pop(helper, None)
        # The sources this environment had to compile (not found in COMPILED).
        self.compiled_sources: list[str] = []

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        """Jinja's compile, answered from COMPILED when the parent process has compiled
        the same source before (docxtpl hands each part of the document to from_string,
        which compiles it: about a quarter of a fill). Only for this environment's own
        settings, which the memo's code was compiled with (docxtpl may set autoescape)."""
        plain = (
            isinstance(source, str)
            and not (name or filename or raw or defer_init)
            and self.autoescape is True
            and not self.optimized
        )
        code = COMPILED.get(source) if plain else None
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


def compile_template(source: str) -> CodeType:
    return TemplateSandbox().compile(source)


# Jinja compiling each part was about a quarter of a fill. A template has a body, headers,
# footers and a few properties.
COMPILED = ParentMemo(compile_template)


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


def unsafe_access(tree: nodes.Node) -> str | None:
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
