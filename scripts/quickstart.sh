#!/usr/bin/env bash
# A real job on a fresh machine: set up, run the example test suite against the bundled example
# mock (examples/weather.yaml, served by mcpctl over stdio), talk to the mock with mcpctl's ad-hoc
# commands, then a batch plan (examples/rollout.yaml): validate, test and deploy the mock into
# sandboxed client configs (examples/sandbox/), call it for every record of a file, and roll it all
# back byte for byte. Use: bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SERVER=(.venv/bin/mcpctl mock serve examples/weather.yaml)
set -x
.venv/bin/mcpctl test examples/quickstart.yaml
.venv/bin/mcpctl runs --limit 3
.venv/bin/mcpctl ping -- "${SERVER[@]}"
.venv/bin/mcpctl tools -- "${SERVER[@]}"
.venv/bin/mcpctl call forecast city=Paris -- "${SERVER[@]}"
.venv/bin/mcpctl call forecast city=Lima days=3 --output json -- "${SERVER[@]}"
.venv/bin/mcpctl mock history --limit 5
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
cp -a examples/sandbox "$before/"
.venv/bin/mcpctl plan examples/rollout.yaml
.venv/bin/mcpctl apply examples/rollout.yaml --yes
cat examples/forecasts.jsonl
grep -c weather-mock examples/sandbox/claude_desktop_config.json examples/sandbox/.vscode/mcp.json
.venv/bin/mcpctl rollback last
diff -r "$before/sandbox" examples/sandbox
test ! -e examples/forecasts.jsonl
