"""``import:`` in a Servers spec: the MCP servers an existing client is configured with.

::

    claude-desktop   mcpServers in claude_desktop_config.json (~/.config/Claude/, then
                     ~/Library/Application Support/Claude/, then %APPDATA%\\Claude\\)
    cursor           mcpServers in <spec dir>/.cursor/mcp.json, else ~/.cursor/mcp.json
    vscode           servers in <spec dir>/.vscode/mcp.json
    claude-code      mcpServers in <spec dir>/.mcp.json
    PATH             a JSON file with mcpServers or servers (relative to the spec's directory)

Each client expands its own variables, and so does the import: Claude Code ``${VAR}`` and
``${VAR:-default}``; VS Code and Cursor ``${env:NAME}``, ``${userHome}``, ``${workspaceFolder}``,
``${workspaceFolderBasename}``, ``${pathSeparator}``; a PATH file any of these. Claude Desktop
expands nothing. VS Code's ``${input:ID}`` asks the user at start-up, which a test run cannot do,
so it is refused. Every value taken from the environment is recorded as a secret.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from mcpctl.spec.client_files import PRODUCTS, client_file
from mcpctl.spec.env import Secrets
from mcpctl.spec.model import HttpServer, ServerDef, Source, StdioServer

Dialect = Literal["none", "claude-code", "vscode", "cursor", "any"]
_REMOTE_TYPES = {"http": "streamable", "streamable-http": "streamable", "sse": "sse"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_POSIX = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\Z", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ImportProblem(ValueError):
    """A client config could not be imported; the message names the file and the entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Config:
    path: str
    containers: tuple[str, ...]
    dialect: Dialect


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    path: str
    dialect: Dialect
    environ: Mapping[str, str]
    secrets: Secrets
    home: str
    workspace: str


