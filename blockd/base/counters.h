/* The daemon's counters, listed once: their structs, stats keys, metrics and the stop log line. */
#ifndef BLOCKD_COUNTERS_H
#define BLOCKD_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every counter of a queue is one row here, and everything else is generated
 * from the rows: the two structs below, the `blockctl stats` keys (text and
 * --json), the Prometheus metrics and the log line blockd writes for each
 * queue when it stops. A new counter is a new row (and the code that counts).
 *
 * X(src, field, log, stats, kind, metric, scope, label, help)
 *   src     Q: the queue's own (struct nfqueue_counters, counted in nfq.c),
 *           W: the worker's (struct worker_counters, in worker.c and its handlers)
 *   field   the struct's field, and the counter's name in the stop log line
 *   log     1: in the stop log line ("field=N", in the table's order)
 *   stats   its key in `blockctl stats`, or NULL; rows with one key are added
 *   kind    COUNTER (only ever grows) or GAUGE (stored, goes up and down)
 *   metric  its Prometheus family, or NULL; rows with one family and label
 *           are added into one sample
 *   scope   QUEUE: one sample per queue, labelled queue="N";
 *           ALL: one sample, the sum over the queues
 *   label   the sample's own label as "name=value", or NULL
 *   help    the family's HELP text, on the family's first row (NULL on the others)
 *
 * `blockctl stats` keys come in the table's order; metric families in the
 * order of their first rows, their samples in the order of their labels'.
 */
/* clang-format off */
#define BLOCKD_COUNTERS(X) \
	/* packet messages read */ \
	X(Q, received, 1, "received", COUNTER, NULL, ALL, NULL, NULL) \
	/* NF_ACCEPT verdicts */ \
	X(Q, accepted, 1, "accepted", COUNTER, "blockd_queue_packets_total", QUEUE, \
	    "verdict=accept", "Packets received from each NFQUEUE queue, by verdict.") \
	/* NF_DROP verdicts */ \
	X(Q, dropped, 1, "dropped", COUNTER, "blockd_queue_packets_total", QUEUE, "verdict=drop", \
	    NULL) \
	/* gaps in packet ids: the kernel queued them but could not deliver them */ \
	X(Q, missed, 1, "missed", COUNTER, "blockd_queue_missed_total", QUEUE, NULL, \
	    "Packets the kernel queued but blockd never saw (queue overflow, fail-open).") \
	/* receive overruns reported despite NETLINK_NO_ENOBUFS */ \
	X(Q, enobufs, 1, "enobufs", COUNTER, "blockd_queue_enobufs_total", QUEUE, NULL, \
	    "Times a queue's netlink socket ran out of buffer.") \
	/* verdict messages sent (a batch verdict covers several packets) */ \
	X(Q, verdict_msgs, 1, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* sendto() calls carrying verdicts */ \
	X(Q, sends, 1, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* queries read (UDP datagrams, TCP messages) */ \
	X(W, dns_queries, 1, "dns_queries", COUNTER, "blockd_inspected_total", ALL, "method=dns", \
	    "DNS queries, TLS ClientHellos, QUIC Initials and HTTP requests read.") \
	/* queries answered by blockd */ \
	X(W, dns_blocked, 1, "dns_blocked", COUNTER, "blockd_blocked_total", ALL, "method=dns", \
	    "Of those, blocked.") \
	/* DNS payloads that were not a query we could read; passed */ \
	X(W, dns_bad, 1, "dns_unreadable", COUNTER, "blockd_unreadable_total", ALL, NULL, \
	    "Packets passed because they could not be read (malformed, fragments, not the " \
	    "protocol).") \
	/* TCP segments that left a message unfinished: passed, its start kept in the stream */ \
	X(W, dns_tcp_partial, 1, "dns_tcp_split", COUNTER, NULL, ALL, NULL, NULL) \
	/* non-first IP fragments (PKT_FRAGMENT): passed */ \
	X(W, fragments, 1, "fragments", COUNTER, NULL, ALL, NULL, NULL) \
	/* not DNS, and no parser for it yet: passed */ \
	X(W, other, 0, "other_passed", COUNTER, NULL, ALL, NULL, NULL) \
	/* answers, resets and notices that could not be sent */ \
	X(W, inject_errors, 1, "inject_errors", COUNTER, "blockd_inject_errors_total", ALL, NULL, \
	    "Answers, resets and notices that could not be sent.") \
	/* handed to the enforcement log */ \
	X(W, events, 0, "events", COUNTER, NULL, ALL, NULL, NULL) \
	/* the log's queue was full (it records the loss too) */ \
	X(W, events_lost, 0, "events_lost", COUNTER, NULL, ALL, NULL, NULL) \
	/* ClientHellos read to the end (or to the buffer's end) */ \
	X(W, tls_hellos, 0, "tls_hellos", COUNTER, "blockd_inspected_total", ALL, "method=tls", \
	    NULL) \
	/* ... whose name is blocked: reset both ways */ \
	X(W, tls_blocked, 0, "tls_blocked", COUNTER, "blockd_blocked_total", ALL, "method=tls", \
	    NULL) \
	/* ... without a name, reset under no_sni = block */ \
	X(W, tls_no_sni_blocked, 0, "tls_blocked", COUNTER, "blockd_blocked_total", ALL, \
	    "method=tls", NULL) \
	/* datagrams with a client Initial opened */ \
	X(W, quic_initials, 0, "quic_initials", COUNTER, "blockd_inspected_total", ALL, \
	    "method=quic", NULL) \
	/* QUIC flows whose name is blocked: dropped */ \
	X(W, quic_blocked, 0, "quic_blocked", COUNTER, "blockd_blocked_total", ALL, "method=quic", \
	    NULL) \
	/* request heads read on port 80 */ \
	X(W, http_requests, 0, "http_requests", COUNTER, "blockd_inspected_total", ALL, \
	    "method=http", NULL) \
	/* ... answered with the 451 notice */ \
	X(W, http_blocked, 0, "http_blocked", COUNTER, "blockd_blocked_total", ALL, "method=http", \
	    NULL) \
	/* flows in the table (the flow table's gauges are stored after each batch) */ \
	X(W, flows_active, 0, "flows", GAUGE, "blockd_flows", QUEUE, NULL, \
	    "TLS, HTTP and QUIC flows in each queue's flow table, at its last batch.") \
	/* room for this many */ \
	X(W, flows_capacity, 0, "flow_capacity", GAUGE, "blockd_flow_capacity", QUEUE, NULL, \
	    "Flows each queue's table has room for.") \
	/* stored from the table */ \
	X(W, flows_evicted, 0, "flows_evicted", COUNTER, "blockd_flows_evicted_total", ALL, NULL, \
	    "Live flows dropped from a full table, oldest first.") \
	/* stream buffers held by undecided flows */ \
	X(W, streams_in_use, 0, "streams_in_use", GAUGE, "blockd_flow_streams_in_use", ALL, NULL, \
	    "Stream buffers held by flows still waiting for a name.") \
	/* hellos whose copies disagreed, or came in part below the TTL */ \
	X(W, tls_evasive, 0, "tls_evasive", COUNTER, "blockd_evasive_total", ALL, "method=tls", \
	    "TLS and QUIC hellos, DNS over TCP and HTTP connections whose repeated bytes " \
	    "disagreed (segments, CRYPTO frames).") \
	/* hellos not whole at the last queued packet (name, else no_sni) */ \
	X(W, tls_unfinished, 0, "tls_unfinished", COUNTER, "blockd_unjudged_total", ALL, \
	    "method=tls", \
	    "Flows still undecided at the last packet the rules queue: TLS hellos not yet " \
	    "whole, HTTP connections whose later requests pass, QUIC flows with no hello read.") \
	/* connections past the last queued packet: later requests pass */ \
	X(W, http_unjudged, 0, "http_unjudged", COUNTER, "blockd_unjudged_total", ALL, \
	    "method=http", NULL) \
	/* hellos whose CRYPTO bytes disagreed (first copies read) */ \
	X(W, quic_evasive, 0, "quic_evasive", COUNTER, "blockd_evasive_total", ALL, "method=quic", \
	    NULL) \
	/* DNS over TCP connections whose copies disagreed, or came in part below the TTL */ \
	X(W, dns_evasive, 0, "dns_evasive", COUNTER, "blockd_evasive_total", ALL, "method=dns", \
	    NULL) \
	/* HTTP connections whose copies disagreed */ \
	X(W, http_evasive, 0, "http_evasive", COUNTER, "blockd_evasive_total", ALL, "method=http", \
	    NULL) \
	/* QUIC connections with no hello read within their byte budget */ \
	X(W, quic_unfinished, 0, "quic_unfinished", COUNTER, "blockd_unjudged_total", ALL, \
	    "method=quic", NULL) \
	/* UDP 443 datagrams without a client Initial that opens: passed, deciding nothing */ \
	X(W, quic_not_initial, 0, "quic_not_initial", COUNTER, "blockd_quic_datagrams_total", \
	    ALL, "kind=not_initial", \
	    "UDP 443 datagrams that decide nothing, and QUIC connections read, by kind.") \
	/* Initials without CRYPTO frames of a connection not being read: passed */ \
	X(W, quic_no_crypto, 0, "quic_no_crypto", COUNTER, "blockd_quic_datagrams_total", ALL, \
	    "kind=no_crypto", NULL) \
	/* coalesced packets naming another connection than the first: ignored */ \
	X(W, quic_other_cid, 0, "quic_other_cid", COUNTER, "blockd_quic_datagrams_total", ALL, \
	    "kind=other_cid", NULL) \
	/* part of another connection's hello while one is read: dropped */ \
	X(W, quic_held_back, 0, "quic_held_back", COUNTER, "blockd_quic_datagrams_total", ALL, \
	    "kind=held_back", NULL) \
	/* connections read on a flow: a new DCID, or a judged one's hello again */ \
	X(W, quic_connections, 0, "quic_connections", COUNTER, "blockd_quic_datagrams_total", \
	    ALL, "kind=connection", NULL) \
	/* TCP segments (53, 80, 443) with a wrong checksum: passed unread */ \
	X(W, tcp_bad_checksum, 0, "tcp_bad_checksum", COUNTER, "blockd_fake_segments_total", ALL, \
	    "reason=checksum", \
	    "TCP segments left unread because the server would not take them, by reason.") \
	/* client segments below their flow's TTL: not read as the stream */ \
	X(W, tcp_low_ttl, 0, "tcp_low_ttl", COUNTER, "blockd_fake_segments_total", ALL, \
	    "reason=ttl", NULL) \
	/* client segments with a TCP MD5 or TCP-AO option: a server without a key drops them */ \
	X(W, tcp_md5, 0, "tcp_md5", COUNTER, "blockd_fake_segments_total", ALL, "reason=md5", \
	    NULL) \
	/* ... with a timestamp older than one taken before (PAWS) */ \
	X(W, tcp_paws, 0, "tcp_paws", COUNTER, "blockd_fake_segments_total", ALL, "reason=paws", \
	    NULL) \
	/* ... without ACK, with an ACK number no server takes, or a broken option */ \
	X(W, tcp_bad_ack, 0, "tcp_bad_ack", COUNTER, "blockd_fake_segments_total", ALL, \
	    "reason=ack", NULL) \
	X(W, tcp_bad_option, 0, "tcp_bad_option", COUNTER, "blockd_fake_segments_total", ALL, \
	    "reason=option", NULL) \
	/* urgent bytes taken out of a client's stream, as the server's stack takes them out */ \
	X(W, tcp_urgent, 0, "tcp_urgent", COUNTER, NULL, ALL, NULL, NULL) \
	/* SYNs carrying data: read, but only a blocked name in them decides */ \
	X(W, tcp_syn_data, 0, "tcp_syn_data", COUNTER, NULL, ALL, NULL, NULL) \
	/* flows decided without a name read, by reason (judge.h JUDGE_REASONS) */ \
	X(W, unjudged_queue_end, 0, "unjudged_queue_end", COUNTER, \
	    "blockd_unjudged_decisions_total", ALL, "reason=queue_end", \
	    "Flows decided without a name read, by reason: the unjudged policy, or failure when " \
	    "no stream buffer was free.") \
	X(W, unjudged_client_share, 0, "unjudged_client_share", COUNTER, \
	    "blockd_unjudged_decisions_total", ALL, "reason=client_share", NULL) \
	X(W, unjudged_no_buffer, 0, "unjudged_no_buffer", COUNTER, \
	    "blockd_unjudged_decisions_total", ALL, "reason=no_buffer", NULL) \
	/* ... of which blocked (unjudged = block, or failure = closed) */ \
	X(W, unjudged_blocked, 0, "unjudged_blocked", COUNTER, "blockd_unjudged_blocked_total", \
	    ALL, NULL, "Of those, blocked.") \
	/* packets of a client over its share of flow slots or buffers (judged alone) */ \
	X(W, share_exceeded, 0, "client_share_exceeded", COUNTER, \
	    "blockd_client_share_exceeded_total", ALL, NULL, \
	    "Packets of a client over its share of flow slots or stream buffers, judged alone.") \
	/* ... that could not be judged alone: dropped, for the client to send again */ \
	X(W, share_held_back, 0, "client_share_dropped", COUNTER, \
	    "blockd_client_share_dropped_total", ALL, NULL, \
	    "Of those, dropped because they could not be judged alone.") \
	/* stream buffers given back by connections between requests */ \
	X(W, streams_returned, 0, "streams_returned", COUNTER, "blockd_flow_streams_returned_total", \
	    ALL, NULL, "Stream buffers given back by idle keep-alive connections between requests.") \
	/* streams grown to read a hello or request head longer than a buffer (padded) */ \
	X(W, streams_grown, 0, "streams_grown", COUNTER, "blockd_flow_streams_grown_total", ALL, \
	    NULL, "Streams grown to read a hello or request head longer than a stream buffer.") \
	/* ... that could not grow: every long buffer in use */ \
	X(W, streams_long_exhausted, 0, "streams_long_exhausted", COUNTER, \
	    "blockd_flow_streams_long_exhausted_total", ALL, NULL, \
	    "Streams that needed to grow while every long buffer was in use.") \
	/* flows on the [flows] ports whose first bytes are no TLS, QUIC or HTTP/1: allowed */ \
	X(W, flows_unrecognised, 0, "flows_unrecognised", COUNTER, \
	    "blockd_flows_unrecognised_total", ALL, NULL, \
	    "Flows on the judged ports whose first bytes are no TLS, QUIC or HTTP/1 (allowed).") \
	/* packets of undecided flows past their queued bytes (queued late, marked) */ \
	X(W, flows_late, 0, "flows_late_packets", COUNTER, "blockd_flows_late_packets_total", ALL, \
	    NULL, "Packets of undecided flows past their queued bytes, judged before they pass.") \
	/* ... of flows the worker did not know (begun while blockd was stopped): allowed at once */ \
	X(W, flows_late_unknown, 0, "flows_late_unknown", COUNTER, \
	    "blockd_flows_late_unknown_total", ALL, NULL, \
	    "Flows past their queued bytes that blockd did not know (begun before it started), " \
	    "allowed at once.") \
	/* ---- below: counted, but shown only in a metric sum, or not at all ---- */ \
	X(Q, recv_errors, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	X(Q, send_errors, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* packet messages without the attributes a verdict needs */ \
	X(Q, bad_msgs, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* the kernel copied less than the packet; passed */ \
	X(W, pkt_truncated, 0, NULL, COUNTER, "blockd_unreadable_total", ALL, NULL, NULL) \
	/* a length field points past the packet (PKT_TRUNCATED); passed */ \
	X(W, pkt_short, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* PKT_MALFORMED; passed */ \
	X(W, pkt_malformed, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* neither TCP nor UDP (PKT_OTHER_PROTO); passed */ \
	X(W, pkt_other_proto, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* names with bytes no host name has; passed */ \
	X(W, dns_odd_name, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* covered by the list, overridden by the local allowlist */ \
	X(W, dns_allowed, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* blocked name, but ldns rejected the query: dropped unanswered */ \
	X(W, dns_verify_failed, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* DNS over TCP: messages too long for the stream buffer (read by their start), and \
	 * segments reaching past a buffer that could not move on (dropped, sent again) */ \
	X(W, dns_tcp_unheld, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* hellos without a name (no server_name, or ECH without one) */ \
	X(W, tls_no_sni, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* hellos carrying encrypted_client_hello */ \
	X(W, tls_ech, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* 443 streams that were not TLS, or broke its format: passed */ \
	X(W, tls_not_tls, 0, NULL, COUNTER, "blockd_unreadable_total", ALL, NULL, NULL) \
	/* TLS 1.3 flows whose first hello passed, left to the rules until the server answers \
	 * (mark_hello): a ServerHello lets them go in the kernel */ \
	X(W, tls_hello_waits, 0, "tls_hello_waits", COUNTER, NULL, ALL, NULL, NULL) \
	/* client segments after such a first hello that reached the worker anyway (after a \
	 * HelloRetryRequest, or where the server's side does not pass): read for a second hello */ \
	X(W, tls_after_hello, 0, "tls_after_hello", COUNTER, NULL, ALL, NULL, NULL) \
	/* out-of-order data before a flow's first bytes, with no buffer to read it into: dropped */ \
	X(W, flows_first_held, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* data on a flow whose SYN was not seen: start taken from it */ \
	X(W, flow_no_syn, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* no stream buffer free: passed undecided */ \
	X(W, flow_no_stream, 0, NULL, COUNTER, "blockd_flows_without_buffer_total", ALL, NULL, \
	    "Flows passed undecided because no stream buffer was free.") \
	/* later packets of a blocked flow dropped */ \
	X(W, flow_dropped, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* port 80 streams that were not HTTP/1 or broke it: passed */ \
	X(W, http_other, 0, NULL, COUNTER, "blockd_unreadable_total", ALL, NULL, NULL) \
	/* QUIC hellos without a name */ \
	X(W, quic_no_sni, 0, NULL, COUNTER, NULL, ALL, NULL, NULL) \
	/* UDP 443 datagrams that were no Initial we could open */ \
	X(W, quic_other, 0, NULL, COUNTER, "blockd_unreadable_total", ALL, NULL, NULL) \
	/* stream buffers in the pool */ \
	X(W, streams_size, 0, NULL, GAUGE, NULL, ALL, NULL, NULL) \
	/* flows to an address entry under observation: passed, logged as observe */ \
	X(W, observed, 0, "observed", COUNTER, "blockd_observed_total", ALL, NULL, \
	    "Flows to address entries under observation: passed and logged as observe.") \
	/* what a worker saw on a staged entry, lost because its ring was full */ \
	X(W, observe_lost, 0, "observe_lost", COUNTER, "blockd_observe_lost_total", ALL, NULL, \
	    "Names seen on staged address entries not measured (a worker's ring was full).")
/* clang-format on */

enum counter_id {
#define COUNTER_ID(src, field, ...) CTR_##field,
	BLOCKD_COUNTERS(COUNTER_ID)
#undef COUNTER_ID
	    CTR_N
};

enum counter_kind { CTR_COUNTER, CTR_GAUGE };
enum counter_scope { CTR_ALL, CTR_QUEUE };

#define COUNTER_FIELD_Q(field) _Atomic uint64_t field;
#define COUNTER_FIELD_W(field)

/*
 * Everything a queue saw, so no packet goes unaccounted for. Written by the
 * queue's thread only (counter_add(), counter_set()); others read them with
 * counter_get().
 */
struct nfqueue_counters {
#define COUNTER_FIELD(src, field, ...) COUNTER_FIELD_##src(field)
	BLOCKD_COUNTERS(COUNTER_FIELD)
#undef COUNTER_FIELD
};

#undef COUNTER_FIELD_Q
#undef COUNTER_FIELD_W
#define COUNTER_FIELD_Q(field)
#define COUNTER_FIELD_W(field) _Atomic uint64_t field;

/* What a worker did with the packets it was given, beyond the queue's own counters; same rules. */
struct worker_counters {
#define COUNTER_FIELD(src, field, ...) COUNTER_FIELD_##src(field)
	BLOCKD_COUNTERS(COUNTER_FIELD)
#undef COUNTER_FIELD
};

#undef COUNTER_FIELD_Q
#undef COUNTER_FIELD_W

/* The counters of one queue, or their sum over several, read at one time: v[enum counter_id]. */
struct counter_values {
	uint64_t v[CTR_N];
};

/* One row of the table, as data. */
struct counter_info {
	const char *field;  /* its name in the stop log line */
	const char *stats;  /* its key in `blockctl stats`, or NULL */
	const char *metric; /* its Prometheus family, or NULL */
	const char *label;  /* "name=value", or NULL */
	const char *help;   /* the family's HELP text, on the family's first row */
	uint8_t log;        /* in the stop log line */
	uint8_t kind;       /* enum counter_kind */
	uint8_t scope;      /* enum counter_scope */
};

extern const struct counter_info counter_info[CTR_N];

/*
 * Counters have one writer each, the thread that owns them, so a count is a
 * relaxed load and store, not a locked add. Readers on other threads use
 * counter_get(); the values only add up, no ordering with other memory.
 */
static inline void
counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(
	    c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static inline void
counter_set(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t
counter_get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* counters_read(): q's and w's counters into out (relaxed loads). Either may be NULL: zeros. */
void counters_read(
    const struct nfqueue_counters *q, const struct worker_counters *w, struct counter_values *out);

/* counters_add(): sum += v, counter by counter. */
void counters_add(struct counter_values *sum, const struct counter_values *v);

/*
 * counters_first(): is row i the first with its key, the stats key (metric 0)
 * or the metric family (metric 1)? 0 when row i has none.
 */
int counters_first(size_t i, int metric);

/* counters_sample_first(): is row i the first with its family and label? 0 without a family. */
int counters_sample_first(size_t i);

/* counters_stat(): the value of a `blockctl stats` key: the sum of its rows. */
uint64_t counters_stat(const struct counter_values *v, const char *key);

/* counters_sample(): the value of a family's sample with label (NULL: none): its rows' sum. */
uint64_t counters_sample(const struct counter_values *v, const char *metric, const char *label);

/*
 * counters_log_line(): the stop log line's counters, "received=N accepted=N ...",
 * into buf (truncated to len, always NUL-terminated). Returns buf.
 */
char *counters_log_line(const struct counter_values *v, char *buf, size_t len);

#endif
