/* Regulatory reports over the enforcement log: counts per order, service and day, and coverage gaps. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "fileio.h"
#include "fleet.h"
#include "logverify.h"
#include "probefmt.h"
#include "report.h"

static const char *const gap_names[] = {[GAP_NO_LOG] = "no_log",
    [GAP_DOWN] = "down",
    [GAP_FAILOPEN] = "failopen",
    [GAP_EXPIRED] = "list_expired",
    [GAP_REFUSED] = "list_refused",
    [GAP_DROPPED] = "events_dropped",
    [GAP_EXHAUSTED] = "exhausted",
    [GAP_WITHDRAWN] = "withdrawn",
    [GAP_FLEET] = "fleet"};

const char *
report_gap_name(int kind)
{
	if (kind <= 0 || kind > GAP_FLEET)
		return "unknown";
	return gap_names[kind];
}

int
report_format_from(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return REPORT_CSV;
	if (strcmp(s, "json") == 0)
		return REPORT_JSON;
	if (strcmp(s, "html") == 0)
		return REPORT_HTML;
	return 0;
}

/* A period opened by one state record and closed by a later one. */
struct open_gap {
	int open;
	int64_t since;
	uint64_t serial;
	char reason[sizeof(((struct evrec *)0)->reason)];
};

/* One (group, subscriber) pair seen; the subscriber as a 64-bit hash. */
struct subkey {
	uint64_t hash;
	uint64_t group; /* index + 1; 0 for an empty slot */
};

struct report_builder {
	struct report rp;
	size_t groups_cap, gaps_cap;
	size_t *gidx; /* open addressing over rp.groups: index + 1, 0 empty */
	size_t gidx_cap;
	struct subkey *subs; /* open addressing */
	size_t subs_cap, nsubs;
	struct open_gap down, failopen, expired, refused, withdrawn;
	size_t unjudged_cap, staged_cap;
	/* the exhaustion period being gathered: since .since, last event at exh_last */
	struct open_gap exhausted;
	int64_t exh_last;
	uint64_t exh_count;
	int64_t prev_time; /* of the previous record, for losses and crashes */
	int failed;
};

/* FNV-1a: enough to spread keys in a table and to count distinct pseudonyms. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t
group_hash(int64_t day, const char *order, const char *service)
{
	uint64_t h = fnv(FNV_INIT, &day, sizeof(day));

	h = fnv(h, order, strlen(order) + 1);
	return fnv(h, service, strlen(service) + 1);
}

static int
gidx_grow(struct report_builder *b)
{
	size_t cap = b->gidx_cap ? b->gidx_cap * 2 : 64, i, k;
	size_t *t = calloc(cap, sizeof(*t));

	if (t == NULL)
		return -1;
	for (i = 0; i < b->rp.ngroups; i++) {
		const struct report_group *g = &b->rp.groups[i];
		k = group_hash(g->day, g->order, g->service) & (cap - 1);
		while (t[k] != 0)
			k = (k + 1) & (cap - 1);
		t[k] = i + 1;
	}
	free(b->gidx);
	b->gidx = t;
	b->gidx_cap = cap;
	return 0;
}

/* The group of (day, order, service), made if new; NULL if out of memory. */
static struct report_group *
group_of(
    struct report_builder *b, int64_t day, const char *order, const char *service, size_t *index)
{
	struct report_group *g;
	size_t k;

	if (b->rp.ngroups * 2 >= b->gidx_cap && gidx_grow(b) < 0)
		return NULL;
	k = group_hash(day, order, service) & (b->gidx_cap - 1);
	while (b->gidx[k] != 0) {
		g = &b->rp.groups[b->gidx[k] - 1];
		if (g->day == day && strcmp(g->order, order) == 0 &&
		    strcmp(g->service, service) == 0) {
			*index = b->gidx[k] - 1;
			return g;
		}
		k = (k + 1) & (b->gidx_cap - 1);
	}
	if (b->rp.ngroups == b->groups_cap) {
		size_t cap = b->groups_cap ? b->groups_cap * 2 : 16;
		struct report_group *ng = realloc(b->rp.groups, cap * sizeof(*ng));
		if (ng == NULL)
			return NULL;
		b->rp.groups = ng;
		b->groups_cap = cap;
	}
	g = &b->rp.groups[b->rp.ngroups];
	memset(g, 0, sizeof(*g));
	g->day = day;
	g->order = strdup(order);
	g->service = strdup(service);
	if (g->order == NULL || g->service == NULL) {
		free(g->order);
		free(g->service);
		return NULL;
	}
	b->gidx[k] = ++b->rp.ngroups;
	*index = b->rp.ngroups - 1;
	return g;
}

