"""Checks on the meaning of a ``MockServer`` document that its schema cannot say.

Templates must compile in the sandbox (prompt messages may read only declared ``args``, template
texts only the URI template's ``params``); latency fields must fit their distribution; completions
must name a prompt argument or a resource template variable that exists. A ``mock:`` server entry
must name a file holding a MockServer document, or a bundled mock.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.errors import SpecError
from mcpctl.spec.build_suite import resolve
from mcpctl.spec.env import Secrets
from mcpctl.spec.loader import load_documents
from mcpctl.spec.mock_model import Completion, MockPrompt, MockResourceTemplate
from mcpctl.spec.semantics import check_exclusive, template_strings
from mcpctl.spec.templating import TemplateError, compile_template, references
from mcpctl.spec.units import parse_duration
from mcpctl.spec.validate import Cursor

Distribution = Literal["fixed", "uniform", "normal", "lognormal"]
"""The latency distributions (:attr:`mcpctl.spec.mock_model.Latency.distribution`)."""
LATENCY_FIELDS: dict[Distribution, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("min", "max"),
    "normal": ("mean", "stddev"),
    "lognormal": ("median", "sigma"),
}
"""The fields each latency distribution takes (and needs)."""
_VARIABLE = re.compile(
    r"\{\+?([A-Za-z0-9_.]+)\}"
)  # {name}, and {+name} (reserved expansion: may span slashes)
BUILTIN_PREFIX = "builtin:"
"""``mock: builtin:NAME`` names a mock bundled with mcpctl."""
_BUILTIN_NAME = re.compile(r"[a-z0-9-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Templates:
    """What templates at one place may read, when it is known: ``(owner, names)`` pairs such as
    ``("prompt 'greet'", ("name",))``; ``None`` leaves that part unchecked."""

    args: tuple[str, Sequence[str]] | None = None
    """A prompt's declared arguments (``args.NAME``)."""
    params: tuple[str, Sequence[str]] | None = None
    """A resource template's URI variables (``params.NAME``)."""
    answer: bool | None = None
    """Whether ``answer`` (the client's result of an ``ask``) is there; ``None``: unchecked."""


def check_templates(cursor: Cursor | None, scope: Templates) -> bool:
    """Report every template string inside the value at ``cursor`` that does not compile or reads
    what is not there; whether the value holds any template string at all."""
    found = False
    for template in template_strings(cursor):
        found = True
        problem = _template_problem(str(template.node.value), scope)
        if problem:
            template.error(problem)
    return found


def _template_problem(text: str, scope: Templates) -> str | None:
    try:
        compile_template(text)
        chains = references(text)
    except TemplateError as exc:
        return str(exc)
    for chain in sorted(chains):
        if chain and chain[0] == "answer" and scope.answer is False:
            return "answer is only set in a response with an ask (the client's result of that request)"
        if len(chain) < 2:
            continue
        if chain[0] == "args" and scope.args is not None:
            problem = _missing(chain[1], "args", scope.args, "argument")
        elif chain[0] == "params" and scope.params is not None:
            problem = _missing(chain[1], "params", scope.params, "variable")
        else:
            continue
        if problem:
            return problem
    return None


def _missing(name: str, root: str, known: tuple[str, Sequence[str]], noun: str) -> str | None:
    owner, names = known
    if name in names:
        return None
    listed = f"{noun}s: {', '.join(names)}" if names else f"it has no {noun}s"
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{root}.{name} is not {article} {noun} of {owner} ({listed})"


def check_latency(cursor: Cursor) -> Distribution:
    """The distribution of the latency mapping at ``cursor``, reporting missing and foreign fields,
    ``min`` above ``max`` and a ``sigma`` that is not positive."""
    written = cursor.text("distribution")
    distribution: Distribution = next((name for name in LATENCY_FIELDS if name == written), "fixed")
    fields = LATENCY_FIELDS[distribution]
    for name, field in cursor.items():
        if name != "distribution" and name not in fields:
            takes = " and ".join(fields)
            field.error(f"{name} does not apply to a {distribution} latency (it takes {takes})", key=True)
    missing = [name for name in fields if cursor.get(name) is None]
    if missing:
        cursor.error(f"a {distribution} latency needs {' and '.join(missing)}")
    low, high, sigma = cursor.get("min"), cursor.get("max"), cursor.get("sigma")
    if distribution == "uniform" and low is not None and high is not None:
        _check_order(low, high)
    if distribution == "lognormal" and sigma is not None:
        value = sigma.plain()
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            sigma.error(f"sigma must be greater than 0 (got {value})")
    return distribution


def _check_order(low: Cursor, high: Cursor) -> None:
    try:
        shortest, longest = parse_duration(str(low.plain())), parse_duration(str(high.plain()))
    except ValueError:  # reported where the duration is built
        return
    if shortest.seconds > longest.seconds:
        high.error(f"max must not be below min ({longest} < {shortest})")


def template_variables(uri_template: str) -> tuple[str, ...]:
    """The variables of an RFC 6570 level-1 URI template (and ``{+name}``), in order: ``repo://{owner}/{name}`` →
    ``("owner", "name")``."""
    return tuple(dict.fromkeys(_VARIABLE.findall(uri_template)))


