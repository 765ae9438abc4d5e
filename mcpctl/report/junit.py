"""The JUnit XML report (``--report junit:PATH``) for CI test tabs (GitHub Actions, GitLab, Jenkins).

Written to validate against Jenkins xunit-plugin's ``junit-10.xsd`` (the schema pytest's ``xunit2``
family targets and the strictest reader validates with): hence no ``file``/``line`` attributes on
``testcase`` and no ``skipped``/``timestamp`` on ``testsuites``. The spec path goes on ``testsuite``
(``file``), and ``file:line`` of a failing case opens its failure text, where reporters that link
stack traces to lines find it. A suite that could not run is one ``<setup>`` testcase in error, as
pytest reports a fixture error.

``testcase`` holds no ``properties`` in that schema, so a repeated case's reliability (``CASE.runs``,
``CASE.passed``, ``CASE.pass@k``, ``CASE.pass^k`` …) and each snapshot's outcome (``CASE.snapshot.NAME``)
are properties of its ``testsuite``; a flaky repeated case lists its failing runs in ``system-out``.

Readers key test cases by suite and name, so a name that repeats in a suite gets `` (2)``, `` (3)``…
GitLab ignores a JUnit file over 30 MB: each failure body and captured output is cut to its share of
:data:`SIZE_BUDGET` (at most :data:`MAX_TEXT`, at least :data:`MIN_TEXT` characters), saying how much was
cut and where the whole text is (``mcpctl show RUN``), so a huge run still lands in the test tab.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.report.json import iso8601
from mcpctl.report.text import flaky_note
from mcpctl.report.totals import run_totals, suite_totals

SIZE_BUDGET = 24 * 1024 * 1024
"""Characters of failure bodies and outputs in one report: GitLab's 30 MB limit, less room for the tags."""
MAX_TEXT = 64 * 1024
MIN_TEXT = 200
# what XML 1.0 cannot hold even escaped (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_junit(run: RunResult, *, redact: Callable[[str], str]) -> str:
    """``run`` as a JUnit XML document, every string passed through ``redact``."""
    totals = run_totals(run)
    root = ET.Element(
        "testsuites",
        name="mcpctl",
        tests=str(totals.total),
        failures=str(totals.failed),
        errors=str(totals.error),
        time=_seconds(run.duration_ms),
    )
    hostname = socket.gethostname()
    texts = sum(
        1 for suite in run.suites for case in suite.cases if case.output or case.status in ("failed", "error")
    )
    limit = max(MIN_TEXT, min(MAX_TEXT, SIZE_BUDGET // max(1, 2 * texts)))
    cut = _Cutter(limit=limit, run_id=run.run_id)
    for position, suite in enumerate(run.suites):
        root.append(_suite(suite, position=position, run_id=run.run_id, hostname=hostname, cut=cut))
    _clean(root, redact)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class _Cutter:
    """Cuts a text to ``limit`` characters, saying so."""

    def __init__(self, *, limit: int, run_id: str) -> None:
        self.limit = limit
        self.run_id = run_id

    def __call__(self, text: str) -> str:
        if len(text) <= self.limit:
            return text
        return f"{text[: self.limit]}\n… {len(text) - self.limit} characters cut (mcpctl show {self.run_id} has them all)"


def _unique(names: list[str]) -> list[str]:
    """``names`` with a repeat numbered: ``a``, ``a (2)``, ``a (3)``."""
    seen: dict[str, int] = {}
    found = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        found.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return found


def _suite(suite: SuiteResult, *, position: int, run_id: str, hostname: str, cut: _Cutter) -> ET.Element:
    totals = suite_totals(suite)
    element = ET.Element(
        "testsuite",
        name=f"{suite.kind}/{suite.name}",
        tests=str(totals.total),
        failures=str(totals.failed),
        errors=str(totals.error),
        skipped=str(totals.skipped),
        time=_seconds(suite.duration_ms),
        timestamp=iso8601(suite.started_at),
        hostname=hostname,
        id=str(position),
        package=suite.kind,
    )
    if suite.spec_path:
        element.set("file", suite.spec_path)
    properties = ET.SubElement(element, "properties")
    for name, value in [*_properties(suite, run_id), *_case_properties(suite)]:
        ET.SubElement(properties, "property", name=name, value=value)
    if suite.error:
        setup = ET.SubElement(element, "testcase", name="<setup>", classname=suite.name, time="0.000")
        ET.SubElement(setup, "error", message=_first_line(suite.error), type="SetupError").text = suite.error
    for case, name in zip(suite.cases, _unique([case.name for case in suite.cases]), strict=True):
        element.append(_case(case, name=name, classname=suite.name, cut=cut))
    return element


def _properties(suite: SuiteResult, run_id: str) -> list[tuple[str, str]]:
    found = [
        ("server", suite.server),
        ("server.name", suite.server_info.get("name", "")),
        ("server.version", suite.server_info.get("version", "")),
        ("protocol", suite.protocol),
        ("spec.path", suite.spec_path),
        ("spec.sha256", suite.spec_hash),
        ("run.id", run_id),
    ]
    return [(name, value) for name, value in found if value]


def _case_properties(suite: SuiteResult) -> list[tuple[str, str]]:
    found = []
    for case, name in zip(suite.cases, _unique([case.name for case in suite.cases]), strict=True):
        repeats = case.reliability
        if repeats is not None:
            k = repeats.k
            found += [
                (f"{name}.runs", str(repeats.runs)),
                (f"{name}.passed", str(repeats.passed)),
                (f"{name}.pass_rate", f"{repeats.rate:.4f}"),
                (f"{name}.pass_rate.required", repeats.required or "== 100%"),
                (f"{name}.pass@{k}", f"{repeats.pass_at_k:.6f}"),
                (f"{name}.pass^{k}", f"{repeats.pass_hat_k:.6f}"),
            ]
        found += [(f"{name}.snapshot.{snapshot}", status) for snapshot, status in case.snapshots.items()]
    return found


def _case(case: CaseResult, *, name: str, classname: str, cut: _Cutter) -> ET.Element:
    element = ET.Element("testcase", name=name, classname=classname, time=_seconds(case.duration_ms))
    if case.status in ("failed", "error"):
        tag, kind = ("failure", "AssertionError") if case.status == "failed" else ("error", "Error")
        message = case.message or case.status
        body = ET.SubElement(element, tag, message=cut(_first_line(message)), type=kind)
        body.text = cut("\n".join([*_location(case), message, *case.details]))
    elif case.status == "skipped":
        ET.SubElement(element, "skipped", message=case.message)
    notes = [flaky_note(case)] if case.flaky and case.status == "passed" else []
    if case.reliability is not None and case.reliability.failures:
        repeats = case.reliability
        flaky = "flaky: " if case.flaky else ""
        notes = [f"{flaky}{repeats.passed} of {repeats.runs} runs passed", *repeats.failures]
    if case.output:
        notes.append(case.output)
    if notes:
        ET.SubElement(element, "system-out").text = cut("\n".join(notes))
    return element


def _location(case: CaseResult) -> list[str]:
    if not case.file:
        return []
    return [f"{case.file}:{case.line}" if case.line else case.file]


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def _clean(root: ET.Element, redact: Callable[[str], str]) -> None:
    for element in root.iter():
        if element.text:
            element.text = _xml_safe(redact(element.text))
        for key, value in list(element.attrib.items()):
            element.set(key, _xml_safe(redact(value)))


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    # keep the character visible (a server's ANSI escape shows as \x1b) rather than drop it silently
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
