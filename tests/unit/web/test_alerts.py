"""The Alerts pages and API (mcpctl/web/alerts.py) over a real store, through their Route handlers, with
the alerts written as a running monitor writes them, and the CLI (``mcpctl alerts ...``) reading back what
the page wrote."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mcpctl.spec.alert_matchers import matches_all, parse_matcher
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from mcpctl.web import alerts_view
from mcpctl.web.alerts import EMPTY_COMMENT, alert_routes
from mcpctl.web.routing import HttpError, Render, Request, Response, Route, find
from testing.cli import invoke as mcpctl
from tests.unit.report.test_html import CORPUS, INJECTIONS, walk

TEMPLATES = Path(__file__).resolve().parents[3] / "mcpctl" / "web" / "templates"
# the pages are rendered in a stand-in base with the same blocks, in an environment configured as the
# dashboard's is (tests/unit/web/test_alerts_base.py renders them in the real one)
BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %} - mcpctl</title>
{% block scripts %}{% endblock %}</head>
<body><nav class="{{ nav }}"><a href="/">Overview</a> <a href="/alerts">Alerts</a></nav>
<main>{% block content %}{% endblock %}</main></body></html>
"""
NOW = time.time()
ERRORS = "a1b2c3d4e5f60718"
SLOW = "ffee0011aabb2233"