static int
subs_grow(struct report_builder *b)
{
	size_t cap = b->subs_cap ? b->subs_cap * 2 : 1024, i, k;
	struct subkey *t = calloc(cap, sizeof(*t));

	if (t == NULL)
		return -1;
	for (i = 0; i < b->subs_cap; i++) {
		if (b->subs[i].group == 0)
			continue;
		k = (b->subs[i].hash ^ b->subs[i].group * 0x9e3779b97f4a7c15ULL) & (cap - 1);
		while (t[k].group != 0)
			k = (k + 1) & (cap - 1);
		t[k] = b->subs[i];
	}
	free(b->subs);
	b->subs = t;
	b->subs_cap = cap;
	return 0;
}

/* Records the subscriber's hash h for group gi; returns 1 if new, 0 if seen, -1 out of memory. */
static int
sub_add_hash(struct report_builder *b, size_t gi, uint64_t h)
{
	uint64_t g = gi + 1;
	size_t k;

	if (b->nsubs * 2 >= b->subs_cap && subs_grow(b) < 0)
		return -1;
	k = (h ^ g * 0x9e3779b97f4a7c15ULL) & (b->subs_cap - 1);
	while (b->subs[k].group != 0) {
		if (b->subs[k].group == g && b->subs[k].hash == h)
			return 0;
		k = (k + 1) & (b->subs_cap - 1);
	}
	b->subs[k].group = g;
	b->subs[k].hash = h;
	b->nsubs++;
	return 1;
}

