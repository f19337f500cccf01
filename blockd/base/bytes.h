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

/*
 * Eight bytes at a time (SWAR), for the name readers: for bytes below 0x80,
 * the high bit of each byte of swar_in_range(w, lo, hi) says whether that
 * byte lies in lo..hi. No sum carries into the next byte, since every byte
 * and constant stays below 0x80. w is eight bytes loaded little-endian.
 */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the word loads assume little-endian");

static inline uint64_t
swar_in_range(uint64_t w, uint8_t lo, uint8_t hi)
{
	return (w + SWAR_ONES * (uint64_t)(0x80 - lo)) & ~(w + SWAR_ONES * (uint64_t)(0x7f - hi)) &
	    SWAR_HIGH;
}

#endif
