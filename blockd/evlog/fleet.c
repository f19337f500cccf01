/* Fleet reports: several appliances' logs as one report, and the periods when none of them enforced. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "fleet.h"

struct fleet_builder {
	int64_t from_us, to_us;
	struct report_builder *sum;         /* the fleet's counts: every appliance merged into it */
	struct report_builder *cur;         /* the appliance being read; NULL before the first */
	uint64_t nrec, first_seq, last_seq; /* of cur */
	struct report_member *members;      /* the appliances read before cur */
	char **labels;                      /* labels[i] of members[i], then cur's */
	size_t nmembers, nlabels, cap;
	int failed;
};

int
fleet_gap_stops(int kind)
{
	switch (kind) {
	case GAP_NO_LOG:
	case GAP_DOWN:
	case GAP_FAILOPEN:
	case GAP_EXPIRED:
	case GAP_WITHDRAWN:
		return 1;
	default:
		return 0;
	}
}

/* Gaps of an appliance's own that leave part of its traffic unjudged or unlogged. */
static int
gap_partial(int kind)
{
	return kind == GAP_REFUSED || kind == GAP_DROPPED || kind == GAP_EXHAUSTED;
}

struct fleet_builder *
fleet_builder_new(int64_t from_us, int64_t to_us)
{
	struct fleet_builder *fb = calloc(1, sizeof(*fb));

	if (fb == NULL)
		return NULL;
	fb->from_us = from_us;
	fb->to_us = to_us;
	if ((fb->sum = report_builder_new(from_us, to_us)) == NULL) {
		free(fb);
		return NULL;
	}
	return fb;
}

static void
members_free(struct report_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		report_gaps_free(m[i].gaps, m[i].ngaps);
	free(m);
}

