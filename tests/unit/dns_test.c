/* Unit tests for dns.c: queries read as ldns reads them, answers that ldns and RFC 8914 accept. */
#include <criterion/criterion.h>
#include <ldns/ldns.h>
#include <string.h>

#include "wire/dns.h"

/* A query for name/type made by ldns; edns adds an OPT record (with DO when edns == 2). */
static size_t
query(const char *name, ldns_rr_type type, int edns, uint8_t *out, size_t cap)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	cr_assert_eq(
	    ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD), LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x4242);
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_do(p, edns == 2);
		ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
	}
	cr_assert_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	cr_assert(len <= cap);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

Test(dns, parse_plain_query)
{
	uint8_t m[512];
	struct dns_query q;
	size_t n = query("WwW.Blocked.EXAMPLE.", LDNS_RR_TYPE_A, 0, m, sizeof(m));

	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	cr_assert_str_eq(q.name, "www.blocked.example");
	cr_assert_eq(q.namelen, strlen("www.blocked.example"));
	cr_assert_eq(q.qtype, 1);
	cr_assert_eq(q.qclass, 1);
	cr_assert_eq(q.id, 0x4242);
	cr_assert_eq(q.edns, 0);
	/* The question keeps the client's case. */
	cr_assert_eq(memcmp(q.question, "\3WwW\7Blocked\7EXAMPLE\0", 21), 0);
	cr_assert_eq(q.qlen, 21 + 4);
	cr_assert_eq(dns_query_verify(m, n, &q), 0);
}

Test(dns, parse_edns_and_types)
{
	uint8_t m[512];
	struct dns_query q;
	size_t n = query("svc.test", 65, 2, m, sizeof(m));

	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	cr_assert_eq(q.qtype, 65);
	cr_assert_eq(q.edns, 1);
	cr_assert_eq(q.edns_do, 1);
	cr_assert_eq(dns_query_verify(m, n, &q), 0);
	n = query("svc.test", LDNS_RR_TYPE_AAAA, 1, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	cr_assert_eq(q.edns_do, 0);
}

Test(dns, parse_refuses_bad_messages)
{
	uint8_t m[512];
	struct dns_query q;
	size_t n = query("a.example", LDNS_RR_TYPE_A, 1, m, sizeof(m));

	cr_assert_eq(dns_query_parse(m, 11, &q), DNS_MALFORMED);
	uint8_t r[512];
	memcpy(r, m, n);
	r[2] |= 0x80; /* QR: a response */
	cr_assert_eq(dns_query_parse(r, n, &q), DNS_NOT_QUERY);
	memcpy(r, m, n);
	r[2] |= 0x28; /* opcode 5 (UPDATE) */
	cr_assert_eq(dns_query_parse(r, n, &q), DNS_NOT_QUERY);
	memcpy(r, m, n);
	r[5] = 0; /* no question */
	cr_assert_eq(dns_query_parse(r, n, &q), DNS_MALFORMED);
	memcpy(r, m, n);
	r[12] = 0xc0; /* a compression pointer in the question: Unbound refuses it */
	cr_assert_eq(dns_query_parse(r, n, &q), DNS_MALFORMED);
	memcpy(r, m, n);
	r[12] = 64; /* label too long */
	cr_assert_eq(dns_query_parse(r, n, &q), DNS_MALFORMED);
	cr_assert_eq(dns_query_parse(m, 12 + 11 + 3, &q), DNS_MALFORMED); /* question cut */
}

/*
 * What follows the question never hides it: the resolver (Unbound) reads
 * the question and the records the header counts, and ignores the rest.
 */
Test(dns, question_read_as_the_resolver_reads_it)
{
	uint8_t m[512], r[600];
	struct dns_query q;
	size_t n = query("www.blocked.example", LDNS_RR_TYPE_A, 0, m, sizeof(m));
	size_t ne = query("www.blocked.example", LDNS_RR_TYPE_A, 1, r, sizeof(r));
	size_t qend = 12 + 21 + 4;

	/* one extra byte, and more */
	for (size_t extra = 1; extra < 40; extra++) {
		memcpy(r, m, n);
		memset(r + n, extra & 1 ? 0 : 0xff, extra);
		cr_assert_eq(dns_query_parse(r, n + extra, &q), DNS_OK, "%zu extra", extra);
		cr_assert_str_eq(q.name, "www.blocked.example");
		cr_assert(q.trailing);
		cr_assert_eq(dns_query_verify(r, n + extra, &q), 0);
	}
	/* an OPT record the header does not count: not EDNS to Unbound */
	ne = query("www.blocked.example", LDNS_RR_TYPE_A, 1, r, sizeof(r));
	r[11] = 0;
	cr_assert_eq(dns_query_parse(r, ne, &q), DNS_OK);
	cr_assert_eq(q.edns, 0);
	cr_assert(q.trailing);
	cr_assert_eq(dns_query_verify(r, ne, &q), 0);
	/* an OPT record cut short: the question still stands */
	r[11] = 1;
	cr_assert_eq(dns_query_parse(r, ne - 1, &q), DNS_OK);
	cr_assert_eq(q.edns, 0);
	cr_assert_eq(dns_query_verify(r, ne - 1, &q), 0);
	/* counts a resolver may refuse, or read by the first question */
	static const uint8_t counts[][2] = {{5, 2}, {7, 1}, {9, 1}, {11, 2}, {11, 0xff}};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memcpy(r, m, n);
		r[counts[i][0]] = counts[i][1];
		cr_assert_eq(dns_query_parse(r, n, &q), DNS_OK, "count at %u", counts[i][0]);
		cr_assert_str_eq(q.name, "www.blocked.example");
		cr_assert(q.odd_counts);
		cr_assert_eq(q.qlen, qend - 12);
		cr_assert_eq(dns_query_verify(r, n, &q), 0);
	}
	/* the answer echoes the question alone, without what followed */
	{
		struct dns_block b = {0};
		uint8_t a[512];

		memcpy(r, m, n);
		r[n] = 0x42;
		cr_assert_eq(dns_query_parse(r, n + 1, &q), DNS_OK);
		size_t al = dns_answer_block(&q, &b, a, sizeof(a));
		cr_assert_eq(al, qend);
		cr_assert_eq(a[3] & 15, 3);
	}
}

