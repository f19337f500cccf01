/* Packet workers: one thread per queue, each queued packet handed to its handler for a verdict. */
#ifndef BLOCKD_WORKER_H
#define BLOCKD_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "base/counters.h"
#include "wire/dns.h"
#include "wire/flow.h"
#include "kernel/inject.h"
#include "kernel/nfq.h"
#include "wire/pkt.h"

struct blockd_config;
struct snapref;
struct evlog;

/* Where a packet of a client over its share is judged alone; nothing of it is kept. */
struct webflow_scratch {
	struct flow flow;
	struct reasm stream;
};

struct worker {
	unsigned index; /* snapref reader slot */
	uint16_t queue;
	const struct blockd_config *cfg;
	struct snapref *snaps;
	struct evlog *log; /* enforcement events go here */
	int stopfd;        /* eventfd: readable when the worker must stop */
	pthread_t thread;
	int running;
	struct nfqueue q;
	struct injector inj;
	struct dns_block block; /* answer template; ede_text set per hit */
	uint8_t sink4[4], sink6[16];
	uint8_t kind_proto; /* the last packet's protocol and port, and queued_kind() of them */
	uint16_t kind_port;
	int kind;
	int64_t now; /* UTC seconds, once per batch */
	uint64_t now_us;
	struct worker_counters c;
	struct flow_table *flows;        /* TLS, HTTP, QUIC and DNS over TCP flows */
	struct client_table *clients;    /* flow slots and buffers each client holds */
	struct webflow_scratch *scratch; /* a packet judged alone */
	struct flow *picked;             /* the packet's flow as webflow_pick() found it, or NULL */
	const struct pkt *key_of;        /* the packet key is of (wf_key()); NULL: none yet */
	struct flow_key key;             /* that packet's flow key ... */
	uint32_t key_hash;               /* ... and its flow_hash() */
	uint32_t share_flows;            /* flow slots one client may hold */
	uint32_t share_streams;          /* stream buffers one client may hold */
	/*
	 * The packet worker_packet() judges, its verdict and its flow's mark:
	 * here, not on its stack, which a frame then guards on every packet.
	 */
	struct pkt pkt;
	int verdict;
	uint32_t flowmark;
	struct quic_ctx *quic;
	char *notice_template; /* the file named by notice_template, or NULL: built-in page */
	char notice[16384];    /* a rendered 451 response */
};

/*
 * worker_init(): the worker's state without the kernel: configuration,
 * flow table, buffers (webflow_open()); no queue, no raw sockets (packets
 * to inject are counted as inject_errors), no thread. What worker_start()
 * begins with, and what a bench drives through worker_packet(). Returns 0,
 * or -1 with a message in err (undone with webflow_close()).
 */
int worker_init(struct worker *, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen);
/*
 * worker_packet(): one queued packet, from parse to verdict (nfqueue_verdict()
 * on q): the nfqueue_packet_fn the worker's thread runs for each packet.
 * arg is the struct worker; w->now and w->now_us must be set.
 */
void worker_packet(void *arg, struct nfqueue *q, const struct nfqueue_packet *np);
/*
 * worker_start(): opens queue (nfqueue_open) and the raw sockets, then starts
 * the thread. cfg and snaps must outlive the worker. Returns 0, or -1 with a
 * message in err (nothing left open).
 */
int worker_start(struct worker *, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen);
/* worker_join(): waits for the thread (after stopfd was signalled) and closes everything. */
void worker_join(struct worker *);

/*
 * worker_counters_sum(): the counters of the n workers at w, the queue's and
 * the worker's, summed into out (relaxed loads; n = 1 for one queue's).
 * Safe from any thread while the workers run.
 */
void worker_counters_sum(const struct worker *w, unsigned n, struct counter_values *out);

#endif
