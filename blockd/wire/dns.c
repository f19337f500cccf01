/* DNS queries: read the question of a client's query, build the blocking answer. */
#include <ctype.h>
#include <string.h>

#include <ldns/ldns.h>

#include "base/bytes.h"
#include "dns.h"

#define T_A    1
#define T_AAAA 28
#define T_OPT  41
#define C_IN   1

/* Skips an uncompressed-or-compressed name in a record; returns the offset after it or 0. */
static size_t
skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = m[off];
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + (size_t)l;
		if (l == 0)
			return off <= len ? off : 0;
	}
	return 0;
}

/* Hostname bytes: letters, digits, '-', '_' (service labels) and '*'. */
static int
host_byte(uint8_t c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '*';
}

int
dns_query_parse(const uint8_t *m, size_t len, struct dns_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < 12)
		return DNS_MALFORMED;
	q->id = rd16(m);
	q->flags = rd16(m + 2);
	if ((q->flags & 0x8000) || ((q->flags >> 11) & 0xf) != 0)
		return DNS_NOT_QUERY;
	uint16_t qd = rd16(m + 4), an = rd16(m + 6), ns = rd16(m + 8), ar = rd16(m + 10);
	if (qd == 0)
		return DNS_MALFORMED;

	/* QNAME, uncompressed (Unbound refuses a pointer in a query's question). */
	size_t off = 12, n = 0;
	int odd = 0;
	for (;;) {
		if (off >= len)
			return DNS_MALFORMED;
		uint8_t l = m[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len)
			return DNS_MALFORMED;
		if (n + (n ? 1 : 0) + l > DNS_NAME_MAX)
			return DNS_MALFORMED;
		if (n)
			q->name[n++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = m[off + i];
			if (!host_byte(c))
				odd = 1;
			q->name[n++] = (char)tolower(c);
		}
		off += l;
	}
	q->name[n] = '\0';
	q->namelen = n;
	if (off + 4 > len)
		return DNS_MALFORMED;
	q->qtype = rd16(m + off);
	q->qclass = rd16(m + off + 2);
	q->question = m + 12;
	q->qlen = off + 4 - 12;
	off += 4;
	if (qd != 1 || an != 0 || ns != 0 || ar > 1)
		q->odd_counts = 1;

	/*
	 * What follows the question is read as Unbound reads it: only the
	 * records the header counts, an OPT in the additional section is
	 * EDNS, and bytes after them are ignored. Records that do not parse
	 * do not hide the question (Unbound answers FORMERR to such a query,
	 * a lenient resolver may answer the name): the query is without EDNS.
	 */
	if (qd == 1) {
		unsigned nrr = (unsigned)an + ns + ar;
		for (unsigned i = 0; i < nrr; i++) {
			size_t start = off;
			off = skip_name(m, len, off);
			if (off == 0 || off + 10 > len)
				break;
			uint16_t type = rd16(m + off);
			size_t rdlen = rd16(m + off + 8);
			if (off + 10 + rdlen > len)
				break;
			if (i >= (unsigned)an + ns && type == T_OPT && m[start] == 0) {
				q->edns = 1;
				q->edns_do = (m[off + 6] & 0x80) != 0;
			}
			off += 10 + rdlen;
		}
	}
	if (off < len)
		q->trailing = 1;
	return odd ? DNS_ODD_NAME : DNS_OK;
}

int
dns_query_verify(const uint8_t *msg, size_t len, const struct dns_query *q)
{
	ldns_pkt *p = NULL;
	uint8_t clean[12 + DNS_NAME_MAX + 2 + 4];
	int rc = -1;

	/*
	 * The header and the question alone, as the resolver reads them: what
	 * follows (records the header does not count, bytes after them) is not
	 * part of what is judged.
	 */
	if (len < 12 || q->qlen > sizeof(clean) - 12 || q->question != msg + 12 ||
	    12 + q->qlen > len)
		return -1;
	memcpy(clean, msg, 4);
	memset(clean + 4, 0, 8);
	clean[5] = 1;
	memcpy(clean + 12, q->question, q->qlen);
	if (ldns_wire2pkt(&p, clean, 12 + q->qlen) != LDNS_STATUS_OK)
		return -1;
	ldns_rr_list *ql = ldns_pkt_question(p);
	if (ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY || ql == NULL ||
	    ldns_rr_list_rr_count(ql) != 1)
		goto out;
	ldns_rr *rr = ldns_rr_list_rr(ql, 0);
	if ((uint16_t)ldns_rr_get_type(rr) != q->qtype ||
	    (uint16_t)ldns_rr_get_class(rr) != q->qclass || ldns_pkt_id(p) != q->id)
		goto out;
	/* The owner name, compared case-insensitively with what the matcher saw. */
	ldns_rdf *owner = ldns_rr_owner(rr);
	const uint8_t *w = ldns_rdf_data(owner);
	size_t wl = ldns_rdf_size(owner), off = 0, n = 0;
	while (off < wl && w[off] != 0) {
		uint8_t l = w[off++];
		if (n && (n >= q->namelen || q->name[n++] != '.'))
			goto out;
		for (uint8_t i = 0; i < l; i++, off++) {
			if (off >= wl || n >= q->namelen ||
			    tolower(w[off]) != (uint8_t)q->name[n++])
				goto out;
		}
	}
	if (n != q->namelen)
		goto out;
	rc = 0;
out:
	ldns_pkt_free(p);
	return rc;
}

