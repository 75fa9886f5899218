#!/usr/bin/env bash
# Builds payplan for the browser into web/dist/ (open it with `npm run serve`, see
# web/README.md): the engine compiled to WebAssembly (profile `wasm`), its JavaScript
# bindings (the wasm-bindgen CLI of the exact version in Cargo.lock), the type check
# and the bundle of the page and tests. Fails when the .wasm is over its size budget.
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli of the locked version,
# and web/node_modules (web/ci.sh installs all three).
set -euo pipefail

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$WEB")"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Size budget of the .wasm: 1.5 MB, and 500 KB gzip-compressed (decimal units).
MAX_WASM_BYTES=1500000
MAX_WASM_GZIP_BYTES=500000
# The stack of the WebAssembly module: plans are walked recursively (the CLI runs on a
# big-stack thread); 8 MiB covers the syntax's nesting limits. Wasm target only.
WASM_STACK_BYTES=8388608

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
VERSION="$(wasm_bindgen_version)"
if [ -z "$VERSION" ]; then
  echo "build.sh: wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $VERSION" ]; then
  echo "build.sh: needs wasm-bindgen $VERSION: cargo install wasm-bindgen-cli --version $VERSION (or run web/ci.sh)" >&2
  exit 1
fi

echo "== cargo build payplan-wasm (wasm32-unknown-unknown, profile wasm)"
# RUSTFLAGS with --target applies to the wasm artifacts only, not to host build scripts.
(cd "$ROOT" && RUSTFLAGS="-C link-arg=-zstack-size=$WASM_STACK_BYTES" \
  cargo build -p payplan-wasm --target wasm32-unknown-unknown --profile wasm)
WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm/payplan_wasm.wasm"

echo "== wasm-bindgen $VERSION"
rm -rf "$WEB/build/pkg"
wasm-bindgen --target web --out-dir "$WEB/build/pkg" "$WASM"

cd "$WEB"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
echo "== tsc (strict type check)"
npx --no-install tsc -p tsconfig.json --noEmit
echo "== esbuild"
node scripts/bundle.mjs

BUILT="$WEB/dist/payplan_wasm_bg.wasm"
RAW=$(wc -c < "$BUILT")
GZIP=$(gzip -9 -c "$BUILT" | wc -c)
echo "wasm size: $RAW bytes raw (budget $MAX_WASM_BYTES), $GZIP bytes gzip -9 (budget $MAX_WASM_GZIP_BYTES)"
if [ "$RAW" -gt "$MAX_WASM_BYTES" ] || [ "$GZIP" -gt "$MAX_WASM_GZIP_BYTES" ]; then
  echo "build.sh: the .wasm is over its size budget" >&2
  exit 1
fi