/* The appliance read so far merged into the sum, its own report kept as a member. 0 or -1. */
static int
close_member(struct fleet_builder *fb)
{
	struct report_builder *cur = fb->cur;
	struct report_member *m;
	struct report one;
	const char *name;
	int rc;

	if (cur == NULL)
		return 0;
	fb->cur = NULL;
	name = report_builder_appliance(cur);
	rc = report_merge(fb->sum, cur, name[0] ? name : fb->labels[fb->nmembers]);
	if (report_finish(cur, &one) < 0)
		return -1;
	if (rc < 0) {
		report_free(&one);
		return -1;
	}
	/* fleet_next() made room for this member. */
	m = &fb->members[fb->nmembers++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", one.appliance);
	m->records = one.records;
	m->events = one.events;
	m->first_seq = fb->first_seq;
	m->last_seq = fb->last_seq;
	m->gaps = one.gaps;
	m->ngaps = one.ngaps;
	one.gaps = NULL;
	one.ngaps = 0;
	report_free(&one);
	return 0;
}

int
fleet_next(struct fleet_builder *fb, const char *label)
{
	if (fb->failed || close_member(fb) < 0)
		return fb->failed = -1;
	if (fb->nmembers + 1 > fb->cap) {
		size_t nc = fb->cap ? fb->cap * 2 : 4;
		struct report_member *nm = realloc(fb->members, nc * sizeof(*nm));
		char **nl;
		if (nm == NULL)
			return fb->failed = -1;
		fb->members = nm;
		if ((nl = realloc(fb->labels, nc * sizeof(*nl))) == NULL)
			return fb->failed = -1;
		fb->labels = nl;
		fb->cap = nc;
	}
	if ((fb->labels[fb->nmembers] = strdup(label)) == NULL)
		return fb->failed = -1;
	fb->nlabels = fb->nmembers + 1;
	if ((fb->cur = report_builder_new(fb->from_us, fb->to_us)) == NULL)
		return fb->failed = -1;
	fb->nrec = fb->first_seq = fb->last_seq = 0;
	return 0;
}

int
fleet_add(struct fleet_builder *fb, const struct evrec *r)
{
	if (fb->failed || fb->cur == NULL)
		return -1;
	if (fb->nrec++ == 0)
		fb->first_seq = r->seq;
	fb->last_seq = r->seq;
	if (report_add(fb->cur, r) < 0)
		return fb->failed = -1;
	return 0;
}

/* A growing string for reasons. 0, or -1 out of memory (*s freed, NULL). */
static int __attribute__((format(printf, 4, 5)))
str_add(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *n;
	int w;

	if (*s == NULL)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (w < 0)
		goto fail;
	need = *len + (size_t)w + 1;
	if (need > *cap) {
		size_t nc = *cap * 2 > need ? *cap * 2 : need;
		if ((n = realloc(*s, nc)) == NULL)
			goto fail;
		*s = n;
		*cap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(*s + *len, *cap - *len, fmt, ap);
	va_end(ap);
	*len += (size_t)w;
	return 0;
fail:
	free(*s);
	*s = NULL;
	return -1;
}

/* A period of the fleet, open when it lasts to the end of the records. */
struct span {
	int64_t from, to;
	int open;
};

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

/* The periods m enforced nothing: its stopping gaps joined, by start. *n of them, or -1. */
static int
stopped_spans(const struct report_member *m, struct span **out, size_t *n)
{
	struct span *s = malloc((m->ngaps ? m->ngaps : 1) * sizeof(*s));
	size_t i, k = 0, j = 0;

	*out = s;
	if (s == NULL)
		return -1;
	for (i = 0; i < m->ngaps; i++)
		if (fleet_gap_stops(m->gaps[i].kind) && m->gaps[i].from_us < m->gaps[i].to_us)
			s[k++] = (struct span){
			    m->gaps[i].from_us, m->gaps[i].to_us, m->gaps[i].open_end};
	qsort(s, k, sizeof(*s), cmp_span);
	for (i = 0; i < k; i++) {
		if (j > 0 && s[i].from <= s[j - 1].to) {
			if (s[i].to > s[j - 1].to) {
				s[j - 1].to = s[i].to;
				s[j - 1].open = s[i].open;
			} else if (s[i].to == s[j - 1].to) {
				s[j - 1].open |= s[i].open;
			}
		} else {
			s[j++] = s[i];
		}
	}
	*n = j;
	return 0;
}

/* a[0..na) and b[0..nb) both (each by start, disjoint) into *out. 0, or -1. */
static int
intersect(
    const struct span *a, size_t na, const struct span *b, size_t nb, struct span **out, size_t *n)
{
	struct span *o = malloc((na + nb + 1) * sizeof(*o));
	size_t i = 0, j = 0, k = 0;
	int64_t lo, hi;

	*out = o;
	if (o == NULL)
		return -1;
	while (i < na && j < nb) {
		lo = a[i].from > b[j].from ? a[i].from : b[j].from;
		hi = a[i].to < b[j].to ? a[i].to : b[j].to;
		if (lo < hi)
			o[k++] = (struct span){
			    lo, hi, a[i].to == hi && a[i].open && b[j].to == hi && b[j].open};
		if (a[i].to <= b[j].to)
			i++;
		else
			j++;
	}
	*n = k;
	return 0;
}

/* "no appliance enforced: a down; b down, withdrawn": each one's stopping kinds in [from, to). */
static char *
fleet_reason(const struct report_member *members, size_t n, int64_t from, int64_t to)
{
	size_t len = 0, cap = 128, i, k;
	char *s = malloc(cap);
	uint32_t kinds;
	int kind;

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	str_add(&s, &len, &cap, "no appliance enforced:");
	for (i = 0; i < n; i++) {
		const struct report_member *m = &members[i];
		kinds = 0;
		for (k = 0; k < m->ngaps; k++)
			if (fleet_gap_stops(m->gaps[k].kind) && m->gaps[k].from_us < to &&
			    m->gaps[k].to_us > from)
				kinds |= 1u << m->gaps[k].kind;
		str_add(&s, &len, &cap, "%s %s", i ? ";" : "", m->name);
		for (kind = GAP_NO_LOG; kind <= GAP_FLEET; kind++)
			if (kinds & (1u << kind)) {
				str_add(&s, &len, &cap, "%s %s",
				    (kinds & ((1u << kind) - 1)) ? "," : "", report_gap_name(kind));
			}
	}
	return s;
}

int
fleet_coverage(
    const struct report_member *members, size_t n, struct report_gap **gaps, size_t *ngaps)
{
	struct span *all = NULL, *one = NULL, *both;
	size_t nall = 0, none, i, k, cap = 0, ng = 0, rl;
	struct report_gap *g = NULL, *ngp;
	int rc = -1;

	*gaps = NULL;
	*ngaps = 0;
	for (i = 0; i < n; i++) {
		if (stopped_spans(&members[i], &one, &none) < 0)
			goto out;
		if (i == 0) {
			all = one;
			nall = none;
		} else {
			if (intersect(all, nall, one, none, &both, &nall) < 0)
				goto out;
			free(all);
			free(one);
			all = both;
		}
		one = NULL;
	}
	cap = nall;
	for (i = 0; i < n; i++)
		for (k = 0; k < members[i].ngaps; k++)
			cap += gap_partial(members[i].gaps[k].kind) != 0;
	if ((g = calloc(cap ? cap : 1, sizeof(*g))) == NULL)
		goto out;
	for (i = 0; i < nall; i++) {
		ngp = &g[ng];
		ngp->kind = GAP_FLEET;
		ngp->from_us = all[i].from;
		ngp->to_us = all[i].to;
		ngp->open_end = all[i].open;
		if ((ngp->reason = fleet_reason(members, n, all[i].from, all[i].to)) == NULL)
			goto out;
		ng++;
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < members[i].ngaps; k++) {
			const struct report_gap *x = &members[i].gaps[k];
			if (!gap_partial(x->kind))
				continue;
			ngp = &g[ng];
			*ngp = *x;
			rl = strlen(members[i].name) + strlen(x->reason) + 3;
			if ((ngp->reason = malloc(rl)) == NULL)
				goto out;
			snprintf(ngp->reason, rl, "%s: %s", members[i].name, x->reason);
			ng++;
		}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), report_gap_cmp);
	*gaps = g;
	*ngaps = ng;
	g = NULL;
	rc = 0;
out:
	if (g != NULL)
		report_gaps_free(g, ng);
	free(all);
	free(one);
	return rc;
}

