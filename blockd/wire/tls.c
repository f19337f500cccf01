/* TLS ClientHello parser: records defragmented, extensions walked with every length checked. */
#include <stddef.h>
#include <string.h>

#include "base/bytes.h"
#include "tls.h"
#include "tls_name.h"

#define TLS_RECORD_MAX 16384 /* plaintext record limit, RFC 8446 5.1 */
#define TLS_HS_MAX     65536 /* handshake bytes gathered from records: a flow's byte budget */
#define TLS_EXT_SNI    0x0000
#define TLS_EXT_EARLY  0x002a /* early_data */
#define TLS_EXT_VERS   0x002b /* supported_versions */
#define TLS_EXT_ECH    0xfe0d
#define TLS_V13        0x0304
#define REC_CCS        0x14
#define REC_HANDSHAKE  TLS_RECORD_HANDSHAKE
#define REC_APPDATA    0x17
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

static inline int
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

static inline unsigned
cur_u8(struct cur *c)
{
	if (!cur_have(c, 1))
		return 0;
	return c->p[c->off++];
}

static inline unsigned
cur_u16(struct cur *c)
{
	unsigned v;

	if (!cur_have(c, 2))
		return 0;
	v = (unsigned)c->p[c->off] << 8 | c->p[c->off + 1];
	c->off += 2;
	return v;
}

static inline void
cur_skip(struct cur *c, size_t n)
{
	if (cur_have(c, n))
		c->off += n;
}

/* A sub-cursor over the next n bytes; the parent skips past them (as far as it has them). */
static inline struct cur
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

/* out emptied: the fields, and the name's first byte (the rest is read no further than sni_len). */
static void
hello_clear(struct tls_hello *out)
{
	memset(out, 0, offsetof(struct tls_hello, sni));
	out->sni[0] = '\0';
}

static int
malformed(struct tls_hello *out, const char *why)
{
	out->why = why;
	return TLS_MALFORMED;
}

/* server_name extension body (RFC 6066 3), maybe cut short. */
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
		if ((why = tls_take_name(name.p + name.off, name.end - name.off, out)) != NULL)
			return malformed(out, why);
	}
	if (list.err == CUR_BAD || e->err == CUR_BAD)
		return malformed(out, "server_name entry overruns its list");
	if (list.err == CUR_SHORT || e->err == CUR_SHORT)
		return -CUR_SHORT;
	return 0;
}

/* parse_sni() for a whole extension body b[0..n), as plain offsets. */
static inline __attribute__((always_inline)) int
parse_whole_sni(const uint8_t *b, size_t n, struct tls_hello *out)
{
	size_t off, nlen;
	unsigned hosts = 0;
	const char *why;

	if (n >= 5 && rd16(b) == n - 2 && b[2] == 0 && rd16(b + 3) == n - 5) {
		/* The usual list: one host_name, filling it. */
		why = tls_take_name(b + 5, n - 5, out);
		return why != NULL ? malformed(out, why) : 0;
	}
	if (n == 0)
		return malformed(out, "empty server_name extension");
	if (n < 2 || rd16(b) > n - 2)
		return malformed(out, "server_name entry overruns its list");
	if (rd16(b) != n - 2)
		return malformed(out, "server_name list length does not match its extension");
	for (off = 2; off < n; off += nlen) {
		if (n - off < 3 || (nlen = rd16(b + off + 1)) > n - off - 3)
			return malformed(out, "server_name entry overruns its list");
		off += 3;
		if (b[off - 3] != 0)
			continue;
		if (++hosts > 1)
			return malformed(out, "more than one host_name in server_name");
		if ((why = tls_take_name(b + off, nlen, out)) != NULL)
			return malformed(out, why);
	}
	return 0;
}

/* supported_versions (RFC 8446 4.2.1): 1 if it lists TLS 1.3, so a HelloRetryRequest may come. */
static int
offers_tls13(struct cur *e)
{
	struct cur v = cur_sub(e, cur_u8(e));

	while (v.err == CUR_OK && v.off < v.end)
		if (cur_u16(&v) == TLS_V13)
			return 1;
	return 0;
}

