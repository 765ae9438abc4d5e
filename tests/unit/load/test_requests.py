"""A scenario entry's params: built once without templates, rendered per request with them."""

from __future__ import annotations

from mcpctl.engine.load.requests import Entry
from mcpctl.spec.load_model import LoadCall
from mcpctl.spec.model import CallTool, ReadResource, Source

SOURCE = Source(path="t.yaml", line=1, column=1)


def entry(action: CallTool | ReadResource) -> Entry:
    return Entry(LoadCall(name="e", action=action, source=SOURCE))


def test_an_entry_without_templates_builds_its_params_once() -> None:
    echo = entry(CallTool(tool="echo", arguments={"message": "hi", "tags": ["a", {"b": 1}]}))
    assert echo.fixed
    assert echo.fixed_params == {"name": "echo", "arguments": {"message": "hi", "tags": ["a", {"b": 1}]}}
    read = entry(ReadResource(uri="res://readme"))
    assert (read.fixed, read.fixed_params) == (True, {"uri": "res://readme"})


def test_a_template_anywhere_makes_the_entry_render_each_request() -> None:
    echo = entry(CallTool(tool="echo", arguments={"deep": [{"x": "{{ vu }}"}]}))
    assert not echo.fixed
    assert echo.render({"vu": 3}) == ({"deep": [{"x": 3}]}, "")
    read = entry(ReadResource(uri="res://item/{{ iteration }}"))
    assert not read.fixed
    assert read.render({"iteration": 7}) == ({}, "res://item/7")