/* Header and question shared by every answer. Returns the offset after the question or 0. */
static size_t
put_head(const struct dns_query *q, uint8_t rcode, uint16_t ancount, uint16_t arcount, uint8_t *out,
    size_t outlen)
{
	if (outlen < 12 + q->qlen)
		return 0;
	wr16(out, q->id);
	/* QR, opcode QUERY, RD and CD as asked, RA: we answer as the resolver would. */
	uint16_t fl = 0x8000 | (q->flags & 0x0100) | 0x0080 | (q->flags & 0x0010) | rcode;
	wr16(out + 2, fl);
	wr16(out + 4, 1);
	wr16(out + 6, ancount);
	wr16(out + 8, 0);
	wr16(out + 10, arcount);
	memcpy(out + 12, q->question, q->qlen);
	return 12 + q->qlen;
}

static size_t
put_opt(
    const struct dns_query *q, const struct dns_block *b, uint8_t *out, size_t off, size_t outlen)
{
	size_t tl = 0, optlen = 0;
	if (b && b->ede) {
		tl = b->ede_text ? strnlen(b->ede_text, DNS_EDE_TEXT_MAX) : 0;
		optlen = 4 + 2 + tl;
	}
	if (off + 11 + optlen > outlen)
		return 0;
	uint8_t *o = out + off;
	o[0] = 0; /* root owner */
	wr16(o + 1, T_OPT);
	wr16(o + 3, DNS_EDNS_PAYLOAD);
	/* extended rcode 0, version 0, DO copied (RFC 3225 3) */
	wr32(o + 5, q->edns_do ? 0x8000 : 0);
	wr16(o + 9, (uint16_t)optlen);
	if (optlen) {
		wr16(o + 11, 15); /* OPTION-CODE: Extended DNS Error */
		wr16(o + 13, (uint16_t)(2 + tl));
		wr16(o + 15, DNS_EDE_CENSORED);
		if (tl)
			memcpy(o + 17, b->ede_text, tl);
	}
	return off + 11 + optlen;
}

size_t
dns_answer_block(const struct dns_query *q, const struct dns_block *b, uint8_t *out, size_t outlen)
{
	const uint8_t *rdata = NULL;
	size_t rdlen = 0;

	if (b->sinkhole && q->qclass == C_IN) {
		if (q->qtype == T_A && b->v4) {
			rdata = b->v4;
			rdlen = 4;
		} else if (q->qtype == T_AAAA && b->v6) {
			rdata = b->v6;
			rdlen = 16;
		}
	}
	uint8_t rcode = b->sinkhole ? 0 : 3; /* NOERROR (answer or NODATA), NXDOMAIN */
	size_t off = put_head(q, rcode, rdata ? 1 : 0, q->edns ? 1 : 0, out, outlen);
	if (off == 0)
		return 0;
	if (rdata) {
		if (off + 12 + rdlen > outlen)
			return 0;
		uint8_t *a = out + off;
		wr16(a, 0xc00c); /* pointer to the question's name */
		wr16(a + 2, q->qtype);
		wr16(a + 4, C_IN);
		wr32(a + 6, b->ttl);
		wr16(a + 10, (uint16_t)rdlen);
		memcpy(a + 12, rdata, rdlen);
		off += 12 + rdlen;
	}
	if (q->edns)
		off = put_opt(q, b, out, off, outlen);
	return off;
}

size_t
dns_answer_servfail(const struct dns_query *q, uint8_t *out, size_t outlen)
{
	size_t off = put_head(q, 2, 0, q->edns ? 1 : 0, out, outlen);
	if (off && q->edns)
		off = put_opt(q, NULL, out, off, outlen);
	return off;
}

int
dns_tcp_next(const uint8_t *s, size_t len, size_t *off, const uint8_t **msg, size_t *mlen)
{
	size_t o = *off;
	if (o >= len)
		return 0;
	if (len - o < 2)
		return -1;
	size_t l = rd16(s + o);
	if (l == 0 || len - o - 2 < l)
		return -1;
	*msg = s + o + 2;
	*mlen = l;
	*off = o + 2 + l;
	return 1;
}
