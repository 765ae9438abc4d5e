from __future__ import annotations

from dataclasses import replace

from mcpctl.engine.results import CaseResult, RunResult
from mcpctl.report.markdown import LIMIT, render_markdown
from tests.unit.report.sample import sample_run

EXPECTED = """\
### 💥 mcpctl test: 1 failed, 1 error, 2 passed, 1 skipped

Run `20261125T161203-3fa2c1` started 2026-11-25T16:12:03.250Z, took 1.23s (exit code 3).

| status   | suite            | server   | passed   | failed   | errors   | skipped   | time   |
|----------|------------------|----------|----------|----------|----------|-----------|--------|
| ❌ failed | TestSuite/basic  | echo     | 2        | 1        | 0        | 1         | 1.20s  |
| 💥 error  | TestSuite/broken | gone     | 0        | 0        | 1        | 0         | 20ms   |

#### Failures (2)

❌ **TestSuite/basic :: adds numbers** `specs/basic.yaml:14`: structuredContent/sum: expected 42, got 41

<details><summary>details</summary>

```
- 42
+ 41

>> tools/call add {a: 1, b: 40}
<< {sum: 41}
```

</details>

💥 **TestSuite/broken :: &lt;setup&gt;** `specs/broken.yaml`: server did not start (exit code 1); stderr: no such file

#### Latency

| suite           | case        | calls   | p50 ms   | p90 ms   | p95 ms   | p99 ms   | max ms   |
|-----------------|-------------|---------|----------|----------|----------|----------|----------|
| TestSuite/basic | lists tools | 100     | 1.25     | 2.00     | 2.50     | 3.75     | 4.00     |
"""


def test_summary_failures_and_latency() -> None:
    assert render_markdown(sample_run(), redact=str) == EXPECTED


def test_a_passing_run_has_no_failures_section() -> None:
    run = sample_run()
    run = replace(run, suites=(replace(run.suites[0], cases=run.suites[0].cases[:1]),))
    text = render_markdown(run, redact=str)
    assert text.startswith("### ✅ mcpctl test: 1 passed\n")
    assert "Failures" not in text


def test_untrusted_text_cannot_break_the_table_or_inject_markup() -> None:
    run = sample_run()
    basic = run.suites[0]
    case = replace(
        basic.cases[1],
        name="a|b <img src=x onerror=alert(1)> *bold*",
        message="line one\n```\n</details><script>x</script>",
        details=("````",),
    )
    run = replace(run, suites=(replace(basic, server="s|v", cases=(case,)),))
    text = render_markdown(run, redact=str)
    assert "| ❌ failed | TestSuite/basic | s\\|v     | 0 " in text
    assert "**TestSuite/basic :: a\\|b &lt;img src=x onerror=alert(1)&gt; \\*bold\\***" in text
    # the fence is longer than any backtick run inside it, so the folded text stays literal
    assert "\n`````\n```\n</details><script>x</script>\n````\n\n>> tools/call" in text
    assert "<img" not in text


def test_a_long_run_is_cut_for_a_pull_request_comment() -> None:
    cases = tuple(
        CaseResult(name=f"case {n}", status="failed", duration_ms=1.0, message="no", details=("x",) * 100)
        for n in range(LIMIT + 5)
    )
    run = sample_run()
    run = RunResult(
        run_id="r9",
        command="test",
        started_at=run.started_at,
        duration_ms=1.0,
        suites=(replace(run.suites[0], cases=cases),),
    )
    text = render_markdown(run, redact=str)
    assert text.count("<details>") == LIMIT
    assert "… 5 more: `mcpctl show r9`" in text
    assert "… 60 more lines" in text
    assert len(text) < 20_000


def test_every_text_is_redacted() -> None:
    text = render_markdown(sample_run(), redact=lambda s: s.replace("41", "**"))
    assert "41" not in text
