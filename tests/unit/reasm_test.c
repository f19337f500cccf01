/* Unit tests for reasm.c: order, gaps, duplicates, conflicting overlaps, limits, TCP sequence wrap, pool. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wire/reasm.h"

static struct reasm *r;
static uint8_t src[REASM_MAX + 100];

static void
setup(void)
{
	size_t i;

	r = malloc(sizeof(*r));
	reasm_reset(r);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
}

static void
teardown(void)
{
	free(r);
}

TestSuite(reasm, .init = setup, .fini = teardown);

Test(reasm, in_order)
{
	cr_assert_eq(reasm_add(r, 0, src, 10), REASM_NEW);
	cr_assert_eq(reasm_add(r, 10, src + 10, 20), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 30);
	cr_assert_eq(memcmp(reasm_data(r), src, 30), 0);
	cr_assert_eq(reasm_add(r, 0, NULL, 0), 0);
}

Test(reasm, gap_then_fill)
{
	cr_assert_eq(reasm_add(r, 100, src + 100, 50), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 0);
	cr_assert_eq(reasm_add(r, 0, src, 60), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 60);
	cr_assert_eq(reasm_add(r, 60, src + 60, 40), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 150);
	cr_assert_eq(memcmp(reasm_data(r), src, 150), 0);
}

Test(reasm, every_byte_backwards)
{
	int i;

	for (i = 999; i >= 0; i--) {
		cr_assert_eq(reasm_add(r, (uint64_t)i, src + i, 1), REASM_NEW);
		cr_assert_eq(reasm_contig(r), i == 0 ? 1000u : 0u);
	}
	cr_assert_eq(memcmp(reasm_data(r), src, 1000), 0);
}

Test(reasm, duplicate_and_overlap_same_bytes)
{
	reasm_add(r, 0, src, 100);
	cr_assert_eq(reasm_add(r, 0, src, 100), 0);
	cr_assert_eq(reasm_add(r, 50, src + 50, 100), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 150);
	cr_assert_eq(r->flags, 0);
	cr_assert_eq(r->conflicts, 0);
}

Test(reasm, conflicting_overlap_first_copy_wins)
{
	uint8_t evil[100];

	memcpy(evil, src + 50, sizeof(evil));
	evil[10] ^= 0xff; /* offset 60 differs */
	reasm_add(r, 0, src, 100);
	cr_assert_eq(reasm_add(r, 50, evil, 100), REASM_NEW | REASM_CONFLICT);
	cr_assert_eq(reasm_contig(r), 150);
	cr_assert_eq(memcmp(reasm_data(r), src, 150), 0, "first copy must win");
	cr_assert(r->flags & REASM_F_CONFLICT);
	cr_assert_eq(r->conflicts, 1);
	/* conflict with no new bytes */
	cr_assert_eq(reasm_add(r, 60, evil + 10, 1), REASM_CONFLICT);
	cr_assert_eq(r->conflicts, 2);
}

Test(reasm, conflict_filling_a_hole_keeps_both_sides)
{
	uint8_t evil[300];

	reasm_add(r, 0, src, 100);
	reasm_add(r, 200, src + 200, 100);
	memcpy(evil, src, sizeof(evil));
	evil[250] ^= 1;
	cr_assert_eq(reasm_add(r, 0, evil, 300), REASM_NEW | REASM_CONFLICT);
	cr_assert_eq(reasm_contig(r), 300);
	cr_assert_eq(memcmp(reasm_data(r), src, 300), 0);
}

