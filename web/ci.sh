#!/usr/bin/env bash
# CI of the browser build, from a clean machine: the wasm32 target, the wasm-bindgen
# CLI of the exact locked version (compiled only when missing: about 10 minutes),
# Chromium (Debian's), the npm packages, the native CLI, then web/build.sh (which
# checks the size budget), the engine equivalence test under Node and the browser
# test under Playwright. Exits non-zero on any failure. Uses crates.io, npm and
# Debian's packages only.
set -euo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$WEB")"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "== toolchain: wasm32 target, wasm-bindgen CLI"
rustup target add wasm32-unknown-unknown
VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $VERSION" ]; then
  # Not --locked: the CLI's own lock file may name versions the registry no longer serves.
  (unset CARGO_TARGET_DIR; cargo install wasm-bindgen-cli --version "$VERSION")
fi
wasm-bindgen --version

echo "== Chromium"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM

echo "== npm ci"
(cd "$WEB" && npm ci --no-audit --no-fund)

echo "== native CLI (the reference for the equivalence test)"
(cd "$ROOT" && cargo build --release -p payplan-cli)
export PAYPLAN_BIN="$TARGET_DIR/release/payplan"

echo "== build"
"$WEB/build.sh"

echo "== tests: engine equivalence (Node) and the page (Chromium)"
cd "$WEB"
# One run, one summary; the browser test measures timings, so nothing runs beside it.
node --test --test-concurrency=1 build/tests/engine.test.mjs build/tests/browser.test.mjs
