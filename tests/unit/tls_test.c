/* Unit tests for tls.c: ClientHellos whole, cut, fragmented, reordered, odd and hostile. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hello_build.h"
#include "wire/reasm.h"
#include "wire/tls.h"
#include "match/match_int.h"

static uint8_t hs[32768], rec[40000];

/* Parses a heap copy of exactly len bytes, so ASan catches any read past the end. */
static int
parse_exact(const uint8_t *p, size_t len, int flags, struct tls_hello *h)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	cr_assert_not_null(copy);
	memcpy(copy, p, len);
	r = tls_parse_client_hello(copy, len, flags, h);
	free(copy);
	return r;
}

static size_t
build_records(const struct hello_opts *o, size_t frag)
{
	size_t n = hello_build(hs, sizeof(hs), o);

	cr_assert_gt(n, 0);
	return hello_records(rec, sizeof(rec), hs, n, frag);
}

Test(tls, openssl_client_hello_sni_lowercased)
{
	uint8_t buf[4096];
	size_t n = hello_read_file("../data/tls/openssl-sni.bin", buf, sizeof(buf));
	struct tls_hello h;

	cr_assert_gt(n, 100, "tests/data/tls/openssl-sni.bin missing");
	cr_assert_eq(parse_exact(buf, n, 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	cr_assert_eq(h.sni_len, strlen("www.blocked.example"));
	cr_assert_eq(h.ech, 0);
	cr_assert_eq(h.nrecords, 1);
}

Test(tls, openssl_client_hello_without_sni)
{
	uint8_t buf[4096];
	size_t n = hello_read_file("../data/tls/openssl-nosni.bin", buf, sizeof(buf));
	struct tls_hello h;

	cr_assert_gt(n, 100, "tests/data/tls/openssl-nosni.bin missing");
	cr_assert_eq(parse_exact(buf, n, 0, &h), TLS_NO_SNI);
	cr_assert_eq(h.has_sni, 0);
}

Test(tls, every_prefix_needs_more_with_exact_need)
{
	uint8_t buf[4096];
	size_t n = hello_read_file("../data/tls/openssl-sni.bin", buf, sizeof(buf)), i;
	struct tls_hello h;
	size_t full = 5 + ((size_t)buf[3] << 8 | buf[4]);

	cr_assert_eq(n, full);
	for (i = 0; i < n; i++) {
		int r = parse_exact(buf, i, 0, &h);

		cr_assert_eq(r, TLS_NEED_MORE, "prefix %zu: %s", i, tls_result_name(r));
		cr_assert_gt(h.need, i, "prefix %zu: need %zu", i, h.need);
		if (i >= 9)
			cr_assert_eq(
			    h.need, full, "prefix %zu: need %zu, want %zu", i, h.need, full);
	}
}

/* Every split point, fed through reasm in order and in reverse order. */
Test(tls, split_at_every_offset_through_reasm)
{
	struct hello_opts o = {.sni = "split.blocked.example", .grease = 1, .pq = 1};
	size_t n = build_records(&o, 16384), k;
	struct reasm *r = malloc(sizeof(*r));
	struct tls_hello h;

	cr_assert_gt(n, 1300, "PQ key share should push the hello past one packet");
	for (k = 1; k < n; k++) {
		/* in order */
		reasm_reset(r);
		cr_assert_eq(reasm_add(r, 0, rec, k), REASM_NEW);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_NEED_MORE);
		cr_assert_eq(reasm_add(r, k, rec + k, n - k), REASM_NEW);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
		cr_assert_str_eq(h.sni, "split.blocked.example");
		/* out of order: the tail first leaves nothing contiguous */
		reasm_reset(r);
		reasm_add(r, k, rec + k, n - k);
		cr_assert_eq(reasm_contig(r), 0);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_NEED_MORE);
		reasm_add(r, 0, rec, k);
		cr_assert_eq(reasm_contig(r), n);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
		cr_assert_str_eq(h.sni, "split.blocked.example");
	}
	free(r);
}

/*
 * Copies that disagree: the start of the hello up to the end of its name,
 * then the same bytes naming another service of the same length, then the
 * rest, in both orders. The first-copy buffer and its last-copy twin each
 * read one of the two names, so a blocked name in either is seen.
 */