/* A first-copy buffer and its last-copy twin, fed the same pieces, each show one version. */
Test(reasm, last_wins_copy_keeps_the_other_version)
{
	struct reasm *alt = malloc(sizeof(*alt));
	uint8_t one[40], two[40];

	memcpy(one, src, sizeof(one));
	memcpy(two, src, sizeof(two));
	two[5] ^= 0x20; /* the second copy of the first piece differs at offset 5 */
	reasm_reset(alt);
	alt->next_free = 77;
	cr_assert_eq(reasm_add(r, 0, one, 20), REASM_NEW);
	cr_assert_eq(reasm_add(r, 0, two, 20), REASM_CONFLICT);
	reasm_copy_last_wins(alt, r);
	cr_assert_eq(alt->next_free, 77, "the pool link is the copy's own");
	cr_assert(alt->flags & REASM_F_LAST_WINS);
	cr_assert(!(r->flags & REASM_F_LAST_WINS));
	cr_assert_eq(reasm_add(alt, 0, two, 20), REASM_CONFLICT);
	/* the rest, then a third copy of the start equal to the first: last copy wins again */
	cr_assert_eq(reasm_add(r, 20, src + 20, 20), REASM_NEW);
	cr_assert_eq(reasm_add(alt, 20, src + 20, 20), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 40);
	cr_assert_eq(reasm_contig(alt), 40);
	cr_assert_eq(memcmp(reasm_data(r), one, 40), 0, "first copy kept");
	cr_assert_eq(memcmp(reasm_data(alt), two, 40), 0, "last copy kept");
	cr_assert_eq(reasm_add(alt, 0, one, 10), REASM_CONFLICT);
	cr_assert_eq(memcmp(reasm_data(alt), one, 40), 0);
	cr_assert_eq(alt->conflicts, 3);
	/* a gap in the original stays a gap in the copy */
	reasm_reset(r);
	reasm_add(r, 100, src + 100, 8);
	reasm_copy_last_wins(alt, r);
	cr_assert_eq(reasm_contig(alt), 0);
	cr_assert_eq(reasm_add(alt, 0, src, 100), REASM_NEW);
	cr_assert_eq(reasm_contig(alt), 108);
	free(alt);
}

Test(reasm, limit)
{
	cr_assert_eq(reasm_add(r, REASM_MAX - 10, src, 20), REASM_NEW | REASM_TRUNCATED);
	cr_assert_eq(reasm_add(r, REASM_MAX, src, 20), REASM_TRUNCATED);
	cr_assert_eq(reasm_add(r, UINT64_MAX - 5, src, 20), REASM_TRUNCATED);
	cr_assert(r->flags & REASM_F_TRUNCATED);
	reasm_add(r, 0, src, REASM_MAX - 10);
	cr_assert_eq(reasm_contig(r), REASM_MAX);
}

Test(reasm, fill_whole_buffer_in_odd_pieces)
{
	size_t off = 0, step = 1;

	/* odd-sized pieces, the odd ones first, then the even ones */
	while (off < REASM_MAX) {
		size_t n = step < REASM_MAX - off ? step : REASM_MAX - off;

		if ((step & 1) == 1)
			reasm_add(r, off, src + off, n);
		off += n;
		step = step % 97 + 1;
	}
	off = 0;
	step = 1;
	while (off < REASM_MAX) {
		size_t n = step < REASM_MAX - off ? step : REASM_MAX - off;

		if ((step & 1) == 0)
			reasm_add(r, off, src + off, n);
		off += n;
		step = step % 97 + 1;
	}
	cr_assert_eq(reasm_contig(r), REASM_MAX);
	cr_assert_eq(memcmp(reasm_data(r), src, REASM_MAX), 0);
	cr_assert_eq(r->flags, 0);
}

Test(reasm, tcp_sequence_wraps)
{
	uint32_t isn = 0xfffffff0u;

	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1, src, 10), REASM_NEW);
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 11, src + 10, 30), REASM_NEW); /* wraps past 0 */
	cr_assert_eq(reasm_contig(r), 40);
	cr_assert_eq(memcmp(reasm_data(r), src, 40), 0);
}

Test(reasm, tcp_bytes_before_start_ignored)
{
	uint8_t seg[20];
	uint32_t isn = 1000;

	/* a segment starting at the SYN's sequence number: its first byte is not data */
	seg[0] = 0xee;
	memcpy(seg + 1, src, 19);
	cr_assert_eq(reasm_add_tcp(r, isn, isn, seg, 20), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 19);
	cr_assert_eq(memcmp(reasm_data(r), src, 19), 0);
	cr_assert_eq(reasm_add_tcp(r, isn, isn - 100, src, 50), 0);
	cr_assert_eq(reasm_contig(r), 19);
}

