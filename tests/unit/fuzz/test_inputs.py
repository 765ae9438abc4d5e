"""Inputs walked from a schema, mutated from it, and drawn at random: deterministic, at the
boundaries, and judged valid or invalid exactly as the schema says."""

from __future__ import annotations

import jsonschema
import pytest

from mcpctl.engine.fuzz.inputs import HUGE_STRING, edge_cases, inline_refs, minimal
from mcpctl.engine.fuzz.instances import random_cases
from mcpctl.engine.fuzz.mutate import EXTRA_FIELD, mutations

SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 2, "maxLength": 10},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "order": {"type": "string", "enum": ["asc", "desc"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "filter": {"type": "object", "properties": {"since": {"type": "integer", "minimum": 0}}},
    },
    "required": ["query", "limit"],
    "additionalProperties": False,
}


def by_label(cases: list) -> dict:
    return {case.label: case.arguments for case in cases}


def test_the_base_is_the_smallest_valid_input() -> None:
    assert minimal(SCHEMA) == {"query": "aa", "limit": 1}


def test_edge_cases_are_deterministic() -> None:
    assert edge_cases(SCHEMA) == edge_cases(SCHEMA)


def test_edge_cases_reach_every_boundary() -> None:
    labels = by_label(edge_cases(SCHEMA))
    assert labels["limit: maximum"] == {"query": "aa", "limit": 50}
    assert labels["limit: maximum+step"] == {"query": "aa", "limit": 51}
    assert labels["limit: minimum-step"] == {"query": "aa", "limit": 0}
    assert labels["query: minLength-1"] == {"query": "a", "limit": 1}
    assert labels["query: maxLength+1"] == {"query": "a" * 11, "limit": 1}
    assert labels["query: empty"] == {"query": "", "limit": 1}
    assert labels["query: 1 MB"] == {"query": "x" * HUGE_STRING, "limit": 1}
    assert labels["ratio: exclusiveMinimum"]["ratio"] == 0
    assert labels['order: enum "desc"']["order"] == "desc"
    assert labels["tags: maxItems+1"]["tags"] == ["", "", "", ""]
    assert labels["filter/since: minimum-step"]["filter"] == {"since": -1}
    assert labels["limit: 2**63"]["limit"] == 2**63


def test_every_edge_case_is_judged_as_the_schema_judges_it() -> None:
    check = jsonschema.Draft202012Validator(SCHEMA)
    cases = edge_cases(SCHEMA)
    assert all(case.valid == check.is_valid(case.arguments) for case in cases)
    assert {True, False} == {case.valid for case in cases}
    assert by_label(cases)["minimal (required fields only)"] == {"query": "aa", "limit": 1}
    assert next(c for c in cases if c.label == "limit: maximum").valid is True
    assert next(c for c in cases if c.label == "limit: maximum+step").valid is False


def test_mutations_are_all_invalid_and_cover_each_kind() -> None:
    check = jsonschema.Draft202012Validator(SCHEMA)
    cases = mutations(SCHEMA, minimal(SCHEMA))
    assert cases
    assert not any(check.is_valid(case.arguments) for case in cases)
    labels = by_label(cases)
    assert labels["arguments: required 'query' missing"] == {"limit": 1}
    assert labels[f"arguments: unknown field {EXTRA_FIELD!r}"] == {
        "query": "aa",
        "limit": 1,
        EXTRA_FIELD: "x",
    }
    assert labels["limit: wrong type (integer expected)"] == {"query": "aa", "limit": "7"}
    assert labels["query: null"] == {"query": None, "limit": 1}
    assert labels["arguments: an array instead of an object"] == [{"query": "aa", "limit": 1}]


def test_no_extra_field_mutation_when_extra_fields_are_allowed() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert not any(EXTRA_FIELD in str(case.arguments) for case in mutations(schema, {}))


def test_random_instances_are_seeded_and_valid() -> None:
    first = random_cases(SCHEMA, count=30, seed=7)
    assert first.problem is None
    assert len(first.cases) > 10
    assert random_cases(SCHEMA, count=30, seed=7) == first
    assert random_cases(SCHEMA, count=30, seed=8) != first
    check = jsonschema.Draft202012Validator(SCHEMA)
    assert all(case.valid and check.is_valid(case.arguments) for case in first.cases)


def test_a_schema_hypothesis_cannot_handle_says_why() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "http://example.invalid/a.json"}}}
    generated = random_cases(schema, count=5, seed=0)
    assert generated.cases == ()
    assert generated.problem == (
        "random inputs unavailable (_RefResolutionError: hypothesis-jsonschema does not fetch remote "
        "references (uri='http://example.invalid/a.json'))"
    )


def test_local_refs_are_inlined() -> None:
    schema = {
        "type": "object",
        "properties": {"item": {"$ref": "#/$defs/Item", "description": "one"}},
        "$defs": {"Item": {"type": "integer", "maximum": 3}},
    }
    inlined = inline_refs(schema)
    assert inlined["properties"]["item"] == {"type": "integer", "maximum": 3, "description": "one"}
    assert "item: maximum+step" in by_label(edge_cases(inlined))


@pytest.mark.parametrize("schema", [{}, {"type": "object"}, {"type": "object", "properties": {}}])
def test_a_tool_without_arguments_gets_the_empty_object(schema: dict) -> None:
    assert edge_cases(schema)[0].arguments == {}


def test_edges_start_from_a_valid_instance_when_the_minimal_one_breaks_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}, "n": {"type": "integer"}},
        "required": ["code"],
    }
    cases = edge_cases(schema, fallback={"code": "EUR"})
    assert [(c.label, c.arguments, c.valid) for c in cases[:3]] == [
        ("minimal (required fields only)", {"code": ""}, False),
        ("a valid instance (the base of the edge cases)", {"code": "EUR"}, True),
        ("every optional field present", {"code": "EUR", "n": 0}, True),
    ]
    assert by_label(cases)["n: 2**63"] == {"code": "EUR", "n": 2**63}


def test_each_branch_of_an_any_of_gets_its_edges() -> None:
    schema = {
        "type": "object",
        "properties": {"note": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]}},
    }
    labels = by_label(edge_cases(schema))
    assert labels["note: maxLength+1"] == {"note": "aaaa"}
    assert labels["note: null"] == {"note": None}
