#include "CLibFuzzer.h"

extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) __attribute__((weak));
extern size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize) __attribute__((weak));

int buddyfuzz_libfuzzer_is_linked(void) { return LLVMFuzzerRunDriver != NULL && LLVMFuzzerMutate != NULL; }

int buddyfuzz_run_libfuzzer(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(argc, argv, callback);
}

size_t buddyfuzz_libfuzzer_mutate(uint8_t *data, size_t size, size_t maxSize) {
    return LLVMFuzzerMutate(data, size, maxSize);
}
