"""The mock's JSON-RPC dispatch, driven message by message (no transport): what a server owes
for each method, rules and sequences, scenarios, injected errors, latency, progress, pagination."""

from __future__ import annotations

import re

import trio

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mock.app import ServedMock
from mcpctl.spec.mock_model import (
    ArgMatcher,
    Behaviour,
    Completion,
    ErrorAnswer,
    Latency,
    MockPrompt,
    MockResource,
    MockResourceTemplate,
    MockServerSpec,
    MockTool,
    Progress,
    PromptArgument,
    PromptMessage,
    Response,
    Rule,
    ScenarioSwitch,
)
from mcpctl.spec.model import Expected, Metadata, Source
from mcpctl.spec.units import parse_duration, parse_percent

SRC = Source(path="mock.yaml", line=1, column=1)
WEATHER_OUT = {
    "type": "object",
    "properties": {"temp": {"type": "number", "minimum": -50}, "sky": {"enum": ["clear", "rain"]}},
    "required": ["temp", "sky"],
}


def text(value: str) -> tuple[dict[str, str], ...]:
    return ({"type": "text", "text": value},)


def spec(**changes: object) -> MockServerSpec:
    weather = MockTool(
        name="weather",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        output_schema=WEATHER_OUT,
        rules=(
            Rule(
                scenario="outage",
                respond=(Response(error=ErrorAnswer(code=-32000, message="down")),),
                source=SRC,
            ),
            Rule(
                args={"city": ArgMatcher(equals=Expected(value="Paris"))},
                respond=(
                    Response(
                        content=text("sunny in {{ args.city }}"),
                        structured_content=Expected(value={"temp": 20, "sky": "clear"}),
                    ),
                ),
                source=SRC,
            ),
            Rule(
                args={"city": ArgMatcher(matches=re.compile("^Lon"))},
                respond=(
                    Response(content=text("first")),
                    Response(content=text("second, call {{ call.count }}")),
                ),
                source=SRC,
            ),
        ),
        source=SRC,
    )
    fields: dict[str, object] = {
        "metadata": Metadata(name="demo"),
        "server_name": "demo-mock",
        "tools": (weather, MockTool(name="hidden", scenarios=("outage",), source=SRC)),
        "resources": (
            MockResource(
                uri="file:///a.txt", name="a", mime_type="text/plain", text="A in {{ scenario }}", source=SRC
            ),
        ),
        "resource_templates": (
            MockResourceTemplate(
                uri_template="repo://{owner}/{name}",
                name="repo",
                text="{{ params.owner }}/{{ params.name }}",
                source=SRC,
            ),
        ),
        "prompts": (
            MockPrompt(
                name="greet",
                arguments=(PromptArgument(name="who", required=True),),
                messages=(
                    PromptMessage(role="user", content={"type": "text", "text": "Hello {{ args.who }}"}),
                ),
                source=SRC,
            ),
        ),
        "completions": (
            Completion(ref_type="prompt", ref="greet", argument="who", values=("alice", "albert", "bob")),
        ),
        "source": SRC,
        "spec_hash": "x",
    }
    fields.update(changes)
    return MockServerSpec(**fields)  # type: ignore[arg-type]


class Client:
    def __init__(self, app: ServedMock) -> None:
        self.related: list[Message] = []
        self.unsolicited: list[Message] = []
        self.session = app.open_session(self._unsolicited)
        self.next_id = 0

    async def _unsolicited(self, message: Message) -> None:
        self.unsolicited.append(message)

    async def _related(self, message: Message) -> None:
        self.related.append(message)

    async def ask(self, method: str, params: Message | None = None, **extra: object) -> Message:
        self.next_id += 1
        message: Message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, **extra}
        if params is not None:
            message["params"] = params
        answer = await self.session.handle(message, self._related)
        assert answer is not None
        return answer

    async def call(self, tool: str, **arguments: object) -> Message:
        return await self.ask("tools/call", {"name": tool, "arguments": arguments})


