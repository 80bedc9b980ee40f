#!/usr/bin/env bash
# Compares configurations of the lockstep fuzz target: coverage after a fixed time, and
# executions and seconds until the planted divergence is found, over several libFuzzer seeds,
# each from an empty corpus on the tiny profile. Prints a Markdown table for docs/FUZZING.md.
#
#   Scripts/compare-fuzz-options.sh [SEEDS] [COVERAGE_SECONDS] [CANARY_SECONDS]
#
# CONFIGS names the configurations, each NAME=OPTIONS of `buddyfuzz fuzz` (`,` for spaces):
#   CONFIGS="operations=--mutator,operations bytes=--mutator,bytes"        (the default: mutators)
#   CONFIGS="traced=--trace-cmp untraced=--no-trace-cmp"                   (comparison tracing)
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
seeds=${1:-3}
coverage_seconds=${2:-60}
canary_seconds=${3:-180}
configs=${CONFIGS:-"operations=--mutator,operations bytes=--mutator,bytes"}
buddyfuzz=.build/debug/buddyfuzz
work=${WORK:-.fuzz-out/compare-fuzz-options}
rm -rf "$work"
mkdir -p "$work"
swift build --product buddyfuzz >/dev/null

field() { grep "^$2 " "$1" | head -1 | awk '{print $2}'; }

# Build every configuration's binary once, outside the timed runs.
for config in $configs; do
  options=$(echo "${config#*=}" | tr ',' ' ')
  # shellcheck disable=SC2086
  "$buddyfuzz" fuzz lockstep $options --time 1 --corpus "$work/warmup" --findings "$work/warmup-findings" -- -runs=1 2>/dev/null >/dev/null
done

echo "| configuration | seed | edges after ${coverage_seconds} s | features | corpus | executions | executions to the canary | seconds to the canary |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for config in $configs; do
  name=${config%%=*}
  options=$(echo "${config#*=}" | tr ',' ' ')
  for seed in $(seq 1 "$seeds"); do
    log="$work/coverage-$name-$seed.log"
    # shellcheck disable=SC2086
    "$buddyfuzz" fuzz lockstep --no-build --no-seeds $options --time "$coverage_seconds" \
      --corpus "$work/corpus-$name-$seed" --findings "$work/findings-$name-$seed" -- -seed="$seed" 2>"$log" || true
    edges=$(grep "^coverage " "$log" | awk '{print $2}')
    features=$(grep "^coverage " "$log" | awk '{print $4}')
    corpus=$(grep "^corpus " "$log" | awk '{print $2}')
    executions=$(field "$log" executions)

    log="$work/canary-$name-$seed.log"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$buddyfuzz" fuzz lockstep --no-build --no-seeds --planted-divergence $options --time "$canary_seconds" \
      --corpus "$work/canary-corpus-$name-$seed" --findings "$work/canary-findings-$name-$seed" -- -seed="$seed" 2>"$log" || true
    end=$(date +%s.%N)
    if grep -q "^findings *[1-9]" "$log"; then
      canary_executions=$(field "$log" executions)
      seconds=$(awk "BEGIN { printf \"%.0f\", $end - $start }")
    else
      canary_executions="not found"
      seconds=">$canary_seconds"
    fi
    echo "| $name | $seed | $edges | $features | $corpus | $executions | $canary_executions | $seconds |"
  done
done
