/* Entry values, references, texts and times: checked strictly, in one normal form each. */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "punycode.h"
#include "rulefmt.h"

/* The keyword of an address type's entries shorter than the address (rulelist.h). */
static const char prefix_keyword[] = "prefix";

const char *
rule_entry_keyword(const struct rule_entry *e)
{
	if (e->type <= RULE_NONE || e->type >= RULE_NTYPES)
		return "?";
	if (rule_types[e->type].bits != 0 && e->plen != rule_types[e->type].bits)
		return prefix_keyword;
	return rule_types[e->type].keyword;
}

char *
rule_entry_value(const struct rule_entry *e, char *buf, size_t bufsz)
{
	char a[INET6_ADDRSTRLEN];

	if (e->type == RULE_IPV4 || e->type == RULE_IPV6) {
		inet_ntop(e->type == RULE_IPV4 ? AF_INET : AF_INET6, e->addr, a, sizeof a);
		if (e->plen == (e->type == RULE_IPV4 ? 32 : 128))
			snprintf(buf, bufsz, "%s", a);
		else
			snprintf(buf, bufsz, "%s/%u", a, e->plen);
	} else
		snprintf(buf, bufsz, "%.*s", (int)e->namelen, e->name ? e->name : "");
	return buf;
}

static int
fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -1;
}

/* An xn-- label must decode to something non-ASCII and re-encode to itself. */
static int
check_alabel(const char *l, size_t n)
{
	uint32_t cp[64];
	char again[64];
	int ncp, i, wide = 0;

	ncp = punycode_decode(l + 4, n - 4, cp, 64);
	if (ncp <= 0)
		return -1;
	for (i = 0; i < ncp; i++) {
		if (cp[i] >= 0x80)
			wide = 1;
		else if (cp[i] >= 'A' && cp[i] <= 'Z')
			return -1; /* not lowercase: not what IDNA produces */
	}
	if (!wide || punycode_encode(cp, (size_t)ncp, again, sizeof again) != (int)(n - 4) ||
	    memcmp(again, l + 4, n - 4) != 0)
		return -1;
	return 0;
}

/* Byte classes for the fast path of rules_check_name(): 1 letter or digit, 2 '-', 3 '.'. */
static const unsigned char ldh[256] = {['0'] = 1,
    ['1'] = 1,
    ['2'] = 1,
    ['3'] = 1,
    ['4'] = 1,
    ['5'] = 1,
    ['6'] = 1,
    ['7'] = 1,
    ['8'] = 1,
    ['9'] = 1,
    ['a'] = 1,
    ['b'] = 1,
    ['c'] = 1,
    ['d'] = 1,
    ['e'] = 1,
    ['f'] = 1,
    ['g'] = 1,
    ['h'] = 1,
    ['i'] = 1,
    ['j'] = 1,
    ['k'] = 1,
    ['l'] = 1,
    ['m'] = 1,
    ['n'] = 1,
    ['o'] = 1,
    ['p'] = 1,
    ['q'] = 1,
    ['r'] = 1,
    ['s'] = 1,
    ['t'] = 1,
    ['u'] = 1,
    ['v'] = 1,
    ['w'] = 1,
    ['x'] = 1,
    ['y'] = 1,
    ['z'] = 1,
    ['-'] = 2,
    ['.'] = 3};

/*
 * The common case, checked in one pass: LDH labels of 1 to 63 bytes, no
 * hyphen at either end or in positions 3-4, a last label not all digits.
 * Anything else (including xn-- labels) goes to the full check for its message.
 */
static int
plain_name(const char *s, size_t len)
{
	size_t i, start = 0;
	int digits = 1;
	unsigned char k;

	if (len == 0 || len > RULES_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		k = ldh[(unsigned char)s[i]];
		if (k == 1) {
			if (s[i] > '9')
				digits = 0;
			continue;
		}
		if (k == 2) {
			if (i == start || i + 1 == len || s[i + 1] == '.' || i == start + 2 ||
			    i == start + 3)
				return 0;
			digits = 0;
			continue;
		}
		if (k != 3 || i == start || i - start > 63)
			return 0;
		start = i + 1;
		digits = 1;
	}
	return i - start <= 63 && !digits;
}

