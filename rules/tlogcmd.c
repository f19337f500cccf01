/* blockrules log: create a list transparency log, append signed lists, publish tiles, checkpoints and proofs. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fileio.h"
#include "notefile.h"
#include "rulefmt.h"
#include "tiles.h"
#include "tlogcmd.h"
#include "tlogentry.h"
#include "tlogstore.h"

#define LIST_CAP         (256u << 20)
#define CONSISTENCY_BACK 64 /* consistency proofs shipped beside a list: from this many sizes */

const char tlogcmd_log_usage[] =
    "blockrules log init [-f] -o origin -s log-seckey -p log-pubkey logdir\n"
    "       blockrules log append [-P] -s log-seckey logdir list ...\n"
    "       blockrules log prove -p log-pubkey logdir list\n"
    "       blockrules log request -p log-pubkey logdir old-size\n"
    "       blockrules log cosign -p log-pubkey logdir cosignature-file ...\n"
    "       blockrules log check -p log-pubkey [-w witness-pubkey ... -q quorum]\n"
    "                  [-S seen-checkpoint] list\n";

/* A note key file read, its problem said. */
static int
read_key(const char *path, struct note_key *k)
{
	char err[RULES_ERR_MAX + 256];
	int r = notefile_read_key(path, k, err, sizeof err);

	if (r != EXIT_OK)
		warnx("%s", err);
	return r;
}

static int
read_signer(const char *path, struct note_signer *k)
{
	char err[RULES_ERR_MAX + 256];
	int r = notefile_read_signer(path, k, err, sizeof err);

	if (r != EXIT_OK)
		warnx("%s", err);
	return r;
}

/* The signed checkpoint note for the tree of t's first size leaves. */
static int
sign_checkpoint(const struct note_signer *k, const struct merkle_tree *t, uint64_t size, char *out,
    size_t outsz)
{
	struct checkpoint cp;
	int n;

	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", k->pub.name);
	cp.size = size;
	merkle_root(t, size, cp.root);
	n = checkpoint_format(&cp, out, outsz);
	if (n < 0 || (size_t)n + 2 >= outsz)
		return -1;
	out[n] = '\n';
	return note_sign_line(k, out, (size_t)n, 0, out + n + 1, outsz - (size_t)n - 1);
}

