/* TLS server_name: a host_name read as the server reads it, the usual name sixteen bytes a step. */
#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/bytes.h"
#include "hostname.h"
#include "tls.h"
#include "tls_name.h"

static inline uint8_t
lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/*
 * What tls_take_name() does with a byte: keep it (a byte a label may hold,
 * lowercase), lower it, look closer ('.', ':'), keep it though no label
 * may hold it, or take the name for none.
 */
enum { NB_OTHER, NB_LABEL, NB_UPPER, NB_LOOK, NB_NONE };
static const uint8_t name_byte[256] = {
    [0 ... 0x20] = NB_NONE,
    [0x7f] = NB_NONE,
    ['/'] = NB_NONE,
    ['.'] = NB_LOOK,
    [':'] = NB_LOOK,
    ['0' ... '9'] = NB_LABEL,
    ['a' ... 'z'] = NB_LABEL,
    ['-'] = NB_LABEL,
    ['_'] = NB_LABEL,
    ['A' ... 'Z'] = NB_UPPER,
};

/* A name nginx takes for none at n[i]: still refused by OpenSSL if a NUL follows. */
static const char *
no_name(const uint8_t *n, size_t i, size_t len)
{
	return memchr(n + i, 0, len - i) != NULL ? "NUL in server name" : NULL;
}

/* The bytes of w (eight, each below 0x80) equal to c: their high bits set. */
static inline uint64_t
swar_eq(uint64_t w, uint8_t c)
{
	return ~((w ^ SWAR_ONES * c) + SWAR_ONES * 0x7f) & SWAR_HIGH;
}

/*
 * The dots of a name (high bits of dots, byte k at n[at + k]) end labels,
 * the current one starting at *dot: 0 if one is empty (a dot first or
 * after a dot) or over 63 bytes, else their ends are noted in lab.
 */
static inline __attribute__((always_inline)) int
plain_dots(uint64_t dots, size_t at, size_t *dot, size_t *nl, uint8_t *lab)
{
	for (; dots; dots &= dots - 1) {
		size_t d = at + ((unsigned)__builtin_ctzll(dots) >> 3);

		if (d - *dot - 1 > 62)
			return 0;
		*dot = d + 1;
		lab[(*nl)++] = (uint8_t)(d + 1);
	}
	return 1;
}

/*
 * Eight bytes of a name at n[at], for take_plain_name(): 0 unless each is
 * a label byte, a capital or a dot. Otherwise they are lowered into name,
 * and the dots past the first skip bits end labels (plain_dots()).
 */
static inline __attribute__((always_inline)) int
plain_word(
    const uint8_t *n, size_t at, unsigned skip, char *name, size_t *dot, size_t *nl, uint8_t *lab)
{
	uint64_t w, letters, dots;

	memcpy(&w, n + at, 8);
	if (w & SWAR_HIGH)
		return 0;
	letters = swar_in_range(w | SWAR_ONES * 0x20, 'a', 'z'); /* either case */
	dots = swar_eq(w, '.');
	if ((letters | dots | swar_in_range(w, '0', '9') | swar_eq(w, '-') | swar_eq(w, '_')) !=
	    SWAR_HIGH)
		return 0;
	memcpy(name + at, &(uint64_t){w | letters >> 2}, 8); /* 0x80 >> 2: the case bit */
	return plain_dots(dots & ~0ull << skip, at, dot, nl, lab);
}

/*
 * Sixteen bytes, a lane each (GCC's and Clang's generic vectors): the
 * target's vector instructions where it has them, else what the compiler
 * lowers them to.
 */
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef int8_t s8x16 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* The lanes of v in lo..hi set to all ones, the others to zero: one add and one signed compare. */
static inline u8x16
lanes_in(u8x16 v, uint8_t lo, uint8_t hi)
{
	return (u8x16)((s8x16)(v + (uint8_t)(0x80 - lo)) < (int8_t)(hi - lo - 0x80 + 1));
}

/* The high bits of v's lanes, lane k's as bit k: SSE2's movemask, else two multiplies. */
static inline unsigned
lanes_mask(u8x16 v)
{
#ifdef __SSE2__
	return (unsigned)_mm_movemask_epi8((__m128i)v);
#else
	u64x2 h = (u64x2)(v & 0x80);

	return (unsigned)((h[0] * 0x0002040810204081ull) >> 56) |
	    (unsigned)((h[1] * 0x0002040810204081ull) >> 56) << 8;
#endif
}

/*
 * plain_word() for sixteen bytes (skip: bytes, up to 15), its dots ending
 * labels as plain_dots() ends them, a bit a byte.
 */
static inline __attribute__((always_inline)) int
plain_chunk(
    const uint8_t *n, size_t at, unsigned skip, char *name, size_t *dot, size_t *nl, uint8_t *lab)
{
	u8x16 v, letters, dots;
	unsigned d;

	memcpy(&v, n + at, 16);
	letters = lanes_in(v | 0x20, 'a', 'z'); /* either case */
	dots = (u8x16)(v == '.');
	if (lanes_mask(letters | dots | lanes_in(v, '0', '9') | (u8x16)(v == '-') |
		(u8x16)(v == '_')) != 0xffff)
		return 0;
	v |= letters & 0x20;
	memcpy(name + at, &v, 16);
	for (d = lanes_mask(dots) >> skip << skip; d; d &= d - 1) {
		size_t k = at + (unsigned)__builtin_ctz(d);

		if (k - *dot - 1 > 62)
			return 0;
		*dot = k + 1;
		lab[(*nl)++] = (uint8_t)(k + 1);
	}
	return 1;
}

