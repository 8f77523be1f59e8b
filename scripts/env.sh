# Shared by scripts/run and scripts/test: one target directory that survives fresh clones
# (CI reuses it when present), and the tools in end2end/node_modules on PATH.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickex-target}"
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# leptos reads this at compile time; setting it everywhere lets `cargo test` and
# `cargo leptos build` share the compiled dependencies.
export LEPTOS_OUTPUT_NAME=tickex
# Server-function URLs carry a hash of this key (by default the clone's path). A fixed key
# keeps the browser bundle and the server agreeing even when clones at different paths
# share one target directory.
export SERVER_FN_OVERRIDE_KEY=tickex
# The one server build profile (see Cargo.toml) and the built binary.
export TICKEX_BIN="$CARGO_TARGET_DIR/server/tickex"

build_site() {
  # Release: size-optimised wasm through wasm-opt, precompressed assets, hashed file names.
  (cd "$root" && cargo leptos build --release --precompress)
}
