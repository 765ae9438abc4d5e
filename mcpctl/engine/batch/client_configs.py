"""MCP client config files as deploy targets: where they are, what an entry looks like, what a change does.

::

    style            stdio entry                          remote entry                  secrets
    claude-desktop   command, args, env                   (refused: stdio only)         (refused)
    cursor           command, args, env                   url, headers                  ${env:NAME}
    vscode           type: stdio, command, args, env, cwd  type: http|sse, url, headers  ${env:NAME}
    claude-code      type: stdio, command, args, env      type: http|sse, url, headers  ${NAME}
    plain            command, args, env, cwd              type: http|sse, url, headers  (refused)

Secrets: a server built from specs loaded with :func:`reference_environ` carries ``${env:NAME}`` in
place of every value taken from the environment; :func:`entry_for` writes each as the client's own
reference, so that the client reads the secret at start-up and the file never holds it. Where the
client has no such syntax the entry is refused. Given the :class:`~mcpctl.spec.env.Secrets` of a load
with the real environment, :func:`entry_for` also refuses any entry that would contain one of them.
Two limits of the references: a literal ``${env:NAME}`` written as ``$${env:NAME}`` in a spec also
becomes a reference, and a path built from a variable (``cwd: ${env:HOME}/x``) is resolved against the
spec's directory with the reference in it.

A mock deploys as the stdio command ``mcpctl mock serve FILE``. Nothing here writes a file:
:func:`plan_change` returns the new text, and the caller snapshots and writes it.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.engine.batch.jsonc_edit import Operation, RemoveEntry, UpdateEntry, edit
from mcpctl.engine.batch.jsonc_tree import JSON, position
from mcpctl.errors import UsageError
from mcpctl.spec.client_files import Client, client_file
from mcpctl.spec.env import Secrets
from mcpctl.spec.model import BearerAuth, HttpServer, ServerDef, StdioServer
from mcpctl.spec.node import parse_path

EntryStyle = Literal["claude-desktop", "cursor", "vscode", "claude-code", "plain"]
ENTRY_FIELDS = ("type", "command", "args", "env", "cwd", "url", "headers")
"""Every field :func:`entry_for` may write, in the order it writes them."""

_LABELS = {
    "claude-desktop": "Claude Desktop",
    "cursor": "Cursor",
    "vscode": "VS Code",
    "claude-code": "Claude Code",
    "plain": "a plain JSON file",
}
_REFERENCE_SYNTAX = {"cursor": "${{env:{}}}", "vscode": "${{env:{}}}", "claude-code": "${{{}}}"}
_TYPED = ("vscode", "claude-code", "plain")
_CWD = ("vscode", "plain")
_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    """One config file to deploy into: ``key_path`` leads to the object of servers by name."""

    client: str
    """A client name (``claude-desktop``, ``cursor``, ``vscode``, ``claude-code``) or ``custom``."""
    path: str
    key_path: tuple[str, ...]
    jsonc: bool
    """Comments and trailing commas are allowed (and kept); otherwise the file is plain JSON."""
    entry_style: EntryStyle


class EntryError(UsageError):
    """A server cannot be written as an entry of this client's config."""

    def __init__(self, reason: str, *, server: str, style: EntryStyle) -> None:
        self.server = server
        self.style = style
        super().__init__(f"{server}: cannot deploy to {_LABELS[style]}: {reason}")


class ConfigDecodeError(UsageError):
    """A config file is not UTF-8 text."""


def locate(
    client: Client, *, base_dir: str, home: str, environ: Mapping[str, str], platform: str = sys.platform
) -> ClientConfig:
    """The config of ``client``: the first existing file it reads, else where it would read a new one.

    ``base_dir`` is the project directory (for project files), ``home`` the user's home.
    """
    found = client_file(client, base_dir=base_dir, home=home, environ=environ, platform=platform)
    return ClientConfig(
        client=client,
        path=found.existing() or os.path.normpath(found.default),
        key_path=(found.container,),
        jsonc=found.jsonc,
        entry_style=client,
    )


