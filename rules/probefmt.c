/* The compliance probe's report: one check per entry or control and method, as text and JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"
#include "probefmt.h"
#include "rulefmt.h"

static const char *const method_names[] = {NULL,
#define PROBE_METHOD_NAME(id, name) name,
    PROBE_METHODS(PROBE_METHOD_NAME)
#undef PROBE_METHOD_NAME
};
static const char *const outcome_names[] = {NULL, "blocked", "open", "error", "skipped"};
static const char *const verdict_names[] = {
    NULL, "pass", "fail", "overblocked", "error", "skipped"};
static const char *const kind_names[] = {NULL, "entry", "control"};

static const char *
name_of(const char *const *tab, size_t n, int v)
{
	return v > 0 && (size_t)v < n ? tab[v] : NULL;
}
#define NAME_OF(tab, v) name_of((tab), sizeof(tab) / sizeof((tab)[0]), (v))

const char *
probe_method_name(int v)
{
	return NAME_OF(method_names, v);
}
const char *
probe_outcome_name(int v)
{
	return NAME_OF(outcome_names, v);
}
const char *
probe_verdict_name(int v)
{
	return NAME_OF(verdict_names, v);
}
const char *
probe_kind_name(int v)
{
	return NAME_OF(kind_names, v);
}

static int
name_from(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(tab[i], s) == 0)
			return (int)i;
	return 0;
}
#define FROM(tab, s) name_from((tab), sizeof(tab) / sizeof((tab)[0]), (s))

int
probe_method_from(const char *s)
{
	return FROM(method_names, s);
}

int
probe_verdict_of(int kind, int outcome)
{
	switch (outcome) {
	case PROBE_BLOCKED:
		return kind == PROBE_ENTRY ? PROBE_PASS : PROBE_OVERBLOCKED;
	case PROBE_OPEN:
		return kind == PROBE_ENTRY ? PROBE_FAIL : PROBE_PASS;
	case PROBE_SKIPPED:
		return PROBE_NOTRUN;
	default:
		return PROBE_ERRORED;
	}
}

int
probe_add(struct probe_report *r, const struct probe_check *c)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct probe_check *p = realloc(r->checks, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		r->checks = p;
		r->cap = cap;
	}
	r->checks[r->n++] = *c;
	return 0;
}

void
probe_report_free(struct probe_report *r)
{
	free(r->checks);
	r->checks = NULL;
	r->n = r->cap = 0;
}

size_t
probe_count(const struct probe_report *r, int v)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += v == 0 || r->checks[i].verdict == v;
	return n;
}

/* A field for the text form: "-" when empty, tabs and line breaks as spaces. */
static void
text_field(struct outbuf *b, const char *s)
{
	if (*s == '\0') {
		outbuf_printf(b, "-");
		return;
	}
	for (; *s; s++)
		outbuf_printf(b, "%c", *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void
json_str(struct outbuf *b, const char *s)
{
	outbuf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			outbuf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			outbuf_printf(b, "\\u%04x", c);
		else
			outbuf_printf(b, "%c", c);
	}
	outbuf_printf(b, "\"");
}

static void
write_text(const struct probe_report *r, struct outbuf *b)
{
	char t1[32], t2[32];

	outbuf_printf(b, "blockd-probe 1\nvantage\t");
	text_field(b, r->vantage);
	outbuf_printf(b, "\nlist\t%" PRIu64 "\t", r->serial);
	text_field(b, r->issuer);
	outbuf_printf(b, "\nresolver\t");
	text_field(b, r->resolver);
	outbuf_printf(b, "\nstarted\t%s\nfinished\t%s\n",
	    rules_time_format(r->started, t1, sizeof(t1)),
	    rules_time_format(r->finished, t2, sizeof(t2)));
	for (size_t i = 0; i < r->n; i++) {
		const struct probe_check *c = &r->checks[i];
		outbuf_printf(b, "check\t%s\t", probe_kind_name(c->kind));
		text_field(b, c->order);
		outbuf_printf(b, "\t%s\t", probe_method_name(c->method));
		text_field(b, c->target);
		outbuf_printf(b, "\t");
		text_field(b, c->addr);
		outbuf_printf(b, "\t%s\t%s\t", probe_outcome_name(c->outcome),
		    probe_verdict_name(c->verdict));
		text_field(b, c->detail);
		outbuf_printf(b, "\n");
	}
	outbuf_printf(b,
	    "summary\tchecks %zu\tpass %zu\tfail %zu\toverblocked %zu\terror %zu\tskipped %zu\n",
	    r->n, probe_count(r, PROBE_PASS), probe_count(r, PROBE_FAIL),
	    probe_count(r, PROBE_OVERBLOCKED), probe_count(r, PROBE_ERRORED),
	    probe_count(r, PROBE_NOTRUN));
}

static void
write_json(const struct probe_report *r, struct outbuf *b)
{
	char t1[32], t2[32];

	outbuf_printf(b, "{\"vantage\":");
	json_str(b, r->vantage);
	outbuf_printf(b, ",\"list\":{\"serial\":%" PRIu64 ",\"issuer\":", r->serial);
	json_str(b, r->issuer);
	outbuf_printf(b, "},\"resolver\":");
	json_str(b, r->resolver);
	outbuf_printf(b, ",\"started\":\"%s\",\"finished\":\"%s\",\n\"checks\":[",
	    rules_time_format(r->started, t1, sizeof(t1)),
	    rules_time_format(r->finished, t2, sizeof(t2)));
	for (size_t i = 0; i < r->n; i++) {
		const struct probe_check *c = &r->checks[i];
		outbuf_printf(
		    b, "%s\n{\"kind\":\"%s\",\"order\":", i ? "," : "", probe_kind_name(c->kind));
		json_str(b, c->order);
		outbuf_printf(b, ",\"method\":\"%s\",\"target\":", probe_method_name(c->method));
		json_str(b, c->target);
		outbuf_printf(b, ",\"address\":");
		json_str(b, c->addr);
		outbuf_printf(b, ",\"outcome\":\"%s\",\"verdict\":\"%s\",\"detail\":",
		    probe_outcome_name(c->outcome), probe_verdict_name(c->verdict));
		json_str(b, c->detail);
		outbuf_printf(b, "}");
	}
	outbuf_printf(b,
	    "],\n\"summary\":{\"checks\":%zu,\"pass\":%zu,\"fail\":%zu,\"overblocked\":%zu,"
	    "\"error\":%zu,\"skipped\":%zu}}\n",
	    r->n, probe_count(r, PROBE_PASS), probe_count(r, PROBE_FAIL),
	    probe_count(r, PROBE_OVERBLOCKED), probe_count(r, PROBE_ERRORED),
	    probe_count(r, PROBE_NOTRUN));
}

char *
probe_format(const struct probe_report *r, int json, size_t *lenp)
{
	struct outbuf b = {.cap = 1024 + r->n * 160};

	if ((b.p = malloc(b.cap)) == NULL)
		return NULL;
	b.p[0] = '\0';
	if (json)
		write_json(r, &b);
	else
		write_text(r, &b);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}

/* Splits line (NUL-terminated, modified) at tabs into f[0..max); returns the count. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return line == NULL ? n : max + 1;
}

/* dst gets src, "-" read as "": 0, or -1 if it does not fit. */
static int
field_copy(char *dst, size_t cap, const char *src)
{
	if (strcmp(src, "-") == 0)
		src = "";
	if (strlen(src) >= cap)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int
parse_time(const char *s, int64_t *t)
{
	return rules_time_parse(s, strlen(s), t);
}

int
probe_parse(const char *buf, size_t len, const char *fname, struct probe_report *r, char *err,
    size_t errlen)
{
	static const char *const heads[] = {"vantage", "list", "resolver", "started", "finished"};
	char line[2048], *f[10];
	size_t pos = 0, lineno = 0, nf, want = 0;
	int summary = 0;

	memset(r, 0, sizeof(*r));
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l;
		struct probe_check c = {0};

		lineno++;
		if (nl == NULL) {
			snprintf(err, errlen, "%s:%zu: the last line does not end", fname, lineno);
			goto bad;
		}
		l = (size_t)(nl - (buf + pos));
		if (l >= sizeof(line) || memchr(buf + pos, '\0', l) != NULL) {
			snprintf(err, errlen, "%s:%zu: line too long or holds a NUL byte", fname,
			    lineno);
			goto bad;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (summary) {
			snprintf(err, errlen, "%s:%zu: text after the summary", fname, lineno);
			goto bad;
		}
		if (lineno == 1) {
			if (strcmp(line, "blockd-probe 1") != 0) {
				snprintf(err, errlen,
				    "%s:1: not a probe report (\"blockd-probe 1\")", fname);
				goto bad;
			}
			continue;
		}
		nf = split_tabs(line, f, 10);
		if (want < 5) {
			if (strcmp(f[0], heads[want]) != 0 || nf != (want == 1 ? 3u : 2u)) {
				snprintf(err, errlen, "%s:%zu: expected the \"%s\" line", fname,
				    lineno, heads[want]);
				goto bad;
			}
			int ok = 0;
			char *end;
			switch (want) {
			case 0:
				ok = field_copy(r->vantage, sizeof(r->vantage), f[1]) == 0;
				break;
			case 1:
				r->serial = strtoull(f[1], &end, 10);
				ok = *f[1] != '\0' && *end == '\0' &&
				    field_copy(r->issuer, sizeof(r->issuer), f[2]) == 0;
				break;
			case 2:
				ok = field_copy(r->resolver, sizeof(r->resolver), f[1]) == 0;
				break;
			case 3:
				ok = parse_time(f[1], &r->started) == 0;
				break;
			default:
				ok = parse_time(f[1], &r->finished) == 0;
			}
			if (!ok) {
				snprintf(err, errlen, "%s:%zu: bad %s value", fname, lineno,
				    heads[want]);
				goto bad;
			}
			want++;
			continue;
		}
		if (strcmp(f[0], "summary") == 0) {
			summary = 1;
			continue;
		}
		if (strcmp(f[0], "check") != 0 || nf != 9) {
			snprintf(err, errlen, "%s:%zu: expected a check line of 9 fields", fname,
			    lineno);
			goto bad;
		}
		c.kind = (uint8_t)FROM(kind_names, f[1]);
		c.method = (uint8_t)probe_method_from(f[3]);
		c.outcome = (uint8_t)FROM(outcome_names, f[6]);
		c.verdict = (uint8_t)FROM(verdict_names, f[7]);
		if (c.kind == 0 || c.method == 0 || c.outcome == 0 || c.verdict == 0) {
			snprintf(err, errlen, "%s:%zu: unknown kind, method, outcome or verdict",
			    fname, lineno);
			goto bad;
		}
		if (c.verdict != probe_verdict_of(c.kind, c.outcome)) {
			snprintf(err, errlen, "%s:%zu: verdict %s does not follow from %s %s",
			    fname, lineno, f[7], f[1], f[6]);
			goto bad;
		}
		if (field_copy(c.order, sizeof(c.order), f[2]) != 0 ||
		    field_copy(c.target, sizeof(c.target), f[4]) != 0 ||
		    field_copy(c.addr, sizeof(c.addr), f[5]) != 0 ||
		    field_copy(c.detail, sizeof(c.detail), f[8]) != 0) {
			snprintf(err, errlen, "%s:%zu: a field is too long", fname, lineno);
			goto bad;
		}
		if (probe_add(r, &c) != 0) {
			snprintf(err, errlen, "%s: out of memory", fname);
			goto bad;
		}
	}
	if (!summary) {
		snprintf(err, errlen, "%s:%zu: no summary line (cut short?)", fname, lineno);
		goto bad;
	}
	return 0;
bad:
	probe_report_free(r);
	return -1;
}