def stand_in_render() -> Render:
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([DictLoader({"base.html.j2": BASE}), FileSystemLoader(str(TEMPLATES))]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def render(template_name: str, /, **context: object) -> str:
        return env.get_template(template_name).render(**context)

    return render


def active(name: str, server: str, state: str, fingerprint: str, *, text: str = "") -> stored.ActiveAlert:
    labels = {"alertname": name, "server": server, "severity": "critical", "team": text or "ops"}
    return stored.ActiveAlert(
        monitor="prod",
        alertname=name,
        server=server,
        state=state,
        since=NOW - 120,
        fingerprint=fingerprint,
        record={
            "severity": "critical",
            "labels": labels,
            "annotations": {"summary": f"{name} on {server} {text}".strip(), "runbook": text or "none"},
            "muted": None,
        },
    )


def write_monitor_state(state_dir: Path, *, server: str = "flaky", text: str = "") -> None:
    """What a running monitor writes: the active alerts and their history."""
    with open_store(state_dir) as store:
        stored.set_active(
            store,
            "prod",
            [
                active("Errors", server, "firing", ERRORS, text=text),
                active("Slow", "weather", "pending", SLOW),
            ],
        )
        stored.record_history(
            store,
            [
                ("prod", NOW - 180, "pending", ERRORS, "Errors", server, {"reason": "error_rate 100% > 50%"}),
                ("prod", NOW - 120, "fired", ERRORS, "Errors", server, {"reason": "error_rate 100% > 50%"}),
                ("prod", NOW - 120, "pending", SLOW, "Slow", "weather", {"reason": "p99 900ms > 500ms"}),
                (
                    "prod",
                    NOW - 60,
                    "notified",
                    ERRORS,
                    "Errors",
                    server,
                    {"receivers": ["hook"], "why": "new"},
                ),
            ],
        )


class Desk:
    """The routes of one dashboard over ``state_dir``, and the events they published."""

    def __init__(self, state_dir: Path, render: Render | None = None) -> None:
        self.published: list[tuple[str, dict[str, object]]] = []
        self.routes: list[Route] = alert_routes(
            state_dir=state_dir,
            render=render or stand_in_render(),
            publish=lambda kind, fields: self.published.append((kind, dict(fields))),
        )

    async def call(
        self, method: str, path: str, body: object = None, query: dict[str, str] | None = None
    ) -> Response:
        route, params = find(self.routes, method, path)
        raw = b"" if body is None else json.dumps(body).encode()
        request = Request(method=method, path=path, query=query or {}, body=raw, params=params)
        return await route.handler(request)

    async def json(self, method: str, path: str, body: object = None, **query: str) -> object:
        return json.loads((await self.call(method, path, body, query)).body)

    async def page(self, path: str, **query: str) -> str:
        response = await self.call("GET", path, query=query)
        assert (response.status, response.content_type) == (200, "text/html; charset=utf-8")
        return response.body.decode()

    async def error(self, method: str, path: str, body: object = None, **query: str) -> tuple[int, str]:
        with pytest.raises(HttpError) as raised:
            await self.call(method, path, body, query)
        return raised.value.status, raised.value.message


@pytest.fixture
def state(tmp_path: Path) -> Path:
    write_monitor_state(tmp_path / "state")
    return tmp_path / "state"


@pytest.fixture
def desk(state: Path) -> Desk:
    return Desk(state)


def cli(*args: str, state: Path) -> tuple[int, str, str]:
    return mcpctl("alerts", *args, "--state-dir", str(state))


def test_the_routes_and_which_need_the_token(desk: Desk) -> None:
    assert [(r.method, r.pattern, r.changes) for r in desk.routes] == [
        ("GET", "/alerts", False),
        ("GET", "/alerts/{fingerprint}", False),
        ("GET", "/api/v1/alerts", False),
        ("GET", "/api/v1/alerts/history", False),
        ("GET", "/api/v1/silences", False),
        ("POST", "/api/v1/alerts/{fingerprint}/ack", True),
        ("POST", "/api/v1/silences", True),
        ("POST", "/api/v1/silences/{id}/expire", True),
    ]


async def test_the_page_lists_firing_and_pending_alerts_with_their_forms(desk: Desk) -> None:
    text = await desk.page("/alerts")
    page = walk(text)
    assert 'Errors</span>\n    on <span data-field="server">flaky' in text
    assert '<span data-field="state">firing</span>' in text
    assert '<span data-field="state">pending</span>' in text
    assert 'class="state state-firing"' in text
    assert 'class="state state-pending"' in text
    assert '<p class="summary" data-field="summary">Errors on flaky</p>' in text
    # an Ack form for the firing alert (hidden for the pending one), a silence form for each, prefilled
    assert f'action="/api/v1/alerts/{ERRORS}/ack"' in text
    assert f'action="/api/v1/alerts/{SLOW}/ack" hidden' in text
    matchers = 'alertname="Errors"\nserver="flaky"\nseverity="critical"\nteam="ops"</textarea>'
    assert matchers.replace('"', "&#34;") in text
    assert page.tags.count("form") == 2 * 2 + 1 + 3  # two per alert, New silence, the templates'
    assert page.tags.count("button") == page.tags.count("form")
    assert ("script", "src", "/static/alerts.js") in page.attributes
    assert 'aria-live="polite"' in text
    # history newest first, with the CLI's DETAIL text
    assert text.index(">notified<") < text.index(">fired<") < text.index("error_rate 100% &gt; 50%")
    assert "new to hook" in text
    assert "No silences in force." in text


async def test_the_page_renders_without_any_store(tmp_path: Path) -> None:
    text = await Desk(tmp_path / "nothing").page("/alerts")
    assert "No alerts pending or firing." in text
    assert "No alert history." in text
    assert not (tmp_path / "nothing").exists()  # reading creates no state directory


async def test_the_api_lists_what_mcpctl_alerts_list_shows(desk: Desk, state: Path) -> None:
    found = await desk.json("GET", "/api/v1/alerts")
    code, out, _ = cli("list", "--output", "json", state=state)
    assert code == 0
    assert isinstance(found, list)
    assert [{k: a[k] for k in json.loads(out)[0]} for a in found] == json.loads(out)
    assert [(a["alertname"], a["state"], a["marks"], a["acks"]) for a in found] == [
        ("Errors", "firing", "", []),
        ("Slow", "pending", "", []),
    ]


async def test_an_ack_from_the_page_is_the_ack_mcpctl_alerts_ack_writes(desk: Desk, state: Path) -> None:
    answer = await desk.call(
        "POST", f"/api/v1/alerts/{ERRORS[:6]}/ack", {"comment": " on it ", "author": "ann"}
    )
    created = json.loads(answer.body)
    assert answer.status == 201
    assert {k: created[k] for k in ("fingerprint", "author", "comment", "alertname", "server")} == {
        "fingerprint": ERRORS,
        "author": "ann",
        "comment": "on it",
        "alertname": "Errors",
        "server": "flaky",
    }
    assert desk.published == [("alert_ack", created)]
    assert cli("ack", ERRORS, "--comment", "on it", "--author", "ann", state=state) == (
        0,
        f"acknowledged Errors on flaky ({ERRORS})\n",
        "",
    )
    with open_store(state) as store:
        web, by_cli = stored.acks(store, ERRORS)
    assert (web.fingerprint, web.author, web.comment) == (by_cli.fingerprint, by_cli.author, by_cli.comment)
    assert web.id == created["id"]
    # until a monitor applies it, the page marks the alert "ack sent"
    assert '<span class="marks" data-field="marks">ack sent</span>' in await desk.page("/alerts")


async def test_the_history_shows_an_ack_once_the_monitor_applied_it(desk: Desk, state: Path) -> None:
    await desk.call("POST", f"/api/v1/alerts/{ERRORS}/ack", {"comment": "on it", "author": "ann"})
    with open_store(state) as store:  # what the monitor writes at its next evaluation
        (ack,) = stored.acks_after(store, 0)
        detail = {"author": ack.author, "comment": ack.comment}
        stored.record_history(store, [("prod", NOW, "acked", ERRORS, "Errors", "flaky", detail)])
    code, out, _ = cli("history", ERRORS[:4], state=state)
    assert code == 0
    assert out.splitlines()[-1].split(None, 5)[1:] == ["acked", "Errors", "flaky", ERRORS, "by ann: on it"]
    assert "by ann: on it" in await desk.page(f"/alerts/{ERRORS}")


async def test_a_silence_from_the_page_is_listed_by_the_cli(desk: Desk, state: Path) -> None:
    body = {"matchers": ['alertname="Errors"', "server=~fl.*", " "], "duration": "2h", "comment": "deploy"}
    answer = await desk.call("POST", "/api/v1/silences", {**body, "author": "ann"})
    created = json.loads(answer.body)
    assert answer.status == 201
    assert created["matchers"] == ['alertname="Errors"', "server=~fl.*"]
    assert created["ends_at"] - created["starts_at"] == 7200
    assert (created["author"], created["comment"], created["expired_at"]) == ("ann", "deploy", None)
    assert desk.published == [("silence", {"action": "created", **created})]
    code, out, _ = cli("list", "--silences", state=state)
    assert code == 0
    (row,) = out.splitlines()[1:]
    assert row.split()[:3] == [created["id"], 'alertname="Errors"', "server=~fl.*"]
    assert row.split()[-2:] == ["ann", "deploy"]
    assert await desk.json("GET", "/api/v1/silences") == [created]
    text = await desk.page("/alerts")
    assert f'action="/api/v1/silences/{created["id"]}/expire"' in text


async def test_expiring_a_silence_ends_it_for_the_cli(desk: Desk, state: Path) -> None:
    body = {"matchers": ["server=flaky"], "duration": "1h", "comment": "x"}
    created = await desk.json("POST", "/api/v1/silences", body)
    assert isinstance(created, dict)
    answer = await desk.json("POST", f"/api/v1/silences/{created['id']}/expire")
    assert isinstance(answer, dict)
    assert answer["id"] == created["id"]
    assert answer["expired_at"] is not None
    assert desk.published[-1] == ("silence", {"action": "expired", **answer})
    assert cli("list", "--silences", state=state) == (0, "no silences in force\n", "")
    status, message = await desk.error("POST", f"/api/v1/silences/{created['id']}/expire")
    assert (status, message) == (
        404,
        f"no silence in force with id {created['id']!r} (mcpctl alerts list --silences shows them)",
    )


@pytest.mark.parametrize(
    ("matchers", "duration"),
    [(["server"], "2h"), (["server=a", "alertname=~("], "2h"), (["server=a"], "2x"), (["server=a"], "0s")],
)
async def test_a_bad_silence_is_refused_with_the_clis_message(
    desk: Desk, state: Path, matchers: list[str], duration: str
) -> None:
    code, out, err = cli("silence", *matchers, "--duration", duration, "--comment", "c", state=state)
    assert (code, out) == (2, "")
    status, message = await desk.error(
        "POST", "/api/v1/silences", {"matchers": matchers, "duration": duration, "comment": "c"}
    )
    assert (status, f"mcpctl: error: {message}\n") == (400, err)
    with open_store(state) as store:
        assert stored.silences(store, now=time.time()) == []
    assert desk.published == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"matchers": ["server=a"], "duration": "1h"}, EMPTY_COMMENT),
        ({"matchers": ["server=a"], "duration": "1h", "comment": "  "}, EMPTY_COMMENT),
        (
            {"matchers": "server=a", "comment": "c"},
            'matchers: give a list of label matchers (["server=alpha"])',
        ),
        ({"matchers": [], "comment": "c"}, "a silence needs at least one matcher (server=a)"),
        (
            {"matchers": ["server=a"], "duration": 60, "comment": "c"},
            'duration: give a duration such as "2h"',
        ),
        ({"matchers": ["server=a"], "comment": "c", "author": 1}, "author: give a string"),
    ],
)
async def test_a_malformed_silence_body_is_a_400(desk: Desk, body: dict[str, object], message: str) -> None:
    assert await desk.error("POST", "/api/v1/silences", body) == (400, message)
    assert desk.published == []