/* offers_tls13() for a whole extension body b[0..n). */
static int
whole_offers_tls13(const uint8_t *b, size_t n)
{
	if (n == 0 || b[0] > n - 1)
		return 0;
	for (size_t i = 1; i + 2 <= 1 + (size_t)b[0]; i += 2)
		if (rd16(b + i) == TLS_V13)
			return 1;
	return 0;
}

/* 1 if an extension from x up to p (their headers read whole) has type. */
static __attribute__((noinline)) int
ext_seen_before(const uint8_t *x, const uint8_t *p, unsigned type)
{
	for (; x != p; x += 4 + rd16(x + 2))
		if (rd16(x) == type)
			return 1;
	return 0;
}

/*
 * Notes the type of the extension at p (the first at x) as seen, for
 * duplicates: those below 64 in the bit set *low, the rest in *hashed, a
 * bit a hash of the type picks, which when set already sends the search
 * back over the extensions read. *room counts down from 129 the types
 * noted. Returns why the hello is malformed, or NULL.
 */
static inline const char *
ext_note(unsigned type, const uint8_t *x, const uint8_t *p, uint64_t *low, uint64_t *hashed,
    unsigned *room)
{
	uint64_t bit = type < 64 ? 1ull << type : 1ull << ((type * 0x9e3779b1u) >> 26);

	if (type < 64 ? (*low & bit) != 0 : (*hashed & bit) && ext_seen_before(x, p, type))
		return "extension type repeated";
	if (--*room == 0)
		return "more than 128 extensions";
	if (type < 64)
		*low |= bit;
	else
		*hashed |= bit;
	return NULL;
}

#define OVERRUN "ClientHello field overruns its length"

/* The extension types below 64 the parser reads. */
#define EXT_READ_LOW (1ull << TLS_EXT_SNI | 1ull << TLS_EXT_EARLY | 1ull << TLS_EXT_VERS)

/*
 * The facts whole_hello() notes, as it noted them of the extensions from x
 * up to p (their headers read whole, no type repeated): for a server_name
 * at p refused, which no fact after it may outlive.
 */
static __attribute__((noinline)) void
facts_before(const uint8_t *x, const uint8_t *p, struct tls_hello *out)
{
	out->ech = out->tls13 = out->early_data = 0;
	for (; x != p; x += 4 + rd16(x + 2)) {
		unsigned type = rd16(x);

		if (type == TLS_EXT_ECH)
			out->ech = 1;
		else if (type == TLS_EXT_VERS)
			out->tls13 = (uint8_t)whole_offers_tls13(x + 4, rd16(x + 2));
		else if (type == TLS_EXT_EARLY)
			out->early_data = 1;
	}
}

/*
 * The hello when all of it is at hand (the usual case), h[0..end) with
 * end >= 45: nothing can be short, so each field is read at its offset with
 * one bound check, reaching the results parse_cut() would. The
 * server_name extension is read after the walk (keeping it free of calls),
 * as if in its place: its failure is reported with the facts the walk
 * noted before it. counted: whether the types below 64 count towards the
 * 129th (parse_whole()).
 */
