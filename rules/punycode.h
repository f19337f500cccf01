/* Punycode (RFC 3492) for IDNA A-labels: check list names, convert the public suffix list. */
#ifndef BLOCKD_PUNYCODE_H
#define BLOCKD_PUNYCODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * punycode_encode(): code points cp[0..n) into out as ASCII (without "xn--"),
 * NUL-terminated. Returns the length, or -1 if it does not fit in outsz.
 */
int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outsz);

/*
 * punycode_decode(): ASCII s[0..len) (without "xn--") into cp, at most cpmax
 * code points. Returns the count, or -1 if s is not valid punycode.
 */
int punycode_decode(const char *s, size_t len, uint32_t *cp, size_t cpmax);

#endif