static int
sub_add(struct report_builder *b, size_t gi, const char *sub)
{
	return sub_add_hash(b, gi, fnv(FNV_INIT, sub, strlen(sub)));
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

static int add_gap(struct report_builder *b, int kind, int64_t from, int64_t to, int open_end,
    uint64_t count, uint64_t serial, const char *reason);

/* The exhaustion period gathered so far becomes a gap (it lasts to its last event). */
static int
close_exhausted(struct report_builder *b)
{
	if (!b->exhausted.open)
		return 0;
	b->exhausted.open = 0;
	return add_gap(b, GAP_EXHAUSTED, b->exhausted.since, b->exh_last + 1, 0, b->exh_count,
	    b->exhausted.serial, b->exhausted.reason);
}

/* The unjudged row of (day, method, reason), made if new; NULL if out of memory. */
static struct report_unjudged *
unjudged_of(struct report_builder *b, int64_t day, int method, const char *reason)
{
	struct report *rp = &b->rp;
	struct report_unjudged *u;
	size_t i, n;

	for (i = 0; i < rp->nunjudged; i++) {
		u = &rp->unjudged[i];
		if (u->day == day && u->method == method && strcmp(u->reason, reason) == 0)
			return u;
	}
	if (rp->nunjudged == b->unjudged_cap) {
		size_t nc = b->unjudged_cap ? b->unjudged_cap * 2 : 8;
		struct report_unjudged *nu = realloc(rp->unjudged, nc * sizeof(*nu));
		if (nu == NULL)
			return NULL;
		rp->unjudged = nu;
		b->unjudged_cap = nc;
	}
	u = &rp->unjudged[rp->nunjudged++];
	memset(u, 0, sizeof(*u));
	u->day = day;
	u->method = method;
	n = strnlen(reason, sizeof(u->reason) - 1);
	memcpy(u->reason, reason, n);
	u->reason[n] = '\0';
	return u;
}

/* An unjudged decision: counted per day, method and reason; an exhausted one extends a gap. */
static int
add_unjudged(struct report_builder *b, const struct evrec *r)
{
	struct report *rp = &b->rp;
	struct report_unjudged *u;

	if (strcmp(r->reason, "no_buffer") == 0) {
		if (b->exhausted.open && r->time_us - b->exh_last >= REPORT_EXHAUSTED_MERGE_US &&
		    close_exhausted(b) < 0)
			return -1;
		if (!b->exhausted.open) {
			b->exhausted.open = 1;
			b->exhausted.since = r->time_us;
			b->exhausted.serial = r->serial;
			snprintf(b->exhausted.reason, sizeof(b->exhausted.reason),
			    "no stream buffer free; failure policy applied");
			b->exh_count = 0;
		}
		b->exh_last = r->time_us;
		b->exh_count++;
	}
	if (r->time_us < rp->from_us || r->time_us >= rp->to_us)
		return 0;
	if ((u = unjudged_of(b, evrec_day(r->time_us), r->method, r->reason)) == NULL)
		return -1;
	if (r->action == EV_UNJUDGED_BLOCK)
		u->blocked++;
	else
		u->passed++;
	return 0;
}

static int
add_block(struct report_builder *b, const struct evrec *r)
{
	struct report_group *g;
	size_t gi;
	int fresh;

	if (r->action == EV_UNJUDGED_PASS || r->action == EV_UNJUDGED_BLOCK)
		return add_unjudged(b, r);
	if (r->time_us < b->rp.from_us || r->time_us >= b->rp.to_us)
		return 0;
	if (r->action == EV_OBSERVE) {
		b->rp.observed++;
		return 0;
	}
	if ((g = group_of(b, evrec_day(r->time_us), r->order, r->service, &gi)) == NULL)
		return -1;
	if ((fresh = sub_add(b, gi, r->subscriber)) < 0 || add_serial(g, r->serial) < 0)
		return -1;
	g->subscribers += (uint64_t)fresh;
	if (r->method > 0 && r->method <= EV_IP) {
		g->count[r->method]++;
		b->rp.total[r->method]++;
	}
	g->total++;
	b->rp.events++;
	return 0;
}

static int
add_gap(struct report_builder *b, int kind, int64_t from, int64_t to, int open_end, uint64_t count,
    uint64_t serial, const char *reason)
{
	struct report *rp = &b->rp;
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
	if (rp->ngaps == b->gaps_cap) {
		size_t nc = b->gaps_cap ? b->gaps_cap * 2 : 16;
		if ((g = realloc(rp->gaps, nc * sizeof(*g))) == NULL)
			return -1;
		rp->gaps = g;
		b->gaps_cap = nc;
	}
	g = &rp->gaps[rp->ngaps];
	if ((g->reason = strdup(reason ? reason : "")) == NULL)
		return -1;
	rp->ngaps++;
	g->kind = kind;
	g->from_us = from;
	g->to_us = to;
	g->open_end = open_end;
	g->count = count;
	g->serial = serial;
	return 0;
}

static int
close_gap(struct report_builder *b, struct open_gap *o, int kind, int64_t at)
{
	if (!o->open)
		return 0;
	o->open = 0;
	return add_gap(b, kind, o->since, at, 0, 0, o->serial, o->reason);
}

static void
open_gap(struct open_gap *o, const struct evrec *r, int64_t since)
{
	if (o->open)
		return; /* the first cause stands until cleared */
	o->open = 1;
	o->since = since;
	o->serial = r->serial;
	snprintf(o->reason, sizeof(o->reason), "%s", r->reason);
}

/* A staged entry's decision, its reason after "name: " unless name is NULL. 0 or -1. */
static int
staged_push(struct report_builder *b, const struct report_staged *from, const char *name)
{
	struct report *rp = &b->rp;
	struct report_staged *x;
	size_t n;

	if (rp->nstaged == b->staged_cap) {
		size_t nc = b->staged_cap ? b->staged_cap * 2 : 8;
		if ((x = realloc(rp->staged, nc * sizeof(*x))) == NULL)
			return -1;
		rp->staged = x;
		b->staged_cap = nc;
	}
	x = &rp->staged[rp->nstaged];
	*x = *from;
	if (name == NULL) {
		x->reason = strdup(from->reason);
	} else {
		n = strlen(name) + strlen(from->reason) + 3;
		if ((x->reason = malloc(n)) != NULL)
			snprintf(x->reason, n, "%s: %s", name, from->reason);
	}
	if (x->reason == NULL)
		return -1;
	rp->nstaged++;
	return 0;
}

/* A held or observed record within the period. */
static int
add_staged(struct report_builder *b, const struct evrec *r)
{
	struct report_staged x = {.time_us = r->time_us,
	    .held = r->state == EVS_HELD,
	    .serial = r->serial,
	    .reason = (char *)r->reason};

	if (r->time_us < b->rp.from_us || r->time_us >= b->rp.to_us)
		return 0;
	return staged_push(b, &x, NULL);
}

static int
add_state(struct report_builder *b, const struct evrec *r)
{
	int64_t t = r->time_us;
	int rc = 0;

	switch (r->state) {
	case EVS_STOP:
	case EVS_GAP:
		/* Nothing is enforced while down; the down period says so. */
		rc |= close_gap(b, &b->failopen, GAP_FAILOPEN, t);
		rc |= close_gap(b, &b->expired, GAP_EXPIRED, t);
		rc |= close_gap(b, &b->refused, GAP_REFUSED, t);
		rc |= close_gap(b, &b->withdrawn, GAP_WITHDRAWN, t);
		if (r->state == EVS_STOP)
			open_gap(&b->down, r, t);
		else if (!b->down.open) /* a crash: down since the last record of that run */
			open_gap(
			    &b->down, r, r->last_time_us != 0 ? r->last_time_us : b->prev_time);
		break;
	case EVS_START:
		rc |= close_gap(b, &b->down, GAP_DOWN, t);
		break;
	case EVS_FAILOPEN:
		open_gap(&b->failopen, r, t);
		break;
	case EVS_FAILOPEN_CLEARED:
		rc |= close_gap(b, &b->failopen, GAP_FAILOPEN, t);
		break;
	case EVS_LIST_EXPIRED:
		open_gap(&b->expired, r, t);
		break;
	case EVS_RELOAD_REFUSED:
		open_gap(&b->refused, r, t);
		break;
	case EVS_RELOAD:
		rc |= close_gap(b, &b->expired, GAP_EXPIRED, t);
		rc |= close_gap(b, &b->refused, GAP_REFUSED, t);
		break;
	case EVS_DROPPED:
		rc |= add_gap(b, GAP_DROPPED, b->prev_time, t, 0, r->count, r->serial, r->reason);
		break;
	case EVS_HELD:
	case EVS_OBSERVED:
		rc |= add_staged(b, r);
		break;
	case EVS_DIVERT_WITHDRAWN:
		open_gap(&b->withdrawn, r, t);
		break;
	case EVS_DIVERT_ANNOUNCED:
		rc |= close_gap(b, &b->withdrawn, GAP_WITHDRAWN, t);
		break;
	}
	return rc ? -1 : 0;
}

struct report_builder *
report_builder_new(int64_t from_us, int64_t to_us)
{
	struct report_builder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->rp.from_us = from_us;
	b->rp.to_us = to_us;
	return b;
}

int
report_add(struct report_builder *b, const struct evrec *r)
{
	int rc;

	if (b->failed)
		return -1;
	if (b->rp.records++ == 0) {
		snprintf(b->rp.appliance, sizeof(b->rp.appliance), "%s", r->appliance);
		b->prev_time = r->time_us;
		if (r->time_us > b->rp.from_us &&
		    add_gap(b, GAP_NO_LOG, b->rp.from_us, r->time_us, 0, 0, 0,
			"no records before the first one") < 0)
			return b->failed = -1;
	}
	rc = r->kind == EVREC_BLOCK ? add_block(b, r) : add_state(b, r);
	b->prev_time = r->time_us;
	if (rc < 0)
		b->failed = -1;
	return rc;
}

const char *
report_builder_appliance(const struct report_builder *b)
{
	return b->rp.appliance;
}

int
report_merge(struct report_builder *into, const struct report_builder *from, const char *name)
{
	const struct report *f = &from->rp;
	struct report_group *g;
	struct report_unjudged *u;
	size_t *map = NULL, i, k, gi;
	int m, fresh;

	if (into->failed)
		return -1;
	if (f->ngroups > 0 && (map = malloc(f->ngroups * sizeof(*map))) == NULL)
		goto oom;
	for (i = 0; i < f->ngroups; i++) {
		const struct report_group *s = &f->groups[i];
		if ((g = group_of(into, s->day, s->order, s->service, &gi)) == NULL)
			goto oom;
		map[i] = gi;
		for (m = 0; m <= EV_IP; m++)
			g->count[m] += s->count[m];
		g->total += s->total;
		for (k = 0; k < s->nserials; k++)
			if (add_serial(g, s->serials[k]) < 0)
				goto oom;
	}
	/* The same pseudonym in the same group is one subscriber, whichever appliance saw it. */
	for (i = 0; map != NULL && i < from->subs_cap; i++) {
		const struct subkey *sk = &from->subs[i];
		if (sk->group == 0)
			continue;
		if ((fresh = sub_add_hash(into, map[sk->group - 1], sk->hash)) < 0)
			goto oom;
		into->rp.groups[map[sk->group - 1]].subscribers += (uint64_t)fresh;
	}
	for (m = 0; m <= EV_IP; m++)
		into->rp.total[m] += f->total[m];
	into->rp.events += f->events;
	into->rp.records += f->records;
	into->rp.observed += f->observed;
	for (i = 0; i < f->nunjudged; i++) {
		const struct report_unjudged *s = &f->unjudged[i];
		if ((u = unjudged_of(into, s->day, s->method, s->reason)) == NULL)
			goto oom;
		u->passed += s->passed;
		u->blocked += s->blocked;
	}
	for (i = 0; i < f->nstaged; i++)
		if (staged_push(into, &f->staged[i], name) < 0)
			goto oom;
	free(map);
	return 0;
oom:
	free(map);
	into->failed = -1;
	return -1;
}

static int
cmp_group(const void *a, const void *b)
{
	const struct report_group *x = a, *y = b;
	int c;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if ((c = strcmp(x->order, y->order)) != 0)
		return c;
	return strcmp(x->service, y->service);
}

int
report_gap_cmp(const void *a, const void *b)
{
	const struct report_gap *x = a, *y = b;

	if (x->from_us != y->from_us)
		return x->from_us < y->from_us ? -1 : 1;
	return x->kind - y->kind;
}

static int
cmp_unjudged(const void *a, const void *b)
{
	const struct report_unjudged *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->method != y->method)
		return x->method < y->method ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

int
report_finish(struct report_builder *b, struct report *rp)
{
	int rc = b->failed;

	if (rc == 0)
		rc |= close_exhausted(b);
	/* Still open at the last record: open until the end of the period. */
	if (rc == 0 && b->rp.records == 0)
		rc |= add_gap(b, GAP_NO_LOG, b->rp.from_us, b->rp.to_us, 1, 0, 0, "no records");
	if (rc == 0 && b->down.open)
		rc |= add_gap(
		    b, GAP_DOWN, b->down.since, b->rp.to_us, 1, 0, b->down.serial, b->down.reason);
	if (rc == 0 && b->failopen.open)
		rc |= add_gap(b, GAP_FAILOPEN, b->failopen.since, b->rp.to_us, 1, 0,
		    b->failopen.serial, b->failopen.reason);
	if (rc == 0 && b->expired.open)
		rc |= add_gap(b, GAP_EXPIRED, b->expired.since, b->rp.to_us, 1, 0,
		    b->expired.serial, b->expired.reason);
	if (rc == 0 && b->refused.open)
		rc |= add_gap(b, GAP_REFUSED, b->refused.since, b->rp.to_us, 1, 0,
		    b->refused.serial, b->refused.reason);
	if (rc == 0 && b->withdrawn.open)
		rc |= add_gap(b, GAP_WITHDRAWN, b->withdrawn.since, b->rp.to_us, 1, 0,
		    b->withdrawn.serial, b->withdrawn.reason);
	*rp = b->rp;
	if (rp->ngroups > 1)
		qsort(rp->groups, rp->ngroups, sizeof(*rp->groups), cmp_group);
	if (rp->ngaps > 1)
		qsort(rp->gaps, rp->ngaps, sizeof(*rp->gaps), report_gap_cmp);
	if (rp->nunjudged > 1)
		qsort(rp->unjudged, rp->nunjudged, sizeof(*rp->unjudged), cmp_unjudged);
	free(b->gidx);
	free(b->subs);
	free(b);
	if (rc != 0) {
		report_free(rp);
		return -1;
	}
	return 0;
}

int
report_build(const struct evrec *recs, size_t n, int64_t from_us, int64_t to_us, struct report *rp)
{
	struct report_builder *b = report_builder_new(from_us, to_us);
	size_t i;

	memset(rp, 0, sizeof(*rp));
	if (b == NULL)
		return -1;
	for (i = 0; i < n; i++)
		report_add(b, &recs[i]);
	return report_finish(b, rp);
}

void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->ngroups; i++) {
		free(rp->groups[i].order);
		free(rp->groups[i].service);
		free(rp->groups[i].serials);
	}
	report_gaps_free(rp->gaps, rp->ngaps);
	for (i = 0; i < rp->nstaged; i++)
		free(rp->staged[i].reason);
	for (i = 0; i < rp->nmembers; i++)
		report_gaps_free(rp->members[i].gaps, rp->members[i].ngaps);
	free(rp->members);
	free(rp->groups);
	free(rp->unjudged);
	free(rp->staged);
	memset(rp, 0, sizeof(*rp));
}