def import_servers(
    ref: str, *, base_dir: str, environ: Mapping[str, str], secrets: Secrets, home: str | None = None
) -> dict[str, ServerDef]:
    """The servers of the client config ``ref`` (a product name or a path), by name.

    ``base_dir`` is the spec's directory (the workspace of project configs); ``home`` defaults
    to ``HOME`` in ``environ``. Disabled entries are skipped. Raises :class:`ImportProblem`.
    """
    home = home if home is not None else environ.get("HOME") or os.path.expanduser("~")
    config = _locate(ref, base_dir=base_dir, home=home, environ=environ)
    clean = _strip_jsonc(_read(config.path))
    try:
        data = json.loads(clean)
    except json.JSONDecodeError as exc:
        raise ImportProblem(f"{config.path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    container = next((c for c in config.containers if isinstance(data, dict) and c in data), None)
    if container is None or not isinstance(data[container], dict):
        wanted = " or ".join(repr(c) for c in config.containers)
        raise ImportProblem(
            f"{config.path}: expected a JSON object with {wanted} (an object of servers by name)"
        )
    ctx = _Context(
        path=config.path,
        dialect=config.dialect,
        environ=environ,
        secrets=secrets,
        home=home,
        workspace=os.path.abspath(base_dir),
    )
    offsets = _key_offsets(clean, container)
    servers: dict[str, ServerDef] = {}
    for name, raw in data[container].items():
        line, column = _position(clean, offsets.get(name))
        source = Source(path=config.path, line=line, column=column)
        server = _server(name, raw, f"{container}.{name}", ctx, source)
        if server is not None:
            servers[name] = server
    return servers


# -- finding the file ---------------------------------------------------------------------------
def _locate(ref: str, *, base_dir: str, home: str, environ: Mapping[str, str]) -> _Config:
    if ref in PRODUCTS:
        found = client_file(ref, base_dir=base_dir, home=home, environ=environ)
        dialect: Dialect = "none" if ref == "claude-desktop" else ref
        return _Config(
            path=_first(ref, list(found.candidates)), containers=(found.container,), dialect=dialect
        )
    path = os.path.normpath(os.path.join(base_dir, os.path.expanduser(ref)))
    if not os.path.isfile(path):
        if os.sep not in ref and "/" not in ref and not ref.endswith(".json"):
            raise ImportProblem(
                f"unknown import {ref!r}: expected {', '.join(PRODUCTS)} or the path of a JSON config file"
            )
        raise ImportProblem(f"{path}: no such file")
    return _Config(path=path, containers=("mcpServers", "servers"), dialect="any")


def _first(ref: str, candidates: list[str]) -> str:
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    raise ImportProblem(f"{ref}: no config found (looked in {', '.join(candidates)})")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ImportProblem(f"{path}: cannot read: {reason}") from None


# -- JSON with comments -------------------------------------------------------------------------
def _strip_jsonc(text: str) -> str:
    """``text`` with comments and trailing commas blanked out; every other character keeps its
    offset, so the JSON parser's line and column still point into the file as written."""
    out = list(text)
    i, last = 0, -1  # ``last``: offset of the last significant character outside comments
    while i < len(text):
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            last, i = end - 1, end
            continue
        if text.startswith(("//", "/*"), i):
            end = _comment_end(text, i)
            for j in range(i, end):
                out[j] = out[j] if text[j] == "\n" else " "
            i = end
            continue
        if char in "}]" and last >= 0 and out[last] == ",":
            out[last] = " "
        if not char.isspace():
            last = i
        i += 1
    return "".join(out)


def _comment_end(text: str, start: int) -> int:
    if text.startswith("//", start):
        end = text.find("\n", start)
        return len(text) if end == -1 else end
    end = text.find("*/", start + 2)
    return len(text) if end == -1 else end + 2


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        else:
            i += 1
    return len(text)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[{}\[\]]')


def _key_offsets(clean: str, container: str) -> dict[str, int]:
    """Offsets of the keys directly inside the top-level ``container`` object (valid JSON)."""
    offsets: dict[str, int] = {}
    open_keys: list[str | None] = []  # the key each open object or array was the value of
    pending: str | None = None
    for match in _TOKEN.finditer(clean):
        token = match.group()
        if token in ("{", "["):
            open_keys.append(pending)
            pending = None
        elif token in ("}", "]"):
            if open_keys:
                open_keys.pop()
        elif match.group(1) is not None:
            pending = json.loads(token[: token.rindex('"') + 1])
            if open_keys == [None, container] and pending is not None:
                offsets[pending] = match.start()
        else:
            pending = None
    return offsets


def _position(text: str, offset: int | None) -> tuple[int, int]:
    if offset is None:
        return 1, 1
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


# -- one entry ----------------------------------------------------------------------------------
Problem = Callable[..., ImportProblem]
Expand = Callable[[str, str], str]


def _server(name: str, raw: object, where: str, ctx: _Context, source: Source) -> ServerDef | None:
    def problem(message: str, field: str = "") -> ImportProblem:
        return ImportProblem(f"{ctx.path}: {where}{'.' + field if field else ''}: {message}")

    if not isinstance(raw, dict):
        raise problem("expected an object with 'command' (stdio) or 'url' (HTTP)")
    if raw.get("disabled") is True:
        return None
    kind = raw.get("type", "stdio" if "command" in raw else "http" if "url" in raw else None)
    if kind is None:
        raise problem("expected 'command' (stdio) or 'url' (HTTP)")
    if not isinstance(kind, str):
        raise problem("expected a string", "type")
    expand = _expander(ctx, problem)
    if kind == "stdio":
        return _stdio(name, raw, expand, ctx, source, problem)
    if kind in _REMOTE_TYPES:
        url = expand(_string(raw.get("url"), problem, "url"), "url")
        headers = {
            k: expand(v, f"headers.{k}") for k, v in _strings(raw.get("headers"), problem, "headers").items()
        }
        transport: Literal["streamable", "sse"] = "sse" if _REMOTE_TYPES[kind] == "sse" else "streamable"
        return HttpServer(name=name, url=url, headers=headers, transport=transport, source=source)
    raise problem(f"unknown type {kind!r} (expected stdio, http, streamable-http or sse)", "type")


def _stdio(
    name: str, raw: dict[str, object], expand: Expand, ctx: _Context, source: Source, problem: Problem
) -> StdioServer:
    command = expand(_string(raw.get("command"), problem, "command"), "command")
    args = raw.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
        raise problem("expected a list of strings", "args")
    env: dict[str, str] = {}
    if raw.get("envFile") is not None:
        env_file = _resolve(ctx, expand(_string(raw["envFile"], problem, "envFile"), "envFile"))
        env.update(_env_file(env_file, ctx.secrets, problem))
    env.update({k: expand(v, f"env.{k}") for k, v in _strings(raw.get("env"), problem, "env").items()})
    cwd = raw.get("cwd")
    return StdioServer(
        name=name,
        command=(command, *(expand(str(a), f"args[{i}]") for i, a in enumerate(args))),
        env=env,
        cwd=_resolve(ctx, expand(_string(cwd, problem, "cwd"), "cwd")) if cwd is not None else None,
        source=source,
    )


def _resolve(ctx: _Context, path: str) -> str:
    """A relative path in a client config is relative to the config file's directory."""
    return os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(ctx.path)), os.path.expanduser(path))
    )


