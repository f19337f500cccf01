/* Diversion by BGP: the divert set kept current and handed to a local BIRD, announced while blockd is healthy. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ldns/ldns.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/json.h"
#include "base/log.h"
#include "divert.h"
#include "divertset.h"
#include "evlog/evlog.h"
#include "evlog/evrec.h"
#include "kernel/tun.h"
#include "match/match.h"
#include "rulelist.h"

#define ANSWER_MAX 32    /* addresses read from one answer (DIVERT_ADDRS_MAX kept) */
#define PUSH_MS    1000  /* a new version at most this often */
#define BIRD_MS    5000  /* BIRD's answer to configure, at most */
#define QUERY_SECS 2     /* one query, at most */
#define HOLD_MS    10000 /* healthy this long before routes come back after a withdrawal */

/* One listed name and what it resolved to (the divert thread's own). */
struct rname {
	const char *name; /* into the names arena */
	int64_t due;      /* monotonic ms: resolve again */
	struct divert_addrs a;
	uint8_t skip4, skip6; /* unroutable addresses in the last answers, left out */
};

struct divert {
	const struct blockd_config *cfg;
	struct evlog *log;
	int tunfd; /* -1 with failure = closed: blackhole routes, no interface */
	int up;    /* the interface is up (control thread) */
	int announced_once;
	int64_t healthy_since; /* monotonic ms, 0 while unhealthy */
	int closed_mode;
	struct divert_prefix cfgp[1024];
	size_t ncfg;

	pthread_t thr;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;

	/* Handed over by the control thread (mu). */
	struct divert_prefix *in_list;
	size_t in_nlist;
	char *in_names; /* sorted unique names, each NUL-terminated */
	size_t in_nnames;
	uint64_t in_serial;
	int in_new;

	/* The divert thread's own. */
	struct divert_prefix *list;
	size_t nlist;
	char *names;
	struct rname *rn;
	size_t nrn;
	size_t *heap; /* indices into rn, by due */
	ldns_resolver *res;

	/* Published by the divert thread (mu). */
	uint64_t serial, version;
	struct divert_prefix *set;
	size_t nset, dropped;
	size_t bysrc[DIVERT_NSOURCES];
	int64_t pushed_at; /* UTC seconds of the last BIRD reconfiguration, 0 none */
	int bird_ok;
	char bird_msg[512];
	uint64_t queries, failures;
	size_t names_pub;  /* names listed */
	size_t resolved;   /* names with an answer */
	size_t unroutable; /* special-use addresses in their answers, left out */

