/* JSON for the enforcement log: escape and write one object into a fixed buffer, parse one back. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void
jbuf_init(struct jbuf *jb, char *mem, size_t cap)
{
	jb->p = mem;
	jb->len = 0;
	jb->cap = cap;
	jb->overflow = 0;
	jb->first = 1;
	if (cap > 0)
		mem[0] = '\0';
}

void
jbuf_raw(struct jbuf *jb, const char *s, size_t len)
{
	/* Keep one byte for the terminating NUL. */
	if (jb->overflow || len >= jb->cap - jb->len) {
		jb->overflow = 1;
		return;
	}
	memcpy(jb->p + jb->len, s, len);
	jb->len += len;
	jb->p[jb->len] = '\0';
}

static void
jbuf_c(struct jbuf *jb, char c)
{
	jbuf_raw(jb, &c, 1);
}

void
jbuf_open(struct jbuf *jb)
{
	jbuf_c(jb, '{');
	jb->first = 1;
}

void
jbuf_close(struct jbuf *jb)
{
	jbuf_c(jb, '}');
	jb->first = 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values above U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
jbuf_str(struct jbuf *jb, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, run, n;

	jbuf_c(jb, '"');
	while (i < len) {
		/* Copy runs of bytes that need no escaping in one go. */
		run = i;
		while (
		    run < len && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
			run++;
		if (run > i) {
			jbuf_raw(jb, s + i, run - i);
			i = run;
			continue;
		}
		switch (u[i]) {
		case '"':
			jbuf_raw(jb, "\\\"", 2);
			break;
		case '\\':
			jbuf_raw(jb, "\\\\", 2);
			break;
		case '\n':
			jbuf_raw(jb, "\\n", 2);
			break;
		case '\r':
			jbuf_raw(jb, "\\r", 2);
			break;
		case '\t':
			jbuf_raw(jb, "\\t", 2);
			break;
		default:
			if (u[i] < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
				jbuf_raw(jb, esc, 6);
				break;
			}
			n = utf8_len(u + i, len - i);
			if (n == 0) {
				jbuf_raw(jb, "\\ufffd", 6);
				break;
			}
			jbuf_raw(jb, s + i, n);
			i += n;
			continue;
		}
		i++;
	}
	jbuf_c(jb, '"');
}

void
jbuf_key(struct jbuf *jb, const char *key)
{
	if (!jb->first)
		jbuf_c(jb, ',');
	jb->first = 0;
	jbuf_str(jb, key, strlen(key));
	jbuf_c(jb, ':');
}

void
jbuf_kstr(struct jbuf *jb, const char *key, const char *s)
{
	jbuf_key(jb, key);
	jbuf_str(jb, s, strlen(s));
}

void
jbuf_kuint(struct jbuf *jb, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	jbuf_key(jb, key);
	jbuf_raw(jb, num, (size_t)n);
}

void
jbuf_kint(struct jbuf *jb, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	jbuf_key(jb, key);
	jbuf_raw(jb, num, (size_t)n);
}

void
jbuf_kbool(struct jbuf *jb, const char *key, int v)
{
	jbuf_key(jb, key);
	if (v)
		jbuf_raw(jb, "true", 4);
	else
		jbuf_raw(jb, "false", 5);
}

void
jbuf_kobj(struct jbuf *jb, const char *key)
{
	jbuf_key(jb, key);
	jbuf_open(jb);
}

/* The parser: a cursor over the input and a bump allocator over sb. */
struct jparse {
	const char *s;
	size_t len, i;
	char *sb;
	size_t sbcap, sblen;
	struct jfield *f;
	size_t maxf, nf;
	const char *err;
};

#define JSON_DEPTH_MAX 4

static void
skip_ws(struct jparse *p)
{
	while (p->i < p->len &&
	    (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
sb_put(struct jparse *p, const char *s, size_t n)
{
	if (n > p->sbcap - p->sblen) {
		p->err = "record too large";
		return -1;
	}
	memcpy(p->sb + p->sblen, s, n);
	p->sblen += n;
	return 0;
}

static int
hex4(const char *s, uint32_t *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++) {
		char c = s[k];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int
put_utf8(struct jparse *p, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sb_put(p, u, n);
}

/* Parses a string at p->i into sb (NUL-terminated); *out points at it. */
static int
parse_string(struct jparse *p, const char **out, size_t *outlen)
{
	size_t start = p->sblen;
	uint32_t cp, lo;

	if (p->i >= p->len || p->s[p->i] != '"') {
		p->err = "expected a string";
		return -1;
	}
	p->i++;
	for (;;) {
		size_t run = p->i;
		unsigned char c;

		while (run < p->len && p->s[run] != '"' && p->s[run] != '\\' &&
		    (unsigned char)p->s[run] >= 0x20)
			run++;
		if (sb_put(p, p->s + p->i, run - p->i) < 0)
			return -1;
		p->i = run;
		if (p->i >= p->len) {
			p->err = "unterminated string";
			return -1;
		}
		c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20) {
			p->err = "control character in a string";
			return -1;
		}
		/* A backslash escape. */
		if (p->i + 1 >= p->len) {
			p->err = "unterminated string";
			return -1;
		}
		c = (unsigned char)p->s[p->i + 1];
		p->i += 2;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			if (sb_put(p, (const char *)&c, 1) < 0)
				return -1;
			break;
		case 'b':
			if (sb_put(p, "\b", 1) < 0)
				return -1;
			break;
		case 'f':
			if (sb_put(p, "\f", 1) < 0)
				return -1;
			break;
		case 'n':
			if (sb_put(p, "\n", 1) < 0)
				return -1;
			break;
		case 'r':
			if (sb_put(p, "\r", 1) < 0)
				return -1;
			break;
		case 't':
			if (sb_put(p, "\t", 1) < 0)
				return -1;
			break;
		case 'u':
			if (p->i + 4 > p->len || hex4(p->s + p->i, &cp) < 0) {
				p->err = "bad \\u escape";
				return -1;
			}
			p->i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->i + 6 > p->len || p->s[p->i] != '\\' ||
				    p->s[p->i + 1] != 'u' || hex4(p->s + p->i + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					p->err = "unpaired surrogate";
					return -1;
				}
				p->i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				p->err = "unpaired surrogate";
				return -1;
			}
			if (put_utf8(p, cp) < 0)
				return -1;
			break;
		default:
			p->err = "bad escape";
			return -1;
		}
	}
	*outlen = p->sblen - start;
	if (sb_put(p, "", 1) < 0)
		return -1;
	*out = p->sb + start;
	return 0;
}

static int
parse_number(struct jparse *p, const char **out, size_t *outlen)
{
	size_t start = p->i, digits = 0;

	if (p->i < p->len && p->s[p->i] == '-')
		p->i++;
	while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		p->i++;
		digits++;
	}
	if (digits == 0) {
		p->err = "bad value";
		return -1;
	}
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		digits = 0;
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
			p->i++;
			digits++;
		}
		if (digits == 0) {
			p->err = "bad number";
			return -1;
		}
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		digits = 0;
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
			p->i++;
			digits++;
		}
		if (digits == 0) {
			p->err = "bad number";
			return -1;
		}
	}
	*out = p->sb + p->sblen;
	*outlen = p->i - start;
	if (sb_put(p, p->s + start, p->i - start) < 0 || sb_put(p, "", 1) < 0)
		return -1;
	return 0;
}

