/* Network byte order reads and writes, and hex digits: the few byte helpers every reader needs. */
#ifndef BLOCKD_BYTES_H
#define BLOCKD_BYTES_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

/*
 * rd16(), rd32(): the big-endian value at b (which holds 2 or 4 bytes, any
 * alignment). wr16(), wr32(): v written big-endian at b. Each is one load
 * or store and a byte swap.
 */
static inline uint16_t
rd16(const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, 2);
	return be16toh(v);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return be32toh(v);
}

static inline void
wr16(uint8_t *b, uint16_t v)
{
	v = htobe16(v);
	memcpy(b, &v, 2);
}

static inline void
wr32(uint8_t *b, uint32_t v)
{
	v = htobe32(v);
	memcpy(b, &v, 4);
}

/* hexval(): the value of hex digit c (either case), or -1. */
static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
