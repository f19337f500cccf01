/* A list's log entry, written and read back, and the appliance's check of a list's proof and checkpoint. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "rulefmt.h"
#include "tlogentry.h"

void
tlog_sha256_hex(const void *buf, size_t len, char hex[65], uint8_t bin[32])
{
	uint8_t h[32] = {0};
	unsigned int n = sizeof h;
	int i;

	EVP_Digest(buf, len, h, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * (size_t)i, 3, "%02x", h[i]);
	if (bin)
		memcpy(bin, h, 32);
}

int
tlog_entry_format(const struct rulelist *l, const char *raw, size_t rawlen,
    const struct sigset *sigs, char *buf, size_t bufsz)
{
	char hex[65];

	tlog_sha256_hex(raw, rawlen, hex, NULL);
	return tlog_entry_format_hex(l, hex, sigs, buf, bufsz);
}

int
tlog_entry_format_hex(const struct rulelist *l, const char *list_hex, const struct sigset *sigs,
    char *buf, size_t bufsz)
{
	char hex[65], when[32];
	size_t off, i;
	int n;

	n = snprintf(buf, bufsz,
	    TLOG_ENTRY_HEADER "\nserial %" PRIu64
			      "\nissuer %s\nscope %s\nissued %s\nlist sha256:%s\n",
	    l->serial, l->issuer, l->scope, rules_time_format(l->issued, when, sizeof when),
	    list_hex);
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	off = (size_t)n;
	for (i = 0; sigs && i < sigs->n; i++) {
		tlog_sha256_hex(sigs->text[i], sigs->len[i], hex, NULL);
		n = snprintf(buf + off, bufsz - off, "signature sha256:%s\n", hex);
		if (n < 0 || (size_t)n >= bufsz - off)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}

static int
field(const char *l, size_t ll, const char *key, const char **v, size_t *vl)
{
	size_t kl = strlen(key);

	if (ll <= kl + 1 || memcmp(l, key, kl) != 0 || l[kl] != ' ')
		return 0;
	*v = l + kl + 1;
	*vl = ll - kl - 1;
	return 1;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 lowercase hex digits into 32 bytes. 0 or -1. */
static int
hex32(const char *s, size_t len, uint8_t out[32])
{
	size_t i;

	if (len != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hexdigit(s[2 * i]), lo = hexdigit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
tlog_entry_parse(const char *buf, size_t len, struct tlog_entry *out, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len, *nl, *v;
	unsigned line = 0, seen = 0;
	size_t ll, vl;

	memset(out, 0, sizeof *out);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			snprintf(err, errlen, "entry line %u: no newline", line + 1);
			return -1;
		}
		ll = (size_t)(nl - p);
		line++;
		if (line == 1) {
			if (ll != strlen(TLOG_ENTRY_HEADER) ||
			    memcmp(p, TLOG_ENTRY_HEADER, ll) != 0) {
				snprintf(
				    err, errlen, "entry line 1: expected %s", TLOG_ENTRY_HEADER);
				return -1;
			}
		} else if (field(p, ll, "serial", &v, &vl)) {
			char num[24], *numend;

			if (vl == 0 || vl > 20 || v[0] < '0' || v[0] > '9')
				goto bad;
			memcpy(num, v, vl);
			num[vl] = '\0';
			errno = 0;
			out->serial = strtoull(num, &numend, 10);
			if (errno != 0 || *numend != '\0')
				goto bad;
			seen |= 1;
		} else if (field(p, ll, "issuer", &v, &vl) && vl < sizeof out->issuer) {
			memcpy(out->issuer, v, vl);
			seen |= 2;
		} else if (field(p, ll, "scope", &v, &vl) && vl < sizeof out->scope) {
			memcpy(out->scope, v, vl);
			seen |= 4;
		} else if (field(p, ll, "issued", &v, &vl)) {
			if (rules_time_parse(v, vl, &out->issued) != 0)
				goto bad;
			seen |= 8;
		} else if (field(p, ll, "list", &v, &vl)) {
			if (vl != 71 || memcmp(v, "sha256:", 7) != 0 ||
			    hex32(v + 7, 64, out->list) != 0)
				goto bad;
			memcpy(out->list_hex, v + 7, 64);
			seen |= 16;
		} else if (field(p, ll, "signature", &v, &vl)) {
			out->nsigs++;
		} else {
			goto bad;
		}
		p = nl + 1;
	}
	if (seen != 31) {
		snprintf(
		    err, errlen, "entry: serial, issuer, scope, issued and list are all required");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "entry line %u: not a field of %s", line, TLOG_ENTRY_HEADER);
	return -1;
}