Test(reasm, pool_exhaustion_counted)
{
	struct reasm_pool *pool = reasm_pool_create(2);
	struct reasm_pool_stats st;
	struct reasm *a, *b;

	cr_assert_not_null(pool);
	a = reasm_get(pool);
	b = reasm_get(pool);
	cr_assert(a && b && a != b);
	cr_assert_null(reasm_get(pool));
	reasm_add(a, 0, src, 10);
	reasm_put(pool, a);
	a = reasm_get(pool);
	cr_assert_not_null(a);
	cr_assert_eq(reasm_contig(a), 0, "a buffer from the pool starts empty");
	reasm_pool_stats(pool, &st);
	cr_assert_eq(st.exhausted, 1);
	cr_assert_eq(st.in_use, 2);
	cr_assert_eq(st.gets, 3);
	reasm_put(pool, a);
	reasm_put(pool, b);
	reasm_put(pool, NULL);
	reasm_pool_stats(pool, &st);
	cr_assert_eq(st.in_use, 0);
	cr_assert_null(reasm_pool_create(0));
	reasm_pool_destroy(pool);
}

Test(reasm, consume_moves_the_window)
{
	reasm_add(r, 0, src, 100);
	reasm_add(r, 150, src + 150, 50);
	reasm_consume(r, 37);
	cr_assert_eq(r->base, 37);
	cr_assert_eq(reasm_contig(r), 63);
	cr_assert_eq(memcmp(reasm_data(r), src + 37, 63), 0);
	cr_assert_eq(reasm_add(r, 100, src + 100, 50), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 163);
	cr_assert_eq(memcmp(reasm_data(r), src + 37, 163), 0);
	/* consumed bytes come again: ignored, even when they differ */
	cr_assert_eq(reasm_add(r, 0, src + 1, 37), 0);
	cr_assert_eq(reasm_add(r, 30, src + 30, 20), 0);
	cr_assert_eq(r->flags, 0);
	reasm_consume(r, 1000); /* more than there is: all of the prefix */
	cr_assert_eq(r->base, 200);
	cr_assert_eq(reasm_contig(r), 0);
}

Test(reasm, consume_every_shift_keeps_pieces)
{
	size_t n;

	for (n = 1; n <= 70; n++) {
		size_t k;

		reasm_reset(r);
		reasm_add(r, 0, src, 80);
		reasm_add(r, 90, src + 90, 13);
		reasm_add(r, 120, src + 120, 7);
		reasm_consume(r, n);
		reasm_add(r, 80, src + 80, 10);
		cr_assert_eq(reasm_contig(r), 103 - n, "shift %zu", n);
		reasm_add(r, 103, src + 103, 17);
		cr_assert_eq(reasm_contig(r), 127 - n, "shift %zu", n);
		for (k = 0; k < 127 - n; k++)
			cr_assert_eq(reasm_data(r)[k], src[n + k]);
	}
}

Test(reasm, skip_past_a_gap_keeps_later_pieces)
{
	reasm_add(r, 0, src, 100);
	reasm_add(r, 150, src + 150, 50);
	reasm_skip(r, 120); /* past the contiguous prefix and into the gap */
	cr_assert_eq(r->base, 120);
	cr_assert_eq(reasm_contig(r), 0);
	cr_assert_eq(r->high, 80);
	/* skipped bytes come: ignored; the gap's rest fills it */
	cr_assert_eq(reasm_add(r, 100, src + 1, 20), 0);
	cr_assert_eq(reasm_add(r, 110, src + 110, 40), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 80);
	cr_assert_eq(memcmp(reasm_data(r), src + 120, 80), 0);
	cr_assert_eq(r->flags, 0);
}

Test(reasm, skip_into_stored_bytes_and_beyond_everything)
{
	reasm_add(r, 0, src, 10);
	reasm_add(r, 20, src + 20, 30);
	reasm_skip(r, 25); /* inside the later piece: its rest is the prefix now */
	cr_assert_eq(r->base, 25);
	cr_assert_eq(reasm_contig(r), 25);
	cr_assert_eq(memcmp(reasm_data(r), src + 25, 25), 0);
	reasm_skip(r, 5); /* within the prefix: as reasm_consume() */
	cr_assert_eq(r->base, 30);
	cr_assert_eq(reasm_contig(r), 20);
	reasm_skip(r, 20000); /* past all that is stored and past the window */
	cr_assert_eq(r->base, 20030);
	cr_assert_eq(reasm_contig(r), 0);
	cr_assert_eq(r->high, 0);
	cr_assert_eq(reasm_add(r, 20030, src, 7), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 7);
	reasm_skip(r, 0);
	cr_assert_eq(r->base, 20030);
}

