/* TLS ClientHello parser: records defragmented, extensions walked with every length checked. */
#include <string.h>

#include "tls.h"

#define TLS_RECORD_MAX 16384 /* plaintext record limit, RFC 8446 5.1 */
#define TLS_HS_MAX     16384 /* handshake bytes gathered from records */
#define TLS_EXT_SNI    0x0000
#define TLS_EXT_ECH    0xfe0d
#define TLS_EXT_SEEN   128 /* distinct extension types tracked for duplicates */

enum { CUR_OK, CUR_SHORT, CUR_BAD };

/*
 * A read cursor: end is where the structure ends by its declared length,
 * avail where the bytes we have end (avail <= end). Reading past avail but
 * within end is "short" (more bytes may come); past end is malformed.
 */
struct cur {
	const uint8_t *p;
	size_t off, avail, end;
	int err;
};

static int
cur_have(struct cur *c, size_t n)
{
	if (c->err)
		return 0;
	if (n > c->end - c->off) {
		c->err = CUR_BAD;
		return 0;
	}
	if (n > c->avail - c->off) {
		c->err = CUR_SHORT;
		return 0;
	}
	return 1;
}

static unsigned
cur_u8(struct cur *c)
{
	if (!cur_have(c, 1))
		return 0;
	return c->p[c->off++];
}

static unsigned
cur_u16(struct cur *c)
{
	unsigned v;

	if (!cur_have(c, 2))
		return 0;
	v = (unsigned)c->p[c->off] << 8 | c->p[c->off + 1];
	c->off += 2;
	return v;
}

static void
cur_skip(struct cur *c, size_t n)
{
	if (cur_have(c, n))
		c->off += n;
}

/* A sub-cursor over the next n bytes; the parent skips past them (as far as it has them). */
static struct cur
cur_sub(struct cur *c, size_t n)
{
	struct cur s = {c->p, c->off, c->off, c->off, c->err};

	if (c->err)
		return s;
	if (n > c->end - c->off) {
		c->err = s.err = CUR_BAD;
		return s;
	}
	s.end = c->off + n;
	s.avail = c->avail < s.end ? c->avail : s.end;
	if (c->avail < s.end) {
		c->off = c->avail;
		c->err = CUR_SHORT;
	} else {
		c->off = s.end;
	}
	return s;
}

/* Checks a host_name and stores it lowercased; returns NULL or why it is refused. */
static const char *
take_name(const uint8_t *n, size_t len, struct tls_hello *out)
{
	size_t i, label = 0;

	if (len > 0 && n[len - 1] == '.')
		len--;
	if (len == 0)
		return "empty server name";
	if (len > TLS_SNI_MAX)
		return "server name longer than 253 bytes";
	for (i = 0; i < len; i++) {
		uint8_t ch = n[i];

		if (ch == '.') {
			if (label == 0)
				return "empty label in server name";
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') {
			label++;
		} else if (ch >= 'A' && ch <= 'Z') {
			ch = (uint8_t)(ch - 'A' + 'a');
			label++;
		} else if (ch == 0) {
			return "NUL in server name";
		} else {
			return "server name has a byte other than letters, digits, '-' and '.'";
		}
		if (label > 63)
			return "label longer than 63 bytes in server name";
		out->sni[i] = (char)ch;
	}
	if (label == 0)
		return "empty label in server name";
	out->sni[len] = '\0';
	out->sni_len = len;
	out->has_sni = 1;
	return NULL;
}

static int
malformed(struct tls_hello *out, const char *why)
{
	out->why = why;
	return TLS_MALFORMED;
}

/* server_name extension body (RFC 6066 3). */
static int
parse_sni(struct cur *e, struct tls_hello *out)
{
	struct cur list;
	unsigned hosts = 0;
	const char *why;

	if (e->end == e->off)
		return malformed(out, "empty server_name extension");
	list = cur_sub(e, cur_u16(e));
	if (e->err == CUR_OK && e->off != e->end)
		return malformed(out, "server_name list length does not match its extension");
	while (list.err == CUR_OK && list.off < list.end) {
		unsigned type = cur_u8(&list);
		size_t nlen = cur_u16(&list);
		struct cur name;

		if (list.err != CUR_OK)
			break;
		name = cur_sub(&list, nlen);
		if (list.err == CUR_BAD)
			break;
		if (type != 0)
			continue;
		if (++hosts > 1)
			return malformed(out, "more than one host_name in server_name");
		if (name.avail != name.end)
			break; /* list.err is CUR_SHORT */
		if ((why = take_name(name.p + name.off, name.end - name.off, out)) != NULL)
			return malformed(out, why);
	}
	if (list.err == CUR_BAD || e->err == CUR_BAD)
		return malformed(out, "server_name entry overruns its list");
	if (list.err == CUR_SHORT || e->err == CUR_SHORT)
		return -CUR_SHORT;
	return 0;
}

