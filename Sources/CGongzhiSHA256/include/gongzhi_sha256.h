// SHA-256 (FIPS 180-4) for the host: manifest checks, token hashes and the audit chain.
#ifndef GONGZHI_SHA256_H
#define GONGZHI_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} gongzhi_sha256;

void gongzhi_sha256_init(gongzhi_sha256 *hash);
void gongzhi_sha256_update(gongzhi_sha256 *hash, const void *bytes, size_t count);
// Writes the 32-byte digest; the state is spent afterwards.
void gongzhi_sha256_final(gongzhi_sha256 *hash, uint8_t digest[32]);

#endif