Test(reasm, skip_every_shift_past_a_gap)
{
	for (size_t n = 81; n <= 125; n++) {
		reasm_reset(r);
		reasm_add(r, 0, src, 80);
		reasm_add(r, 90, src + 90, 13);
		reasm_add(r, 120, src + 120, 7);
		reasm_skip(r, n);
		size_t want = n >= 90 && n < 103 ? 103 - n : n >= 120 ? 127 - n : 0;
		cr_assert_eq(reasm_contig(r), want, "skip %zu", n);
		for (size_t k = 0; k < want; k++)
			cr_assert_eq(reasm_data(r)[k], src[n + k]);
		reasm_add(r, 80, src + 80, 47);
		cr_assert_eq(reasm_contig(r), 127 - n, "skip %zu", n);
		for (size_t k = 0; k < 127 - n; k++)
			cr_assert_eq(reasm_data(r)[k], src[n + k]);
	}
}

Test(reasm, user_state_zeroed_and_copied)
{
	static struct reasm alt;

	r->user[0] = 42;
	reasm_copy_last_wins(&alt, r);
	cr_assert_eq(alt.user[0], 42);
	reasm_reset(r);
	cr_assert_eq(r->user[0], 0);
}

Test(reasm, long_tcp_stream_through_a_moving_window)
{
	static uint8_t big[200000];
	uint32_t isn = 0xffff0000u; /* wraps during the stream */
	size_t sent = 0, got = 0, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + (i >> 9));
	while (sent < sizeof(big)) {
		size_t n = sizeof(big) - sent < 1448 ? sizeof(big) - sent : 1448;

		/* each segment twice, the second time a little early */
		if (sent >= 1448)
			reasm_add_tcp(
			    r, isn, isn + 1 + (uint32_t)(sent - 1448), big + sent - 1448, 1448 + n);
		reasm_add_tcp(r, isn, isn + 1 + (uint32_t)sent, big + sent, n);
		sent += n;
		cr_assert_eq(memcmp(reasm_data(r), big + got, reasm_contig(r)), 0);
		got += reasm_contig(r);
		reasm_consume(r, reasm_contig(r));
	}
	cr_assert_eq(got, sizeof(big));
	cr_assert_eq(r->flags, 0);
}

/* Urgent bytes: taken out of the stream wherever they come, before or after their bytes. */
Test(reasm, oob_byte_taken_out_after_it_came)
{
	const uint32_t isn = 1000;
	const char *s = "www.blXocked.example";

	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1, (const uint8_t *)s, 20), REASM_NEW);
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 6), 1);
	cr_assert_eq(reasm_contig(r), 19);
	cr_assert_eq(memcmp(reasm_data(r), "www.blocked.example", 19), 0);
	cr_assert(r->flags & REASM_F_OOB);
	/* Again: nothing more taken. A retransmission does not bring it back. */
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 6), 0);
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1, (const uint8_t *)s, 20), 0);
	cr_assert_eq(reasm_contig(r), 19);
	cr_assert_eq(reasm_next_seq(r, isn), isn + 1 + 20);
	cr_assert_eq(memcmp(reasm_data(r), "www.blocked.example", 19), 0);
}

Test(reasm, oob_byte_before_and_out_of_order)
{
	const uint32_t isn = 0xfffffff0u; /* across the wrap */
	const char *s = "www.blXocked.exYample";

	/* The pointer first, then the tail, then the head. */
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 6), 1);
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 15), 1);
	(void)reasm_add_tcp(r, isn, isn + 1 + 10, (const uint8_t *)s + 10, 11);
	cr_assert_eq(reasm_contig(r), 0);
	(void)reasm_add_tcp(r, isn, isn + 1, (const uint8_t *)s, 10);
	cr_assert_eq(reasm_contig(r), 19);
	cr_assert_eq(memcmp(reasm_data(r), "www.blocked.example", 19), 0);
	cr_assert_eq(reasm_next_seq(r, isn), isn + 1 + 21);
}

