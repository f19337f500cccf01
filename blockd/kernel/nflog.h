/* NFLOG listener: the first packet of each flow the kernel blocked by IP, turned into an event. */
#ifndef BLOCKD_NFLOG_H
#define BLOCKD_NFLOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct evlog;
struct match_snapshot;
struct snapref;

/* nflog_event() results. */
#define NFLOG_MATCHED 0 /* ev filled in */
#define NFLOG_UNMATCHED \
	1           /* no block entry covers the destination now (list changed, allowlisted) */
#define NFLOG_BAD 2 /* not a parsable IPv4/IPv6 packet */

/*
 * nflog_event(): from a logged packet (starting at the IP header), the event
 * naming the entry and order that cover its destination in snap (may be
 * NULL: unmatched). action is EV_REJECT or EV_DROP. Pure; no allocation.
 */
int nflog_event(const struct match_snapshot *snap, const uint8_t *pkt, size_t len, int action,
    int64_t now, uint64_t time_us, struct event *ev);

/* Counters, written by the listener thread only; read them with relaxed atomic loads. */
struct nflog_counters {
	_Atomic uint64_t received;  /* packets logged by the kernel and read */
	_Atomic uint64_t events;    /* events handed to the enforcement log */
	_Atomic uint64_t unmatched; /* NFLOG_UNMATCHED */
	_Atomic uint64_t bad;       /* NFLOG_BAD and malformed netlink messages */
	_Atomic uint64_t lost;      /* evlog queue full, or socket overrun (ENOBUFS) */
};

struct nflog {
	struct mnl_socket *nl;
	pthread_t thread;
	int running;
	unsigned group;
	int action; /* EV_REJECT or EV_DROP */
	struct snapref *snaps;
	unsigned reader; /* this thread's snapref reader slot */
	struct evlog *log;
	int stopfd; /* readable: stop */
	struct nflog_counters c;
	char buf[65536 + 4096];
};

/*
 * nflog_start(): binds NFLOG group (copying packet headers) and starts the
 * listener thread. The struct must stay put until nflog_stop(). Returns 0,
 * or -1 with a message in err.
 */
int nflog_start(struct nflog *, unsigned group, int action, struct snapref *, unsigned reader,
    struct evlog *, int stopfd, char *err, size_t errlen);
/* nflog_stop(): joins the thread (stopfd must be readable) and closes the socket. Idempotent. */
void nflog_stop(struct nflog *);

#endif
