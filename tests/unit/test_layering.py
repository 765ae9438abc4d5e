"""Imports point down (STYLE.md rule 4): cli → mcp → errors; foreign libraries stay in their module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "mcpctl"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


@pytest.mark.parametrize("path", modules("mcp"), ids=lambda p: str(p.relative_to(PKG)))
def test_the_client_does_not_import_upward(path: Path) -> None:
    bad = {m for m in imports(path) if m.startswith(("mcpctl.cli", "mcpctl.engine", "mcpctl.spec", "typer"))}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", modules("spec"), ids=lambda p: str(p.relative_to(PKG)))
def test_specs_import_only_specs_and_errors(path: Path) -> None:
    # specs are data: what validates them must not depend on what runs them
    bad = {
        m
        for m in imports(path)
        if m.startswith("mcpctl.") and not m.startswith(("mcpctl.spec", "mcpctl.errors"))
    }
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", modules("observe"), ids=lambda p: str(p.relative_to(PKG)))
def test_metrics_do_not_import_the_engine_or_the_cli(path: Path) -> None:
    # the load engine records into observe: observe importing it back would be a cycle
    bad = {
        m
        for m in imports(path)
        if m.startswith(("mcpctl.cli", "mcpctl.engine", "typer")) and m != "mcpctl.engine.results"
    }
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("httpx", {"mcp/transports/http_httpx.py", "mcp/auth", "observe/alerts/deliver.py"}),
        ("httptools", {"mcp/transports/http_lean.py", "mock/http_wire.py"}),
        ("typer", {"cli/app.py"}),
        ("hdrh", {"observe/histogram.py"}),
        ("hypothesis", {"engine/fuzz/instances.py"}),
        ("keyring", {"mcp/auth/store.py"}),
        ("jwt", {"mcp/auth", "mock/oauth"}),
        ("hypothesis_jsonschema", {"engine/fuzz/instances.py"}),
    ],
)
def test_foreign_libraries_enter_in_one_place(library: str, allowed: set[str]) -> None:
    users = {
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if any(m == library or m.startswith(library + ".") for m in imports(p))
    }
    outside = {u for u in users if not any(u.startswith(a) for a in allowed)}
    assert not outside, f"{library} imported outside {allowed}: {outside}"


def test_jsonrpc_is_sans_io() -> None:
    assert not {
        m for m in imports(PKG / "mcp" / "jsonrpc.py") if m.split(".")[0] in ("trio", "httpx", "httptools")
    }
