"""The surgical JSON/JSONC editor: exact output texts, untouched bytes, errors that say where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from mcpctl.engine.batch.jsonc_edit import (
    AddEntry,
    ConfigShapeError,
    EntryConflict,
    EntryMissing,
    RemoveEntry,
    ReplaceEntry,
    UpdateEntry,
    edit,
    read_entries,
    same,
)
from mcpctl.engine.batch.jsonc_tree import JSON, ConfigSyntaxError, parse_tree

DATA = Path(__file__).resolve().parents[2] / "data" / "client_configs"
WEATHER: JSON = {"command": "mcpctl", "args": ["mock", "serve", "weather.yaml"]}


def sample(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8")


def only_inserted(old: str, new: str, at: int) -> str:
    """``new`` is ``old`` with text inserted at ``at``, nothing else changed: return the insertion."""
    tail = len(old) - at
    assert new[:at] == old[:at]
    assert new[len(new) - tail :] == old[at:]
    return new[at : len(new) - tail]


# -- adding -------------------------------------------------------------------------------------
def test_add_to_claude_desktop_keeps_every_other_byte() -> None:
    old = sample("claude_desktop_config.json")
    new = edit(old, ["mcpServers"], AddEntry(name="weather", value=WEATHER), jsonc=False, path="c.json")
    at = old.index('\n  },\n  "preferences"')
    assert only_inserted(old, new, at) == (
        ',\n    "weather": {\n      "command": "mcpctl",\n      "args": [\n'
        '        "mock",\n        "serve",\n        "weather.yaml"\n      ]\n    }'
    )
    json.loads(new)  # still plain JSON


def test_add_to_cursor_uses_tabs_and_crlf() -> None:
    old = sample("cursor_mcp.json")
    assert old.count("\r\n") == old.count("\n")  # the fixture really is CRLF
    new = edit(
        old, ["mcpServers"], AddEntry(name="w", value={"url": "http://x/mcp"}), jsonc=False, path="m.json"
    )
    at = old.index("\r\n\t},")
    assert only_inserted(old, new, at) == ',\r\n\t\t"w": {\r\n\t\t\t"url": "http://x/mcp"\r\n\t\t}'


def test_add_to_vscode_keeps_comments_and_the_trailing_comma() -> None:
    old = sample("vscode_mcp.json")
    new = edit(
        old, ["servers"], AddEntry(name="w", value={"type": "http", "url": "u"}), jsonc=True, path="m.json"
    )
    at = old.index("\n    },\n}")  # after the comment that follows the last server
    assert only_inserted(old, new, at) == (
        '\n        "w": {\n            "type": "http",\n            "url": "u"\n        },'
    )


def test_add_to_a_minified_file_stays_on_one_line() -> None:
    old = sample("claude_code_mcp.json")
    new = edit(
        old, ["mcpServers"], AddEntry(name="w", value={"type": "sse", "url": "u"}), jsonc=False, path="m"
    )
    assert only_inserted(old, new, len(old) - 2) == ',"w":{"type":"sse","url":"u"}'


def test_add_under_a_nested_key_path_with_three_spaces_and_a_bom() -> None:
    old = sample("custom_three_spaces.json")
    new = edit(old, ["mcp", "servers"], AddEntry(name="w", value={"command": "w"}), jsonc=False, path="c")
    at = old.index("\n      }\n   }")
    assert only_inserted(old, new, at) == ',\n         "w": {\n            "command": "w"\n         }'
    assert new.startswith("\ufeff{")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", '{\n  "mcpServers": {\n    "w": {\n      "command": "w"\n    }\n  }\n}\n'),
        ("\r\n", '{\r\n  "mcpServers": {\r\n    "w": {\r\n      "command": "w"\r\n    }\r\n  }\r\n}\r\n'),
        ("{}\n", '{\n  "mcpServers": {\n    "w": {\n      "command": "w"\n    }\n  }\n}\n'),
        ('{"a": 1}', '{"a": 1, "mcpServers": {"w": {"command": "w"}}}'),
        (
            '{\n\t"a": 1\n}',
            '{\n\t"a": 1,\n\t"mcpServers": {\n\t\t"w": {\n\t\t\t"command": "w"\n\t\t}\n\t}\n}',
        ),
        ('{\n  "mcpServers": {}\n}', '{\n  "mcpServers": {\n    "w": {\n      "command": "w"\n    }\n  }\n}'),
        (
            '{\n  "mcpServers": {\n  }\n}',
            '{\n  "mcpServers": {\n    "w": {\n      "command": "w"\n    }\n  }\n}',
        ),
        ('{"mcpServers": { }}', '{"mcpServers": {"w": {"command": "w"}}}'),
    ],
)
def test_add_creates_what_is_missing(old: str, new: str) -> None:
    assert edit(old, ["mcpServers"], AddEntry(name="w", value={"command": "w"}), jsonc=False, path="f") == new


def test_add_into_an_empty_object_after_a_comment_on_its_line() -> None:
    old = '{\n  "servers": { // none yet\n  }\n}'
    new = edit(old, ["servers"], AddEntry(name="w", value=1), jsonc=True, path="f")
    assert new == '{\n  "servers": { // none yet\n    "w": 1\n  }\n}'


def test_a_comment_after_the_last_entry_stays_with_it() -> None:
    old = '{\n  "servers": {\n    "a": 1 // first\n  }\n}'
    new = edit(old, ["servers"], AddEntry(name="b", value=2), jsonc=True, path="f")
    assert new == '{\n  "servers": {\n    "a": 1, // first\n    "b": 2\n  }\n}'
    assert edit(new, ["servers"], RemoveEntry(name="b"), jsonc=True, path="f") == old


def test_an_identical_entry_is_left_alone() -> None:
    old = sample("claude_desktop_config.json")
    existing = read_entries(old, ["mcpServers"], jsonc=False, path="c")["sqlite"]
    assert edit(old, ["mcpServers"], AddEntry(name="sqlite", value=existing), jsonc=False, path="c") is old


def test_a_different_entry_is_refused_unless_forced() -> None:
    old = sample("claude_desktop_config.json")
    with pytest.raises(EntryConflict) as caught:
        edit(old, ["mcpServers"], AddEntry(name="sqlite", value=WEATHER), jsonc=False, path="c.json")
    assert (
        str(caught.value)
        == "c.json: mcpServers.sqlite: already exists with a different value (force replaces it)"
    )
    assert caught.value.exit_code == 2
    forced = edit(
        old, ["mcpServers"], AddEntry(name="sqlite", value=WEATHER, force=True), jsonc=False, path="c"
    )
    start = old.index('{\n      "command": "uvx"')
    end = old.index('\n  },\n  "preferences"')
    assert forced == old[:start] + json.dumps(WEATHER, indent=2).replace("\n", "\n    ") + old[end:]


def test_numbers_and_booleans_are_not_the_same_value() -> None:
    assert not same(1, 1.0)
    assert not same(True, 1)
    assert not same({"a": [1]}, {"a": [True]})
    assert same({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]})


# -- replacing, updating, removing --------------------------------------------------------------
def test_replace_needs_the_entry() -> None:
    with pytest.raises(EntryMissing) as caught:
        edit('{"mcpServers": {}}', ["mcpServers"], ReplaceEntry(name="w", value=1), jsonc=False, path="f")
    assert str(caught.value) == "f: mcpServers.w: no such entry"


def test_update_sets_and_unsets_fields_in_place() -> None:
    old = sample("vscode_mcp.json")
    op = UpdateEntry(
        name="fetch", set={"args": ["mcp-server-fetch==1.2"], "env": {"A": "b"}}, unset=("command",)
    )
    new = edit(old, ["servers"], op, jsonc=True, path="m.json")
    assert new == old.replace(
        '            "command": "uvx",\n            "args": ["mcp-server-fetch"],\n',
        '            "args": [\n                "mcp-server-fetch==1.2"\n            ],\n'
        '            "env": {\n                "A": "b"\n            },\n',
    )


def test_update_of_a_one_line_entry_stays_on_one_line() -> None:
    old = '{\n  "mcpServers": {\n    "a": {"command": "x", "args": []}\n  }\n}\n'
    new = edit(
        old, ["mcpServers"], UpdateEntry(name="a", set={"args": ["-v"], "url": "u"}), jsonc=False, path="f"
    )
    assert new == '{\n  "mcpServers": {\n    "a": {"command": "x", "args": ["-v"], "url": "u"}\n  }\n}\n'
    assert edit(new, ["mcpServers"], UpdateEntry(name="a", set={"url": "u"}), jsonc=False, path="f") is new


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ('{"s": {"a": 1, "b": 2, "c": 3}}', "a", '{"s": {"b": 2, "c": 3}}'),
        ('{"s": {"a": 1, "b": 2, "c": 3}}', "b", '{"s": {"a": 1, "c": 3}}'),
        ('{"s": {"a": 1, "b": 2, "c": 3}}', "c", '{"s": {"a": 1, "b": 2}}'),
        ('{"s": {"a": 1}}', "a", '{"s": {}}'),
        ('{"s": {"a": 1,}}', "a", '{"s": {}}'),
        ('{"s": {"a": 1, "b": 2,}}', "b", '{"s": {"a": 1,}}'),
        ('{\n "s": {\n  "a": 1,\n  "b": 2\n }\n}', "a", '{\n "s": {\n  "b": 2\n }\n}'),
        ('{\n "s": {\n  "a": 1,\n  "b": 2\n }\n}', "b", '{\n "s": {\n  "a": 1\n }\n}'),
        ('{\n "s": {\n  "a": 1\n }\n}', "a", '{\n "s": {}\n}'),
        ('{\n "s": {\n  "a": 1, // one\n  "b": 2 // two\n }\n}', "b", '{\n "s": {\n  "a": 1 // one\n }\n}'),
        (
            '{\n "s": {\n  "a": 1,\n  // about b\n  "b": 2,\n }\n}',
            "b",
            '{\n "s": {\n  "a": 1,\n  // about b\n }\n}',
        ),
        ('{\r\n "s": {\r\n  "a": 1,\r\n  "b": 2\r\n }\r\n}', "b", '{\r\n "s": {\r\n  "a": 1\r\n }\r\n}'),
    ],
)
def test_remove(old: str, name: str, new: str) -> None:
    assert edit(old, ["s"], RemoveEntry(name=name), jsonc=True, path="f") == new


def test_remove_of_a_missing_entry() -> None:
    with pytest.raises(EntryMissing) as caught:
        edit('{"s": {}}', ["s"], RemoveEntry(name="w"), jsonc=False, path="f")
    assert str(caught.value) == "f: s.w: no such entry"
    assert (
        edit('{"x": 1}', ["s"], RemoveEntry(name="w", missing_ok=True), jsonc=False, path="f") == '{"x": 1}'
    )
    assert edit("", ["s"], RemoveEntry(name="w", missing_ok=True), jsonc=False, path="f") == ""


@pytest.mark.parametrize(
    ("name", "key_path", "jsonc"),
    [
        ("claude_desktop_config.json", ["mcpServers"], False),
        ("cursor_mcp.json", ["mcpServers"], False),
        ("vscode_mcp.json", ["servers"], True),
        ("claude_code_mcp.json", ["mcpServers"], False),
        ("custom_three_spaces.json", ["mcp", "servers"], False),
    ],
)
def test_add_then_remove_gives_back_the_original_bytes(name: str, key_path: list[str], jsonc: bool) -> None:
    old = sample(name)
    added = edit(old, key_path, AddEntry(name="w", value=WEATHER), jsonc=jsonc, path=name)
    assert edit(added, key_path, RemoveEntry(name="w"), jsonc=jsonc, path=name) == old


def test_remove_then_add_again_round_trips_entries_in_the_files_layout() -> None:
    # an entry laid out as mcpctl writes it comes back byte for byte; one written otherwise (the
    # sample's one-line "args") comes back in the file's indent style: same value, other bytes
    old = edit(
        sample("claude_desktop_config.json"),
        ["mcpServers"],
        AddEntry(name="w", value=WEATHER),
        jsonc=False,
        path="c",
    )
    removed = edit(old, ["mcpServers"], RemoveEntry(name="w"), jsonc=False, path="c")
    assert edit(removed, ["mcpServers"], AddEntry(name="w", value=WEATHER), jsonc=False, path="c") == old
    sqlite = read_entries(old, ["mcpServers"], jsonc=False, path="c")["sqlite"]
    without = edit(old, ["mcpServers"], RemoveEntry(name="sqlite"), jsonc=False, path="c")
    again = edit(without, ["mcpServers"], AddEntry(name="sqlite", value=sqlite), jsonc=False, path="c")
    assert again != old
    assert same(read_entries(again, ["mcpServers"], jsonc=False, path="c")["sqlite"], sqlite)


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "jsonc", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', True, "f.json:3:3: invalid JSON: expected ',' or '}'"),
        (
            '{\n  // c\n  "a": 1\n}',
            False,
            "f.json:2:3: invalid JSON: comments are not allowed in this JSON file",
        ),
        (
            '{"a": [1, 2,]}',
            False,
            "f.json:1:12: invalid JSON: trailing commas are not allowed in this JSON file",
        ),
        ('{"a": "b\n"}', False, "f.json:1:7: invalid JSON: unterminated string"),
        ('{"a": tru}', False, "f.json:1:7: invalid JSON: expected a value, found 't'"),
        ("\ufeff{x}", False, "f.json:1:2: invalid JSON: expected a quoted key or '}'"),
        ('{"a": 1} x', False, "f.json:1:10: invalid JSON: unexpected text after the end of the document"),
        ('{"a": 1 /* open', True, "f.json:1:16: invalid JSON: unterminated /* comment"),
        ('{"a": 1', False, "f.json:1:8: invalid JSON: expected ',' or '}'"),
        ('{"a": "\\x"}', False, "f.json:1:8: invalid JSON: invalid \\escape"),
    ],
)
def test_parse_errors_name_the_file_line_and_column(text: str, jsonc: bool, message: str) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        edit(text, ["mcpServers"], AddEntry(name="w", value=1), jsonc=jsonc, path="f.json")
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "f: (top level): expected an object, found an array"),
        ('{"mcpServers": "x"}', "f: mcpServers: expected an object, found a string"),
        ('{"mcpServers": {"w": null}}', "f: mcpServers.w: expected an object, found null"),
    ],
)
def test_shape_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigShapeError) as caught:
        edit(text, ["mcpServers"], UpdateEntry(name="w", set={"url": "u"}), jsonc=False, path="f")
    assert str(caught.value) == message


# -- any document -------------------------------------------------------------------------------
_KEYS = st.text(alphabet=st.sampled_from('ab"\\/*é\u2028 :,{'), max_size=4)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _KEYS
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)
_GAPS = ["", " ", "\n", "\n  ", "\t", "\r\n    ", "\n\t\t"]
_COMMENTS = [" // c: {\n", "/* , */", "\n/* } */\n  "]


def render(data: st.DataObject, value: JSON, jsonc: bool) -> str:
    """``value`` as JSON text with random whitespace (and comments and trailing commas for JSONC)."""

    def gap() -> str:
        choices = _GAPS + (_COMMENTS if jsonc else [])
        return data.draw(st.sampled_from(choices)) if data.draw(st.booleans()) else ""

    def walk(v: JSON) -> str:
        if isinstance(v, dict):
            parts = [gap() + json.dumps(k) + gap() + ":" + gap() + walk(x) + gap() for k, x in v.items()]
        elif isinstance(v, list):
            parts = [gap() + walk(x) + gap() for x in v]
        else:
            return json.dumps(v, ensure_ascii=data.draw(st.booleans()))
        trailing = "," + gap() if parts and jsonc and data.draw(st.booleans()) else ""
        inner = ",".join(parts) + trailing if parts else gap()
        return ("{" + inner + "}") if isinstance(v, dict) else ("[" + inner + "]")

    return gap() + walk(value) + gap()


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    others=st.dictionaries(_KEYS.filter(lambda k: k != "servers"), _VALUES, max_size=3),
    servers=st.none() | st.dictionaries(st.sampled_from(["a", "b", "c", "d/e"]), _VALUES, max_size=4),
    jsonc=st.booleans(),
    value=_VALUES,
)
def test_any_document_add_and_remove(
    data: st.DataObject, others: dict[str, JSON], servers: dict[str, JSON] | None, jsonc: bool, value: JSON
) -> None:
    document: dict[str, JSON] = dict(others)
    if servers is not None:
        document["servers"] = servers
    old = render(data, document, jsonc)
    note(f"old text: {old!r}")
    root = parse_tree(old, jsonc=jsonc, path="f")
    assert same(root.data, document)
    container = root.member("servers")

    new = edit(old, ["servers"], AddEntry(name="new", value=value), jsonc=jsonc, path="f")
    expected = json.loads(json.dumps(document))
    expected.setdefault("servers", {})["new"] = value
    assert same(parse_tree(new, jsonc=jsonc, path="f").data, expected)
    if not jsonc:
        assert same(json.loads(new.lstrip("\ufeff")), expected)
    holder = container.value if container is not None else root
    kept = holder.members[-1].value.end if holder.members else holder.start + 1
    assert new.startswith(old[:kept])
    assert new.endswith(old[holder.end - 1 :])
    interior = old[holder.start + 1 : holder.end - 1]
    if container is not None and (holder.members or interior == ""):
        assert edit(new, ["servers"], RemoveEntry(name="new"), jsonc=jsonc, path="f") == old

    if servers:
        name = data.draw(st.sampled_from(sorted(servers)))
        assert container is not None
        members = container.value.members
        index = next(i for i, m in enumerate(members) if m.key == name)
        removed = edit(old, ["servers"], RemoveEntry(name=name), jsonc=jsonc, path="f")
        note(f"without {name!r}: {removed!r}")
        expected = json.loads(json.dumps(document))
        del expected["servers"][name]
        assert same(parse_tree(removed, jsonc=jsonc, path="f").data, expected)
        before = members[index - 1].value.end if index else container.value.start + 1
        after = members[index + 1].key_start if index + 1 < len(members) else container.value.end - 1
        assert removed.startswith(old[:before])
        assert removed.endswith(old[after:])
