#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, lint, types, tests (with branch coverage).
# Use: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
set +e
.venv/bin/python -m coverage run -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
.venv/bin/python -m coverage report --skip-covered --sort=cover 2>/dev/null | tail -n 25 || true
[ "$rc" -eq 0 ] || exit "$rc"
# dogfood: the project's own specs against real servers, as a GitOps pipeline would run them
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT
.venv/bin/mcpctl validate specs/ examples/
.venv/bin/mcpctl apply specs/ --state-dir "$STATE" --report "junit:$STATE/specs-junit.xml"
