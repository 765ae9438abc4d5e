#!/usr/bin/env bash
# A real job on a fresh machine: set up, run the example test suite against the bundled echo
# server (stdio), then talk to it with mcpctl's ad-hoc commands. Use: bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SERVER=(.venv/bin/python -m testing.servers.scenarios echo)
set -x
.venv/bin/mcpctl test examples/quickstart.yaml
.venv/bin/mcpctl runs --limit 3
.venv/bin/mcpctl ping -- "${SERVER[@]}"
.venv/bin/mcpctl tools -- "${SERVER[@]}"
.venv/bin/mcpctl call echo message="hello from mcpctl" -- "${SERVER[@]}"
.venv/bin/mcpctl call add a=2 b=40 --output json -- "${SERVER[@]}"
