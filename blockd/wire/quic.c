/* QUIC client Initial parser: RFC 9000 headers and frames, RFC 9001 / RFC 9369 Initial protection. */
#include <string.h>

#include <openssl/evp.h>

#include "quic.h"
#include "base/sha256.h"

#define QUIC_PKT_MAX 65536 /* largest UDP payload */
#define QUIC_TAG_LEN 16

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

struct quic_ctx {
	EVP_CIPHER *ecb, *gcm;
	EVP_CIPHER_CTX *hp, *aead;
	struct hmac_sha256_key extract_v1, extract_v2; /* HKDF-Extract keys, prepared once */
	/* the last DCID's keys: a split ClientHello's packets share one */
	uint32_t cached_version;
	uint8_t cached_dcid[QUIC_CID_MAX];
	size_t cached_dcid_len;
	struct quic_keys cached;
	struct reasm scratch; /* CRYPTO stream when the caller has no buffer */
	uint8_t pkt[QUIC_PKT_MAX];
};

struct quic_ctx *
quic_ctx_create(void)
{
	struct quic_ctx *q;

	if ((q = OPENSSL_zalloc(sizeof(*q))) == NULL)
		return NULL;
	hmac_sha256_key(&q->extract_v1, salt_v1, sizeof(salt_v1));
	hmac_sha256_key(&q->extract_v2, salt_v2, sizeof(salt_v2));
	q->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	q->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	q->hp = EVP_CIPHER_CTX_new();
	q->aead = EVP_CIPHER_CTX_new();
	if (q->ecb == NULL || q->gcm == NULL || q->hp == NULL || q->aead == NULL)
		goto fail;
	/* Set each context up once, so later calls only re-key it. */
	if (!EVP_EncryptInit_ex(q->hp, q->ecb, NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(q->hp, 0))
		goto fail;
	if (!EVP_DecryptInit_ex(q->aead, q->gcm, NULL, NULL, NULL))
		goto fail;
	return q;
fail:
	quic_ctx_destroy(q);
	return NULL;
}

void
quic_ctx_destroy(struct quic_ctx *q)
{
	if (q == NULL)
		return;
	EVP_CIPHER_CTX_free(q->hp);
	EVP_CIPHER_CTX_free(q->aead);
	EVP_CIPHER_free(q->ecb);
	EVP_CIPHER_free(q->gcm);
	OPENSSL_clear_free(q, sizeof(*q));
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs up to one hash long. */
static void
expand_label(const struct hmac_sha256_key *secret, const char *label, uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 255 + 1], t[32];
	size_t llen = strlen(label), n = 0;
	static const uint8_t one = 1;

	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;
	hmac_sha256_with(secret, info, n, &one, 1, t);
	memcpy(out, t, outlen);
}

int
quic_initial_keys(
    struct quic_ctx *q, uint32_t version, const uint8_t *dcid, size_t dcid_len, struct quic_keys *k)
{
	uint8_t initial[32], client[32];
	struct hmac_sha256_key hk;
	const char *lk, *li, *lh;

	if (version == QUIC_V1) {
		lk = "quic key";
		li = "quic iv";
		lh = "quic hp";
	} else if (version == QUIC_V2) {
		lk = "quicv2 key";
		li = "quicv2 iv";
		lh = "quicv2 hp";
	} else {
		return -1;
	}
	if (dcid_len > QUIC_CID_MAX)
		return -1;
	if (version == q->cached_version && dcid_len == q->cached_dcid_len &&
	    memcmp(dcid, q->cached_dcid, dcid_len) == 0) {
		*k = q->cached;
		return 0;
	}
	/* HKDF-Extract(salt, dcid) is HMAC with the salt as key. (All of it is public.) */
	hmac_sha256_with(
	    version == QUIC_V1 ? &q->extract_v1 : &q->extract_v2, dcid, dcid_len, NULL, 0, initial);
	hmac_sha256_key(&hk, initial, sizeof(initial));
	expand_label(&hk, "client in", client, 32);
	hmac_sha256_key(&hk, client, sizeof(client));
	expand_label(&hk, lk, k->key, 16);
	expand_label(&hk, li, k->iv, 12);
	expand_label(&hk, lh, k->hp, 16);
	q->cached_version = version;
	memcpy(q->cached_dcid, dcid, dcid_len);
	q->cached_dcid_len = dcid_len;
	q->cached = *k;
	return 0;
}

/* Variable-length integer (RFC 9000 16); returns bytes used, 0 if it runs past end. */
static size_t
varint(const uint8_t *p, size_t avail, uint64_t *v)
{
	size_t n, i;

	if (avail == 0)
		return 0;
	n = (size_t)1 << (p[0] >> 6);
	if (n > avail)
		return 0;
	*v = p[0] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | p[i];
	return n;
}

/* Packet type bits of a long header, as version 1 numbers them. */
enum { PT_INITIAL, PT_0RTT, PT_HANDSHAKE, PT_RETRY };

static int
packet_type(uint32_t version, uint8_t first)
{
	int t = (first >> 4) & 3;

	if (version == QUIC_V2)
		return (t + 3) & 3; /* v2: Retry 0, Initial 1, 0-RTT 2, Handshake 3 */
	return t;
}

static int
hp_mask(struct quic_ctx *q, const uint8_t hp[16], const uint8_t *sample, uint8_t mask[16])
{
	int n = 0;

	if (!EVP_EncryptInit_ex(q->hp, NULL, NULL, hp, NULL) ||
	    !EVP_EncryptUpdate(q->hp, mask, &n, sample, 16) || n != 16)
		return -1;
	return 0;
}

static void
make_nonce(const struct quic_keys *k, uint64_t pn, uint8_t nonce[12])
{
	int i;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

/* Frames of one opened Initial payload. Returns 0, or -1 with why for a broken frame. */
static int
read_frames(const uint8_t *p, size_t len, struct reasm *crypto, struct quic_info *out)
{
	size_t off = 0, n;
	uint64_t type, a, b, c, i;

	while (off < len) {
		if ((n = varint(p + off, len - off, &type)) == 0)
			goto bad;
		off += n;
		switch (type) {
		case 0x00: /* PADDING, usually a long run of it */
			while (off < len && p[off] == 0)
				off++;
			break;
		case 0x01: /* PING */
			break;
		case 0x02: /* ACK */
		case 0x03: /* ACK with ECN counts */
			/* largest acknowledged, delay; then range count and first range */
			for (i = 0; i < 2; i++) {
				if ((n = varint(p + off, len - off, &a)) == 0)
					goto bad;
				off += n;
			}
			if ((n = varint(p + off, len - off, &c)) == 0)
				goto bad;
			off += n;
			if ((n = varint(p + off, len - off, &a)) == 0)
				goto bad;
			off += n;
			if (c > len) /* each range takes at least two bytes */
				goto bad;
			for (i = 0; i < 2 * c + (type == 0x03 ? 3 : 0); i++) {
				if ((n = varint(p + off, len - off, &a)) == 0)
					goto bad;
				off += n;
			}
			break;
		case 0x06: /* CRYPTO */
			if ((n = varint(p + off, len - off, &a)) == 0)
				goto bad;
			off += n;
			if ((n = varint(p + off, len - off, &b)) == 0)
				goto bad;
			off += n;
			if (b > len - off)
				goto bad;
			if (reasm_add(crypto, a, p + off, (size_t)b) & REASM_CONFLICT)
				out->conflict = 1;
			out->crypto_frames++;
			off += (size_t)b;
			break;
		case 0x1c: /* CONNECTION_CLOSE: error, frame type, reason */
		case 0x1d:
			if ((n = varint(p + off, len - off, &a)) == 0)
				goto bad;
			off += n;
			if (type == 0x1c) {
				if ((n = varint(p + off, len - off, &a)) == 0)
					goto bad;
				off += n;
			}
			if ((n = varint(p + off, len - off, &b)) == 0 || b > len - off - n)
				goto bad;
			off += n + (size_t)b;
			break;
		default:
			/* Not allowed in an Initial (RFC 9000 12.4); its length is unknown. */
			out->other_frames++;
			return 0;
		}
	}
	return 0;
bad:
	out->why = "frame overruns its packet";
	return -1;
}

/*
 * Opens one Initial whose header starts at p; hdr is the offset of the
 * Length field's end (the packet number), plen the Length value. Returns
 * 1 opened, 0 failed authentication, -1 malformed.
 */
static int
open_initial(struct quic_ctx *q, uint32_t version, const uint8_t *p, size_t pn_off, size_t plen,
    struct reasm *crypto, struct quic_info *out)
{
	struct quic_keys k;
	uint8_t mask[16], nonce[12], *pkt = q->pkt;
	size_t pn_len, i, total = pn_off + plen, ctlen;
	uint64_t pn = 0;
	int n = 0;

	if (total > QUIC_PKT_MAX) {
		out->why = "packet larger than a UDP payload";
		return -1;
	}
	if (plen < 4 + 16) {
		out->why = "Initial too short to sample for header protection";
		return -1;
	}
	if (quic_initial_keys(q, version, p + 6, p[5], &k) < 0)
		return -1;
	memcpy(pkt, p, total);
	if (hp_mask(q, k.hp, pkt + pn_off + 4, mask) < 0)
		return 0;
	pkt[0] ^= mask[0] & 0x0f;
	pn_len = (size_t)(pkt[0] & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | pkt[pn_off + i];
	}
	if (plen < pn_len + QUIC_TAG_LEN) {
		out->why = "Initial shorter than its packet number and tag";
		return -1;
	}
	ctlen = plen - pn_len - QUIC_TAG_LEN;
	make_nonce(&k, pn, nonce);
	if (!EVP_DecryptInit_ex(q->aead, NULL, NULL, k.key, nonce) ||
	    !EVP_DecryptUpdate(q->aead, NULL, &n, pkt, (int)(pn_off + pn_len)) ||
	    !EVP_DecryptUpdate(
		q->aead, pkt + pn_off + pn_len, &n, pkt + pn_off + pn_len, (int)ctlen) ||
	    !EVP_CIPHER_CTX_ctrl(
		q->aead, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, pkt + pn_off + pn_len + ctlen) ||
	    EVP_DecryptFinal_ex(q->aead, pkt + pn_off + pn_len + (size_t)n, &n) <= 0)
		return 0;
	/* Reserved bits must be zero once protection is off (RFC 9000 17.2). */
	if (pkt[0] & 0x0c) {
		out->why = "reserved header bits set";
		return -1;
	}
	if (read_frames(pkt + pn_off + pn_len, ctlen, crypto, out) < 0)
		return -1;
	return 1;
}

static int
result_of_hello(int r, struct quic_info *out)
{
	switch (r) {
	case TLS_NEED_MORE:
		return QUIC_NEED_MORE;
	case TLS_SNI:
		return QUIC_SNI;
	case TLS_NO_SNI:
		return QUIC_NO_SNI;
	case TLS_ECH:
		return QUIC_ECH;
	}
	out->why = out->hello.why ? out->hello.why : "CRYPTO stream is not a ClientHello";
	return QUIC_MALFORMED;
}

int
quic_parse_datagram(
    struct quic_ctx *q, const uint8_t *d, size_t len, struct reasm *crypto, struct quic_info *out)
{
	size_t off = 0;
	int r, named = 0;

	memset(out, 0, sizeof(*out));
	if (crypto == NULL) {
		crypto = &q->scratch;
		reasm_reset(crypto);
	}
	while (off < len) {
		const uint8_t *p = d + off;
		size_t avail = len - off, h, n;
		uint32_t version;
		uint64_t tlen, plen;
		int type;

		if ((p[0] & 0x80) == 0) {
			if (off == 0)
				out->why = "short header packet";
			break; /* a short header packet runs to the end of the datagram */
		}
		if (avail < 7) {
			out->why = "long header truncated";
			return QUIC_MALFORMED;
		}
		version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
		if (off == 0)
			out->version = version;
		if (version != QUIC_V1 && version != QUIC_V2) {
			if (off == 0)
				out->why =
				    version == 0 ? "version negotiation" : "unsupported version";
			break;
		}
		/* DCID, SCID */
		if (p[5] > QUIC_CID_MAX || 6 + (size_t)p[5] + 1 > avail) {
			out->why = "bad destination connection ID";
			return QUIC_MALFORMED;
		}
		h = 6 + p[5];
		/*
		 * The datagram's connection is its first packet's DCID: a server
		 * ignores later packets that name another (RFC 9000 12.2), and so
		 * does this.
		 */
		if (!named) {
			named = 1;
			out->dcid_len = p[5];
			memcpy(out->dcid, p + 6, p[5]);
		} else if (p[5] != out->dcid_len || memcmp(p + 6, out->dcid, p[5]) != 0) {
			out->other_cid++;
			break;
		}
		if (p[h] > QUIC_CID_MAX || h + 1 + p[h] > avail) {
			out->why = "bad source connection ID";
			return QUIC_MALFORMED;
		}
		h += 1 + (size_t)p[h];
		type = packet_type(version, p[0]);
		if (type == PT_RETRY)
			break;
		if (type == PT_INITIAL) {
			if ((n = varint(p + h, avail - h, &tlen)) == 0 || tlen > avail - h - n) {
				out->why = "bad token length";
				return QUIC_MALFORMED;
			}
			h += n + (size_t)tlen;
		}
		if ((n = varint(p + h, avail - h, &plen)) == 0 || plen > avail - h - n) {
			out->why = "packet length runs past the datagram";
			return QUIC_MALFORMED;
		}
		h += n;
		if (type != PT_INITIAL) {
			out->skipped++;
		} else {
			r = open_initial(q, version, p, h, (size_t)plen, crypto, out);
			if (r < 0)
				return QUIC_MALFORMED;
			if (r == 0)
				out->failed++;
			else
				out->initials++;
		}
		off += h + (size_t)plen;
	}
	if (out->initials == 0) {
		if (out->failed) {
			out->why = "Initial did not authenticate";
			return QUIC_DECRYPT_FAILED;
		}
		if (out->why == NULL)
			out->why = "no Initial packet";
		return QUIC_NOT_INITIAL;
	}
	out->why = NULL;
	r = tls_parse_handshake(reasm_data(crypto), reasm_contig(crypto),
	    reasm_contig(crypto) == REASM_MAX ? TLS_PARTIAL_OK : 0, &out->hello);
	return result_of_hello(r, out);
}

int
quic_seal_initial(struct quic_ctx *q, uint32_t version, uint8_t *pkt, size_t pn_off, size_t pn_len,
    uint64_t pn, size_t total)
{
	struct quic_keys k;
	uint8_t mask[16], nonce[12];
	size_t ptlen, i;
	int n = 0;

	if (pkt[5] > QUIC_CID_MAX || total < pn_off + pn_len + QUIC_TAG_LEN ||
	    pn_off + 4 + 16 > total || quic_initial_keys(q, version, pkt + 6, pkt[5], &k) < 0)
		return -1;
	ptlen = total - pn_off - pn_len - QUIC_TAG_LEN;
	make_nonce(&k, pn, nonce);
	if (!EVP_EncryptInit_ex(q->aead, NULL, NULL, k.key, nonce) ||
	    !EVP_EncryptUpdate(q->aead, NULL, &n, pkt, (int)(pn_off + pn_len)) ||
	    !EVP_EncryptUpdate(
		q->aead, pkt + pn_off + pn_len, &n, pkt + pn_off + pn_len, (int)ptlen) ||
	    !EVP_EncryptFinal_ex(q->aead, pkt + pn_off + pn_len + (size_t)n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(
		q->aead, EVP_CTRL_GCM_GET_TAG, QUIC_TAG_LEN, pkt + pn_off + pn_len + ptlen))
		return -1;
	if (hp_mask(q, k.hp, pkt + pn_off + 4, mask) < 0)
		return -1;
	pkt[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	/* The aead context was set up for encryption: put it back for the packet path. */
	return EVP_DecryptInit_ex(q->aead, q->gcm, NULL, NULL, NULL) ? 0 : -1;
}

const char *
quic_result_name(int r)
{
	switch (r) {
	case QUIC_NEED_MORE:
		return "need-more";
	case QUIC_SNI:
		return "sni";
	case QUIC_NO_SNI:
		return "no-sni";
	case QUIC_ECH:
		return "ech";
	case QUIC_NOT_INITIAL:
		return "not-initial";
	case QUIC_DECRYPT_FAILED:
		return "decrypt-failed";
	case QUIC_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
