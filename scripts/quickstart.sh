#!/usr/bin/env bash
# A real job on a fresh machine: set up, run the example test suite against the bundled example
# mock (examples/weather.yaml, served by mcpctl over stdio), then talk to the mock with mcpctl's
# ad-hoc commands. Use: bash scripts/quickstart.sh
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