void
report_gaps_free(struct report_gap *gaps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(gaps[i].reason);
	free(gaps);
}

/* RFC 4180: quote a field that holds a comma, quote or line break. */
void
report_csv_field(FILE *out, const char *s)
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

void
report_gap_csv(const struct report_gap *g, FILE *out)
{
	char t1[32], t2[32];

	evrec_time_fmt(g->from_us, t1);
	evrec_time_fmt(g->to_us, t2);
	fprintf(out, "%s,%s,%s,%" PRId64 ".%06" PRId64 ",%s,%" PRIu64 ",%" PRIu64 ",",
	    report_gap_name(g->kind), t1, t2, (g->to_us - g->from_us) / 1000000,
	    (g->to_us - g->from_us) % 1000000, g->open_end ? "yes" : "no", g->count, g->serial);
	report_csv_field(out, g->reason);
	fputs("\r\n", out);
}

void
report_gap_json(const struct report_gap *g, FILE *out)
{
	char t1[32], t2[32];

	evrec_time_fmt(g->from_us, t1);
	evrec_time_fmt(g->to_us, t2);
	fprintf(out,
	    "{\"kind\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"seconds\":%" PRId64 ".%06" PRId64
	    ",\"open\":%s,\"events_dropped\":%" PRIu64 ",\"serial\":%" PRIu64 ",\"reason\":",
	    report_gap_name(g->kind), t1, t2, (g->to_us - g->from_us) / 1000000,
	    (g->to_us - g->from_us) % 1000000, g->open_end ? "true" : "false", g->count, g->serial);
	json_fstr(out, g->reason);
	fputc('}', out);
}

