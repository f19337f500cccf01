/* Unit tests for the list format: the normal form parses, and every kind of bad line is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punycode.h"
#include "rulefmt.h"

static const char base[] = "blocklist 1\n"
			   "issuer Example Regulator\n"
			   "scope test jurisdiction\n"
			   "serial 42\n"
			   "issued 2026-11-20T10:00:00Z\n"
			   "expires 2027-01-01T00:00:00Z\n"
			   "previous "
			   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
			   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
			   "orders 2\n"
			   "entries 8\n"
			   "\n"
			   "order CL-2026-000123\n"
			   "\tauthority High Court of Justice\n"
			   "\tdate 2026-11-01\n"
			   "\tservice X\n"
			   "\tnot-before 2026-11-02T00:00:00Z\n"
			   "\tnot-after 2027-11-02T00:00:00Z\n"
			   "\tnotice Access to X is blocked by court order.\n"
			   "\tnotice-url https://orders.example/CL-2026-000123\n"
			   "\twide no\n"
			   "\n"
			   "order OSA-7\n"
			   "\tauthority Example Regulator\n"
			   "\tdate 2026-10-15\n"
			   "\tservice Y\n"
			   "\tnot-before 2026-10-16T00:00:00Z\n"
			   "\tnot-after 2027-10-16T00:00:00Z\n"
			   "\tnotice Blocked under the Online Safety Act.\n"
			   "\tnotice-url https://orders.example/OSA-7\n"
			   "\twide yes\n"
			   "\n"
			   "domain cdn.x-media.example CL-2026-000123\n" /* line 31 */
			   "domain x.example OSA-7\n"
			   "suffix x.example CL-2026-000123\n"
			   "ip 192.0.2.10 CL-2026-000123\n"
			   "ip 2001:db8::10 CL-2026-000123\n"
			   "prefix 198.51.100.0/24 OSA-7\n"
			   "prefix 2001:db8:100::/48 CL-2026-000123\n"
			   "url share.example/x/ CL-2026-000123\n"
			   "end 8\n";