async def test_an_ack_needs_a_comment_and_a_firing_alert(desk: Desk, state: Path) -> None:
    assert await desk.error("POST", f"/api/v1/alerts/{ERRORS}/ack", {"comment": ""}) == (400, EMPTY_COMMENT)
    assert await desk.error("POST", f"/api/v1/alerts/{ERRORS}/ack", None) == (400, EMPTY_COMMENT)
    code, _, err = cli("ack", SLOW, "--comment", "c", state=state)
    status, message = await desk.error("POST", f"/api/v1/alerts/{SLOW}/ack", {"comment": "c"})
    assert (code, status, f"mcpctl: error: {message}\n") == (2, 409, err)
    assert message == f"alert {SLOW} is not firing (mcpctl alerts list shows the firing ones)"
    with open_store(state) as store:
        assert stored.acks_after(store, 0) == []
    assert desk.published == []


async def test_an_unknown_alert_is_a_404_with_the_clis_message(desk: Desk, state: Path) -> None:
    code, _, err = cli("history", "0badc0de", state=state)
    expected = f"no alert '0badc0de' in {state} (mcpctl alerts list shows them)"
    assert (code, err) == (2, f"mcpctl: error: {expected}\n")
    assert await desk.error("GET", "/alerts/0badc0de") == (404, expected)
    assert await desk.error("POST", "/api/v1/alerts/0badc0de/ack", {"comment": "c"}) == (404, expected)
    assert await desk.error("GET", "/api/v1/alerts/history", alert="0badc0de") == (404, expected)


