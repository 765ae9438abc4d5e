"""The notification side of an ``AlertRules`` document: ``receivers``, ``route.escalation`` and ``inhibit``,
from validated YAML to records.

Rules the schema leaves open: receiver names are unique; every receiver a route or escalation step names
exists (``console`` always does: without a receiver of that name it prints on stderr); an email
``smarthost`` port is 1-65535; an email subject compiles in the sandbox and reads only status, group,
alerts and receiver; inhibition matchers parse (:func:`~mcpctl.spec.alert_matchers.parse_matcher`).
``${env:...}`` values were substituted (and recorded as secrets) when the file was loaded.
"""

from __future__ import annotations

from mcpctl.spec.alert_matchers import Matcher, parse_matcher
from mcpctl.spec.alert_model import CONSOLE, NO_WAIT, Escalation, InhibitRule
from mcpctl.spec.build_suite import duration, parsed, positive_duration
from mcpctl.spec.receiver_model import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    DEFAULT_DELIVERY_TIMEOUT,
    Delivery,
    EmailTarget,
    Receiver,
    ReceiverKind,
    WebhookTarget,
)
from mcpctl.spec.semantics import check_exclusive, check_template, check_unique
from mcpctl.spec.validate import Cursor

KINDS: tuple[ReceiverKind, ...] = ("console", "webhook", "slack", "email", "alertmanager")
SUBJECT_NAMES = ("alerts", "group", "receiver", "status")
_DEFAULT_SUBJECT = EmailTarget(to=("-",), sender="-", smarthost="-").subject


def build_receivers(cursor: Cursor | None) -> tuple[Receiver, ...]:
    """The ``receivers`` list (empty when absent)."""
    if cursor is None:
        return ()
    entries = cursor.elements()
    check_unique([(str(e.required("name").plain()), e.required("name")) for e in entries], "receiver")
    found = [_receiver(entry) for entry in entries]
    return tuple(receiver for receiver in found if receiver is not None)


def _receiver(entry: Cursor) -> Receiver | None:
    kind = check_exclusive(entry, KINDS, "receiver kind")
    if kind is None:
        return None  # the schema already said one kind is needed
    body = entry.required(kind)
    webhook = _target(body) if kind in ("webhook", "slack", "alertmanager") else None
    email = _email(body) if kind == "email" else None
    if kind == "email" and email is None:
        return None
    return Receiver(
        name=str(entry.required("name").plain()),
        kind=kind,  # type: ignore[arg-type]  # one of KINDS, checked by check_exclusive
        webhook=webhook,
        email=email,
        delivery=_delivery(entry.get("delivery")),
        source=entry.source(),
    )


def _target(body: Cursor) -> WebhookTarget:
    plain = body.plain()
    if isinstance(plain, str):
        return WebhookTarget(url=plain)
    headers = body.get("headers")
    return WebhookTarget(
        url=str(body.required("url").plain()),
        headers={k: str(v.plain()) for k, v in headers.items()} if headers is not None else {},
    )


def _email(body: Cursor) -> EmailTarget | None:
    to = body.required("to")
    recipients = (
        tuple(str(e.plain()) for e in to.elements()) if isinstance(to.plain(), list) else (str(to.plain()),)
    )
    subject = body.get("subject")
    if subject is not None:
        check_template(subject, SUBJECT_NAMES, what="a subject")
    smarthost = body.required("smarthost")
    port = str(smarthost.plain()).rpartition(":")[2]
    if not 0 < int(port) < 65536:
        smarthost.error(f"port {port} is out of range: give HOST:PORT with a port from 1 to 65535")
        return None
    starttls = body.flag("startTLS")
    return EmailTarget(
        to=recipients,
        sender=str(body.required("from").plain()),
        smarthost=str(smarthost.plain()),
        username=body.text("username"),
        password=body.text("password"),
        starttls=True if starttls is None else starttls,
        subject=str(subject.plain()) if subject is not None else _DEFAULT_SUBJECT,
    )


def _delivery(cursor: Cursor | None) -> Delivery:
    if cursor is None:
        return Delivery()
    attempts = cursor.integer("attempts")
    return Delivery(
        timeout=positive_duration(cursor.get("timeout")) or DEFAULT_DELIVERY_TIMEOUT,
        attempts=attempts if attempts is not None else DEFAULT_ATTEMPTS,
        backoff=duration(cursor.get("backoff")) or DEFAULT_BACKOFF,
    )


def build_escalation(route: Cursor | None, receivers: Cursor | None) -> tuple[Escalation, ...]:
    """``route.receiver`` and ``route.escalation`` as steps (empty: the default console step); every name
    must be one of ``receivers`` (or ``console``)."""
    if route is None:
        return ()
    written = receivers.elements() if receivers is not None else []
    known = {str(entry.required("name").plain()) for entry in written} | {CONSOLE}
    single = route.get("receiver")
    steps = route.get("escalation")
    if single is not None and steps is not None:
        single.error("give either receiver or escalation (whose first step says who is notified first)")
        return ()
    if single is not None:
        return (Escalation(receivers=(_known(single, known),)),)
    if steps is None:
        return ()
    built = []
    for step in steps.elements():
        names = tuple(_known(name, known) for name in step.required("receivers").elements())
        built.append(Escalation(receivers=names, wait=duration(step.get("wait")) or NO_WAIT))
    return tuple(built)


def _known(cursor: Cursor, known: set[str]) -> str:
    name = str(cursor.plain())
    if name not in known:
        cursor.error(f"no receiver named {name!r} (receivers: {', '.join(sorted(known))})")
    return name


def build_inhibit(cursor: Cursor | None) -> tuple[InhibitRule, ...]:
    """The ``inhibit`` rules (empty when absent)."""
    if cursor is None:
        return ()
    rules = []
    for entry in cursor.elements():
        source = _matchers(entry.required("sourceMatchers"))
        target = _matchers(entry.required("targetMatchers"))
        equal = entry.get("equal")
        rules.append(
            InhibitRule(
                source=source,
                target=target,
                equal=tuple(str(e.plain()) for e in equal.elements()) if equal is not None else (),
            )
        )
    return tuple(rules)


def _matchers(cursor: Cursor) -> tuple[Matcher, ...]:
    found = (parsed(element, parse_matcher) for element in cursor.elements())
    return tuple(matcher for matcher in found if matcher is not None)
