#!/usr/bin/env bash
# Records a perf profile of the server while the load tool runs a scenario against it, built
# with symbols (Cargo profile `profiling`: the server build plus line tables, not stripped),
# and prints the top frames of each. Needs Debian's `linux-perf` and perf events allowed
# for your own processes (/proc/sys/kernel/perf_event_paranoid <= 2).
#
#   bash scripts/profile.sh                 # page, then purchase
#   SCENARIOS=flash TOP=25 bash scripts/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
command -v perf >/dev/null || { echo "perf is missing: sudo apt-get install linux-perf" >&2; exit 1; }
scenarios=${SCENARIOS:-page purchase}
out=${PROFILE_DIR:-$(mktemp -d)}
server="$CARGO_TARGET_DIR/profiling/tickex"
cargo bench --bench load --features ssr --profile profiling --no-run
for scenario in $scenarios; do
  cargo bench --bench load --features ssr --profile profiling -- "$scenario" > "$out/$scenario.log" 2>&1 &
  load=$!
  pid=""
  for _ in $(seq 300); do
    pid=$(pgrep -n -f "^$server" || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { echo "the load tool started no server" >&2; wait "$load"; exit 1; }
  # Every thread of the server process, until it stops with the scenario.
  perf record -F 499 -g -p "$pid" -o "$out/$scenario.data" > /dev/null 2>&1 || true
  wait "$load"
  echo "### $scenario: top frames of the server (self time)"
  perf report -i "$out/$scenario.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | head -"${TOP:-15}" || true
  grep -E '^\| ' "$out/$scenario.log" | head -8 || true
done
echo "(perf data and the load tool's output in $out)"