/* text with the first occurrence of from replaced by to, malloc'd. */
static char *
edit_text(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	cr_assert_not_null(at, "fixture lacks '%s'", from);
	out = malloc(strlen(text) + strlen(to) + 1);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static char *
edit(const char *from, const char *to)
{
	return edit_text(base, from, to);
}

/* Parses text and expects a refusal whose message contains want. */
static void
refused(const char *text, size_t len, const char *want)
{
	struct rulelist *l = NULL;
	char err[RULES_ERR_MAX];

	cr_assert_eq(rulelist_parse(text, len, "t.list", NULL, &l, err, sizeof err), -1,
	    "accepted, expected: %s", want);
	cr_assert_null(l);
	cr_assert_not_null(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

static void
bad(const char *from, const char *to, const char *want)
{
	char *t = edit(from, to);

	refused(t, strlen(t), want);
	free(t);
}

Test(rules_parse, normal_form_parses)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX], v[64];

	cr_assert_eq(
	    rulelist_parse(base, strlen(base), "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	cr_assert_eq(l->serial, 42);
	cr_assert_str_eq(l->issuer, "Example Regulator");
	cr_assert_str_eq(l->scope, "test jurisdiction");
	cr_assert_eq(l->issued, 1795168800);
	cr_assert_eq(l->norders, 2);
	cr_assert_eq(l->nentries, 8);
	cr_assert_str_eq(l->orders[1].ref, "OSA-7");
	cr_assert_eq(l->orders[1].allow_wide, 1);
	cr_assert_eq(l->orders[0].allow_wide, 0);
	cr_assert_str_eq(l->orders[0].notice_url, "https://orders.example/CL-2026-000123");
	cr_assert_eq(l->entries[0].type, RULE_DOMAIN);
	cr_assert_eq(l->entries[0].line, 31);
	cr_assert_eq(l->entries[1].order, 1);
	cr_assert_eq(l->entries[2].type, RULE_SUFFIX);
	cr_assert_eq(l->entries[3].type, RULE_IPV4);
	cr_assert_eq(l->entries[3].plen, 32);
	cr_assert_eq(l->entries[3].addr[3], 10);
	cr_assert_eq(l->entries[6].type, RULE_IPV6);
	cr_assert_eq(l->entries[6].plen, 48);
	cr_assert_str_eq(rule_entry_value(&l->entries[6], v, sizeof v), "2001:db8:100::/48");
	cr_assert_eq(l->entries[7].type, RULE_URL);
	cr_assert_str_eq(l->entries[7].name, "share.example/x/");
	cr_assert_eq(l->entries[7].namelen, 16);
	rulelist_free(l);
}

Test(rules_parse, format_reproduces_the_file_and_digest)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX], *again;
	uint8_t d[64];
	size_t len;

	cr_assert_eq(rulelist_parse(base, strlen(base), "t.list", NULL, &l, err, sizeof err), 0);
	again = rulelist_format(l, &len);
	cr_assert_eq(len, strlen(base));
	cr_assert_eq(memcmp(again, base, len), 0, "%s", again);
	cr_assert_eq(rules_blake2b512(base, strlen(base), d), 0);
	cr_assert_eq(memcmp(d, l->digest, 64), 0);
	free(again);
	rulelist_free(l);
}

/* In place: the same list as from a copy, its strings in the text's own (shrunk) memory. */
Test(rules_parse, owned_parse_matches_the_copying_parse)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX], *buf, *again;
	uint8_t d[64];
	size_t len;

	cr_assert_eq(rules_blake2b512(base, strlen(base), d), 0);
	buf = strdup(base);
	cr_assert_eq(rulelist_parse_owned(buf, strlen(base), "t.list", d, &l, err, sizeof err), 0,
	    "%s", err);
	cr_assert_str_eq(l->issuer, "Example Regulator");
	cr_assert_str_eq(l->orders[1].ref, "OSA-7");
	cr_assert_str_eq(l->orders[0].notice, "Access to X is blocked by court order.");
	cr_assert_str_eq(l->entries[0].name, "cdn.x-media.example");
	cr_assert_str_eq(l->entries[7].name, "share.example/x/");
	cr_assert_gt(rule_type_bits(l->entries[3].type), 0); /* an address: no name */
	again = rulelist_format(l, &len);
	cr_assert_eq(len, strlen(base));
	cr_assert_eq(memcmp(again, base, len), 0, "%s", again);
	cr_assert_eq(memcmp(d, l->digest, 64), 0);
	free(again);
	rulelist_free(l);

	/* A bad list: refused with its line, the buffer freed (checked under ASan). */
	buf = edit_text(base, "domain x.example OSA-7", "domain x.example NOPE-1");
	cr_assert_eq(rulelist_parse_owned(buf, strlen(buf), "t.list", d, &l, err, sizeof err), -1);
	cr_assert_null(l);
	cr_assert_not_null(strstr(err, "t.list:32:"), "%s", err);
	/* Without the digest: refused, the buffer freed. */
	cr_assert_eq(
	    rulelist_parse_owned(strdup(base), strlen(base), "t.list", NULL, &l, err, sizeof err),
	    -1);
}