static inline __attribute__((always_inline)) int
whole_hello(const uint8_t *h, size_t end, struct tls_hello *out, int counted)
{
	uint64_t low = 0, hashed = 0;
	unsigned room = TLS_EXT_SEEN + 1;
	const uint8_t *x, *p, *e = h + end, *sni = NULL;
	size_t off, n, sni_len = 0;
	const char *why = NULL;
	int r;

	out->legacy_version = rd16(h + 4);
	n = h[38]; /* after the version and the 32-byte random */
	if (n > 32)
		return malformed(out, "legacy_session_id longer than 32 bytes");
	off = 39 + n;
	if (off + 2 > end)
		return malformed(out, OVERRUN);
	n = rd16(h + off);
	if (n < 2 || n % 2 != 0)
		return malformed(out, "cipher_suites length is zero or odd");
	off += 2 + n;
	if (off + 1 > end)
		return malformed(out, OVERRUN);
	n = h[off];
	if (n < 1)
		return malformed(out, "no compression methods");
	off += 1 + n;
	if (off == end)
		return TLS_NO_SNI; /* no extensions at all (TLS 1.2 and older allow it) */
	if (off + 2 > end)
		return malformed(out, OVERRUN);
	if (rd16(h + off) != end - off - 2)
		return malformed(out, "extensions length does not match the ClientHello");
	for (x = p = h + off + 2;; p += 4 + n) {
		size_t rem = (size_t)(e - p);
		uint32_t hdr;
		unsigned type;

		if (rem < 4) { /* one test for the end and for a header cut short */
			if (rem != 0)
				why = OVERRUN;
			break;
		}
		if ((n = (hdr = rd32(p)) & 0xffff) > rem - 4) {
			why = OVERRUN;
			break;
		}
		type = hdr >> 16;
		if (type < 64) {
			/* ext_note() for the usual types, kept here */
			uint64_t bit = 1ull << type;

			if (low & bit) {
				why = "extension type repeated";
				break;
			}
			if (counted && --room == 0) {
				why = "more than 128 extensions";
				break;
			}
			low |= bit;
			if (!(bit & EXT_READ_LOW))
				continue;
		} else {
			if ((why = ext_note(type, x, p, &low, &hashed, &room)) != NULL)
				break;
			if (type == TLS_EXT_ECH)
				out->ech = 1;
			continue;
		}
		if (type == TLS_EXT_SNI) {
			sni = p + 4;
			sni_len = n;
		} else if (type == TLS_EXT_VERS) {
			out->tls13 = (uint8_t)whole_offers_tls13(p + 4, n);
		} else {
			out->early_data = 1;
		}
	}
	if (sni != NULL && (r = parse_whole_sni(sni, sni_len, out)) != 0) {
		facts_before(x, sni - 4, out);
		return r;
	}
	if (why != NULL)
		return malformed(out, why);
	if (out->ech)
		return TLS_ECH;
	return out->has_sni ? TLS_SNI : TLS_NO_SNI;
}

/*
 * whole_hello(), its walk without the count where 129 extensions cannot
 * fit: each takes 4 bytes at least, and they start 47 bytes in at the
 * earliest (after the shortest session id, cipher suites and compression
 * methods, and their length).
 */
static int
parse_whole(const uint8_t *h, size_t end, struct tls_hello *out)
{
	if (end < 47 + 4 * (TLS_EXT_SEEN + 1))
		return whole_hello(h, end, out, 0);
	return whole_hello(h, end, out, 1);
}

/* The hello cut short for good (TLS_PARTIAL_OK): h[0..len) of its end > len bytes. */
static int
parse_cut(const uint8_t *h, size_t len, size_t end, struct tls_hello *out)
{
	struct cur c, exts;
	uint64_t low = 0, hashed = 0;
	unsigned room = TLS_EXT_SEEN + 1;
	size_t first;
	size_t n;
	const char *why;
	int r;

	c.p = h;
	c.off = 4;
	c.end = end;
	c.avail = len;
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
	first = exts.off;
	while (exts.err == CUR_OK && exts.off < exts.end) {
		size_t at = exts.off;
		unsigned type;
		struct cur e;

		type = cur_u16(&exts);
		n = cur_u16(&exts);
		if (exts.err != CUR_OK)
			break; /* the extension header itself is incomplete or overruns */
		e = cur_sub(&exts, n);
		if (exts.err == CUR_BAD)
			break;
		if ((why = ext_note(type, h + first, h + at, &low, &hashed, &room)) != NULL)
			return malformed(out, why);
		if (type == TLS_EXT_SNI) {
			if ((r = parse_sni(&e, out)) > 0)
				return r;
			if (r < 0)
				break;
		} else if (type == TLS_EXT_ECH) {
			out->ech = 1;
		} else if (type == TLS_EXT_VERS) {
			out->tls13 = (uint8_t)offers_tls13(&e);
		} else if (type == TLS_EXT_EARLY) {
			out->early_data = 1;
		}
	}
	if (c.err == CUR_BAD || exts.err == CUR_BAD)
		return malformed(out, OVERRUN);
	/* The hello is cut short for good: a name seen is reported. */
	if (out->has_sni) {
		out->truncated = 1;
		return out->ech ? TLS_ECH : TLS_SNI;
	}
	out->need = out->hello_len;
	return TLS_NEED_MORE;
}

