/* Unit tests for json.c, evrec.c and pseudonym.c: escaping, parsing back, times, daily keys. */
#include <criterion/criterion.h>
#include <string.h>

#include "evlog/evrec.h"
#include "base/json.h"
#include "evlog/pseudonym.h"

Test(evlog_format, jbuf_escapes_and_parses_back)
{
	char mem[256], sb[512];
	struct jbuf jb;
	struct jfield f[8];
	const char *err;
	int n;

	jbuf_init(&jb, mem, sizeof(mem));
	jbuf_open(&jb);
	jbuf_kstr(&jb, "a", "q\"b\\s\n\t\x02");
	jbuf_kobj(&jb, "o");
	jbuf_kuint(&jb, "u", 18446744073709551615ULL);
	jbuf_kint(&jb, "i", -5);
	jbuf_close(&jb);
	jbuf_kbool(&jb, "t", 1);
	jbuf_close(&jb);
	cr_assert_eq(jb.overflow, 0);
	cr_assert_str_eq(mem,
	    "{\"a\":\"q\\\"b\\\\s\\n\\t\\u0002\",\"o\":{\"u\":18446744073709551615,"
	    "\"i\":-5},\"t\":true}");
	n = json_parse_flat(mem, jb.len, f, 8, sb, sizeof(sb), &err);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(json_get(f, n, "a")->val, "q\"b\\s\n\t\x02");
	cr_assert_str_eq(json_get(f, n, "o.u")->val, "18446744073709551615");
	cr_assert_eq(json_get(f, n, "o.u")->type, JSON_NUMBER);
	cr_assert_str_eq(json_get(f, n, "o.i")->val, "-5");
	cr_assert_eq(json_get(f, n, "t")->type, JSON_TRUE);
}

Test(evlog_format, jbuf_overflow_is_flagged_never_overrun)
{
	char mem[8];
	struct jbuf jb;

	jbuf_init(&jb, mem, sizeof(mem));
	jbuf_open(&jb);
	jbuf_kstr(&jb, "key", "value");
	cr_assert_eq(jb.overflow, 1);
	cr_assert_lt(jb.len, sizeof(mem));
}

Test(evlog_format, invalid_utf8_becomes_replacement)
{
	char mem[64];
	struct jbuf jb;

	jbuf_init(&jb, mem, sizeof(mem));
	jbuf_str(&jb, "a\xc0\xaf\xed\xa0\x80\xf0\x9f\x98\x80z", 11);
	/* Overlong '/', a surrogate (3 bytes, each replaced), then a valid emoji. */
	cr_assert_str_eq(mem, "\"a\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80z\"");
}

Test(evlog_format, parser_rejects_what_is_not_one_object)
{
	static const char *const bad[] = {"", "[]", "{\"a\":[1]}", "{\"a\":1,}", "{\"a\":1} x",
	    "{\"a\":\"\\ud800\"}", "{\"a\":\"x\n\"}", "{\"a\":01x}", "{\"a\"}", "{\"a\":tru}",
	    "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", "{\"a\":\"unterminated}"};
	struct jfield f[8];
	char sb[256];
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_lt(json_parse_flat(bad[i], strlen(bad[i]), f, 8, sb, sizeof(sb), &err), 0,
		    "accepted %s", bad[i]);
}

Test(evlog_format, parser_decodes_unicode_escapes)
{
	const char *s = "{\"k\":\"\\u00e9\\ud83d\\ude00\\/\"}";
	struct jfield f[2];
	char sb[64];
	const char *err;

	cr_assert_eq(json_parse_flat(s, strlen(s), f, 2, sb, sizeof(sb), &err), 1);
	cr_assert_str_eq(f[0].val, "\xc3\xa9\xf0\x9f\x98\x80/");
}

Test(evlog_format, times_round_trip)
{
	char t[32];
	int64_t us;

	evrec_time_fmt(0, t);
	cr_assert_str_eq(t, "1970-01-01T00:00:00.000000Z");
	evrec_time_fmt(1795255200123456LL, t);
	cr_assert_str_eq(t, "2026-11-21T10:00:00.123456Z");
	cr_assert_eq(evrec_time_parse(t, &us), 0);
	cr_assert_eq(us, 1795255200123456LL);
	cr_assert_eq(evrec_time_parse("2028-02-29", &us), 0);
	evrec_time_fmt(us + 86400LL * 1000000 - 1, t);
	cr_assert_str_eq(t, "2028-02-29T23:59:59.999999Z");
	cr_assert_eq(evrec_time_parse("2026-11-21T10:00:00.5Z", &us), 0);
	cr_assert_eq(us, 1795255200500000LL);
	cr_assert_lt(evrec_time_parse("2027-02-29", &us), 0);
	cr_assert_lt(evrec_time_parse("2026-11-21T10:00:00+01:00", &us), 0);
	cr_assert_lt(evrec_time_parse("2026-11-21T24:00:00Z", &us), 0);
	cr_assert_eq(evrec_day(-1), -1);
}

Test(evlog_format, names_round_trip)
{
	int i;

	for (i = EV_DNS; i <= EV_IP; i++)
		cr_assert_eq(evrec_method_from(evrec_method_name(i)), i);
	for (i = EVS_START; i <= EVS_GAP; i++)
		cr_assert_eq(evrec_state_from(evrec_state_name(i)), i);
	cr_assert_null(evrec_method_name(0));
	cr_assert_null(evrec_method_name(99));
	cr_assert_eq(evrec_method_from("smtp"), 0);
}

Test(evlog_format, pseudonym_ratchet)
{
	static const uint8_t chain[32] = {1, 2, 3};
	static const uint8_t a[4] = {192, 0, 2, 7}, b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	struct pseudonym p, q;
	char x[40], y[40], z[40];
	int64_t d = 20000;

	pseudonym_init(&p, chain, d);
	pseudonym_of(&p, d, 4, a, x);
	cr_assert_eq(strlen(x), PSEUDONYM_HEX);
	pseudonym_of(&p, d, 4, a, y);
	cr_assert_str_eq(x, y);
	pseudonym_of(&p, d, 6, b, z);
	cr_assert_str_neq(x, z);
	cr_assert_eq(pseudonym_advance(&p, d), 0);
	cr_assert_eq(pseudonym_advance(&p, d - 3), 0, "never backwards");
	cr_assert_eq(pseudonym_advance(&p, d + 1), 1);
	pseudonym_of(&p, d + 1, 4, a, y);
	cr_assert_str_neq(x, y);
	/* An event queued just before midnight still gets its own day's pseudonym. */
	pseudonym_of(&p, d, 4, a, z);
	cr_assert_str_eq(x, z);
	/* Advancing by several days equals advancing one by one. */
	pseudonym_init(&q, chain, d);
	pseudonym_advance(&q, d + 1);
	pseudonym_advance(&q, d + 2);
	pseudonym_advance(&p, d + 2);
	pseudonym_of(&p, d + 2, 4, a, x);
	pseudonym_of(&q, d + 2, 4, a, y);
	cr_assert_str_eq(x, y);
	cr_assert_eq(memcmp(p.chain, chain, 32) != 0, 1, "the stored chain key moved on");
	pseudonym_wipe(&p);
	pseudonym_wipe(&q);
}