def _string(value: object, problem: Problem, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise problem("expected a non-empty string", field)
    return value


def _strings(value: object, problem: Problem, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
        raise problem("expected an object of names to strings", field)
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _env_file(path: str, secrets: Secrets, problem: Problem) -> dict[str, str]:
    """``NAME=value`` lines of a dotenv file (``#`` comments, ``export``, quotes); values are secrets."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise problem(
            f"cannot read {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}", "envFile"
        ) from None
    env: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if not sep or name.lstrip().startswith("#"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[name.strip()] = value
        secrets.add(value)
    return env


# -- variables ----------------------------------------------------------------------------------
def _expander(ctx: _Context, problem: Problem) -> Expand:
    def expand(text: str, field: str) -> str:
        if ctx.dialect == "none" or "${" not in text:
            return text
        return _VARIABLE.sub(lambda match: _variable(match, ctx, lambda m: problem(m, field)), text)

    return expand


def _variable(match: re.Match[str], ctx: _Context, problem: Callable[[str], ImportProblem]) -> str:
    body, dialect = match.group(1), ctx.dialect
    editor = dialect in ("vscode", "cursor", "any")
    if editor and body.startswith("env:"):
        return _from_env(body[4:], None, match.group(0), ctx, problem)
    if dialect in ("vscode", "any") and body.startswith("input:"):
        raise problem(
            f"{match.group(0)} needs an interactive prompt; give the value with ${{env:NAME}} instead"
        )
    predefined = {
        "userHome": ctx.home,
        "workspaceFolder": ctx.workspace,
        "workspaceFolderBasename": os.path.basename(ctx.workspace),
        "pathSeparator": os.sep,
        "/": os.sep,
    }
    if editor and body in predefined:
        return predefined[body]
    posix = _POSIX.match(body)
    if dialect in ("claude-code", "any") and posix is not None:
        return _from_env(posix.group(1), posix.group(2), match.group(0), ctx, problem)
    if dialect == "claude-code":
        return match.group(0)  # Claude Code leaves other ${...} text as written
    raise problem(
        f"unsupported variable {match.group(0)} (mcpctl expands ${{env:NAME}}, ${{userHome}}, ${{workspaceFolder}})"
    )


def _from_env(
    name: str, default: str | None, written: str, ctx: _Context, problem: Callable[[str], ImportProblem]
) -> str:
    if not _NAME.match(name):
        raise problem(f"invalid environment variable name {name!r} in {written}")
    if name in ctx.environ:
        value = ctx.environ[name]
        ctx.secrets.add(value)
        return value
    if default is not None:
        return default
    raise problem(f"environment variable {name} is not set (needed by {written})")
