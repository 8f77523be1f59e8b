#!/usr/bin/env bash
# Scale-out: one real SurrealDB server (built from the registry by tools/surreal, about
# 26 minutes the first time on 2 cores), two TickEx instances on it over ws://, and the
# flash sale across both at once; then `tickex check` on the shared database.
#   make scale-out                 LOAD_FLASH_BUYERS / LOAD_FLASH_TICKETS as for `make load`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

tool_target="${CARGO_TARGET_DIR}/surreal-tool"
surreal="$tool_target/release/surreal"
if [[ ! -x "$surreal" ]]; then
  echo "building the SurrealDB server once (tools/surreal)..." >&2
  cargo build --release --locked --manifest-path tools/surreal/Cargo.toml --target-dir "$tool_target" \
    || cargo build --release --manifest-path tools/surreal/Cargo.toml --target-dir "$tool_target"
fi
cargo build --profile server --features ssr --bin tickex
tickex="${CARGO_TARGET_DIR}/server/tickex"

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }

db_port="$(free_port)"
"$surreal" start --bind "127.0.0.1:$db_port" --user root --pass root --log warn \
  "surrealkv://$work/surreal" > "$work/surreal.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$db_port/health"

export TICKEX_DATABASE_URL="ws://127.0.0.1:$db_port"
export TICKEX_DB_USER=root TICKEX_DB_PASSWORD=root TICKEX_DEMO=false TICKEX_LOG=warn
servers=()
for i in 1 2; do
  port="$(free_port)"
  TICKEX_LISTEN_ADDR="127.0.0.1:$port" TICKEX_DATA_DIR="$work/app$i" "$tickex" serve > "$work/app$i.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/readyz"
  servers+=("http://127.0.0.1:$port")
done

LOAD_SERVERS="$(IFS=,; echo "${servers[*]}")" \
  cargo bench --bench load --features ssr --profile server -- ws-probe flash
