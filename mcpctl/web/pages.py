"""The dashboard's page templates: one sandboxed, autoescaping jinja2 environment over
``mcpctl/web/templates``, and :func:`make_render`, the ``render(template_name, **context)`` every page uses.

Sandboxed and immutable: templates only read what they are given; autoescaping: every value from a server
(tool names, error messages) is text, never markup; ``StrictUndefined``: a misspelt variable is an error in
the tests, not a blank on the page. SVG charts built in Python come in as :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Final

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mcpctl.web.routing import Render

TEMPLATES: Final = Path(__file__).parent / "templates"
NAV: Final = (("overview", "/", "Overview"), ("alerts", "/alerts", "Alerts"), ("runs", "/runs", "Runs"),
              ("batch", "/batch", "Batch"))  # fmt: skip
"""The navigation bar: (key, link, label); ``nav`` in a page's context names the active one."""


def _when(ts: object) -> str:
    """Seconds since the epoch as ``2026-11-26 05:40:12Z``."""
    if not isinstance(ts, int | float):
        return "-"
    moment = datetime.datetime.fromtimestamp(float(ts), tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _ms(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.1f} ms"


def _percent(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value * 100:.1f}%"


def _rate(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.2f}/s"


def environment(
    directory: Path = TEMPLATES, *, reads_need_token: bool = False
) -> ImmutableSandboxedEnvironment:
    """The environment over ``directory`` with the dashboard's filters (``when``, ``ms``, ``percent``,
    ``rate``) and globals (``nav_items``, ``reads_need_token``)."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(directory)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, ms=_ms, percent=_percent, rate=_rate)
    env.globals["nav_items"] = NAV
    env.globals["reads_need_token"] = reads_need_token
    return env


def make_render(directory: Path = TEMPLATES, *, reads_need_token: bool = False) -> Render:
    """``render(template_name, **context) -> str`` over one environment (templates are compiled once);
    ``reads_need_token``: pages carry the token on their links (a dashboard beyond loopback)."""
    env = environment(directory, reads_need_token=reads_need_token)

    def render(template_name: str, /, **context: object) -> str:
        return env.get_template(template_name).render(**context)

    return render