	uint64_t tqueries, tfailures; /* the thread's own counts, published after each name */
	size_t tunroutable;           /* the sum of rn[].skip4 and skip6, likewise */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the due-time heap over rn ---- */

static int
due_before(const struct divert *dv, size_t a, size_t b)
{
	return dv->rn[dv->heap[a]].due < dv->rn[dv->heap[b]].due;
}

static void
heap_swap(struct divert *dv, size_t a, size_t b)
{
	size_t t = dv->heap[a];

	dv->heap[a] = dv->heap[b];
	dv->heap[b] = t;
}

static void
heap_down(struct divert *dv, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < dv->nrn && due_before(dv, l, m))
			m = l;
		if (r < dv->nrn && due_before(dv, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(dv, i, m);
		i = m;
	}
}

static void
heap_build(struct divert *dv)
{
	for (size_t i = 0; i < dv->nrn; i++)
		dv->heap[i] = i;
	for (size_t i = dv->nrn / 2; i-- > 0;)
		heap_down(dv, i);
}

/* ---- a new list: names merged with what is known, so a reload resolves only what is new ---- */

static int
take_list(struct divert *dv)
{
	struct rname *rn;
	size_t *heap, n = 0, j = 0;
	const char *p;

	pthread_mutex_lock(&dv->mu);
	char *names = dv->in_names;
	size_t nnames = dv->in_nnames;
	free(dv->list);
	dv->list = dv->in_list;
	dv->nlist = dv->in_nlist;
	dv->serial = dv->in_serial;
	dv->in_list = NULL;
	dv->in_names = NULL;
	dv->in_new = 0;
	pthread_mutex_unlock(&dv->mu);

	rn = calloc(nnames ? nnames : 1, sizeof(*rn));
	heap = calloc(nnames ? nnames : 1, sizeof(*heap));
	if (rn == NULL || heap == NULL) {
		free(rn);
		free(heap);
		free(names);
		log_warnx("divert: out of memory for %zu names; the names' addresses are not "
			  "diverted",
		    nnames);
		return -1;
	}
	/* Both sorted: keep the answers and due times of names listed before. */
	for (p = names; n < nnames; p += strlen(p) + 1, n++) {
		rn[n].name = p;
		while (j < dv->nrn && strcmp(dv->rn[j].name, p) < 0)
			j++;
		if (j < dv->nrn && strcmp(dv->rn[j].name, p) == 0) {
			struct rname keep = dv->rn[j];
			keep.name = p;
			rn[n] = keep;
		}
	}
	free(dv->rn);
	free(dv->heap);
	free(dv->names);
	dv->rn = rn;
	dv->heap = heap;
	dv->names = names;
	dv->nrn = nnames;
	heap_build(dv);
	dv->tunroutable = 0;
	for (size_t i = 0; i < nnames; i++)
		dv->tunroutable += (size_t)rn[i].skip4 + rn[i].skip6;
	pthread_mutex_lock(&dv->mu);
	dv->names_pub = nnames;
	dv->unroutable = dv->tunroutable;
	pthread_mutex_unlock(&dv->mu);
	return 0;
}

/* ---- resolution ---- */

static ldns_resolver *
resolver_new(const char *addr)
{
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns;
	uint8_t a[16];

	if (r == NULL)
		return NULL;
	if (inet_pton(AF_INET, addr, a) == 1)
		ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, a);
	else if (inet_pton(AF_INET6, addr, a) == 1)
		ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, a);
	else
		ns = NULL;
	if (ns == NULL || ldns_resolver_push_nameserver(r, ns) != LDNS_STATUS_OK) {
		if (ns != NULL)
			ldns_rdf_deep_free(ns);
		ldns_resolver_deep_free(r);
		return NULL;
	}
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_retrans(r, 1);
	ldns_resolver_set_timeout(r, (struct timeval){QUERY_SECS, 0});
	ldns_resolver_set_recursive(r, true);
	ldns_resolver_set_dnssec(r, false);
	return r;
}

/*
 * One name, one type: the addresses in the answer into out (at most
 * ANSWER_MAX), *ttl the smallest TTL seen. Returns the count, 0 for an
 * answer without addresses (NXDOMAIN, no data), -1 for no answer.
 */
static int
query(struct divert *dv, const char *name, ldns_rr_type type, uint8_t (*out)[16], uint32_t *ttl)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_pkt *pkt = NULL;
	int n = 0;

	if (dn == NULL)
		return 0;
	dv->tqueries++;
	if (ldns_resolver_query_status(&pkt, dv->res, dn, type, LDNS_RR_CLASS_IN, LDNS_RD) !=
		LDNS_STATUS_OK ||
	    pkt == NULL) {
		ldns_rdf_deep_free(dn);
		dv->tfailures++;
		return -1;
	}
	ldns_rdf_deep_free(dn);
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NXDOMAIN) {
		ldns_pkt_free(pkt);
		dv->tfailures++;
		return -1;
	}
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t alen = type == LDNS_RR_TYPE_A ? 4 : 16;
	for (size_t i = 0; ans != NULL && i < ldns_rr_list_rr_count(ans) && n < ANSWER_MAX; i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		if (ldns_rr_get_type(rr) != type || rd == NULL || ldns_rdf_size(rd) != alen)
			continue;
		memcpy(out[n++], ldns_rdf_data(rd), alen);
		if (ldns_rr_ttl(rr) < *ttl)
			*ttl = ldns_rr_ttl(rr);
	}
	ldns_pkt_free(pkt);
	return n;
}

/*
 * Resolves r (A and AAAA) and sets its next due time. Each family's answer
 * is taken on its own: a query without an answer keeps that family's
 * addresses and brings the name back after ttl_min. 1 if its addresses
 * changed.
 */
