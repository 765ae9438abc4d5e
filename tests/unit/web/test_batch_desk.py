"""The dashboard's BatchDesk and its routes over real BatchPlans in temp files: a ``deploy`` of a remote
server into two config files, applied through the CLI's engine, journal, state lock and store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import orjson
import pytest
import trio

from mcpctl.engine.batch.lock import acquire_state_lock
from mcpctl.store import open_store
from mcpctl.web.batch import BatchDesk, batch_routes
from mcpctl.web.pages import make_render
from mcpctl.web.routing import HttpError, Request, Response, find

CONFIG = '{\n  "mcpServers": {\n    "linear": {"url": "https://mcp.linear.app/sse"}\n  }\n}\n'
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: local}}
servers:
  remote: {{url: "https://mcp.example.com/mcp"}}
  other: {{url: "https://other.example.com/mcp"}}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: demo, description: two configs}}
concurrency: 2
operations:
  - deploy:
      servers: [{servers}]
      to:
        - {{client: cursor, file: {a}}}
        - {{client: cursor, file: {b}}}
"""


class Events:
    """What the desk publishes."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, object]]] = []

    def __call__(self, kind: str, fields: Mapping[str, object]) -> None:
        self.seen.append((kind, dict(fields)))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    (project / "cfg").mkdir(parents=True)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(project)
    for name in ("a.json", "b.json"):
        (project / "cfg" / name).write_text(CONFIG, encoding="utf-8")
    write_plan(project, "remote")
    return project


def write_plan(project: Path, servers: str) -> None:
    a, b = project / "cfg" / "a.json", project / "cfg" / "b.json"
    (project / "plan.yaml").write_text(PLAN.format(servers=servers, a=a, b=b), encoding="utf-8")


@pytest.fixture
async def desk(project: Path, nursery: trio.Nursery) -> BatchDesk:
    desk = BatchDesk(
        specs=[str(project / "plan.yaml")], servers_files=[], state_dir=project / "state", publish=Events()
    )
    await nursery.start(desk.run)
    return desk


def events(desk: BatchDesk) -> list[dict[str, object]]:
    publish = desk._publish
    assert isinstance(publish, Events)
    assert {kind for kind, _ in publish.seen} <= {"batch"}
    return [fields for _, fields in publish.seen]


async def finished(desk: BatchDesk, run: str) -> dict[str, object]:
    with trio.fail_after(10):
        return await desk.wait(run)


async def call(desk: BatchDesk, method: str, path: str) -> Response:
    route, params = find(batch_routes(desk, make_render()), method, path)
    return await route.handler(Request(method=method, path=path, params=params))


def body(response: Response) -> dict[str, object]:
    value = orjson.loads(response.body)
    assert isinstance(value, dict)
    return value


async def test_apply_deploys_with_progress_events_in_order_and_saves_the_run(
    desk: BatchDesk, project: Path
) -> None:
    run = desk.apply("demo")
    status = await finished(desk, run)
    assert {k: status[k] for k in ("run", "plan", "state", "done", "failed", "total", "stopped_reason")} == {
        "run": run,
        "plan": "demo",
        "state": "done",
        "done": 2,
        "failed": 0,
        "total": 2,
        "stopped_reason": None,
    }
    seen = events(desk)
    assert seen[0]["state"] == "running"
    assert seen[0]["done"] == 0
    assert [e["done"] for e in seen] == sorted(e["done"] for e in seen)  # counts only rise
    assert seen[-1] == {k: v for k, v in status.items() if k not in ("notes", "items_per_s")} | {
        "items_per_s": seen[-1]["items_per_s"]
    }
    assert {e["run"] for e in seen} == {run}
    for name in ("a.json", "b.json"):
        assert '"remote"' in (project / "cfg" / name).read_text(encoding="utf-8")
    with open_store(project / "state") as store:
        assert store.get_run(run).exit_code == 0
    assert (project / "state" / "runs" / run / "journal.jsonl").exists()


async def test_rollback_restores_the_files_byte_identical(desk: BatchDesk, project: Path) -> None:
    before = {name: (project / "cfg" / name).read_bytes() for name in ("a.json", "b.json")}
    run = desk.apply("demo")
    await finished(desk, run)
    assert (project / "cfg" / "a.json").read_bytes() != before["a.json"]
    answer = body(await call(desk, "POST", f"/api/v1/batch/{run}/rollback"))
    assert answer["run"] == run
    assert answer["failed"] == 0
    assert sorted(f["path"] for f in answer["files"]) == [  # type: ignore[attr-defined]
        str(project / "cfg" / "a.json"),
        str(project / "cfg" / "b.json"),
    ]
    assert {name: (project / "cfg" / name).read_bytes() for name in before} == before


async def test_a_held_state_lock_answers_409_naming_the_holder(desk: BatchDesk, project: Path) -> None:
    with acquire_state_lock(project / "state", "apply"), pytest.raises(HttpError) as caught:
        await call(desk, "POST", "/api/v1/plans/demo/apply")
    assert caught.value.status == 409
    assert caught.value.message.startswith("another mcpctl apply (pid ")
    assert not (project / "state" / "runs").exists()  # nothing was started
    run = desk.apply("demo")  # the lock was released by the refused request's holder only
    assert (await finished(desk, run))["state"] == "done"


async def test_an_unknown_plan_is_404_naming_the_plans(desk: BatchDesk) -> None:
    for method, path in (("GET", "/api/v1/plans/nope"), ("POST", "/api/v1/plans/nope/apply")):
        with pytest.raises(HttpError) as caught:
            await call(desk, method, path)
        assert (caught.value.status, caught.value.message) == (
            404,
            "no BatchPlan named 'nope' in --specs (plans: demo)",
        )


async def test_an_unknown_run_is_404_and_cancel_of_a_finished_run_409(desk: BatchDesk) -> None:
    run = desk.apply("demo")
    await finished(desk, run)
    with pytest.raises(HttpError) as caught:
        await call(desk, "POST", f"/api/v1/batch/{run}/cancel")
    assert (caught.value.status, caught.value.message) == (409, f"run {run} is not running")
    with pytest.raises(HttpError) as caught:
        await call(desk, "GET", "/api/v1/batch/19990101T000000-000000")
    assert caught.value.status == 404
    assert caught.value.message.startswith("no batch run '19990101T000000-000000' in ")


async def test_resume_after_the_plan_changed_is_400(desk: BatchDesk, project: Path) -> None:
    run = desk.apply("demo")
    await finished(desk, run)
    write_plan(project, "remote, other")
    with pytest.raises(HttpError) as caught:
        await call(desk, "POST", f"/api/v1/batch/{run}/resume")
    assert caught.value.status == 400
    assert caught.value.message == (
        f"run {run}: the operations of BatchPlan/demo changed since the run started; resume finishes the "
        "same work (concurrency, timeout, retry, memoryLimit and the failure policy may change): restore "
        f"them, or roll back with `mcpctl rollback {run}` and apply anew"
    )


async def test_plan_answers_the_diff_and_changes_nothing(desk: BatchDesk, project: Path) -> None:
    answer = body(await call(desk, "GET", "/api/v1/plans/demo"))
    assert answer["plan"] == "demo"
    assert answer["changes"] == 2
    assert answer["file"] == str(project / "plan.yaml")
    assert answer["line"] == 8
    (operation,) = answer["operations"]  # type: ignore[misc]
    diff = operation["steps"][0]["diff"]
    assert '+    "remote": {\n' in diff
    assert (project / "cfg" / "a.json").read_text(encoding="utf-8") == CONFIG
    plans = body(await call(desk, "GET", "/api/v1/plans"))["plans"]
    assert plans == [
        {
            "name": "demo",
            "description": "two configs",
            "file": str(project / "plan.yaml"),
            "line": 8,
            "operations": 1,
            "last_run": None,
        }
    ]


async def test_the_page_lists_plans_and_runs_and_an_invalid_spec_shows_file_and_line(
    desk: BatchDesk, project: Path
) -> None:
    run = desk.apply("demo")
    await finished(desk, run)
    page = (await call(desk, "GET", "/batch")).body.decode()
    assert f'<a href="/runs/{run}">{run}</a>' in page
    assert '<button type="button" class="apply-button" data-plan="demo">Apply</button>' in page
    assert "done 2 of 2, 0 failed" in page
    assert '<script src="/static/batch.js" defer></script>' in page
    assert 'aria-current="page" class="active">Batch</a>' in page
    (project / "plan.yaml").write_text("apiVersion: mcpctl/v1\nkind: BatchPlan\nmetadata: {name: x}\n")
    page = (await call(desk, "GET", "/batch")).body.decode()
    assert f"Invalid specs:</span> <code>{project / 'plan.yaml'}:" in page
    with pytest.raises(HttpError) as caught:
        await call(desk, "GET", "/api/v1/plans")
    assert caught.value.status == 400
    assert caught.value.message.startswith(f"{project / 'plan.yaml'}:")


async def test_earlier_runs_are_read_from_the_state_dir(desk: BatchDesk, project: Path) -> None:
    run = desk.apply("demo")
    await finished(desk, run)
    later = BatchDesk(specs=desk.specs, servers_files=[], state_dir=project / "state", publish=Events())
    status = later.status(run)
    assert {k: status[k] for k in ("run", "plan", "state", "done", "failed", "total")} == {
        "run": run,
        "plan": "demo",
        "state": "done",
        "done": 2,
        "failed": 0,
        "total": 2,
    }
    assert later.plans()[0]["last_run"] == {**status, "started": later.recent()[0]["started"]}