int
rules_check_name(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i, start = 0, n;
	int alldigit = 1;
	char c[2] = {0, 0};

	if (plain_name(s, len))
		return 0;
	if (len == 0)
		return fail(err, errlen, "empty name%s", "");
	if (len > RULES_NAME_MAX)
		return fail(err, errlen, "name longer than 253 characters%s", "");
	if (s[len - 1] == '.')
		return fail(err, errlen, "trailing dot in name (write names without it)%s", "");
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			c[0] = s[i];
			if (s[i] >= 'A' && s[i] <= 'Z')
				return fail(err, errlen,
				    "uppercase '%s' in name (names are lowercase A-labels)", c);
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
				s[i] == '-'))
				return fail(err, errlen,
				    "character '%s' not allowed in a name (letters, digits, '-' "
				    "only; "
				    "use the A-label of an internationalised name)",
				    c);
			if (!(s[i] >= '0' && s[i] <= '9'))
				alldigit = 0;
			continue;
		}
		n = i - start;
		if (n == 0)
			return fail(err, errlen, "empty label in name%s", "");
		if (n > 63)
			return fail(err, errlen, "label longer than 63 characters%s", "");
		if (s[start] == '-' || s[i - 1] == '-')
			return fail(err, errlen, "label starts or ends with '-'%s", "");
		if (n >= 4 && s[start + 2] == '-' && s[start + 3] == '-') {
			if (s[start] != 'x' || s[start + 1] != 'n')
				return fail(err, errlen,
				    "label with '--' in positions 3-4 that is not an A-label%s",
				    "");
			if (check_alabel(s + start, n) != 0)
				return fail(err, errlen,
				    "label is not a valid A-label (bad punycode)%s", "");
		}
		if (i < len)
			alldigit = 1;
		start = i + 1;
	}
	if (alldigit)
		return fail(err, errlen,
		    "last label is all digits: not a domain name (use an ip entry for addresses)%s",
		    "");
	return 0;
}

/* The path of a URL entry: RFC 3986 path and query characters, normal percent-encoding. */
static int
check_path(const char *p, size_t n, char *err, size_t errlen)
{
	static const char ok[] = "-._~!$&'()*+,;=:@/?";
	char c[2] = {0, 0};
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		c[0] = p[i];
		if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || (p[i] != '\0' && strchr(ok, p[i])))
			continue;
		if (p[i] != '%')
			return fail(err, errlen,
			    "character '%s' not allowed in a URL path (percent-encode it)", c);
		if (i + 2 >= n)
			return fail(err, errlen, "truncated percent-encoding in URL path%s", "");
		hi = (unsigned char)p[i + 1];
		lo = (unsigned char)p[i + 2];
		if (!((hi >= '0' && hi <= '9') || (hi >= 'A' && hi <= 'F')) ||
		    !((lo >= '0' && lo <= '9') || (lo >= 'A' && lo <= 'F')))
			return fail(err, errlen,
			    "percent-encoding in URL path is not two uppercase hex digits%s", "");
		hi = hi <= '9' ? hi - '0' : hi - 'A' + 10;
		lo = lo <= '9' ? lo - '0' : lo - 'A' + 10;
		c[0] = (char)(hi * 16 + lo);
		if ((c[0] >= 'a' && c[0] <= 'z') || (c[0] >= 'A' && c[0] <= 'Z') ||
		    (c[0] >= '0' && c[0] <= '9') || (c[0] != '\0' && strchr("-._~", c[0])))
			return fail(err, errlen,
			    "percent-encoded unreserved character '%s' in URL path (write it "
			    "plainly)",
			    c);
		i += 2;
	}
	return 0;
}