static int
resolve(struct divert *dv, struct rname *r, int64_t now)
{
	uint8_t a4[ANSWER_MAX][16], a6[ANSWER_MAX][16];
	uint32_t ttl = dv->cfg->divert_ttl_max;
	int n4 = query(dv, r->name, LDNS_RR_TYPE_A, a4, &ttl);
	int n6 = query(dv, r->name, LDNS_RR_TYPE_AAAA, a6, &ttl);
	int doc = dv->cfg->documentation_ranges, changed = 0;
	size_t skip;

	if (ttl < dv->cfg->divert_ttl_min || n4 < 0 || n6 < 0)
		ttl = dv->cfg->divert_ttl_min;
	if (n4 >= 0) {
		skip = 0;
		changed |= divertset_answer(&r->a, 4, (const uint8_t(*)[16])a4, n4, doc, &skip);
		dv->tunroutable += skip - r->skip4;
		r->skip4 = (uint8_t)skip;
	}
	if (n6 >= 0) {
		skip = 0;
		changed |= divertset_answer(&r->a, 6, (const uint8_t(*)[16])a6, n6, doc, &skip);
		dv->tunroutable += skip - r->skip6;
		r->skip6 = (uint8_t)skip;
	}
	r->due = now + (int64_t)ttl * 1000;
	return changed;
}

/* ---- BIRD ---- */

/* The include file replaced whole (written aside, synced, renamed), so BIRD never reads half. */
static int
write_include(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[sizeof(((struct blockd_config *)0)->divert_include) + 8];
	size_t len = strlen(text), off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* BIRD reads it as its own user: readable whatever blockd's umask. */
	(void)fchmod(fd, 0644);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Reads BIRD's reply lines up to the final one ("NNNN text"; continuation
 * lines are "NNNN-text" or " text"). Returns the final code, or -1 with err.
 */
static int
bird_reply(int fd, char *last, size_t lastlen, char *err, size_t errlen)
{
	char buf[4096] = {0};
	size_t len = 0;

	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t ll = (size_t)(nl - buf);
			if (ll >= 5 && strspn(buf, "0123456789") == 4 && buf[4] == ' ') {
				snprintf(last, lastlen, "%.*s", (int)(ll - 5), buf + 5);
				return (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 +
				    (buf[2] - '0') * 10 + (buf[3] - '0');
			}
			memmove(buf, nl + 1, len - ll - 1);
			len -= ll + 1;
		}
		if (len == sizeof(buf))
			len = 0; /* an endless line: keep reading for the final one */
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s",
			    r == 0                ? "BIRD closed the connection"
				: errno == EAGAIN ? "BIRD did not answer in time"
						  : strerror(errno));
			return -1;
		}
		len += (size_t)r;
	}
}

