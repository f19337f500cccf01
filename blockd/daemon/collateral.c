/* Staged address entries: observed before they are enforced, and held when they carry unrelated services. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/config.h"
#include "base/json.h"
#include "base/log.h"
#include "cohost.h"
#include "collateral.h"
#include "evlog/evlog.h"
#include "evlog/pseudonym.h"
#include "fileio.h"
#include "judge.h"
#include "match/match.h"
#include "psl.h"
#include "rulefmt.h"
#include "wire/pkt.h"
#include "worker.h"

#define CNT(w, field) counter_add(&(w)->c.field, 1)
#define PTR           sizeof(struct centry *) /* an element of the arrays sorted by key */

#define STATE_FILE  "collateral.state"
#define STATE_MAGIC "blockd collateral 1\n"
#define RING_SLOTS  1024 /* per worker; a power of two */
#define PSL_MAX     (16u << 20)
#define SUMMARY_MAX 480 /* a record's reason: the log keeps 511 bytes */

enum { ST_OBSERVING = 1, ST_HELD, ST_ENFORCED };
static const char *const state_names[] = {"", "observing", "held", "enforced"};

/* What a worker saw: one hello or request to an observed or held entry. */
struct obs {
	uint64_t gen; /* the stage it was read against */
	uint32_t entry;
	uint8_t family;
	uint8_t method;
	uint16_t len;
	uint8_t client[16];
	char name[COHOST_NAME_MAX + 3]; /* a trailing dot and more: cohost_normalise() judges */
};

/* One worker's ring: it alone writes head, the control thread alone tail. */
struct ring {
	_Atomic uint32_t head;
	_Atomic uint32_t tail;
	struct obs slot[RING_SLOTS];
};

/* Which entries of one snapshot the workers look at, published with one pointer. */
struct stage {
	const struct match_snapshot *snap;
	uint64_t gen;
	size_t nentries;
	uint8_t *held;      /* out of the kernel's sets: observed or held */
	uint8_t *observing; /* observed: each flow is an observe event */
};

/* One address entry of the list in force. */
struct centry {
	char *key;         /* "ipv4 198.51.100.7/32 ORDER": what carries it across lists */
	uint32_t idx;      /* in the list in force */
	int state;         /* ST_* */
	int64_t first;     /* when its window began */
	int64_t decided;   /* when its window ended, 0 not yet */
	uint64_t observed; /* flows logged as observe events */
	struct cohost *m;  /* what was seen, NULL before anything */
};

struct collateral {
	unsigned observe, max, top;
	char state_path[512];
	struct psl *psl;
	struct pseudonym ps;
	unsigned nrings;
	struct ring *rings;
	struct centry *ents; /* by idx */
	size_t nents;
	size_t nobserving, nheld;
	struct stage *cur, *old;
	uint64_t gen;
	const struct match_snapshot *snap; /* the snapshot ents index */
	int loaded;                        /* the state file was read (once, at the first list) */
};

/* The workers' view: the rings and the stage, one each for the daemon. */
static struct ring *g_rings;
static unsigned g_nrings;
static _Atomic(struct stage *) g_stage;

static int
bit(const uint8_t *b, size_t i)
{
	return __atomic_load_n(&b[i / 8], __ATOMIC_RELAXED) >> (i % 8) & 1;
}

static void
bit_set(uint8_t *b, size_t i)
{
	__atomic_fetch_or(&b[i / 8], (uint8_t)(1u << (i % 8)), __ATOMIC_RELAXED);
}

static void
bit_clear(uint8_t *b, size_t i)
{
	__atomic_fetch_and(&b[i / 8], (uint8_t) ~(1u << (i % 8)), __ATOMIC_RELAXED);
}

/* ---- the packet path ---- */

/*
 * collateral_seen() once a stage for snap is published: its frame (the
 * match hit's) is set up only then, not for every hello of a daemon that
 * stages nothing.
 */