static int
parse_addr(
    const char *value, size_t len, int withlen, struct rule_entry *e, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], back[INET6_ADDRSTRLEN];
	const char *slash;
	size_t alen, i, bits;
	unsigned long plen = 0;
	int v6;

	if (len >= sizeof buf)
		return fail(err, errlen, "address too long%s", "");
	memcpy(buf, value, len);
	buf[len] = '\0';
	slash = memchr(buf, '/', len);
	if (withlen != (slash != NULL))
		return fail(err, errlen,
		    withlen ? "prefix without /length%s"
			    : "address with /length (use a prefix entry)%s",
		    "");
	alen = slash ? (size_t)(slash - buf) : len;
	buf[alen] = '\0';
	v6 = memchr(buf, ':', alen) != NULL;
	memset(e->addr, 0, sizeof e->addr);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, e->addr) != 1)
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 address", buf);
	inet_ntop(v6 ? AF_INET6 : AF_INET, e->addr, back, sizeof back);
	if (strcmp(back, buf) != 0)
		return fail(
		    err, errlen, "address not in normal form (RFC 5952 for IPv6): write %s", back);
	e->type = v6 ? RULE_IPV6 : RULE_IPV4;
	if (!slash) {
		e->plen = v6 ? 128 : 32;
		return 0;
	}
	if (slash[1] == '\0' || (slash[1] == '0' && slash[2] != '\0') || strlen(slash + 1) > 3)
		return fail(err, errlen, "bad prefix length '%s'", slash + 1);
	for (i = 1; slash[i]; i++) {
		if (slash[i] < '0' || slash[i] > '9')
			return fail(err, errlen, "bad prefix length '%s'", slash + 1);
		plen = plen * 10 + (unsigned long)(slash[i] - '0');
	}
	bits = v6 ? 128 : 32;
	if (plen > bits)
		return fail(err, errlen, "prefix length /%s too long", slash + 1);
	if (plen == bits)
		return fail(
		    err, errlen, "a full-length prefix /%s is written as an ip entry", slash + 1);
	e->plen = (uint8_t)plen;
	for (i = plen; i < bits; i++)
		if (e->addr[i / 8] & (0x80 >> (i % 8)))
			return fail(err, errlen, "prefix has host bits set after /%s", slash + 1);
	return 0;
}

/* The type whose keyword is kw[0..kwlen) (for "ip", the first address type), or RULE_NONE. */
static int
type_of_keyword(const char *kw, size_t kwlen)
{
	for (int t = RULE_NONE + 1; t < RULE_NTYPES; t++)
		if (strlen(rule_types[t].keyword) == kwlen &&
		    memcmp(kw, rule_types[t].keyword, kwlen) == 0)
			return t;
	return RULE_NONE;
}

/* "unknown entry kind (domain, suffix, ip, prefix, url)", the keywords from the type table. */
static int
fail_kind(char *err, size_t errlen)
{
	char kinds[256] = "";
	size_t n = 0;

	for (int t = RULE_NONE + 1; t < RULE_NTYPES; t++) {
		if (type_of_keyword(rule_types[t].keyword, strlen(rule_types[t].keyword)) != t)
			continue; /* a keyword shared with an earlier type */
		n += (size_t)snprintf(kinds + n, sizeof(kinds) - n, "%s%s%s%s", n ? ", " : "",
		    rule_types[t].keyword, rule_types[t].bits ? ", " : "",
		    rule_types[t].bits ? prefix_keyword : "");
		if (n >= sizeof(kinds))
			break;
	}
	return fail(err, errlen, "unknown entry kind (%s)", kinds);
}

int
rule_entry_parse_value(const char *kw, size_t kwlen, const char *value, size_t len,
    struct rule_entry *e, char *err, size_t errlen)
{
	const char *slash;
	int t = type_of_keyword(kw, kwlen);

	e->plen = 0;
	if (t == RULE_NONE && kwlen == sizeof(prefix_keyword) - 1 &&
	    memcmp(kw, prefix_keyword, kwlen) == 0)
		return parse_addr(value, len, 1, e, err, errlen);
	switch (t) {
	case RULE_DOMAIN:
	case RULE_SUFFIX:
		e->type = (uint8_t)t;
		return rules_check_name(value, len, err, errlen);
	case RULE_IPV4:
	case RULE_IPV6:
		/* "ip": the family is the value's */
		return parse_addr(value, len, 0, e, err, errlen);
	case RULE_URL:
		e->type = RULE_URL;
		if (len > RULES_URL_MAX)
			return fail(err, errlen, "URL longer than 2048 characters%s", "");
		if (len >= 7 &&
		    (memcmp(value, "http://", 7) == 0 || memcmp(value, "https:/", 7) == 0))
			return fail(
			    err, errlen, "URL entries are host/path without a scheme%s", "");
		slash = memchr(value, '/', len);
		if (slash == NULL)
			return fail(err, errlen,
			    "URL entry without a path (write host/path, or use a domain entry)%s",
			    "");
		if (rules_check_name(value, (size_t)(slash - value), err, errlen) != 0)
			return -1;
		return check_path(slash, len - (size_t)(slash - value), err, errlen);
	default:
		return fail_kind(err, errlen);
	}
}

static int
type_rank(const struct rule_entry *e)
{
	switch (e->type) {
	case RULE_DOMAIN:
		return 0;
	case RULE_SUFFIX:
		return 1;
	case RULE_IPV4:
		return e->plen == 32 ? 2 : 4;
	case RULE_IPV6:
		return e->plen == 128 ? 3 : 5;
	case RULE_URL:
		return 6;
	default: /* types after url come after it, in the table's order */
		return 6 + e->type;
	}
}

