/* The compliance probe: every entry of a list and every control tested on the wire, as a subscriber. */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "rulefmt.h"
#include "strset.h"
#include "wire/probemsg.h"

#define M(x) (1u << (x))

/* One thing to test: a name, a URL (name and path) or an address, for an entry or a control. */
struct target {
	int kind;          /* enum probe_kind */
	const char *order; /* "" for a control */
	char name[PROBE_FIELD_MAX];
	char path[PROBE_FIELD_MAX]; /* URL entries: "/..." */
	char addr[64];              /* address entries and prefixes: the address tested */
	unsigned methods;
};

struct run {
	const struct probe_opts *o;
	struct probe_report *r;
	struct quic_ctx *quic;
	struct timespec t0;
	size_t done, total;
};

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Waits for fd to become readable (or writable); 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int r;

	while ((r = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	return r;
}

/* A socket connected to addr:port (type SOCK_STREAM or SOCK_DGRAM); -1 with errno. */
static int
connect_to(const char *addr, int port, int type, int ms)
{
	struct sockaddr_storage ss;
	socklen_t sl, el = sizeof(int);
	int fd, e = 0;

	if (sockaddr_of(addr, port, &ss, &sl) < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (wait_fd(fd, POLLOUT, ms) <= 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		goto fail;
	if (e == 0)
		return fd;
	errno = e;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* One DNS question over UDP; 0 and *a, or -1 with why ("timeout", ...). */
static int
dns_ask(const char *server, const char *name, uint16_t qtype, int ms, struct probemsg_dns *a,
    char *why, size_t whylen)
{
	uint8_t q[512], buf[4096];
	uint16_t id;
	size_t ql;
	ssize_t n;
	int fd, tries;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)time(NULL);
	if ((ql = probemsg_dns_query(q, sizeof(q), id, name, qtype)) == 0) {
		snprintf(why, whylen, "name not sendable");
		return -1;
	}
	if ((fd = connect_to(server, 53, SOCK_DGRAM, ms)) == -1) {
		snprintf(why, whylen, "resolver %s: %s", server, strerror(errno));
		return -1;
	}
	/* Sent twice at most: a lost datagram is not a verdict. */
	for (tries = 0; tries < 2; tries++) {
		if (send(fd, q, ql, 0) == -1)
			break;
		while (wait_fd(fd, POLLIN, ms / 2) == 1) {
			if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
				break;
			if (probemsg_dns_answer(buf, (size_t)n, id, a) == 0) {
				close(fd);
				return 0;
			}
		}
	}
	close(fd);
	snprintf(why, whylen, "no answer from %s", server);
	return -1;
}

static void
check_dns(struct run *x, const struct target *t, struct probe_check *c)
{
	struct probemsg_dns a;
	char why[128];

	if (dns_ask(x->o->resolver, t->name, 1, x->o->timeout_ms, &a, why, sizeof(why)) < 0) {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "%s", why);
		return;
	}
	snprintf(c->addr, sizeof(c->addr), "%s", x->o->resolver);
	if (a.ede == 15 || a.ede == 16 || a.ede == 17) {
		c->outcome = PROBE_BLOCKED;
		snprintf(c->detail, sizeof(c->detail), "%s with EDE %d",
		    a.rcode == 3  ? "NXDOMAIN"
			: a.naddr ? "sinkhole answer"
				  : "no data",
		    a.ede);
	} else if (a.rcode == 3) {
		/* Without EDE an NXDOMAIN cannot be told from a name that does not exist. */
		c->outcome = t->kind == PROBE_ENTRY ? PROBE_BLOCKED : PROBE_OPEN;
		snprintf(c->detail, sizeof(c->detail), "NXDOMAIN without EDE");
	} else if (a.rcode == 0) {
		c->outcome = PROBE_OPEN;
		snprintf(
		    c->detail, sizeof(c->detail), "answered %s", a.naddr ? a.addr[0] : "(no A)");
	} else {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "rcode %d", a.rcode);
	}
}

/*
 * After the request is sent on a stream: bytes back are the server (open); a
 * reset, a close without a byte, or silence until the timeout, blocked.
 * status > 0: the HTTP status read, if any.
 */
static void
stream_answer(int fd, int ms, struct probe_check *c, int http)
{
	uint8_t buf[512];
	size_t len = 0;
	ssize_t n;
	int st;

	for (;;) {
		if (wait_fd(fd, POLLIN, ms) != 1) {
			c->outcome = len ? PROBE_OPEN : PROBE_BLOCKED;
			snprintf(c->detail, sizeof(c->detail),
			    len ? "partial answer" : "no answer (dropped)");
			return;
		}
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 || (n == 0 && len == 0)) {
			c->outcome = PROBE_BLOCKED;
			snprintf(c->detail, sizeof(c->detail), "%s",
			    n < 0 && errno == ECONNRESET ? "reset"
				: n < 0                  ? strerror(errno)
							 : "closed without an answer");
			return;
		}
		len += (size_t)n;
		if (!http) {
			c->outcome = PROBE_OPEN;
			snprintf(c->detail, sizeof(c->detail), "server answered (%s)",
			    buf[0] == 22       ? "handshake"
				: buf[0] == 21 ? "alert"
					       : "not TLS");
			return;
		}
		if ((st = probemsg_http_status(buf, len)) >= 0 || n == 0 || len == sizeof(buf)) {
			c->outcome = st == 451 ? PROBE_BLOCKED : PROBE_OPEN;
			if (st >= 0)
				snprintf(c->detail, sizeof(c->detail), "HTTP %d", st);
			else
				snprintf(c->detail, sizeof(c->detail), "not HTTP");
			return;
		}
	}
}

