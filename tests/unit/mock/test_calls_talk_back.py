"""What a mock answer does with its client while the call runs, driven message by message: log
messages (and logging/setLevel), requests to the client (ask) routed back by id, resource
subscriptions, and which calls a transport may answer inline."""

from __future__ import annotations

import trio
from trio.testing import wait_all_tasks_blocked

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mock.app import ServedMock
from mcpctl.mock.session import STREAM_BREAK, StreamPolicy, Undeliverable
from mcpctl.spec.mock_model import Ask, LogMessage, MockTool, Response, SseOptions
from mcpctl.spec.units import parse_duration
from tests.unit.mock.test_dispatch import SRC, Client, spec, text

SAMPLING = Ask(
    method="sampling/createMessage",
    params={"messages": [{"role": "user", "content": {"type": "text", "text": "{{ args.prompt }}"}}]},
    timeout=parse_duration("5s"),
)


def tool(name: str, response: Response) -> MockTool:
    return MockTool(name=name, default=response, source=SRC)


LOGGING = tool(
    "logs",
    Response(
        content=text("done"),
        log=(
            LogMessage(level="debug", data="starting {{ args.n }}"),
            LogMessage(
                level="warning", data={"n": "{{ args.n }}"}, logger="db", delay=parse_duration("50ms")
            ),
        ),
    ),
)
ASKING = tool("sample", Response(content=text("LLM said: {{ answer.content.text }}"), ask=SAMPLING))


async def initialize(client: Client, capabilities: Message) -> None:
    await client.ask("initialize", {"protocolVersion": "2025-11-25", "capabilities": capabilities})


async def test_log_messages_go_to_the_request_at_the_level_asked(autojump_clock: trio.abc.Clock) -> None:
    client = Client(ServedMock(spec(tools=(LOGGING,))))
    start = trio.current_time()
    assert (await client.call("logs", n=3))["result"]["content"][0]["text"] == "done"
    assert trio.current_time() - start == 0.05
    assert [m["params"] for m in client.related] == [
        {"level": "debug", "data": "starting 3"},
        {"level": "warning", "data": {"n": 3}, "logger": "db"},
    ]
    assert {m["method"] for m in client.related} == {"notifications/message"}
    client.related.clear()
    assert (await client.ask("logging/setLevel", {"level": "info"}))["result"] == {}
    await client.call("logs", n=4)
    assert [m["params"]["level"] for m in client.related] == ["warning"]
    bad = await client.ask("logging/setLevel", {"level": "loud"})
    assert bad["error"] == {
        "code": -32602,
        "message": "Invalid log level: 'loud' (one of debug, info, notice, warning, error, critical, alert, "
        "emergency)",
    }


async def test_an_ask_goes_out_related_and_its_answer_renders_the_response() -> None:
    app = ServedMock(spec(tools=(ASKING,)))
    client = Client(app)
    await initialize(client, {"sampling": {}})
    answers: list[Message] = []

    async def call() -> None:
        answers.append(await client.call("sample", prompt="hi?"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call)
        await wait_all_tasks_blocked()
        [asked] = client.related
        assert asked == {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "sampling/createMessage",
            "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi?"}}]},
        }
        stray = {"jsonrpc": "2.0", "id": 99, "result": {}}
        assert await client.session.handle(stray, client._related) is None  # nobody waits: ignored
        reply = {
            "jsonrpc": "2.0",
            "id": 1,
            "result": {"role": "assistant", "content": {"type": "text", "text": "42"}},
        }
        assert await client.session.handle(reply, client._related) is None
    assert answers[0]["result"] == {"content": [{"type": "text", "text": "LLM said: 42"}]}


async def test_an_ask_the_client_cannot_or_will_not_answer_fails_the_call(
    autojump_clock: trio.abc.Clock,
) -> None:
    app = ServedMock(spec(tools=(ASKING,)))
    without = Client(app)
    await initialize(without, {})
    refused = (await without.call("sample", prompt="x"))["result"]
    assert refused == {
        "content": [
            {
                "type": "text",
                "text": "sample: the client does not support sampling/createMessage (no sampling capability)",
            }
        ],
        "isError": True,
    }
    assert without.related == []
    silent = Client(app)
    await initialize(silent, {"sampling": {}})
    late = (await silent.call("sample", prompt="x"))["result"]["content"][0]["text"]
    assert late == "sample: the client did not answer sampling/createMessage within 5s"
    assert app.history[-1].is_error


async def test_an_error_answer_and_an_undeliverable_ask_fail_the_call() -> None:
    app = ServedMock(spec(tools=(ASKING,)))
    client = Client(app)
    await initialize(client, {"sampling": {}})
    results: list[Message] = []

    async def call() -> None:
        results.append(await client.call("sample", prompt="x"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call)
        await wait_all_tasks_blocked()
        no = {"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "User rejected sampling request"}}
        await client.session.handle(no, client._related)
    text_of = results[0]["result"]["content"][0]["text"]
    assert text_of == "sample: the client refused sampling/createMessage: User rejected sampling request (-1)"

    async def nowhere(message: Message) -> None:
        raise Undeliverable("no stream")

    request = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "sample", "arguments": {"prompt": "x"}},
    }
    answer = await client.session.handle(request, nowhere)
    assert answer is not None
    assert answer["result"]["content"][0]["text"] == (
        "sample: sampling/createMessage cannot reach the client on this transport"
    )


async def test_subscriptions_are_announced_and_tracked_when_on() -> None:
    off = Client(ServedMock(spec()))
    assert (await off.ask("resources/subscribe", {"uri": "file:///a.txt"}))["error"] == {
        "code": -32601,
        "message": "Method not found: resources/subscribe (subscriptions are off)",
    }
    client = Client(ServedMock(spec(subscriptions=True, resources=(), resource_templates=())))
    caps = (await client.ask("initialize", {"protocolVersion": "2025-11-25"}))["result"]["capabilities"]
    assert caps["resources"] == {"listChanged": False, "subscribe": True}
    assert (await client.ask("resources/subscribe", {"uri": "test://w"}))["result"] == {}
    assert client.session.subscribed == {"test://w"}
    assert (await client.ask("resources/unsubscribe", {"uri": "test://w"}))["result"] == {}
    assert client.session.subscribed == set()
    assert (await client.ask("resources/subscribe", {}))["error"][
        "message"
    ] == "uri must be a non-empty string"


async def test_a_disconnecting_answer_breaks_its_stream_first() -> None:
    breaking = tool("reconnect", Response(content=text("ok"), disconnect=True))
    client = Client(ServedMock(spec(tools=(breaking,), sse=SseOptions(resumable=True))))
    await client.call("reconnect")
    assert client.related == [STREAM_BREAK]


async def test_calls_that_wait_are_not_instant_and_streams_resume_from_2025_11_25() -> None:
    plain = tool("plain", Response(content=text("x"), log=(LogMessage(data="no wait"),)))
    app = ServedMock(
        spec(tools=(plain, LOGGING, ASKING), sse=SseOptions(resumable=True, retry=parse_duration("250ms")))
    )
    assert app.instant_tools == {"plain"}
    client = Client(app)
    await client.ask("initialize", {"protocolVersion": "2025-06-18"})
    assert client.session.stream_policy() is None  # an older client cannot read a priming event
    await client.ask("initialize", {"protocolVersion": "2025-11-25"})
    assert client.session.stream_policy() == StreamPolicy(retry_ms=250)
    assert Client(ServedMock(spec())).session.stream_policy() is None
