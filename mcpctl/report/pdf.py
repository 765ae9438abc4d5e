"""The PDF report (``--report pdf:PATH``), for people who attach reports to tickets and audits.

The same content as the HTML report, from the same template in its print variant (no script, a stylesheet
xhtml2pdf understands), laid out by xhtml2pdf on reportlab. xhtml2pdf ignores inline ``<svg>`` but draws an
``<img>`` of SVG data through svglib, as vectors: so the charts are the HTML report's own SVG, sharp at any
zoom, with no rasterising step. Untrusted text reaches xhtml2pdf escaped by the template, and the print page
refers to nothing outside itself (xhtml2pdf would otherwise fetch ``src`` URLs).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from xhtml2pdf import pisa  # no stubs (or add it to the mypy overrides)

from mcpctl.engine.results import RunResult
from mcpctl.errors import McpctlError
from mcpctl.report.html import render_report


class PdfError(McpctlError):
    """xhtml2pdf could not lay the report out."""


def render_pdf(run: RunResult, *, redact: Callable[[str], str]) -> bytes:
    """``run`` as a PDF document (bytes), every string passed through ``redact``."""
    return layout(render_report(run, redact=redact, printable=True))


def layout(page: str) -> bytes:
    """A print page (HTML of the print variant, referring to nothing outside itself) laid out as a PDF."""
    out = io.BytesIO()
    # xhtml2pdf logs each CSS property it does not know at WARNING: noise on the user's terminal
    quiet = logging.getLogger("xhtml2pdf")
    level, quiet.level = quiet.level, logging.ERROR
    try:
        status = pisa.CreatePDF(page, dest=out, encoding="utf-8")
    finally:
        quiet.level = level
    if status.err:
        raise PdfError(f"the PDF report could not be laid out ({status.err} errors from xhtml2pdf)")
    return out.getvalue()