async def test_an_ambiguous_prefix_is_a_400(tmp_path: Path) -> None:
    write_monitor_state(tmp_path)
    with open_store(tmp_path) as store:
        stored.set_active(store, "other", [active("Down", "x", "firing", ERRORS[:4] + "9999")])
    status, message = await Desk(tmp_path).error("GET", f"/alerts/{ERRORS[:3]}")
    assert (status, message) == (
        400,
        f"alert {ERRORS[:3]!r} is ambiguous: it starts {ERRORS[:4]}9999, {ERRORS}; give more characters",
    )


async def test_the_alert_page_deep_link(desk: Desk) -> None:
    await desk.call("POST", f"/api/v1/alerts/{ERRORS}/ack", {"comment": "looking", "author": "ann"})
    text = await desk.page(f"/alerts/{ERRORS[:5]}")
    walk(text)
    assert "<title>Errors on flaky: alert - mcpctl</title>" in text
    assert f"Fingerprint <code>{ERRORS}</code>" in text
    assert '<tr><th scope="row">team</th><td>ops</td></tr>' in text
    assert '<tr><th scope="row">summary</th><td>Errors on flaky</td></tr>' in text
    assert "by <span>ann</span>: <span>looking</span>" in text
    rows = [
        line.strip() for line in text.splitlines() if "<td>fired</td>" in line or "<td>pending</td>" in line
    ]
    assert rows == [
        f"<tr><td><time>{alerts_view.stamp(NOW - 120)}</time></td><td>fired</td><td>Errors</td><td>flaky</td>"
        "<td>error_rate 100% &gt; 50%</td></tr>",
        f"<tr><td><time>{alerts_view.stamp(NOW - 180)}</time></td><td>pending</td><td>Errors</td><td>flaky</td>"
        "<td>error_rate 100% &gt; 50%</td></tr>",
    ]
    assert f'action="/api/v1/alerts/{ERRORS}/ack"' in text