/* Asks BIRD to read its configuration again. 0, or -1 with BIRD's words (or why not) in msg. */
static int
bird_configure(const char *path, char *msg, size_t msglen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {BIRD_MS / 1000, 0};
	char last[200];
	int fd, code;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(msg, msglen, "%s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(msg, msglen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (bird_reply(fd, last, sizeof(last), msg, msglen) < 0) /* the greeting */
		goto fail;
	if (write(fd, "configure\n", 10) != 10) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* "0002-Reading configuration ..." then the outcome: 0003 Reconfigured, 8xxx/9xxx errors. */
	if ((code = bird_reply(fd, last, sizeof(last), msg, msglen)) < 0)
		goto fail;
	close(fd);
	snprintf(msg, msglen, "%04d %s", code, last);
	return code < 1000 ? 0 : -1;
fail:
	close(fd);
	return -1;
}

/* ---- the set ---- */

static int
build_and_push(struct divert *dv)
{
	size_t cap = dv->nlist + dv->ncfg, n = 0, dropped = 0;
	struct divert_prefix *p;
	char err[400], comment[256], msg[512];
	char *text;
	int ok;

	for (size_t i = 0; i < dv->nrn; i++)
		cap += dv->rn[i].a.n4 + dv->rn[i].a.n6;
	p = malloc((cap ? cap : 1) * sizeof(*p));
	if (p == NULL) {
		log_warnx("divert: out of memory for %zu prefixes", cap);
		return -1;
	}
	memcpy(p, dv->list, dv->nlist * sizeof(*p));
	n = dv->nlist;
	memcpy(p + n, dv->cfgp, dv->ncfg * sizeof(*p));
	n += dv->ncfg;
	for (size_t i = 0; i < dv->nrn; i++) {
		const struct divert_addrs *a = &dv->rn[i].a;
		for (unsigned k = 0; k < a->n4; k++) {
			p[n] = (struct divert_prefix){4, 32, DIVERT_RESOLVED, {0}};
			memcpy(p[n++].addr, a->a4[k], 4);
		}
		for (unsigned k = 0; k < a->n6; k++) {
			p[n] = (struct divert_prefix){6, 128, DIVERT_RESOLVED, {0}};
			memcpy(p[n++].addr, a->a6[k], 16);
		}
	}
	n = divertset_normalise(p, n);
	n = divertset_cap(p, n, dv->cfg->divert_max, &dropped);

	pthread_mutex_lock(&dv->mu);
	uint64_t version = dv->version + 1;
	pthread_mutex_unlock(&dv->mu);
	snprintf(comment, sizeof(comment),
	    "written by blockd: divert set version %" PRIu64 ", list serial %" PRIu64
	    ", %zu prefixes%s",
	    version, dv->serial, n, dropped ? " (capped)" : "");
	text = divertset_bird(p, n, dv->cfg->divert_protocol,
	    dv->closed_mode ? NULL : dv->cfg->divert_interface, comment);
	if (text == NULL) {
		free(p);
		log_warnx("divert: out of memory for BIRD's routes");
		return -1;
	}
	ok = write_include(dv->cfg->divert_include, text, err, sizeof(err)) == 0;
	free(text);
	if (!ok)
		snprintf(msg, sizeof(msg), "%s", err);
	else
		ok = bird_configure(dv->cfg->divert_bird_socket, msg, sizeof(msg)) == 0;
	if (ok)
		log_info("divert set version %" PRIu64 ": %zu prefixes handed to BIRD (%s)%s",
		    version, n, msg,
		    dropped ? "; over [divert] max, resolved addresses left out" : "");
	else
		log_warnx("divert set version %" PRIu64 " not in force: %s", version, msg);
	if (dropped)
		log_warnx("divert: %zu prefixes over [divert] max = %u left out", dropped,
		    dv->cfg->divert_max);

	pthread_mutex_lock(&dv->mu);
	free(dv->set);
	dv->set = p;
	dv->nset = n;
	dv->dropped = dropped;
	dv->version = version;
	memset(dv->bysrc, 0, sizeof(dv->bysrc));
	for (size_t i = 0; i < n; i++)
		if (p[i].source < DIVERT_NSOURCES)
			dv->bysrc[p[i].source]++;
	dv->bird_ok = ok;
	snprintf(dv->bird_msg, sizeof(dv->bird_msg), "%s", msg);
	if (ok)
		dv->pushed_at = (int64_t)time(NULL);
	size_t resolved = 0;
	for (size_t i = 0; i < dv->nrn; i++)
		resolved += dv->rn[i].a.n4 + dv->rn[i].a.n6 > 0;
	dv->resolved = resolved;
	pthread_mutex_unlock(&dv->mu);
	return ok ? 0 : -1;
}

/* ---- the thread ---- */

static void *
divert_main(void *arg)
{
	struct divert *dv = arg;
	int64_t next_query = 0, next_push = 0;
	int dirty = 1;

	pthread_mutex_lock(&dv->mu);
	while (!dv->stop) {
		if (dv->in_new) {
			pthread_mutex_unlock(&dv->mu);
			(void)take_list(dv);
			dirty = 1;
			pthread_mutex_lock(&dv->mu);
			continue;
		}
		pthread_mutex_unlock(&dv->mu);
		int64_t now = mono_ms();
		if (dv->res != NULL && dv->nrn > 0 && dv->rn[dv->heap[0]].due <= now &&
		    now >= next_query) {
			dirty |= resolve(dv, &dv->rn[dv->heap[0]], now);
			heap_down(dv, 0);
			pthread_mutex_lock(&dv->mu);
			dv->queries = dv->tqueries;
			dv->failures = dv->tfailures;
			dv->unroutable = dv->tunroutable;
			pthread_mutex_unlock(&dv->mu);
			next_query = now + 1000 / dv->cfg->divert_rate;
		}
		now = mono_ms();
		if (dirty && now >= next_push) {
			/* A failed push is tried again a second later. */
			dirty = build_and_push(dv) != 0;
			next_push = mono_ms() + PUSH_MS;
		}
		/* Sleep until the next thing due: a name, a push, at most a second. */
		int64_t until = now + 1000;
		if (dirty && next_push < until)
			until = next_push;
		if (dv->res != NULL && dv->nrn > 0) {
			int64_t d = dv->rn[dv->heap[0]].due;
			if (d < next_query)
				d = next_query;
			if (d < until)
				until = d;
		}
		pthread_mutex_lock(&dv->mu);
		if (until > now && !dv->stop && !dv->in_new) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = ts.tv_nsec + (until - now) * 1000000;
			ts.tv_sec += ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			pthread_cond_timedwait(&dv->cv, &dv->mu, &ts);
		}
	}
	pthread_mutex_unlock(&dv->mu);
	return NULL;
}