/* The address a name's TLS, HTTP and QUIC checks connect to; 0, or -1 with why in c. */
static int
target_addr(struct run *x, const struct target *t, char *addr, size_t len, struct probe_check *c)
{
	struct probemsg_dns a;
	char why[128];
	const char *via = x->o->lookup ? x->o->lookup : x->o->resolver;

	if (x->o->test_addr != NULL) {
		snprintf(addr, len, "%s", x->o->test_addr);
		return 0;
	}
	if (dns_ask(via, t->name, 1, x->o->timeout_ms, &a, why, sizeof(why)) == 0 && a.rcode == 0 &&
	    a.naddr > 0 && a.ede < 0) {
		snprintf(addr, len, "%s", a.addr[0]);
		return 0;
	}
	c->outcome = PROBE_ERROR;
	snprintf(c->detail, sizeof(c->detail),
	    "no address for the name (give --test-address or --lookup)");
	return -1;
}

static void
check_stream(struct run *x, const struct target *t, struct probe_check *c, int http)
{
	uint8_t rnd[96], hs[1024], rec[1100];
	char req[1024];
	const void *msg;
	size_t mlen;
	int fd;

	if (target_addr(x, t, c->addr, sizeof(c->addr), c) < 0)
		return;
	if (http) {
		mlen = probemsg_http_get(req, sizeof(req), t->name, t->path[0] ? t->path : "/");
		msg = req;
	} else {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			memset(rnd, 0x5a, sizeof(rnd));
		mlen = probemsg_hello(hs, sizeof(hs), t->name, rnd, 0);
		mlen = probemsg_record(rec, sizeof(rec), hs, mlen);
		msg = rec;
	}
	if (mlen == 0) {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "name too long to send");
		return;
	}
	if ((fd = connect_to(c->addr, http ? 80 : 443, SOCK_STREAM, x->o->timeout_ms)) == -1) {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "connect: %s", strerror(errno));
		return;
	}
	if (send(fd, msg, mlen, MSG_NOSIGNAL) != (ssize_t)mlen) {
		c->outcome = errno == ECONNRESET ? PROBE_BLOCKED : PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "send: %s", strerror(errno));
	} else {
		stream_answer(fd, x->o->timeout_ms, c, http);
	}
	close(fd);
}

