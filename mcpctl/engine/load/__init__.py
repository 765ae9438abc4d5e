"""Load tests (``kind: LoadTest``): staged load against one server, measured without coordinated omission.

:mod:`.schedule` is the pure scheduling core of the two load models, independent of MCP: it drives an
async callback and knows nothing of sessions, requests or metrics.

- **Open model** (``arrival-rate``, :func:`.schedule.run_open`): requests start at intended times computed
  exactly from the ramping rate, whatever the server does; a request that would exceed ``maxInFlight``
  is dropped and counted (k6's ``dropped_iterations``), never queued. The caller measures latency from
  the intended start, so a slow server shows in the latencies rather than in a slower schedule.
- **Closed model** (``vus``, :func:`.schedule.run_closed`): virtual users loop over iterations, each
  sending its next request when the last one answered; their number follows the ramp, and users above
  it finish their current iteration before stopping (k6's ``gracefulRampDown``).

Both end at the profile's length, let work in flight finish for up to ``gracefulStop``, then cancel it.
"""