static void
write_csv(const struct report *rp, FILE *out)
{
	char day[11], t1[32];
	size_t i, k;
	int m;

	fputs("day,order,service,dns,tls,quic,http,ip,total,subscribers,serials\r\n", out);
	for (i = 0; i < rp->ngroups; i++) {
		const struct report_group *g = &rp->groups[i];
		evrec_day_fmt(g->day, day);
		fprintf(out, "%s,", day);
		report_csv_field(out, g->order);
		fputc(',', out);
		report_csv_field(out, g->service);
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
	for (i = 0; i < rp->ngaps; i++)
		report_gap_csv(&rp->gaps[i], out);
	if (rp->nmembers > 0)
		fleet_write_csv(rp, out);
	if (rp->nunjudged > 0) {
		fputs("\r\nunjudged,method,reason,passed,blocked\r\n", out);
		for (i = 0; i < rp->nunjudged; i++) {
			const struct report_unjudged *u = &rp->unjudged[i];
			const char *mn = evrec_method_name(u->method);
			evrec_day_fmt(u->day, day);
			fprintf(out, "%s,%s,", day, mn ? mn : "unknown");
			report_csv_field(out, u->reason);
			fprintf(out, ",%" PRIu64 ",%" PRIu64 "\r\n", u->passed, u->blocked);
		}
	}
	if (rp->nstaged == 0 && rp->observed == 0)
		return;
	/* Staged address entries: held ones were not enforced, for the collateral they carry. */
	fprintf(out, "\r\nstaged,time,serial,reason\r\n");
	for (i = 0; i < rp->nstaged; i++) {
		const struct report_staged *x = &rp->staged[i];
		evrec_time_fmt(x->time_us, t1);
		fprintf(out, "%s,%s,%" PRIu64 ",", x->held ? "held" : "enforced", t1, x->serial);
		report_csv_field(out, x->reason);
		fputs("\r\n", out);
	}
	fprintf(out, "observed,,,%" PRIu64 " flows to staged entries passed\r\n", rp->observed);
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
		fputs(i ? ",\n" : "\n", out);
		report_gap_json(&rp->gaps[i], out);
	}
	fputs("],\n\"unjudged\":[", out);
	for (i = 0; i < rp->nunjudged; i++) {
		const struct report_unjudged *u = &rp->unjudged[i];
		const char *mn = evrec_method_name(u->method);
		evrec_day_fmt(u->day, day);
		fprintf(out, "%s\n{\"day\":\"%s\",\"method\":\"%s\",\"reason\":", i ? "," : "", day,
		    mn ? mn : "unknown");
		json_fstr(out, u->reason);
		fprintf(
		    out, ",\"passed\":%" PRIu64 ",\"blocked\":%" PRIu64 "}", u->passed, u->blocked);
	}
	fprintf(out, "],\n\"observed\":%" PRIu64 ",\"staged\":[", rp->observed);
	for (i = 0; i < rp->nstaged; i++) {
		const struct report_staged *x = &rp->staged[i];
		evrec_time_fmt(x->time_us, t1);
		fprintf(out,
		    "%s\n{\"time\":\"%s\",\"decision\":\"%s\",\"serial\":%" PRIu64 ",\"reason\":",
		    i ? "," : "", t1, x->held ? "held" : "enforced", x->serial);
		json_fstr(out, x->reason);
		fputc('}', out);
	}
	fputc(']', out);
	if (rp->nmembers > 0)
		fleet_write_json(rp, out);
	fputs("}\n", out);
}

