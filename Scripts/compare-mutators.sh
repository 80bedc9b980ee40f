#!/usr/bin/env bash
# Compares the lockstep target's custom mutator modes (operations vs bytes): coverage after a
# fixed time, and executions and seconds until the planted divergence is found, over several
# libFuzzer seeds, each from an empty corpus on the tiny profile. Prints a Markdown table for
# docs/FUZZING.md.
#
#   Scripts/compare-mutators.sh [SEEDS] [COVERAGE_SECONDS] [CANARY_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
seeds=${1:-3}
coverage_seconds=${2:-60}
canary_seconds=${3:-180}
buddyfuzz=.build/debug/buddyfuzz
work=${WORK:-.fuzz-out/compare-mutators}
rm -rf "$work"
mkdir -p "$work"
swift build --product buddyfuzz >/dev/null
"$buddyfuzz" fuzz lockstep --time 1 --corpus "$work/warmup" --findings "$work/warmup-findings" -- -runs=1 2>/dev/null >/dev/null

field() { grep "^$2 " "$1" | head -1 | awk '{print $2}'; }

echo "| mutator | seed | edges after ${coverage_seconds} s | features | corpus | executions to the canary | seconds to the canary |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in ${MODES:-operations bytes}; do
  for seed in $(seq 1 "$seeds"); do
    log="$work/coverage-$mode-$seed.log"
    "$buddyfuzz" fuzz lockstep --no-build --no-seeds --mutator "$mode" --time "$coverage_seconds" \
      --corpus "$work/corpus-$mode-$seed" --findings "$work/findings-$mode-$seed" -- -seed="$seed" 2>"$log" || true
    edges=$(grep "^coverage " "$log" | awk '{print $2}')
    features=$(grep "^coverage " "$log" | awk '{print $4}')
    corpus=$(grep "^corpus " "$log" | awk '{print $2}')

    log="$work/canary-$mode-$seed.log"
    start=$(date +%s.%N)
    "$buddyfuzz" fuzz lockstep --no-build --no-seeds --planted-divergence --mutator "$mode" --time "$canary_seconds" \
      --corpus "$work/canary-corpus-$mode-$seed" --findings "$work/canary-findings-$mode-$seed" -- -seed="$seed" 2>"$log" || true
    end=$(date +%s.%N)
    if grep -q "^findings *[1-9]" "$log"; then
      executions=$(field "$log" executions)
      seconds=$(awk "BEGIN { printf \"%.0f\", $end - $start }")
    else
      executions="not found"
      seconds=">$canary_seconds"
    fi
    echo "| $mode | $seed | $edges | $features | $corpus | $executions | $seconds |"
  done
done
