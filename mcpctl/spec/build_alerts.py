"""``AlertRules`` and ``AlertTest`` documents, from validated YAML to :mod:`mcpctl.spec.alert_model` records.

YAML → record rules the schema leaves open: ``expr`` is parsed by the alert core's own
:func:`~mcpctl.spec.alert_rules.parse_condition` (its message is the error); alert names are unique in
a document; ``labels`` cannot set alertname, server or severity; annotation templates compile in the
sandbox and read only alertname, condition, labels, server, severity and value; ``groupInterval`` and
``repeatInterval`` are longer than 0s (a repeat interval that is not a multiple of the group interval is
rounded up by the dispatcher, not refused). An AlertTest's ``rules`` file exists, its series parse
(:mod:`mcpctl.spec.alert_series`), each ``at`` is a multiple of ``interval`` and each expected alert's
server has a series.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection

from mcpctl.spec.alert_model import (
    ANNOTATION_NAMES,
    DEFAULT_EVALUATION_INTERVAL,
    DEFAULT_TEST_INTERVAL,
    RESERVED_LABELS,
    AlertRoute,
    AlertRule,
    AlertRulesSpec,
    AlertTestCase,
    AlertTestSpec,
    ExpectedAlert,
)
from mcpctl.spec.alert_rules import Rule, parse_condition
from mcpctl.spec.alert_series import parse_series
from mcpctl.spec.build_receivers import build_escalation, build_inhibit, build_receivers
from mcpctl.spec.build_suite import duration, parsed, positive_duration, resolve
from mcpctl.spec.model import Metadata
from mcpctl.spec.semantics import check_template, check_unique, template_strings
from mcpctl.spec.units import Duration
from mcpctl.spec.validate import Cursor

_DEFAULT_ROUTE = AlertRoute()


def build_alert_rules(doc: Cursor, *, metadata: Metadata, spec_hash: str) -> AlertRulesSpec:
    """The AlertRules document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    entries = doc.required("rules").elements()
    check_unique([(str(e.required("alert").plain()), e.required("alert")) for e in entries], "alert")
    rules = [_rule(entry) for entry in entries]
    receivers = build_receivers(doc.get("receivers"))
    route = _route(doc.get("route"))
    escalation = build_escalation(doc.get("route"), doc.get("receivers"))
    return AlertRulesSpec(
        metadata=metadata,
        rules=tuple(rule for rule in rules if rule is not None),
        route=dataclasses.replace(route, escalation=escalation) if escalation else route,
        receivers=receivers,
        inhibit=build_inhibit(doc.get("inhibit")),
        evaluation_interval=positive_duration(doc.get("evaluationInterval")) or DEFAULT_EVALUATION_INTERVAL,
        spec_hash=spec_hash,
        source=doc.source(),
    )


def _rule(entry: Cursor) -> AlertRule | None:
    condition = parsed(entry.required("expr"), parse_condition)
    for_ = duration(entry.get("for"))
    keep = duration(entry.get("keepFiringFor"))
    labels = _strings(entry.get("labels"))
    labels_field = entry.get("labels")
    for name, field in labels_field.items() if labels_field is not None else []:
        if name in RESERVED_LABELS:
            field.error(f"labels cannot set {name}: mcpctl sets alertname, server and severity", key=True)
    _check_annotations(entry.get("annotations"))
    servers = entry.get("servers")
    if condition is None:
        return None
    rule = Rule(
        name=str(entry.required("alert").plain()),
        condition=condition,
        for_=for_.seconds if for_ is not None else 0.0,
        keep_firing_for=keep.seconds if keep is not None else 0.0,
        severity=entry.text("severity") or "warning",
        labels={k: v for k, v in labels.items() if k not in RESERVED_LABELS},
    )
    return AlertRule(
        rule=rule,
        servers=tuple(str(s.plain()) for s in servers.elements()) if servers is not None else (),
        selector=_strings(entry.get("selector")),
        annotations=_strings(entry.get("annotations")),
        source=entry.source(),
    )


def _strings(cursor: Cursor | None) -> dict[str, str]:
    return {key: str(value.plain()) for key, value in cursor.items()} if cursor is not None else {}


def _check_annotations(cursor: Cursor | None) -> None:
    for found in template_strings(cursor):
        check_template(found, ANNOTATION_NAMES, what="annotations")


def _route(cursor: Cursor | None) -> AlertRoute:
    if cursor is None:
        return _DEFAULT_ROUTE
    group_by = cursor.get("groupBy")
    return AlertRoute(
        group_by=tuple(str(label.plain()) for label in group_by.elements())
        if group_by is not None
        else _DEFAULT_ROUTE.group_by,
        group_wait=duration(cursor.get("groupWait")) or _DEFAULT_ROUTE.group_wait,
        group_interval=positive_duration(cursor.get("groupInterval")) or _DEFAULT_ROUTE.group_interval,
        repeat_interval=positive_duration(cursor.get("repeatInterval")) or _DEFAULT_ROUTE.repeat_interval,
    )


# -- AlertTest ----------------------------------------------------------------------------------


def build_alert_test(doc: Cursor, *, metadata: Metadata, spec_hash: str, base_dir: str) -> AlertTestSpec:
    """The AlertTest document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    rules = doc.required("rules")
    rules_file = resolve(base_dir, str(rules.plain()))
    if not os.path.isfile(rules_file):
        rules.error(f"no such file: {rules_file} (the AlertRules file, relative to this file)")
    interval = positive_duration(doc.get("interval")) or DEFAULT_TEST_INTERVAL
    series = {
        server: {metric: _series(text, metric) for metric, text in metrics.items()}
        for server, metrics in doc.required("series").items()
    }
    tests = [_test(test, interval, series) for test in doc.required("tests").elements()]
    return AlertTestSpec(
        metadata=metadata,
        rules_file=rules_file,
        rules_source=rules.source(),
        interval=interval,
        series=series,
        tests=tuple(tests),
        spec_hash=spec_hash,
        source=doc.source(),
    )


def _series(cursor: Cursor, metric: str) -> tuple[float | str | None, ...]:
    found = parsed(cursor, lambda text: parse_series(text, words=metric == "health"))
    return found if found is not None else ()


def _test(cursor: Cursor, interval: Duration, series: Collection[str]) -> AlertTestCase:
    at_field = cursor.required("at")
    at = duration(at_field) or Duration(seconds=0.0)
    steps = at.seconds / interval.seconds
    if abs(steps - round(steps)) > 1e-9:
        at_field.error(
            f"{at} is not a multiple of interval {interval}: alerts are evaluated every {interval}"
        )
    pending = cursor.get("pending")
    return AlertTestCase(
        at=at,
        firing=_expected(cursor.required("firing"), series),
        pending=_expected(pending, series) if pending is not None else None,
        source=cursor.source(),
    )


def _expected(cursor: Cursor, series: Collection[str]) -> tuple[ExpectedAlert, ...]:
    found = []
    for item in cursor.elements():
        server = item.required("server")
        if str(server.plain()) not in series:
            server.error(f"server {server.plain()!r} has no series (series: {', '.join(sorted(series))})")
        found.append(
            ExpectedAlert(
                alert=str(item.required("alert").plain()), server=str(server.plain()), source=item.source()
            )
        )
    return tuple(found)