async def test_initialize_negotiates_and_announces_what_the_spec_has() -> None:
    client = Client(ServedMock(spec()))
    answer = (await client.ask("initialize", {"protocolVersion": "2025-03-26", "capabilities": {}}))["result"]
    assert answer["protocolVersion"] == "2025-03-26"
    assert answer["serverInfo"] == {"name": "demo-mock", "version": "1.0.0"}
    assert answer["capabilities"] == {
        "logging": {},
        "tools": {"listChanged": True},
        "resources": {"listChanged": False, "subscribe": False},
        "prompts": {"listChanged": False},
        "completions": {},
    }
    unknown = (await client.ask("initialize", {"protocolVersion": "1999-01-01"}))["result"]
    assert unknown["protocolVersion"] == "2025-11-25"


async def test_protocol_errors() -> None:
    client = Client(ServedMock(spec()))
    assert (await client.ask("server/discover"))["error"]["code"] == -32601
    assert (await client.ask("tools/call", {"name": "nope"}))["error"] == {
        "code": -32602,
        "message": "Unknown tool: nope",
    }
    assert (await client.ask("tools/list", [1]))["error"]["code"] == -32602  # type: ignore[arg-type]
    assert (await client.ask("resources/read", {"uri": "file:///none"}))["error"] == {
        "code": -32002,
        "message": "Resource not found",
        "data": {"uri": "file:///none"},
    }
    invalid = await client.session.handle({"jsonrpc": "2.0", "id": 9, "method": 5}, client._related)
    assert invalid == {"jsonrpc": "2.0", "id": 9, "error": {"code": -32600, "message": "Invalid Request"}}
    assert (
        await client.session.handle(
            {"jsonrpc": "2.0", "method": "notifications/initialized"}, client._related
        )
        is None
    )


async def test_rules_sequences_templates_and_the_generated_default() -> None:
    client = Client(ServedMock(spec()))
    paris = (await client.call("weather", city="Paris"))["result"]
    assert paris == {
        "content": [{"type": "text", "text": "sunny in Paris"}],
        "structuredContent": {"temp": 20, "sky": "clear"},
    }
    texts = [(await client.call("weather", city="London"))["result"]["content"][0]["text"] for _ in range(3)]
    assert texts == ["first", "second, call 3", "second, call 4"]
    generated = (await client.call("weather", city="Rome"))["result"]
    assert generated["structuredContent"] == {"temp": -50, "sky": "clear"}
    invalid = (await client.call("weather", town="Rome"))["result"]
    assert invalid == {
        "content": [
            {"type": "text", "text": "Invalid arguments for tool weather: 'city' is a required property"}
        ],
        "isError": True,
    }
    history = client.session.app.history
    assert [record.rule for record in history] == [
        "responses[1]",
        "responses[2]",
        "responses[2]",
        "responses[2]",
        "generated",
        "invalid-arguments",
    ]