Test(dns, odd_names_are_not_matched)
{
	/* A label holding a dot must not be read as two labels. */
	uint8_t m[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'e', 'v', 'i', 'l', '.', 't', 'e',
	    's', 't', 0, 0, 1, 0, 1};
	struct dns_query q;
	cr_assert_eq(dns_query_parse(m, sizeof(m), &q), DNS_ODD_NAME);
}

Test(dns, root_and_longest_name)
{
	uint8_t m[600];
	struct dns_query q;
	size_t n = query(".", LDNS_RR_TYPE_NS, 0, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	cr_assert_eq(q.namelen, 0);

	char name[300] = "";
	for (int i = 0; i < 4; i++)
		strcat(name,
		    i < 3 ? "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
			  : "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	n = query(name, LDNS_RR_TYPE_A, 0, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	cr_assert_eq(q.namelen, 253);
}

/* Parses an answer with ldns and returns it (caller frees). */
static ldns_pkt *
answer_pkt(const uint8_t *a, size_t n)
{
	ldns_pkt *p = NULL;
	cr_assert_gt(n, 0);
	cr_assert_eq(ldns_wire2pkt(&p, a, n), LDNS_STATUS_OK);
	return p;
}

Test(dns, nxdomain_with_ede)
{
	uint8_t m[512], a[512];
	struct dns_query q;
	size_t n = query("X.Blocked.Example", LDNS_RR_TYPE_A, 2, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);

	struct dns_block b = {.ede = 1, .ede_text = "blocked under order CL-2026-000123"};
	size_t an = dns_answer_block(&q, &b, a, sizeof(a));
	ldns_pkt *p = answer_pkt(a, an);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert(ldns_pkt_qr(p));
	cr_assert(ldns_pkt_rd(p));
	cr_assert_eq(ldns_pkt_id(p), 0x4242);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	cr_assert(ldns_pkt_edns(p));
	cr_assert(ldns_pkt_edns_do(p));
	/* The question, byte for byte as asked. */
	cr_assert_eq(memcmp(a + 12, m + 12, q.qlen), 0);
	/* EDNS option: code 15, length, info-code 16, text. */
	ldns_rdf *opt = ldns_pkt_edns_data(p);
	cr_assert_not_null(opt);
	const uint8_t *o = ldns_rdf_data(opt);
	size_t tl = strlen(b.ede_text);
	cr_assert_eq(ldns_rdf_size(opt), 4 + 2 + tl);
	cr_assert_eq(o[0] << 8 | o[1], 15);
	cr_assert_eq((size_t)(o[2] << 8 | o[3]), 2 + tl);
	cr_assert_eq(o[4] << 8 | o[5], 16);
	cr_assert_eq(memcmp(o + 6, b.ede_text, tl), 0);
	ldns_pkt_free(p);
}

Test(dns, no_opt_without_edns)
{
	uint8_t m[512], a[512];
	struct dns_query q;
	size_t n = query("blocked.example", LDNS_RR_TYPE_A, 0, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	struct dns_block b = {.ede = 1, .ede_text = "order X"};
	size_t an = dns_answer_block(&q, &b, a, sizeof(a));
	ldns_pkt *p = answer_pkt(a, an);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	cr_assert_not(ldns_pkt_edns(p));
	cr_assert_eq(an, n); /* header + question only */
	ldns_pkt_free(p);
}

Test(dns, sinkhole_a_aaaa_and_nodata)
{
	uint8_t m[512], a[512];
	static const uint8_t v4[4] = {203, 0, 113, 7};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	struct dns_block b = {
	    .sinkhole = 1, .v4 = v4, .v6 = v6, .ttl = 300, .ede = 1, .ede_text = "o"};
	struct dns_query q;

	size_t n = query("blocked.example", LDNS_RR_TYPE_A, 1, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	ldns_pkt *p = answer_pkt(a, dns_answer_block(&q, &b, a, sizeof(a)));
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 1);
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_rr_ttl(rr), 300);
	cr_assert_eq(memcmp(ldns_rdf_data(ldns_rr_rdf(rr, 0)), v4, 4), 0);
	ldns_pkt_free(p);

	n = query("blocked.example", LDNS_RR_TYPE_AAAA, 1, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	p = answer_pkt(a, dns_answer_block(&q, &b, a, sizeof(a)));
	rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	cr_assert_eq(memcmp(ldns_rdf_data(ldns_rr_rdf(rr, 0)), v6, 16), 0);
	ldns_pkt_free(p);

	n = query("blocked.example", 65, 1, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	p = answer_pkt(a, dns_answer_block(&q, &b, a, sizeof(a)));
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 0); /* NODATA */
	ldns_pkt_free(p);
}

Test(dns, answer_refuses_small_buffer)
{
	uint8_t m[512], a[48];
	struct dns_query q;
	size_t n = query("blocked.example", LDNS_RR_TYPE_A, 1, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	struct dns_block b = {.ede = 1, .ede_text = "a long enough text to overflow the buffer"};
	cr_assert_eq(dns_answer_block(&q, &b, a, sizeof(a)), 0);
	cr_assert_gt(dns_answer_servfail(&q, a, sizeof(a)), 0);
}

Test(dns, verify_catches_mismatch)
{
	uint8_t m[512];
	struct dns_query q;
	size_t n = query("blocked.example", LDNS_RR_TYPE_A, 0, m, sizeof(m));
	cr_assert_eq(dns_query_parse(m, n, &q), DNS_OK);
	q.name[0] = 'x';
	cr_assert_eq(dns_query_verify(m, n, &q), -1);
	cr_assert_eq(dns_query_verify(m, 5, &q), -1);
}

Test(dns, tcp_framing)
{
	const uint8_t s[] = {0, 3, 'a', 'b', 'c', 0, 1, 'd', 0, 5, 'e'};
	const uint8_t *msg;
	size_t mlen, off = 0;

	cr_assert_eq(dns_tcp_next(s, sizeof(s), &off, &msg, &mlen), 1);
	cr_assert_eq(mlen, 3);
	cr_assert_eq(msg[0], 'a');
	cr_assert_eq(dns_tcp_next(s, sizeof(s), &off, &msg, &mlen), 1);
	cr_assert_eq(mlen, 1);
	cr_assert_eq(dns_tcp_next(s, sizeof(s), &off, &msg, &mlen), -1); /* 5 announced, 1 there */
	off = sizeof(s);
	cr_assert_eq(dns_tcp_next(s, sizeof(s), &off, &msg, &mlen), 0);
	off = 0;
	cr_assert_eq(dns_tcp_next(s, 1, &off, &msg, &mlen), -1);
}