static int
cmd_init(int argc, char **argv)
{
	const char *origin = NULL, *sec = NULL, *pub = NULL;
	char err[RULES_ERR_MAX], text[1024], note[2048];
	struct note_signer k;
	struct merkle_tree t;
	int c, r, force = 0;

	while ((c = getopt(argc, argv, "fo:p:s:")) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 's':
			sec = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || origin == NULL || sec == NULL || pub == NULL)
		return EXIT_USAGE;
	snprintf(text, sizeof text, "%s/checkpoint", argv[optind]);
	if (!force && access(text, F_OK) == 0) {
		warnx("%s exists: the log is already made", text);
		return EXIT_USAGE;
	}
	r = notefile_keygen("-o", origin, NOTE_ALG_ED25519, sec, pub, force, &k, text, sizeof text,
	    err, sizeof err);
	if (r != EXIT_OK) {
		OPENSSL_cleanse(&k, sizeof k);
		warnx("%s", err);
		return r;
	}
	merkle_init(&t);
	if (sign_checkpoint(&k, &t, 0, note, sizeof note) != 0 ||
	    tlogstore_write(argv[optind], "checkpoint", note, strlen(note), 1, err, sizeof err) !=
		0) {
		OPENSSL_cleanse(&k, sizeof k);
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	OPENSSL_cleanse(&k, sizeof k);
	printf("log %s: empty, key %s", argv[optind], text);
	return EXIT_OK;
}

/* The list at path, parsed, with its signature files, and its log entry. */
static int
list_entry(const char *path, char **raw, size_t *rawlen, struct sigset *sigs, char *entry,
    size_t entrysz, size_t *entrylen)
{
	char err[RULES_ERR_MAX * 2];
	struct rulelist *l;
	int n;

	memset(sigs, 0, sizeof *sigs);
	if (file_read_capped(path, LIST_CAP, raw, rawlen, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	if (rulelist_parse(*raw, *rawlen, path, NULL, &l, err, sizeof err) != 0) {
		warnx("%s", err);
		free(*raw);
		*raw = NULL;
		return EXIT_FAIL;
	}
	if (sigset_read(path, sigs, err, sizeof err) != 0) {
		warnx("%s", err);
		rulelist_free(l);
		free(*raw);
		*raw = NULL;
		return EXIT_SYSTEM;
	}
	n = tlog_entry_format(l, *raw, *rawlen, sigs, entry, entrysz);
	rulelist_free(l);
	if (n < 0) {
		warnx("%s: its log entry is too long", path);
		free(*raw);
		*raw = NULL;
		sigset_free(sigs);
		return EXIT_FAIL;
	}
	*entrylen = (size_t)n;
	return EXIT_OK;
}

/* LIST.tlog-proof and LIST.tlog-consistency for leaf index under the checkpoint note. */
static int
write_proof(const char *list, const struct merkle_tree *t, uint64_t index, uint64_t size,
    const char *note, size_t notelen)
{
	struct tlog_proof *p = calloc(1, sizeof *p);
	struct tlog_consistency *c = malloc(sizeof *c);
	char err[RULES_ERR_MAX], path[4096], *text = NULL, *cons = NULL;
	size_t clen = 0, ccap = 0;
	uint64_t m;
	int r = EXIT_SYSTEM, n;

	if (p == NULL || c == NULL)
		goto out;
	p->index = index;
	if (merkle_prove_inclusion(t, index, size, p->path, &p->npath, err, sizeof err) != 0) {
		warnx("%s: %s", list, err);
		goto out;
	}
	p->note = note;
	p->notelen = notelen;
	text = tlog_proof_format(p);
	snprintf(path, sizeof path, "%s.tlog-proof", list);
	if (text == NULL || file_write_atomic(path, text, strlen(text), 0644, err, sizeof err)) {
		warnx("%s", text ? err : "out of memory");
		goto out;
	}
	/* Consistency from the sizes an appliance most likely saw last. */
	ccap = (size_t)(CONSISTENCY_BACK + 1) * (MERKLE_PROOF_MAX * 45 + 32);
	cons = malloc(ccap);
	if (cons == NULL)
		goto out;
	for (m = size > CONSISTENCY_BACK ? size - CONSISTENCY_BACK : 1; m < size; m++) {
		c->old = m;
		merkle_prove_consistency(t, m, size, c->path, &c->npath, err, sizeof err);
		n = tlog_consistency_format(c, cons + clen, ccap - clen);
		if (n < 0)
			goto out;
		clen += (size_t)n;
	}
	snprintf(path, sizeof path, "%s.tlog-consistency", list);
	if (file_write_atomic(path, cons, clen, 0644, err, sizeof err)) {
		warnx("%s", err);
		goto out;
	}
	r = EXIT_OK;
out:
	free(p);
	free(c);
	free(text);
	free(cons);
	return r;
}

static int
copy_into_log(const char *dir, const char *list, const char *raw, size_t rawlen,
    const struct sigset *sigs, const char *entry, size_t entrylen)
{
	struct tlog_entry e;
	char err[RULES_ERR_MAX], rel[256];
	size_t i;

	if (tlog_entry_parse(entry, entrylen, &e, err, sizeof err) != 0) {
		warnx("%s: %s", list, err);
		return EXIT_FAIL;
	}
	snprintf(rel, sizeof rel, "lists/%s", e.list_hex);
	if (tlogstore_write(dir, rel, raw, rawlen, 0, err, sizeof err) != 0)
		goto fail;
	for (i = 0; i < sigs->n; i++) {
		if (sigs->index[i] == 1)
			snprintf(rel, sizeof rel, "lists/%s.minisig", e.list_hex);
		else
			snprintf(
			    rel, sizeof rel, "lists/%s.minisig.%d", e.list_hex, sigs->index[i]);
		if (tlogstore_write(dir, rel, sigs->text[i], sigs->len[i], 0, err, sizeof err) != 0)
			goto fail;
	}
	return EXIT_OK;
fail:
	warnx("%s", err);
	return EXIT_SYSTEM;
}

/* The entry bundle bi as it stands in dir (or empty), into bundle; its length in *blen. */
static int
read_bundle(const char *dir, uint64_t bi, uint64_t size, char *bundle, size_t cap, size_t *blen)
{
	char rel[TILE_PATH_MAX], err[RULES_ERR_MAX], *old;
	size_t oldlen;
	unsigned w = tile_width(TILE_ENTRIES, bi, size);

	*blen = 0;
	if (w == 0)
		return 0;
	tile_path(TILE_ENTRIES, bi, w, rel, sizeof rel);
	if (tlogstore_read(dir, rel, cap, &old, &oldlen, err, sizeof err) != 0) {
		warnx("%s/%s: cannot read it", dir, rel);
		return -1;
	}
	memcpy(bundle, old, oldlen);
	*blen = oldlen;
	free(old);
	return 0;
}

/* Hash tiles of every level that leaves from..n-1 touched. */
static int
write_tiles(const char *dir, const struct merkle_tree *t, uint64_t from, uint64_t n, uint8_t *tile)
{
	char rel[TILE_PATH_MAX], err[RULES_ERR_MAX];
	int level;

	for (level = 0; level < 8 && (n >> (TILE_HEIGHT * level)) > 0; level++) {
		uint64_t first = (from >> (TILE_HEIGHT * level)) / TILE_WIDTH, ti;

		for (ti = first; ti < tile_count(level, n); ti++) {
			size_t tl = tile_hashes(t, level, ti, n, tile);

			if (tl == 0)
				continue;
			tile_path(level, ti, tile_width(level, ti, n), rel, sizeof rel);
			if (tlogstore_write(dir, rel, tile, tl, 0, err, sizeof err) != 0) {
				warnx("%s", err);
				return -1;
			}
		}
	}
	return 0;
}

static int
cmd_append(int argc, char **argv)
{
	const size_t bcap = (size_t)TILE_WIDTH * (2 + TLOG_ENTRY_MAX);
	const char *sec = NULL, *dir;
	char err[RULES_ERR_MAX * 2], rel[TILE_PATH_MAX], entry[TLOG_ENTRY_MAX], *raw = NULL;
	char *oldnote = NULL, *bundle = NULL, note[2048];
	size_t rawlen, entrylen, notelen, blen = 0;
	uint8_t leaf[MERKLE_HASH_SIZE], *tile = NULL;
	struct note_signer k;
	struct checkpoint cp;
	struct merkle_tree t;
	struct sigset sigs;
	uint64_t start, i, bi;
	int c, r, a, proofs = 1;

	while ((c = getopt(argc, argv, "Ps:")) != -1) {
		if (c == 'P')
			proofs = 0;
		else if (c == 's')
			sec = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind + 2 > argc || sec == NULL)
		return EXIT_USAGE;
	dir = argv[optind];
	if ((r = read_signer(sec, &k)) != EXIT_OK)
		return r;
	if (tlogstore_load(dir, &k.pub, &cp, &t, &oldnote, &notelen, err, sizeof err) != 0) {
		warnx("%s", err);
		OPENSSL_cleanse(&k, sizeof k);
		return EXIT_FAIL;
	}
	r = EXIT_SYSTEM;
	start = t.size;
	bundle = malloc(bcap);
	tile = malloc((size_t)TILE_WIDTH * MERKLE_HASH_SIZE);
	if (bundle == NULL || tile == NULL) {
		warnx("out of memory");
		goto out;
	}
	bi = start / TILE_WIDTH;
	if (read_bundle(dir, bi, start, bundle, bcap, &blen) != 0)
		goto out;
	for (a = optind + 1; a < argc; a++) {
		const char *list = argv[a];

		r = list_entry(list, &raw, &rawlen, &sigs, entry, sizeof entry, &entrylen);
		if (r != EXIT_OK)
			goto out;
		merkle_leaf_hash(entry, entrylen, leaf);
		for (i = 0; i < t.size; i++)
			if (memcmp(t.level[0][i], leaf, MERKLE_HASH_SIZE) == 0) {
				warnx("%s: already in the log as leaf %" PRIu64
				      " (blockrules log prove)",
				    list, i);
				r = EXIT_FAIL;
				goto out;
			}
		r = EXIT_SYSTEM;
		if (merkle_append(&t, leaf) != 0 ||
		    bundle_put((uint8_t *)bundle, bcap, &blen, entry, entrylen) != 0) {
			warnx("out of memory");
			goto out;
		}
		if (copy_into_log(dir, list, raw, rawlen, &sigs, entry, entrylen) != EXIT_OK)
			goto out;
		free(raw);
		raw = NULL;
		sigset_free(&sigs);
		/* A bundle is written when full, and the last one at the end. */
		if (t.size % TILE_WIDTH == 0 || a + 1 == argc) {
			tile_path(TILE_ENTRIES, bi, tile_width(TILE_ENTRIES, bi, t.size), rel,
			    sizeof rel);
			if (tlogstore_write(dir, rel, bundle, blen, 0, err, sizeof err) != 0)
				goto fail;
			if (t.size % TILE_WIDTH == 0) {
				bi++;
				blen = 0;
			}
		}
	}
	/* Tiles, everything on disk, then the checkpoint that commits to them. */
	if (write_tiles(dir, &t, start, t.size, tile) != 0)
		goto out;
	if (tlogstore_sync(dir, err, sizeof err) != 0)
		goto fail;
	if (sign_checkpoint(&k, &t, t.size, note, sizeof note) != 0) {
		warnx("cannot sign the checkpoint");
		goto out;
	}
	if (tlogstore_write(dir, "checkpoint", note, strlen(note), 1, err, sizeof err) != 0)
		goto fail;
	r = EXIT_OK;
	for (a = optind + 1, i = start; a < argc && r == EXIT_OK; a++, i++) {
		if (proofs)
			r = write_proof(argv[a], &t, i, t.size, note, strlen(note));
		if (r == EXIT_OK && (argc - optind - 1 <= 10 || a + 1 == argc))
			printf("%s: leaf %" PRIu64 ", tree size %" PRIu64 "%s%s%s\n", argv[a], i,
			    t.size, proofs ? "; wrote " : "", proofs ? argv[a] : "",
			    proofs ? ".tlog-proof" : "");
	}
	goto out;
fail:
	warnx("%s", err);
	r = EXIT_SYSTEM;
out:
	OPENSSL_cleanse(&k, sizeof k);
	if (raw) {
		free(raw);
		sigset_free(&sigs);
	}
	free(bundle);
	free(tile);
	free(oldnote);
	merkle_free(&t);
	return r;
}

static int
cmd_prove(int argc, char **argv)
{
	const char *pub = NULL, *dir, *list;
	char err[RULES_ERR_MAX * 2], entry[TLOG_ENTRY_MAX], *raw = NULL, *note = NULL;
	size_t rawlen, entrylen, notelen;
	uint8_t leaf[MERKLE_HASH_SIZE];
	struct note_key k;
	struct checkpoint cp;
	struct merkle_tree t;
	struct sigset sigs;
	uint64_t i;
	int c, r;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c != 'p')
			return EXIT_USAGE;
		pub = optarg;
	}
	if (optind + 2 != argc || pub == NULL)
		return EXIT_USAGE;
	dir = argv[optind];
	list = argv[optind + 1];
	if ((r = read_key(pub, &k)) != EXIT_OK)
		return r;
	if (tlogstore_load(dir, &k, &cp, &t, &note, &notelen, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_FAIL;
	}
	if ((r = list_entry(list, &raw, &rawlen, &sigs, entry, sizeof entry, &entrylen)) != EXIT_OK)
		goto out;
	merkle_leaf_hash(entry, entrylen, leaf);
	for (i = 0; i < t.size; i++)
		if (memcmp(t.level[0][i], leaf, MERKLE_HASH_SIZE) == 0)
			break;
	if (i == t.size) {
		warnx("%s: not in the log %s (with these signature files)", list, dir);
		r = EXIT_FAIL;
	} else {
		r = write_proof(list, &t, i, t.size, note, notelen);
	}
	free(raw);
	sigset_free(&sigs);
out:
	free(note);
	merkle_free(&t);
	return r;
}

/* Adds each file's signature lines to the log's checkpoint, each line once. */
static int
cmd_cosign(int argc, char **argv)
{
	const char *pub = NULL;
	struct note *n = malloc(sizeof *n);
	char err[RULES_ERR_MAX * 2], path[4096], *note = NULL, *buf, *out = NULL, *p, *nl;
	size_t notelen, len, olen, ll;
	struct note_key k;
	int c, r = EXIT_USAGE, a;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c != 'p')
			goto done;
		pub = optarg;
	}
	if (optind + 2 > argc || pub == NULL || n == NULL)
		goto done;
	if ((r = read_key(pub, &k)) != EXIT_OK)
		goto done;
	r = EXIT_FAIL;
	snprintf(path, sizeof path, "%s/checkpoint", argv[optind]);
	if (file_read_capped(path, NOTE_MAX, &note, &notelen, err, sizeof err) != 0 ||
	    note_parse(note, notelen, n, err, sizeof err) != 0 ||
	    note_verify(n, &k, NULL, err, sizeof err) != 1) {
		warnx("%s: %s", path, err);
		goto done;
	}
	if ((out = malloc(NOTE_MAX)) == NULL)
		goto done;
	memcpy(out, note, notelen);
	olen = notelen;
	for (a = optind + 1; a < argc; a++) {
		if (file_read_capped(argv[a], NOTE_MAX, &buf, &len, err, sizeof err) != 0) {
			warnx("%s", err);
			r = EXIT_SYSTEM;
			goto done;
		}
		for (p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p = nl + 1) {
			ll = (size_t)(nl - p) + 1;
			if (ll > 1 && memmem(out + n->textlen, olen - n->textlen, p, ll) == NULL &&
			    olen + ll <= NOTE_MAX) {
				memcpy(out + olen, p, ll);
				olen += ll;
			}
		}
		free(buf);
	}
	if (note_parse(out, olen, n, err, sizeof err) != 0) {
		warnx("the cosigned checkpoint: %s", err);
		goto done;
	}
	if (file_write_atomic(path, out, olen, 0644, err, sizeof err) != 0) {
		warnx("%s", err);
		r = EXIT_SYSTEM;
		goto done;
	}
	printf("%s: %zu signatures\n", path, n->nsigs);
	r = EXIT_OK;
done:
	free(n);
	free(note);
	free(out);
	return r;
}

