"""``mcpctl coverage``: what a set of specs exercises of the servers they name.

The specs are read (:mod:`.usage`: TestSuite tests and steps, LoadTest scenarios, Monitor probes,
BatchPlan ``execute`` operations; FaultScenario runs and BatchPlan ``test`` operations run suites of
the same set, counted once), each server they name is listed (tools, resources, resource templates,
prompts: every page; no tool is called) and the two are set against each other (:mod:`.measure`).

The total is **items hit over items in all**, per server and over every server. The items are:

- each tool the server lists (hit: called by some spec),
- each resource (hit: read by URI) and each resource template (hit: a read URI matches it),
- each prompt (hit: fetched),
- per tool, each ``enum`` value of its top-level ``inputSchema`` properties (hit: passed literally;
  for an array property, the enum of its items), each optional property (one not in ``required``;
  hit: given in some call) and one error path (hit: a test or probe of the tool expects
  ``isError: true`` or a JSON-RPC error).

A value the specs compute at run time (a ``{{ ... }}`` template, a BatchPlan record) cannot be known
before the run: it is counted as unknown, never as hit. Skipped tests exercise nothing. A server with
nothing to cover counts as 100 %.
"""
