/* Compliance across ISPs: enforcement and probe reports per order and day, their gaps, as text and JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "outbuf.h"
#include "rulefmt.h"

void
comp_init(struct comp *c, const char *title)
{
	memset(c, 0, sizeof(*c));
	c->from_day = INT64_MAX;
	c->to_day = INT64_MIN;
	snprintf(c->title, sizeof(c->title), "%s", title ? title : "");
}

void
comp_free(struct comp *c)
{
	size_t i;

	for (i = 0; i < c->nisps; i++)
		free(c->isps[i]);
	for (i = 0; i < c->norders; i++)
		free(c->orders[i]);
	free(c->isps);
	free(c->orders);
	free(c->cells);
	free(c->index);
	free(c->gaps);
	free(c->unjudged);
	free(c->probes);
	memset(c, 0, sizeof(*c));
}

/* Grows *p (of *cap elements of size sz) to hold n + 1. 0 or -1. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *q;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	if ((q = realloc(*p, nc * sz)) == NULL)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

static long
name_index(char ***names, size_t *n, const char *s)
{
	char **q, *d;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*names)[i], s) == 0)
			return (long)i;
	/* Grown one at a time: lists of ISPs and orders are short. */
	if ((d = strdup(s)) == NULL)
		return -1;
	if ((q = realloc(*names, (*n + 1) * sizeof(*q))) == NULL) {
		free(d);
		return -1;
	}
	*names = q;
	q[*n] = d;
	return (long)(*n)++;
}

long
comp_isp(struct comp *c, const char *name)
{
	return name_index(&c->isps, &c->nisps, name);
}

long
comp_order(struct comp *c, const char *ref)
{
	return name_index(&c->orders, &c->norders, ref);
}

static void
see_day(struct comp *c, int64_t day)
{
	if (day < c->from_day)
		c->from_day = day;
	if (day > c->to_day)
		c->to_day = day;
}

static size_t
cell_hash(uint32_t isp, uint32_t order, int64_t day)
{
	uint64_t h = ((uint64_t)isp * 0x9e3779b97f4a7c15ULL) ^
	    ((uint64_t)order * 0xc2b2ae3d27d4eb4fULL) ^ ((uint64_t)day * 0x165667b19e3779f9ULL);

	return (size_t)(h ^ (h >> 29));
}

/* The index rebuilt for cap cells at least (slots twice that, a power of two). 0 or -1. */
static int
reindex(struct comp *c, size_t cap)
{
	size_t n = 64, i, j;
	uint32_t *ix;

	while (n < cap * 2)
		n *= 2;
	if ((ix = calloc(n, sizeof(*ix))) == NULL)
		return -1;
	for (i = 0; i < c->ncells; i++) {
		const struct comp_cell *x = &c->cells[i];
		for (j = cell_hash(x->isp, x->order, x->day) & (n - 1); ix[j];
		     j = (j + 1) & (n - 1))
			;
		ix[j] = (uint32_t)(i + 1);
	}
	free(c->index);
	c->index = ix;
	c->nindex = n;
	return 0;
}

static struct comp_cell *
cell(struct comp *c, uint32_t isp, uint32_t order, int64_t day)
{
	struct comp_cell *x;
	size_t j;

	if (c->nindex > 0) {
		for (j = cell_hash(isp, order, day) & (c->nindex - 1); c->index[j];
		     j = (j + 1) & (c->nindex - 1)) {
			x = &c->cells[c->index[j] - 1];
			if (x->isp == isp && x->order == order && x->day == day)
				return x;
		}
	}
	if (c->ncells >= UINT32_MAX - 1 ||
	    grow((void **)&c->cells, &c->capcells, c->ncells, sizeof(*x)) < 0)
		return NULL;
	x = &c->cells[c->ncells++];
	memset(x, 0, sizeof(*x));
	x->isp = isp;
	x->order = order;
	x->day = day;
	see_day(c, day);
	/* At most half full; a new cell goes into its slot, or the index is rebuilt. */
	if (c->ncells * 2 > c->nindex) {
		if (reindex(c, c->ncells) < 0) {
			c->ncells--;
			return NULL;
		}
	} else {
		for (j = cell_hash(isp, order, day) & (c->nindex - 1); c->index[j];
		     j = (j + 1) & (c->nindex - 1))
			;
		c->index[j] = (uint32_t)c->ncells;
	}
	return x;
}

