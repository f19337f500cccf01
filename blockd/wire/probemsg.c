/* What the compliance probe sends and reads: DNS queries, ClientHellos, QUIC Initials, HTTP heads. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "probemsg.h"

/* name as DNS labels into out; its length, or 0 if it does not fit or a label is bad. */
static size_t
put_name(uint8_t *out, size_t cap, const char *name)
{
	size_t o = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || o + 1 + l + 1 > cap || o + 1 + l > 254)
			return 0;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name, l);
		o += l;
		name += l + (dot != NULL);
	}
	if (o + 1 > cap)
		return 0;
	out[o++] = 0;
	return o;
}

size_t
probemsg_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n;

	if (cap < 12 + 4 + 11)
		return 0;
	memset(out, 0, 12);
	wr16(out, id);
	out[2] = 0x01; /* RD */
	out[5] = 1;    /* QDCOUNT */
	out[11] = 1;   /* ARCOUNT: the OPT record */
	if ((n = put_name(out + 12, cap - 12 - 4 - 11, name)) == 0)
		return 0;
	n += 12;
	wr16(out + n, qtype);
	wr16(out + n + 2, 1);
	n += 4;
	/* OPT: root owner, type 41, UDP size 1232, no flags, no options. */
	static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
	memcpy(out + n, opt, sizeof(opt));
	return n + sizeof(opt);
}

/* Skips the name at p[*o]; 0, or -1 past the end. Compression pointers end a name. */
static int
skip_name(const uint8_t *p, size_t len, size_t *o)
{
	while (*o < len) {
		uint8_t l = p[*o];
		if ((l & 0xc0) == 0xc0) {
			*o += 2;
			return *o <= len ? 0 : -1;
		}
		if (l & 0xc0)
			return -1;
		*o += 1 + (size_t)l;
		if (l == 0)
			return *o <= len ? 0 : -1;
	}
	return -1;
}

/* The EDE option in an OPT record's data, if any. */
static int
ede_of(const uint8_t *d, size_t len)
{
	for (size_t o = 0; o + 4 <= len;) {
		uint16_t code = rd16(d + o), olen = rd16(d + o + 2);
		if (o + 4 + olen > len)
			break;
		if (code == 15 && olen >= 2)
			return rd16(d + o + 4);
		o += 4 + (size_t)olen;
	}
	return -1;
}

int
probemsg_dns_answer(const uint8_t *p, size_t len, uint16_t id, struct probemsg_dns *out)
{
	size_t o = 12, i, qd, an, ns, ar;

	memset(out, 0, sizeof(*out));
	out->ede = -1;
	if (len < 12 || rd16(p) != id || !(p[2] & 0x80))
		return -1;
	out->rcode = p[3] & 0x0f;
	qd = rd16(p + 4);
	an = rd16(p + 6);
	ns = rd16(p + 8);
	ar = rd16(p + 10);
	for (i = 0; i < qd; i++)
		if (skip_name(p, len, &o) < 0 || (o += 4) > len)
			return -1;
	for (i = 0; i < an + ns + ar; i++) {
		uint16_t type, rdlen;
		if (skip_name(p, len, &o) < 0 || o + 10 > len)
			return -1;
		type = rd16(p + o);
		rdlen = rd16(p + o + 8);
		o += 10;
		if (o + rdlen > len)
			return -1;
		if (i < an && out->naddr < PROBEMSG_ADDRS && (type == 1 || type == 28) &&
		    rdlen == (type == 1 ? 4 : 16))
			inet_ntop(type == 1 ? AF_INET : AF_INET6, p + o, out->addr[out->naddr++],
			    sizeof(out->addr[0]));
		if (i >= an + ns && type == 41)
			out->ede = ede_of(p + o, rdlen);
		o += rdlen;
	}
	return 0;
}

/* An extension: type, then body[0..n). Returns the new offset, or 0 past cap. */
static size_t
ext(uint8_t *out, size_t o, size_t cap, uint16_t type, const uint8_t *body, size_t n)
{
	if (o == 0 || o + 4 + n > cap)
		return 0;
	wr16(out + o, type);
	wr16(out + o + 2, (uint16_t)n);
	memcpy(out + o + 4, body, n);
	return o + 4 + n;
}

