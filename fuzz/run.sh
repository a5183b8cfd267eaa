#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS seconds (default 20), starting from the
# committed seeds in corpus-seeds/ and the corpus earlier runs grew in corpus/. Fails on the
# first crash, leaving the input that caused it in artifacts/<target>/.
#
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"

seconds_per_target="${1:-20}"
if ! [[ "$seconds_per_target" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS], SECONDS a positive whole number" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

# cargo-fuzz instruments the code with `-Z` flags (sanitizer coverage) that only a nightly
# compiler accepts. The project builds on stable alone, so RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them; it affects this build only, never the main workspace.
export RUSTC_BOOTSTRAP=1

# No address sanitizer: every crate forbids unsafe code, so it would find nothing, and
# builds and runs are several times faster without it. Debug assertions stay on, so that
# arithmetic overflow is a crash too.
flags=(--sanitizer none --debug-assertions)

echo "== building the fuzz targets"
cargo fuzz build "${flags[@]}"

for target in $(cargo fuzz list); do
    echo "== fuzzing $target for ${seconds_per_target}s"
    mkdir -p "corpus/$target"
    cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "corpus-seeds/$target" -- \
        -max_total_time="$seconds_per_target" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "== no crashes"