int
comp_add_blocks(struct comp *c, uint32_t isp, uint32_t order, int64_t day, int method, uint64_t n)
{
	struct comp_cell *x = cell(c, isp, order, day);

	if (x == NULL)
		return -1;
	if (method > PROBE_NONE && method < PROBE_NMETHODS)
		x->blocks[method] += n;
	return 0;
}

static int64_t
day_of(int64_t t)
{
	return (t >= 0 ? t : t - 86399) / 86400;
}

int
comp_add_gap(
    struct comp *c, uint32_t isp, const char *kind, int64_t from, int64_t to, const char *reason)
{
	struct comp_gap *g;

	if (grow((void **)&c->gaps, &c->capgaps, c->ngaps, sizeof(*g)) < 0)
		return -1;
	g = &c->gaps[c->ngaps++];
	memset(g, 0, sizeof(*g));
	g->isp = isp;
	g->from = from;
	g->to = to < from ? from : to;
	snprintf(g->kind, sizeof(g->kind), "%s", kind);
	snprintf(g->reason, sizeof(g->reason), "%s", reason ? reason : "");
	see_day(c, day_of(g->from));
	see_day(c, day_of(g->to > g->from ? g->to - 1 : g->to));
	return 0;
}

int
comp_add_unjudged(struct comp *c, uint32_t isp, int64_t day, uint64_t passed, uint64_t blocked)
{
	struct comp_unjudged *u;

	for (size_t i = 0; i < c->nunjudged; i++)
		if (c->unjudged[i].isp == isp && c->unjudged[i].day == day) {
			c->unjudged[i].passed += passed;
			c->unjudged[i].blocked += blocked;
			return 0;
		}
	if (grow((void **)&c->unjudged, &c->capunjudged, c->nunjudged, sizeof(*u)) < 0)
		return -1;
	u = &c->unjudged[c->nunjudged++];
	u->isp = isp;
	u->day = day;
	u->passed = passed;
	u->blocked = blocked;
	see_day(c, day);
	return 0;
}

int
comp_add_probe(struct comp *c, uint32_t isp, const struct probe_report *r)
{
	int64_t day = day_of(r->started);

	see_day(c, day);
	c->reports++;
	for (size_t i = 0; i < r->n; i++) {
		const struct probe_check *k = &r->checks[i];
		struct comp_probe *p;

		if (k->kind == PROBE_ENTRY) {
			long o = comp_order(c, k->order);
			struct comp_cell *x = o < 0 ? NULL : cell(c, isp, (uint32_t)o, day);
			if (x == NULL)
				return -1;
			if (k->verdict <= PROBE_NOTRUN)
				x->probe[k->verdict]++;
		} else if (k->verdict == PROBE_PASS) {
			continue; /* controls that passed: counted nowhere, not listed */
		}
		if (grow((void **)&c->probes, &c->capprobes, c->nprobes, sizeof(*p)) < 0)
			return -1;
		p = &c->probes[c->nprobes++];
		p->isp = isp;
		p->day = day;
		snprintf(p->vantage, sizeof(p->vantage), "%s", r->vantage);
		p->c = *k;
	}
	return 0;
}

/* One CSV record (RFC 4180) from buf at *pos into f[0..max) (each NUL-terminated in store). */
static int
csv_record(const char *buf, size_t len, size_t *pos, char *store, size_t storecap, char **f,
    size_t max, size_t *nf, size_t *lines)
{
	size_t o = 0, p = *pos;
	int quoted = 0;

	*nf = 0;
	if (max == 0 || storecap == 0)
		return -1;
	f[(*nf)++] = store;
	while (p < len) {
		char ch = buf[p++];
		if (quoted) {
			if (ch == '"' && p < len && buf[p] == '"') {
				p++;
			} else if (ch == '"') {
				quoted = 0;
				continue;
			}
			if (ch == '\n')
				(*lines)++;
		} else if (ch == '"') {
			quoted = 1;
			continue;
		} else if (ch == ',') {
			if (o + 1 >= storecap || *nf == max)
				return -1;
			store[o++] = '\0';
			f[(*nf)++] = store + o;
			continue;
		} else if (ch == '\r' && p < len && buf[p] == '\n') {
			continue;
		} else if (ch == '\n') {
			(*lines)++;
			break;
		}
		if (o + 1 >= storecap)
			return -1;
		store[o++] = ch;
	}
	if (quoted)
		return -1;
	store[o] = '\0';
	*pos = p;
	return 0;
}

