#!/usr/bin/env bash
# The fuzzing part of CI, on every change:
#  1. the instrumented build (libFuzzer + AddressSanitizer) of every target links and runs a
#     few thousand executions from a fixed seed;
#  2. the canary: with the runner's planted divergence on, the fuzzer must find it, `replay`
#     must reproduce the artifact and `minimize` must shrink it;
#  3. the ClusterFuzzLite build script runs outside its image with SRC and OUT set.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no

buddyfuzz=.build/debug/buddyfuzz
swift build --product buddyfuzz
scratch=.fuzz-out/ci
rm -rf "$scratch"
mkdir -p "$scratch"

step() { printf '\n== %s ==\n' "$*"; }
fail() { printf 'fuzz smoke: FAILED: %s\n' "$*" >&2; exit 1; }

step "instrumented build and smoke runs"
# A smoke run proves the instrumented build links and fuzzes. A lockstep finding here is a real
# bug in the allocators: it is shown (and kept under $scratch) but does not fail this step;
# a crash, a timeout or a broken build does.
for target in lockstep formats; do
  status=0
  "$buddyfuzz" fuzz "$target" --time 120 --corpus "$scratch/corpus/$target" --findings "$scratch/findings/$target" \
    -- -runs=4000 -seed=1 2>"$scratch/smoke-$target.log" || status=$?
  grep -A12 "== buddyfuzz fuzz $target ==" "$scratch/smoke-$target.log" || { tail -40 "$scratch/smoke-$target.log"; fail "fuzz $target printed no summary"; }
  [ "$status" -le 3 ] || { tail -40 "$scratch/smoke-$target.log"; fail "fuzz $target exited $status (crash, timeout or build failure)"; }
  executions=$(grep "^executions " "$scratch/smoke-$target.log" | awk '{print $2}')
  [ "${executions:-0}" -gt 0 ] || fail "fuzz $target ran no input"
  if [ "$status" -ne 0 ]; then
    echo "WARNING: the smoke run of $target found a bug (exit $status); its reproducer is in $scratch/findings/$target"
  fi
done

step "canary: the planted divergence is found from nothing, replayed and minimized"
# The runner's planted divergence: a put_page on a tail page that frees a compound block of
# order >= 2 reports one page too many on the optimized side. A run stops at its first finding,
# which could be a real bug: then the next libFuzzer seed tries again.
planted_title="divergence: outcome: put_page"
artifact=""
for seed in 1 2 3; do
  status=0
  "$buddyfuzz" fuzz lockstep --no-build --planted-divergence --no-seeds --time 300 \
    --corpus "$scratch/canary/corpus-$seed" --findings "$scratch/canary/findings" -- -seed="$seed" \
    2>"$scratch/canary-$seed.log" || status=$?
  grep -A8 "== buddyfuzz fuzz lockstep ==" "$scratch/canary-$seed.log" || true
  for candidate in "$scratch"/canary/findings/crash-*; do
    case "$candidate" in *.ops | *.txt | *.md | *.json | *.min*) continue ;; esac
    if grep -q "^title: $planted_title$" "$candidate.txt" 2>/dev/null; then artifact=$candidate; fi
  done
  [ -n "$artifact" ] && break
  echo "seed $seed: no planted divergence (exit $status); trying the next seed"
done
[ -n "$artifact" ] || fail "the fuzzer did not find the planted divergence"
[ "$status" -eq 1 ] || fail "the canary run exited $status, expected 1 (divergence)"
grep -q "^Reproduce with: " "$artifact.txt" || fail "the report has no Reproduce line"
title=$planted_title
echo "found '$title' in $artifact"

status=0
"$buddyfuzz" replay "$artifact" --planted-divergence >"$scratch/replay.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$scratch/replay.log"; fail "replay exited $status, expected 1 (divergence)"; }
grep -q "^verdict: divergence ($title)" "$scratch/replay.log" || fail "replay does not report the finding's title '$title'"
echo "replay reproduces '$title' (exit 1)"

status=0
"$buddyfuzz" minimize "$artifact" --planted-divergence -o "$scratch/canary/minimized" >"$scratch/minimize.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { tail -20 "$scratch/minimize.log"; fail "minimize exited $status, expected 1 (divergence)"; }
before=$(grep -vc '^buddyfuzz ops\|^profile\|^seed' "$artifact.ops" || true)
after=$(grep -vc '^buddyfuzz ops\|^profile\|^seed' "$scratch/canary/minimized.ops" || true)
[ "$after" -lt "$before" ] || fail "minimize did not shrink $artifact ($before → $after operations)"
grep -q "^verdict: divergence ($title)" <("$buddyfuzz" replay "$scratch/canary/minimized.ops" --planted-divergence 2>&1) \
  || fail "the minimized program lost the finding's title"
echo "minimize shrinks it from $before to $after operations, same title"

status=0
"$buddyfuzz" triage "$scratch/canary/findings" --planted-divergence --no-minimize >"$scratch/triage.log" 2>&1 || status=$?
cat "$scratch/triage.log"
[ "$status" -eq 1 ] || fail "triage exited $status, expected 1 (findings present)"
grep -q "| $title | " "$scratch/canary/findings/triage.md" || fail "triage has no bucket '$title'"

step "ClusterFuzzLite build.sh with SRC and OUT"
src=$(mktemp -d)
ln -s "$PWD" "$src/buddyfuzz"
SRC="$src" OUT="$src/out" bash .clusterfuzzlite/build.sh >"$scratch/build-sh.log" 2>&1 \
  || { tail -20 "$scratch/build-sh.log"; fail "build.sh failed"; }
for target in lockstep formats; do
  [ -x "$src/out/$target" ] || fail "build.sh did not produce \$OUT/$target"
  status=0
  BUDDYFUZZ_FINDINGS="$scratch/build-sh-findings" "$src/out/$target" -runs=50 -seed=1 -error_exitcode=77 \
    >"$scratch/build-sh-$target.log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 77 ] || { tail -20 "$scratch/build-sh-$target.log"; fail "\$OUT/$target does not run (exit $status)"; }
done
ls "$src/out"
rm -rf "$src"

echo
echo "fuzz smoke: 5 passed, 0 failed"
