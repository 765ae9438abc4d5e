from __future__ import annotations

import pytest

from mcpctl.errors import FrameTooLarge
from mcpctl.mcp.transports.sse_events import SseEvent, SseParser


def parse_all(*chunks: bytes, **kwargs: object) -> list[SseEvent]:
    parser = SseParser(**kwargs)  # type: ignore[arg-type]
    events: list[SseEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events


def test_one_event() -> None:
    assert parse_all(b'event: message\ndata: {"a":1}\n\n') == [SseEvent(data=b'{"a":1}')]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    stream = b"id: 7" + eol + b"data: x" + eol + eol + b"data: y" + eol + eol
    assert parse_all(stream) == [SseEvent(data=b"x", id="7"), SseEvent(data=b"y", id="7")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    events = parse_all(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")
    assert events == [SseEvent(data=b"a\nb")]


def test_byte_by_byte() -> None:
    stream = b"\xef\xbb\xbfretry: 50\r\nid: 1\r\nevent: ping\r\ndata: one\r\ndata:two\r\n\r\n"
    events = parse_all(*(stream[i : i + 1] for i in range(len(stream))))
    assert events == [SseEvent(data=b"one\ntwo", event="ping", id="1", retry=50)]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse_all(b"data: 1\ndata: 2\ndata\ndata: 3\n\n") == [SseEvent(data=b"1\n2\n\n3")]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert parse_all(b"data:  two spaces \n\n") == [SseEvent(data=b" two spaces ")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    assert parse_all(b": ping\n\nfoo: bar\n: another\ndata: x\n\n") == [SseEvent(data=b"x")]


def test_a_blank_line_without_data_dispatches_nothing_but_keeps_the_id() -> None:
    parser = SseParser()
    assert parser.feed(b"id: 42\nevent: ignored\n\n") == []
    assert parser.last_event_id == "42"
    assert parser.feed(b"data: x\n\n") == [SseEvent(data=b"x", id="42")]


def test_empty_data_is_an_event_priming_the_id() -> None:
    parser = SseParser()
    assert parser.feed(b"id: 1\ndata: \nretry: 3000\n\n") == [SseEvent(data=b"", id="1", retry=3000)]
    assert parser.retry == 3000


def test_id_with_nul_is_ignored_and_empty_id_resets() -> None:
    parser = SseParser(last_event_id="5")
    parser.feed(b"id: a\x00b\ndata: x\n\n")
    assert parser.last_event_id == "5"
    parser.feed(b"id\ndata: y\n\n")
    assert parser.last_event_id == ""


def test_retry_must_be_digits() -> None:
    parser = SseParser()
    assert parser.feed(b"retry: 1.5\nretry: x\ndata: a\n\n") == [SseEvent(data=b"a")]
    assert parser.retry is None


def test_bom_only_at_the_start() -> None:
    assert parse_all(b"\xef\xbb", b"\xbfdata: a\n\n") == [SseEvent(data=b"a")]
    assert parse_all(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [SseEvent(data=b"a")]


def test_an_unfinished_event_is_not_dispatched() -> None:
    assert parse_all(b"data: a\n") == []
    assert parse_all(b"data: a") == []


def test_event_type_resets_after_dispatch() -> None:
    events = parse_all(b"event: endpoint\ndata: /m?s=1\n\ndata: x\n\n")
    assert [e.event for e in events] == ["endpoint", "message"]


def test_utf8_data_stays_bytes() -> None:
    assert parse_all("data: héllo\n\n".encode()) == [SseEvent(data="héllo".encode())]


def test_a_field_line_without_colon_is_a_name_with_empty_value() -> None:
    assert parse_all(b"data\n\n") == [SseEvent(data=b"")]


def test_max_event_bounds_the_data() -> None:
    parser = SseParser(max_event=10)
    assert parser.feed(b"data: 12345\n\n") == [SseEvent(data=b"12345")]
    with pytest.raises(FrameTooLarge):
        parser.feed(b"data: 123456\ndata: 123456\n")


def test_max_event_bounds_an_unfinished_line() -> None:
    parser = SseParser(max_event=10)
    with pytest.raises(FrameTooLarge):
        parser.feed(b"data: " + b"x" * 20)
