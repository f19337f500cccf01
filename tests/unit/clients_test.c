/* Unit tests for clients.c: shares capped per client, IPv6 by /64, counts exact through deletions. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/clients.h"

static void
v4(uint8_t a[4], uint32_t n)
{
	a[0] = 10;
	a[1] = (uint8_t)(n >> 16);
	a[2] = (uint8_t)(n >> 8);
	a[3] = (uint8_t)n;
}

Test(clients, cap_per_client_and_resource)
{
	struct client_table *t = client_table_create(16, 1);
	uint8_t a[4], b[4];

	cr_assert_not_null(t);
	v4(a, 1);
	v4(b, 2);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(client_take(t, 4, a, CLIENT_STREAMS, 3), 0);
	cr_assert_eq(
	    client_take(t, 4, a, CLIENT_STREAMS, 3), -1, "a fourth buffer is over the share");
	cr_assert_eq(client_take(t, 4, a, CLIENT_FLOWS, 3), 0, "flows are counted apart");
	cr_assert_eq(
	    client_take(t, 4, b, CLIENT_STREAMS, 3), 0, "another client has its own share");
	client_give(t, 4, a, CLIENT_STREAMS);
	cr_assert_eq(client_held(t, 4, a, CLIENT_STREAMS), 2);
	cr_assert_eq(client_take(t, 4, a, CLIENT_STREAMS, 3), 0);
	cr_assert_eq(client_count(t), 2);
	client_give(t, 4, b, CLIENT_STREAMS);
	client_give(t, 4, b, CLIENT_STREAMS); /* holds none: nothing happens */
	cr_assert_eq(client_count(t), 1, "a client holding nothing is forgotten");
	client_table_destroy(t);
}

Test(clients, ipv6_by_64)
{
	struct client_table *t = client_table_create(16, 2);
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t b[16], c[16];

	memcpy(b, a, 16);
	b[15] = 2; /* same /64 */
	memcpy(c, a, 16);
	c[7] = 1; /* another /64 */
	cr_assert_eq(client_take(t, 6, a, CLIENT_FLOWS, 2), 0);
	cr_assert_eq(client_take(t, 6, b, CLIENT_FLOWS, 2), 0);
	cr_assert_eq(client_take(t, 6, b, CLIENT_FLOWS, 2), -1, "one /64 is one client");
	cr_assert_eq(client_take(t, 6, c, CLIENT_FLOWS, 2), 0);
	/* An IPv4 address whose bytes begin an IPv6 one is another client. */
	cr_assert_eq(client_take(t, 4, a, CLIENT_FLOWS, 2), 0);
	cr_assert_eq(client_count(t), 3);
	client_table_destroy(t);
}

/* Many clients taken and given in a mixed order: every count stays exact (backward shifts). */
Test(clients, counts_exact_through_deletions)
{
	enum { N = 1000 };
	static uint32_t want[N];
	struct client_table *t = client_table_create(N, 3);
	uint32_t x = 12345;
	uint8_t a[4];

	cr_assert_not_null(t);
	memset(want, 0, sizeof(want));
	for (int step = 0; step < 200000; step++) {
		x = x * 1103515245u + 12345u;
		uint32_t i = (x >> 8) % N;
		v4(a, i);
		if ((x >> 28) & 1) {
			if (client_take(t, 4, a, CLIENT_FLOWS, 1000000) == 0)
				want[i]++;
		} else if (want[i] > 0) {
			client_give(t, 4, a, CLIENT_FLOWS);
			want[i]--;
		}
	}
	uint32_t live = 0;
	for (uint32_t i = 0; i < N; i++) {
		v4(a, i);
		cr_assert_eq(client_held(t, 4, a, CLIENT_FLOWS), want[i], "client %u", i);
		live += want[i] > 0;
	}
	cr_assert_eq(client_count(t), live);
	client_table_destroy(t);
}

Test(clients, full_table_refuses)
{
	struct client_table *t = client_table_create(4, 4);
	uint8_t a[4];

	for (uint32_t i = 0; i < 4; i++) {
		v4(a, i);
		cr_assert_eq(client_take(t, 4, a, CLIENT_FLOWS, 10), 0);
	}
	v4(a, 99);
	cr_assert_eq(client_take(t, 4, a, CLIENT_FLOWS, 10), -1);
	cr_assert_null(client_table_create(0, 1));
	client_table_destroy(t);
}
