"""Read spec files into located trees: every node keeps its line and column (DESIGN.md §3).

Only plain data is built, through PyYAML's safe composer: mappings with string keys, sequences, and
null/bool/int/float/string scalars (timestamps stay strings). Refused with a :class:`SpecError` at the
exact ``file:line:col``: files over :data:`MAX_SPEC_BYTES`, bytes that are not UTF-8, YAML syntax
errors (with a clear word for tabs), empty files and documents, duplicate and non-string keys,
anchors and aliases (which also rules out "billion laughs" bombs), other tags, nesting deeper than
:data:`MAX_DEPTH`, and ``${env:NAME}`` references to unset variables.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor

from mcpctl.errors import SpecError
from mcpctl.spec.env import EnvError, Secrets, substitute
from mcpctl.spec.node import Node, Scalar

MAX_SPEC_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 100
SUFFIXES = (".yaml", ".yml")

_TAG = "tag:yaml.org,2002:"
_CONSTRUCTOR = SafeConstructor()
_SCALARS: dict[str, Callable[[SafeConstructor, yaml.ScalarNode], object]] = {
    _TAG + "null": SafeConstructor.construct_yaml_null,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One YAML document of a spec file: ``index`` is its position in the file (from 0)."""

    path: str
    index: int
    root: Node
    secrets: Secrets = field(compare=False, repr=False)
    """The values substituted for ``${env:...}`` while loading (shared by one load call)."""


def load_paths(
    paths: Sequence[str], *, environ: Mapping[str, str] | None = None, secrets: Secrets | None = None
) -> list[Document]:
    """Load every document of the given files and of ``*.yaml``/``*.yml`` files under the directories."""
    secrets = Secrets() if secrets is None else secrets
    return [
        document
        for path in spec_files(paths)
        for document in load_documents(path, environ=environ, secrets=secrets)
    ]


def spec_files(paths: Sequence[str]) -> list[str]:
    """The files named, with directories replaced by their YAML files, recursively and sorted."""
    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        root = Path(path)
        found = sorted(
            (p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()),
            key=lambda p: p.relative_to(root).parts,
        )
        if not found:
            raise SpecError("directory holds no *.yaml or *.yml files", path=path)
        ignored = _ignored(root)
        files.extend(str(p) for p in found if not ignored(p.relative_to(root)))
    return files


IGNORE_FILE = ".mcpctlignore"


def _ignored(root: Path) -> Callable[[Path], bool]:
    """What a directory's ``.mcpctlignore`` leaves out of a walk: one glob pattern per line (``#`` comments),
    matched against paths relative to the directory; ``ci/`` leaves out a whole directory. For YAML that lives
    beside specs but is not one (CI pipelines, compose files); a file named on the command line is always
    loaded."""
    try:
        lines = (root / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return lambda relative: False
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]

    def ignored(relative: Path) -> bool:
        text = relative.as_posix()
        for pattern in patterns:
            if pattern.endswith("/") and (text + "/").startswith(pattern):
                return True
            if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(relative.name, pattern):
                return True
        return False

    return ignored


def load_documents(
    path: str, *, environ: Mapping[str, str] | None = None, secrets: Secrets | None = None
) -> list[Document]:
    """Load every document of the YAML file ``path``; raise :class:`SpecError` on the first problem.

    ``${env:NAME}`` is substituted from ``environ`` (default ``os.environ``) and recorded in ``secrets``.
    """
    secrets = Secrets() if secrets is None else secrets
    composed = _compose(_read_text(path), path)
    if not composed:
        raise SpecError("file is empty (no YAML documents)", path=path, line=1, column=1)
    builder = _Builder(path=path, environ=os.environ if environ is None else environ, secrets=secrets)
    documents = []
    for index, (node, start) in enumerate(composed):
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null":
            raise SpecError(f"document {index + 1} is empty", path=path, line=start[0], column=start[1])
        documents.append(Document(path=path, index=index, root=builder.build(node), secrets=secrets))
    return documents


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", path=path) from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"file is larger than the {MAX_SPEC_BYTES} byte limit for spec files (MAX_SPEC_BYTES)",
            path=path,
            line=1,
            column=1,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise SpecError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} ({exc.reason}); save the file as UTF-8",
            path=path,
            line=line,
            column=column,
        ) from None


class _Mark(Protocol):
    line: int
    column: int