def custom(
    path: str, key_path: str | Sequence[str], *, jsonc: bool | None = None, entry_style: EntryStyle = "plain"
) -> ClientConfig:
    """A JSON file with servers under ``key_path`` (``"mcp.servers"`` or ``["mcp", "servers"]``).

    ``jsonc`` defaults to whether the file name ends in ``.jsonc``; ``entry_style`` names the client
    whose entry format (and secret syntax) the file's reader understands.
    """
    keys = parse_key_path(key_path) if isinstance(key_path, str) else tuple(key_path)
    return ClientConfig(
        client="custom",
        path=path,
        key_path=keys,
        jsonc=path.endswith(".jsonc") if jsonc is None else jsonc,
        entry_style=entry_style,
    )


def parse_key_path(text: str) -> tuple[str, ...]:
    """``"mcp.servers"`` → ``("mcp", "servers")``; a key with a dot is quoted: ``mcp["a.b"]``."""
    try:
        segments = parse_path(text)
    except ValueError:
        segments = []
    if not segments or not all(isinstance(s, str) for s in segments):
        raise UsageError(f"invalid key path {text!r}: expected keys separated by dots, like mcp.servers")
    return tuple(str(s) for s in segments)


# -- entries ------------------------------------------------------------------------------------
class _References(Mapping[str, str]):
    """An environment whose every variable reads as the reference ``${env:NAME}`` to itself."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        if name not in self._environ:
            raise KeyError(name)
        return f"${{env:{name}}}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


def reference_environ(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Load specs with this environment to build the servers to deploy: every value taken from
    ``environ`` stays the reference ``${env:NAME}`` (unset variables are still errors), which
    :func:`entry_for` turns into the client's own syntax."""
    return _References(environ)


def entry_for(
    client: ClientConfig | EntryStyle,
    server: ServerDef,
    *,
    secrets: Secrets | None = None,
    mcpctl: Sequence[str] = ("mcpctl",),
) -> dict[str, JSON]:
    """The config entry of ``server`` in the format of ``client`` (a config or an entry style).

    ``mcpctl`` is the command that runs mcpctl, for mocks. ``secrets``: the values substituted by
    a load with the real environment; an entry containing one is refused. Raises :class:`EntryError`.
    """
    style: EntryStyle = client.entry_style if isinstance(client, ClientConfig) else client
    raw: dict[str, object]
    if isinstance(server, HttpServer):
        raw = _remote(style, server)
    else:
        command = (
            server.command if isinstance(server, StdioServer) else (*mcpctl, "mock", "serve", server.spec)
        )
        env = dict(server.env) if isinstance(server, StdioServer) else {}
        cwd = server.cwd if isinstance(server, StdioServer) else None
        raw = {"type": "stdio"} if style in ("vscode", "claude-code") else {}
        raw |= {"command": command[0], "args": list(command[1:])}
        raw |= {"env": env} if env else {}
        if cwd is not None:
            if style not in _CWD:
                raise EntryError(
                    "it reads no working directory (cwd) for a server", server=server.name, style=style
                )
            raw["cwd"] = cwd
    return {key: _written(value, key, style, server.name, secrets) for key, value in raw.items()}


def update_for(
    client: ClientConfig | EntryStyle,
    server: ServerDef,
    *,
    fields: Sequence[str] = ENTRY_FIELDS,
    secrets: Secrets | None = None,
    mcpctl: Sequence[str] = ("mcpctl",),
) -> UpdateEntry:
    """The update that makes the existing entry of ``server`` match it in ``fields``: each field the new
    entry has is set, each it lacks is removed; the entry's other fields are left alone."""
    entry = entry_for(client, server, secrets=secrets, mcpctl=mcpctl)
    return UpdateEntry(
        name=server.name,
        set={f: entry[f] for f in fields if f in entry},
        unset=tuple(f for f in fields if f not in entry),
    )


