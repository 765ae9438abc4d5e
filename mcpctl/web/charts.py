"""The overview's SVG, laid out here on the server: a sparkline per tile and the dependency map.

Every name is escaped (server names come from spec files, but the same code draws what a followed monitor
reports). Colour is never the only cue: each node of the map says its health in words beside its colour.
Shapes carry ``h-<health>`` classes that ``overview.js`` switches as health changes, and that the
stylesheet colours for the light and the dark theme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from markupsafe import Markup, escape

from mcpctl.observe.sparkline import sparkline

HEALTH_COLOURS: Final = {
    "healthy": "#2e7d32",
    "degraded": "#ef6c00",
    "unhealthy": "#c62828",
    "offline": "#6d4c41",
    "unknown": "#757575",
}
SPARK_W, SPARK_H = 120, 28
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 180, 44, 70, 18, 12


def health_word(health: object) -> str:
    """The health as shown: ``unknown`` before the first probe."""
    return health if isinstance(health, str) and health in HEALTH_COLOURS else "unknown"


def spark_points(values: Sequence[float | None], *, width: int = SPARK_W, height: int = SPARK_H) -> str:
    """The ``points`` of a polyline through ``values`` (gaps skipped), scaled into ``width`` x ``height``."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    top = max(v for _, v in known) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in known)


def sparkline_svg(server: str, values: Sequence[float | None]) -> Markup:
    """A small latency line for a tile; its title is the text sparkline, for readers of text."""
    label = escape(f"{server}: latency of the last {len(values)} probes {sparkline(values)}".rstrip())
    return Markup(
        f'<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}"'
        f' role="img" aria-label="{label}"><title>{label}</title>'
        f'<polyline class="spark-line" points="{spark_points(values)}" fill="none" stroke="currentColor"'
        ' stroke-width="1.5"/></svg>'
    )


def _depths(servers: Sequence[str], depends_on: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Column of each server: 0 with no known dependency, else one right of its deepest (cycles cut)."""
    depth: dict[str, int] = {}

    def visit(name: str, path: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        deps = [d for d in depends_on.get(name, ()) if d in servers and d not in path]
        found = 1 + max((visit(d, path | {name}) for d in deps), default=-1)
        depth[name] = found
        return found

    for name in servers:
        visit(name, frozenset())
    return depth


def dependency_map(health: Mapping[str, str], depends_on: Mapping[str, Sequence[str]]) -> Markup:
    """Servers as boxes (dependencies left of their dependents), an arrow from each server to what it
    depends on, each box coloured by health and labelled ``name`` and ``health``."""
    names = list(health)
    depth = _depths(names, depends_on)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(depth[name], []).append(name)
    where = {
        name: (PAD + col * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
        for col, members in columns.items()
        for row, name in enumerate(members)
    }
    width = PAD * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(m) for m in columns.values()), default=1) * (NODE_H + GAP_Y) - GAP_Y
    parts = [
        f'<svg class="depmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img"'
        ' aria-label="dependency map: each server, its health, and arrows to what it depends on">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
    ]
    for name in names:
        for dep in depends_on.get(name, ()):
            if dep in where and dep != name:
                (x1, y1), (x2, y2) = where[name], where[dep]
                parts.append(
                    f'<line class="edge" x1="{x1}" y1="{y1 + NODE_H / 2}" x2="{x2 + NODE_W}"'
                    f' y2="{y2 + NODE_H / 2}" stroke="currentColor" marker-end="url(#arrow)"/>'
                )
    for name in names:
        parts.append(_node(name, health_word(health[name]), *where[name]))
    parts.append("</svg>")
    return Markup("".join(parts))


def _node(name: str, word: str, x: int, y: int) -> str:
    shown = escape(name)
    return (
        f'<g class="node h-{word}" data-server="{shown}"><title>{shown}: {word}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{HEALTH_COLOURS[word]}"/>'
        f'<text class="node-name" x="{x + 10}" y="{y + 18}" fill="#ffffff">{escape(name[:24])}</text>'
        f'<text class="node-health" x="{x + 10}" y="{y + 35}" fill="#ffffff">{word}</text></g>'
    )
