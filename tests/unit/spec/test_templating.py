"""Sandboxed templating: native values, text, undefined names, syntax errors, injection and limits."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from mcpctl.spec import templating
from mcpctl.spec.templating import TemplateError, compile_template, has_template, render_value, seeded_random

CONTEXT = {"steps": {"create": {"id": 42, "tags": ["a", "b"]}}, "name": "bob"}
TOO_LARGE = "template result would exceed 1048576 characters (1 MiB)"


def raises_exactly(message: str):
    return pytest.raises(TemplateError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("{{ steps.create.id }}", 42),
        ("{{ steps.create }}", {"id": 42, "tags": ["a", "b"]}),
        ("{{ steps.create.tags[1] }}", "b"),
        ("{{ steps.create.id + 1 }}", 43),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ none }}", None),
        ("{{ true }}", True),
        ("{{ dict(a=[1, {'b': 2.5}]) }}", {"a": [1, {"b": 2.5}]}),
        ("{{ range(3) | list }}", [0, 1, 2]),
        ("{{ [1, 2] | tojson }}", "[1, 2]"),
    ],
)
def test_a_single_expression_keeps_its_native_value(source: str, value: object) -> None:
    assert compile_template(source).evaluate(CONTEXT) == value


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("id={{ steps.create.id }}", "id=42"),
        ("{{ name }}-{{ steps.create.id }}", "bob-42"),
        ("{{ name ~ '/' ~ steps.create.id }}", "bob/42"),
        ("{{ name | upper }} {{ name.title() }}", "BOB Bob"),
        ("{{ steps.create.tags | join(',') }}", "a,b"),
        ("{{ 'a-b' | replace('-', '+') }}", "a+b"),
        ("{% for t in steps.create.tags %}[{{ t }}]{% endfor %}", "[a][b]"),
        ("{% if steps.create.id > 40 %}big{% else %}small{% endif %}", "big"),
        ("{{ steps.create.id }}\n", "42\n"),
    ],
)
def test_other_templates_render_to_text(source: str, text: str) -> None:
    assert compile_template(source).evaluate(CONTEXT) == text
    assert compile_template(source).render(CONTEXT) == text


def test_render_gives_text_even_for_a_single_expression() -> None:
    assert compile_template("{{ steps.create.id }}").render(CONTEXT) == "42"


def test_uuid_and_now() -> None:
    assert uuid.UUID(str(compile_template("{{ uuid() }}").evaluate({}))).version == 4
    assert compile_template("{{ uuid() }}").evaluate({}) != compile_template("{{ uuid() }}").evaluate({})
    now = compile_template("{{ now() }}").evaluate({})
    assert isinstance(now, str)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now)


def test_random_generators_draw_within_their_bounds() -> None:
    values = [compile_template("{{ random_int(1, 6) }}").evaluate({}) for _ in range(200)]
    assert set(values) == {1, 2, 3, 4, 5, 6}
    picked = {compile_template("{{ random_choice(['a', 'b']) }}").evaluate({}) for _ in range(50)}
    assert picked == {"a", "b"}
    text = compile_template("{{ random_string(12) }}").evaluate({})
    assert isinstance(text, str)
    assert re.fullmatch(r"[A-Za-z0-9]{12}", text)
    assert re.fullmatch(r"[ab]{5}", str(compile_template("{{ random_string(5, 'ab') }}").evaluate({})))


def test_seeded_generators_repeat_their_draws() -> None:
    template = compile_template("{{ random_int(0, 1000000) }} {{ random_string(8) }} {{ uuid() }}")

    def draws(seed: int) -> list[str]:
        with seeded_random(random.Random(seed)):
            return [template.render({}) for _ in range(5)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert uuid.UUID(draws(7)[0].split()[2]).version == 4


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ random_int(6, 1) }}", "random_int(6, 1): expected two integers, the first not above the second"),
        ("{{ random_choice([]) }}", "random_choice: expected a non-empty list, got list"),
        ("{{ random_string(-1) }}", "random_string(-1): expected a length from 0 to 1048576"),
    ],
)
def test_random_generators_refuse_bad_arguments(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template(source).evaluate({})
    assert str(caught.value) == message


def test_render_value_walks_nested_data() -> None:
    data = {
        "id": "{{ steps.create.id }}",
        "label": "item-{{ steps.create.id }}",
        "list": ["{{ name }}", 3, None, {"deep": "{{ steps.create.tags }}"}],
        "plain": "no template {here}",
        "flag": True,
    }
    assert render_value(data, CONTEXT) == {
        "id": 42,
        "label": "item-42",
        "list": ["bob", 3, None, {"deep": ["a", "b"]}],
        "plain": "no template {here}",
        "flag": True,
    }


def test_has_template() -> None:
    assert has_template("{{ x }}")
    assert has_template("{% if x %}{% endif %}")
    assert not has_template("{x} and { y }")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{{ missing }}",
            "template uses an undefined value: 'missing' is undefined (defined names: name, steps)",
        ),
        ("x{{ env }}", "template uses an undefined value: 'env' is undefined (defined names: name, steps)"),
        (
            "{{ steps.nope.id }}",
            "template uses an undefined value: 'dict object' has no attribute 'nope' (defined names: name, steps)",
        ),
        (
            "{{ lipsum(3) }}",
            "template uses an undefined value: 'lipsum' is undefined (defined names: name, steps)",
        ),
    ],
)
def test_undefined_names_are_errors(source: str, message: str) -> None:
    with raises_exactly(message):
        render_value(source, CONTEXT)


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        (
            "{{ x",
            "template syntax error on line 1: unexpected end of template, expected 'end of print statement'.",
            1,
        ),
        (
            "a\nb\n{% if %}",
            "template syntax error on line 3: Expected an expression, got 'end of statement block'",
            3,
        ),
        ("{{ 'x' | center(9) }}", "template syntax error on line 1: No filter named 'center'.", 1),
        ("{% macro f() %}{% endmacro %}", "macros are not allowed in templates (line 1 of the template)", 1),
        (
            "{% include 'x' %}",
            "templates cannot import, include or extend other templates (line 1 of the template)",
            1,
        ),
        (
            "{% for i in range(2) %}\n{% for j in range(2) %}{% endfor %}{% endfor %}",
            "nested and recursive loops are not allowed in templates (line 1 of the template)",
            1,
        ),
    ],
)
def test_invalid_templates_fail_when_compiled(source: str, message: str, line: int) -> None:
    with raises_exactly(message) as info:
        compile_template(source)
    assert info.value.line == line


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("{{ ''.__class__.__mro__ }}", "__mro__"),
        ("{{ cycler.__init__.__globals__ }}", "__globals__"),
        ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
        ("{{ uuid.__globals__['os'] }}", "__globals__"),
        ("{{ name['__class__'] }}", "__class__"),
        ("{{ x.__class__ is defined }}", "__class__"),
        ("{{ now.__code__ }}", "__code__"),
        ("{{ steps._private }}", "_private"),
    ],
)
def test_private_attributes_are_refused_when_compiled(source: str, name: str) -> None:
    with raises_exactly(
        f"template tried to reach Python internals: {name!r} is private (line 1 of the template)"
    ):
        compile_template(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{{ name | attr('__class__') }}",
            "template tried to reach Python internals: access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "{{ name['__cla' ~ 'ss__'] }}",
            "template tried to reach Python internals: access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "{{ '{0.__class__}'.format(name) }}",
            "templates may not call 'format'; they may call range, dict, uuid, now, random_int, random_choice, random_string()",
        ),
        (
            "{{ name.format }}",
            "template produced a function value, not data (strings, numbers, lists, mappings)",
        ),
        (
            "{{ self }}",
            "template produced a TemplateReference value, not data (strings, numbers, lists, mappings)",
        ),
        (
            "{{ ({}).update(a=1) }}",
            "template tried to reach Python internals: access to attribute 'update' of 'dict' object is unsafe.",
        ),
        ("{{ '%s' % name }}", "'%' string formatting is not allowed in templates; join strings with '~'"),
    ],
)
def test_injection_is_refused_at_run_time(source: str, message: str) -> None:
    with raises_exactly(message):
        render_value(source, CONTEXT)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x' * 10**9 }}", TOO_LARGE),
        ("{{ 10**9 * 'x' }}", TOO_LARGE),
        ("{{ [0] * 10**9 }}", TOO_LARGE),
        ("{% set a = 'x' * 1000000 %}{{ a ~ a }}", TOO_LARGE),
        ("{% set a = 'x' * 1000000 %}{{ a + a }}", TOO_LARGE),
        ("{% set a = 'x' * 1000 %}{{ ([a] * 2000) | join }}", TOO_LARGE),
        ("{% set a = 'x' * 1000 %}{{ ([a] * 1000) | join(a) }}", TOO_LARGE),
        ("{% set a = 'x' * 1000000 %}{{ a | replace('x', 'yy') }}", TOO_LARGE),
        (
            "{% set a = 'x' * 100000 %}{{ [a, a, a, a, a, a, a, a, a, a, a] | map('string') | join }}",
            TOO_LARGE,
        ),
        (
            "{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}",
            "template output exceeds 1048576 characters (1 MiB)",
        ),
        ("{{ 2 ** 100000 }}", "template computed an integer larger than 4096 bits"),
        ("{{ (2 ** 4000) * (2 ** 4000) }}", "template computed an integer larger than 4096 bits"),
        (
            "{{ range(10**9) | list }}",
            "template failed: OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
        ),
    ],
)
def test_sizes_are_limited_before_allocating(source: str, message: str) -> None:
    with raises_exactly(message):
        render_value(source, CONTEXT)


def test_renders_have_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "MAX_RENDER_SECONDS", 0.05)
    busy = "{% for c in 'x' * 100000 %}{{ (range(100000) | list | length) > 5 }}{% endfor %}"
    with raises_exactly("template took longer than 0.05s to render"):
        render_value(busy, {})


def test_runtime_errors_become_template_errors() -> None:
    with raises_exactly("template failed: ZeroDivisionError: division by zero"):
        render_value("{{ 1 / 0 }}", {})