Test(tls, disagreeing_copies_read_in_both_versions)
{
	struct hello_opts o = {.sni = "blocked.example", .grease = 1};
	size_t n = build_records(&o, 16384);
	uint8_t other[sizeof(rec)];
	struct reasm *r = malloc(sizeof(*r)), *alt = malloc(sizeof(*alt));
	struct tls_hello h;
	const char *names[2] = {"blocked.example", "allowed.example"};

	memcpy(other, rec, n);
	uint8_t *at = memmem(other, n, "blocked.example", 15);
	cr_assert_not_null(at);
	memcpy(at, "allowed.example", 15);
	size_t end = (size_t)(at - other) + 15;
	for (int first = 0; first < 2; first++) {
		const uint8_t *a = first ? other : rec, *b = first ? rec : other;
		reasm_reset(r);
		reasm_reset(alt);
		cr_assert_eq(reasm_add(r, 0, a, end), REASM_NEW);
		cr_assert_eq(reasm_add(r, 0, b, end), REASM_CONFLICT);
		reasm_copy_last_wins(alt, r);
		reasm_add(alt, 0, b, end);
		cr_assert_eq(reasm_add(r, end, rec + end, n - end), REASM_NEW);
		cr_assert_eq(reasm_add(alt, end, rec + end, n - end), REASM_NEW);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
		cr_assert_str_eq(h.sni, names[first], "first copy");
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(alt), reasm_contig(alt), TLS_PARTIAL_OK, &h),
		    TLS_SNI);
		cr_assert_str_eq(h.sni, names[!first], "last copy");
	}
	free(r);
	free(alt);
}

Test(tls, three_segments_any_order_with_retransmits)
{
	struct hello_opts o = {.sni = "seg.blocked.example", .pq = 1};
	size_t n = build_records(&o, 16384);
	struct reasm *r = malloc(sizeof(*r));
	size_t a = 500, b = 1000;
	size_t cut[3][2] = {{0, a}, {a, b}, {b, n}};
	int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	struct tls_hello h;
	int p, i;

	for (p = 0; p < 6; p++) {
		reasm_reset(r);
		for (i = 0; i < 3; i++) {
			int s = perms[p][i];

			reasm_add(r, cut[s][0], rec + cut[s][0], cut[s][1] - cut[s][0]);
			/* retransmitted, same bytes: no conflict */
			reasm_add(r, cut[s][0], rec + cut[s][0], cut[s][1] - cut[s][0]);
		}
		cr_assert_eq(r->flags & REASM_F_CONFLICT, 0);
		cr_assert_eq(
		    tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
		cr_assert_str_eq(h.sni, "seg.blocked.example");
	}
	free(r);
}

Test(tls, fragmented_over_records_of_every_size)
{
	struct hello_opts o = {.sni = "frag.blocked.example", .grease = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o), frag;
	struct tls_hello h;

	for (frag = 1; frag <= hl; frag++) {
		size_t n = hello_records(rec, sizeof(rec), hs, hl, frag);
		int r = parse_exact(rec, n, 0, &h);

		cr_assert_eq(
		    r, TLS_SNI, "frag %zu: %s %s", frag, tls_result_name(r), h.why ? h.why : "");
		cr_assert_str_eq(h.sni, "frag.blocked.example");
		cr_assert_eq(h.nrecords, (hl + frag - 1) / frag);
	}
}

Test(tls, two_records_every_prefix_needs_more)
{
	struct hello_opts o = {.sni = "two.blocked.example", .pq = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(rec, sizeof(rec), hs, hl, hl / 2 + 1), i;
	struct tls_hello h;

	for (i = 0; i < n; i++) {
		cr_assert_eq(parse_exact(rec, i, 0, &h), TLS_NEED_MORE, "prefix %zu", i);
		cr_assert_gt(h.need, i);
		cr_assert_leq(h.need, n, "prefix %zu: need %zu of %zu", i, h.need, n);
	}
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_SNI);
	cr_assert_eq(h.nrecords, 2);
}

Test(tls, random_extension_order_and_grease)
{
	unsigned seed;
	struct tls_hello h;

	for (seed = 1; seed <= 300; seed++) {
		struct hello_opts o = {.sni = "Shuffled.Blocked.Example.",
		    .grease = 1,
		    .pq = seed & 1,
		    .ech = (seed % 3) == 0,
		    .shuffle = seed};
		size_t n = build_records(&o, 16384);
		int r = parse_exact(rec, n, 0, &h);

		cr_assert_eq(r, o.ech ? TLS_ECH : TLS_SNI, "seed %u: %s", seed, tls_result_name(r));
		cr_assert_str_eq(h.sni, "shuffled.blocked.example");
		cr_assert_eq(h.ech, o.ech);
	}
}

Test(tls, ech_reports_outer_name)
{
	struct hello_opts o = {.sni = "public.ech.example", .ech = 1, .grease = 1};
	struct tls_hello h;
	size_t n = build_records(&o, 16384);

	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_ECH);
	cr_assert_eq(h.has_sni, 1);
	cr_assert_str_eq(h.sni, "public.ech.example");

	o.sni = NULL;
	n = build_records(&o, 16384);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_ECH);
	cr_assert_eq(h.has_sni, 0);
}