static __attribute__((noinline)) void
seen_staged(struct worker *w, const struct stage *st, const struct match_snapshot *snap,
    const struct pkt *p, int method, const char *name, size_t len)
{
	struct match_hit hit;

	if (match_addr(snap, p->family, p->dst, w->now, &hit) != MATCH_BLOCK ||
	    hit.entry >= st->nentries || !bit(st->held, hit.entry))
		return;
	if (bit(st->observing, hit.entry)) {
		CNT(w, observed);
		judge_event(w, snap, &hit, method, EV_OBSERVE, p, name, name ? len : 0, NULL);
	}
	struct ring *r = &g_rings[w->index];
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING_SLOTS) {
		CNT(w, observe_lost);
		return;
	}
	struct obs *o = &r->slot[h & (RING_SLOTS - 1)];
	o->gen = st->gen;
	o->entry = hit.entry;
	o->family = p->family;
	o->method = (uint8_t)method;
	memcpy(o->client, p->src, sizeof(o->client));
	if (name == NULL)
		len = 0;
	if (len > sizeof(o->name) - 1)
		len = sizeof(o->name) - 1; /* longer than any name: cohost_normalise() refuses it */
	memcpy(o->name, name ? name : "", len);
	o->name[len] = '\0';
	o->len = (uint16_t)len;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

void
collateral_seen(struct worker *w, const struct match_snapshot *snap, const struct pkt *p,
    int method, const char *name, size_t len)
{
	struct stage *st = atomic_load_explicit(&g_stage, memory_order_acquire);

	if (st == NULL || snap == NULL || st->snap != snap || w->index >= g_nrings)
		return;
	seen_staged(w, st, snap, p, method, name, len);
}

/* ---- the control thread ---- */

static void
entry_value(const struct rule_entry *e, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN] = "";
	inet_ntop(e->type == RULE_IPV4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
	snprintf(out, outsz, "%s/%u", a, e->plen);
}

static char *
entry_key(const struct rulelist *l, const struct rule_entry *e)
{
	char v[INET6_ADDRSTRLEN + 8], *k = NULL;
	entry_value(e, v, sizeof(v));
	if (asprintf(&k, "%s %s %s", rule_type_name(e->type), v, l->orders[e->order].ref) < 0)
		return NULL;
	return k;
}

static void
psl_load(struct collateral *c, const char *path)
{
	char err[512], *buf;
	size_t len;

	if (file_read_capped(path, PSL_MAX, &buf, &len, err, sizeof(err)) == -1) {
		log_warnx("collateral: %s; names are grouped by their last two labels", err);
		return;
	}
	if (psl_parse(buf, len, path, &c->psl, err, sizeof(err)) == -1)
		log_warnx("collateral: %s; names are grouped by their last two labels", err);
	free(buf);
}

struct collateral *
collateral_open(const struct blockd_config *cfg, unsigned nworkers, char *err, size_t errlen)
{
	struct collateral *c = calloc(1, sizeof(*c));
	uint8_t chain[32];

	if (c == NULL || (c->rings = calloc(nworkers ? nworkers : 1, sizeof(*c->rings))) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->nrings = nworkers;
	c->observe = cfg->observe;
	c->max = cfg->collateral_max;
	c->top = cfg->collateral_top;
	snprintf(c->state_path, sizeof(c->state_path), "%s/%s", cfg->state_dir, STATE_FILE);
	if (c->observe > 0)
		psl_load(c, cfg->public_suffix);
	/* Subscribers are counted by a pseudonym under a key of this run only, never kept. */
	if (getrandom(chain, sizeof(chain), 0) != (ssize_t)sizeof(chain))
		memset(chain, 0x5a, sizeof(chain));
	pseudonym_init(&c->ps, chain, (int64_t)time(NULL) / 86400);
	memset(chain, 0, sizeof(chain));
	g_rings = c->rings;
	g_nrings = c->nrings;
	return c;
}

static void
ents_free(struct centry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		if (e[i].m) {
			cohost_free(e[i].m);
			free(e[i].m);
		}
	}
	free(e);
}