int
rule_entry_cmp(
    const struct rule_entry *a, const struct rule_entry *b, const struct rule_order *orders)
{
	int ra = type_rank(a), rb = type_rank(b), c;
	size_t n;

	/* ip entries (v4 then v6) before prefix entries (v4 then v6). */
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->type == RULE_IPV4 || a->type == RULE_IPV6) {
		c = memcmp(a->addr, b->addr, a->type == RULE_IPV4 ? 4 : 16);
		if (c == 0 && a->plen != b->plen)
			c = a->plen < b->plen ? -1 : 1;
	} else {
		n = a->namelen < b->namelen ? a->namelen : b->namelen;
		c = memcmp(a->name, b->name, n);
		if (c == 0 && a->namelen != b->namelen)
			c = a->namelen < b->namelen ? -1 : 1;
	}
	if (c != 0 || a->order == b->order)
		return c;
	return strcmp(orders[a->order].ref, orders[b->order].ref);
}

int
rules_check_ref(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0 || len > RULES_REF_MAX)
		return fail(err, errlen, "order reference must be 1 to 64 characters%s", "");
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || strchr("._:/-", s[i])) ||
		    s[i] == '\0')
			return fail(err, errlen,
			    "order reference may hold only letters, digits and . _ : / -%s", "");
	return 0;
}

int
rules_check_text(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0)
		return fail(err, errlen, "empty value%s", "");
	if (len > RULES_TEXT_MAX)
		return fail(err, errlen, "value longer than 1024 characters%s", "");
	if (s[0] == ' ' || s[len - 1] == ' ')
		return fail(err, errlen, "leading or trailing space in value%s", "");
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return fail(err, errlen, "value holds a control or non-ASCII byte%s", "");
	return 0;
}

int
rules_check_notice_url(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i, skip;

	if (rules_check_text(s, len, err, errlen) != 0)
		return -1;
	if (len > 8 && memcmp(s, "https://", 8) == 0)
		skip = 8;
	else if (len > 7 && memcmp(s, "http://", 7) == 0)
		skip = 7;
	else
		return fail(err, errlen, "notice URL must start with https:// or http://%s", "");
	for (i = skip; i < len; i++)
		if (s[i] == ' ')
			return fail(err, errlen, "space in notice URL (percent-encode it)%s", "");
	return 0;
}

int64_t
rules_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
rules_date_parse(const char *s, size_t len, int64_t *t)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
	    digits(s + 8, 2, &d))
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*t = rules_days_from_civil(y, m, d) * 86400;
	return 0;
}

int
rules_time_parse(const char *s, size_t len, int64_t *t)
{
	unsigned h, mi, se;

	if (len != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (rules_date_parse(s, 10, t) != 0 || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -1;
	if (h > 23 || mi > 59 || se > 59)
		return -1;
	*t += h * 3600 + mi * 60 + se;
	return 0;
}

char *
rules_time_format(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

char *
rules_date_format(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, bufsz, "%Y-%m-%d", &tm);
	return buf;
}

void
rules_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
rules_blake2b512(const void *buf, size_t len, uint8_t out[64])
{
	unsigned int n = 64;

	return EVP_Digest(buf, len, out, &n, EVP_blake2b512(), NULL) == 1 && n == 64 ? 0 : -1;
}

/* The context is libcrypto's; failed is set by a failing update and read at the end. */
struct rules_b2 {
	EVP_MD_CTX *ctx;
	int failed;
};

struct rules_b2 *
rules_b2_new(void)
{
	struct rules_b2 *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->ctx = EVP_MD_CTX_new();
	if (b->ctx == NULL || EVP_DigestInit_ex(b->ctx, EVP_blake2b512(), NULL) != 1) {
		EVP_MD_CTX_free(b->ctx);
		free(b);
		return NULL;
	}
	return b;
}

void
rules_b2_update(struct rules_b2 *b, const void *buf, size_t len)
{
	if (b != NULL && EVP_DigestUpdate(b->ctx, buf, len) != 1)
		b->failed = 1;
}

int
rules_b2_end(struct rules_b2 *b, uint8_t out[64])
{
	unsigned int n = 64;
	int ok;

	if (b == NULL)
		return -1;
	ok = !b->failed && EVP_DigestFinal_ex(b->ctx, out, &n) == 1 && n == 64;
	EVP_MD_CTX_free(b->ctx);
	free(b);
	return ok ? 0 : -1;
}
