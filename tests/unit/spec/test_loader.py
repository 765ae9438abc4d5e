"""Spec loading: positions kept, broken files refused with the exact ``file:line:col`` (STYLE.md rule 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.errors import SpecError
from mcpctl.spec.env import Secrets
from mcpctl.spec.loader import MAX_DEPTH, MAX_SPEC_BYTES, load_documents, load_paths, spec_files
from mcpctl.spec.node import format_path, parse_path

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: smoke}
tests:
  - name: echo
    call: echo
    with: {text: hi}
    expect:
      text: hi
"""


def write(tmp_path: Path, content: str | bytes, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def error_of(path: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(SpecError) as caught:
        load_documents(path, environ=environ or {})
    assert caught.value.exit_code == 2
    return str(caught.value)


# -- refused files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "a: 1\nb:\n  c: 2\n  c: 3\n", "4:3: duplicate key 'c' (first at line 3)", id="duplicate-key"
        ),
        pytest.param("{a: 1, a: 2}\n", "1:8: duplicate key 'a' (first at line 1)", id="duplicate-flow-key"),
        pytest.param(
            "a:\n\tb: 1\n", "2:1: tabs are not allowed for indentation; use spaces", id="tab-indent"
        ),
        pytest.param(
            "a:\n  - x\n  -\ty\n", "3:4: tabs are not allowed here; use spaces", id="tab-after-dash"
        ),
        pytest.param("", "1:1: file is empty (no YAML documents)", id="empty-file"),
        pytest.param("# only a comment\n\n", "1:1: file is empty (no YAML documents)", id="comments-only"),
        pytest.param("a: 1\n---\n---\nb: 2\n", "2:1: document 2 is empty", id="empty-document"),
        pytest.param("a: 1\n---\n", "2:1: document 2 is empty", id="trailing-separator"),
        pytest.param("~\n", "1:1: document 1 is empty", id="null-document"),
        pytest.param(
            'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: [*b, *b]\n',
            "1:4: anchors are not allowed in specs",
            id="billion-laughs",
        ),
        pytest.param("a: *x\n", "1:4: aliases are not allowed in specs", id="alias"),
        pytest.param(
            "a: [1, 2\nb: 3\n",
            "2:2: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 1)",
            id="unclosed-flow",
        ),
        pytest.param(
            "a: 1\n b: 2\n", "2:3: invalid YAML: mapping values are not allowed here", id="bad-indent"
        ),
        pytest.param("a:\n  1: x\n", '2:3: key 1 is read as int, not a string; quote it: "1"', id="int-key"),
        pytest.param(
            "on: push\n", '1:1: key on is read as bool, not a string; quote it: "on"', id="bool-key"
        ),
        pytest.param("? [a]\n: 1\n", "1:3: mapping keys must be strings, not collections", id="list-key"),
        pytest.param("a:\n  <<: {b: 1}\n", "2:3: merge keys (<<) are not allowed in specs", id="merge-key"),
        pytest.param("a: !!binary aGk=\n", "1:4: unsupported tag '!!binary'", id="binary-tag"),
        pytest.param(
            "a: !!python/object:os.system x\n",
            "1:4: unsupported tag '!!python/object:os.system'",
            id="python-tag",
        ),
        pytest.param("a: !!set {x}\n", "1:4: unsupported tag '!!set'", id="set-tag"),
        pytest.param("a: 1\nb: x\x07y\n", "2:5: character U+0007 is not allowed in YAML", id="control-char"),
        pytest.param(
            "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",
            f"1:{MAX_DEPTH + 3}: nested deeper than {MAX_DEPTH} levels",
            id="too-deep",
        ),
        pytest.param(
            "a:\n  token: 'Bearer ${env:MISSING}'\n",
            "2:10: environment variable MISSING is not set",
            id="missing-env",
        ),
        pytest.param(
            "a: ${env:1X}\n", "1:4: invalid environment variable name '1X' in ${env:1X}", id="bad-env-name"
        ),
    ],
)
def test_broken_spec_is_refused_at_its_position(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, content)
    assert error_of(path) == f"{path}:{message}"


def test_non_utf8_points_at_the_first_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\nb: caf\xc3\xa9 \xff\n")  # column counts characters
    assert error_of(path) == f"{path}:2:9: not UTF-8: byte 0xff (invalid start byte); save the file as UTF-8"


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n".encode("utf-16"))
    assert error_of(path) == f"{path}:1:1: not UTF-8: byte 0xff (invalid start byte); save the file as UTF-8"


def test_too_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    # 10 MB of something that would be slow (and wrong) to parse
    path = write(tmp_path, b"[" * (10 * 1024 * 1024))
    assert error_of(path) == (
        f"{path}:1:1: file is larger than the {MAX_SPEC_BYTES} byte limit for spec files (MAX_SPEC_BYTES)"
    )


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\n" + b"#" * (MAX_SPEC_BYTES - 6) + b"\n")
    assert [d.root.plain() for d in load_documents(path, environ={})] == [{"a": 1}]


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yaml")
    assert error_of(path) == f"{path}: cannot read: No such file or directory"


# -- documents, files and directories ------------------------------------------------------------


def test_multi_document_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"{SUITE}---\nkind: Servers\n---\n# third\nkind: LoadTest\n")
    documents = load_documents(path, environ={})
    assert [(d.path, d.index, d.root.plain()["kind"]) for d in documents] == [  # type: ignore[index,call-overload]
        (path, 0, "TestSuite"),
        (path, 1, "Servers"),
        (path, 2, "LoadTest"),
    ]
    assert [d.root.locate_key("kind") for d in documents] == [(2, 1), (11, 1), (14, 1)]
    assert [d.root.locate("kind") for d in documents] == [(2, 7), (11, 7), (14, 7)]