async def test_scenarios_switch_tools_rules_and_notify() -> None:
    app = ServedMock(spec(switches=(ScenarioSwitch(after=2, to="outage"),)))
    client = Client(app)
    names = [tool["name"] for tool in (await client.ask("tools/list"))["result"]["tools"]]
    assert names == ["weather"]
    await client.call("weather", city="Paris")
    assert client.unsolicited == []
    await client.call("weather", city="Paris")  # the second call switches to outage
    assert client.unsolicited == [{"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}]
    assert (await client.call("weather", city="Paris"))["error"] == {"code": -32000, "message": "down"}
    assert [tool["name"] for tool in (await client.ask("tools/list"))["result"]["tools"]] == [
        "weather",
        "hidden",
    ]
    assert (await client.ask("mcpctl/setScenario", {"scenario": "default"}))["result"] == {
        "scenario": "default"
    }
    assert "sunny" in (await client.call("weather", city="Paris"))["result"]["content"][0]["text"]


async def test_error_rate_and_latency_are_seeded(autojump_clock: trio.abc.Clock) -> None:
    behaviour = Behaviour(
        latency=Latency(distribution="uniform", min=parse_duration("10ms"), max=parse_duration("30ms")),
        error_rate=parse_percent("30%"),
    )

    async def run() -> tuple[list[bool], float]:
        client = Client(ServedMock(spec(behaviour=behaviour, seed=7)))
        start = trio.current_time()
        failed = [("error" in await client.call("weather", city="Paris")) for _ in range(200)]
        return failed, trio.current_time() - start

    first, elapsed = await run()
    second, again = await run()
    assert first == second
    assert elapsed == again
    assert 40 <= sum(first) <= 80  # 30% of 200, give or take
    assert 200 * 0.010 <= elapsed <= 200 * 0.030


async def test_progress_notifications_go_to_the_request(autojump_clock: trio.abc.Clock) -> None:
    tool = MockTool(
        name="slow",
        behaviour=Behaviour(progress=Progress(steps=3, interval=parse_duration("1s"))),
        source=SRC,
    )
    client = Client(ServedMock(spec(tools=(tool,))))
    answer = await client.ask(
        "tools/call", {"name": "slow", "arguments": {}, "_meta": {"progressToken": "t"}}
    )
    assert answer["result"] == {"content": [{"type": "text", "text": "ok"}]}
    assert [n["params"]["progress"] for n in client.related] == [1, 2, 3]
    assert client.related[0]["params"] == {"progressToken": "t", "progress": 1, "total": 3}


async def test_cancelled_requests_get_no_answer(autojump_clock: trio.abc.Clock) -> None:
    tool = MockTool(
        name="slow", behaviour=Behaviour(latency=Latency(value=parse_duration("10s"))), source=SRC
    )
    client = Client(ServedMock(spec(tools=(tool,))))
    answers: list[Message | None] = []

    async def call() -> None:
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "slow"}}
        answers.append(await client.session.handle(message, client._related))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call)
        await trio.sleep(1)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
        await client.session.handle(cancel, client._related)
    assert answers == [None]
    assert trio.current_time() < 5


async def test_resources_templates_prompts_completions_and_pages() -> None:
    client = Client(ServedMock(spec(page_size=1)))
    first = (await client.ask("tools/list"))["result"]
    assert [t["name"] for t in first["tools"]] == ["weather"]
    assert "nextCursor" not in first  # "hidden" is not listed in the default scenario
    read = (await client.ask("resources/read", {"uri": "file:///a.txt"}))["result"]
    assert read == {"contents": [{"uri": "file:///a.txt", "mimeType": "text/plain", "text": "A in default"}]}
    repo = (await client.ask("resources/read", {"uri": "repo://octo/demo"}))["result"]
    assert repo["contents"][0]["text"] == "octo/demo"
    prompt = (await client.ask("prompts/get", {"name": "greet", "arguments": {"who": "Ann"}}))["result"]
    assert prompt == {"messages": [{"role": "user", "content": {"type": "text", "text": "Hello Ann"}}]}
    missing = (await client.ask("prompts/get", {"name": "greet"}))["error"]
    assert missing == {"code": -32602, "message": "Missing required arguments for prompt greet: who"}
    ref = {"type": "ref/prompt", "name": "greet"}
    done = (
        await client.ask("completion/complete", {"ref": ref, "argument": {"name": "who", "value": "al"}})
    )["result"]
    assert done == {"completion": {"values": ["alice", "albert"], "total": 2, "hasMore": False}}
    bad = (await client.ask("tools/list", {"cursor": "garbage!"}))["error"]
    assert bad == {"code": -32602, "message": "Invalid cursor: 'garbage!'"}


async def test_history_is_readable_over_the_protocol() -> None:
    client = Client(ServedMock(spec()))
    await client.call("weather", city="Paris")
    await client.call("weather", town="x")
    answer = (await client.ask("mcpctl/history", {"tool": "weather", "clear": True}))["result"]
    calls = answer["calls"]
    assert [(c["tool"], c["arguments"], c["rule"], c["isError"]) for c in calls] == [
        ("weather", {"city": "Paris"}, "responses[1]", False),
        ("weather", {"town": "x"}, "invalid-arguments", True),
    ]
    assert answer["scenario"] == "default"
    assert calls[0]["answer"]["content"] == [{"type": "text", "text": "sunny in Paris"}]
    assert calls[1]["answer"]["isError"] is True
    assert (await client.ask("mcpctl/history"))["result"]["calls"] == []
