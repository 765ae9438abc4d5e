"""The control endpoint of the fault proxy, over real loopback sockets with httpx as the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
import trio

from mcpctl.engine.faults.control import serve_control
from mcpctl.engine.faults.injector import Injector, Request
from mcpctl.errors import UsageError
from mcpctl.spec.fault_model import Fault, HangFault, ResetFault
from mcpctl.spec.model import Source

SOURCE = Source(path="faults.yaml", line=1, column=1)
FAULTS = [
    Fault(name="drop", kind="reset", params=ResetFault(when="before"), source=SOURCE),
    Fault(name="stall", kind="hang", params=HangFault(), enabled=False, source=SOURCE),
]


@pytest.fixture
def injector() -> Injector:
    return Injector(FAULTS, seed=1)


@pytest.fixture
async def http(injector: Injector, nursery: trio.Nursery) -> AsyncIterator[httpx.AsyncClient]:
    port = await nursery.start(partial(serve_control, injector))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client


async def test_lists_the_faults(http: httpx.AsyncClient) -> None:
    answer = await http.get("/faults")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "faults": [
            {"name": "drop", "kind": "reset", "enabled": True, "matched": 0, "injected": 0},
            {"name": "stall", "kind": "hang", "enabled": False, "matched": 0, "injected": 0},
        ]
    }


async def test_switches_faults_on_and_off(http: httpx.AsyncClient, injector: Injector) -> None:
    answer = await http.post("/faults/stall/enable")
    assert (answer.status_code, answer.json()) == (
        200,
        {"fault": {"name": "stall", "kind": "hang", "enabled": True, "matched": 0, "injected": 0}},
    )
    assert (await http.post("/faults/drop/disable")).json()["fault"]["enabled"] is False
    # what the endpoint switched is what the proxy decides with
    assert injector.decide(Request(method="ping", id=1)).action == "hang"
    assert [f["enabled"] for f in (await http.get("/faults")).json()["faults"]] == [False, True]


async def test_unknown_fault_is_a_404(http: httpx.AsyncClient) -> None:
    answer = await http.post("/faults/nope/enable")
    assert (answer.status_code, answer.json()) == (404, {"error": "no fault named 'nope'"})


async def test_log_since_a_cursor(http: httpx.AsyncClient, injector: Injector) -> None:
    injector.decide(Request(method="tools/call", id=7, tool="echo"))
    await http.post("/faults/stall/enable")
    first = (await http.get("/log", params={"since": 0})).json()
    assert first["next"] == 2
    assert [(e["seq"], e["event"], e["fault"]) for e in first["events"]] == [
        (1, "fault", "drop"),
        (2, "control", "stall"),
    ]
    assert first["events"][0]["detail"] == "connection dropped before the server got the request"
    assert first["events"][0]["tool"] == "echo"
    assert (await http.get("/log", params={"since": 1})).json()["events"] == first["events"][1:]
    assert (await http.get("/log", params={"since": 2})).json() == {"events": [], "next": 2}
    assert (await http.get("/log")).json()["next"] == 2  # no cursor: everything kept
    bad = await http.get("/log", params={"since": "x"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "since='x': expected a whole number (the 'next' of the last answer)"},
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/faults/drop/enable", 405, "GET /faults/drop/enable: use POST"),
        ("DELETE", "/faults", 405, "DELETE /faults: use GET"),
        ("POST", "/log", 405, "POST /log: use GET"),
        ("GET", "/nothing", 404, "no such endpoint: /nothing (try GET /faults or GET /log?since=0)"),
        (
            "POST",
            "/faults/drop/explode",
            404,
            "no such endpoint: /faults/drop/explode (try GET /faults or GET /log?since=0)",
        ),
    ],
)
async def test_other_requests_are_refused(
    http: httpx.AsyncClient, method: str, path: str, status: int, message: str
) -> None:
    answer = await http.request(method, path)
    assert (answer.status_code, answer.json()) == (status, {"error": message})


async def test_dns_rebinding_is_refused(http: httpx.AsyncClient, injector: Injector) -> None:
    answer = await http.post("/faults/drop/disable", headers={"host": "evil.example"})
    assert (answer.status_code, answer.json()) == (421, {"error": "Invalid Host header"})
    answer = await http.post("/faults/drop/disable", headers={"origin": "http://evil.example"})
    assert (answer.status_code, answer.json()) == (403, {"error": "Forbidden: Origin not allowed"})
    assert injector.status()[0]["enabled"] is True
    assert (await http.get("/faults", headers={"host": "localhost:1234"})).status_code == 200


async def test_refuses_a_non_loopback_address(injector: Injector) -> None:
    with pytest.raises(UsageError) as caught:
        await serve_control(injector, host="0.0.0.0")
    assert str(caught.value) == (
        "the control endpoint listens on loopback only, not '0.0.0.0': "
        "use 127.0.0.1, ::1 or localhost (anyone who reaches it can switch faults)"
    )