def _remote(style: EntryStyle, server: HttpServer) -> dict[str, object]:
    if style == "claude-desktop":
        raise EntryError(
            "its config file holds stdio servers only; add a remote server as a custom connector in its settings",
            server=server.name,
            style=style,
        )
    headers = dict(server.headers)
    if isinstance(server.auth, BearerAuth):
        headers.setdefault("Authorization", f"Bearer {server.auth.token}")
    elif server.auth is not None:
        raise EntryError(
            "OAuth client credentials cannot be written into a client config (the client signs in itself); "
            "deploy the server without auth",
            server=server.name,
            style=style,
        )
    raw: dict[str, object] = (
        {"type": "sse" if server.transport == "sse" else "http"} if style in _TYPED else {}
    )
    raw["url"] = server.url
    return raw | ({"headers": headers} if headers else {})


def _written(value: object, field: str, style: EntryStyle, server: str, secrets: Secrets | None) -> JSON:
    """``value`` with every ``${env:NAME}`` in the client's syntax, refusing secret values."""
    if isinstance(value, dict):
        return {k: _written(v, f"{field}.{k}", style, server, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_written(v, f"{field}[{i}]", style, server, secrets) for i, v in enumerate(value)]
    if not isinstance(value, str):
        raise TypeError(f"{field}: unexpected {type(value).__name__}")  # a bug: entries hold strings
    if secrets is not None and secrets.redact(value) != value:
        raise EntryError(
            f"{field} contains the value of a variable the specs read with ${{env:...}}; "
            "mcpctl writes no secret values into client configs",
            server=server,
            style=style,
        )
    reference = _REFERENCE.search(value)
    if reference is None:
        return value
    syntax = _REFERENCE_SYNTAX.get(style)
    if syntax is None:
        raise EntryError(
            f"{field} comes from {reference.group()} and the file has no way to refer to an environment "
            "variable (writing the value would store the secret in it); deploy to cursor, vscode or claude-code",
            server=server,
            style=style,
        )
    return _REFERENCE.sub(lambda match: syntax.format(match.group(1)), value)


# -- changes ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What one operation does to one config file: the text before (``None``: no file) and after."""

    config: ClientConfig
    op: Operation
    old_text: str | None
    new_text: str

    @property
    def noop(self) -> bool:
        """Nothing to write: the file already says this."""
        return (self.old_text or "") == self.new_text

    @property
    def new_bytes(self) -> bytes:
        """The bytes to write (UTF-8; a byte order mark the file had is kept)."""
        return self.new_text.encode("utf-8")

    @property
    def diff(self) -> str:
        """A unified diff of the change, named by the file's path (``/dev/null`` for a new file)."""
        if self.noop:
            return ""
        old = _lines(self.old_text or "")
        new = _lines(self.new_text)
        before = self.config.path if self.old_text is not None else "/dev/null"
        lines = difflib.unified_diff(old, new, fromfile=before, tofile=self.config.path, lineterm="")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def plan_change(config: ClientConfig, current_text: str | None, op: Operation) -> Change:
    """The change ``op`` makes to ``config`` whose file now holds ``current_text`` (``None``: absent).

    Raises :class:`~mcpctl.engine.batch.jsonc_tree.ConfigSyntaxError` and the
    :class:`~mcpctl.engine.batch.jsonc_edit.ConfigEditError` family.
    """
    if current_text is None and isinstance(op, RemoveEntry) and op.missing_ok:
        return Change(config=config, op=op, old_text=None, new_text="")
    new = edit(current_text or "", config.key_path, op, jsonc=config.jsonc, path=config.path)
    return Change(config=config, op=op, old_text=current_text, new_text=new)


def decode(data: bytes, *, path: str) -> str:
    """The text of a config file's bytes, read exactly (CRLF and a byte order mark are kept)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise ConfigDecodeError(f"{path}:{line}:{column}: not UTF-8 text") from None


def _lines(text: str) -> list[str]:
    """Lines without their ends (``\\r\\n`` or ``\\n`` only: JSON strings may hold U+2028); a last
    line without a newline is marked as git marks it."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        lines[-1] += "\n\\ No newline at end of file"
    return [line.removesuffix("\r") for line in lines]