void
report_write(const struct report *rp, int format, FILE *out)
{
	if (format == REPORT_JSON)
		write_json(rp, out);
	else
		write_csv(rp, out);
}

/* Where read_records() hands each record: a report's builder or a fleet's. 0, or -1 out of memory. */
typedef int (*record_sink)(void *, const struct evrec *);

static int
sink_report(void *b, const struct evrec *r)
{
	return report_add(b, r);
}

static int
sink_fleet(void *fb, const struct evrec *r)
{
	return fleet_add(fb, r);
}

/* Every complete line of the files into sink; a torn last line is not a record. */
static int
read_records(
    const char *const *paths, size_t npaths, record_sink sink, void *arg, size_t *bad, FILE *err)
{
	struct evrec *r = malloc(sizeof(*r));
	struct lv_fileid *seen = calloc(npaths ? npaths : 1, sizeof(*seen));
	size_t i, lineno, lcap = 0, nseen = 0;
	char *line = NULL;
	const char *why;
	ssize_t len;
	FILE *f;
	int rc = -1;

	*bad = 0;
	if (r == NULL || seen == NULL) {
		fprintf(err, "out of memory\n");
		goto out;
	}
	for (i = 0; i < npaths; i++) {
		if ((f = fopen(paths[i], "re")) == NULL) {
			fprintf(err, "%s: %s\n", paths[i], strerror(errno));
			goto out;
		}
		/* Another name of a file already read (a rotation in progress): once is enough. */
		if (logverify_seen(seen, &nseen, fileno(f)) > 0) {
			fclose(f);
			continue;
		}
		lineno = 0;
		while ((len = getline(&line, &lcap, f)) > 0) {
			lineno++;
			if (line[len - 1] != '\n')
				break;
			if (evrec_parse(line, (size_t)len - 1, r, &why) < 0) {
				if (*bad == 0)
					fprintf(err, "%s:%zu: not a record (%s); left out\n",
					    paths[i], lineno, why);
				(*bad)++;
				continue;
			}
			if (sink(arg, r) < 0) {
				fclose(f);
				fprintf(err, "out of memory\n");
				goto out;
			}
		}
		if (ferror(f)) {
			fprintf(err, "%s: %s\n", paths[i], strerror(errno));
			fclose(f);
			goto out;
		}
		fclose(f);
	}
	rc = 0;
out:
	free(line);
	free(r);
	free(seen);
	return rc;
}