/* The tlog-witness request for a witness that last cosigned size old: proof and checkpoint. */
static int
cmd_request(int argc, char **argv)
{
	const char *pub = NULL;
	struct tlog_consistency *c = malloc(sizeof *c);
	char err[RULES_ERR_MAX * 2], *note = NULL, buf[MERKLE_PROOF_MAX * 46 + 64];
	size_t notelen;
	struct note_key k;
	struct checkpoint cp;
	struct merkle_tree t;
	int ch, r = EXIT_USAGE;
	char *end;

	if (c == NULL)
		return EXIT_SYSTEM;
	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p')
			goto out;
		pub = optarg;
	}
	if (optind + 2 != argc || pub == NULL)
		goto out;
	c->old = strtoull(argv[optind + 1], &end, 10);
	if (*end != '\0' || end == argv[optind + 1])
		goto out;
	if ((r = read_key(pub, &k)) != EXIT_OK)
		goto out;
	if (tlogstore_load(argv[optind], &k, &cp, &t, &note, &notelen, err, sizeof err) != 0) {
		warnx("%s", err);
		r = EXIT_FAIL;
		goto out;
	}
	r = EXIT_FAIL;
	if (merkle_prove_consistency(&t, c->old, cp.size, c->path, &c->npath, err, sizeof err) != 0)
		warnx("old %" PRIu64 ": %s", c->old, err);
	else if (tlog_consistency_format(c, buf, sizeof buf) < 0)
		warnx("the proof does not fit");
	else if (fputs(buf, stdout) != EOF && fwrite(note, 1, notelen, stdout) == notelen)
		r = EXIT_OK;
	free(note);
	merkle_free(&t);
