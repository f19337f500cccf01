/* DNS queries: read the question of a client's query, build the blocking answer. */
#ifndef BLOCKD_DNS_H
#define BLOCKD_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX     253 /* presentation form, no trailing dot */
#define DNS_EDE_CENSORED 16  /* RFC 8914 info-code */
#define DNS_EDE_TEXT_MAX 200
#define DNS_EDNS_PAYLOAD 1232 /* UDP payload size advertised in our OPT record */

/* What dns_query_parse() read from a query. question points into the message. */
struct dns_query {
	uint16_t id;
	uint16_t flags; /* header flags word as received */
	uint16_t qtype;
	uint16_t qclass;
	const uint8_t *question; /* QNAME QTYPE QCLASS, as sent (original case) */
	size_t qlen;
	char name[DNS_NAME_MAX + 2]; /* lowercase, no trailing dot; "" for the root */
	size_t namelen;
	uint8_t edns;       /* the query carried an OPT record the header counts */
	uint8_t edns_do;    /* ... with the DO bit */
	uint8_t odd_counts; /* counts other than 1 question and at most 1 additional */
	uint8_t trailing;   /* bytes after the records the header counts */
};

/* dns_query_parse() results. */
enum dns_status {
	DNS_OK = 0,
	DNS_NOT_QUERY, /* a response, or an opcode other than QUERY: not ours to judge */
	DNS_MALFORMED, /* too short, no question, a question that does not parse */
	DNS_ODD_NAME,  /* a label holds '.', or bytes that cannot name a host: passed */
};

/*
 * dns_query_parse(): reads the header and the question of msg by hand (no
 * allocation) as Unbound reads a query: the first question, its name
 * uncompressed; an OPT record is EDNS only where the header counts it in
 * the additional section; bytes after the counted records, and records
 * that do not parse, are ignored (trailing, odd_counts say so), so one
 * extra byte cannot hide a name. A query with more than one question, or
 * answer or authority records, is still read by its first question: Unbound
 * refuses it, a lenient resolver may answer it. Returns an enum dns_status;
 * q is filled on DNS_OK.
 */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);

/*
 * dns_query_verify(): parses msg's header and question with ldns (RFC 1035
 * wire format) and checks they are the query dns_query_parse() saw (what
 * follows the question is not judged, so it is not checked). Allocates;
 * called only on the block path, before an answer is sent. Returns 0, or
 * -1 if ldns rejects it.
 */
int dns_query_verify(const uint8_t *msg, size_t len, const struct dns_query *q);

/* How to answer a blocked query. */
struct dns_block {
	int sinkhole;         /* 0: NXDOMAIN; 1: A/AAAA to the addresses below, NODATA otherwise */
	const uint8_t *v4;    /* 4 bytes, or NULL for NODATA on A */
	const uint8_t *v6;    /* 16 bytes, or NULL for NODATA on AAAA */
	uint32_t ttl;         /* of the sinkhole record */
	int ede;              /* add Extended DNS Error 16 when the query had EDNS */
	const char *ede_text; /* EXTRA-TEXT (UTF-8), truncated to DNS_EDE_TEXT_MAX */
};

/*
 * dns_answer_block(): writes the answer to q into out. The question is echoed
 * byte for byte (the client's 0x20 case survives). An OPT record (with EDE 16
 * if b->ede) is added only when the query had one (RFC 6891 6.1.1). Returns
 * the length, or 0 if outlen is too small. Pure, no allocation.
 */
size_t dns_answer_block(
    const struct dns_query *q, const struct dns_block *b, uint8_t *out, size_t outlen);

/*
 * dns_answer_servfail(): a SERVFAIL answer echoing the question, used for the
 * unblocked queries that share a TCP segment with a blocked one.
 */
size_t dns_answer_servfail(const struct dns_query *q, uint8_t *out, size_t outlen);

/*
 * dns_tcp_next(): the next complete length-prefixed message (RFC 7766 8) in
 * stream[*off..len). Returns 1 and sets msg/mlen and advances *off; 0 when
 * the rest is empty; -1 when the rest holds only part of a message.
 */
int dns_tcp_next(const uint8_t *stream, size_t len, size_t *off, const uint8_t **msg, size_t *mlen);

#endif