/*
 * tls_parse_handshake() of a cleared out (hello_clear()), inlined into
 * tls_parse_client_hello()'s usual path. Sets no more than hello_clear()
 * clears of what the record layer notes (nrecords, skipped, end).
 */
static inline int
parse_handshake(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	uint32_t hdr = len >= 4 ? rd32(buf) : (uint32_t)(len >= 1 ? buf[0] : 1) << 24;
	size_t body = hdr & 0xffffff;

	if (hdr >> 24 != 1) {
		out->why = "handshake message is not a ClientHello";
		return TLS_NOT_TLS;
	}
	if (len < 4) {
		out->need = 4;
		return TLS_NEED_MORE;
	}
	out->hello_len = 4 + body;
	if (body < 2 + 32 + 1 + 2 + 2 + 1 + 1)
		return malformed(out, "ClientHello shorter than its fixed fields");
	if (len >= out->hello_len)
		return parse_whole(buf, out->hello_len, out);
	if (!(flags & TLS_PARTIAL_OK)) {
		out->need = out->hello_len;
		return TLS_NEED_MORE;
	}
	return parse_cut(buf, len, out->hello_len, out);
}

int
tls_parse_handshake(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	hello_clear(out);
	return parse_handshake(buf, len, flags, out);
}

/* A content type of TLS 1.0-1.3 records: change_cipher_spec .. heartbeat. */
static int
record_type(uint8_t t)
{
	return t >= REC_CCS && t <= 0x18;
}

/*
 * tls_parse_client_hello() past its first record: records gathered into a
 * copy of the handshake bytes (on the stack, so kept out of the usual path).
 */
