#!/usr/bin/env bash
# The fuzz smoke run for CI (`.ci/run` calls it): the kept corpus and the regression
# inputs replayed as plain tests on the stable toolchain (always), then a short run of
# every fuzz target (about 3 s each): with libFuzzer through cargo-fuzz when it is
# installed or can be installed, else with the stable stand-in `stable-fuzz`.
# New inputs go to a temporary folder: the committed corpus is never changed here.
#
#   bash fuzz/smoke.sh            # SMOKE_SECONDS=3 per target by default
set -euo pipefail
cd "$(dirname "$0")"
seconds="${SMOKE_SECONDS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
targets=(parse check format data_csv data_json whole_run)

echo "== fuzz: replay of the kept corpus and regressions (stable, no fuzzer needed)"
cargo test --release --locked --no-default-features

echo "== fuzz: ${seconds}s per target"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "(installing cargo-fuzz)"
    cargo install cargo-fuzz --locked >/dev/null 2>&1 || echo "(cargo-fuzz could not be installed)"
fi
export RUSTC_BOOTSTRAP=1   # libFuzzer's flags are nightly-only; see docs/hardening.md
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if command -v cargo-fuzz >/dev/null 2>&1 && cargo fuzz build --release >"$scratch/build.log" 2>&1; then
    for target in "${targets[@]}"; do
        mkdir -p "$scratch/$target"
        # The plan targets also start from the repository's own plans (the committed
        # corpus keeps only small inputs).
        extra=()
        case "$target" in parse|check|format) extra=(../plans ../tests/diagnostics) ;; esac
        if ! cargo fuzz run --release "$target" "$scratch/$target" "corpus/$target" "${extra[@]}" -- \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$scratch/" >"$scratch/$target.log" 2>&1; then
            tail -n 40 "$scratch/$target.log" >&2
            echo "fuzz target $target found a problem; its input:" >&2
            ls "$scratch"/crash-* "$scratch"/timeout-* "$scratch"/oom-* "$scratch"/slow-* 2>/dev/null >&2 || true
            exit 1
        fi
        echo "$target: $(grep -Eo '#[0-9]+' "$scratch/$target.log" | tail -n 1 | tr -d '#') runs, no finding"
    done
else
    echo "(libFuzzer unavailable here; using the stable stand-in)"
    tail -n 5 "$scratch/build.log" 2>/dev/null || true
    cargo build --release --locked --no-default-features --bin stable-fuzz
    for target in "${targets[@]}"; do
        "$CARGO_TARGET_DIR/release/stable-fuzz" "$target" "$seconds" "corpus/$target" "$scratch/artifacts/$target"
    done
fi
echo "== fuzz: ok"