static void
stage_free(struct stage *st)
{
	if (st == NULL)
		return;
	free(st->held);
	free(st->observing);
	free(st);
}

void
collateral_close(struct collateral *c)
{
	if (c == NULL)
		return;
	atomic_store(&g_stage, NULL);
	g_rings = NULL;
	g_nrings = 0;
	stage_free(c->cur);
	stage_free(c->old);
	ents_free(c->ents, c->nents);
	psl_free(c->psl);
	pseudonym_wipe(&c->ps);
	free(c->rings);
	free(c);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct centry *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

/* The state file: "STATE FIRST KEY" a line, for the entries not simply enforced. */
static void
state_save(struct collateral *c)
{
	char *buf = NULL, err[1024];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return;
	fputs(STATE_MAGIC, f);
	for (size_t i = 0; i < c->nents; i++)
		if (c->ents[i].state != ST_ENFORCED)
			fprintf(f, "%s %" PRId64 " %s\n", state_names[c->ents[i].state],
			    c->ents[i].first, c->ents[i].key);
	if (fclose(f) != 0) {
		free(buf);
		return;
	}
	if (file_write_atomic(c->state_path, buf, len, 0600, err, sizeof(err)) == -1)
		log_warnx(
		    "collateral: %s: what is observed and held is not kept across a restart", err);
	free(buf);
}

/* At the first list: the state a previous run left. Entries named there keep their state. */
static void
state_load(struct collateral *c, struct centry **by_key, size_t n, int64_t now)
{
	char *buf, err[1024], *line, *save = NULL;
	size_t len;

	if (file_read_capped(c->state_path, 1u << 28, &buf, &len, err, sizeof(err)) == -1) {
		if (errno != ENOENT)
			log_warnx("collateral: %s", err);
		return;
	}
	if (strncmp(buf, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
		log_warnx("collateral: %s: not a state file; ignored", c->state_path);
		free(buf);
		return;
	}
	for (line = strtok_r(buf + strlen(STATE_MAGIC), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *st = line, *key, *end;
		if ((key = strchr(line, ' ')) == NULL)
			continue;
		*key++ = '\0';
		errno = 0;
		long long first = strtoll(key, &end, 10);
		if (errno != 0 || end == key || *end != ' ')
			continue;
		key = end + 1;
		struct centry probe = {.key = key}, *pp = &probe;
		struct centry **hit = bsearch(&pp, by_key, n, PTR, cmp_key);
		if (hit == NULL)
			continue;
		if (strcmp(st, "held") == 0)
			(*hit)->state = ST_HELD;
		else if (strcmp(st, "observing") == 0)
			(*hit)->state = ST_OBSERVING;
		else
			continue;
		(*hit)->first = first > now ? now : (int64_t)first;
	}
	free(buf);
}

/* The stage for snap from ents: bits for the observed and held entries. NULL if none. */
static struct stage *
stage_build(struct collateral *c, const struct match_snapshot *snap)
{
	size_t n = snap ? match_list(snap)->nentries : 0;
	struct stage *st;

	if (c->nobserving + c->nheld == 0)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->held = calloc(n / 8 + 1, 1)) == NULL ||
	    (st->observing = calloc(n / 8 + 1, 1)) == NULL) {
		stage_free(st);
		log_warnx("collateral: out of memory: staged entries are enforced at once");
		return NULL;
	}
	st->snap = snap;
	st->gen = ++c->gen;
	st->nentries = n;
	for (size_t i = 0; i < c->nents; i++) {
		if (c->ents[i].state == ST_ENFORCED)
			continue;
		bit_set(st->held, c->ents[i].idx);
		if (c->ents[i].state == ST_OBSERVING)
			bit_set(st->observing, c->ents[i].idx);
	}
	return st;
}

static void
recount(struct collateral *c)
{
	c->nobserving = c->nheld = 0;
	for (size_t i = 0; i < c->nents; i++) {
		c->nobserving += c->ents[i].state == ST_OBSERVING;
		c->nheld += c->ents[i].state == ST_HELD;
	}
}

void
collateral_list(struct collateral *c, const struct match_snapshot *next, int fresh,
    struct evlog *log, int64_t now)
{
	const struct rulelist *l = next ? match_list(next) : NULL;
	struct centry *ne = NULL, **old = NULL, **by_key = NULL;
	size_t n = 0, staged = 0;
	int first = !c->loaded;

	if (c->observe == 0 || l == NULL)
		goto publish;
	c->loaded = 1;
	for (size_t i = 0; i < l->nentries; i++)
		n += rule_type_bits(l->entries[i].type) != 0;
	old = malloc((c->nents ? c->nents : 1) * PTR);
	ne = calloc(n ? n : 1, sizeof(*ne));
	by_key = malloc((n ? n : 1) * PTR);
	if (old == NULL || ne == NULL || by_key == NULL)
		goto oom;
	for (size_t i = 0; i < c->nents; i++)
		old[i] = &c->ents[i];
	qsort(old, c->nents, PTR, cmp_key);
	n = 0;
	for (size_t i = 0; i < l->nentries; i++) {
		const struct rule_entry *e = &l->entries[i];
		if (rule_type_bits(e->type) == 0)
			continue;
		struct centry *x = &ne[n++];
		if ((x->key = entry_key(l, e)) == NULL)
			goto oom;
		x->idx = (uint32_t)i;
		struct centry probe = {.key = x->key}, *pp = &probe;
		struct centry **was = bsearch(&pp, old, c->nents, PTR, cmp_key);
		if (was != NULL) {
			/* Known: its state, window and measurement carry over. */
			x->state = (*was)->state;
			x->first = (*was)->first;
			x->decided = (*was)->decided;
			x->observed = (*was)->observed;
			x->m = (*was)->m;
			(*was)->m = NULL;
		} else {
			/* New, unless this is the list a previous run enforced. */
			x->state = first && !fresh ? ST_ENFORCED : ST_OBSERVING;
			x->first = now;
		}
		by_key[n - 1] = x;
	}
	if (first) {
		qsort(by_key, n, PTR, cmp_key);
		state_load(c, by_key, n, now);
	}
	for (size_t i = 0; i < n; i++) {
		const struct rule_order *o = &l->orders[l->entries[ne[i].idx].order];
		if (ne[i].state == ST_HELD && o->allow_shared) {
			ne[i].state = ST_ENFORCED;
			log_info("collateral: %s was held, enforced now: its order says shared yes",
			    ne[i].key);
			if (log)
				evlog_state(log, EVS_OBSERVED, l->serial,
				    "%s: was held, enforced now: its order says shared yes",
				    ne[i].key);
		}
		staged += ne[i].state == ST_OBSERVING && ne[i].first == now;
	}
	ents_free(c->ents, c->nents);
	c->ents = ne;
	c->nents = n;
	ne = NULL;
	recount(c);
	if (staged)
		log_info("collateral: %zu new address entries observed for %u s before they are "
			 "enforced",
		    staged, c->observe);
	state_save(c);
	goto publish;
oom:
	log_warnx("collateral: out of memory: new address entries are enforced at once");
	if (ne)
		ents_free(ne, n);
	ents_free(c->ents, c->nents);
	c->ents = NULL;
	c->nents = 0;
	recount(c);
publish:
	free(old);
	free(by_key);
	if (c->observe == 0 || l == NULL) {
		ents_free(c->ents, c->nents);
		c->ents = NULL;
		c->nents = 0;
		recount(c);
	}
	c->snap = next;
	stage_free(c->old);
	c->old = c->cur;
	c->cur = stage_build(c, next);
	atomic_store_explicit(&g_stage, c->cur, memory_order_release);
}

void
collateral_published(struct collateral *c)
{
	/* snapref_swap() waited for every reader of the old snapshot, and so of the old stage. */
	stage_free(c->old);
	c->old = NULL;
}

const uint8_t *
collateral_held(const struct collateral *c, const struct match_snapshot *s)
{
	if (c == NULL || c->cur == NULL || c->cur->snap != s)
		return NULL;
	return c->cur->held;
}

void
collateral_counts(const struct collateral *c, size_t *observing, size_t *held)
{
	*observing = c ? c->nobserving : 0;
	*held = c ? c->nheld : 0;
}

static struct centry *
by_idx(struct collateral *c, uint32_t idx)
{
	size_t lo = 0, hi = c->nents;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->ents[mid].idx == idx)
			return &c->ents[mid];
		if (c->ents[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The rings into the entries' measurements. */
static void
fold(struct collateral *c, const struct match_snapshot *cur, int64_t now)
{
	int64_t day = now / 86400;
	char hex[PSEUDONYM_HEX + 1];
	struct match_hit hit;

	(void)pseudonym_advance(&c->ps, day);
	for (unsigned i = 0; i < c->nrings; i++) {
		struct ring *r = &c->rings[i];
		uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
		for (; t != h; t++) {
			const struct obs *o = &r->slot[t & (RING_SLOTS - 1)];
			struct centry *e;
			if (c->cur == NULL || o->gen != c->cur->gen || cur != c->snap ||
			    (e = by_idx(c, o->entry)) == NULL)
				continue;
			if (e->m == NULL) {
				if ((e->m = malloc(sizeof(*e->m))) == NULL)
					continue;
				cohost_init(e->m, 0, 0);
			}
			pseudonym_of(&c->ps, day, o->family, o->client, hex);
			uint64_t sub = 0;
			for (int k = 0; k < 16; k++)
				sub = sub << 4 |
				    (uint64_t)(hex[k] <= '9' ? hex[k] - '0' : hex[k] - 'a' + 10);
			int listed = o->len > 0 &&
			    match_domain(cur, o->name, o->len, now, &hit) == MATCH_BLOCK;
			e->observed += e->state == ST_OBSERVING;
			if (cohost_add(e->m, c->psl, o->len ? o->name : NULL, o->len, listed, sub) <
			    0)
				log_warnx(
				    "collateral: out of memory: a name seen on %s is not counted",
				    e->key);
		}
		atomic_store_explicit(&r->tail, t, memory_order_release);
	}
}

/* "what was seen" in at most SUMMARY_MAX bytes, for the log and blockd's own log. */
static void
summary(const struct collateral *c, const struct centry *e, char *out, size_t outsz)
{
	struct cohost empty;
	const struct cohost *m = e->m;
	struct cohost_domain d[100];
	size_t n, k, len;

	if (m == NULL) {
		cohost_init(&empty, 0, 0);
		m = &empty;
	}
	size_t unl = cohost_unlisted(m);
	len = (size_t)snprintf(out, outsz,
	    "%s: %zu registrable domain%s the list does not name (limit %u) on %" PRIu64
	    " flow%s from %s%zu subscriber%s",
	    e->key, unl, unl == 1 ? "" : "s", c->max, m->flows, m->flows == 1 ? "" : "s",
	    m->subs_over ? "at least " : "", m->nsubs, m->nsubs == 1 ? "" : "s");
	n = cohost_domains(m, 1, d, c->top < 100 ? c->top : 100);
	for (k = 0; k < n && k < c->top && len < outsz; k++) {
		char item[300];
		int w = snprintf(item, sizeof(item), "%s%s (%" PRIu64 ")", k ? ", " : ": ",
		    d[k].domain, d[k].flows);
		if (w < 0 || len + (size_t)w + 5 >= outsz) {
			snprintf(out + len, outsz - len, ", ...");
			break;
		}
		memcpy(out + len, item, (size_t)w + 1);
		len += (size_t)w;
	}
}

int
collateral_tick(
    struct collateral *c, const struct match_snapshot *cur, struct evlog *log, int64_t now)
{
	char why[SUMMARY_MAX + 1];
	int changed = 0;

	if (c == NULL || c->observe == 0)
		return 0;
	fold(c, cur, now);
	if (c->nobserving == 0 || cur == NULL || cur != c->snap || c->cur == NULL)
		return 0;
	const struct rulelist *l = match_list(cur);
	for (size_t i = 0; i < c->nents; i++) {
		struct centry *e = &c->ents[i];
		if (e->state != ST_OBSERVING || now < e->first + (int64_t)c->observe)
			continue;
		int shared = l->orders[l->entries[e->idx].order].allow_shared;
		struct cohost empty;
		if (e->m == NULL)
			cohost_init(&empty, 0, 0);
		int d = cohost_decide(e->m ? e->m : &empty, c->max, shared);
		summary(c, e, why, sizeof(why));
		e->decided = now;
		bit_clear(c->cur->observing, e->idx);
		if (d == COHOST_HOLD) {
			e->state = ST_HELD;
			log_warnx("collateral: held, not enforced: %s", why);
			evlog_state(log, EVS_HELD, l->serial, "%s", why);
		} else {
			e->state = ST_ENFORCED;
			bit_clear(c->cur->held, e->idx);
			changed = 1;
			log_info("collateral: enforced after observation%s: %s",
			    shared ? " (its order says shared yes)" : "", why);
			evlog_state(log, EVS_OBSERVED, l->serial, "%s", why);
		}
	}
	size_t was = c->nobserving;
	recount(c);
	if (was != c->nobserving)
		state_save(c);
	return changed;
}

/* ---- blockctl collateral ---- */

static void
names_text(FILE *out, const char *what, const struct cohost *m, int listed, unsigned top)
{
	const struct cohost_name *t[100];
	size_t n = cohost_top(m, listed, t, top);
	fprintf(out, "  %s names: %zu", what, n);
	for (size_t k = 0; k < n && k < top; k++)
		fprintf(out, "%s%s (%" PRIu64 ")", k ? ", " : ": ", t[k]->name, t[k]->flows);
	fputc('\n', out);
}

static void
names_json(FILE *out, const char *key, const struct cohost *m, int listed, unsigned top)
{
	const struct cohost_name *t[100];
	size_t n = cohost_top(m, listed, t, top);
	fprintf(out, ",\"%s_names\":%zu,\"%s\":[", key, n, key);
	for (size_t k = 0; k < n && k < top; k++) {
		fprintf(out, "%s{\"name\":", k ? "," : "");
		json_fstr(out, t[k]->name);
		fprintf(out, ",\"flows\":%" PRIu64 "}", t[k]->flows);
	}
	fputc(']', out);
}

/* Does the user's ENTRY name e: its address, or address/length. */
static int
entry_is(const struct rule_entry *e, const char *want)
{
	char v[INET6_ADDRSTRLEN + 8];
	entry_value(e, v, sizeof(v));
	size_t n = strlen(want);
	return strcmp(v, want) == 0 ||
	    (strncmp(v, want, n) == 0 && v[n] == '/' &&
		strtoul(v + n + 1, NULL, 10) == rule_type_bits(e->type));
}

int
collateral_answer(const struct collateral *c, const struct match_snapshot *cur, const char *entry,
    int json, int64_t now, FILE *out)
{
	const struct rulelist *l = cur ? match_list(cur) : NULL;
	unsigned top = c ? c->top : 10;
	size_t shown = 0;

	if (json)
		fprintf(out, "{\"observe\":%u,\"collateral_max\":%u,\"entries\":[",
		    c ? c->observe : 0, c ? c->max : 0);
	for (size_t i = 0; c && l && cur == c->snap && i < c->nents; i++) {
		const struct centry *e = &c->ents[i];
		const struct rule_entry *re = &l->entries[e->idx];
		const struct rule_order *o = &l->orders[re->order];
		struct cohost empty;
		const struct cohost *m = e->m;
		char v[INET6_ADDRSTRLEN + 8];
		if (e->state == ST_ENFORCED && e->decided == 0)
			continue; /* enforced without observation: nothing to say */
		if (entry && !entry_is(re, entry))
			continue;
		if (m == NULL) {
			cohost_init(&empty, 0, 0);
			m = &empty;
		}
		entry_value(re, v, sizeof(v));
		int64_t left = e->state == ST_OBSERVING ? e->first + c->observe - now : 0;
		if (left < 0)
			left = 0;
		size_t unl = cohost_unlisted(m);
		const char *decision = e->state == ST_OBSERVING ? "observing"
		    : e->state == ST_HELD                       ? "held"
								: "enforced";
		if (json) {
			struct cohost_domain d[100];
			size_t nd = cohost_domains(m, 1, d, top);
			fprintf(out,
			    "%s\n{\"entry\":\"%s\",\"type\":\"%s\",\"order\":", shown ? "," : "", v,
			    rule_entry_keyword(re));
			json_fstr(out, o->ref);
			fputs(",\"service\":", out);
			json_fstr(out, o->service);
			fprintf(out,
			    ",\"decision\":\"%s\",\"shared\":%s,\"first_seen\":%" PRId64
			    ",\"time_left\":%" PRId64 ",\"flows\":%" PRIu64
			    ",\"would_block\":%" PRIu64 ",\"observe_events\":%" PRIu64
			    ",\"subscribers\":%zu,\"subscribers_at_least\":%s,\"unreadable\":"
			    "%" PRIu64 ",\"names_over_cap\":%" PRIu64
			    ",\"unlisted_domains\":%zu,\"domains\":[",
			    decision, o->allow_shared ? "true" : "false", e->first, left, m->flows,
			    m->flows, e->observed, m->nsubs, m->subs_over ? "true" : "false",
			    m->unreadable, m->names_over, unl);
			for (size_t k = 0; k < nd && k < top; k++) {
				fprintf(out, "%s{\"domain\":", k ? "," : "");
				json_fstr(out, d[k].domain);
				fprintf(out, ",\"flows\":%" PRIu64 ",\"names\":%u}", d[k].flows,
				    d[k].names);
			}
			fputc(']', out);
			names_json(out, "unlisted", m, 0, top);
			names_json(out, "listed", m, 1, top);
			fputc('}', out);
		} else {
			fprintf(out, "%s %s of order %s (%s): %s", rule_entry_keyword(re), v,
			    o->ref, o->service, decision);
			if (e->state == ST_OBSERVING)
				fprintf(out, ", %" PRId64 " s left", left);
			else if (e->state == ST_HELD)
				fprintf(out,
				    ": not enforced, %zu unlisted registrable domains (limit %u)",
				    unl, c->max);
			if (o->allow_shared)
				fputs(" (order says shared yes)", out);
			fprintf(out,
			    "\n  flows %" PRIu64 ", would have blocked %" PRIu64
			    ", subscribers %s%zu\n",
			    m->flows, m->flows, m->subs_over ? "at least " : "", m->nsubs);
			struct cohost_domain d[100];
			size_t nd = cohost_domains(m, 1, d, top);
			fprintf(out, "  unlisted registrable domains: %zu", nd);
			for (size_t k = 0; k < nd && k < top; k++)
				fprintf(out, "%s%s (%" PRIu64 ")", k ? ", " : ": ", d[k].domain,
				    d[k].flows);
			fputc('\n', out);
			names_text(out, "unlisted", m, 0, top);
			names_text(out, "listed", m, 1, top);
		}
		shown++;
	}
	if (json)
		fputs("]}\n", out);
	else if (shown == 0)
		fprintf(out, "%s\n",
		    entry ? "not a staged address entry" : "no address entry observed or held");
	return entry && shown == 0 ? 1 : 0;
}
