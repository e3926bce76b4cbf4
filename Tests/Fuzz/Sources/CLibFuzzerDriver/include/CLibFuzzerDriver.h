#ifndef C_LIBFUZZER_DRIVER_H
#define C_LIBFUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, from the runtime that `-sanitize=fuzzer` links in. The fuzz executable calls
/// it from its own entry point, because SwiftPM renames an executable's `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