Test(reasm, oob_kept_through_consume_and_copy)
{
	const uint32_t isn = 5;
	const char *s = "GET / HTTP/1.1\r\n\r\nGET /Z HTTP/1.1\r\n\r\n";
	size_t n = strlen(s);

	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 2), 1);  /* the first T */
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 23), 1); /* Z */
	(void)reasm_add_tcp(r, isn, isn + 1, (const uint8_t *)s, 10);
	cr_assert_eq(reasm_contig(r), 9);
	reasm_consume(r, 8); /* "GE / HTT" */
	cr_assert_eq(r->noob, 1);
	(void)reasm_add_tcp(r, isn, isn + 1 + 10, (const uint8_t *)s + 10, n - 10);
	cr_assert_eq(reasm_contig(r), n - 2 - 8);
	cr_assert_eq(memcmp(reasm_data(r), "P/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", n - 10), 0);

	struct reasm *c = malloc(sizeof(*c));
	reasm_reset(c);
	reasm_copy_last_wins(c, r);
	/* Wire 21 and 22: " /" in the stream, window positions 12 and 13. */
	cr_assert_eq(reasm_add_tcp(c, isn, isn + 1 + 21, (const uint8_t *)" X", 2), REASM_CONFLICT);
	cr_assert_eq(reasm_data(c)[13], 'X');
	cr_assert_eq(reasm_data(r)[13], '/');
	/* Across the out-of-band Z (wire 23): skipped, the bytes after it in place. */
	cr_assert_eq(
	    reasm_add_tcp(c, isn, isn + 1 + 22, (const uint8_t *)"/ZQ", 3), REASM_CONFLICT);
	cr_assert_eq(memcmp(reasm_data(c) + 13, "/Q", 2), 0);
	cr_assert_eq(reasm_oob_tcp(c, isn, isn + 1 + 1), 0); /* consumed: ignored */
	free(c);
}

Test(reasm, oob_limit)
{
	for (uint32_t i = 0; i < REASM_OOB_MAX; i++)
		cr_assert_eq(reasm_oob_tcp(r, 0, 1 + i * 3), 1);
	cr_assert_eq(reasm_oob_tcp(r, 0, 100), -1);
	cr_assert(r->flags & REASM_F_OOB_FULL);
}

/* A grown buffer keeps what it held, takes REASM_LONG bytes, and gives its memory back. */
Test(reasm, grow_keeps_window_and_reads_on)
{
	static uint8_t mem[REASM_LONG_MEM];
	static uint8_t big[REASM_LONG + 10];
	struct reasm *alt = malloc(sizeof(*alt));

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	cr_assert_eq(reasm_add(r, 100, big + 100, REASM_MAX), REASM_NEW | REASM_TRUNCATED);
	cr_assert_eq(reasm_add(r, 0, big, 50), REASM_NEW);
	reasm_grow(r, mem);
	cr_assert_eq(reasm_size(r), REASM_LONG);
	cr_assert(!(r->flags & REASM_F_TRUNCATED));
	/* the cut piece again, then everything up to the new end */
	cr_assert_eq(reasm_add(r, 100, big + 100, REASM_MAX), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 50);
	cr_assert_eq(reasm_add(r, 0, big, REASM_LONG + 10), REASM_NEW | REASM_TRUNCATED);
	cr_assert_eq(reasm_contig(r), REASM_LONG);
	cr_assert_eq(memcmp(reasm_data(r), big, REASM_LONG), 0);

	/* a last-copy twin of a grown stream keeps its first REASM_MAX bytes */
	reasm_reset(alt);
	reasm_copy_last_wins(alt, r);
	cr_assert_eq(reasm_contig(alt), REASM_MAX);
	cr_assert(alt->flags & REASM_F_TRUNCATED);
	cr_assert_eq(memcmp(reasm_data(alt), big, REASM_MAX), 0);

	/* consuming moves the grown window as it moves a small one */
	reasm_consume(r, 1000);
	cr_assert_eq(reasm_contig(r), REASM_LONG - 1000);
	cr_assert_eq(memcmp(reasm_data(r), big + 1000, REASM_LONG - 1000), 0);

	cr_assert_eq(reasm_take_long(r), mem);
	cr_assert_eq(reasm_size(r), REASM_MAX);
	cr_assert_eq(reasm_contig(r), 0);
	cr_assert_null(reasm_take_long(r));
	free(alt);
}