async def test_a_resolved_alert_keeps_its_page(desk: Desk, state: Path) -> None:
    with open_store(state) as store:
        stored.set_active(store, "prod", [])
    text = await desk.page(f"/alerts/{ERRORS}")
    assert "<span>not active</span>" in text
    assert "<h1><span>Errors</span> on <span>flaky</span></h1>" in text
    assert "/ack" not in text


async def test_the_history_pages_back(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        rows = [("prod", NOW + n, "fired", f"fp{n:03}", "A", f"s{n}", {"reason": f"r{n}"}) for n in range(7)]
        stored.record_history(store, rows)
    desk = Desk(tmp_path)
    first = await desk.json("GET", "/api/v1/alerts/history", limit="3")
    assert isinstance(first, list)
    assert [r["server"] for r in first] == ["s4", "s5", "s6"]
    older = await desk.json("GET", "/api/v1/alerts/history", limit="3", before=str(first[0]["row"]))
    assert isinstance(older, list)
    assert [r["server"] for r in older] == ["s1", "s2", "s3"]
    text = await desk.page("/alerts", limit="3")
    assert f'href="/alerts?before={first[0]["row"]}&amp;limit=3">Older</a>' in text
    text = await desk.page("/alerts", limit="3", before=str(first[0]["row"]))
    assert ">s3<" in text
    assert ">s4<" not in text
    assert 'href="/alerts?limit=3">Newest</a>' in text
    assert "data-live" not in text.split('id="history-body"')[1].split(">")[0]
    assert await desk.error("GET", "/alerts", limit="0") == (
        400,
        "limit 0: give a whole number from 1 to 1000",
    )
    assert await desk.error("GET", "/alerts", before="x") == (400, "before 'x': give a whole number")


async def test_hostile_labels_and_annotations_render_inert(tmp_path: Path) -> None:
    write_monitor_state(tmp_path, server=CORPUS, text=CORPUS)
    desk = Desk(tmp_path)
    for text in (await desk.page("/alerts"), await desk.page(f"/alerts/{ERRORS}")):
        page = walk(text)
        assert page.tags.count("script") == 1  # alerts.js
        assert {"img", "svg", "iframe", "style"}.isdisjoint(page.tags)
        assert [a for a in page.attributes if a[1].startswith("on")] == []
        assert [i for i in INJECTIONS if "<" in i and i in text] == []
        assert not [a for a in page.attributes if a[2].lstrip().lower().startswith("javascript:")]
        assert "&lt;script&gt;window.pwned=1;alert(1)&lt;/script&gt;" in text
        assert "{{ 7*7 }}" in text  # shown as written: not evaluated (its "49" could be in a timestamp)


def test_the_prefilled_matchers_match_the_labels_they_came_from() -> None:
    labels = {"alertname": "Errors", "server": 'a "quoted" \\ name', "team": CORPUS}
    matchers = [parse_matcher(line) for line in alerts_view.matcher_lines(labels).splitlines()]
    assert [m.value for m in matchers] == list(labels.values())
    assert matches_all(matchers, labels)
