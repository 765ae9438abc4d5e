from __future__ import annotations

import pytest

from mcpctl.mcp import jsonrpc


@pytest.mark.parametrize(
    ("msg", "kind"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "ping"}, "request"),
        ({"jsonrpc": "2.0", "id": "a", "method": "ping"}, "request"),
        ({"jsonrpc": "2.0", "method": "notifications/progress"}, "notification"),
        ({"jsonrpc": "2.0", "id": 1, "result": {}}, "response"),
        ({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "x"}}, "error"),
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": "x", "message": "x"}}, "invalid"),
        ({"jsonrpc": "2.0", "id": True, "method": "ping"}, "invalid"),
        ({"jsonrpc": "2.0", "id": [1], "result": {}}, "invalid"),
        ({"jsonrpc": "2.0", "method": 5}, "invalid"),
        ({"jsonrpc": "2.0", "result": {}}, "invalid"),
        ({"jsonrpc": "2.0", "id": 1}, "invalid"),
    ],
)
def test_classify(msg: jsonrpc.Message, kind: str) -> None:
    assert jsonrpc.classify(msg) == kind


def test_decode_object_batch_and_garbage() -> None:
    assert jsonrpc.decode(b'{"id": 1}') == [{"id": 1}]
    assert jsonrpc.decode(b'[{"id": 1}, {"id": 2}]') == [{"id": 1}, {"id": 2}]
    bad_item = jsonrpc.decode(b'[{"id": 1}, 3]')
    assert bad_item[0] == {"id": 1}
    assert isinstance(bad_item[1], jsonrpc.Malformed)
    for frame, reason in [
        (b"{nope", "invalid JSON"),
        (b"[]", "non-empty array"),
        (b"42", "must be an object"),
        (b"\xff\xfe", "invalid JSON"),
    ]:
        (item,) = jsonrpc.decode(frame)
        assert isinstance(item, jsonrpc.Malformed)
        assert reason in item.reason
        assert item.raw == frame


def test_builders_round_trip() -> None:
    assert (
        jsonrpc.encode(jsonrpc.request(3, "tools/list")) == b'{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
    )
    assert jsonrpc.notification("x", {"a": 1}) == {"jsonrpc": "2.0", "method": "x", "params": {"a": 1}}
    assert jsonrpc.error(1, -32601, "nope") == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32601, "message": "nope"},
    }
    assert jsonrpc.result("k", {}) == {"jsonrpc": "2.0", "id": "k", "result": {}}