static void
check_quic(struct run *x, const struct target *t, struct probe_check *c)
{
	uint8_t rnd[96], dcid[8], hs[1024], dgram[1200], buf[1500];
	size_t hl, dl;
	int fd;

	if (target_addr(x, t, c->addr, sizeof(c->addr), c) < 0)
		return;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) ||
	    getrandom(dcid, sizeof(dcid), 0) != sizeof(dcid))
		memset(dcid, 0x42, sizeof(dcid));
	hl = probemsg_hello(hs, sizeof(hs), t->name, rnd, 1);
	dl = hl ? probemsg_quic_initial(x->quic, dgram, sizeof(dgram), dcid, hs, hl) : 0;
	if (dl == 0) {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "could not build the Initial");
		return;
	}
	if ((fd = connect_to(c->addr, 443, SOCK_DGRAM, x->o->timeout_ms)) == -1) {
		c->outcome = PROBE_ERROR;
		snprintf(c->detail, sizeof(c->detail), "socket: %s", strerror(errno));
		return;
	}
	c->outcome = PROBE_BLOCKED;
	snprintf(c->detail, sizeof(c->detail), "no answer (dropped)");
	if (send(fd, dgram, dl, 0) == (ssize_t)dl && wait_fd(fd, POLLIN, x->o->timeout_ms) == 1) {
		if (recv(fd, buf, sizeof(buf), 0) > 0) {
			c->outcome = PROBE_OPEN;
			snprintf(c->detail, sizeof(c->detail), "server answered");
		} else {
			c->outcome = PROBE_ERROR;
			snprintf(c->detail, sizeof(c->detail), "%s", strerror(errno));
		}
	}
	close(fd);
}

static void
check_ip(struct run *x, const struct target *t, struct probe_check *c)
{
	int fd;

	snprintf(c->addr, sizeof(c->addr), "%s", t->addr);
	fd = connect_to(t->addr, x->o->ip_port, SOCK_STREAM, x->o->timeout_ms);
	if (fd != -1) {
		close(fd);
		c->outcome = PROBE_OPEN;
		snprintf(c->detail, sizeof(c->detail), "connected to port %d", x->o->ip_port);
		return;
	}
	/* A reset, an ICMP prohibited or silence: what blockd's address actions look like. */
	c->outcome = PROBE_BLOCKED;
	snprintf(c->detail, sizeof(c->detail), "port %d: %s", x->o->ip_port,
	    errno == ETIMEDOUT ? "no answer (dropped)" : strerror(errno));
}

static void
progress(struct run *x, int last)
{
	if (x->o->progress == NULL)
		return;
	fprintf(x->o->progress, "\rprobe: %zu/%zu checks, %zu failing, %zu overblocked, %.0f s%s",
	    x->done, x->total, probe_count(x->r, PROBE_FAIL), probe_count(x->r, PROBE_OVERBLOCKED),
	    since(&x->t0), last ? "\n" : "");
	fflush(x->o->progress);
}