static int
u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z": UTC seconds. */
static int
csv_time(const char *s, int64_t *t)
{
	char b[21];

	if (strlen(s) < 20)
		return -1;
	memcpy(b, s, 19);
	b[19] = 'Z';
	b[20] = '\0';
	return rules_time_parse(b, 20, t);
}

static int
csv_day(const char *s, int64_t *day)
{
	int64_t t;

	if (rules_date_parse(s, strlen(s), &t) < 0)
		return -1;
	*day = t / 86400;
	return 0;
}

int
comp_add_csv(struct comp *c, uint32_t isp, const char *buf, size_t len, const char *fname,
    char *err, size_t errlen)
{
	enum { NONE, ENFORCEMENT, COVERAGE, UNJUDGED, OTHER } sec = NONE;
	char store[4096], *f[16];
	size_t pos = 0, nf, line = 0, at;
	int64_t day, t1, t2;
	uint64_t v[5], a, b;

	if (len < 4 || memcmp(buf, "day,", 4) != 0) {
		snprintf(
		    err, errlen, "%s:1: not a blockctl report in CSV (\"day,order,...\")", fname);
		return -1;
	}
	while (pos < len) {
		at = line + 1;
		if (csv_record(buf, len, &pos, store, sizeof(store), f, 16, &nf, &line) < 0) {
			snprintf(err, errlen, "%s:%zu: not a CSV record", fname, at);
			return -1;
		}
		if (nf == 1 && f[0][0] == '\0') {
			sec = NONE;
			continue;
		}
		if (sec == NONE) {
			if (strcmp(f[0], "day") == 0 && nf == 11 && strcmp(f[3], "dns") == 0 &&
			    strcmp(f[7], "ip") == 0)
				sec = ENFORCEMENT;
			else if (strcmp(f[0], "coverage") == 0 && nf == 8)
				sec = COVERAGE;
			else if (strcmp(f[0], "unjudged") == 0 && nf == 5)
				sec = UNJUDGED;
			else
				sec = OTHER;
			continue;
		}
		if (sec == ENFORCEMENT) {
			long o;
			if (strcmp(f[0], "total") == 0)
				continue;
			if (nf != 11 || csv_day(f[0], &day) < 0 || u64(f[3], &v[0]) < 0 ||
			    u64(f[4], &v[1]) < 0 || u64(f[5], &v[2]) < 0 || u64(f[6], &v[3]) < 0 ||
			    u64(f[7], &v[4]) < 0) {
				snprintf(err, errlen,
				    "%s:%zu: expected day,order,service,dns,tls,quic,http,ip,...",
				    fname, at);
				return -1;
			}
			if ((o = comp_order(c, f[1])) < 0)
				goto oom;
			/* The CSV's columns are in enum probe_method's order. */
			for (int m = 0; m < 5; m++)
				if (comp_add_blocks(c, isp, (uint32_t)o, day, PROBE_DNS + m, v[m]) <
				    0)
					goto oom;
		} else if (sec == COVERAGE) {
			if (nf != 8 || csv_time(f[1], &t1) < 0 || csv_time(f[2], &t2) < 0) {
				snprintf(err, errlen,
				    "%s:%zu: expected kind,from,to,... with UTC times", fname, at);
				return -1;
			}
			if (comp_add_gap(c, isp, f[0], t1, t2, f[7]) < 0)
				goto oom;
		} else if (sec == UNJUDGED) {
			if (nf != 5 || csv_day(f[0], &day) < 0 || u64(f[3], &a) < 0 ||
			    u64(f[4], &b) < 0) {
				snprintf(err, errlen,
				    "%s:%zu: expected day,method,reason,passed,blocked", fname, at);
				return -1;
			}
			if (comp_add_unjudged(c, isp, day, a, b) < 0)
				goto oom;
		}
	}
	c->reports++;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", fname);
	return -1;
}

