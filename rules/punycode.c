/* Punycode encoder and decoder, from the algorithm in RFC 3492 section 6. */
#include <string.h>

#include "punycode.h"

enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128 };

static uint32_t
adapt(uint32_t delta, uint32_t numpoints, int first)
{
	uint32_t k = 0;

	delta = first ? delta / DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((BASE - TMIN) * TMAX) / 2) {
		delta /= BASE - TMIN;
		k += BASE;
	}
	return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

static char
encode_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + d - 26);
}

/* Lowercase digits only: uppercase is not the normal form of an A-label. */
static int
decode_digit(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return -1;
}

int
punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outsz)
{
	uint32_t cur = INITIAL_N, delta = 0, bias = INITIAL_BIAS, h, b, m, q, k, t;
	size_t o = 0, j;

	for (j = 0; j < n; j++) {
		if (cp[j] < 0x80) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)cp[j];
		}
	}
	h = b = (uint32_t)o;
	if (b > 0) {
		if (o + 1 >= outsz)
			return -1;
		out[o++] = '-';
	}
	while (h < n) {
		m = UINT32_MAX;
		for (j = 0; j < n; j++)
			if (cp[j] >= cur && cp[j] < m)
				m = cp[j];
		if ((uint64_t)delta + (uint64_t)(m - cur) * (h + 1) > UINT32_MAX)
			return -1;
		delta += (m - cur) * (h + 1);
		cur = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < cur && ++delta == 0)
				return -1;
			if (cp[j] != cur)
				continue;
			for (q = delta, k = BASE;; k += BASE) {
				t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
				if (q < t)
					break;
				if (o + 1 >= outsz)
					return -1;
				out[o++] = encode_digit(t + (q - t) % (BASE - t));
				q = (q - t) / (BASE - t);
			}
			if (o + 1 >= outsz)
				return -1;
			out[o++] = encode_digit(q);
			bias = adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		cur++;
	}
	out[o] = '\0';
	return (int)o;
}

int
punycode_decode(const char *s, size_t len, uint32_t *cp, size_t cpmax)
{
	uint32_t cur = INITIAL_N, i = 0, bias = INITIAL_BIAS, oldi, w, k, t;
	size_t b = 0, in, out = 0, j;
	int d;

	for (j = 0; j < len; j++)
		if (s[j] == '-')
			b = j;
	if (b > cpmax)
		return -1;
	for (j = 0; j < b; j++) {
		if ((unsigned char)s[j] >= 0x80)
			return -1;
		cp[out++] = (unsigned char)s[j];
	}
	for (in = b > 0 ? b + 1 : 0; in < len; out++) {
		for (oldi = i, w = 1, k = BASE;; k += BASE) {
			if (in >= len)
				return -1;
			d = decode_digit(s[in++]);
			if (d < 0)
				return -1;
			if ((uint64_t)d * w > UINT32_MAX - i)
				return -1;
			i += (uint32_t)d * w;
			t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
			if ((uint32_t)d < t)
				break;
			if ((uint64_t)w * (BASE - t) > UINT32_MAX)
				return -1;
			w *= BASE - t;
		}
		bias = adapt(i - oldi, (uint32_t)out + 1, oldi == 0);
		if (i / (out + 1) > UINT32_MAX - cur)
			return -1;
		cur += i / (uint32_t)(out + 1);
		i %= (uint32_t)(out + 1);
		if (cur < 0x80 || cur > 0x10ffff || (cur >= 0xd800 && cur <= 0xdfff) ||
		    out >= cpmax)
			return -1;
		memmove(cp + i + 1, cp + i, (out - i) * sizeof *cp);
		cp[i++] = cur;
	}
	return (int)out;
}
