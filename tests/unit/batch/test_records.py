"""execute's input records and output answers (mcpctl/engine/batch/records.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.batch.records import answer_line, answered_keys, key_text, read_records
from mcpctl.errors import UsageError


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_jsonl_records_are_keyed_by_field_or_line_number(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", '{"id": 7, "city": "Oslo"}\n\n{"id": "x", "city": "Paris"}\n')
    by_field = read_records(path, format="jsonl", key="id")
    assert [(r.key, r.key_text, r.line) for r in by_field] == [(7, "7", 1), ("x", "x", 3)]
    assert by_field[0].fields == {"id": 7, "city": "Oslo"}
    by_line = read_records(path, format="jsonl", key=None)
    assert [(r.key, r.key_text) for r in by_line] == [(1, "1"), (3, "3")]


def test_csv_records_keep_text_values_and_physical_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", '\ufeffid,city\n1,Oslo\n2,"New\nYork"\n3,Paris\n')
    records = read_records(path, format="csv", key="id")
    assert [(r.key, r.line, r.fields["city"]) for r in records] == [
        ("1", 2, "Oslo"),
        ("2", 3, "New\nYork"),
        ("3", 5, "Paris"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "key", "message"),
    [
        (
            "in.jsonl",
            '{"id": 1}\n{"id": 1.0e0}\n{"id": "1"}\n',
            "id",
            "in.jsonl:3: key '1' was already used on line 1",
        ),
        ("in.jsonl", '{"id": 1}\n[1]\n', "id", "in.jsonl:2: expected a JSON object per line, got an array"),
        ("in.jsonl", '{"id": 1}\n{"id": \n', "id", "in.jsonl:2: not valid JSON"),
        ("in.jsonl", '{"name": "a"}\n', "id", "in.jsonl:1: the record has no 'id' (the plan's execute.key)"),
        ("in.csv", "id,city\n1,Oslo,extra\n", "id", "in.csv:2: the row has not the 2 columns of the header"),
        ("in.csv", "id,city\n,Oslo\n", "id", "in.csv:2: the record has no 'id'"),
    ],
)
def test_bad_input_names_the_file_and_line(
    tmp_path: Path, name: str, text: str, key: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(UsageError) as caught:
        read_records(path, format="csv" if name.endswith(".csv") else "jsonl", key=key)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_keys_compare_as_text() -> None:
    assert key_text(42) == key_text("42") == "42"
    assert key_text([1, "a"]) == '[1,"a"]'


def test_answered_keys_ignore_a_torn_last_line_and_reject_foreign_files(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    assert answered_keys(str(output)) == set()
    output.write_bytes(answer_line(1, {"content": []}) + answer_line("b", None) + b'{"key": "torn", "res')
    assert answered_keys(str(output)) == {"1", "b"}
    output.write_bytes(b'{"not": "an answer"}\n')
    with pytest.raises(UsageError, match=r"out.jsonl:1: not an answer line"):
        answered_keys(str(output))


def test_answer_lines_are_one_json_object_with_the_key_as_written() -> None:
    assert answer_line(7, {"isError": False}) == b'{"key":7,"result":{"isError":false}}\n'
