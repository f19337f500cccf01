/* Regulatory reports over the enforcement log: counts per order, service and day, and coverage gaps. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"

static const char *const gap_names[] = {[GAP_NO_LOG] = "no_log",
    [GAP_DOWN] = "down",
    [GAP_FAILOPEN] = "failopen",
    [GAP_EXPIRED] = "list_expired",
    [GAP_REFUSED] = "list_refused",
    [GAP_DROPPED] = "events_dropped"};

const char *
report_gap_name(int kind)
{
	if (kind <= 0 || kind > GAP_DROPPED)
		return "unknown";
	return gap_names[kind];
}

/* Block records in the period, sorted to make groups and distinct subscribers a sweep. */
static int
cmp_block(const void *a, const void *b)
{
	const struct evrec *x = *(const struct evrec *const *)a;
	const struct evrec *y = *(const struct evrec *const *)b;
	int64_t dx = evrec_day(x->time_us), dy = evrec_day(y->time_us);
	int c;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	if ((c = strcmp(x->order, y->order)) != 0)
		return c;
	if ((c = strcmp(x->service, y->service)) != 0)
		return c;
	return strcmp(x->subscriber, y->subscriber);
}

static int
add_serial(struct report_group *g, uint64_t s)
{
	size_t i, j;
	uint64_t *n;

	for (i = 0; i < g->nserials && g->serials[i] < s; i++)
		;
	if (i < g->nserials && g->serials[i] == s)
		return 0;
	if ((n = realloc(g->serials, (g->nserials + 1) * sizeof(*n))) == NULL)
		return -1;
	g->serials = n;
	for (j = g->nserials; j > i; j--)
		g->serials[j] = g->serials[j - 1];
	g->serials[i] = s;
	g->nserials++;
	return 0;
}

