/*
 * Fuzzes the transparency log's readers of outside input: the whole input as a
 * signed note (verified against a fixed log key and witness key), a checkpoint
 * body, a tlog-proof file (its proof checked against its own checkpoint), a
 * run of consistency proofs (checked against the checkpoint), a key text, an
 * entry bundle, a list's log entry and a witness policy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "fuzz.h"
#include "merkle.h"
#include "note.h"
#include "tiles.h"
#include "tlogentry.h"

/* The log and witness keys of the seed corpus (tests/data/tlog). */
static const char log_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_key key;
	static int ready;
	const char *s = (const char *)data;
	struct note *n = malloc(sizeof *n);
	struct tlog_proof *p = malloc(sizeof *p);
	struct tlog_consistency *c = malloc(sizeof *c);
	struct checkpoint cp;
	struct note_key k;
	struct note_signer sk;
	char err[512];
	uint64_t when;
	size_t used, pos;
	const uint8_t *e;
	size_t el;

	if (n == NULL || p == NULL || c == NULL)
		goto out;
	if (!ready) {
		if (note_key_parse(log_vkey, strlen(log_vkey), &key, err, sizeof err) == -1)
			abort();
		ready = 1;
	}
	if (note_parse(s, size, n, err, sizeof err) == 0) {
		(void)note_verify(n, &key, &when, err, sizeof err);
		(void)checkpoint_parse(n->text, n->textlen, &cp, err, sizeof err);
	}
	if (checkpoint_parse(s, size, &cp, err, sizeof err) == 0) {
		char buf[2048];

		if (checkpoint_format(&cp, buf, sizeof buf) < 0)
			abort();
	}
	if (tlog_proof_parse(s, size, p, err, sizeof err) == 0 &&
	    note_parse(p->note, p->notelen, n, err, sizeof err) == 0 &&
	    checkpoint_parse(n->text, n->textlen, &cp, err, sizeof err) == 0) {
		uint8_t leaf[MERKLE_HASH_SIZE] = {0};
		char *again;

		(void)merkle_verify_inclusion(
		    p->index, cp.size, leaf, p->path, p->npath, cp.root, err, sizeof err);
		again = tlog_proof_format(p);
		free(again);
	}
	pos = 0;
	while (pos < size &&
	    tlog_consistency_parse(s + pos, size - pos, c, &used, err, sizeof err) == 0) {
		uint8_t old[MERKLE_HASH_SIZE] = {0}, root[MERKLE_HASH_SIZE] = {1};

		(void)merkle_verify_consistency(
		    c->old, c->old + 5, old, root, c->path, c->npath, err, sizeof err);
		pos += used;
	}
	{
		struct tlog_entry te;
		struct tlog_policy *tp = malloc(sizeof *tp);
		char *z = malloc(size + 1);

		(void)tlog_entry_parse(s, size, &te, err, sizeof err);
		if (tp && z) {
			memcpy(z, s, size);
			z[size] = '\0';
			(void)tlog_policy_parse(log_vkey, z, 1, tp, err, sizeof err);
		}
		free(tp);
		free(z);
	}
	(void)note_key_parse(s, size, &k, err, sizeof err);
	(void)note_signer_parse(s, size, &sk, err, sizeof err);
	pos = 0;
	while (bundle_next(data, size, &pos, &e, &el, err, sizeof err) == 1)
		;
out:
	free(n);
	free(p);
	free(c);
	return 0;
}
