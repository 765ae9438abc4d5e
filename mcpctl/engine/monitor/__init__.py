"""``kind: Monitor``: probe servers on a schedule, keep rolling measurements, judge their health, and serve
them as Prometheus metrics and a JSON status (the ``mcpctl monitor`` and ``mcpctl status`` commands)."""
