"""Cancel and resume from the dashboard's BatchDesk, through the routes, on an ``execute`` plan against a
slow stdio mock: cancel is the first Ctrl-C (the items in flight finish, the run is resumable) and
resume answers every item exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import orjson
import pytest
import trio

from mcpctl.engine.batch.engine import CANCELLED
from mcpctl.web.batch import BatchDesk, batch_routes
from mcpctl.web.routing import Request, Response, find

ITEMS = 24
MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: slow}
behaviour: {latency: 60ms}
tools:
  - name: work
    inputSchema: {type: object, properties: {item: {type: integer}}, required: [item]}
    default: {text: "done {{ args.item }}"}
"""
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: mocks}
servers:
  slow: {mock: mock.yaml}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: slow-items}
concurrency: 2
operations:
  - execute:
      server: slow
      tool: work
      input: input.jsonl
      key: id
      with: {item: "{{ record.id }}"}
      output: answers.jsonl
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MCPCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mock.yaml").write_text(MOCK, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "input.jsonl").write_text("".join(f'{{"id": {i}}}\n' for i in range(ITEMS)), encoding="utf-8")
    return tmp_path


def render(name: str, **context: object) -> str:
    return name  # no page is asked for here


async def call(desk: BatchDesk, method: str, path: str) -> dict[str, object]:
    route, params = find(batch_routes(desk, render), method, path)
    response: Response = await route.handler(Request(method=method, path=path, params=params))
    value = orjson.loads(response.body)
    assert isinstance(value, dict)
    return value


async def until(desk: BatchDesk, run: str, done: bool) -> dict[str, object]:
    """The run's status once it has finished (``done``) or once two items are answered."""
    with trio.fail_after(20):
        while True:
            status = await call(desk, "GET", f"/api/v1/batch/{run}")
            if status["state"] != "running" if done else status["done"] >= 2:  # type: ignore[operator]
                return status
            await trio.sleep(0.01)


async def test_cancel_leaves_a_resumable_run_and_resume_answers_every_item_once(
    project: Path, nursery: trio.Nursery
) -> None:
    seen: list[dict[str, object]] = []

    def publish(kind: str, fields: Mapping[str, object]) -> None:
        seen.append(dict(fields))

    desk = BatchDesk(
        specs=[str(project / "plan.yaml")], servers_files=[], state_dir=project / "state", publish=publish
    )
    await nursery.start(desk.run)
    run = str((await call(desk, "POST", "/api/v1/plans/slow-items/apply"))["run"])
    await until(desk, run, done=False)
    cancelling = await call(desk, "POST", f"/api/v1/batch/{run}/cancel")
    assert cancelling["state"] == "running"
    status = await until(desk, run, done=True)
    assert status["state"] == "cancelled"
    assert status["stopped_reason"] == CANCELLED
    assert 2 <= status["done"] < ITEMS  # type: ignore[operator]
    assert seen[-1]["state"] == "cancelled"
    answered = (project / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(answered) == status["done"]
    # a later desk (the dashboard restarted) reads the cancelled run from the store
    later = BatchDesk(specs=desk.specs, servers_files=[], state_dir=project / "state", publish=publish)
    stored = later.status(run)
    assert (stored["state"], stored["stopped_reason"], stored["done"]) == (
        "cancelled",
        CANCELLED,
        status["done"],
    )

    assert await call(desk, "POST", f"/api/v1/batch/{run}/resume") == {"run": run}
    status = await until(desk, run, done=True)
    assert (status["state"], status["failed"], status["total"]) == ("done", 0, ITEMS)
    keys = Counter(
        orjson.loads(line)["key"] for line in (project / "answers.jsonl").read_bytes().splitlines()
    )
    assert keys == Counter(range(ITEMS))  # every item answered exactly once across both runs
