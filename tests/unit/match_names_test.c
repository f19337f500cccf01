/* Name splitting: the word-at-a-time normalizer against a byte-at-a-time reference. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

/* The rules, one byte at a time: letters, digits, '-', '_', '.'; labels of 1..63 bytes. */
static int
ref_split(const char *name, size_t len, char *out, uint8_t *lab, int *nlab)
{
	size_t start = 0;
	int n = 0;

	if (len > RULES_NAME_MAX + 1)
		return -1;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > RULES_NAME_MAX)
		return -1;
	lab[n++] = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '_' || c == '.'))
			return -1;
		out[i] = (char)c;
		if (c == '.') {
			if (i - start < 1 || i - start > 63)
				return -1;
			lab[n++] = (uint8_t)(i + 1);
			start = i + 1;
		}
	}
	if (len - start < 1 || len - start > 63)
		return -1;
	out[len] = '\0';
	*nlab = n;
	return (int)len;
}

/* Both agree on name: the result, and for a good name its form and its labels. */
static void
check_same(const char *name, size_t len)
{
	char a[NAME_BUF], b[NAME_BUF];
	uint8_t la[RULES_NAME_MAX + 2], lb[RULES_NAME_MAX + 2];
	int na = -1, nb = -1;
	/* An exact-size heap copy: ASan reports any read past the name's end. */
	char *copy = malloc(len ? len : 1);

	cr_assert_not_null(copy);
	memcpy(copy, name, len);
	int ra = match_name_split(copy, len, a, la, &na);
	int rb = ref_split(copy, len, b, lb, &nb);
	free(copy);
	cr_assert_eq(ra, rb, "\"%.*s\" (%zu bytes): %d, reference %d", (int)len, name, len, ra, rb);
	if (ra < 0)
		return;
	cr_assert_eq(memcmp(a, b, (size_t)ra + 1), 0, "\"%.*s\"", (int)len, name);
	cr_assert_eq(na, nb);
	cr_assert_eq(
	    memcmp(la, lb, (size_t)na), 0, "\"%.*s\": label starts differ", (int)len, name);
}

Test(match_names, edges)
{
	static const char *const names[] = {"a", "A", "a.", "a..", ".a", "a..b", "Example.COM",
	    "xn--bcher-kva.example", "under_score.test", "-lead.test", "trail-.test",
	    "a.b.c.d.e.f.g.h.i.j", "12345678", "1234567.", "abcdefgh.abcdefgh.", "ab\xc3\xa9.test",
	    "sp ace.test", "tab\t.test", "nul\0.test", "@.test", "[.test", "`.test", "{.test",
	    "/.test", ":.test", "Z.z", "\x7f.test", "\x80.test", "\xff", ""};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_same(names[i], strlen(names[i]));
	check_same("nul\0.test", 9);
}

Test(match_names, label_and_name_lengths)
{
	char buf[300];

	for (size_t l = 60; l <= 65; l++) {
		memset(buf, 'a', l);
		memcpy(buf + l, ".test", 5);
		check_same(buf, l + 5);
		check_same(buf, l); /* one label alone */
	}
	/* 253 and 254 bytes, with and without a trailing dot, dots every 50 bytes. */
	for (size_t len = 250; len <= 256; len++) {
		for (size_t i = 0; i < len; i++)
			buf[i] = i % 50 == 49 ? '.' : (char)('a' + i % 26);
		buf[len - 1] = 'z';
		check_same(buf, len);
		buf[len - 1] = '.';
		check_same(buf, len);
	}
}

Test(match_names, random_bytes)
{
	static const char alphabet[] = "abcXYZ019-_..\x01\x7f\x80 @[`{/:";
	char buf[300];
	uint32_t x = 2463534242u;

	for (int round = 0; round < 200000; round++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t len = x % 40 + (round % 100 == 0 ? 220 : 0);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* Mostly good bytes, so most names get far enough to be compared whole. */
			buf[i] = x % 8 ? alphabet[x % 9] : alphabet[x % (sizeof(alphabet) - 1)];
		}
		check_same(buf, len);
	}
}