static int
run_target(struct run *x, const struct target *t)
{
	for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++) {
		struct probe_check c = {.kind = (uint8_t)t->kind, .method = (uint8_t)m};
		double due = (double)x->done / x->o->rate;

		if (!(t->methods & x->o->methods & M(m)))
			continue;
		snprintf(c.order, sizeof(c.order), "%s", t->order);
		if (t->name[0]) {
			/* A URL longer than a field is cut: its check still runs on the whole path. */
			if (snprintf(c.target, sizeof(c.target), "%s%s", t->name, t->path) >=
			    (int)sizeof(c.target))
				c.target[sizeof(c.target) - 1] = '\0';
		} else
			snprintf(c.target, sizeof(c.target), "%s", t->addr);
		if (since(&x->t0) >= x->o->max_seconds) {
			c.outcome = PROBE_SKIPPED;
			snprintf(c.detail, sizeof(c.detail), "time limit reached");
		} else {
			double now = since(&x->t0);
			if (due > now) {
				struct timespec ts = {(time_t)(due - now),
				    (long)((due - now - (double)(time_t)(due - now)) * 1e9)};
				nanosleep(&ts, NULL);
			}
			switch (m) {
			case PROBE_DNS:
				check_dns(x, t, &c);
				break;
			case PROBE_TLS:
				check_stream(x, t, &c, 0);
				break;
			case PROBE_HTTP:
				check_stream(x, t, &c, 1);
				break;
			case PROBE_QUIC:
				check_quic(x, t, &c);
				break;
			default:
				check_ip(x, t, &c);
			}
		}
		c.verdict = (uint8_t)probe_verdict_of(c.kind, c.outcome);
		if (probe_add(x->r, &c) < 0)
			return -1;
		x->done++;
		progress(x, 0);
	}
	return 0;
}

/* The target of a list or control entry. */
static void
target_of(const struct rule_entry *e, int kind, const char *order, struct target *t)
{
	const char *slash;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->order = order;
	switch (e->type) {
	case RULE_DOMAIN:
	case RULE_SUFFIX:
		snprintf(t->name, sizeof(t->name), "%.*s", (int)e->namelen, e->name);
		t->methods = M(PROBE_DNS) | M(PROBE_TLS) | M(PROBE_HTTP) | M(PROBE_QUIC);
		break;
	case RULE_URL:
		slash = memchr(e->name, '/', e->namelen);
		if (slash == NULL)
			slash = e->name + e->namelen;
		snprintf(t->name, sizeof(t->name), "%.*s", (int)(slash - e->name), e->name);
		snprintf(
		    t->path, sizeof(t->path), "%.*s", (int)(e->name + e->namelen - slash), slash);
		if (t->path[0] == '\0')
			t->path[0] = '/';
		t->methods = M(PROBE_HTTP);
		break;
	default: {
		/* A prefix is tested on its first address past the network's (its only one for /32). */
		uint8_t a[16];
		int v6 = e->type == RULE_IPV6, n = v6 ? 16 : 4;
		memcpy(a, e->addr, (size_t)n);
		if (e->plen < (v6 ? 128 : 32))
			for (int i = n - 1; i >= 0 && ++a[i] == 0; i--)
				;
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, t->addr, sizeof(t->addr));
		t->methods = M(PROBE_IP);
	}
	}
}

/* Is name covered by an entry of the list (names set: 1 domain, 2 suffix)? */
static int
covered(const struct strset *names, const char *name)
{
	const char *p = name;
	unsigned f = strset_get(names, name, strlen(name), NULL);

	if (f != 0)
		return 1;
	while ((p = strchr(p, '.')) != NULL) {
		p++;
		if (strset_get(names, p, strlen(p), NULL) & 2)
			return 1;
	}
	return 0;
}

