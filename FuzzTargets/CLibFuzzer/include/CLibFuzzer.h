#ifndef BUDDYFUZZ_CLIBFUZZER_H
#define BUDDYFUZZ_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver entry points, declared weak so that the same fuzz target links without
/// libFuzzer (a plain `swift build`) and then runs its inputs as a standalone replayer.

/// Whether libFuzzer is linked into this process.
int buddyfuzz_libfuzzer_is_linked(void);

/// `LLVMFuzzerRunDriver`: hands control to libFuzzer's command line driver.
/// Only call when `buddyfuzz_libfuzzer_is_linked()` is true.
int buddyfuzz_run_libfuzzer(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// `LLVMFuzzerMutate`: libFuzzer's built-in byte mutations (the custom mutator's fallback).
/// Only call when `buddyfuzz_libfuzzer_is_linked()` is true.
size_t buddyfuzz_libfuzzer_mutate(uint8_t *data, size_t size, size_t maxSize);

#endif
