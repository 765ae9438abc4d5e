"""Sandboxed jinja2 templating for values computed at run time.

Specs are data, not code: ``{{ steps.create.id }}``, ``{{ uuid() }}`` and ``{{ now() }}`` render inside an
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` that refuses, with a :class:`TemplateError`:

- private and dunder attributes (``''.__class__``), checked when compiling and again at run time;
- calling anything but ``range``, ``dict``, ``uuid``, ``now``, the generators ``random_int(low, high)``,
  ``random_choice(list)`` and ``random_string(length[, alphabet])`` (seeded by a load test:
  :func:`seeded_random`) and a few read-only ``str``/``dict`` methods;
- macros, imports and nested loops (the cheap ways to burn CPU);
- values and output beyond :data:`MAX_OUTPUT_CHARS`, integers beyond :data:`MAX_INT_BITS` and renders
  longer than :data:`MAX_RENDER_SECONDS`; sizes are checked *before* ``*``, ``+``, ``~`` and ``join`` allocate.

A string that is exactly one ``{{ expression }}`` renders to the expression's own JSON value (an int stays
an int); any other template renders to text.
"""

from __future__ import annotations

import random
import re
import string
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, wraps
from types import BuiltinMethodType

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.filters import FILTERS
from jinja2.runtime import Context, StrictUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

MAX_OUTPUT_CHARS = 1 << 20
"""Largest text or value (in characters, roughly) a template may produce: 1 MiB."""
MAX_INT_BITS = 4096
"""Largest integer a template may compute, in bits."""
MAX_RENDER_SECONDS = 2.0
"""Longest a single render may run."""

# fmt: off
_SAFE_FILTERS = (
    "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "first", "float", "int", "items",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round",
    "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique",
    "upper", "urlencode", "wordcount",
)
_SAFE_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "startswith", "endswith",
    "split", "rsplit", "splitlines", "count", "find", "rfind", "index", "removeprefix", "removesuffix",
    "isdigit", "isalpha", "isalnum", "isspace", "get", "items", "keys", "values",
})
# fmt: on
_DEADLINE: ContextVar[float] = ContextVar("template_deadline", default=float("inf"))