def _position(mark: _Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _SpecRules:
    """The safe composer's rules for specs: no anchors, aliases or deep nesting; document starts kept.

    Mixed into a loader before PyYAML's ``Composer``; the parser under it is the C one (libyaml)
    when available, else the pure-Python one.
    """

    path: str
    depth: int
    starts: list[tuple[int, int]]

    def compose_document(self) -> yaml.Node | None:
        self.starts.append(_position(self._peek().start_mark))
        return super().compose_document()  # type: ignore[misc,no-any-return]

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self._peek()
        if isinstance(event, yaml.AliasEvent):
            self._refuse("aliases are not allowed in specs", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            self._refuse("anchors are not allowed in specs", event.start_mark)
        if self.depth >= MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc,no-any-return]
        finally:
            self.depth -= 1

    def _peek(self) -> yaml.Event:
        return self.peek_event()  # type: ignore[attr-defined,no-any-return]

    def _refuse(self, message: str, mark: _Mark | None) -> None:
        line, column = _position(mark)
        raise SpecError(message, path=self.path, line=line, column=column)

    def _start(self, path: str) -> None:
        self.path = path
        self.depth = 0
        self.starts = []


class _SpecLoader(_SpecRules, yaml.SafeLoader):
    """Pure Python: slow (~0.5 s for 1,000 tests), but its error messages are the ones reported."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__(text)
        self._start(path)


_FAST: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastSpecLoader(_SpecRules, Composer, yaml.CSafeLoader):
        """libyaml's parser under the same composer rules: the same nodes and marks, ~5x faster."""

        def __init__(self, text: str, path: str) -> None:
            yaml.CSafeLoader.__init__(self, text)
            Composer.__init__(self)
            self._start(path)

    _FAST = _FastSpecLoader


def _compose(text: str, path: str) -> list[tuple[yaml.Node, tuple[int, int]]]:
    if _FAST is not None:
        try:
            return _compose_with(_FAST, text, path)
        except yaml.YAMLError:
            pass  # report it in the words and at the position of the pure-Python parser
    return _compose_with(_SpecLoader, text, path)


def _compose_with(loader_class: type, text: str, path: str) -> list[tuple[yaml.Node, tuple[int, int]]]:
    try:
        loader = loader_class(text, path)
    except yaml.reader.ReaderError as exc:  # the reader checks for unprintable characters up front
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        raise SpecError(
            f"character U+{code:04X} is not allowed in YAML", path=path, line=line, column=column
        ) from None
    try:
        nodes: list[yaml.Node] = []
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node said there is one
            nodes.append(node)
        return list(zip(nodes, loader.starts, strict=True))
    except yaml.MarkedYAMLError as exc:
        if loader_class is not _SpecLoader:
            raise
        raise _syntax_error(exc, text, path) from None
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, path: str) -> SpecError:
    mark = exc.problem_mark or exc.context_mark
    line, column = _position(mark) if mark is not None else (1, 1)
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        before = text[text.rfind("\n", 0, mark.index) + 1 : mark.index]
        where = "for indentation" if not before.strip(" \t") else "here"
        return SpecError(f"tabs are not allowed {where}; use spaces", path=path, line=line, column=column)
    message = f"invalid YAML: {exc.problem}"
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return SpecError(message, path=path, line=line, column=column)


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


@dataclass(frozen=True, slots=True, kw_only=True)
class _Builder:
    """Turns composed YAML nodes into located :class:`Node` trees, checking keys and tags."""

    path: str
    environ: Mapping[str, str]
    secrets: Secrets

    def build(self, node: yaml.Node) -> Node:
        line, column = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            self._expect_tag(node, _TAG + "seq")
            return Node(value=[self.build(item) for item in node.value], line=line, column=column)
        assert isinstance(node, yaml.ScalarNode)
        return Node(value=self._scalar(node), line=line, column=column)

    def _mapping(self, node: yaml.MappingNode) -> Node:
        self._expect_tag(node, _TAG + "map")
        values: dict[str, Node] = {}
        keys: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in keys:
                raise self._error(f"duplicate key {key!r} (first at line {keys[key][0]})", key_node)
            keys[key] = _position(key_node.start_mark)
            values[key] = self.build(value_node)
        line, column = _position(node.start_mark)
        return Node(value=values, line=line, column=column, keys=keys)

    def _key(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "str":
            return str(node.value)
        if node.tag == _TAG + "merge":
            raise self._error("merge keys (<<) are not allowed in specs", node)
        if isinstance(node, yaml.ScalarNode):
            kind = _tag(node.tag).removeprefix("!!")
            text = str(node.value)
            raise self._error(
                f"key {text} is read as {kind}, not a string; quote it: {json.dumps(text)}", node
            )
        raise self._error("mapping keys must be strings, not collections", node)

    def _scalar(self, node: yaml.ScalarNode) -> Scalar:
        if node.tag == _TAG + "str":
            try:
                return substitute(str(node.value), environ=self.environ, secrets=self.secrets)
            except EnvError as exc:
                raise self._error(str(exc), node) from None
        if node.tag == _TAG + "timestamp":  # specs are JSON-shaped: dates stay text
            return str(node.value)
        construct = _SCALARS.get(node.tag)
        if construct is None:
            raise self._error(f"unsupported tag {_tag(node.tag)!r}", node)
        value = construct(_CONSTRUCTOR, node)
        assert value is None or isinstance(value, bool | int | float)
        return value

    def _expect_tag(self, node: yaml.Node, tag: str) -> None:
        if node.tag != tag:
            raise self._error(f"unsupported tag {_tag(node.tag)!r}", node)

    def _error(self, message: str, node: yaml.Node) -> SpecError:
        line, column = _position(node.start_mark)
        return SpecError(message, path=self.path, line=line, column=column)
