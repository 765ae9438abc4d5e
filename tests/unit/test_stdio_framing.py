"""Newline framing of the stdio transport, fed chunk by chunk (no process involved)."""

from __future__ import annotations

from mcpctl.errors import FrameTooLarge, ProtocolError
from mcpctl.mcp.transports.base import Failed
from mcpctl.mcp.transports.stdio import StdioTransport


def splitter(limit: int = 100) -> StdioTransport:
    transport = StdioTransport.__new__(StdioTransport)
    transport._partial = []
    transport._partial_size = 0
    transport._skipping = False
    transport._max_frame = limit
    transport._tap = None
    return transport


def test_frames_split_across_chunks_are_joined() -> None:
    t = splitter()
    assert t._split(b'{"id":') == []
    assert t._split(b'1}\n{"id"') == [{"id": 1}]
    assert t._split(b':2}\n\n  \n{"id":3}\n') == [{"id": 2}, {"id": 3}]


def test_crlf_and_blank_lines() -> None:
    assert splitter()._split(b'{"id":1}\r\n\r\n') == [{"id": 1}]


def test_an_oversized_frame_is_reported_once_and_skipped() -> None:
    t = splitter(limit=10)
    (first,) = t._split(b"x" * 11)
    assert isinstance(first, Failed)
    assert isinstance(first.error, FrameTooLarge)
    assert t._split(b"y" * 50) == []  # still the same frame: no second report
    assert t._split(b'yyy\n{"id":7}\n') == [{"id": 7}]


def test_an_oversized_complete_frame() -> None:
    (item,) = splitter(limit=5)._split(b'{"id": 12345}\n')
    assert isinstance(item, Failed)
    assert isinstance(item.error, FrameTooLarge)


def test_non_json_line_is_a_protocol_error_for_all_pending() -> None:
    (item,) = splitter()._split(b"hello world\n")
    assert isinstance(item, Failed)
    assert item.request_id is None
    assert isinstance(item.error, ProtocolError)