class TemplateError(ValueError):
    """A template is invalid or failed to render; ``line`` is the line within the template, if known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


class _Refused(SecurityError):
    """A resource limit or policy refused an operation while rendering."""


_RANDOM: ContextVar[random.Random | None] = ContextVar("template_random", default=None)
_UNSEEDED = random.Random()
_ALPHANUMERIC = string.ascii_letters + string.digits


@contextmanager
def seeded_random(source: random.Random) -> Iterator[None]:
    """Within the block (and the tasks started in it) the random generators draw from ``source``: a load
    test seeds them, so a rerun with the same seed sends the same values."""
    token = _RANDOM.set(source)
    try:
        yield
    finally:
        _RANDOM.reset(token)


def _draws() -> random.Random:
    return _RANDOM.get() or _UNSEEDED


def _random_int(low: int, high: int) -> int:
    """An integer from ``low`` to ``high``, both included."""
    if not isinstance(low, int) or not isinstance(high, int) or low > high:
        raise _Refused(
            f"random_int({low!r}, {high!r}): expected two integers, the first not above the second"
        )
    return _draws().randint(low, high)


def _random_choice(items: object) -> object:
    """One item of a list (or one key of a mapping)."""
    if not isinstance(items, list | tuple | dict) or not items:
        raise _Refused(f"random_choice: expected a non-empty list, got {type(items).__name__}")
    return _draws().choice(list(items))


def _random_string(length: int, alphabet: str = _ALPHANUMERIC) -> str:
    """``length`` characters drawn from ``alphabet`` (letters and digits by default)."""
    if not isinstance(length, int) or not 0 <= length <= MAX_OUTPUT_CHARS or not alphabet:
        raise _Refused(f"random_string({length!r}): expected a length from 0 to {MAX_OUTPUT_CHARS}")
    return "".join(_draws().choices(alphabet, k=length))


def _uuid() -> str:
    seeded = _RANDOM.get()
    if seeded is None:
        return str(uuid.uuid4())
    # from the seeded generator, so a seeded load test sends the same ids again
    return str(uuid.UUID(int=seeded.getrandbits(128), version=4))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_FUNCTIONS: dict[str, Callable[..., object]] = {
    "range": safe_range,
    "dict": dict,
    "uuid": _uuid,
    "now": _now,
    "random_int": _random_int,
    "random_choice": _random_choice,
    "random_string": _random_string,
}


def _size(value: object) -> int:
    """Roughly how many characters ``value`` takes as text; stops counting past the limit."""
    total, stack = 0, [value]
    while stack and total <= MAX_OUTPUT_CHARS:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list | tuple | dict):
            total += 2 + 2 * len(item)
            if total <= MAX_OUTPUT_CHARS:
                stack.extend(item.items() if isinstance(item, dict) else item)
        else:
            total += 8
    return total


def _check_size(*values: object) -> None:
    if sum(_size(value) for value in values) > MAX_OUTPUT_CHARS:
        raise _Refused(f"template result would exceed {MAX_OUTPUT_CHARS} characters (1 MiB)")


def _tick() -> None:
    if time.monotonic() > _DEADLINE.get():
        raise _Refused(f"template took longer than {MAX_RENDER_SECONDS}s to render")


def _bounded_list(items: Iterable[object]) -> list[object]:
    result: list[object] = []
    total = 2
    for item in items:
        total += _size(item) + 2
        if total > MAX_OUTPUT_CHARS:
            raise _Refused(f"template result would exceed {MAX_OUTPUT_CHARS} characters (1 MiB)")
        result.append(item)
    return result


def _join(items: Iterable[object], separator: str = "") -> str:
    values = _bounded_list(items)
    if _size(values) + len(separator) * len(values) > MAX_OUTPUT_CHARS:
        raise _Refused(f"template result would exceed {MAX_OUTPUT_CHARS} characters (1 MiB)")
    return separator.join(str(value) for value in values)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    found = text.count(old)
    if len(text) + (found if count < 0 else min(found, count)) * len(new) > MAX_OUTPUT_CHARS:
        raise _Refused(f"template result would exceed {MAX_OUTPUT_CHARS} characters (1 MiB)")
    return text.replace(old, new, count)


def _guarded_filter(function: Callable[..., object]) -> Callable[..., object]:
    @wraps(function)  # keeps jinja's pass_context / pass_eval_context marker
    def guarded(*args: object, **kwargs: object) -> object:
        _tick()
        args = tuple(_bounded_list(arg) if isinstance(arg, Iterator) else arg for arg in args)
        _check_size(*args, *kwargs.values())
        result = function(*args, **kwargs)
        _check_size(result)
        return result

    return guarded


def _guard_binop(operator: str, left: object, right: object) -> None:
    if operator == "%" and isinstance(left, str):
        raise _Refused("'%' string formatting is not allowed in templates; join strings with '~'")
    if isinstance(left, int) and isinstance(right, int):
        big = (operator == "*" and left.bit_length() + right.bit_length() > MAX_INT_BITS) or (
            operator == "**" and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS
        )
        if big:
            raise _Refused(f"template computed an integer larger than {MAX_INT_BITS} bits")
    elif operator == "*" and isinstance(count := left if isinstance(left, int) else right, int):
        if count > 0 and _size(right if count is left else left) * count > MAX_OUTPUT_CHARS:
            raise _Refused(f"template result would exceed {MAX_OUTPUT_CHARS} characters (1 MiB)")
    elif operator == "+":
        _check_size(left, right)


def _finalize(value: object) -> object:
    _tick()
    _check_size(value)
    return value


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a size-checked join instead of jinja's unchecked ``str_join``."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guarded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _GuardedCodeGenerator

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        _tick()
        _guard_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: object, attribute: str) -> object:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: object, argument: object) -> object:
        _tick()
        return super().getitem(obj, argument)

    def call(self, context: Context, obj: object, /, *args: object, **kwargs: object) -> object:
        _tick()
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if not _may_call(obj):
            name = getattr(obj, "__name__", type(obj).__name__)
            raise _Refused(f"templates may not call {name!r}; they may call {', '.join(_FUNCTIONS)}()")
        _check_size(*args, *kwargs.values())
        result = super().call(context, obj, *args, **kwargs)
        _check_size(result)
        return result

    def guarded_concat(self, parts: tuple[object, ...]) -> str:
        _tick()
        _check_size(*parts)
        return "".join(str(part) for part in parts)


def _may_call(obj: object) -> bool:
    if any(obj is function for function in _FUNCTIONS.values()):
        return True
    return (
        isinstance(obj, BuiltinMethodType)
        and isinstance(obj.__self__, str | dict | list)
        and obj.__name__ in _SAFE_METHODS
    )


def _new_environment() -> _Sandbox:
    env = _Sandbox(
        undefined=StrictUndefined, autoescape=False, finalize=_finalize, keep_trailing_newline=True
    )
    env.globals.clear()
    env.globals.update(_FUNCTIONS)
    filters = {name: FILTERS[name] for name in _SAFE_FILTERS} | {"join": _join, "replace": _replace}
    env.filters = {name: _guarded_filter(function) for name, function in filters.items()}
    return env


_ENV = _new_environment()


_CHECKED_NODES = (
    *(nodes.Getattr, nodes.Getitem, nodes.For, nodes.Macro, nodes.CallBlock),
    *(nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport),
)


def _check_tree(tree: nodes.Template) -> None:
    """Refuse at compile time what the sandbox would refuse (or could not bound) at run time."""
    for node in tree.find_all(_CHECKED_NODES):
        problem = _tree_problem(node)
        if problem:
            raise TemplateError(f"{problem} (line {node.lineno} of the template)", line=node.lineno)


def _tree_problem(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        private = isinstance(name, str) and name.startswith("_")
        return f"template tried to reach Python internals: {name!r} is private" if private else None
    if isinstance(node, nodes.For):
        return "nested and recursive loops are not allowed in templates" if _loops_again(node) else None
    if isinstance(node, nodes.Macro | nodes.CallBlock):
        return "macros are not allowed in templates"
    return "templates cannot import, include or extend other templates"


def _loops_again(node: nodes.For) -> bool:
    return node.recursive or any(child.find(nodes.For) or isinstance(child, nodes.For) for child in node.body)


@contextmanager
def _rendering(context: Mapping[str, object]) -> Iterator[None]:
    """Apply the time limit and turn every failure inside the template into a :class:`TemplateError`."""
    token = _DEADLINE.set(time.monotonic() + MAX_RENDER_SECONDS)
    try:
        yield
    except TemplateError:
        raise
    except _Refused as exc:
        raise TemplateError(str(exc)) from exc
    except SecurityError as exc:
        raise TemplateError(f"template tried to reach Python internals: {exc}") from exc
    except UndefinedError as exc:
        names = ", ".join(sorted(context)) or "none"
        raise TemplateError(f"template uses an undefined value: {exc} (defined names: {names})") from exc
    except Exception as exc:
        raise TemplateError(f"template failed: {type(exc).__name__}: {exc}") from exc
    finally:
        _DEADLINE.reset(token)


def _as_data(value: object) -> object:
    """The JSON-like value of a single-expression template (tuples become lists)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list | tuple):
        return [_as_data(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _as_data(item) for key, item in value.items()}
    raise TemplateError(
        f"template produced a {type(value).__name__} value, not data (strings, numbers, lists, mappings)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledTemplate:
    """A template compiled once in the sandbox, rendered many times with run-time values."""

    source: str
    """The template text as written in the spec."""
    template: jinja2.Template = field(repr=False)
    """The compiled sandboxed template."""
    expression: TemplateExpression | None = field(default=None, repr=False)
    """Set when the whole source is one ``{{ expression }}``: it evaluates to a native value."""
    lookups: tuple[str | tuple[str, ...], ...] | None = field(default=None, repr=False)
    """Set when the source is only text and ``{{ a.b.c }}`` lookups: rendered without jinja (the mock's
    hot path), falling back to jinja for anything it cannot answer exactly as jinja would."""

    def render(self, context: Mapping[str, object]) -> str:
        """Render to text; fails with :class:`TemplateError` on an undefined name or a broken limit."""
        if self.lookups is not None:
            fast = _render_lookups(self.lookups, context)
            if fast is not None:
                return fast
        size, parts = 0, []
        with _rendering(context):
            for part in self.template.generate(dict(context)):
                size += len(part)
                if size > MAX_OUTPUT_CHARS:
                    raise _Refused(f"template output exceeds {MAX_OUTPUT_CHARS} characters (1 MiB)")
                parts.append(part)
        return "".join(parts)

    def evaluate(self, context: Mapping[str, object]) -> object:
        """Render to a value: one ``{{ expression }}`` gives its own JSON value, other templates text."""
        if self.expression is None:
            return self.render(context)
        if self.lookups is not None and len(self.lookups) == 1 and isinstance(self.lookups[0], tuple):
            value = _lookup(self.lookups[0], context)
            if isinstance(value, str | int | float | bool) and _size(value) <= MAX_OUTPUT_CHARS:
                return value
        with _rendering(context):
            value = self.expression(dict(context))
            _check_size(value)
            return _as_data(value)


_LOOKUP = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")
_MISSING = object()


def _plain_lookups(text: str) -> tuple[str | tuple[str, ...], ...] | None:
    """``text`` as literal parts and lookup paths, if that is all it is (no filters, calls, tags)."""
    parts: list[str | tuple[str, ...]] = []
    position = 0
    for match in _LOOKUP.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(tuple(match.group(1).split(".")))
        position = match.end()
    parts.append(text[position:])
    literal = "".join(part for part in parts if isinstance(part, str))
    if any(mark in literal for mark in ("{{", "{%", "{#")):
        return None
    return tuple(part for part in parts if part != "")


def _lookup(path: tuple[str, ...], context: Mapping[str, object]) -> object:
    node: object = context
    for key in path:
        # jinja tries attributes first: a key that is also a dict method name (items, get) is its business
        if not isinstance(node, Mapping) or key not in node or hasattr(dict, key):
            return _MISSING
        node = node[key]
    return node


def _render_lookups(parts: tuple[str | tuple[str, ...], ...], context: Mapping[str, object]) -> str | None:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = _lookup(part, context)
        # str() is what jinja prints for these; anything else (None, containers) goes through jinja
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return None
        out.append(str(value))
    text = "".join(out)
    return text if len(text) <= MAX_OUTPUT_CHARS else None


def has_template(text: str) -> bool:
    """Whether ``text`` contains template syntax (``{{`` or ``{%``) and so must be rendered."""
    return "{{" in text or "{%" in text


@lru_cache(maxsize=1024)
def compile_template(text: str) -> CompiledTemplate:
    """Compile ``text`` in the sandbox; syntax errors and forbidden constructs raise :class:`TemplateError`."""
    try:
        tree = _ENV.parse(text)
        _check_tree(tree)
        template = _ENV.from_string(tree)
        expression = _single_expression(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error on line {exc.lineno}: {exc.message}", line=exc.lineno
        ) from exc
    return CompiledTemplate(
        source=text, template=template, expression=expression, lookups=_plain_lookups(text)
    )


def _single_expression(text: str) -> TemplateExpression | None:
    """A template that is exactly one ``{{ expression }}``, compiled to return the expression's value."""
    body = _ENV.parse(text).body
    if len(body) != 1 or not isinstance(output := body[0], nodes.Output) or len(output.nodes) != 1:
        return None
    expr = output.nodes[0]
    if isinstance(expr, nodes.TemplateData):
        return None
    tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=expr.lineno)], lineno=1)
    tree.set_environment(_ENV)
    return TemplateExpression(_ENV.from_string(tree), undefined_to_none=False)