static int
build_groups(const struct evrec *recs, size_t n, struct report *rp)
{
	const struct evrec **v;
	struct report_group *g = NULL;
	size_t i, nv = 0;

	if ((v = malloc((n ? n : 1) * sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (recs[i].kind == EVREC_BLOCK && recs[i].time_us >= rp->from_us &&
		    recs[i].time_us < rp->to_us)
			v[nv++] = &recs[i];
	qsort(v, nv, sizeof(*v), cmp_block);
	if ((rp->groups = calloc(nv ? nv : 1, sizeof(*rp->groups))) == NULL) {
		free(v);
		return -1;
	}
	for (i = 0; i < nv; i++) {
		const struct evrec *r = v[i];
		int64_t day = evrec_day(r->time_us);
		if (g == NULL || g->day != day || strcmp(g->order, r->order) != 0 ||
		    strcmp(g->service, r->service) != 0) {
			g = &rp->groups[rp->ngroups++];
			g->day = day;
			g->order = r->order;
			g->service = r->service;
			g->subscribers = 1;
		} else if (strcmp(v[i - 1]->subscriber, r->subscriber) != 0)
			g->subscribers++;
		if (r->method > 0 && r->method <= EV_IP) {
			g->count[r->method]++;
			rp->total[r->method]++;
		}
		g->total++;
		rp->events++;
		if (add_serial(g, r->serial) < 0) {
			free(v);
			return -1;
		}
	}
	free(v);
	return 0;
}

/* Coverage: open periods per kind while walking the records in order. */
struct open_gap {
	int open;
	int64_t since;
	uint64_t serial;
	const char *reason;
};

static int
add_gap(struct report *rp, size_t *cap, int kind, int64_t from, int64_t to, int open_end,
    uint64_t count, uint64_t serial, const char *reason)
{
	struct report_gap *g;

	/* A loss may be a single instant; other periods need a length. */
	if (to < rp->from_us || from >= rp->to_us)
		return 0;
	if (from < rp->from_us)
		from = rp->from_us;
	if (to > rp->to_us)
		to = rp->to_us;
	if (kind != GAP_DROPPED && from >= to)
		return 0;
	if (rp->ngaps == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		if ((g = realloc(rp->gaps, nc * sizeof(*g))) == NULL)
			return -1;
		rp->gaps = g;
		*cap = nc;
	}
	g = &rp->gaps[rp->ngaps++];
	g->kind = kind;
	g->from_us = from;
	g->to_us = to;
	g->open_end = open_end;
	g->count = count;
	g->serial = serial;
	g->reason = reason ? reason : "";
	return 0;
}

static int
close_gap(struct report *rp, size_t *cap, struct open_gap *o, int kind, int64_t at)
{
	if (!o->open)
		return 0;
	o->open = 0;
	return add_gap(rp, cap, kind, o->since, at, 0, 0, o->serial, o->reason);
}

static void
open_gap(struct open_gap *o, const struct evrec *r)
{
	if (o->open)
		return; /* the first cause stands until cleared */
	o->open = 1;
	o->since = r->time_us;
	o->serial = r->serial;
	o->reason = r->reason;
}

static int
cmp_gap(const void *a, const void *b)
{
	const struct report_gap *x = a, *y = b;

	if (x->from_us != y->from_us)
		return x->from_us < y->from_us ? -1 : 1;
	return x->kind - y->kind;
}

static int
build_coverage(const struct evrec *recs, size_t n, struct report *rp)
{
	struct open_gap down = {0}, failopen = {0}, expired = {0}, refused = {0};
	size_t cap = 0, i;
	int rc = 0;

	if (n == 0)
		return add_gap(rp, &cap, GAP_NO_LOG, rp->from_us, rp->to_us, 1, 0, 0, "no records");
	if (recs[0].time_us > rp->from_us)
		rc |= add_gap(rp, &cap, GAP_NO_LOG, rp->from_us, recs[0].time_us, 0, 0, 0,
		    "no records before the first one");
	for (i = 0; i < n && rc == 0; i++) {
		const struct evrec *r = &recs[i];
		int64_t t = r->time_us;

		if (r->kind != EVREC_STATE)
			continue;
		switch (r->state) {
		case EVS_STOP:
		case EVS_GAP:
			/* Nothing is enforced while down; the down period says so. */
			rc |= close_gap(rp, &cap, &failopen, GAP_FAILOPEN, t);
			rc |= close_gap(rp, &cap, &expired, GAP_EXPIRED, t);
			rc |= close_gap(rp, &cap, &refused, GAP_REFUSED, t);
			if (r->state == EVS_STOP) {
				open_gap(&down, r);
				break;
			}
			if (!down.open) {
				/* A crash: down since the last record of the previous run. */
				open_gap(&down, r);
				down.since = r->last_time_us != 0 ? r->last_time_us
				    : i > 0                       ? recs[i - 1].time_us
								  : t;
			}
			break;
		case EVS_START:
			rc |= close_gap(rp, &cap, &down, GAP_DOWN, t);
			break;
		case EVS_FAILOPEN:
			open_gap(&failopen, r);
			break;
		case EVS_FAILOPEN_CLEARED:
			rc |= close_gap(rp, &cap, &failopen, GAP_FAILOPEN, t);
			break;
		case EVS_LIST_EXPIRED:
			open_gap(&expired, r);
			break;
		case EVS_RELOAD_REFUSED:
			open_gap(&refused, r);
			break;
		case EVS_RELOAD:
			rc |= close_gap(rp, &cap, &expired, GAP_EXPIRED, t);
			rc |= close_gap(rp, &cap, &refused, GAP_REFUSED, t);
			break;
		case EVS_DROPPED:
			rc |= add_gap(rp, &cap, GAP_DROPPED, i > 0 ? recs[i - 1].time_us : t, t, 0,
			    r->count, r->serial, r->reason);
			break;
		}
	}
	/* Still open at the last record: open until the end of the period. */
	if (down.open)
		rc |= add_gap(rp, &cap, GAP_DOWN, down.since, rp->to_us, 1, 0, 0, down.reason);
	if (failopen.open)
		rc |= add_gap(rp, &cap, GAP_FAILOPEN, failopen.since, rp->to_us, 1, 0,
		    failopen.serial, failopen.reason);
	if (expired.open)
		rc |= add_gap(rp, &cap, GAP_EXPIRED, expired.since, rp->to_us, 1, 0, expired.serial,
		    expired.reason);
	if (refused.open)
		rc |= add_gap(rp, &cap, GAP_REFUSED, refused.since, rp->to_us, 1, 0, refused.serial,
		    refused.reason);
	if (rc == 0 && rp->ngaps > 1)
		qsort(rp->gaps, rp->ngaps, sizeof(*rp->gaps), cmp_gap);
	return rc ? -1 : 0;
}

int
report_build(const struct evrec *recs, size_t n, int64_t from_us, int64_t to_us, struct report *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->from_us = from_us;
	rp->to_us = to_us;
	rp->records = n;
	rp->appliance = n > 0 ? recs[0].appliance : "";
	if (build_groups(recs, n, rp) < 0 || build_coverage(recs, n, rp) < 0) {
		report_free(rp);
		return -1;
	}
	return 0;
}

void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->ngroups; i++)
		free(rp->groups[i].serials);
	free(rp->groups);
	free(rp->gaps);
	memset(rp, 0, sizeof(*rp));
}

/* RFC 4180: quote a field that holds a comma, quote or line break. */
static void
csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
write_csv(const struct report *rp, FILE *out)
{
	char day[11], t1[32], t2[32];
	size_t i, k;
	int m;

	fputs("day,order,service,dns,tls,quic,http,ip,total,subscribers,serials\r\n", out);
	for (i = 0; i < rp->ngroups; i++) {
		const struct report_group *g = &rp->groups[i];
		evrec_day_fmt(g->day, day);
		fprintf(out, "%s,", day);
		csv_field(out, g->order);
		fputc(',', out);
		csv_field(out, g->service);
		for (m = EV_DNS; m <= EV_IP; m++)
			fprintf(out, ",%" PRIu64, g->count[m]);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", g->total, g->subscribers);
		for (k = 0; k < g->nserials; k++)
			fprintf(out, "%s%" PRIu64, k ? " " : "", g->serials[k]);
		fputs("\r\n", out);
	}
	fputs("total,,", out);
	for (m = EV_DNS; m <= EV_IP; m++)
		fprintf(out, ",%" PRIu64, rp->total[m]);
	fprintf(out, ",%" PRIu64 ",,\r\n", rp->events);

	fputs("\r\ncoverage,from,to,seconds,open,events_dropped,serial,reason\r\n", out);
	for (i = 0; i < rp->ngaps; i++) {
		const struct report_gap *g = &rp->gaps[i];
		evrec_time_fmt(g->from_us, t1);
		evrec_time_fmt(g->to_us, t2);
		fprintf(out, "%s,%s,%s,%" PRId64 ".%06" PRId64 ",%s,%" PRIu64 ",%" PRIu64 ",",
		    report_gap_name(g->kind), t1, t2, (g->to_us - g->from_us) / 1000000,
		    (g->to_us - g->from_us) % 1000000, g->open_end ? "yes" : "no", g->count,
		    g->serial);
		csv_field(out, g->reason);
		fputs("\r\n", out);
	}
}

static void
write_json(const struct report *rp, FILE *out)
{
	static const char *const mname[] = {"", "dns", "tls", "quic", "http", "ip"};
	char day[11], t1[32], t2[32];
	size_t i, k;
	int m;

	evrec_time_fmt(rp->from_us, t1);
	evrec_time_fmt(rp->to_us, t2);
	fprintf(out, "{\"from\":\"%s\",\"to\":\"%s\",\"appliance\":", t1, t2);
	json_fstr(out, rp->appliance);
	fprintf(out, ",\"records\":%" PRIu64 ",\"events\":%" PRIu64 ",\"totals\":{", rp->records,
	    rp->events);
	for (m = EV_DNS; m <= EV_IP; m++)
		fprintf(out, "%s\"%s\":%" PRIu64, m > EV_DNS ? "," : "", mname[m], rp->total[m]);
	fputs("},\n\"enforcement\":[", out);
	for (i = 0; i < rp->ngroups; i++) {
		const struct report_group *g = &rp->groups[i];
		evrec_day_fmt(g->day, day);
		fprintf(out, "%s\n{\"day\":\"%s\",\"order\":", i ? "," : "", day);
		json_fstr(out, g->order);
		fputs(",\"service\":", out);
		json_fstr(out, g->service);
		fputs(",\"methods\":{", out);
		for (m = EV_DNS; m <= EV_IP; m++)
			fprintf(
			    out, "%s\"%s\":%" PRIu64, m > EV_DNS ? "," : "", mname[m], g->count[m]);
		fprintf(out, "},\"total\":%" PRIu64 ",\"subscribers\":%" PRIu64 ",\"serials\":[",
		    g->total, g->subscribers);
		for (k = 0; k < g->nserials; k++)
			fprintf(out, "%s%" PRIu64, k ? "," : "", g->serials[k]);
		fputs("]}", out);
	}
	fputs("],\n\"coverage\":[", out);
	for (i = 0; i < rp->ngaps; i++) {
		const struct report_gap *g = &rp->gaps[i];
		evrec_time_fmt(g->from_us, t1);
		evrec_time_fmt(g->to_us, t2);
		fprintf(out,
		    "%s\n{\"kind\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"seconds\":%" PRId64
		    ".%06" PRId64 ",\"open\":%s,\"events_dropped\":%" PRIu64 ",\"serial\":%" PRIu64
		    ",\"reason\":",
		    i ? "," : "", report_gap_name(g->kind), t1, t2,
		    (g->to_us - g->from_us) / 1000000, (g->to_us - g->from_us) % 1000000,
		    g->open_end ? "true" : "false", g->count, g->serial);
		json_fstr(out, g->reason);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

void
report_write(const struct report *rp, int format, FILE *out)
{
	if (format == REPORT_JSON)
		write_json(rp, out);
	else
		write_csv(rp, out);
}

/* Every complete line of the files as records; a torn last line is left out. */
static int
read_records(const struct report_opts *o, struct evrec **out, size_t *nout, size_t *bad, FILE *err)
{
	struct evrec *v = NULL, *nv;
	size_t n = 0, cap = 0, i, lineno;
	char *line = NULL;
	size_t lcap = 0;
	const char *why;
	ssize_t len;
	FILE *f;

	*bad = 0;
	for (i = 0; i < o->npaths; i++) {
		if ((f = fopen(o->paths[i], "re")) == NULL) {
			fprintf(err, "%s: %s\n", o->paths[i], strerror(errno));
			goto fail;
		}
		lineno = 0;
		while ((len = getline(&line, &lcap, f)) > 0) {
			lineno++;
			if (line[len - 1] != '\n')
				break; /* torn: not a record */
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					fclose(f);
					fprintf(err, "out of memory\n");
					goto fail;
				}
				v = nv;
			}
			if (evrec_parse(line, (size_t)len - 1, &v[n], &why) < 0) {
				if (*bad == 0)
					fprintf(err, "%s:%zu: not a record (%s); left out\n",
					    o->paths[i], lineno, why);
				(*bad)++;
				continue;
			}
			n++;
		}
		if (ferror(f)) {
			fprintf(err, "%s: %s\n", o->paths[i], strerror(errno));
			fclose(f);
			goto fail;
		}
		fclose(f);
	}
	free(line);
	*out = v;
	*nout = n;
	return 0;
fail:
	free(line);
	free(v);
	return -1;
}

int
report_render(const struct report_opts *o, char **buf, size_t *len, FILE *err)
{
	struct evrec *recs = NULL;
	struct report rp;
	size_t n = 0, bad = 0;
	FILE *mem;

	*buf = NULL;
	*len = 0;
	if (o->npaths == 0 || o->from_us >= o->to_us ||
	    (o->format != REPORT_CSV && o->format != REPORT_JSON)) {
		fprintf(err, "report: need log files, --from before --to, and csv or json\n");
		return REPORT_USAGE;
	}
	if (read_records(o, &recs, &n, &bad, err) < 0)
		return REPORT_ERROR;
	if (report_build(recs, n, o->from_us, o->to_us, &rp) < 0 ||
	    (mem = open_memstream(buf, len)) == NULL) {
		fprintf(err, "out of memory\n");
		free(recs);
		return REPORT_ERROR;
	}
	report_write(&rp, o->format, mem);
	report_free(&rp);
	free(recs);
	if (fclose(mem) != 0) {
		fprintf(err, "out of memory\n");
		free(*buf);
		*buf = NULL;
		return REPORT_ERROR;
	}
	if (bad > 0) {
		fprintf(err, "report: %zu lines were not records; run blockctl log verify\n", bad);
		return REPORT_PARTIAL;
	}
	return REPORT_OK;
}

int
report_run(const struct report_opts *o, FILE *out)
{
	char *buf;
	size_t len;
	int rc = report_render(o, &buf, &len, stderr);

	if (buf != NULL) {
		if (fwrite(buf, 1, len, out) != len || fflush(out) != 0) {
			fprintf(stderr, "report: write: %s\n", strerror(errno));
			rc = REPORT_ERROR;
		}
		free(buf);
	}
	return rc;
}