/* One appliance's log into *rp. REPORT_OK, or REPORT_ERROR said on err; *bad lines left out. */
static int
build_one(const struct report_opts *o, struct report *rp, size_t *bad, FILE *err)
{
	struct report_builder *b;

	if ((b = report_builder_new(o->from_us, o->to_us)) == NULL) {
		fprintf(err, "out of memory\n");
		return REPORT_ERROR;
	}
	if (read_records(o->paths, o->npaths, sink_report, b, bad, err) < 0) {
		if (report_finish(b, rp) == 0)
			report_free(rp);
		return REPORT_ERROR;
	}
	if (report_finish(b, rp) < 0) {
		fprintf(err, "out of memory\n");
		return REPORT_ERROR;
	}
	return REPORT_OK;
}

/*
 * The same file given for two appliances would be counted twice. Files
 * that cannot be found are left to the verifier to name. REPORT_OK, or
 * REPORT_USAGE (REPORT_ERROR) said on err.
 */
static int
fleet_distinct(const struct report_opts *o, FILE *err)
{
	struct lv_fileid *ids;
	size_t *owner, i, j, k, n = 0, total = 0;
	struct stat st;
	int rc = REPORT_OK;

	for (i = 0; i < o->nfleet; i++)
		total += o->fleet[i].npaths;
	ids = calloc(total ? total : 1, sizeof(*ids));
	owner = calloc(total ? total : 1, sizeof(*owner));
	if (ids == NULL || owner == NULL) {
		fprintf(err, "out of memory\n");
		rc = REPORT_ERROR;
		goto out;
	}
	for (i = 0; i < o->nfleet && rc == REPORT_OK; i++) {
		for (k = 0; k < o->fleet[i].npaths && rc == REPORT_OK; k++) {
			if (stat(o->fleet[i].paths[k], &st) < 0)
				continue;
			for (j = 0; j < n; j++)
				if (ids[j].dev == st.st_dev && ids[j].ino == st.st_ino)
					break;
			if (j == n) {
				ids[n].dev = st.st_dev;
				ids[n].ino = st.st_ino;
				owner[n++] = i;
			} else if (owner[j] != i) {
				/* A hard link within one appliance's files (a rotation) is fine. */
				fprintf(err,
				    "report: %s: among the files of two appliances (%s, %s); give "
				    "each appliance's log once\n",
				    o->fleet[i].paths[k], o->fleet[owner[j]].label,
				    o->fleet[i].label);
				rc = REPORT_USAGE;
			}
		}
	}
out:
	free(ids);
	free(owner);
	return rc;
}

/* What the verifier said, each line after "report: LABEL: ". */
static void
say_verify(const char *label, const char *text, FILE *err)
{
	const char *nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		fprintf(err, "report: %s: %.*s\n", label,
		    (int)(nl ? (size_t)(nl - text) : strlen(text)), text);
		text = nl ? nl + 1 : text + strlen(text);
	}
}

/*
 * The fleet's report into *rp: each appliance's chain verified on its own,
 * then its records read. REPORT_OK; REPORT_REFUSED for a broken chain,
 * REPORT_USAGE or REPORT_ERROR, said on err. *torn is set when a log's last
 * line is torn (not a record; the rest is read).
 */