def render_value(value: object, context: Mapping[str, object]) -> object:
    """Render every template string inside JSON-like ``value`` (dicts, lists, strings) with ``context``.

    A string that is exactly one ``{{ expression }}`` becomes the expression's value, so
    ``{{ steps.create.id }}`` stays an int; other template strings become text; the rest is unchanged.
    """
    if isinstance(value, str):
        return compile_template(value).evaluate(context) if has_template(value) else value
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    return value


def references(text: str) -> set[tuple[str, ...]]:
    """The context values a template reads through constant names: ``{{ steps.a.id }}`` →
    ``{("steps", "a", "id")}`` (``steps['a']`` counts too). Raises :class:`TemplateError` like
    :func:`compile_template` on a syntax error. Lets a spec be checked before anything runs."""
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error on line {exc.lineno}: {exc.message}", line=exc.lineno
        ) from exc
    found: set[tuple[str, ...]] = set()
    _collect_references(tree, found)
    return found


def _collect_references(node: nodes.Node, found: set[tuple[str, ...]]) -> None:
    chain = _reference(node)
    if chain is not None:
        found.add(chain)
        return
    for child in node.iter_child_nodes():
        _collect_references(child, found)


def _reference(node: nodes.Node) -> tuple[str, ...] | None:
    if isinstance(node, nodes.Name):
        return (node.name,) if node.ctx == "load" else None
    if isinstance(node, nodes.Getattr):
        inner = _reference(node.node)
        return None if inner is None else (*inner, node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        inner = _reference(node.node)
        key = node.arg.value
        return None if inner is None or not isinstance(key, str | int) else (*inner, str(key))
    return None
