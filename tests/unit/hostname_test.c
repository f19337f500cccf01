/* Unit tests for the matchable labels at a server name's right. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/hostname.h"

static size_t
right(const char *name, size_t max)
{
	return hostname_right((const uint8_t *)name, strlen(name), max);
}

Test(hostname, labels)
{
	cr_assert(hostname_label_ok((const uint8_t *)"a", 1));
	cr_assert(hostname_label_ok((const uint8_t *)"Web_1-x", 7));
	cr_assert(!hostname_label_ok((const uint8_t *)"", 0));
	cr_assert(!hostname_label_ok((const uint8_t *)"a*b", 3));
	cr_assert(!hostname_label_ok((const uint8_t *)"caf\xc3\xa9", 5));
	char l64[64];
	memset(l64, 'a', sizeof(l64));
	cr_assert(hostname_label_ok((const uint8_t *)l64, 63));
	cr_assert(!hostname_label_ok((const uint8_t *)l64, 64));
}

Test(hostname, whole_or_right_part)
{
	cr_assert_eq(right("www.Blocked.example", 253), 0);
	cr_assert_eq(right("a b.blocked.example", 253), 4);
	cr_assert_eq(right("x*y.z.blocked.example", 253), 4);
	cr_assert_eq(right("blocked.example*", 253), 16); /* last label odd: nothing */
	cr_assert_eq(right("", 253), 0);
}

Test(hostname, bounded)
{
	/* Labels are kept from the right only while the run fits. */
	cr_assert_eq(right("aaaa.bbbb.cc", 7), 5);
	cr_assert_eq(right("aaaa.bbbb.cc", 12), 0);
	cr_assert_eq(right("aaaaaaaaaaaa", 7), 12);
}