Test(rules_parse, blake2b512_empty_vector)
{
	/* BLAKE2b-512 of the empty string (RFC 7693 / reference implementation). */
	uint8_t d[64];
	char hex[129];

	cr_assert_eq(rules_blake2b512("", 0, d), 0);
	rules_hex(d, 64, hex);
	cr_assert_str_eq(hex,
	    "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
	    "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

Test(rules_parse, header_errors)
{
	bad("blocklist 1\n", "blocklist 2\n", "t.list:1: unsupported format version '2'");
	bad("blocklist 1\n", "blocklist  1\n", "t.list:1:");
	bad("blocklist 1\n", "list 1\n", "t.list:1: first line must be 'blocklist 1'");
	bad("issuer Example Regulator\n", "issuer Example Regulator\nissuer Again\n",
	    "t.list:3: duplicate or misplaced header key 'issuer'");
	bad("scope test jurisdiction\n", "colour blue\n", "t.list:3: unknown header key 'colour'");
	bad("scope test jurisdiction\n", "", "t.list:3: header key 'serial' out of order");
	bad("serial 42\n", "serial 042\n", "t.list:4: serial must be");
	bad("serial 42\n", "serial 0\n", "t.list:4: serial must be");
	bad("serial 42\n", "serial 18446744073709551616\n", "t.list:4: serial must be");
	bad("serial 42\n", "serial -1\n", "t.list:4: serial must be");
	bad("issued 2026-11-20T10:00:00Z", "issued 2026-11-20T10:00:00+00:00",
	    "t.list:5: issued must be a UTC time");
	bad("issued 2026-11-20T10:00:00Z", "issued 2026-11-20 10:00:00Z", "t.list:5:");
	bad("issued 2026-11-20T10:00:00Z", "issued 2026-02-29T10:00:00Z", "t.list:5:");
	bad("expires 2027-01-01T00:00:00Z", "expires 2026-01-01T00:00:00Z",
	    "t.list:6: expires is not after issued");
	bad("previous 0011", "previous 0O11", "t.list:7: previous must be 128 lowercase hex");
	bad("previous 0011", "previous 00112", "t.list:7: previous must be 128");
	bad("orders 2\n", "orders 3\n", "t.list:");
	bad("issuer Example Regulator", "issuer ", "t.list:2:");
	bad("entries 8\n\n", "entries 8\n", "t.list:10: expected an empty line after the header");
}

Test(rules_parse, previous_is_optional)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX];
	char *t = edit("previous ", "previousX ");
	char *nl = strstr(t, "previousX ");
	char *end = strchr(nl, '\n');

	memmove(nl, end + 1, strlen(end + 1) + 1);
	cr_assert_eq(
	    rulelist_parse(t, strlen(t), "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	cr_assert_null(l->previous);
	rulelist_free(l);
	free(t);
}

Test(rules_parse, byte_level_errors)
{
	bad("scope test jurisdiction\n", "scope test jurisdiction\r\n",
	    "t.list:3: carriage return");
	bad("service X\n", "service X\xc3\xa9\n", "t.list:14: non-ASCII byte 0xc3");
	bad("service X\n", "service X\x01\n", "t.list:14: control character 0x01");
	bad("service X\n", "service X \n", "t.list:14: trailing space");
	bad("service X\n", "service\tX\n", "t.list:14: tab inside a line");
	bad("domain x.example OSA-7\n", "domain  x.example OSA-7\n", "t.list:32: two spaces");
	bad("domain x.example OSA-7\n", " domain x.example OSA-7\n", "t.list:32: leading space");
	refused(base, strlen(base) - 1, "t.list:39: last line does not end with a newline");
	refused("", 0, "t.list:0: empty file");
	refused(base, sizeof base, "t.list:40: text after the 'end' line");
}

Test(rules_parse, order_errors)
{
	bad("\tauthority High Court of Justice\n", "",
	    "t.list:12: order field 'date' out of order: expected 'authority'");
	bad("\tdate 2026-11-01\n\tservice X\n", "\tservice X\n\tdate 2026-11-01\n",
	    "t.list:13: order field 'service' out of order: expected 'date'");
	bad("\tservice X\n", "\tcolour X\n", "t.list:14: unknown order field 'colour'");
	bad("\tdate 2026-11-01\n", "\tdate 2026-11-1\n", "t.list:13: date must be a day");
	bad("\tnot-after 2027-11-02T00:00:00Z", "\tnot-after 2026-11-01T00:00:00Z",
	    "t.list:16: not-after is not after not-before");
	bad("\twide no\n", "\twide maybe\n", "t.list:19: wide must be 'yes' or 'no'");
	bad("\twide no\n", "\twide no\n\textra 1\n", "t.list:20: unknown order field after 'wide'");
	bad("\twide no\n", "\twide no\n\tshared no\n",
	    "t.list:20: shared must be 'yes' (leave the field out for no)");
	bad("\twide no\n", "\twide no\n\tshared yes\n\tshared yes\n",
	    "t.list:21: unknown order field after 'wide'");
	bad("\twide no\n", "\twide no\n\tdivert 203.0.113.0/24,198.51.100.0/24\n",
	    "t.list:20: divert not in normal form: expected '198.51.100.0/24 203.0.113.0/24'");
	bad("\twide no\n", "\twide no\n\tdivert 203.0.113.7/24\n",
	    "t.list:20: divert not in normal form: expected '203.0.113.0/24'");
	bad("\twide no\n", "\twide no\n\tdivert 10.0.0.0/7\n",
	    "t.list:20: divert: 10.0.0.0/7: shorter than /8");
	bad("\twide no\n", "\twide no\n\tdivert example.org\n",
	    "t.list:20: divert: \"example.org\" is not an address or prefix");
	bad("\twide no\n", "\twide no\n\tdivert 203.0.113.0/24\n\tshared yes\n",
	    "t.list:21: unknown order field after 'wide'");
	bad("notice-url https://orders.example/CL", "notice-url ftp://orders.example/CL",
	    "t.list:18: notice-url: notice URL must start with https:// or http://");
	bad("order OSA-7\n", "order CL-2026-000123\n",
	    "t.list:21: duplicate order 'CL-2026-000123'");
	bad("order OSA-7\n", "order AB-1\n", "t.list:21: order 'AB-1' out of canonical order");
	bad("order OSA-7\n", "order OSA 7\n", "t.list:21: order reference may hold only");
	bad("OSA-7\n\tauthority", "OSA-7\n\tauthority Ex\n\tauthority", "t.list:23:");
}

Test(rules_parse, entry_errors)
{
	const char *from = "domain x.example OSA-7\n";

	bad(from, "domain X.example OSA-7\n", "t.list:32: domain X.example: uppercase 'X'");
	bad(from, "domain x.example. OSA-7\n", "t.list:32: domain x.example.: trailing dot");
	bad(from, "domain x..example OSA-7\n", "empty label");
	bad(from, "domain x_y.example OSA-7\n", "character '_' not allowed");
	bad(from, "domain -x.example OSA-7\n", "label starts or ends with '-'");
	bad(from, "domain ab--c.example OSA-7\n", "not an A-label");
	bad(from, "domain xn--zz.example OSA-7\n", "not a valid A-label");
	bad(from, "domain xn--abc-.example OSA-7\n", "label starts or ends with '-'");
	bad(from, "domain 192.0.2.1 OSA-7\n", "last label is all digits");
	bad(from, "domain x.example CL-9\n",
	    "t.list:32: entry names order 'CL-9', which the list does not hold");
	bad(from, "domain x.example\n", "t.list:32: expected 'KIND VALUE ORDER'");
	bad(from, "domain x.example OSA-7 more\n", "too many fields");
	bad(from, "host x.example OSA-7\n", "t.list:32: host x.example: unknown entry kind");
	bad("ip 192.0.2.10 ", "ip 192.0.2.010 ", "t.list:34: ip 192.0.2.010: '192.0.2.010' is not");
	bad("ip 192.0.2.10 ", "ip 192.0.2.10/32 ", "address with /length");
	bad("ip 2001:db8::10 ", "ip 2001:DB8::10 ",
	    "not in normal form (RFC 5952 for IPv6): write "
	    "2001:db8::10");
	bad("ip 2001:db8::10 ", "ip 2001:db8:0:0:0:0:0:10 ", "write 2001:db8::10");
	bad("prefix 198.51.100.0/24", "prefix 198.51.100.1/24", "prefix has host bits set");
	bad("prefix 198.51.100.0/24", "prefix 198.51.100.0/024", "bad prefix length '024'");
	bad("prefix 198.51.100.0/24", "prefix 198.51.100.0/33", "too long");
	bad("prefix 198.51.100.0/24", "prefix 198.51.100.0/32", "written as an ip entry");
	bad("prefix 198.51.100.0/24", "prefix 198.51.100.0", "prefix without /length");
	bad("url share.example/x/", "url https://share.example/x/", "without a scheme");
	bad("url share.example/x/", "url share.example", "URL entry without a path");
	bad("url share.example/x/", "url share.example/x y/", "t.list:38:");
	bad("url share.example/x/", "url share.example/x%2f", "two uppercase hex digits");
	bad("url share.example/x/", "url share.example/%41", "percent-encoded unreserved");
	bad("url share.example/x/", "url share.example/x#frag", "character '#' not allowed");
	bad("url share.example/x/", "url Share.example/x/", "uppercase 'S'");
}

Test(rules_parse, canonical_order_and_duplicates)
{
	bad("domain cdn.x-media.example CL-2026-000123\ndomain x.example OSA-7\n",
	    "domain x.example OSA-7\ndomain cdn.x-media.example CL-2026-000123\n",
	    "t.list:32: entry out of canonical order");
	bad("domain x.example OSA-7\n", "domain cdn.x-media.example CL-2026-000123\n",
	    "t.list:32: duplicate entry domain cdn.x-media.example");
	/* Addresses sort numerically, not as text, and ip before prefix. */
	bad("ip 192.0.2.10 CL-2026-000123\n",
	    "ip 192.0.2.10 CL-2026-000123\nip 192.0.2.9 CL-2026-000123\n",
	    "entry out of canonical order");
	bad("suffix x.example CL-2026-000123\n", "prefix 192.0.2.0/24 OSA-7\n",
	    "entry out of canonical order");
}

Test(rules_parse, same_value_for_two_orders_is_allowed)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX];
	char *t = edit("domain x.example OSA-7\n",
	    "domain x.example CL-2026-000123\ndomain x.example OSA-7\n");
	char *t2 = strstr(t, "entries 8");

	t2[8] = '9';
	memcpy(strstr(t, "end 8"), "end 9", 5);
	cr_assert_eq(
	    rulelist_parse(t, strlen(t), "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	cr_assert_eq(l->nentries, 9);
	rulelist_free(l);
	free(t);
}

Test(rules_parse, counts_must_match)
{
	bad("entries 8\n", "entries 9\n", "t.list:39: count mismatch: header says 9 entries");
	bad("end 8\n", "end 7\n", "t.list:39: count mismatch");
	bad("entries 8\n", "entries 7\n", "t.list:38: more entries than the header's 'entries 7'");
	bad("end 8\n", "end 8\n\n", "t.list:40: text after the 'end' line");
	bad("end 8\n", "", "t.list:38: file ends without the 'end 8' line");
	bad("orders 2\n", "orders 1\n", "t.list:21: more orders than the header's 'orders 1'");
	bad("domain x.example OSA-7\nsuffix", "domain x.example OSA-7\n\nsuffix",
	    "t.list:33: empty line among the entries");
}

Test(rules_parse, order_without_entries)
{
	char *t1 = edit("domain x.example OSA-7\n", "");
	char *t = edit_text(t1, "/24 OSA-7", "/24 CL-2026-000123");
	char *e = strstr(t, "entries 8"), *n = strstr(t, "end 8");

	e[8] = '7';
	n[4] = '7';
	refused(t, strlen(t), "t.list:21: order 'OSA-7' has no entries");
	free(t);
	free(t1);
}

Test(rules_parse, hostile_counts_do_not_allocate)
{
	bad("entries 8\n", "entries 18446744073709551615\n", "cannot match a file of");
}

Test(rules_parse, times)
{
	int64_t t;

	cr_assert_eq(rules_time_parse("1970-01-01T00:00:00Z", 20, &t), 0);
	cr_assert_eq(t, 0);
	cr_assert_eq(rules_time_parse("2000-02-29T23:59:59Z", 20, &t), 0);
	cr_assert_eq(t, 951868799);
	cr_assert_eq(rules_time_parse("2100-02-29T00:00:00Z", 20, &t), -1);
	cr_assert_eq(rules_time_parse("2026-12-31T24:00:00Z", 20, &t), -1);
	cr_assert_eq(rules_time_parse("2026-12-31T23:59:60Z", 20, &t), -1);
	cr_assert_eq(rules_time_parse("2026-12-31t23:59:59z", 20, &t), -1);
}

Test(rules_parse, punycode_rfc3492_vectors)
{
	/* RFC 3492 section 7.1 (B) Chinese (simplified), and "bücher". */
	static const uint32_t zh[] = {
	    0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587};
	static const uint32_t bu[] = {'b', 0xFC, 'c', 'h', 'e', 'r'};
	uint32_t cp[16];
	char out[64];

	cr_assert_eq(punycode_encode(zh, 9, out, sizeof out), 24);
	cr_assert_str_eq(out, "ihqwcrb4cv8a8dqg056pqjye");
	cr_assert_eq(punycode_encode(bu, 6, out, sizeof out), 9);
	cr_assert_str_eq(out, "bcher-kva");
	cr_assert_eq(punycode_decode("bcher-kva", 9, cp, 16), 6);
	cr_assert_eq(cp[1], 0xFC);
	cr_assert_eq(punycode_decode("ihqwcrb4cv8a8dqg056pqjye", 24, cp, 16), 9);
	cr_assert_eq(cp[8], 0x6587);
	cr_assert_eq(punycode_decode("b!", 2, cp, 16), -1);
}

Test(rules_parse, names)
{
	char why[256];
	char longlabel[70];

	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test");
	cr_assert_eq(rules_check_name("xn--bcher-kva.example", 21, why, sizeof why), 0, "%s", why);
	cr_assert_eq(rules_check_name("uk", 2, why, sizeof why), 0);
	cr_assert_eq(rules_check_name(longlabel, strlen(longlabel), why, sizeof why), -1);
	cr_assert_eq(rules_check_name("xn--Bcher-kva.example", 21, why, sizeof why), -1);
	/* An xn-- label of plain ASCII is not an A-label. */
	cr_assert_eq(rules_check_name("xn--abc-.example", 16, why, sizeof why), -1);
}

Test(rules_parse, mutated_lists_never_crash)
{
	uint32_t seed = 12345;
	char buf[sizeof base], err[RULES_ERR_MAX];
	struct rulelist *l;
	int i, k, ok = 0;

	/* Deterministic byte flips, inserts of odd bytes and truncations: every result is
	 * either a list or a message naming the file. */
	for (i = 0; i < 20000; i++) {
		memcpy(buf, base, sizeof base);
		for (k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % (sizeof base - 1)] = (char)(seed >> 24);
		}
		seed = seed * 1103515245u + 12345u;
		if (rulelist_parse(buf, i % 7 ? sizeof base - 1 : (seed >> 8) % sizeof base,
			"t.list", NULL, &l, err, sizeof err) == 0) {
			ok++;
			cr_assert_eq(l->nentries, 8);
			rulelist_free(l);
		} else
			cr_assert_eq(strncmp(err, "t.list:", 7), 0, "%s", err);
	}
	cr_assert_lt(ok, 20000);
}

Test(rules_parse, orders_in_force_between_not_before_and_not_after)
{
	struct rulelist *l;
	char err[RULES_ERR_MAX];
	const struct rule_order *o;

	cr_assert_eq(rulelist_parse(base, strlen(base), "t.list", NULL, &l, err, sizeof err), 0);
	o = &l->orders[0]; /* 2026-11-02T00:00:00Z to 2027-11-02T00:00:00Z */
	cr_assert_not(rule_order_active(o, o->not_before - 1));
	cr_assert(rule_order_active(o, o->not_before));
	cr_assert(rule_order_active(o, o->not_after - 1));
	cr_assert_not(rule_order_active(o, o->not_after));
	cr_assert_eq(o->not_before, 1793577600);
	rulelist_free(l);
}

Test(rules_parse, empty_list_lifts_every_block)
{
	static const char empty[] = "blocklist 1\nissuer A\nscope B\nserial 3\n"
				    "issued 2026-01-01T00:00:00Z\nexpires 2027-01-01T00:00:00Z\n"
				    "orders 0\nentries 0\n\nend 0\n";
	struct rulelist *l;
	char err[RULES_ERR_MAX], *t;

	cr_assert_eq(rulelist_parse(empty, strlen(empty), "t.list", NULL, &l, err, sizeof err), 0,
	    "%s", err);
	cr_assert_eq(l->norders, 0);
	cr_assert_eq(l->nentries, 0);
	rulelist_free(l);
	t = edit_text(empty, "entries 0", "entries 1");
	refused(t, strlen(t), "t.list:9: orders 0 with entries 1: every order needs entries");
	free(t);
}

/* "divert", after "shared", names the order's prefixes to divert; the writer reproduces it. */
Test(rules_parse, divert_field_round_trips)
{
	char *t = edit(
		 "\twide no\n", "\twide no\n\tshared yes\n\tdivert 203.0.113.0/24 2001:db8::/32\n"),
	     *again, err[RULES_ERR_MAX];
	struct rulelist *l;
	size_t len;

	cr_assert_eq(
	    rulelist_parse(t, strlen(t), "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(l->orders[0].divert, "203.0.113.0/24 2001:db8::/32");
	again = rulelist_format(l, &len);
	cr_assert_eq(len, strlen(t));
	cr_assert_eq(memcmp(again, t, len), 0, "%s", again);
	free(again);
	rulelist_free(l);
	free(t);
	cr_assert_eq(rulelist_parse(base, strlen(base), "t.list", NULL, &l, err, sizeof err), 0);
	cr_assert_null(l->orders[0].divert);
	rulelist_free(l);
}

/* "shared yes" is an optional last order field; the writer reproduces it. */
Test(rules_parse, shared_field_round_trips)
{
	char *t = edit("\twide no\n", "\twide no\n\tshared yes\n"), *again, err[RULES_ERR_MAX];
	struct rulelist *l;
	size_t len;

	cr_assert_eq(
	    rulelist_parse(t, strlen(t), "t.list", NULL, &l, err, sizeof err), 0, "%s", err);
	cr_assert(l->orders[0].allow_shared);
	again = rulelist_format(l, &len);
	cr_assert_eq(len, strlen(t));
	cr_assert_eq(memcmp(again, t, len), 0, "%s", again);
	free(again);
	rulelist_free(l);
	free(t);
	cr_assert_eq(rulelist_parse(base, strlen(base), "t.list", NULL, &l, err, sizeof err), 0);
	cr_assert_not(l->orders[0].allow_shared);
	rulelist_free(l);
}
