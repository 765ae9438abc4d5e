"""``expect: {auth: ...}`` in a TestSuite: built from ``all`` or a list, refused beside an action."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.mcp.auth.probe import CHECKS
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import AUTH_CHECKS
from tests.unit.spec_files import broken, errors_in

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: guarded}
server: {url: "http://127.0.0.1:9/mcp"}
tests:
  - name: every check
    expect: {auth: all}
  - name: some checks
    expect:
      auth: [no_token, wrong_audience]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_spec_names_the_checks_the_probe_runs() -> None:
    assert AUTH_CHECKS == CHECKS


def test_all_and_a_list_are_built(tmp_path: Path) -> None:
    _write(tmp_path, SUITE)
    (suite,) = load_specs([str(tmp_path)], environ={}).suites
    assert [test.expect.auth for test in suite.tests] == [AUTH_CHECKS, ("no_token", "wrong_audience")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "auth: [no_token, wrong_audience]",
            "auth: [no_token, no_token]",
            "10:24: TestSuite/guarded: tests[1].expect.auth[1]: duplicate auth check 'no_token' (first at line 10)",
        ),
        (
            "  - name: every check\n",
            "  - name: every check\n    call: echo\n",
            "8:20: TestSuite/guarded: tests[0].expect.auth: auth checks apply only to a test with no action and "
            "no steps (this test uses call)",
        ),
    ],
)
def test_meaning_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write(tmp_path, broken(SUITE, old, new))
    assert errors_in(tmp_path, path) == [expected]


def test_an_unknown_check_is_a_schema_error(tmp_path: Path) -> None:
    path = _write(tmp_path, broken(SUITE, "wrong_audience]", "wrong_owner]"))
    assert errors_in(tmp_path, path) == [
        "10:24: TestSuite/guarded: tests[1].expect.auth[1]: expected one of: no_token, metadata, valid_token, "
        "token_in_query, wrong_audience, insufficient_scope, other_issuer, tampered, expired (got 'wrong_owner')"
    ]