/* ---- the control thread's side ---- */

struct divert *
divert_open(const struct blockd_config *cfg, struct evlog *log, char *err, size_t errlen)
{
	struct divert *dv;
	pthread_condattr_t ca;
	long n;

	err[0] = '\0';
	if (cfg->divert_bird_socket[0] == '\0')
		return NULL;
	dv = calloc(1, sizeof(*dv));
	if (dv == NULL) {
		snprintf(err, errlen, "divert: out of memory");
		return NULL;
	}
	dv->cfg = cfg;
	dv->log = log;
	dv->tunfd = -1;
	dv->closed_mode = cfg->failure == CFG_FAIL_CLOSED;
	n = divertset_list_parse(cfg->divert_prefixes, dv->cfgp,
	    sizeof(dv->cfgp) / sizeof(dv->cfgp[0]), DIVERT_CONFIG, err, errlen);
	if (n < 0) {
		free(dv);
		return NULL;
	}
	dv->ncfg = (size_t)n;
	if (cfg->divert_resolver[0] != '\0' &&
	    (dv->res = resolver_new(cfg->divert_resolver)) == NULL) {
		snprintf(err, errlen, "[divert] resolver %s: cannot set up a resolver for it",
		    cfg->divert_resolver);
		free(dv);
		return NULL;
	}
	if (!dv->closed_mode) {
		char why[256];
		dv->tunfd = tun_open(cfg->divert_interface, why, sizeof(why));
		if (dv->tunfd < 0) {
			snprintf(err, errlen, "[divert] interface: %s", why);
			if (dv->res != NULL)
				ldns_resolver_deep_free(dv->res);
			free(dv);
			return NULL;
		}
	}
	pthread_mutex_init(&dv->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dv->cv, &ca);
	pthread_condattr_destroy(&ca);
	return dv;
}

int
divert_run(struct divert *dv, char *err, size_t errlen)
{
	int rc;

	if (dv == NULL)
		return 0;
	if ((rc = pthread_create(&dv->thr, NULL, divert_main, dv)) != 0) {
		snprintf(err, errlen, "divert thread: %s", strerror(rc));
		return -1;
	}
	dv->running = 1;
	return 0;
}