int
tls_parse_handshake(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	struct cur c, exts;
	size_t body, n;
	uint16_t seen[TLS_EXT_SEEN];
	unsigned nseen = 0, i;
	int r;

	memset(out, 0, sizeof(*out));
	if (len >= 1 && buf[0] != 1) {
		out->why = "handshake message is not a ClientHello";
		return TLS_NOT_TLS;
	}
	if (len < 4) {
		out->need = 4;
		return TLS_NEED_MORE;
	}
	body = (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
	out->hello_len = 4 + body;
	if (body < 2 + 32 + 1 + 2 + 2 + 1 + 1)
		return malformed(out, "ClientHello shorter than its fixed fields");
	if (len < out->hello_len && !(flags & TLS_PARTIAL_OK)) {
		out->need = out->hello_len;
		return TLS_NEED_MORE;
	}
	c.p = buf;
	c.off = 4;
	c.end = out->hello_len;
	c.avail = len < c.end ? len : c.end;
	c.err = CUR_OK;

	out->legacy_version = (uint16_t)cur_u16(&c);
	cur_skip(&c, 32);
	n = cur_u8(&c);
	if (c.err == CUR_OK && n > 32)
		return malformed(out, "legacy_session_id longer than 32 bytes");
	cur_skip(&c, n);
	n = cur_u16(&c);
	if (c.err == CUR_OK && (n < 2 || n % 2 != 0))
		return malformed(out, "cipher_suites length is zero or odd");
	cur_skip(&c, n);
	n = cur_u8(&c);
	if (c.err == CUR_OK && n < 1)
		return malformed(out, "no compression methods");
	cur_skip(&c, n);
	if (c.err == CUR_OK && c.off == c.end)
		return TLS_NO_SNI; /* no extensions at all (TLS 1.2 and older allow it) */
	n = cur_u16(&c);
	if (c.err == CUR_OK && n != c.end - c.off)
		return malformed(out, "extensions length does not match the ClientHello");
	exts = cur_sub(&c, n);

	while (exts.err == CUR_OK && exts.off < exts.end) {
		unsigned type = cur_u16(&exts);
		size_t elen = cur_u16(&exts);
		struct cur e;

		if (exts.err != CUR_OK)
			break; /* the extension header itself is incomplete or overruns */
		e = cur_sub(&exts, elen);
		if (exts.err == CUR_BAD)
			break;
		for (i = 0; i < nseen; i++)
			if (seen[i] == type)
				return malformed(out, "extension type repeated");
		if (nseen == TLS_EXT_SEEN)
			return malformed(out, "more than 128 extensions");
		seen[nseen++] = (uint16_t)type;
		if (type == TLS_EXT_SNI) {
			if ((r = parse_sni(&e, out)) > 0)
				return r;
			if (r < 0)
				break;
		} else if (type == TLS_EXT_ECH) {
			out->ech = 1;
		}
	}
	if (c.err == CUR_BAD || exts.err == CUR_BAD)
		return malformed(out, "ClientHello field overruns its length");
	if (c.err == CUR_SHORT || exts.err == CUR_SHORT || len < out->hello_len) {
		/* Only reached with TLS_PARTIAL_OK: the hello is cut short for good. */
		if (out->has_sni) {
			out->truncated = 1;
			return out->ech ? TLS_ECH : TLS_SNI;
		}
		out->need = out->hello_len;
		return TLS_NEED_MORE;
	}
	if (out->ech)
		return TLS_ECH;
	return out->has_sni ? TLS_SNI : TLS_NO_SNI;
}

int
tls_parse_client_hello(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	uint8_t hs[TLS_HS_MAX];
	size_t off = 0, have = 0, total = 0, rlen = 0, got = 0;
	uint16_t nrec = 0;
	int r, partial = 0;

	memset(out, 0, sizeof(*out));
	if (len >= 1 && buf[0] != 0x16) {
		out->why = "first record is not a handshake record";
		return TLS_NOT_TLS;
	}
	if (len >= 2 && buf[1] != 3) {
		out->why = "record version is not 3.x";
		return TLS_NOT_TLS;
	}
	/* Gather handshake bytes until the ClientHello's declared length is in. */
	while (off + 5 <= len && (total == 0 || have < total)) {
		size_t room, take;

		if (buf[off] != 0x16)
			return malformed(out, "non-handshake record before the ClientHello ended");
		if (buf[off + 1] != 3)
			return malformed(out, "record version is not 3.x");
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen == 0)
			return malformed(out, "empty handshake record");
		if (rlen > TLS_RECORD_MAX)
			return malformed(out, "record longer than 2^14 bytes");
		nrec++;
		got = len - off - 5 < rlen ? len - off - 5 : rlen;
		if (nrec == 1 && got == rlen && rlen >= 4) {
			/* Fast path: a first record holding the whole hello is parsed in place. */
			size_t want = 4 + ((size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8]);

			if (want <= rlen) {
				r = tls_parse_handshake(buf + 5, want, flags, out);
				out->nrecords = 1;
				return r;
			}
		}
		room = TLS_HS_MAX - have;
		take = got < room ? got : room;
		memcpy(hs + have, buf + off + 5, take);
		have += take;
		if (have >= 1 && hs[0] != 1) {
			out->why = "handshake message is not a ClientHello";
			return TLS_NOT_TLS;
		}
		if (have >= 4 && total == 0)
			total = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
		if (take < got) {
			flags |= TLS_PARTIAL_OK; /* longer than we keep: no more will come */
			partial = 1;
			break;
		}
		if (got < rlen) {
			partial = 1;
			break;
		}
		off += 5 + rlen;
	}
	r = tls_parse_handshake(hs, have, flags, out);
	out->nrecords = nrec;
	if (r == TLS_NEED_MORE) {
		size_t missing = out->need > have ? out->need - have : 1;
		size_t rest = rlen - got; /* handshake bytes still due in the open record */

		if (!partial)
			out->need = off + 5 + missing; /* lower bound: one more record */
		else if (missing <= rest)
			out->need = len + missing; /* exact */
		else
			out->need = off + 5 + rlen + 5 + (missing - rest);
	}
	return r;
}

const char *
tls_result_name(int r)
{
	switch (r) {
	case TLS_NEED_MORE:
		return "need-more";
	case TLS_SNI:
		return "sni";
	case TLS_NO_SNI:
		return "no-sni";
	case TLS_ECH:
		return "ech";
	case TLS_NOT_TLS:
		return "not-tls";
	case TLS_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