out:
	free(c);
	return r;
}

static int
cmd_check(int argc, char **argv)
{
	struct tlog_policy pol;
	struct tlog_verdict *v = malloc(sizeof *v);
	char err[RULES_ERR_MAX * 4], entry[TLOG_ENTRY_MAX], path[4096];
	char *raw = NULL, *proof = NULL, *cons = NULL, *seenbuf = NULL;
	size_t rawlen, entrylen, prooflen, conslen = 0, seenlen = 0;
	const char *seen = NULL, *list;
	struct sigset sigs;
	int c, r;

	memset(&pol, 0, sizeof pol);
	if (v == NULL)
		return EXIT_SYSTEM;
	r = EXIT_USAGE;
	while ((c = getopt(argc, argv, "p:q:S:w:")) != -1) {
		switch (c) {
		case 'p':
			if ((r = read_key(optarg, &pol.log)) != EXIT_OK)
				goto out;
			break;
		case 'q':
			pol.quorum = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			seen = optarg;
			break;
		case 'w':
			if (pol.nwitness == TLOG_WITNESS_MAX)
				goto out;
			if ((r = read_key(optarg, &pol.witness[pol.nwitness++])) != EXIT_OK)
				goto out;
			break;
		default:
			r = EXIT_USAGE;
			goto out;
		}
	}
	r = EXIT_USAGE;
	if (optind + 1 != argc || pol.log.name[0] == '\0')
		goto out;
	list = argv[optind];
	if ((r = list_entry(list, &raw, &rawlen, &sigs, entry, sizeof entry, &entrylen)) != EXIT_OK)
		goto out;
	r = EXIT_SYSTEM;
	snprintf(path, sizeof path, "%s.tlog-proof", list);
	if (file_read_capped(path, NOTE_MAX * 2, &proof, &prooflen, err, sizeof err) != 0) {
		warnx("%s", err);
		goto out;
	}
	snprintf(path, sizeof path, "%s.tlog-consistency", list);
	if (file_read_capped(path, NOTE_MAX * 16, &cons, &conslen, err, sizeof err) != 0)
		cons = NULL, conslen = 0;
	if (seen && file_read_capped(seen, NOTE_MAX, &seenbuf, &seenlen, err, sizeof err) != 0) {
		warnx("%s", err);
		goto out;
	}
	snprintf(path, sizeof path, "%s.tlog-proof", list);
	if (tlog_check(&pol, entry, entrylen, proof, prooflen, path, cons, conslen, seenbuf,
		seenlen, v, err, sizeof err) != 0) {
		printf("refused: %s\n", err);
		r = EXIT_FAIL;
		goto out;
	}
	printf("ok: %s is leaf %" PRIu64 " of %s, tree size %" PRIu64 ", cosigned by %u\n", list,
	    v->index, v->cp.origin, v->cp.size, v->cosigned);
	r = EXIT_OK;
out:
	if (raw) {
		free(raw);
		sigset_free(&sigs);
	}
	free(proof);
	free(cons);
	free(seenbuf);
	free(v);
	return r;
}

int
tlogcmd_log(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {{"init", cmd_init}, {"append", cmd_append}, {"prove", cmd_prove},
	    {"cosign", cmd_cosign}, {"request", cmd_request}, {"check", cmd_check}};
	size_t i;
	int r;

	if (argc < 2)
		goto usage;
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 1;
			r = subs[i].fn(argc - 1, argv + 1);
			if (r == EXIT_USAGE)
				goto usage;
			return r;
		}
usage:
	fprintf(stderr, "usage: %s", tlogcmd_log_usage);
	return EXIT_USAGE;
}