/* Controls next to each domain entry: www.NAME and NAME's parent, where the list covers neither. */
static int
sibling_controls(struct run *x, const struct rulelist *l)
{
	struct strset *names = strset_create(), *done = strset_create();
	int rc = -1;
	size_t i;

	if (names == NULL || done == NULL)
		goto out;
	for (i = 0; i < l->nentries; i++) {
		const struct rule_entry *e = &l->entries[i];
		if ((e->type == RULE_DOMAIN || e->type == RULE_SUFFIX) &&
		    strset_add(names, e->name, e->namelen, e->type == RULE_DOMAIN ? 1 : 2, 0) < 0)
			goto out;
	}
	for (i = 0; i < l->nentries; i++) {
		const struct rule_entry *e = &l->entries[i];
		struct target t = {.kind = PROBE_CONTROL, .order = ""};
		char cand[2][PROBE_FIELD_MAX];
		const char *dot;

		if (e->type != RULE_DOMAIN)
			continue;
		snprintf(cand[0], sizeof(cand[0]), "www.%.*s", (int)e->namelen, e->name);
		dot = memchr(e->name, '.', e->namelen);
		cand[1][0] = '\0';
		/* A parent of one label is a top-level domain: not a control. */
		if (dot != NULL && memchr(dot + 1, '.', (size_t)(e->name + e->namelen - dot - 1)))
			snprintf(cand[1], sizeof(cand[1]), "%.*s",
			    (int)(e->name + e->namelen - dot - 1), dot + 1);
		for (int k = 0; k < 2; k++) {
			if (cand[k][0] == '\0' || strlen(cand[k]) > 253 ||
			    covered(names, cand[k]) ||
			    strset_get(done, cand[k], strlen(cand[k]), NULL))
				continue;
			if (strset_add(done, cand[k], strlen(cand[k]), 1, 0) < 0)
				goto out;
			snprintf(t.name, sizeof(t.name), "%s", cand[k]);
			t.methods = M(PROBE_DNS) | M(PROBE_TLS) | M(PROBE_HTTP) | M(PROBE_QUIC);
			if (run_target(x, &t) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	strset_free(names);
	strset_free(done);
	return rc;
}

/* How many checks targets of these types make, for the progress line. */
static size_t
count_checks(const struct probe_opts *o)
{
	size_t n = 0, i;
	struct target t;

	for (i = 0; i < o->list->nentries; i++) {
		target_of(&o->list->entries[i], PROBE_ENTRY, "", &t);
		n += (size_t)__builtin_popcount(t.methods & o->methods);
	}
	for (i = 0; i < o->ncontrols; i++) {
		target_of(&o->controls[i], PROBE_CONTROL, "", &t);
		n += (size_t)__builtin_popcount(t.methods & o->methods);
	}
	return n;
}

int
probe_run(const struct probe_opts *o, struct probe_report *r, char *err, size_t errlen)
{
	struct run x = {.o = o, .r = r};
	struct sockaddr_storage ss;
	socklen_t sl;
	struct target t;
	size_t i;
	int rc = -1;

	if (sockaddr_of(o->resolver, 53, &ss, &sl) < 0 ||
	    (o->lookup && sockaddr_of(o->lookup, 53, &ss, &sl) < 0) ||
	    (o->test_addr && sockaddr_of(o->test_addr, 443, &ss, &sl) < 0)) {
		snprintf(
		    err, errlen, "the resolver, --lookup and --test-address must be IP addresses");
		return -1;
	}
	if ((o->methods & M(PROBE_QUIC)) && (x.quic = quic_ctx_create()) == NULL) {
		snprintf(err, errlen, "QUIC: OpenSSL lacks AES-128-GCM or memory is short");
		return -1;
	}
	snprintf(r->vantage, sizeof(r->vantage), "%s", o->vantage ? o->vantage : "");
	snprintf(r->issuer, sizeof(r->issuer), "%s", o->list->issuer ? o->list->issuer : "");
	snprintf(r->resolver, sizeof(r->resolver), "%s", o->resolver);
	r->serial = o->list->serial;
	r->started = time(NULL);
	x.total = count_checks(o);
	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	for (i = 0; i < o->list->nentries; i++) {
		const struct rule_entry *e = &o->list->entries[i];
		target_of(e, PROBE_ENTRY, o->list->orders[e->order].ref, &t);
		if (run_target(&x, &t) < 0)
			goto oom;
	}
	for (i = 0; i < o->ncontrols; i++) {
		target_of(&o->controls[i], PROBE_CONTROL, "", &t);
		if (run_target(&x, &t) < 0)
			goto oom;
	}
	if (o->siblings && sibling_controls(&x, o->list) < 0)
		goto oom;
	x.total = x.done;
	progress(&x, 1);
	r->finished = time(NULL);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (x.quic)
		quic_ctx_destroy(x.quic);
	return rc;
}