Test(tls, no_sni_built)
{
	struct hello_opts o = {.grease = 1, .pq = 1};
	struct tls_hello h;
	size_t n = build_records(&o, 16384);

	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_NO_SNI);
}

static int
parse_name(const char *name, size_t len, struct tls_hello *h)
{
	struct hello_opts o = {.sni = name, .sni_len = len};
	size_t n = build_records(&o, 16384);

	return parse_exact(rec, n, 0, h);
}

Test(tls, sni_validation)
{
	struct tls_hello h;
	char longname[300], label64[80];

	cr_assert_eq(parse_name("a.example", 0, &h), TLS_SNI);
	cr_assert_eq(parse_name("xn--bcher-kva.example", 0, &h), TLS_SNI);
	cr_assert_eq(parse_name("MiXeD-Case.Example", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "mixed-case.example");
	cr_assert_eq(parse_name("trailing.example.", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "trailing.example");

	cr_assert_eq(parse_name("evil.example\0.good.example", 26, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "NUL in server name");
	/* OpenSSL takes these, and nginx reads a name in them: blockd too */
	cr_assert_eq(parse_name("under_score.example", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "under_score.example");
	cr_assert_eq(parse_name("_x.Blocked.Example", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "_x.blocked.example");
	cr_assert_eq(parse_name("www.blocked.example:443", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	cr_assert_eq(parse_name("blocked.example.:1", 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "blocked.example");
	/* nginx reads no name in these: no_sni decides */
	const char *none[] = {"sp ace.example", "a..example", ".", "example..", "a/b.example",
	    "tab\t.example", "del\x7f.example", ":443"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		cr_assert_eq(parse_name(none[i], 0, &h), TLS_NO_SNI, "%s", none[i]);
		cr_assert_eq(h.has_sni, 0);
	}
	/* names blockd cannot match whole: the labels at the right it can still block */
	cr_assert_eq(parse_name(".example", 0, &h), TLS_NO_SNI);
	cr_assert(h.odd_name);
	cr_assert_str_eq(h.sni, "example");
	cr_assert_eq(parse_name("caf\xc3\xa9.blocked.example", 0, &h), TLS_NO_SNI);
	cr_assert(h.odd_name);
	cr_assert_str_eq(h.sni, "blocked.example");
	cr_assert_eq(parse_name("a*b.www.blocked.example", 0, &h), TLS_NO_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	/* an empty host_name: OpenSSL keeps "", nginx reads no name */
	cr_assert_eq(parse_name("", 0, &h), TLS_NO_SNI);
	cr_assert_eq(h.odd_name, 0);

	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".example");
	cr_assert_eq(parse_name(label64, 0, &h), TLS_NO_SNI);
	cr_assert(h.odd_name);
	cr_assert_str_eq(h.sni, "example");
	cr_assert_eq(parse_name(label64 + 1, 0, &h), TLS_SNI);

	/* 253 bytes is the limit */
	memset(longname, 0, sizeof(longname));
	for (size_t i = 0; i < 253; i++)
		longname[i] = (i % 50 == 49) ? '.' : 'b';
	cr_assert_eq(parse_name(longname, 253, &h), TLS_SNI);
	cr_assert_eq(h.sni_len, 253);
	longname[253] = 'c';
	cr_assert_eq(parse_name(longname, 254, &h), TLS_NO_SNI);
	cr_assert(h.odd_name);
	/* OpenSSL's limit is 255 bytes */
	memset(longname, 'b', 256);
	longname[100] = longname[200] = '.';
	cr_assert_eq(parse_name(longname, 255, &h), TLS_NO_SNI);
	cr_assert_eq(parse_name(longname, 256, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "server name longer than 255 bytes");
}

Test(tls, duplicate_server_names_are_malformed)
{
	struct hello_opts o = {.sni = "one.example", .dup_sni = 1};
	struct tls_hello h;
	size_t n = build_records(&o, 16384);

	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "extension type repeated");
	o.dup_sni = 0;
	o.two_names = 1;
	n = build_records(&o, 16384);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "more than one host_name in server_name");
}

Test(tls, not_tls)
{
	static const uint8_t get[] = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
	static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x00, 0x02};
	static const uint8_t alert[] = {0x99, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	static const uint8_t serverhello[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};
	static const uint8_t v4[] = {0x16, 0x04};
	struct tls_hello h;

	cr_assert_eq(parse_exact(get, sizeof(get) - 1, 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(sslv2, sizeof(sslv2), 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(sslv2, 3, 0, &h), TLS_NEED_MORE);
	cr_assert_eq(parse_exact(alert, sizeof(alert), 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(serverhello, sizeof(serverhello), 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(serverhello, 6, 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(v4, sizeof(v4), 0, &h), TLS_NOT_TLS);
	cr_assert_eq(parse_exact(get, 0, 0, &h), TLS_NEED_MORE);
	cr_assert_eq(parse_exact(get, 0, 0, &h), TLS_NEED_MORE);
}

Test(tls, malformed_records_and_lengths)
{
	struct hello_opts o = {.sni = "m.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), n;
	struct tls_hello h;

	/* a record that is not TLS between two fragments */
	n = hello_records(rec, sizeof(rec), hs, hl, 40);
	rec[45] = 0x42;
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);

	/* extensions length one byte too long, and one too short */
	n = hello_records(rec, sizeof(rec), hs, hl, 16384);
	{
		size_t eo = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 6 + 2;
		unsigned el = (unsigned)rec[eo] << 8 | rec[eo + 1];

		rec[eo] = (uint8_t)((el + 1) >> 8);
		rec[eo + 1] = (uint8_t)(el + 1);
		cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
		rec[eo] = (uint8_t)((el - 1) >> 8);
		rec[eo + 1] = (uint8_t)(el - 1);
		cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	}

	/* session id longer than 32 */
	n = hello_records(rec, sizeof(rec), hs, hl, 16384);
	rec[5 + 4 + 2 + 32] = 33;
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);

	/* record longer than 2^14 */
	memcpy(rec, "\x16\x03\x01\x40\x01\x01", 6);
	cr_assert_eq(parse_exact(rec, 6, 0, &h), TLS_MALFORMED);
}

/* Inserts a record of type t carrying len bytes of body at offset at of rec[0..n). */
static size_t
insert_record(size_t n, size_t at, uint8_t t, const char *body, size_t len)
{
	memmove(rec + at + 5 + len, rec + at, n - at);
	rec[at] = t;
	rec[at + 1] = 3;
	rec[at + 2] = 3;
	rec[at + 3] = (uint8_t)(len >> 8);
	rec[at + 4] = (uint8_t)len;
	memcpy(rec + at + 5, body, len);
	return n + 5 + len;
}

/*
 * OpenSSL 3.0's record layer skips empty handshake records and reads past
 * warning alerts, also between the fragments of a hello: so does blockd,
 * and the name is read at every cut of the stream.
 */
Test(tls, empty_records_and_alerts_skipped_as_openssl_does)
{
	struct hello_opts o = {.sni = "www.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), n, i;
	struct tls_hello h;

	/* an empty handshake record and a warning alert first, then the hello whole */
	n = hello_records(rec, sizeof(rec), hs, hl, 16384);
	n = insert_record(n, 0, 0x15, "\x01\x5a", 2);
	n = insert_record(n, 0, 0x16, "", 0);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	cr_assert_eq(h.skipped, 2);
	cr_assert_eq(h.end, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(parse_exact(rec, i, 0, &h), TLS_NEED_MORE, "prefix %zu", i);

	/* the hello in 50-byte records, an empty one and an alert after each */
	n = hello_records(rec, sizeof(rec), hs, hl, 50);
	for (i = (n - 1) / 55; i >= 1; i--) {
		n = insert_record(n, i * 55, 0x16, "", 0);
		n = insert_record(n, i * 55, 0x15, "\x01\x00", 2);
		n = insert_record(n, i * 55, 0x14, "\x01", 1);
	}
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	cr_assert_gt(h.nrecords, 3);
	for (i = 0; i < n; i++) {
		int r = parse_exact(rec, i, 0, &h);

		cr_assert_eq(r, TLS_NEED_MORE, "prefix %zu: %s", i, tls_result_name(r));
		cr_assert_gt(h.need, i, "prefix %zu", i);
	}
}

Test(tls, sslv2_hello_names_nothing)
{
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
	struct tls_hello h;

	cr_assert_eq(parse_exact(v2, sizeof(v2), 0, &h), TLS_NO_SNI);
	cr_assert(h.sslv2);
	cr_assert_eq(parse_exact(v2, 4, 0, &h), TLS_NEED_MORE);
}

/*
 * After a HelloRetryRequest the client sends a second ClientHello, which
 * may name another server: tls_parse_retry() finds it after the first,
 * past a change_cipher_spec, or says none will come.
 */
Test(tls, second_hello_after_retry_request)
{
	struct hello_opts o1 = {.sni = "allowed.example"}, o2 = {.sni = "www.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o1), n, n1, i;
	struct tls_hello h, h2;

	n1 = hello_records(rec, sizeof(rec), hs, hl, 16384);
	cr_assert_eq(parse_exact(rec, n1, 0, &h), TLS_SNI);
	cr_assert(h.tls13);
	cr_assert_eq(h.end, n1);
	cr_assert_eq(tls_parse_retry(rec, n1, &h, 0, &h2), TLS_NEED_MORE);
	n = insert_record(n1, n1, 0x14, "\x01", 1);
	cr_assert_eq(tls_parse_retry(rec, n, &h, 0, &h2), TLS_NEED_MORE);
	hl = hello_build(hs, sizeof(hs), &o2);
	n += hello_records(rec + n, sizeof(rec) - n, hs, hl, 100);
	cr_assert_eq(tls_parse_retry(rec, n, &h, 0, &h2), TLS_SNI);
	cr_assert_str_eq(h2.sni, "www.blocked.example");
	cr_assert_eq(h2.end, n);
	for (i = n1; i < n; i++) {
		int r = tls_parse_retry(rec, i, &h, 0, &h2);

		cr_assert_eq(r, TLS_NEED_MORE, "prefix %zu: %s", i, tls_result_name(r));
		cr_assert_gt(h2.need, i);
	}
	/* The same read from a buffer that starts right after the first hello. */
	struct tls_hello from = h;
	from.end = 0;
	cr_assert_eq(tls_parse_retry(rec + n1, n - n1, &from, 0, &h2), TLS_SNI);
	cr_assert_str_eq(h2.sni, "www.blocked.example");
	cr_assert_eq(h2.end, n - n1);
	cr_assert_eq(tls_parse_retry(rec + n1, 0, &from, 0, &h2), TLS_NEED_MORE);
	/* A first hello not read to its end gives nothing to read from. */
	from.truncated = 1;
	cr_assert_eq(tls_parse_retry(rec + n1, n - n1, &from, 0, &h2), TLS_HELLO_DONE);

	/* TLS 1.3 without a retry: change_cipher_spec, then encrypted records */
	n = insert_record(n1, n1, 0x14, "\x01", 1);
	n = insert_record(n, n, 0x17, "\x11\x22\x33", 3);
	cr_assert_eq(tls_parse_retry(rec, n, &h, 0, &h2), TLS_HELLO_DONE);
	/* ... unless early data was offered: then they may be early data */
	h.early_data = 1;
	cr_assert_eq(tls_parse_retry(rec, n, &h, 0, &h2), TLS_NEED_MORE);
	h.early_data = 0;
	/* TLS 1.2: the next handshake message is not a ClientHello */
	n = insert_record(n1, n1, 0x16, "\x10\x00\x00\x01\x00", 5);
	cr_assert_eq(tls_parse_retry(rec, n, &h, 0, &h2), TLS_HELLO_DONE);
	/* a first hello without TLS 1.3 has no retry */
	h.tls13 = 0;
	cr_assert_eq(tls_parse_retry(rec, n1, &h, 0, &h2), TLS_HELLO_DONE);
}

Test(tls, partial_ok_reports_name_from_oversized_hello)
{
	/* SNI first, then enough padding that the hello outgrows the 16 KiB buffer. */
	struct hello_opts o = {.sni = "padded.blocked.example", .pad = 19000};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(rec, sizeof(rec), hs, hl, 16384);
	struct tls_hello h;

	cr_assert_gt(n, REASM_MAX);
	cr_assert_eq(parse_exact(rec, REASM_MAX, 0, &h), TLS_NEED_MORE);
	/* padding is appended last, so SNI comes before it unless shuffled */
	cr_assert_eq(parse_exact(rec, REASM_MAX, TLS_PARTIAL_OK, &h), TLS_SNI);
	cr_assert_eq(h.truncated, 1);
	cr_assert_str_eq(h.sni, "padded.blocked.example");
	/* given whole (a grown stream), all of it is read */
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_SNI);
	cr_assert_eq(h.truncated, 0);
}

Test(tls, mutated_hellos_never_overread)
{
	struct hello_opts o = {.sni = "fuzz.example", .grease = 1, .ech = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t n = hello_records(rec, sizeof(rec), hs, hl, 100);
	uint8_t m[2048];
	unsigned seed = 1, i, j;
	struct tls_hello h;

	cr_assert_lt(n, sizeof(m));
	for (i = 0; i < 3000; i++) {
		memcpy(m, rec, n);
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % n] = (uint8_t)(seed >> 20);
		}
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % (n + 1);
		int r = parse_exact(m, len, (int)(i & 1), &h);

		cr_assert(r >= TLS_NEED_MORE && r <= TLS_MALFORMED);
		if (r == TLS_SNI || r == TLS_NO_SNI || r == TLS_ECH)
			cr_assert_leq(h.end, len);
		if (r == TLS_SNI || (r == TLS_ECH && h.has_sni))
			cr_assert_eq(strlen(h.sni), h.sni_len);
	}
}

Test(tls, handshake_without_records)
{
	struct hello_opts o = {.sni = "quic.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), i;
	struct tls_hello h;

	cr_assert_eq(tls_parse_handshake(hs, hl, 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "quic.blocked.example");
	for (i = 0; i < hl; i++) {
		cr_assert_eq(tls_parse_handshake(hs, i, 0, &h), TLS_NEED_MORE);
		cr_assert_eq(h.need, i < 4 ? 4 : hl);
	}
}

/*
 * A retransmission that rewrites the name: each byte's first copy is kept,
 * so the name read mixes both ("fi" + "her"), and the conflict is flagged
 * for the worker to treat the flow as evasive rather than trust the name.
 */
Test(tls, conflicting_retransmission_flagged)
{
	struct hello_opts o = {.sni = "first.blocked.example", .pq = 1};
	size_t n = build_records(&o, 16384);
	struct reasm *r = malloc(sizeof(*r));
	uint8_t evil[4096];
	uint8_t *at;
	struct tls_hello h;
	size_t split;

	memcpy(evil, rec, n);
	at = memmem(evil, n, "first", 5);
	cr_assert_not_null(at);
	memcpy(at, "other", 5);
	split = (size_t)(at - evil) + 2; /* the name straddles the two segments */

	/* the original's head, then a differing copy of everything */
	reasm_reset(r);
	reasm_add(r, 0, rec, split);
	cr_assert_eq(reasm_add(r, 0, evil, n), REASM_NEW | REASM_CONFLICT);
	cr_assert_eq(tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "fiher.blocked.example");
	cr_assert(r->flags & REASM_F_CONFLICT);

	/* the differing tail first, then the original whole */
	reasm_reset(r);
	reasm_add(r, split, evil + split, n - split);
	cr_assert_eq(reasm_add(r, 0, rec, n), REASM_NEW | REASM_CONFLICT);
	cr_assert_eq(tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "fiher.blocked.example");
	cr_assert_eq(r->conflicts, 1);

	/* the same bytes again: no conflict */
	reasm_reset(r);
	reasm_add(r, split, rec + split, n - split);
	cr_assert_eq(reasm_add(r, 0, rec, n), REASM_NEW);
	cr_assert_eq(tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "first.blocked.example");
	cr_assert_eq(r->flags, 0);
	free(r);
}

/*
 * A name read whole comes in the matcher's form: lowercase, split where
 * match_name_split() splits it, so the matcher need not check it again.
 */
Test(tls, name_labels_as_the_matcher_splits)
{
	static const char alpha[] = "aZ0-_..:x";
	uint64_t x = 0x2545f4914f6cdd1dull;
	char name[300], buf[NAME_BUF];
	uint8_t lab[RULES_NAME_MAX + 2];
	struct tls_hello h;
	int whole = 0;

	for (int k = 0; k < 20000; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t len = 1 + x % (k % 10 == 0 ? 256 : 40);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Mostly letters; long runs now and then, for labels near 63 bytes. */
			name[i] = k % 7 == 0 ? 'q' : alpha[x % (x % 5 ? 4 : sizeof(alpha) - 1)];
		}
		if (k % 3 == 0)
			name[len - 1] = '.';
		int r = parse_name(name, len, &h);
		if (r != TLS_SNI || h.nlab == 0)
			continue;
		int nlab, n = match_name_split(h.sni, h.sni_len, buf, lab, &nlab);
		cr_assert_eq(n, (int)h.sni_len, "%.*s", (int)len, name);
		cr_assert_eq(memcmp(buf, h.sni, h.sni_len), 0);
		cr_assert_eq(nlab, h.nlab, "%.*s: %d labels, %d", (int)len, name, nlab, h.nlab);
		cr_assert_eq(memcmp(lab, h.lab, (size_t)nlab), 0, "%.*s", (int)len, name);
		whole++;
	}
	cr_assert_gt(whole, 1000);
	/* 127 labels of one byte and a trailing dot: the most a name holds. */
	for (int i = 0; i < 254; i++)
		name[i] = i % 2 ? '.' : 'a';
	cr_assert_eq(parse_name(name, 254, &h), TLS_SNI);
	cr_assert_eq(h.sni_len, 253);
	cr_assert_eq(h.nlab, 127);
	cr_assert_eq(h.lab[126], 252);
}

/* A ClientHello record around the extensions ext[0..n) (each with its 4-byte header). */
static size_t
hello_with_extensions(const uint8_t *ext, size_t n)
{
	size_t o = 0, body;

	hs[o++] = 1;
	o += 3;
	hs[o++] = 3;
	hs[o++] = 3;
	memset(hs + o, 7, 32);
	o += 32;
	hs[o++] = 0;
	hs[o++] = 0;
	hs[o++] = 2;
	hs[o++] = 0x13;
	hs[o++] = 0x01;
	hs[o++] = 1;
	hs[o++] = 0;
	hs[o++] = (uint8_t)(n >> 8);
	hs[o++] = (uint8_t)n;
	memcpy(hs + o, ext, n);
	o += n;
	body = o - 4;
	hs[1] = (uint8_t)(body >> 16);
	hs[2] = (uint8_t)(body >> 8);
	hs[3] = (uint8_t)body;
	return hello_records(rec, sizeof(rec), hs, o, 16384);
}

/* Appends an extension of type t with body b[0..n) at ext + *at. */
static void
put_ext(uint8_t *ext, size_t *at, unsigned t, const void *b, size_t n)
{
	ext[(*at)++] = (uint8_t)(t >> 8);
	ext[(*at)++] = (uint8_t)t;
	ext[(*at)++] = (uint8_t)(n >> 8);
	ext[(*at)++] = (uint8_t)n;
	if (n > 0)
		memcpy(ext + *at, b, n);
	*at += n;
}

/* A server_name extension body naming name[0..len). */
static size_t
sni_body(uint8_t *b, const char *name, size_t len)
{
	b[0] = (uint8_t)((len + 3) >> 8);
	b[1] = (uint8_t)(len + 3);
	b[2] = 0;
	b[3] = (uint8_t)(len >> 8);
	b[4] = (uint8_t)len;
	memcpy(b + 5, name, len);
	return len + 5;
}

Test(tls, repeated_types_from_64_up_and_the_count_of_types)
{
	static uint8_t ext[2048];
	struct tls_hello h;
	size_t at = 0, n;
	unsigned t;

	/* Many distinct types from 64 up: a hashed set fills, and no repeat is seen in them. */
	for (t = 0; t < 120; t++)
		put_ext(ext, &at, 0x1000 + t * 0x0101, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_NO_SNI, "%s", h.why ? h.why : "");
	/* ... and the first repeat among them, far back, is. */
	put_ext(ext, &at, 0x1000 + 3 * 0x0101, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "extension type repeated");
	/* 128 distinct types are taken, the 129th is not, below 64 or not. */
	at = 0;
	for (t = 1; t < 60; t++)
		put_ext(ext, &at, t, NULL, 0);
	for (t = 0; t < 69; t++)
		put_ext(ext, &at, 0x2000 + t, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_NO_SNI, "%s", h.why ? h.why : "");
	put_ext(ext, &at, 60, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "more than 128 extensions");
	at -= 4;
	put_ext(ext, &at, 0x3000, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "more than 128 extensions");
	/* A repeat as the 129th is a repeat. */
	at -= 4;
	put_ext(ext, &at, 0x2000, NULL, 0);
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "extension type repeated");
}

Test(tls, facts_after_a_refused_server_name_are_unread)
{
	static const uint8_t v13[] = {2, 0x03, 0x04};
	uint8_t ext[256], b[64];
	struct tls_hello h;
	size_t at = 0, n;

	/* ECH and supported_versions after a name OpenSSL refuses: read no further. */
	put_ext(ext, &at, 0x0000, b, sni_body(b, "a\0b.example", 11));
	put_ext(ext, &at, 0xfe0d, "\0", 1);
	put_ext(ext, &at, 0x002b, v13, sizeof(v13));
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "NUL in server name");
	cr_assert_eq(h.ech, 0);
	cr_assert_eq(h.tls13, 0);
	/* Before it: kept. */
	at = 0;
	put_ext(ext, &at, 0xfe0d, "\0", 1);
	put_ext(ext, &at, 0x002b, v13, sizeof(v13));
	put_ext(ext, &at, 0x0000, b, sni_body(b, "a\0b.example", 11));
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_eq(h.ech, 1);
	cr_assert_eq(h.tls13, 1);
	/* A good name, then a later extension overrunning the block: the name is still noted. */
	at = 0;
	put_ext(ext, &at, 0x0000, b, sni_body(b, "www.example.com", 15));
	put_ext(ext, &at, 0xfe0d, "\0", 1);
	ext[at - 2] = 9;
	n = hello_with_extensions(ext, at);
	cr_assert_eq(parse_exact(rec, n, 0, &h), TLS_MALFORMED);
	cr_assert_str_eq(h.why, "ClientHello field overruns its length");
	cr_assert_eq(h.has_sni, 1);
	cr_assert_str_eq(h.sni, "www.example.com");
	cr_assert_eq(h.ech, 0);
}

Test(tls, names_read_in_steps_of_eight_and_sixteen)
{
	struct tls_hello h;

	/* Each length from 8 to 40, capitals and dots at each place a step may cut. */
	for (size_t len = 8; len <= 40; len++) {
		for (size_t d = 1; d + 1 < len; d++) {
			char name[48], want[48];

			for (size_t i = 0; i < len; i++)
				name[i] = (char)("Ab-9_x"[i % 6]);
			name[d] = '.';
			for (size_t i = 0; i < len; i++)
				want[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32)
									   : name[i];
			want[len] = '\0';
			cr_assert_eq(parse_name(name, len, &h), TLS_SNI, "%zu %zu", len, d);
			cr_assert_str_eq(h.sni, want);
			cr_assert_eq(h.nlab, 2);
			cr_assert_eq(h.lab[1], d + 1);
			/* two dots in a row, or one first: no name */
			name[d - 1] = '.';
			cr_assert_eq(parse_name(name, len, &h), TLS_NO_SNI, "%zu %zu", len, d);
			cr_assert_eq(h.has_sni, 0);
		}
	}
}
