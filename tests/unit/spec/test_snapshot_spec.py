"""The spec side of snapshots and reliability: ``expect.snapshot``, ``normalize`` (suite defaults then the
test's), ``pass_rate`` and ``k`` built into records, and every mistake reported at ``file:line:col``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import IgnoreKeys, PassRate, Preset, ReplaceText, SortLists, TestSuiteSpec
from mcpctl.spec.schemas import schema_for

HEAD = "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: {command: python}\n"

SUITE = (
    HEAD
    + """\
defaults:
  normalize: [{preset: timestamps}, {preset: uuids}]
tests:
  - name: a
    call: x
    repeat: 200
    pass_rate: ">=95.5 %"
    k: 5
    normalize:
      - {replace: "req-\\\\d+", with: req-N}
      - {ignoreKeys: [etag, /structuredContent/at]}
      - {sortLists: true}
      - {sortLists: [/structuredContent/items]}
      - {preset: tmp-paths}
    expect: {snapshot: listing}
  - name: b
    steps:
      - {name: one, read: "file:///a", expect: {snapshot: one.yaml}}
"""
)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def test_the_records(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE, encoding="utf-8")
    (suite,) = load_specs([str(path)], environ={}).documents
    assert isinstance(suite, TestSuiteSpec)
    first, second = suite.tests
    assert first.expect.snapshot == "listing"
    assert (first.repeat, first.k) == (200, 5)
    assert first.pass_rate == PassRate(op=">=", fraction=0.955, text=">= 95.5%")
    assert first.normalize == (
        Preset(name="timestamps"),
        Preset(name="uuids"),
        ReplaceText(pattern=re.compile(r"req-\d+"), replacement="req-N"),
        IgnoreKeys(keys=("etag", "/structuredContent/at")),
        SortLists(),
        SortLists(pointers=("/structuredContent/items",)),
        Preset(name="tmp-paths"),
    )
    assert second.normalize == (Preset(name="timestamps"), Preset(name="uuids"))
    assert second.steps[0].expect.snapshot == "one.yaml"
    assert (second.pass_rate, second.k) == (None, None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "tests:\n  - {name: a, call: x, pass_rate: '>= 90%'}\n",
            [
                "6:35: TestSuite/s: tests[0].pass_rate: pass_rate needs repeat: N (N of 2 or more) on the same test"
            ],
            id="pass-rate-without-repeat",
        ),
        pytest.param(
            "tests:\n  - {name: a, call: x, repeat: 10, pass_rate: '>= 101%'}\n",
            ["6:47: TestSuite/s: tests[0].pass_rate: 101% is above 100%"],
            id="pass-rate-above-100",
        ),
        pytest.param(
            "tests:\n  - {name: a, call: x, repeat: 10, pass_rate: 'about 90%'}\n",
            [
                "6:47: TestSuite/s: tests[0].pass_rate: expected >=, > or == and a percentage, like '>= 95%' (got 'about 90%')"
            ],
            id="pass-rate-syntax",
        ),
        pytest.param(
            "tests:\n  - {name: a, call: x, repeat: 3, k: 4}\n",
            ["6:38: TestSuite/s: tests[0].k: k (4) is above repeat (3): pass@k needs at least k runs"],
            id="k-above-repeat",
        ),
        pytest.param(
            "tests:\n  - {name: a, expect: {tools: {include: [x]}, snapshot: s}}\n",
            [
                "6:57: TestSuite/s: tests[0].expect.snapshot: snapshot needs an action: call, read or prompt (this test has no action)"
            ],
            id="snapshot-without-action",
        ),
        pytest.param(
            "tests:\n  - {name: a, steps: [{name: s, call: x}], expect: {snapshot: s}}\n",
            [
                "6:63: TestSuite/s: tests[0].expect.snapshot: snapshot needs an action: call, read or prompt (put it on a step)"
            ],
            id="snapshot-on-steps",
        ),
        pytest.param(
            "tests:\n  - {name: a, call: x, expect: {snapshot: s}}\n  - {name: b, call: x, expect: {snapshot: s.json}}\n",
            [
                "7:43: TestSuite/s: tests[1].expect.snapshot: duplicate snapshot name 's.json' (first at line 6)"
            ],
            id="snapshot-twice",
        ),
        pytest.param(
            "tests:\n  - {name: a, call: x, expect: {snapshot: ../escape}}\n",
            [
                "6:43: TestSuite/s: tests[0].expect.snapshot: expected a file name of letters, digits, '.', '_' and '-' (got '../escape')"
            ],
            id="snapshot-name-is-a-file-name",
        ),
        pytest.param(
            "defaults: {normalize: [{replace: '('}]}\ntests:\n  - {name: a, call: x}\n",
            [
                "5:34: TestSuite/s: defaults.normalize[0].replace: invalid regular expression: missing ), unterminated subpattern at position 0"
            ],
            id="bad-regex",
        ),
    ],
)
def test_mistakes_are_placed(tmp_path: Path, body: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, HEAD + body) == expected


def test_a_normalizer_is_one_of_four_shapes(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, HEAD + "tests:\n  - {name: a, call: x, normalize: [{preset: dates}]}\n")
    assert errors == [
        "6:45: TestSuite/s: tests[0].normalize[0].preset: expected one of: timestamps, uuids, tmp-paths (got 'dates')"
    ]


def test_a_test_expect_is_the_shared_expect_plus_snapshot() -> None:
    # Monitor probes share $defs.expect (a monitor keeps no snapshots): testExpect must not drift from it
    defs = schema_for("TestSuite")["$defs"]
    assert isinstance(defs, dict)
    shared, own = dict(defs["expect"]), dict(defs["testExpect"])
    assert {k: v for k, v in own["properties"].items() if k != "snapshot"} == shared["properties"]
    assert {k: v for k, v in own.items() if k not in ("properties", "description")} == {
        k: v for k, v in shared.items() if k not in ("properties", "description")
    }
