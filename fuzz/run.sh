#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after the other, then
# minimises each corpus with `cargo fuzz cmin`. New corpus entries stay in
# fuzz/corpus/TARGET; a finding stops the run and leaves its input in
# fuzz/artifacts/TARGET (copy it into fuzz/regressions/TARGET once the bug is fixed).
#
#   fuzz/run.sh 600                 # every target, 10 minutes each (issue 7's run)
#   fuzz/run.sh 60 parse format     # two targets, a minute each
#
# After cmin, a corpus over its budget (CORPUS_KB, in KiB of file contents; default
# 1200 for data_csv, 1000 for check, 300 for whole_run, 800 for the others) keeps its
# smallest inputs, so that fuzz/corpus stays under about 5 MB in all; seed.py
# regenerates the large seeds.
#
# libFuzzer needs nightly features; on the stable toolchain RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz build anyway. Without cargo-fuzz (or when it cannot build), the stable
# stand-in `stable-fuzz` runs instead (no coverage feedback: see docs/hardening.md).
# Limits per input: 10 s (a hang), 2 GB of memory.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse check format data_csv data_json whole_run)
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# Keeps the smallest files of folder $1 within $2 KiB.
trim() {
    local dir="$1" budget=$(( $2 * 1024 )) total=0 size file
    while read -r size file; do
        total=$(( total + size ))
        if [ "$total" -gt "$budget" ]; then rm -f "$dir/$file"; fi
    done < <(find "$dir" -maxdepth 1 -type f -printf '%s %f\n' | sort -n)
}

budget_of() {
    case "$1" in
        data_csv) echo "${CORPUS_KB:-1200}" ;;
        check) echo "${CORPUS_KB:-1000}" ;;
        whole_run) echo "${CORPUS_KB:-300}" ;;
        *) echo "${CORPUS_KB:-800}" ;;
    esac
}

use_libfuzzer=0
if cargo fuzz --version >/dev/null 2>&1 && cargo fuzz build -O >/dev/null 2>&1; then
    use_libfuzzer=1
fi

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    before=$(ls "corpus/$target" | wc -l)
    echo "== $target: ${seconds}s ($([ $use_libfuzzer = 1 ] && echo libFuzzer || echo stable-fuzz)), corpus $before files"
    start=$(date +%s)
    log="$CARGO_TARGET_DIR/fuzz-logs/$target.log"
    mkdir -p "$(dirname "$log")"
    set +e
    if [ $use_libfuzzer = 1 ]; then
        cargo fuzz run -O "$target" "corpus/$target" -- \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
        status=$?
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|SUMMARY|panicked|Test unit written' "$log"
    else
        cargo build --release --no-default-features --bin stable-fuzz >/dev/null 2>&1
        "$CARGO_TARGET_DIR/release/stable-fuzz" "$target" "$seconds" "corpus/$target" "artifacts/$target" 2>&1 | tee "$log"
        status=${PIPESTATUS[0]}
    fi
    set -e
    if [ "$status" -ne 0 ]; then
        echo "== $target: FINDING (exit $status); see fuzz/artifacts/$target" >&2
        exit 1
    fi
    if [ $use_libfuzzer = 1 ]; then
        cargo fuzz cmin -O "$target" "corpus/$target" >/dev/null 2>&1 || echo "(cmin of $target failed; corpus kept as is)"
    fi
    trim "corpus/$target" "$(budget_of "$target")"
    echo "== $target: done in $(( $(date +%s) - start ))s, corpus $before -> $(ls "corpus/$target" | wc -l) files, $(find "corpus/$target" -type f -printf '%s\n' | awk '{ s += $1 } END { print int(s / 1024) }') KiB"
done