static int
cell_cmp(const void *pa, const void *pb)
{
	const struct comp_cell *a = pa, *b = pb;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->isp < b->isp ? -1 : a->isp > b->isp;
}

static int
gap_cmp(const void *pa, const void *pb)
{
	const struct comp_gap *a = pa, *b = pb;

	if (a->isp != b->isp)
		return a->isp < b->isp ? -1 : 1;
	return a->from < b->from ? -1 : a->from > b->from;
}

static int
probe_cmp(const void *pa, const void *pb)
{
	const struct comp_probe *a = pa, *b = pb;
	int r;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->isp != b->isp)
		return a->isp < b->isp ? -1 : 1;
	if ((r = strcmp(a->c.order, b->c.order)) != 0)
		return r;
	if ((r = strcmp(a->c.target, b->c.target)) != 0)
		return r;
	return (int)a->c.method - (int)b->c.method;
}

/* An empty cell for each day of the period an order and ISP with cells have none. */
static int
fill_days(struct comp *c)
{
	size_t n0 = c->ncells, i;
	uint8_t *seen;
	int64_t days, d;

	if (n0 == 0 || c->from_day > c->to_day)
		return 0;
	days = c->to_day - c->from_day + 1;
	if (days > 3660 || (double)days * (double)c->norders * (double)c->nisps > COMP_FILL_MAX)
		return 0;
	if ((seen = calloc(c->norders * c->nisps, 1)) == NULL)
		return -1;
	for (i = 0; i < n0; i++)
		seen[(size_t)c->cells[i].order * c->nisps + c->cells[i].isp] = 1;
	for (i = 0; i < c->norders * c->nisps; i++) {
		if (!seen[i])
			continue;
		for (d = c->from_day; d <= c->to_day; d++)
			if (cell(c, (uint32_t)(i % c->nisps), (uint32_t)(i / c->nisps), d) ==
			    NULL) {
				free(seen);
				return -1;
			}
	}
	free(seen);
	return 0;
}

int
comp_sort(struct comp *c)
{
	if (fill_days(c) < 0)
		return -1;
	/* Sorting moves the cells: the index is dropped (a later cell() starts it again). */
	free(c->index);
	c->index = NULL;
	c->nindex = 0;
	if (c->ncells)
		qsort(c->cells, c->ncells, sizeof(*c->cells), cell_cmp);
	if (c->ngaps)
		qsort(c->gaps, c->ngaps, sizeof(*c->gaps), gap_cmp);
	if (c->nprobes)
		qsort(c->probes, c->nprobes, sizeof(*c->probes), probe_cmp);
	return 0;
}

int
comp_status(const struct comp_cell *x)
{
	uint64_t blocks = 0;

	if (x->probe[PROBE_FAIL] > 0)
		return COMP_FAILING;
	if (x->probe[PROBE_PASS] > 0)
		return COMP_ENFORCED;
	for (int m = 0; m < PROBE_NMETHODS; m++)
		blocks += x->blocks[m];
	return blocks > 0 ? COMP_LOGGED : COMP_NODATA;
}

const char *
comp_status_name(int s)
{
	static const char *const n[] = {"no data", "enforced", "failing", "blocks logged"};

	return s >= 0 && s <= COMP_LOGGED ? n[s] : "?";
}

int64_t
comp_gap_seconds(const struct comp *c, uint32_t isp, int64_t day)
{
	int64_t d0 = day * 86400, d1 = d0 + 86400, covered = 0, upto = d0;

	/* Gaps are sorted by start (comp_sort()): overlaps counted once. */
	for (size_t i = 0; i < c->ngaps; i++) {
		const struct comp_gap *g = &c->gaps[i];
		int64_t a = g->from > upto ? g->from : upto, b = g->to < d1 ? g->to : d1;
		if (g->isp != isp || b <= a)
			continue;
		covered += b - a;
		upto = b;
	}
	return covered;
}