static __attribute__((noinline)) int
parse_records(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	uint8_t hs[TLS_HS_MAX];
	size_t off = 0, have = 0, total = 0, rlen = 0, got = 0;
	uint16_t nrec = 0;
	int r, partial = 0;

	hello_clear(out);
	if (len >= 1 && (buf[0] & 0x80) && (len < 3 || buf[2] == 1)) {
		/* An SSLv2-format hello (OpenSSL takes it for TLS 1.2): it cannot name a server. */
		if (len < 5) {
			out->need = 5;
			return TLS_NEED_MORE;
		}
		if (buf[3] == 3) {
			out->sslv2 = 1;
			out->hello_len = 2 + ((size_t)(buf[0] & 0x7f) << 8 | buf[1]);
			/* Where it ends, as far as it has come: never past what was given. */
			out->end = out->hello_len < len ? out->hello_len : len;
			return TLS_NO_SNI;
		}
	}
	if (len >= 1 && !record_type(buf[0])) {
		out->why = "first record is not a TLS record";
		return TLS_NOT_TLS;
	}
	if (len >= 2 && buf[1] != 3) {
		out->why = "record version is not 3.x";
		return TLS_NOT_TLS;
	}
	/*
	 * Gather handshake bytes until the ClientHello's declared length is in.
	 * As OpenSSL's record layer: empty handshake records are skipped, and so
	 * are records of other types (it reads past warning alerts, and gives up
	 * on the rest, so skipping them never reads what the server does not).
	 */
	while (off + 5 <= len && (total == 0 || have < total)) {
		size_t room, take;

		if (!record_type(buf[off]))
			return malformed(out, "not a TLS record before the ClientHello ended");
		if (buf[off + 1] != 3)
			return malformed(out, "record version is not 3.x");
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen > TLS_RECORD_MAX)
			return malformed(out, "record longer than 2^14 bytes");
		got = len - off - 5 < rlen ? len - off - 5 : rlen;
		if (buf[off] != REC_HANDSHAKE || rlen == 0) {
			out->skipped++;
			if (got < rlen) {
				partial = 2;
				break;
			}
			off += 5 + rlen;
			continue;
		}
		nrec++;
		if (have == 0 && got == rlen && rlen >= 4) {
			/* Fast path: a first record holding the whole hello is parsed in place. */
			const uint8_t *h = buf + off + 5;
			size_t want = 4 + ((size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]);

			if (want <= rlen) {
				uint16_t skipped = out->skipped;

				r = tls_parse_handshake(h, want, flags, out);
				out->nrecords = 1;
				out->skipped = skipped;
				out->end = off + 5 + rlen;
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
	{
		uint16_t skipped = out->skipped;

		r = tls_parse_handshake(hs, have, flags, out);
		out->skipped = skipped;
	}
	out->nrecords = nrec;
	if (r != TLS_NEED_MORE && !partial)
		out->end = off;
	if (r == TLS_NEED_MORE) {
		size_t missing = out->need > have ? out->need - have : 1;
		size_t rest = rlen - got; /* handshake bytes still due in the open record */

		if (partial == 2)
			out->need = off + 5 + rlen + 5; /* lower bound: past the skipped record */
		else if (!partial)
			out->need = off + 5 + missing; /* lower bound: one more record */
		else if (missing <= rest)
			out->need = len + missing; /* exact */
		else
			out->need = off + 5 + rlen + 5 + (missing - rest);
	}
	return r;
}

int
tls_parse_client_hello(const uint8_t *buf, size_t len, int flags, struct tls_hello *out)
{
	/* The usual hello: one handshake record holds all of it, parsed in place. */
	if (len >= 9 && buf[0] == REC_HANDSHAKE && buf[1] == 3) {
		size_t rlen = rd16(buf + 3);
		const uint8_t *h = buf + 5;
		size_t want = 4 + (rd32(h) & 0xffffff);

		if (rlen >= 4 && rlen <= TLS_RECORD_MAX && rlen <= len - 5 && want <= rlen) {
			/* Noted before the parse, which leaves them: it ends in a tail call. */
			hello_clear(out);
			out->nrecords = 1;
			out->end = 5 + rlen;
			return parse_handshake(h, want, flags, out);
		}
	}
	return parse_records(buf, len, flags, out);
}

static int
hello_done(struct tls_hello *out, const char *why)
{
	out->why = why;
	return TLS_HELLO_DONE;
}

const char *
tls_skip_records(const uint8_t *buf, size_t len, size_t off, int early_data, size_t *at)
{
	/* change_cipher_spec (middlebox compatibility), empty records, alerts, early data */
	while (off + 5 <= len) {
		size_t rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];

		if (!record_type(buf[off]) || buf[off + 1] != 3)
			return "not a TLS record after the ClientHello";
		if (buf[off] == REC_HANDSHAKE && rlen > 0)
			break;
		if (buf[off] == REC_APPDATA && !early_data)
			return "encrypted records: the server took the first hello";
		off += 5 + rlen;
	}
	*at = off;
	return NULL;
}

int
tls_parse_retry(
    const uint8_t *buf, size_t len, const struct tls_hello *first, int flags, struct tls_hello *out)
{
	size_t off = 0;
	const char *why;
	int r;

	hello_clear(out);
	if (!first->tls13)
		return hello_done(out, "no TLS 1.3 offered: no HelloRetryRequest");
	if (first->truncated)
		return hello_done(out, "the first hello's end was not read");
	if ((why = tls_skip_records(buf, len, first->end, first->early_data, &off)) != NULL)
		return hello_done(out, why);
	if (off + 5 > len) {
		out->need = off + 5;
		return TLS_NEED_MORE;
	}
	r = tls_parse_client_hello(buf + off, len - off, flags, out);
	if (r == TLS_NOT_TLS)
		return hello_done(out, "the next handshake message is not a ClientHello");
	out->end += off;
	if (r == TLS_NEED_MORE)
		out->need += off;
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
	case TLS_HELLO_DONE:
		return "hello-done";
	}
	return "unknown";
}
