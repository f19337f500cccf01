/* Unit tests for the probe's messages (probemsg.c) and its report (probefmt.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "probefmt.h"
#include "wire/probemsg.h"
#include "wire/quic.h"
#include "wire/tls.h"

static const uint8_t rnd[96] = {1, 2, 3};

Test(probemsg, hello_read_by_blockds_own_reader)
{
	uint8_t hs[1024], rec[1100];
	struct tls_hello h;
	size_t n = probemsg_hello(hs, sizeof(hs), "www.blocked.example", rnd, 0);

	cr_assert_gt(n, 100);
	n = probemsg_record(rec, sizeof(rec), hs, n);
	cr_assert_eq(tls_parse_client_hello(rec, n, 0, &h), TLS_SNI);
	cr_assert_str_eq(h.sni, "www.blocked.example");
	cr_assert_eq(probemsg_hello(hs, 40, "x.example", rnd, 0), 0, "a small buffer is refused");
}

Test(probemsg, quic_initial_opened_by_blockds_own_reader)
{
	uint8_t hs[1024], dg[1200], dcid[8] = {9, 8, 7, 6, 5, 4, 3, 2};
	struct quic_ctx *q = quic_ctx_create();
	struct quic_info qi;
	size_t hl = probemsg_hello(hs, sizeof(hs), "quic.example", rnd, 1);

	cr_assert_not_null(q);
	cr_assert_eq(probemsg_quic_initial(q, dg, sizeof(dg), dcid, hs, hl), 1200);
	cr_assert_eq(quic_parse_datagram(q, dg, sizeof(dg), NULL, &qi), QUIC_SNI);
	cr_assert_str_eq(qi.hello.sni, "quic.example");
	quic_ctx_destroy(q);
}

Test(probemsg, dns_query_and_answer_with_ede)
{
	uint8_t q[512], a[512];
	struct probemsg_dns d;
	size_t n = probemsg_dns_query(q, sizeof(q), 0x1234, "blocked.example", 1), o;

	cr_assert_eq(n, 12 + 17 + 4 + 11);
	/* The answer: the query echoed, NXDOMAIN, the OPT record with EDE 16. */
	memcpy(a, q, n);
	a[2] |= 0x80;
	a[3] = 3;
	o = n - 11;
	static const uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 6, 0, 15, 0, 2, 0, 16};
	memcpy(a + o, opt, sizeof(opt));
	cr_assert_eq(probemsg_dns_answer(a, o + sizeof(opt), 0x1234, &d), 0);
	cr_assert_eq(d.rcode, 3);
	cr_assert_eq(d.ede, 16);
	cr_assert_eq(probemsg_dns_answer(a, o + sizeof(opt), 0x4321, &d), -1, "another id");
	cr_assert_eq(probemsg_dns_answer(a, o + 3, 0x1234, &d), -1, "cut short");
	cr_assert_eq(probemsg_dns_query(q, sizeof(q), 1, "a..b", 1), 0, "empty label");
}

Test(probemsg, http_status)
{
	cr_assert_eq(probemsg_http_status((const uint8_t *)"HTTP/1.1 451 Unavailable", 24), 451);
	cr_assert_eq(probemsg_http_status((const uint8_t *)"HTTP/1.1 2", 10), -1);
	cr_assert_eq(probemsg_http_status((const uint8_t *)"SSH-2.0-OpenSSH_9", 17), -1);
}

static void
sample(struct probe_report *r)
{
	struct probe_check c = {.kind = PROBE_ENTRY, .method = PROBE_TLS, .outcome = PROBE_BLOCKED};

	memset(r, 0, sizeof(*r));
	strcpy(r->vantage, "isp-a\tsubscriber line");
	strcpy(r->issuer, "Regulator");
	strcpy(r->resolver, "192.0.2.53");
	r->serial = 42;
	r->started = 1796342400;
	r->finished = 1796342460;
	strcpy(c.order, "CL-1");
	strcpy(c.target, "blocked.example");
	strcpy(c.addr, "192.0.2.80");
	strcpy(c.detail, "reset");
	c.verdict = (uint8_t)probe_verdict_of(c.kind, c.outcome);
	cr_assert_eq(probe_add(r, &c), 0);
	c.kind = PROBE_CONTROL;
	c.order[0] = '\0';
	strcpy(c.target, "www.example");
	strcpy(c.detail, "\"quoted\"\nline");
	c.verdict = (uint8_t)probe_verdict_of(c.kind, c.outcome);
	cr_assert_eq(probe_add(r, &c), 0);
}

Test(probefmt, text_round_trip)
{
	struct probe_report r, back;
	char err[256], *t;
	size_t len;

	sample(&r);
	cr_assert_eq(r.checks[1].verdict, PROBE_OVERBLOCKED);
	t = probe_format(&r, 0, &len);
	cr_assert_not_null(t);
	cr_assert_eq(probe_parse(t, len, "r", &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.n, 2);
	cr_assert_eq(back.serial, 42);
	cr_assert_eq(back.finished, 1796342460);
	cr_assert_str_eq(back.vantage, "isp-a subscriber line");
	cr_assert_str_eq(back.checks[0].order, "CL-1");
	cr_assert_str_eq(back.checks[1].order, "");
	cr_assert_str_eq(back.checks[1].detail, "\"quoted\" line");
	cr_assert(strstr(t, "summary\tchecks 2\tpass 1\tfail 0\toverblocked 1\t") != NULL);
	probe_report_free(&back);
	free(t);
	t = probe_format(&r, 1, &len);
	cr_assert(strstr(t, "\"detail\":\"\\\"quoted\\\"\\u000aline\"") != NULL, "%s", t);
	free(t);
	probe_report_free(&r);
}

Test(probefmt, parse_refuses_what_is_not_a_report)
{
	struct probe_report r;
	char err[256], *t, *p;
	size_t len;

	sample(&r);
	t = probe_format(&r, 0, &len);
	probe_report_free(&r);
	cr_assert_eq(probe_parse("hello\n", 6, "x", &r, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "x:1: not a probe report (\"blockd-probe 1\")");
	/* Cut before the summary. */
	p = strstr(t, "summary");
	cr_assert_eq(probe_parse(t, (size_t)(p - t), "x", &r, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no summary line") != NULL, "%s", err);
	/* A verdict that does not follow from the outcome. */
	p = strstr(t, "blocked\tpass");
	memcpy(p, "open   ", 7);
	cr_assert_eq(probe_parse(t, len, "x", &r, err, sizeof(err)), -1);
	free(t);
}
