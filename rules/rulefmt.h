/* The block list file format: strict parser, normal-form writer, entry values and their order. */
#ifndef BLOCKD_RULEFMT_H
#define BLOCKD_RULEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"

#define RULES_REF_MAX     64   /* order reference */
#define RULES_TEXT_MAX    1024 /* issuer, scope, authority, service, notice, notice-url */
#define RULES_ERR_MAX     512  /* enough for any message from this module */
#define RULES_DIGEST_SIZE 64   /* BLAKE2b-512 */

/*
 * rulelist_parse(): parses buf[0..len) (the raw file bytes; no I/O) into a new
 * list. fname is used only in messages. digest, if not NULL, is the BLAKE2b-512
 * of buf the caller already computed; otherwise it is computed here.
 * Returns 0 and *out (free with rulelist_free()), or -1 with
 * "fname:line: what is wrong" in err. Never fixes anything silently.
 */
int rulelist_parse(const char *buf, size_t len, const char *fname, const uint8_t *digest,
    struct rulelist **out, char *err, size_t errlen);

/*
 * rulelist_parse_owned(): rulelist_parse() of buf (malloc'd), which it takes
 * in every case: the list keeps its strings in buf itself, overwriting the
 * text as it is read, and gives back the rest, so a large list never holds
 * its text and its strings at once. digest is required (buf is changed).
 * On -1, buf is freed.
 */
int rulelist_parse_owned(char *buf, size_t len, const char *fname, const uint8_t *digest,
    struct rulelist **out, char *err, size_t errlen);

/*
 * A large list's entry lines are parsed on two threads, each half of them
 * into its own range of the entries and of the arena, joined in file order;
 * the list and any message are those of one pass. rulelist_parse() and
 * rulelist_parse_owned() split at RULES_PARSE_PARALLEL_MIN bytes of entry
 * lines and more; the _tuned() forms (tests, fuzzing) take the threshold
 * (SIZE_MAX: one pass) and where the seam is sought: the first LF from split
 * bytes into the entry lines on (0: their middle).
 */
#define RULES_PARSE_PARALLEL_MIN ((size_t)64 * 1024)

struct rules_parse_tuning {
	size_t parallel_min;
	size_t split;
};

int rulelist_parse_tuned(const char *buf, size_t len, const char *fname, const uint8_t *digest,
    const struct rules_parse_tuning *t, struct rulelist **out, char *err, size_t errlen);
int rulelist_parse_owned_tuned(char *buf, size_t len, const char *fname, const uint8_t *digest,
    const struct rules_parse_tuning *t, struct rulelist **out, char *err, size_t errlen);

/*
 * rulelist_format(): writes l in the normal form. l's orders must be sorted by
 * reference and its entries by rule_entry_cmp() with no duplicates (what
 * rulelist_build() makes). Returns a malloc'd NUL-terminated buffer and its
 * length in *lenp, or NULL when out of memory.
 */
char *rulelist_format(const struct rulelist *l, size_t *lenp);

/* rule_entry_keyword(): the entry's keyword in the list file ("domain", "ip", "prefix", ...). */
const char *rule_entry_keyword(const struct rule_entry *e);

/*
 * rule_entry_value(): the entry's value in normal form ("x.example",
 * "192.0.2.0/24", "2001:db8::1", "x.example/path") into buf. Returns buf.
 * bufsz of RULES_URL_MAX + 1 is always enough.
 */
char *rule_entry_value(const struct rule_entry *e, char *buf, size_t bufsz);

/*
 * rule_entry_parse_value(): checks value[0..len) for the entry kind named by
 * keyword (domain, suffix, ip, prefix, url) and fills type, plen and addr of
 * e; name and namelen are left to the caller (they point into value for
 * names and URLs). Returns 0, or -1 with the reason (no file or line) in err.
 */
int rule_entry_parse_value(const char *keyword, size_t kwlen, const char *value, size_t len,
    struct rule_entry *e, char *err, size_t errlen);

/*
 * rules_check_name(): is s[0..len) a domain name in normal form (lowercase
 * LDH A-labels, no trailing dot, valid punycode in xn-- labels)? 0 or -1 with err.
 */
int rules_check_name(const char *s, size_t len, char *err, size_t errlen);

/*
 * rule_entry_cmp(): the canonical entry order: domain, suffix, ip, prefix,
 * url; names and URLs bytewise; addresses IPv4 before IPv6, numerically, then
 * by prefix length. Equal values are ordered by the references of their
 * orders (bytewise), which both a and b index in orders. Returns <0, 0, >0.
 */
int rule_entry_cmp(
    const struct rule_entry *a, const struct rule_entry *b, const struct rule_order *orders);

/* rules_time_parse(): "YYYY-MM-DDTHH:MM:SSZ" exactly; 0 and *t, or -1. */
int rules_time_parse(const char *s, size_t len, int64_t *t);
/* rules_date_parse(): "YYYY-MM-DD" exactly (midnight UTC); 0 and *t, or -1. */
int rules_date_parse(const char *s, size_t len, int64_t *t);
/* rules_time_format(): t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
char *rules_time_format(int64_t t, char *buf, size_t bufsz);
/* rules_date_format(): t as "YYYY-MM-DD" into buf (at least 11 bytes). */
char *rules_date_format(int64_t t, char *buf, size_t bufsz);

/* rules_check_ref(): order reference: 1..64 of [A-Za-z0-9._:/-]. 0 or -1 with err. */
int rules_check_ref(const char *s, size_t len, char *err, size_t errlen);
/* rules_check_text(): printable ASCII, no tab, no leading or trailing space, 1..1024 bytes. */
int rules_check_text(const char *s, size_t len, char *err, size_t errlen);
/* rules_check_url(): notice URL: https:// or http:// then printable ASCII without spaces. */
int rules_check_notice_url(const char *s, size_t len, char *err, size_t errlen);

/* Hex of a 64-byte digest into out (129 bytes). */
void rules_hex(const uint8_t *in, size_t n, char *out);
/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (any year). Pure. */
int64_t rules_days_from_civil(int64_t y, unsigned m, unsigned d);

/* BLAKE2b-512 of buf into out[64] through libcrypto. 0 or -1. */
int rules_blake2b512(const void *buf, size_t len, uint8_t out[64]);

/*
 * The same, a piece at a time: rules_b2_new() (NULL when out of memory), then
 * rules_b2_update() on each piece in order, then rules_b2_end(), which frees
 * the context and returns 0 with the digest in out, or -1 (also when any
 * update failed or the context is NULL).
 */
struct rules_b2;
struct rules_b2 *rules_b2_new(void);
void rules_b2_update(struct rules_b2 *, const void *buf, size_t len);
int rules_b2_end(struct rules_b2 *, uint8_t out[64]);

#endif
