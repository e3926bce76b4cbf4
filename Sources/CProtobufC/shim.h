// libprotobuf-c, the C protobuf runtime the C plugin SDK is built on (apt: libprotobuf-c-dev).
#include <protobuf-c/protobuf-c.h>
