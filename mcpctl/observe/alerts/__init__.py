"""Alerting, as a pure clock-injected core: rules, their states, and the dispatch of notifications.

The rules themselves (conditions such as ``p99 > 500ms``, as typed records) are spec records,
:mod:`mcpctl.spec.alert_rules`, and so is the series notation of ``mcpctl alerts test``
(:mod:`mcpctl.spec.alert_series`); ``state`` evaluates rules per server
against measurements and reports every state change (inactive, pending, firing, resolved, nodata) as an
event, with Prometheus's ``for`` and ``keep_firing_for``; ``alert`` holds the alert instances and their
stable fingerprints; ``silence`` holds label matchers and silences; ``route`` groups alerts and decides,
Alertmanager-style (group_wait, group_interval, repeat_interval), which group notifies when, with silences,
inhibition, acknowledgement and escalation; ``engine`` puts one AlertRules document's rules, labels,
annotations and inhibition together over a monitor's measurements.

Those read no clock, sleep or do I/O: every function takes the time (float seconds) it runs at, so a monitor
loop, a test or a replay drives it alike. The two exceptions are at the edge: ``payloads`` builds what the
receivers are sent (pure too), and ``deliver`` sends it (HTTP with httpx, SMTP in a thread), at least once.
"""