static int
build_fleet(const struct report_opts *o, struct report *rp, int *torn, FILE *err)
{
	struct fleet_builder *fb;
	char *vtext = NULL;
	size_t i, vlen = 0, bad;
	FILE *vout;
	int rc, v;

	*torn = 0;
	if ((rc = fleet_distinct(o, err)) != REPORT_OK)
		return rc;
	if ((fb = fleet_builder_new(o->from_us, o->to_us)) == NULL) {
		fprintf(err, "out of memory\n");
		return REPORT_ERROR;
	}
	for (i = 0; i < o->nfleet; i++) {
		const struct report_source *src = &o->fleet[i];
		if ((vout = open_memstream(&vtext, &vlen)) == NULL) {
			fprintf(err, "out of memory\n");
			rc = REPORT_ERROR;
			break;
		}
		v = logverify_files(src->paths, src->npaths, vout);
		fclose(vout);
		if (v == LOGVERIFY_BAD) {
			say_verify(src->label, vtext, err);
			fprintf(err,
			    "report: %s: the log's hash chain is broken; no fleet report is made "
			    "(blockctl log verify checks that appliance's files)\n",
			    src->label);
			rc = REPORT_REFUSED;
		} else if (v == LOGVERIFY_ERROR) {
			say_verify(src->label, vtext, err);
			rc = REPORT_ERROR;
		} else if (v == LOGVERIFY_TORN) {
			say_verify(src->label, vtext, err);
			*torn = 1;
		}
		free(vtext);
		vtext = NULL;
		if (rc != REPORT_OK)
			break;
		if (fleet_next(fb, src->label) < 0) {
			fprintf(err, "out of memory\n");
			rc = REPORT_ERROR;
			break;
		}
		if (read_records(src->paths, src->npaths, sink_fleet, fb, &bad, err) < 0) {
			rc = REPORT_ERROR;
			break;
		}
	}
	if (fleet_finish(fb, rp) < 0) {
		if (rc == REPORT_OK)
			fprintf(err, "out of memory\n");
		return rc == REPORT_OK ? REPORT_ERROR : rc;
	}
	if (rc != REPORT_OK)
		report_free(rp);
	return rc;
}

/* The HTML page, with the probe reports the options name read and parsed. 0, or -1 said on err. */
static int
html_with_probes(const struct report_opts *o, const struct report *rp, FILE *out, FILE *err)
{
	struct probe_report *pr = calloc(o->nprobes ? o->nprobes : 1, sizeof(*pr));
	char why[512], *buf;
	size_t i, n = 0, len;
	int rc = -1;

	if (pr == NULL) {
		fprintf(err, "out of memory\n");
		return -1;
	}
	for (i = 0; i < o->nprobes; i++, n++) {
		if (file_read_capped(o->probes[i], 256u << 20, &buf, &len, why, sizeof(why)) != 0) {
			fprintf(err, "%s\n", why);
			goto out;
		}
		if (probe_parse(buf, len, o->probes[i], &pr[n], why, sizeof(why)) != 0) {
			fprintf(err, "%s (the text form of blockctl probe)\n", why);
			free(buf);
			goto out;
		}
		free(buf);
	}
	if ((rc = report_html(rp, pr, n, out)) != 0)
		fprintf(err, "out of memory\n");
out:
	for (i = 0; i < n; i++)
		probe_report_free(&pr[i]);
	free(pr);
	return rc;
}

int
report_render(const struct report_opts *o, char **buf, size_t *len, FILE *err)
{
	struct report rp;
	size_t bad = 0;
	int torn = 0, rc;
	FILE *mem;

	*buf = NULL;
	*len = 0;
	if ((o->npaths == 0 && o->nfleet == 0) || o->from_us >= o->to_us ||
	    (o->format != REPORT_CSV && o->format != REPORT_JSON && o->format != REPORT_HTML)) {
		fprintf(err, "report: need log files, --from before --to, and csv, json or html\n");
		return REPORT_USAGE;
	}
	rc = o->nfleet > 0 ? build_fleet(o, &rp, &torn, err) : build_one(o, &rp, &bad, err);
	if (rc != REPORT_OK)
		return rc;
	if ((mem = open_memstream(buf, len)) == NULL) {
		fprintf(err, "out of memory\n");
		report_free(&rp);
		return REPORT_ERROR;
	}
	if (o->format == REPORT_HTML) {
		if (html_with_probes(o, &rp, mem, err) != 0) {
			report_free(&rp);
			fclose(mem);
			free(*buf);
			*buf = NULL;
			return REPORT_ERROR;
		}
	} else {
		report_write(&rp, o->format, mem);
	}
	report_free(&rp);
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
	if (torn) {
		fprintf(err, "report: a torn last line was left out\n");
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