def check_completions(
    items: list[Cursor], prompts: Sequence[MockPrompt], templates: Sequence[MockResourceTemplate]
) -> tuple[Completion, ...]:
    """The completions at ``items``, each naming an argument of a prompt or a variable of a resource
    template that exists (reported where not)."""
    by_name: dict[str, MockPrompt] = {}
    by_template: dict[str, MockResourceTemplate] = {}
    for prompt in prompts:
        by_name.setdefault(prompt.name, prompt)  # a repeat was reported: the first one stands
    for template in templates:
        by_template.setdefault(template.uri_template, template)
    built = []
    for item in items:
        check_exclusive(item, ("prompt", "resource"), "completion")
        keys = item.node.keys
        first = min(("prompt", "resource"), key=lambda name: keys.get(name, (1 << 30, 0)))
        ref_type: Literal["prompt", "resource"] = "prompt" if first == "prompt" else "resource"
        ref, argument = item.get(ref_type), item.get("argument")
        assert ref is not None  # the schema requires it
        assert argument is not None
        if ref_type == "prompt":
            _check_prompt_ref(ref, argument, by_name)
        else:
            _check_template_ref(ref, argument, by_template)
        values = item.get("values")
        built.append(
            Completion(
                ref_type=ref_type,
                ref=str(ref.plain()),
                argument=str(argument.plain()),
                values=tuple(str(v.plain()) for v in values.elements()) if values is not None else (),
            )
        )
    return tuple(built)


def _check_prompt_ref(ref: Cursor, argument: Cursor, prompts: dict[str, MockPrompt]) -> None:
    name = str(ref.plain())
    prompt = prompts.get(name)
    if prompt is None:
        listed = f"prompts: {', '.join(prompts)}" if prompts else "no prompts are defined"
        ref.error(f"unknown prompt {name!r} ({listed})")
        return
    names = [arg.name for arg in prompt.arguments]
    if argument.plain() not in names:
        listed = f"arguments: {', '.join(names)}" if names else "it has no arguments"
        argument.error(f"prompt {name!r} has no argument {argument.plain()!r} ({listed})")


def _check_template_ref(ref: Cursor, argument: Cursor, templates: dict[str, MockResourceTemplate]) -> None:
    uri_template = str(ref.plain())
    template = templates.get(uri_template)
    if template is None:
        listed = (
            f"resourceTemplates: {', '.join(templates)}" if templates else "no resourceTemplates are defined"
        )
        ref.error(f"unknown resource template {uri_template!r} ({listed})")
        return
    variables = template_variables(uri_template)
    if argument.plain() not in variables:
        listed = f"variables: {', '.join(variables)}" if variables else "it has no variables"
        argument.error(f"resource template {uri_template!r} has no variable {argument.plain()!r} ({listed})")


def mock_spec(field: Cursor, *, base_dir: str, environ: Mapping[str, str], secrets: Secrets) -> str:
    """What ``mock:`` at ``field`` names: ``builtin:NAME``, or a MockServer spec file (resolved against
    ``base_dir``; it must load and hold a MockServer document, its own validation comes when it is
    served or validated)."""
    text = str(field.plain())
    if text.startswith(BUILTIN_PREFIX):
        check_builtin(field, text.removeprefix(BUILTIN_PREFIX))
        return text
    path = resolve(base_dir, text)
    check_mock_file(field, path, environ=environ, secrets=secrets)
    return path


def check_builtin(field: Cursor, name: str) -> None:
    """Report a ``builtin:NAME`` that is malformed or (when the bundled mocks are known) unknown."""
    if not _BUILTIN_NAME.fullmatch(name):
        field.error(
            f"{BUILTIN_PREFIX + name!r} is not a bundled mock name: use lowercase letters, digits "
            "and '-' after builtin: (builtin:github)"
        )
        return
    known = _builtin_names()
    if known is not None and name not in known:
        listed = ", ".join(sorted(known)) or "none"
        field.error(f"no bundled mock named {name!r} (bundled: {listed}; see mcpctl mock list)")


def _builtin_names() -> Collection[str] | None:
    """The bundled mocks, or ``None`` (any name goes) in a build that does not ship them."""
    try:
        module = importlib.import_module("mcpctl.mock.builtin")
    except ModuleNotFoundError as exc:
        if exc.name not in ("mcpctl.mock", "mcpctl.mock.builtin"):
            raise
        return None
    names = getattr(module, "names", None)
    found = names() if callable(names) else None
    return frozenset(str(item) for item in found) if isinstance(found, list | tuple | set) else None


def check_mock_file(field: Cursor, path: str, *, environ: Mapping[str, str], secrets: Secrets) -> None:
    """Report a ``mock:`` file that is missing, does not load, or holds no MockServer document (its
    own validation happens when it is served or validated)."""
    if not os.path.isfile(path):
        field.error(f"{path}: no such file")
        return
    try:
        documents = load_documents(path, environ=environ, secrets=secrets)
    except SpecError as exc:
        field.error(f"cannot load the MockServer spec: {exc}")
        return
    kinds = [kind.value for doc in documents if (kind := doc.root.child("kind")) is not None]
    if "MockServer" not in kinds:
        found = ", ".join(str(kind) for kind in kinds) or "no kind"
        field.error(f"{path}: holds no MockServer document (found: {found})")