static int
literal(struct jparse *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0) {
		p->err = "bad value";
		return -1;
	}
	p->i += n;
	return 0;
}

static int
parse_object(struct jparse *p, const char *prefix, size_t plen, int depth)
{
	if (depth > JSON_DEPTH_MAX) {
		p->err = "objects nested too deep";
		return -1;
	}
	if (p->i >= p->len || p->s[p->i] != '{') {
		p->err = "expected an object";
		return -1;
	}
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
		return 0;
	}
	for (;;) {
		const char *key, *val = NULL;
		size_t klen, vlen = 0, kstart;
		int type;

		skip_ws(p);
		/* The full key "prefix.key" is built in sb ahead of the value. */
		kstart = p->sblen;
		if (plen > 0 && (sb_put(p, prefix, plen) < 0 || sb_put(p, ".", 1) < 0))
			return -1;
		if (parse_string(p, &key, &klen) < 0)
			return -1;
		if (memchr(key, '\0', klen) != NULL) {
			p->err = "NUL in a key";
			return -1;
		}
		key = p->sb + kstart;
		klen = p->sblen - kstart - 1;
		skip_ws(p);
		if (p->i >= p->len || p->s[p->i] != ':') {
			p->err = "expected ':'";
			return -1;
		}
		p->i++;
		skip_ws(p);
		if (p->i >= p->len) {
			p->err = "truncated";
			return -1;
		}
		switch (p->s[p->i]) {
		case '{':
			if (parse_object(p, key, klen, depth + 1) < 0)
				return -1;
			type = 0;
			break;
		case '"':
			type = JSON_STRING;
			if (parse_string(p, &val, &vlen) < 0)
				return -1;
			break;
		case 't':
			type = JSON_TRUE;
			if (literal(p, "true") < 0)
				return -1;
			break;
		case 'f':
			type = JSON_FALSE;
			if (literal(p, "false") < 0)
				return -1;
			break;
		case 'n':
			type = JSON_NULL;
			if (literal(p, "null") < 0)
				return -1;
			break;
		case '[':
			p->err = "arrays are not expected";
			return -1;
		default:
			type = JSON_NUMBER;
			if (parse_number(p, &val, &vlen) < 0)
				return -1;
			break;
		}
		if (type != 0) {
			if (p->nf >= p->maxf) {
				p->err = "too many fields";
				return -1;
			}
			p->f[p->nf].key = key;
			p->f[p->nf].val = val ? val : "";
			p->f[p->nf].vlen = vlen;
			p->f[p->nf].type = type;
			p->nf++;
		}
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == '}') {
			p->i++;
			return 0;
		}
		p->err = "expected ',' or '}'";
		return -1;
	}
}

int
json_parse_flat(const char *s, size_t len, struct jfield *f, size_t maxf, char *sb, size_t sbcap,
    const char **err)
{
	struct jparse p = {
	    .s = s, .len = len, .sb = sb, .sbcap = sbcap, .f = f, .maxf = maxf, .err = "bad JSON"};

	skip_ws(&p);
	if (parse_object(&p, "", 0, 1) < 0) {
		*err = p.err;
		return -1;
	}
	skip_ws(&p);
	if (p.i != p.len) {
		*err = "text after the object";
		return -1;
	}
	return (int)p.nf;
}

const struct jfield *
json_get(const struct jfield *f, int n, const char *key)
{
	int k;

	for (k = 0; k < n; k++)
		if (strcmp(f[k].key, key) == 0)
			return &f[k];
	return NULL;
}

void
json_fstr(FILE *out, const char *s)
{
	char mem[6 * 256 + 8];
	struct jbuf jb;
	size_t len = strlen(s), n;

	fputc('"', out);
	while (len > 0) {
		/* Chunks end on a UTF-8 lead byte so no character is split. */
		n = len > 256 ? 256 : len;
		while (n < len && n > 1 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		jbuf_init(&jb, mem, sizeof(mem));
		jbuf_str(&jb, s, n);
		fwrite(jb.p + 1, 1, jb.len - 2, out);
		s += n;
		len -= n;
	}
	fputc('"', out);
}
