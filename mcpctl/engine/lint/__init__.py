"""``mcpctl lint``: rules over MCP tool definitions, before an agent sees them.

::

    rules.py        the rule catalogue (ID, severity, title, fix hint, doc page docs/lint/ID.md)
    model.py        Rule, Finding, ListedServer (a server's tools and where it was written)
    text.py         rules over words: hidden instructions, tags, invisible Unicode, URLs, sensitive
                    paths, credentials, send-to, destructive words
    schema.py       rules over inputSchema: types, open objects, required, descriptions, keywords
                    clients reject
    tool.py         every rule over one tool (names, annotations, token budget included)
    servers.py      rules over servers: HTTP transport, collisions and shadowing across servers
    ignores.py      ``# mcpctl-lint: ignore MCP003`` comments in Servers specs
    run.py          run every rule over the listed servers, drop what is ignored
    sources.py      list the tools of servers, mocks, tools.json files and client configs
    output.py       table and JSON; sarif.py: SARIF 2.1.0 (GitHub annotations: mcpctl.cli.lint)

Every rule is a pure function of the tool definitions (dicts as servers list them): linting 1,000
definitions takes a fraction of a second (bench/lint_speed.py).
"""

from __future__ import annotations
