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
for target in lockstep formats; do
  "$buddyfuzz" fuzz "$target" --time 120 --corpus "$scratch/corpus/$target" --findings "$scratch/findings/$target" \
    -- -runs=4000 -seed=1 2>"$scratch/smoke-$target.log" \
    || { tail -40 "$scratch/smoke-$target.log"; fail "fuzz $target exited $?"; }
  grep -A8 "== buddyfuzz fuzz $target ==" "$scratch/smoke-$target.log"
  grep -q "^executions *4000$" "$scratch/smoke-$target.log" || fail "fuzz $target did not run 4000 inputs"
done

step "canary: the planted divergence is found from nothing, replayed and minimized"
status=0
"$buddyfuzz" fuzz lockstep --no-build --planted-divergence --no-seeds --time 300 \
  --corpus "$scratch/canary/corpus" --findings "$scratch/canary/findings" -- -seed=1 \
  2>"$scratch/canary.log" || status=$?
grep -A12 "== buddyfuzz fuzz lockstep ==" "$scratch/canary.log" || true
[ "$status" -eq 1 ] || fail "the canary run exited $status, expected 1 (divergence)"
artifact=$(ls "$scratch"/canary/findings/crash-* | grep -v '\.' | head -1)
[ -s "$artifact.txt" ] || fail "no report beside $artifact"
grep -q "^Reproduce with: " "$artifact.txt" || fail "the report has no Reproduce line"

status=0
"$buddyfuzz" replay "$artifact" --planted-divergence >"$scratch/replay.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$scratch/replay.log"; fail "replay exited $status, expected 1 (divergence)"; }
title=$(grep "^title: " "$artifact.txt" | cut -d' ' -f2-)
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
"$buddyfuzz" triage "$scratch/canary/findings" --planted-divergence >"$scratch/triage.log" 2>&1 || status=$?
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
  "$src/out/$target" -runs=200 -seed=1 >/dev/null 2>&1 || fail "\$OUT/$target does not run"
done
ls "$src/out"
rm -rf "$src"

echo
echo "fuzz smoke: 5 passed, 0 failed"
