// The declaration in include/CLibFuzzerDriver.h is all this module provides; the definition comes
// from libFuzzer's runtime at link time.
#include "CLibFuzzerDriver.h"
