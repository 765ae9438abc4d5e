"""The PDF report, read back with poppler: its first page is drawn, its text holds the run and the failures,
and its charts are on the page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from mcpctl.report.pdf import render_pdf
from tests.unit.report.test_html import CORPUS, rich_run

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="needs poppler-utils"
)


def pages_as_png(pdf: Path, out: Path, *, first: int, last: int) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", str(first), "-l", str(last), str(pdf), str(out / "page")],
        check=True,
        timeout=60,
    )
    return sorted(out.glob("page-*.png"))


def test_the_pdf_has_the_run_the_failures_and_the_charts(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(rich_run(), redact=str))
    assert pdf.read_bytes().startswith(b"%PDF-")
    (first,) = pages_as_png(pdf, tmp_path, first=1, last=1)
    with Image.open(first) as image:
        low, high = image.convert("L").getextrema()
    assert low < high  # not blank
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "20261125T161203-3fa2c1" in text
    assert "TestSuite/basic :: adds numbers" in text
    assert "specs/basic.yaml:14" in text
    assert "structuredContent/sum: expected 42, got 41" in text
    # the load test's charts: their titles and axis labels are drawn text, not pictures of text
    for title in ("Latency histogram (calls up to each bound)", "Throughput", "Latency over time"):
        assert title in text


def test_the_charts_are_drawn_on_the_page(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(rich_run(), redact=str))
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    page = text[: text.index("Latency histogram")].count("\f") + 1
    (image,) = pages_as_png(pdf, tmp_path, first=page, last=page)
    with Image.open(image) as picture:
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 16) or []
    # the histogram's bars are the one solid blue on the page
    blue = sum(count for count, (r, g, b) in colours if b > 150 and r < 60 and g < 130)
    assert blue > 500


def test_hostile_text_is_printed_as_text(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(rich_run(CORPUS), redact=str))
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "{{ 7*7 }}" in text
    assert "<script>window.pwned=1;alert(1)</script>" in text
