"""Look a server name up in a ``kind: Servers`` spec file (the ad-hoc commands' ``--servers``).

::

    apiVersion: mcpctl/v1
    kind: Servers
    metadata: {name: local}
    servers:
      everything: {command: npx, args: ["@modelcontextprotocol/server-everything"]}
      remote: {url: "https://example.com/mcp", headers: {X-Team: core}}
"""

from __future__ import annotations

from typing import Any

from mcpctl.errors import SpecError
from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget


def _load(path: str) -> list[Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            return [doc for doc in yaml.safe_load_all(handle) if doc is not None]
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise SpecError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path, line=line, column=col
        ) from None


def _strings(value: Any, *, path: str, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
        raise SpecError("expected a mapping of names to strings", path=path, json_path=field)
    return {str(k): str(v) for k, v in value.items()}


def _target(entry: Any, *, path: str, field: str) -> ServerTarget:
    if not isinstance(entry, dict):
        raise SpecError("expected a mapping with 'command' or 'url'", path=path, json_path=field)
    if isinstance(entry.get("command"), str):
        args = entry.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
            raise SpecError("expected a list of strings", path=path, json_path=f"{field}.args")
        cwd = entry.get("cwd")
        return StdioTarget(
            command=(entry["command"], *(str(a) for a in args)),
            env=_strings(entry.get("env"), path=path, field=f"{field}.env"),
            cwd=cwd if isinstance(cwd, str) else None,
        )
    if isinstance(entry.get("url"), str):
        transport = entry.get("transport", "streamable")
        if transport not in ("streamable", "sse"):
            raise SpecError("expected streamable or sse", path=path, json_path=f"{field}.transport")
        return HttpTarget(
            url=entry["url"],
            headers=_strings(entry.get("headers"), path=path, field=f"{field}.headers"),
            transport=transport,
        )
    raise SpecError("a server needs 'command' (stdio) or 'url' (HTTP)", path=path, json_path=field)


def lookup(path: str, name: str) -> ServerTarget:
    """The target named ``name`` in the Servers documents of ``path``."""
    known: list[str] = []
    for doc in _load(path):
        if not isinstance(doc, dict) or doc.get("kind") != "Servers":
            continue
        servers = doc.get("servers")
        if not isinstance(servers, dict):
            raise SpecError("expected a mapping of server names", path=path, json_path="servers")
        if name in servers:
            return _target(servers[name], path=path, field=f"servers.{name}")
        known.extend(str(k) for k in servers)
    hint = f" (known: {', '.join(sorted(known))})" if known else " (the file has no kind: Servers document)"
    raise SpecError(f"no server named {name!r}{hint}", path=path)