/* Names whose addresses are diverted: exact and suffix entries (the name itself), URL hosts. */
static size_t
entry_name(const struct rule_entry *e, char *out, size_t outsz)
{
	size_t len = e->namelen;

	if (e->type != RULE_DOMAIN && e->type != RULE_SUFFIX && e->type != RULE_URL)
		return 0;
	if (e->type == RULE_URL) {
		const char *slash = memchr(e->name, '/', e->namelen);
		if (slash != NULL)
			len = (size_t)(slash - e->name);
	}
	if (len == 0 || len >= outsz)
		return 0;
	memcpy(out, e->name, len);
	out[len] = '\0';
	return len;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
divert_list(struct divert *dv, const struct match_snapshot *snap)
{
	const struct rulelist *l = snap != NULL ? match_list(snap) : NULL;
	struct divert_prefix *p = NULL;
	char *names = NULL, *w, one[RULES_URL_MAX + 1];
	size_t np = 0, nn = 0, bytes = 0, nu = 0;

	if (dv == NULL)
		return;
	if (l != NULL && l->nentries + l->norders > 0) {
		/* Each order names at most DIVERT_ORDER_MAX prefixes (divertset.h). */
		p = malloc((l->nentries + l->norders * DIVERT_ORDER_MAX) * sizeof(*p));
		if (p == NULL)
			goto oom;
		/* The orders' own prefixes, of orders not yet ended. */
		for (size_t i = 0; i < l->norders; i++) {
			const struct rule_order *o = &l->orders[i];
			char why[128];
			long k;
			if (o->divert == NULL || o->not_after <= (int64_t)time(NULL))
				continue;
			k = divertset_list_parse(
			    o->divert, p + np, DIVERT_ORDER_MAX, DIVERT_ORDER, why, sizeof(why));
			if (k > 0)
				np += (size_t)k;
		}
		for (size_t i = 0; i < l->nentries; i++) {
			const struct rule_entry *e = &l->entries[i];
			if (e->type == RULE_IPV4 || e->type == RULE_IPV6) {
				p[np] =
				    (struct divert_prefix){(uint8_t)(e->type == RULE_IPV4 ? 4 : 6),
					e->plen, DIVERT_LIST, {0}};
				memcpy(p[np++].addr, e->addr, 16);
			} else if (dv->res != NULL && entry_name(e, one, sizeof(one)) > 0) {
				nn++;
				bytes += strlen(one) + 1;
			}
		}
		/* One arena of sorted, unique host names. */
		if (nn > 0) {
			char **hosts = malloc(nn * sizeof(*hosts));
			names = malloc(bytes);
			if (hosts == NULL || names == NULL) {
				free(hosts);
				goto oom;
			}
			w = names;
			size_t k = 0;
			for (size_t i = 0; i < l->nentries; i++) {
				const struct rule_entry *e = &l->entries[i];
				size_t len;
				if (e->type == RULE_IPV4 || e->type == RULE_IPV6)
					continue;
				if ((len = entry_name(e, one, sizeof(one))) == 0)
					continue;
				memcpy(w, one, len + 1);
				hosts[k++] = w;
				w += len + 1;
			}
			qsort(hosts, k, sizeof(*hosts), cmp_str);
			char *packed = malloc(bytes);
			if (packed == NULL) {
				free(hosts);
				goto oom;
			}
			w = packed;
			for (size_t i = 0; i < k; i++) {
				if (i > 0 && strcmp(hosts[i], hosts[i - 1]) == 0)
					continue;
				size_t len = strlen(hosts[i]);
				memcpy(w, hosts[i], len + 1);
				w += len + 1;
				nu++;
			}
			free(hosts);
			free(names);
			names = packed;
		}
	}
	pthread_mutex_lock(&dv->mu);
	free(dv->in_list);
	free(dv->in_names);
	dv->in_list = p;
	dv->in_nlist = np;
	dv->in_names = names;
	dv->in_nnames = nu;
	dv->in_serial = l != NULL ? l->serial : 0;
	dv->in_new = 1;
	pthread_cond_signal(&dv->cv);
	pthread_mutex_unlock(&dv->mu);
	return;
oom:
	free(p);
	free(names);
	log_warnx("divert: out of memory for the list's %zu entries; the divert set is not "
		  "updated",
	    l->nentries);
}

void
divert_health(struct divert *dv, int healthy, const char *why)
{
	char err[256];
	int64_t now = mono_ms();

	if (dv == NULL || dv->closed_mode)
		return;
	if (!healthy)
		dv->healthy_since = 0;
	else if (dv->healthy_since == 0)
		dv->healthy_since = now;
	if (healthy == dv->up)
		return;
	/*
	 * Back after a withdrawal only once healthy for HOLD_MS: an appliance
	 * withdrawn for overload would otherwise take the traffic back at once,
	 * overload again and make the core's routes flap.
	 */
	if (healthy && dv->announced_once && now - dv->healthy_since < HOLD_MS)
		return;
	if (tun_set_up(dv->cfg->divert_interface, healthy, err, sizeof(err)) < 0) {
		log_warnx("divert: %s", err);
		return;
	}
	dv->up = healthy;
	if (healthy) {
		dv->announced_once = 1;
		log_info("divert routes announced (%s up)", dv->cfg->divert_interface);
		if (dv->log != NULL)
			evlog_state(dv->log, EVS_DIVERT_ANNOUNCED, 0, "%s", why);
	} else {
		log_warnx("divert routes withdrawn (%s down): %s", dv->cfg->divert_interface, why);
		if (dv->log != NULL)
			evlog_state(dv->log, EVS_DIVERT_WITHDRAWN, 0, "%s", why);
	}
}

void
divert_close(struct divert *dv)
{
	if (dv == NULL)
		return;
	divert_health(dv, 0, "blockd stopping");
	if (dv->running) {
		pthread_mutex_lock(&dv->mu);
		dv->stop = 1;
		pthread_cond_signal(&dv->cv);
		pthread_mutex_unlock(&dv->mu);
		pthread_join(dv->thr, NULL);
	}
	/* The interface goes with the descriptor, and BIRD's routes via it with it. */
	if (dv->tunfd >= 0)
		close(dv->tunfd);
	if (dv->res != NULL)
		ldns_resolver_deep_free(dv->res);
	pthread_cond_destroy(&dv->cv);
	pthread_mutex_destroy(&dv->mu);
	free(dv->in_list);
	free(dv->in_names);
	free(dv->list);
	free(dv->names);
	free(dv->rn);
	free(dv->heap);
	free(dv->set);
	free(dv);
}

int
divert_answer(struct divert *dv, int json, FILE *out)
{
	char t[64], pt[64];

	if (dv == NULL) {
		if (json)
			fputs("{\"enabled\":false}\n", out);
		else
			fputs("divert off ([divert] bird_socket not set)\n", out);
		return 0;
	}
	pthread_mutex_lock(&dv->mu);
	const char *state = dv->closed_mode ? "announced (failure = closed: blackhole routes)"
	    : dv->up                        ? "announced"
					    : "withdrawn";
	if (dv->pushed_at) {
		struct tm tm;
		gmtime_r(&(time_t){dv->pushed_at}, &tm);
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	} else {
		snprintf(t, sizeof(t), "never");
	}
	if (json) {
		fprintf(out, "{\"enabled\":true,\"announced\":%s,\"failure\":\"%s\",\"interface\":",
		    dv->closed_mode || dv->up ? "true" : "false",
		    dv->closed_mode ? "closed" : "open");
		json_fstr(out, dv->cfg->divert_interface);
		fprintf(out,
		    ",\"version\":%" PRIu64 ",\"serial\":%" PRIu64 ",\"prefixes\":%zu,\"max\":%u,"
		    "\"dropped\":%zu",
		    dv->version, dv->serial, dv->nset, dv->cfg->divert_max, dv->dropped);
		for (int s = 1; s < DIVERT_NSOURCES; s++)
			fprintf(out, ",\"%s\":%zu", divert_source_name(s), dv->bysrc[s]);
		fprintf(out,
		    ",\"names\":%zu,\"names_resolved\":%zu,\"unroutable\":%zu,\"queries\":%" PRIu64
		    ",\"query_failures\":%" PRIu64 ",\"bird_ok\":%s,\"bird\":",
		    dv->names_pub, dv->resolved, dv->unroutable, dv->queries, dv->failures,
		    dv->bird_ok ? "true" : "false");
		json_fstr(out, dv->bird_msg);
		fprintf(out, ",\"pushed\":\"%s\",\"set\":[", t);
		for (size_t i = 0; i < dv->nset; i++)
			fprintf(out, "%s{\"prefix\":\"%s\",\"source\":\"%s\"}", i ? "," : "",
			    divertset_prefix_text(&dv->set[i], pt, sizeof(pt)),
			    divert_source_name(dv->set[i].source));
		fputs("]}\n", out);
	} else {
		fprintf(out, "divert %s via %s\n", state, dv->cfg->divert_interface);
		fprintf(out,
		    "set version %" PRIu64 " (list serial %" PRIu64 "): %zu prefixes of at most %u",
		    dv->version, dv->serial, dv->nset, dv->cfg->divert_max);
		for (int s = 1; s < DIVERT_NSOURCES; s++)
			fprintf(out, ", %zu %s", dv->bysrc[s], divert_source_name(s));
		fprintf(out, "%s\n", dv->dropped ? " (capped)" : "");
		if (dv->res != NULL)
			fprintf(out,
			    "names: %zu listed, %zu resolved; %" PRIu64 " queries, %" PRIu64
			    " without an answer; %zu special-use addresses left out\n",
			    dv->names_pub, dv->resolved, dv->queries, dv->failures, dv->unroutable);
		fprintf(out, "BIRD: %s, last reconfigured %s\n",
		    dv->bird_msg[0] ? dv->bird_msg : "-", t);
		for (size_t i = 0; i < dv->nset; i++)
			fprintf(out, "%s %s\n", divertset_prefix_text(&dv->set[i], pt, sizeof(pt)),
			    divert_source_name(dv->set[i].source));
	}
	pthread_mutex_unlock(&dv->mu);
	return 0;
}
