#!/bin/bash -eu
# Builds the libFuzzer targets into $OUT the way OSS-Fuzz and ClusterFuzzLite expect: one
# binary per target, its seed corpus as TARGET_seed_corpus.zip, its dictionary and options.
#
# In the base-builder-swift image, precompile_swift sets $SWIFTFLAGS (-sanitize=fuzzer,$SANITIZER,
# -parse-as-library, a static Swift runtime). Anywhere else it runs with SRC and OUT set, e.g.
#   SRC=/tmp/src OUT=/tmp/out bash .clusterfuzzlite/build.sh   (with /tmp/src/buddyfuzz the checkout)
# and then uses the flags and the scratch path of `buddyfuzz fuzz`, so a build made by
# `buddyfuzz fuzz` is reused.

PROJECT="${SRC}/buddyfuzz"
cd "$PROJECT"
mkdir -p "$OUT"

if command -v precompile_swift >/dev/null 2>&1; then
  . precompile_swift
  SCRATCH="${WORK:-/work}/buddyfuzz-build"
else
  SANITIZER="${SANITIZER:-address}"
  # Edge coverage without comparison tracing, as `buddyfuzz fuzz` builds by default.
  COVERAGE="-Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table"
  if [ "$SANITIZER" = "address" ]; then
    SWIFTFLAGS="-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library $COVERAGE"
    SCRATCH=".build-fuzz"
  else
    SWIFTFLAGS="-Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library $COVERAGE"
    SCRATCH=".build-fuzz-none"
  fi
fi

# SwiftPM links an executable with its entry point renamed to <Module>_main and libFuzzer's
# archive brings its own main: lld keeps the first definition, the target's, which hands
# control to LLVMFuzzerRunDriver.
LINK_FLAGS="-Xswiftc -use-ld=lld -Xlinker --allow-multiple-definition"

for target in lockstep formats; do
  # shellcheck disable=SC2086 # the flag lists are word lists on purpose
  swift build -c release --scratch-path "$SCRATCH" $SWIFTFLAGS $LINK_FLAGS --product "fuzz-$target"
  cp "$SCRATCH/release/fuzz-$target" "$OUT/$target"
  if [ -d "corpus/$target" ] && [ -n "$(ls -A "corpus/$target")" ]; then
    rm -f "$OUT/${target}_seed_corpus.zip"
    (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
  if [ -s "FuzzTargets/$target/$target.dict" ]; then
    cp "FuzzTargets/$target/$target.dict" "$OUT/$target.dict"
  fi
  printf '[libfuzzer]\nmax_len = 4096\ntimeout = 10\ndetect_leaks = 0\n' > "$OUT/$target.options"
done
