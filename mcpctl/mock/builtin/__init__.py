"""Bundled MockServer specs of common integrations: ``mcpctl mock serve builtin:github``."""

from __future__ import annotations

from pathlib import Path

from mcpctl.errors import UsageError

_HERE = Path(__file__).resolve().parent
PREFIX = "builtin:"


def names() -> list[str]:
    """The bundled mocks, by name."""
    return sorted(path.stem for path in _HERE.glob("*.yaml"))


def path_of(name: str) -> str:
    """The spec file of bundled mock ``name`` (with or without the ``builtin:`` prefix)."""
    bare = name.removeprefix(PREFIX)
    path = _HERE / f"{bare}.yaml"
    if not path.is_file():
        known = ", ".join(names()) or "none"
        raise UsageError(f"no bundled mock named {bare!r} (bundled: {known}; see mcpctl mock list)")
    return str(path)
