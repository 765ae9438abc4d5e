"""`mcpctl mock serve --watch`: an edited spec is served without restarting (sessions stay open);
a broken edit is refused with its errors and the last good spec keeps serving."""

from __future__ import annotations

import shutil
from pathlib import Path

import trio

from mcpctl.mcp.client import HttpTarget, open_client
from testing.paths import PYTHON, ROOT
from tests.integration.conftest import free_port, start_server

DEMO = ROOT / "tests" / "data" / "mocks" / "demo.yaml"


async def _text_becomes(client, wanted: str) -> str:  # type: ignore[no-untyped-def]
    text = ""
    with trio.move_on_after(15):
        while text != wanted:
            text = (await client.call_tool("weather", {"city": "Paris"})).text
            if text != wanted:
                await trio.sleep(0.1)
    return text


async def test_edits_are_served_and_broken_ones_refused(tmp_path: Path) -> None:
    spec = tmp_path / "demo.yaml"
    shutil.copy(DEMO, spec)
    port = free_port()
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", str(spec), "--http", f"127.0.0.1:{port}", "--watch"]
    with start_server(argv, port=port, path="/mcp") as server:
        async with open_client(HttpTarget(url=server.url)) as client:
            assert (await client.call_tool("weather", {"city": "Paris"})).text == "Sunny in Paris"
            spec.write_text(DEMO.read_text().replace("Sunny in", "Rainy in"))
            assert await _text_becomes(client, "Rainy in Paris") == "Rainy in Paris"
            spec.write_text(
                "apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: demo}\ntools: [{nam: x}]\n"
            )
            await trio.sleep(1.5)
            assert (await client.call_tool("weather", {"city": "Paris"})).text == "Rainy in Paris"
        log = await trio.Path(server.stderr_path).read_text()
    assert "mcpctl: reloaded MockServer/demo (1 tools)" in log
    assert "mcpctl: reload refused: " in log
    assert "unknown field 'nam'" in log
