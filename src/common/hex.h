/* Lower-case hex, the one helper for MACs, digests and keys. */
#ifndef PU_HEX_H
#define PU_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* out must hold 2 * n + 1 bytes */
void pu_hex_encode(const unsigned char *in, size_t n, char *out);

/* false unless s is exactly 2 * n hex digits */
bool pu_hex_decode(const char *s, size_t slen, unsigned char *out, size_t n);

#endif