size_t
probemsg_hello(uint8_t *out, size_t cap, const char *sni, const uint8_t random[96], int quic)
{
	static const uint8_t suites[] = {0, 6, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03};
	static const uint8_t versions[] = {2, 0x03, 0x04};
	static const uint8_t groups[] = {0, 2, 0x00, 0x1d};
	static const uint8_t sigalgs[] = {0, 8, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x08, 0x07};
	static const uint8_t alpn_h1[] = {0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
	static const uint8_t alpn_h3[] = {0, 3, 2, 'h', '3'};
	/* initial_max_data 1 MB, initial_max_streams_bidi 100, initial_source_connection_id empty */
	static const uint8_t tp[] = {
	    0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x08, 0x01, 0x40, 0x64, 0x0f, 0x00};
	uint8_t sn[300], ks[2 + 4 + 32];
	size_t nlen = strlen(sni), o, extstart;

	if (nlen == 0 || nlen > 253 || cap < 4 + 2 + 32 + 1 + 32 + sizeof(suites) + 2 + 2)
		return 0;
	/* server_name: list length, host_name (0), name length, name */
	wr16(sn, (uint16_t)(nlen + 3));
	sn[2] = 0;
	wr16(sn + 3, (uint16_t)nlen);
	memcpy(sn + 5, sni, nlen);
	wr16(ks, 36);
	wr16(ks + 2, 0x001d);
	wr16(ks + 4, 32);
	memcpy(ks + 6, random + 64, 32);

	out[0] = 1; /* ClientHello; length at out[1..3] */
	o = 4;
	out[o++] = 0x03;
	out[o++] = 0x03;
	memcpy(out + o, random, 32);
	o += 32;
	if (quic) {
		out[o++] = 0;
	} else {
		out[o++] = 32;
		memcpy(out + o, random + 32, 32);
		o += 32;
	}
	memcpy(out + o, suites, sizeof(suites));
	o += sizeof(suites);
	out[o++] = 1;
	out[o++] = 0; /* null compression */
	extstart = o;
	o += 2;
	o = ext(out, o, cap, 0x0000, sn, nlen + 5);
	o = ext(out, o, cap, 0x002b, versions, sizeof(versions));
	o = ext(out, o, cap, 0x000a, groups, sizeof(groups));
	o = ext(out, o, cap, 0x000d, sigalgs, sizeof(sigalgs));
	o = ext(out, o, cap, 0x0033, ks, sizeof(ks));
	if (quic) {
		o = ext(out, o, cap, 0x0010, alpn_h3, sizeof(alpn_h3));
		o = ext(out, o, cap, 0x0039, tp, sizeof(tp));
	} else {
		o = ext(out, o, cap, 0x0010, alpn_h1, sizeof(alpn_h1));
	}
	if (o == 0)
		return 0;
	wr16(out + extstart, (uint16_t)(o - extstart - 2));
	out[1] = (uint8_t)((o - 4) >> 16);
	wr16(out + 2, (uint16_t)(o - 4));
	return o;
}

size_t
probemsg_record(uint8_t *out, size_t cap, const uint8_t *hs, size_t hslen)
{
	if (hslen > 16384 || cap < 5 + hslen)
		return 0;
	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	wr16(out + 3, (uint16_t)hslen);
	memcpy(out + 5, hs, hslen);
	return 5 + hslen;
}

size_t
probemsg_quic_initial(struct quic_ctx *q, uint8_t *out, size_t cap, const uint8_t dcid[8],
    const uint8_t *hs, size_t hslen)
{
	const size_t size = 1200;
	size_t h = 0, plen;

	/* header 26 bytes, CRYPTO frame header 1 + 1 + 2, tag 16 */
	if (cap < size || hslen > size - 26 - 4 - 16)
		return 0;
	out[h++] = 0xc3; /* long header, Initial, 4-byte packet number */
	wr32(out + h, QUIC_V1);
	h += 4;
	out[h++] = 8;
	memcpy(out + h, dcid, 8);
	h += 8;
	out[h++] = 0; /* SCID empty */
	out[h++] = 0; /* no token */
	plen = size - h - 2;
	out[h++] = (uint8_t)(0x40 | plen >> 8);
	out[h++] = (uint8_t)plen;
	memset(out + h, 0, 4); /* packet number 0 */
	h += 4;
	out[h++] = 0x06; /* CRYPTO, offset 0, length as a 2-byte varint */
	out[h++] = 0;
	out[h++] = (uint8_t)(0x40 | hslen >> 8);
	out[h++] = (uint8_t)hslen;
	memcpy(out + h, hs, hslen);
	memset(out + h + hslen, 0, size - h - hslen); /* PADDING frames, then the tag */
	if (quic_seal_initial(q, QUIC_V1, out, 18, 4, 0, size) < 0)
		return 0;
	return size;
}

size_t
probemsg_http_get(char *out, size_t cap, const char *host, const char *path)
{
	int n = snprintf(out, cap,
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: blockctl-probe\r\nAccept: */*\r\n"
	    "Connection: close\r\n\r\n",
	    path, host);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

int
probemsg_http_status(const uint8_t *p, size_t len)
{
	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}