static int
cmp_staged(const void *a, const void *b)
{
	const struct report_staged *x = a, *y = b;

	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

/*
 * Each member's name: its records', or its label when they name none or
 * another member has the same name (then "NAME (LABEL)"). The fleet's name
 * is theirs joined.
 */
static void
name_members(struct fleet_builder *fb, struct report *rp)
{
	struct report_member *m = fb->members;
	size_t i, j, n = fb->nmembers, len = 0;
	char *shared = calloc(n ? n : 1, 1);

	for (i = 0; shared != NULL && i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j && strcmp(m[i].name, m[j].name) == 0)
				shared[i] = 1;
	for (i = 0; i < n; i++) {
		char tmp[sizeof(m[i].name)];
		if (m[i].name[0] == '\0') {
			snprintf(m[i].name, sizeof(m[i].name), "%s", fb->labels[i]);
		} else if (shared == NULL || shared[i]) {
			snprintf(tmp, sizeof(tmp), "%s", m[i].name);
			snprintf(m[i].name, sizeof(m[i].name), "%.80s (%s)", tmp, fb->labels[i]);
		}
	}
	free(shared);
	rp->appliance[0] = '\0';
	for (i = 0; i < n && len < sizeof(rp->appliance); i++)
		len += (size_t)snprintf(rp->appliance + len, sizeof(rp->appliance) - len, "%s%s",
		    i ? ", " : "", m[i].name);
}

int
fleet_finish(struct fleet_builder *fb, struct report *rp)
{
	struct report one;
	size_t i;
	int rc = fb->failed;

	if (rc == 0 && close_member(fb) < 0)
		rc = -1;
	if (fb->cur != NULL && report_finish(fb->cur, &one) == 0)
		report_free(&one);
	if (report_finish(fb->sum, rp) < 0) {
		rc = -1;
	} else if (rc == 0) {
		name_members(fb, rp);
		/* The sum's gaps say nothing (it read no state): the fleet's replace them. */
		report_gaps_free(rp->gaps, rp->ngaps);
		rp->gaps = NULL;
		rp->ngaps = 0;
		if (fleet_coverage(fb->members, fb->nmembers, &rp->gaps, &rp->ngaps) < 0) {
			report_free(rp);
			rc = -1;
		} else {
			rp->members = fb->members;
			rp->nmembers = fb->nmembers;
			fb->members = NULL;
			if (rp->nstaged > 1)
				qsort(rp->staged, rp->nstaged, sizeof(*rp->staged), cmp_staged);
		}
	} else {
		report_free(rp);
	}
	if (fb->members != NULL)
		members_free(fb->members, fb->nmembers);
	for (i = 0; i < fb->nlabels; i++)
		free(fb->labels[i]);
	free(fb->labels);
	free(fb);
	return rc;
}

void
fleet_write_csv(const struct report *rp, FILE *out)
{
	size_t i, k;

	fputs("\r\nappliance,records,events,first_seq,last_seq\r\n", out);
	for (i = 0; i < rp->nmembers; i++) {
		const struct report_member *m = &rp->members[i];
		report_csv_field(out, m->name);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\r\n", m->records,
		    m->events, m->first_seq, m->last_seq);
	}
	fputs("\r\nappliance,coverage,from,to,seconds,open,events_dropped,serial,reason\r\n", out);
	for (i = 0; i < rp->nmembers; i++)
		for (k = 0; k < rp->members[i].ngaps; k++) {
			report_csv_field(out, rp->members[i].name);
			fputc(',', out);
			report_gap_csv(&rp->members[i].gaps[k], out);
		}
}

void
fleet_write_json(const struct report *rp, FILE *out)
{
	size_t i, k;

	fputs(",\n\"appliances\":[", out);
	for (i = 0; i < rp->nmembers; i++) {
		const struct report_member *m = &rp->members[i];
		fputs(i ? ",\n{\"appliance\":" : "\n{\"appliance\":", out);
		json_fstr(out, m->name);
		fprintf(out,
		    ",\"records\":%" PRIu64 ",\"events\":%" PRIu64 ",\"first_seq\":%" PRIu64
		    ",\"last_seq\":%" PRIu64 ",\"coverage\":[",
		    m->records, m->events, m->first_seq, m->last_seq);
		for (k = 0; k < m->ngaps; k++) {
			fputs(k ? ",\n" : "\n", out);
			report_gap_json(&m->gaps[k], out);
		}
		fputs("]}", out);
	}
	fputc(']', out);
}
