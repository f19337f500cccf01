/* Packet workers: one thread per queue, from a queued packet to a verdict (and an injected answer). */
#ifndef BLOCKD_WORKER_H
#define BLOCKD_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "dns.h"
#include "inject.h"
#include "nfq.h"

struct blockd_config;
struct snapref;
struct evlog;

/*
 * What a worker did with the packets it was given, beyond the queue's own
 * counters (struct nfqueue_counters). Written by the worker only; others read
 * them with __atomic_load_n(..., __ATOMIC_RELAXED).
 */
struct worker_counters {
	uint64_t pkt_bad[5];    /* indexed by enum pkt_status (PKT_OK unused); passed */
	uint64_t pkt_truncated; /* the kernel copied less than the packet; passed */
	uint64_t other;         /* not DNS, and no parser for it yet: passed */
	uint64_t dns_queries;   /* queries read (UDP datagrams, TCP messages) */
	uint64_t dns_bad;       /* DNS payloads that were not a query we could read; passed */
	uint64_t dns_odd_name;  /* names with bytes no host name has; passed */
	uint64_t dns_blocked;   /* queries answered by blockd */
	uint64_t dns_allowed;   /* covered by the list, overridden by the local allowlist */
	uint64_t
	    dns_verify_failed; /* blocked name, but ldns rejected the query: dropped unanswered */
	uint64_t dns_tcp_partial;    /* TCP segments ending inside a message: passed, start held */
	uint64_t dns_tcp_unheld;     /* ... whose unfinished message was too long to hold */
	uint64_t tls_hellos;         /* ClientHellos read to the end (or to the buffer's end) */
	uint64_t tls_blocked;        /* ... whose name is blocked: reset both ways */
	uint64_t tls_no_sni;         /* ... without a name (no server_name, or ECH without one) */
	uint64_t tls_no_sni_blocked; /* ... reset under no_sni = block */
	uint64_t tls_ech;            /* ... carrying encrypted_client_hello */
	uint64_t tls_not_tls; /* 443 streams that were not TLS, or broke its format: passed */
	uint64_t tls_evasive; /* hellos whose copies disagreed, or came in part below the TTL */
	uint64_t
	    tls_unfinished; /* hellos not whole at the last queued packet (name, else no_sni) */
	uint64_t quic_unfinished; /* QUIC flows with no hello read by the last queued datagram */
	uint64_t
	    tcp_bad_checksum; /* TCP segments (53, 80, 443) with a wrong checksum: passed unread */
	uint64_t tcp_low_ttl; /* client segments below their flow's TTL: not read as the stream */
	uint64_t flow_no_syn; /* data on a flow whose SYN was not seen: start taken from it */
	uint64_t flow_no_stream; /* no stream buffer free: passed undecided */
	uint64_t flow_dropped;   /* later packets of a blocked flow dropped */
	uint64_t http_requests;  /* request heads read on port 80 */
	uint64_t http_blocked;   /* ... answered with the 451 notice */
	uint64_t http_other;     /* port 80 streams that were not HTTP/1 or broke it: passed */
	uint64_t http_unjudged;  /* connections past the last queued packet: later requests pass */
	uint64_t quic_initials;  /* datagrams with a client Initial opened */
	uint64_t quic_blocked;   /* QUIC flows whose name is blocked: dropped */
	uint64_t quic_no_sni;
	uint64_t quic_evasive; /* hellos whose CRYPTO bytes disagreed (first copies read) */
	uint64_t quic_other;   /* UDP 443 datagrams that were no Initial we could open */
	uint64_t inject_errors;
	uint64_t events;      /* handed to the enforcement log */
	uint64_t events_lost; /* the log's queue was full (it records the loss too) */
	/* Gauges of the flow table, stored after each batch (the table itself is the worker's). */
	uint64_t flows_active;   /* flows in the table */
	uint64_t flows_capacity; /* room for this many */
	uint64_t flows_evicted;  /* live flows dropped because the table was full (a count) */
	uint64_t streams_in_use; /* stream buffers held by undecided flows */
	uint64_t streams_size;   /* stream buffers in the pool */
};

/*
 * A TCP DNS message split across segments (say the 2-byte length alone,
 * then the query): its start is kept here, per connection, until the rest
 * arrives, so a client cannot slip a query past by splitting it.
 */
#define TCPDNS_HOLD  1024 /* bytes of an unfinished message kept */
#define TCPDNS_SLOTS 256  /* connections with an unfinished message, per worker */
#define TCPDNS_AGE   30   /* seconds a held start stays valid */

struct tcpdns_slot {
	uint8_t used;
	uint8_t family;
	uint16_t sport, dport;
	uint16_t len;
	uint32_t next_seq; /* the sequence number the rest must start at */
	int64_t time;
	uint8_t src[16], dst[16];
	uint8_t buf[TCPDNS_HOLD];
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
	int64_t now; /* UTC seconds, once per batch */
	uint64_t now_us;
	struct worker_counters c;
	struct tcpdns_slot tcpdns[TCPDNS_SLOTS];
	struct flow_table *flows; /* TLS, HTTP and QUIC flows */
	struct quic_ctx *quic;
	char *notice_template; /* the file named by notice_template, or NULL: built-in page */
	char notice[16384];    /* a rendered 451 response */
	uint8_t joined[TCPDNS_HOLD + 65536]; /* a held start plus the next segment */
};

/*
 * worker_start(): opens queue (nfqueue_open) and the raw sockets, then starts
 * the thread. cfg and snaps must outlive the worker. Returns 0, or -1 with a
 * message in err (nothing left open).
 */
int worker_start(struct worker *, unsigned index, uint16_t queue, const struct blockd_config *cfg,
    struct snapref *snaps, struct evlog *log, int stopfd, char *err, size_t errlen);
/* worker_join(): waits for the thread (after stopfd was signalled) and closes everything. */
void worker_join(struct worker *);

#endif