static void
json_str(struct outbuf *b, const char *s)
{
	outbuf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			outbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			outbuf_printf(b, "\\u%04x", ch);
		else
			outbuf_printf(b, "%c", ch);
	}
	outbuf_printf(b, "\"");
}

static void
text_safe(struct outbuf *b, const char *s)
{
	for (; *s; s++)
		outbuf_printf(b, "%c", (unsigned char)*s < 0x20 ? ' ' : *s);
}

static const char *
dayfmt(int64_t day, char *buf, size_t len)
{
	return rules_date_format(day * 86400, buf, len);
}

static void
write_text(const struct comp *c, const char *refused, struct outbuf *b)
{
	char d[16], t1[32], t2[32];
	size_t i;
	int m;

	outbuf_printf(b, "%s: %zu reports from %zu ISPs\n", c->title[0] ? c->title : "compliance",
	    c->reports, c->nisps);
	if (refused && *refused)
		outbuf_printf(b, "refused:\n%s", refused);
	for (i = 0; i < c->ncells; i++) {
		const struct comp_cell *x = &c->cells[i];
		if (i == 0 || x->order != c->cells[i - 1].order)
			outbuf_printf(b, "\norder %s\n", c->orders[x->order]);
		outbuf_printf(b, "  %s  %-16s %-14s blocks", dayfmt(x->day, d, sizeof(d)),
		    c->isps[x->isp], comp_status_name(comp_status(x)));
		for (m = PROBE_DNS; m < PROBE_NMETHODS; m++)
			outbuf_printf(b, " %s %" PRIu64, probe_method_name(m), x->blocks[m]);
		outbuf_printf(b, "  probe pass %u fail %u error %u skipped %u",
		    x->probe[PROBE_PASS], x->probe[PROBE_FAIL], x->probe[PROBE_ERRORED],
		    x->probe[PROBE_NOTRUN]);
		int64_t gs = comp_gap_seconds(c, x->isp, x->day);
		if (gs > 0)
			outbuf_printf(b, "  gaps %" PRId64 " s", gs);
		outbuf_printf(b, "\n");
	}
	outbuf_printf(b, "\ncoverage gaps: %zu\n", c->ngaps);
	for (i = 0; i < c->ngaps; i++) {
		const struct comp_gap *g = &c->gaps[i];
		outbuf_printf(b, "  %-16s %-14s %s to %s (%" PRId64 " s) ", c->isps[g->isp],
		    g->kind, rules_time_format(g->from, t1, sizeof(t1)),
		    rules_time_format(g->to, t2, sizeof(t2)), g->to - g->from);
		text_safe(b, g->reason);
		outbuf_printf(b, "\n");
	}
	for (int pass = 0; pass < 2; pass++) {
		size_t n = 0;
		for (i = 0; i < c->nprobes; i++)
			n += c->probes[i].c.verdict == (pass ? PROBE_OVERBLOCKED : PROBE_FAIL);
		outbuf_printf(b, "\n%s: %zu\n", pass ? "overblocking found" : "probe failures", n);
		for (i = 0; i < c->nprobes; i++) {
			const struct comp_probe *p = &c->probes[i];
			if (p->c.verdict != (pass ? PROBE_OVERBLOCKED : PROBE_FAIL))
				continue;
			outbuf_printf(b, "  %s  %-16s %-14s %-4s ", dayfmt(p->day, d, sizeof(d)),
			    c->isps[p->isp], p->c.order[0] ? p->c.order : "(control)",
			    probe_method_name(p->c.method));
			text_safe(b, p->c.target);
			outbuf_printf(b, ": ");
			text_safe(b, p->c.detail);
			outbuf_printf(b, "\n");
		}
	}
}