def test_directories_are_searched_recursively_in_order(tmp_path: Path) -> None:
    write(tmp_path, "kind: B\n", "specs/b.yml")
    write(tmp_path, "kind: A\n", "specs/a.yaml")
    write(tmp_path, "kind: C\n---\nkind: D\n", "specs/sub/c.yaml")
    write(tmp_path, "not yaml at all: [", "specs/notes.txt")
    single = write(tmp_path, "kind: E\n", "e.yaml")
    documents = load_paths([str(tmp_path / "specs"), single], environ={})
    assert [d.root.plain() for d in documents] == [{"kind": k} for k in "ABCDE"]
    assert [Path(d.path).name for d in documents] == ["a.yaml", "b.yml", "c.yaml", "c.yaml", "e.yaml"]


def test_directory_without_specs(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_paths([str(tmp_path)], environ={})
    assert str(caught.value) == f"{tmp_path}: directory holds no *.yaml or *.yml files"


def test_scalars_are_plain_json_data(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 2024-01-01\nb: 0x10\nc: 1.5\nd: ~\ne: yes\nf: '1'\ng: []\n")
    [document] = load_documents(path, environ={})
    assert document.root.plain() == {
        "a": "2024-01-01",
        "b": 16,
        "c": 1.5,
        "d": None,
        "e": True,
        "f": "1",
        "g": [],
    }


# -- positions -----------------------------------------------------------------------------------


def test_positions_of_nested_fields(tmp_path: Path) -> None:
    [document] = load_documents(write(tmp_path, SUITE), environ={})
    root = document.root
    assert root.locate("metadata.name") == (3, 18)
    assert root.locate_key("metadata.name") == (3, 12)
    assert root.locate("tests[0].with.text") == (7, 18)
    assert root.locate(["tests", 0, "expect", "text"]) == (9, 13)
    assert root.locate_key("tests[0].expect.text") == (9, 7)
    # a missing field points at the mapping that should hold it
    assert root.locate("tests[0].expect.isError") == (9, 7)
    assert root.locate_key("tests[0].expect.isError") == (9, 7)
    assert root.locate("tests[5].name") == (5, 3)  # the sequence
    assert root.get("tests[0].expect.isError") is None
    assert root.get("tests[0].call") is not None


def test_json_paths_round_trip() -> None:
    segments: list[str | int] = ["tests", 3, "expect", "text", "headers", "X-Team", "a.b", 'q"']
    text = format_path(segments)
    assert text == 'tests[3].expect.text.headers.X-Team["a.b"]["q\\""]'
    assert parse_path(text) == segments
    with pytest.raises(ValueError, match="malformed JSON path"):
        parse_path("tests[x]")


# -- environment and secrets ---------------------------------------------------------------------


def test_env_substitution_is_recorded_and_redacted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "headers:\n"
        "  Authorization: Bearer ${env:TOKEN}\n"
        "  X-Pair: ${env:USER_ID}:${env:TOKEN}\n"
        "  X-Literal: $${env:TOKEN}\n"
        "  X-Empty: '${env:EMPTY}'\n"
        "${env:KEY}: keys are not substituted\n",
    )
    environ = {"TOKEN": "s3cr3t", "USER_ID": "alice", "EMPTY": ""}
    [document] = load_documents(path, environ=environ)
    assert document.root.plain() == {
        "headers": {
            "Authorization": "Bearer s3cr3t",
            "X-Pair": "alice:s3cr3t",
            "X-Literal": "${env:TOKEN}",
            "X-Empty": "",
        },
        "${env:KEY}": "keys are not substituted",
    }
    assert len(document.secrets) == 2
    assert document.secrets.redact("sent Bearer s3cr3t as alice") == "sent Bearer *** as ***"


def test_secrets_are_shared_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a: ${env:ONE}\n", "one.yaml")
    second = write(tmp_path, "b: ${env:TWO}\n", "two.yaml")
    secrets = Secrets()
    documents = load_paths([first, second], environ={"ONE": "first-secret", "TWO": "second"}, secrets=secrets)
    assert all(d.secrets is secrets for d in documents)
    assert secrets.redact("first-secret then second") == "*** then ***"


def test_the_head_of_a_cut_secret_is_redacted() -> None:
    secrets = Secrets()
    secrets.add("eyJhbGciOiJFUzI1NiJ9.payload.signature")
    secrets.add("short-one")
    # an answer trimmed for display: the token is cut after 25 characters; a short secret's head stays
    assert secrets.redact('{"title": "eyJhbGciOiJFUzI1NiJ9.payl…"} short-') == '{"title": "***…"} short-'
    assert secrets.redact("eyJhbGciOiJFUzI1NiJ9.other") == "***other"


def test_longest_secret_is_redacted_first() -> None:
    secrets = Secrets()
    secrets.add("abc")
    secrets.add("abcdef")
    secrets.add("")
    assert secrets.redact("abcdef abc") == "*** ***"


def test_a_directory_walk_leaves_out_what_its_mcpctlignore_names(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "github-actions.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / "docker-compose.yaml").write_text("services: {}\n")
    (tmp_path / "suite.yaml").write_text("apiVersion: mcpctl/v1\n")
    (tmp_path / ".mcpctlignore").write_text("# not specs\nci/\ndocker-compose.*\n")
    assert spec_files([str(tmp_path)]) == [str(tmp_path / "suite.yaml")]
    # named on the command line, a file is loaded whatever the ignore file says
    named = str(tmp_path / "ci" / "github-actions.yml")
    assert spec_files([named]) == [named]