/* A checkpoint note signed by the log key, parsed. 0 or -1 with err. */
static int
open_checkpoint(const struct tlog_policy *p, const char *buf, size_t len, struct note *n,
    struct checkpoint *cp, char *err, size_t errlen)
{
	char why[256];
	int r;

	if (note_parse(buf, len, n, why, sizeof why) == -1) {
		snprintf(err, errlen, "the checkpoint is not a signed note: %s", why);
		return -1;
	}
	if (checkpoint_parse(n->text, n->textlen, cp, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (strcmp(cp->origin, p->log.name) != 0) {
		snprintf(err, errlen, "the checkpoint's origin \"%s\" is not the log's (\"%s\")",
		    cp->origin, p->log.name);
		return -1;
	}
	r = note_verify(n, &p->log, NULL, why, sizeof why);
	if (r == 0) {
		snprintf(err, errlen, "the checkpoint is not signed by the log key %s+%08" PRIx32,
		    p->log.name, p->log.hash);
		return -1;
	}
	if (r == -1) {
		snprintf(err, errlen, "the checkpoint's log signature is bad: %s", why);
		return -1;
	}
	return 0;
}

static unsigned
count_cosigners(const struct tlog_policy *p, const struct note *n)
{
	unsigned count = 0;
	size_t i, j;
	char why[256];

	for (i = 0; i < p->nwitness; i++) {
		int dup = 0;

		/* One key under two names is one witness. */
		for (j = 0; j < i; j++)
			if (memcmp(p->witness[j].pk, p->witness[i].pk, 32) == 0)
				dup = 1;
		if (!dup && note_verify(n, &p->witness[i], NULL, why, sizeof why) == 1)
			count++;
	}
	return count;
}

/* The consistency proof in cons from size old to cp, verified. 0, or -1 with err. */
static int
check_consistency(const char *cons, size_t conslen, const struct checkpoint *was,
    const struct checkpoint *cp, char *err, size_t errlen)
{
	struct tlog_consistency *c = malloc(sizeof *c);
	size_t pos = 0, used;
	char why[256];
	int r = -1;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (cons && pos < conslen) {
		if (tlog_consistency_parse(cons + pos, conslen - pos, c, &used, why, sizeof why) ==
		    -1) {
			snprintf(err, errlen, "the consistency proofs are malformed: %s", why);
			goto out;
		}
		pos += used;
		if (c->old != was->size)
			continue;
		if (merkle_verify_consistency(was->size, cp->size, was->root, cp->root, c->path,
			c->npath, why, sizeof why) == -1) {
			snprintf(err, errlen,
			    "the log's history was rewritten: the tree of size %" PRIu64
			    " is not consistent with the newest seen (size %" PRIu64 "): %s",
			    cp->size, was->size, why);
			goto out;
		}
		r = 0;
		goto out;
	}
	snprintf(err, errlen,
	    "no consistency proof from the newest checkpoint seen (size %" PRIu64
	    ") to this one (size %" PRIu64 ")",
	    was->size, cp->size);
out:
	free(c);
	return r;
}

int
tlog_check(const struct tlog_policy *p, const char *entry, size_t entrylen, const char *proof,
    size_t prooflen, const char *proofname, const char *consistency, size_t conslen,
    const char *seen, size_t seenlen, struct tlog_verdict *v, char *err, size_t errlen)
{
	struct tlog_proof *tp = malloc(sizeof *tp);
	struct note *n = malloc(sizeof *n);
	struct checkpoint was;
	uint8_t leaf[MERKLE_HASH_SIZE];
	char why[1024], r64a[45], r64b[45];
	int r = -1;

	memset(v, 0, sizeof *v);
	if (tp == NULL || n == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (tlog_proof_parse(proof, prooflen, tp, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s: %s", proofname, why);
		goto out;
	}
	if (tp->notelen >= sizeof v->note) {
		snprintf(err, errlen, "%s: the checkpoint is too large", proofname);
		goto out;
	}
	if (open_checkpoint(p, tp->note, tp->notelen, n, &v->cp, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s: %s", proofname, why);
		goto out;
	}
	v->cosigned = count_cosigners(p, n);
	if (v->cosigned < p->quorum) {
		snprintf(err, errlen,
		    "%s: the checkpoint is cosigned by %u trusted witness%s, %u required",
		    proofname, v->cosigned, v->cosigned == 1 ? "" : "es", p->quorum);
		goto out;
	}
	merkle_leaf_hash(entry, entrylen, leaf);
	if (merkle_verify_inclusion(tp->index, v->cp.size, leaf, tp->path, tp->npath, v->cp.root,
		why, sizeof why) == -1) {
		snprintf(err, errlen,
		    "%s: the list is not in the log under this checkpoint (leaf %" PRIu64
		    " of %" PRIu64 "): %s",
		    proofname, tp->index, v->cp.size, why);
		goto out;
	}
	v->index = tp->index;
	v->newer = 1;
	if (seen != NULL) {
		if (open_checkpoint(p, seen, seenlen, n, &was, why, sizeof why) == -1) {
			snprintf(err, errlen, "the newest checkpoint seen: %s", why);
			goto out;
		}
		if (was.size > v->cp.size) {
			snprintf(err, errlen,
			    "%s: the log was rolled back: its checkpoint of size %" PRIu64
			    " is older than the newest seen (size %" PRIu64 ")",
			    proofname, v->cp.size, was.size);
			goto out;
		}
		if (was.size == v->cp.size) {
			if (memcmp(was.root, v->cp.root, MERKLE_HASH_SIZE) != 0) {
				tlog_hash_b64(was.root, r64a);
				tlog_hash_b64(v->cp.root, r64b);
				snprintf(err, errlen,
				    "%s: split view: the log signed two different trees of size "
				    "%" PRIu64 " (root %s seen before, %s now)",
				    proofname, was.size, r64a, r64b);
				goto out;
			}
			v->newer = 0;
		} else if (check_consistency(consistency, conslen, &was, &v->cp, why, sizeof why) ==
		    -1) {
			snprintf(err, errlen, "%s: %s", proofname, why);
			goto out;
		}
	}
	memcpy(v->note, tp->note, tp->notelen);
	v->notelen = tp->notelen;
	r = 0;
out:
	free(tp);
	free(n);
	return r;
}

int
tlog_policy_parse(const char *log_key, const char *witnesses, unsigned quorum,
    struct tlog_policy *out, char *err, size_t errlen)
{
	const char *p = witnesses ? witnesses : "", *e;
	char why[256];
	size_t n;

	memset(out, 0, sizeof *out);
	if (note_key_parse(log_key, strlen(log_key), &out->log, why, sizeof why) == -1) {
		snprintf(err, errlen, "log_key: %s", why);
		return -1;
	}
	if (out->log.alg != NOTE_ALG_ED25519) {
		snprintf(
		    err, errlen, "log_key: not a log's key (algorithm 1, Ed25519 signed notes)");
		return -1;
	}
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != ','; e++)
			;
		n = (size_t)(e - p);
		if (out->nwitness == TLOG_WITNESS_MAX) {
			snprintf(err, errlen, "witnesses: more than %d keys", TLOG_WITNESS_MAX);
			return -1;
		}
		if (note_key_parse(p, n, &out->witness[out->nwitness], why, sizeof why) == -1) {
			snprintf(err, errlen, "witnesses: key %zu: %s", out->nwitness + 1, why);
			return -1;
		}
		if (out->witness[out->nwitness].alg != NOTE_ALG_COSIG) {
			snprintf(err, errlen,
			    "witnesses: key %zu is not a witness key (algorithm 4, cosignature/v1)",
			    out->nwitness + 1);
			return -1;
		}
		out->nwitness++;
		p = e;
	}
	if (quorum > out->nwitness) {
		snprintf(err, errlen,
		    "witnesses_required: %u, but only %zu witness keys are trusted", quorum,
		    out->nwitness);
		return -1;
	}
	out->quorum = quorum;
	return 0;
}

void
tlog_verdict_line(const struct tlog_verdict *v, char *buf, size_t bufsz)
{
	char root[45];

	tlog_hash_b64(v->cp.root, root);
	snprintf(buf, bufsz,
	    "%s leaf %" PRIu64 " of tree size %" PRIu64 ", root %s, cosigned by %u", v->cp.origin,
	    v->index, v->cp.size, root, v->cosigned);
}
