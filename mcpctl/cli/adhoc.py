"""The ad-hoc verbs: tools, resources, prompts, call, ping (what people use the Inspector CLI for)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, run_async
from mcpctl.cli.target import coerce_arguments, target_of
from mcpctl.errors import RpcError, UsageError
from mcpctl.mcp.client import Client, open_client
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.session import ClientOptions
from mcpctl.mcp.transports.base import Direction

Conn = dict[str, Any]


def _check_output(output: str) -> None:
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")


def _trace(direction: Direction, frame: bytes) -> None:
    arrow = ">>" if direction == "send" else "<<"
    sys.stderr.write(f"{arrow} {frame.decode('utf-8', 'replace')}\n")


@contextlib.asynccontextmanager
async def _connect(conn: Conn) -> AsyncIterator[Client]:
    from mcpctl import __version__

    target = target_of(conn)
    options = ClientOptions(client_version=__version__, timeout=conn["timeout"], **conn.get("client", {}))
    async with open_client(
        target, options=options, protocol=conn["protocol"], tap=_trace if conn["trace"] else None
    ) as client:
        yield client


def client_options(
    *, roots: list[str] | None, sampling_reply: str | None, elicitation: str | None
) -> dict[str, Any]:
    """ClientOptions fields for answering server-initiated requests, from command-line values."""
    fields: dict[str, Any] = {}
    if roots:
        fields["roots"] = tuple({"uri": uri} for uri in roots)
    if sampling_reply is not None:
        fields["sampling_reply"] = _json_object("--sampling-reply", sampling_reply)
    if elicitation is not None:
        fields["elicitation_reply"] = (
            "defaults" if elicitation == "defaults" else _json_object("--elicitation", elicitation)
        )
    return fields


def _json_object(option: str, text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{option}: invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option}: expected a JSON object")
    return value


def _emit_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _first_line(text: Any) -> str:
    line = str(text or "").strip().splitlines()
    return (line[0][:80] + ("…" if len(line[0]) > 80 else "")) if line else ""


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt="plain")


def _run(conn: Conn, output: str, body: Callable[[Client], Any]) -> int:
    _check_output(output)

    async def main() -> int:
        async with _connect(conn) as client:
            code: int = await body(client)
            return code

    return run_async(main)


# -- listing --------------------------------------------------------------------------------
def run_list(conn: Conn, *, what: str, output: str) -> int:
    async def body(client: Client) -> int:
        if what == "tools":
            data: dict[str, list[Message]] = {"tools": await client.list_tools()}
        elif what == "resources":
            data = {"resources": await client.list_resources()}
            if "resources" in client.negotiated.capabilities or not data["resources"]:
                with contextlib.suppress(RpcError):  # servers may not implement templates/list
                    data["resourceTemplates"] = await client.list_resource_templates()
        else:
            data = {"prompts": await client.list_prompts()}
        if output == "json":
            _emit_json({"server": _identity(client), **data})
        else:
            print(_render_list(what, data))
        return EXIT_OK

    return _run(conn, output, body)


def _identity(client: Client) -> Message:
    n = client.negotiated
    return {"serverInfo": n.server_info, "protocolVersion": n.protocol_version, "era": n.era}


def _render_list(what: str, data: dict[str, list[Message]]) -> str:
    if what == "tools":
        rows = [
            [t.get("name"), _args(t.get("inputSchema")), _first_line(t.get("description"))]
            for t in data["tools"]
        ]
        return _table(rows, ["TOOL", "ARGUMENTS", "DESCRIPTION"]) if rows else "(no tools)"
    if what == "prompts":
        rows = [
            [
                p.get("name"),
                ", ".join(_prompt_arg(a) for a in p.get("arguments") or []),
                _first_line(p.get("description")),
            ]
            for p in data["prompts"]
        ]
        return _table(rows, ["PROMPT", "ARGUMENTS", "DESCRIPTION"]) if rows else "(no prompts)"
    rows = [[r.get("uri"), r.get("name"), r.get("mimeType") or ""] for r in data["resources"]]
    rows += [[t.get("uriTemplate"), t.get("name"), "(template)"] for t in data.get("resourceTemplates", [])]
    return _table(rows, ["URI", "NAME", "MIME TYPE"]) if rows else "(no resources)"


def _args(schema: Any) -> str:
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return ""
    required = set(schema.get("required") or [])
    return ", ".join(f"{k}{'' if k in required else '?'}" for k in schema["properties"])


def _prompt_arg(arg: Any) -> str:
    if not isinstance(arg, dict):
        return "?"
    return f"{arg.get('name')}{'' if arg.get('required') else '?'}"


# -- calling --------------------------------------------------------------------------------
def _call_words(words: list[str], json_args: str | None) -> tuple[str, list[str], dict[str, Any]]:
    if not words:
        raise UsageError("no tool given: mcpctl call [SERVER] TOOL [key=value ...]")
    extra = _json_object("--json-args", json_args) if json_args is not None else {}
    return words[0], words[1:], extra


def run_call(conn: Conn, *, words: list[str], json_args: str | None, output: str) -> int:
    tool, pairs, extra = _call_words(words, json_args)

    async def body(client: Client) -> int:
        schema: Any = None
        if pairs:
            tools = {t.get("name"): t for t in await client.list_tools()}
            if tool not in tools:
                known = ", ".join(sorted(str(n) for n in tools)) or "none"
                raise UsageError(f"unknown tool {tool!r} (the server offers: {known})")
            schema = tools[tool].get("inputSchema")
        arguments = {**coerce_arguments(pairs, schema), **extra}
        result = await client.call_tool(tool, arguments)
        if output == "json":
            _emit_json(result.raw)
        else:
            _print_content(result.content)
            if result.structured_content is not None and not result.text:
                _emit_json(result.structured_content)
        if result.is_error:
            print(f"mcpctl: tool {tool!r} reported an error (isError)", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK

    return _run(conn, output, body)


def _print_content(blocks: list[Message]) -> None:
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            print(block.get("text", ""))
        elif kind in ("image", "audio"):
            size = len(str(block.get("data", ""))) * 3 // 4
            print(f"[{kind} {block.get('mimeType', '?')}, {size} bytes]")
        elif kind == "resource":
            res = block.get("resource") or {}
            print(f"[resource {res.get('uri')}]")
            if "text" in res:
                print(res["text"])
        elif kind == "resource_link":
            print(f"[resource link {block.get('uri')} {block.get('name', '')}]".rstrip())
        else:
            print(orjson.dumps(block).decode())


def run_read(conn: Conn, *, uri: str, output: str) -> int:
    async def body(client: Client) -> int:
        result = await client.read_resource(uri)
        if output == "json":
            _emit_json(result)
            return EXIT_OK
        for item in result.get("contents") or []:
            if "text" in item:
                print(item["text"])
            else:
                size = len(str(item.get("blob", ""))) * 3 // 4
                print(f"[blob {item.get('mimeType', '?')}, {size} bytes: {item.get('uri')}]")
        return EXIT_OK

    return _run(conn, output, body)


def run_get_prompt(conn: Conn, *, name: str, args: list[str], output: str) -> int:
    pairs = coerce_arguments(args, {"properties": {a.partition("=")[0]: {"type": "string"} for a in args}})

    async def body(client: Client) -> int:
        result = await client.get_prompt(name, {k: str(v) for k, v in pairs.items()})
        if output == "json":
            _emit_json(result)
            return EXIT_OK
        if result.get("description"):
            print(f"# {result['description']}")
        for message in result.get("messages") or []:
            print(f"[{message.get('role')}]")
            _print_content([message.get("content") or {}])
        return EXIT_OK

    return _run(conn, output, body)


def run_ping(conn: Conn, *, count: int, output: str) -> int:
    async def body(client: Client) -> int:
        times = [await client.ping() for _ in range(count)]
        n = client.negotiated
        if output == "json":
            _emit_json({**_identity(client), "probe": n.probe, "latency_ms": times})
        else:
            version = n.server_info.get("version", "")
            print(f"connected to {n.server_name} {version} (protocol {n.protocol_version}, {n.era} era)")
            for i, ms in enumerate(times, 1):
                print(f"ping {i}: {ms:.3f} ms")
        return EXIT_OK

    return _run(conn, output, body)
