/* The enforcement event: what a worker hands to the log writer for each block. */
#ifndef BLOCKD_EVENT_H
#define BLOCKD_EVENT_H

#include <stdint.h>

enum ev_method {
	EV_DNS = 1,
	EV_TLS,
	EV_QUIC,
	EV_HTTP,
	EV_IP,
};

/*
 * The enforcement actions, in one table: each line is the value and the
 * name the log writes for it ("action", blockd-log(5)); evrec.c names them
 * from here. A new action is a line here, at the end (values are never
 * renumbered), and the code that takes it.
 */
#define EV_ACTIONS(X)                                                                        \
	X(EV_NXDOMAIN, "nxdomain") /* DNS: NXDOMAIN (+ EDE 16) */                            \
	X(EV_SINKHOLE, "sinkhole") /* DNS: answer pointing at the notice address */          \
	X(EV_RESET, "reset")       /* TCP reset both ways */                                 \
	X(EV_DROP, "drop")         /* packet(s) dropped */                                   \
	X(EV_NOTICE, "notice")     /* HTTP 451 notice page, server side reset */             \
	X(EV_REJECT, "reject")     /* IP: TCP reset or ICMP administratively prohibited */   \
	X(EV_UNJUDGED_PASS, "unjudged_pass")   /* no name read: passed (reason says why) */  \
	X(EV_UNJUDGED_BLOCK, "unjudged_block") /* no name read: blocked (reason says why) */ \
	X(EV_OBSERVE, "observe") /* a staged address entry covers it: passed, measured */

#define EV_ACTION_ENUM(id, name) id,
enum ev_action {
	EV_ACTION_NONE = 0, /* the first action is 1 */
	EV_ACTIONS(EV_ACTION_ENUM)
};
#undef EV_ACTION_ENUM

#define EV_INDICATOR_MAX 512 /* name, SNI, host+path or address, truncated */
#define EV_VALUE_MAX     256 /* the entry as written in the list, truncated */
#define EV_REF_MAX       96
#define EV_SERVICE_MAX   96
#define EV_REASON_MAX    32

/*
 * Fixed size and self-contained: workers fill one in the writer's ring
 * (evlog_reserve()) or copy one there (evlog_append()), so nothing points into a snapshot that a reload
 * may free. The writer adds the sequence number, the subscriber pseudonym
 * and the appliance id; workers never allocate.
 */
struct event {
	uint64_t time_us; /* UTC microseconds since the epoch */
	uint64_t serial;  /* list serial in force */
	uint8_t method;   /* enum ev_method */
	uint8_t action;   /* enum ev_action */
	uint8_t family;   /* 4 or 6 */
	uint8_t proto;    /* IPPROTO_UDP, IPPROTO_TCP, ... */
	uint16_t dport;
	uint8_t entry_type;  /* enum rule_type */
	uint8_t client[16];  /* subscriber address, pseudonymised by the writer */
	uint32_t entry_line; /* entry's line in the list file */
	char indicator[EV_INDICATOR_MAX];
	char value[EV_VALUE_MAX];
	char order_ref[EV_REF_MAX];
	char service[EV_SERVICE_MAX];
	char reason[EV_REASON_MAX]; /* unjudged_*: why no name was read; "" otherwise */
};

struct match_snapshot;
struct match_hit;

/*
 * event_fill(): fills ev from a lookup hit and the packet's facts (strings
 * truncated to fit, always NUL-terminated). indicator need not be
 * NUL-terminated. Pure; no allocation.
 */
void event_fill(struct event *ev, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, int family, int proto, const uint8_t *client, uint16_t dport,
    const char *indicator, size_t indlen, uint64_t time_us);

/* event_set_reason(): sets ev's reason (truncated to fit). Pure. */
void event_set_reason(struct event *ev, const char *reason);

#endif