/* take_plain_name()'s end: the name, n[0..len) with its last dot at dot - 1, read whole. */
static inline __attribute__((always_inline)) int
plain_name_end(const uint8_t *n, size_t len, size_t dot, size_t nl, struct tls_hello *out)
{
	size_t end;

	if (len - dot > 63)
		return 0;
	end = n[len - 1] == '.' ? len - 1 : len;
	out->sni_len = end;
	out->sni[end] = '\0';
	out->has_sni = 1; /* odd_name is set only by take_odd_name() */
	out->lab[0] = 0;
	out->nlab = (uint8_t)(out->lab[nl - 1] >= end ? nl - 1 : nl);
	return 1;
}

/* take_plain_name() for 8 to 15 bytes: two words, the second overlapping the first. */
static __attribute__((noinline)) int
take_short_plain_name(const uint8_t *n, size_t len, struct tls_hello *out)
{
	size_t dot = 0, nl = 1;

	if (!plain_word(n, 0, 0, out->sni, &dot, &nl, out->lab) ||
	    (len > 8 &&
		!plain_word(n, len - 8, 8 * (unsigned)(16 - len), out->sni, &dot, &nl, out->lab)))
		return 0;
	return plain_name_end(n, len, dot, nl, out);
}

/*
 * The usual name, of 8 to 253 label bytes, capitals and single dots, taken
 * as tls_take_name() takes it when it is matchable whole, sixteen or eight
 * bytes a step (the last step overlapping the one before). Returns 0 for
 * any other name, leaving in out only what take_odd_name() writes over. At
 * most 126 dots fit: lab cannot overflow.
 */
static int
take_plain_name(const uint8_t *n, size_t len, struct tls_hello *out)
{
	size_t i, dot = 0, nl = 1;

	if (len < 16)
		return take_short_plain_name(n, len, out);
	if (len > TLS_SNI_MAX)
		return 0;
	for (i = 0; len - i >= 16; i += 16)
		if (!plain_chunk(n, i, 0, out->sni, &dot, &nl, out->lab))
			return 0;
	if (i < len &&
	    !plain_chunk(n, len - 16, (unsigned)(i - (len - 16)), out->sni, &dot, &nl, out->lab))
		return 0;
	return plain_name_end(n, len, dot, nl, out);
}

/* tls_take_name() for any name but the usual one: a byte at a time, in place. */
static __attribute__((noinline)) const char *
take_odd_name(const uint8_t *n, size_t len, struct tls_hello *out)
{
	char *name = out->sni; /* the name is read in place, and moved if cut on the left */
	size_t i, end, start, dot = 0;
	unsigned classes = 0;
	int long_label = 0, cut = 0;
	unsigned nl = 1;
	const char *why;

	out->odd_name = 1;
	end = len;
	for (i = 0; i < len; i++) {
		uint8_t ch = n[i], c = name_byte[ch];

		classes |= 1u << c;
		if (c == NB_LABEL) {
			name[i] = (char)ch;
			continue;
		}
		if (c == NB_NONE || (ch == '.' && i > 0 && n[i - 1] == '.')) {
			why = ch == 0 ? "NUL in server name" : no_name(n, i, len);
			out->sni[0] = '\0';
			return why;
		}
		if (ch == '.') {
			long_label |= i - dot > 63;
			dot = i + 1;
			if (nl < sizeof(out->lab))
				out->lab[nl++] =
				    (uint8_t)dot; /* kept if the name is labels alone */
		} else if (ch == ':' && n[0] != '[' && end == len) {
			end = i;
			cut = 1;
		}
		name[i] = (char)lower(ch);
	}
	if (end > 0 && name[end - 1] == '.')
		end--;
	int whole = !cut && !(classes & (1u << NB_OTHER)) && !long_label && len - dot <= 63 &&
	    end <= TLS_SNI_MAX && name[0] != '.';
	if (whole)
		start = 0; /* labels alone, none empty or over 63 bytes: as hostname_right() */
	else
		start = hostname_right((const uint8_t *)name, end, TLS_SNI_MAX);
	if (start > 0)
		memmove(out->sni, name + start, end - start);
	out->sni_len = end - start;
	out->sni[out->sni_len] = '\0';
	if (start == 0 && end > 0) {
		out->has_sni = 1;
		out->odd_name = 0;
		/* Labels alone: their starts found on the way, less one after a trailing dot. */
		if (whole) {
			out->lab[0] = 0;
			out->nlab = (uint8_t)(out->lab[nl - 1] >= end ? nl - 1 : nl);
		}
	}
	return NULL;
}

/* The usual name is read by take_plain_name(), any other by take_odd_name(). */
const char *
tls_take_name(const uint8_t *n, size_t len, struct tls_hello *out)
{
	_Static_assert(sizeof(out->sni) >= TLS_NAME_RAW, "sni holds any name read");
	if (len > TLS_NAME_RAW)
		return "server name longer than 255 bytes";
	if (len == 0)
		return NULL; /* OpenSSL keeps "", nginx reads no name */
	if (len >= 8 && take_plain_name(n, len, out))
		return NULL;
	return take_odd_name(n, len, out);
}