static void
write_json(const struct comp *c, const char *refused, struct outbuf *b)
{
	char d[16], t1[32], t2[32];
	size_t i;
	int m;

	outbuf_printf(b, "{\"title\":");
	json_str(b, c->title);
	outbuf_printf(b, ",\"reports\":%zu,\"isps\":[", c->reports);
	for (i = 0; i < c->nisps; i++) {
		outbuf_printf(b, "%s", i ? "," : "");
		json_str(b, c->isps[i]);
	}
	outbuf_printf(b, "],\n\"refused\":[");
	for (const char *p = refused; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		outbuf_printf(b, "%s", p != refused ? "," : "");
		json_str(b, line);
		p += l + (nl != NULL);
	}
	outbuf_printf(b, "],\n\"enforcement\":[");
	for (i = 0; i < c->ncells; i++) {
		const struct comp_cell *x = &c->cells[i];
		outbuf_printf(b, "%s\n{\"order\":", i ? "," : "");
		json_str(b, c->orders[x->order]);
		outbuf_printf(b, ",\"day\":\"%s\",\"isp\":", dayfmt(x->day, d, sizeof(d)));
		json_str(b, c->isps[x->isp]);
		outbuf_printf(
		    b, ",\"status\":\"%s\",\"blocks\":{", comp_status_name(comp_status(x)));
		for (m = PROBE_DNS; m < PROBE_NMETHODS; m++)
			outbuf_printf(b, "%s\"%s\":%" PRIu64, m > PROBE_DNS ? "," : "",
			    probe_method_name(m), x->blocks[m]);
		outbuf_printf(b,
		    "},\"probe\":{\"pass\":%u,\"fail\":%u,\"error\":%u,\"skipped\":%u},"
		    "\"gap_seconds\":%" PRId64 "}",
		    x->probe[PROBE_PASS], x->probe[PROBE_FAIL], x->probe[PROBE_ERRORED],
		    x->probe[PROBE_NOTRUN], comp_gap_seconds(c, x->isp, x->day));
	}
	outbuf_printf(b, "],\n\"coverage\":[");
	for (i = 0; i < c->ngaps; i++) {
		const struct comp_gap *g = &c->gaps[i];
		outbuf_printf(b, "%s\n{\"isp\":", i ? "," : "");
		json_str(b, c->isps[g->isp]);
		outbuf_printf(b, ",\"kind\":");
		json_str(b, g->kind);
		outbuf_printf(b,
		    ",\"from\":\"%s\",\"to\":\"%s\",\"seconds\":%" PRId64 ",\"reason\":",
		    rules_time_format(g->from, t1, sizeof(t1)),
		    rules_time_format(g->to, t2, sizeof(t2)), g->to - g->from);
		json_str(b, g->reason);
		outbuf_printf(b, "}");
	}
	outbuf_printf(b, "],\n\"probe_results\":[");
	for (i = 0; i < c->nprobes; i++) {
		const struct comp_probe *p = &c->probes[i];
		outbuf_printf(
		    b, "%s\n{\"day\":\"%s\",\"isp\":", i ? "," : "", dayfmt(p->day, d, sizeof(d)));
		json_str(b, c->isps[p->isp]);
		outbuf_printf(b, ",\"vantage\":");
		json_str(b, p->vantage);
		outbuf_printf(b, ",\"kind\":\"%s\",\"order\":", probe_kind_name(p->c.kind));
		json_str(b, p->c.order);
		outbuf_printf(b, ",\"method\":\"%s\",\"target\":", probe_method_name(p->c.method));
		json_str(b, p->c.target);
		outbuf_printf(
		    b, ",\"verdict\":\"%s\",\"detail\":", probe_verdict_name(p->c.verdict));
		json_str(b, p->c.detail);
		outbuf_printf(b, "}");
	}
	outbuf_printf(b, "]}\n");
}

char *
comp_format(const struct comp *c, int json, const char *refused, size_t *lenp)
{
	struct outbuf b = {.cap = 4096 + c->ncells * 200 + c->nprobes * 300 + c->ngaps * 300};

	if ((b.p = malloc(b.cap)) == NULL)
		return NULL;
	b.p[0] = '\0';
	if (json)
		write_json(c, refused, &b);
	else
		write_text(c, refused, &b);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}
