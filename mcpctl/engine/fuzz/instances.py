"""Random valid instances of an ``inputSchema``, from hypothesis-jsonschema, seeded.

Hypothesis is driven as a generator, not as a test runner: one ``@given`` function that collects
what it is given, with no example database, the generate phase only and ``hypothesis.seed`` set, so
the same seed gives the same instances. It is blocking (run it in a thread from trio).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from mcpctl.engine.fuzz.inputs import MAX_DEPTH, Case, checker, encodable, properties, required, type_of
from mcpctl.mcp.jsonrpc import JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class Generated:
    """The random cases for one schema, or why there are none (``problem``)."""

    cases: tuple[Case, ...] = ()
    problem: str | None = None


def random_cases(schema: Mapping[str, Any], *, count: int, seed: int) -> Generated:
    """Up to ``count`` distinct instances of ``schema``; a schema hypothesis-jsonschema cannot handle
    gives none and says why."""
    if count <= 0:
        return Generated()
    try:
        values = _draw(dict(schema), count=count, seed=seed)
    except Exception as exc:  # hypothesis-jsonschema raises assorted errors for schemas it cannot handle
        return Generated(problem=f"random inputs unavailable ({type(exc).__name__}: {_first_line(exc)})")
    validator = checker(schema)
    cases: list[Case] = []
    seen: set[bytes] = set()
    for value in values:
        if not encodable(value):
            continue
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if key not in seen:
            seen.add(key)
            valid = bool(validator.is_valid(value))
            cases.append(
                Case(label=f"random #{len(cases) + 1}", arguments=value, valid=valid, origin="random")
            )
    return Generated(cases=tuple(cases))


def _strategy(schema: Any, depth: int = 0) -> Any:
    """hypothesis-jsonschema's strategy for ``schema``, except objects with plain ``properties`` and
    arrays of them, composed here: its object strategy uses a hypothesis internal (``many.more``)
    that hypothesis 6.1xx removed, and tool arguments are always objects."""
    from hypothesis import strategies as st
    from hypothesis_jsonschema import from_schema

    if isinstance(schema, Mapping) and depth < 2 * MAX_DEPTH and not _OBJECT_EXTRAS & schema.keys():
        kind = type_of(schema)
        if kind == "object" and isinstance(schema.get("properties"), Mapping):
            props, needed = properties(schema), set(required(schema))
            return st.fixed_dictionaries(
                {name: _strategy(props.get(name, {}), depth + 1) for name in sorted(needed)},
                optional={n: _strategy(s, depth + 1) for n, s in props.items() if n not in needed},
            )
        if (
            kind == "array"
            and isinstance(schema.get("items"), Mapping)
            and type_of(schema["items"]) == "object"
        ):
            low = schema.get("minItems", 0)
            return st.lists(
                _strategy(schema["items"], depth + 1), min_size=low, max_size=schema.get("maxItems", low + 5)
            )
    return from_schema(schema)


_OBJECT_EXTRAS = frozenset(
    {
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "patternProperties",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "enum",
        "const",
    }
)


def _draw(schema: dict[str, Any], *, count: int, seed: int) -> list[JSONValue]:
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings

    _keep_out_of_the_working_directory()
    strategy = _strategy(schema)
    drawn: list[JSONValue] = []

    @hypothesis.seed(seed)
    @settings(
        max_examples=count,
        database=None,
        derandomize=False,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def collect(value: JSONValue) -> None:
        drawn.append(value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis-jsonschema warns about schemas it rewrites
        collect()
    return drawn


def _keep_out_of_the_working_directory() -> None:
    """Hypothesis caches what it learns under ``./.hypothesis`` even without an example database: a
    fuzz run must not litter the user's project, so its home is a fixed folder in the temp directory
    (unless ``HYPOTHESIS_STORAGE_DIRECTORY`` says otherwise)."""
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "mcpctl-hypothesis"))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else "no detail"