/*
 * Bytes appended in order mark nothing in the bitmap: they are stored
 * because they lie below contig. Every reader of the bitmap must take them
 * as stored: a retransmission over them, one that differs, a piece that
 * reaches past them, a byte taken out among them, a copy of the buffer.
 */
Test(reasm, in_order_bytes_read_as_stored)
{
	const uint32_t isn = 7000;
	uint8_t other[40];

	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1, src, 30), REASM_NEW);
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 31, src + 30, 10), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 40);
	/* The same bytes again: nothing new, no conflict. */
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1, src, 40), 0);
	/* Different bytes over them: a conflict, the first copy kept. */
	memcpy(other, src, sizeof(other));
	other[12] ^= 0xff;
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1 + 5, other + 5, 20), REASM_CONFLICT);
	cr_assert_eq(memcmp(reasm_data(r), src, 40), 0);
	/* A piece over their end and past it: only its new bytes stored. */
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1 + 35, src + 35, 15), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 50);
	/* A piece past a gap, then the gap filled: contig runs over all. */
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1 + 60, src + 60, 10), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 50);
	cr_assert_eq(reasm_add_tcp(r, isn, isn + 1 + 45, src + 45, 20), REASM_NEW);
	cr_assert_eq(reasm_contig(r), 70);
	cr_assert_eq(memcmp(reasm_data(r), src, 70), 0);

	/* The copy that keeps the last copy of each byte sees them too, and overwrites one. */
	struct reasm *twin = malloc(sizeof(*twin));
	reasm_reset(twin);
	reasm_copy_last_wins(twin, r);
	cr_assert_eq(reasm_contig(twin), 70);
	cr_assert_eq(reasm_add_tcp(twin, isn, isn + 1 + 5, other + 5, 20), REASM_CONFLICT);
	cr_assert_eq(reasm_data(twin)[12], other[12]);
	cr_assert_eq(memcmp(reasm_data(twin) + 13, src + 13, 57), 0);
	free(twin);

	/* A byte taken out among them: the rest move down and stay stored. */
	cr_assert_eq(reasm_oob_tcp(r, isn, isn + 1 + 3), 1);
	cr_assert_eq(reasm_contig(r), 69);
	cr_assert_eq(memcmp(reasm_data(r), src, 3), 0);
	cr_assert_eq(memcmp(reasm_data(r) + 3, src + 4, 66), 0);
}

/* A pool's buffer handed out again is empty, whether its bytes came in order or not. */
Test(reasm, pool_buffer_reused_empty)
{
	struct reasm_pool *pool = reasm_pool_create(1);
	struct reasm *a;

	cr_assert_not_null(pool);
	for (int round = 0; round < 4; round++) {
		a = reasm_get(pool);
		cr_assert_not_null(a);
		cr_assert_eq(reasm_contig(a), 0);
		cr_assert_eq(a->high, 0);
		/* Nothing of the last round's bytes counts as stored: a piece past 0 leaves a gap. */
		cr_assert_eq(reasm_add(a, 20, src + 20, 10), REASM_NEW);
		cr_assert_eq(reasm_contig(a), 0);
		cr_assert_eq(reasm_add(a, 0, src, 20), REASM_NEW);
		cr_assert_eq(reasm_contig(a), 30);
		if (round % 2)
			cr_assert_eq(reasm_add(a, 30, src + 30, 500), REASM_NEW);
		else
			cr_assert_eq(reasm_add(a, 40, src + 40, 500), REASM_NEW); /* a gap at 30 */
		reasm_put(pool, a);
	}
	reasm_pool_destroy(pool);
}
