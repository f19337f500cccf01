/* blockd-witness: checks that a list log only grows, then cosigns its checkpoint (tlog-witness, cosignature/v1). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "exitcode.h"
#include "fileio.h"
#include "merkle.h"
#include "note.h"
#include "notefile.h"

#define REQUEST_MAX (2 * NOTE_MAX)

static const char usage_text[] =
    "usage: blockd-witness keygen [-f] -n name -s seckey -p pubkey\n"
    "       blockd-witness cosign -s seckey -l log-pubkey -d statedir [-o file] [-t time] "
    "request\n"
    "       blockd-witness --version | --help\n";

static int
usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int
cmd_keygen(int argc, char **argv)
{
	const char *name = NULL, *sec = NULL, *pub = NULL;
	char err[512], text[1024];
	struct note_signer k;
	int c, r, force = 0;

	while ((c = getopt(argc, argv, "fn:p:s:")) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 's':
			sec = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || name == NULL || sec == NULL || pub == NULL)
		return usage();
	r = notefile_keygen(
	    "-n", name, NOTE_ALG_COSIG, sec, pub, force, &k, text, sizeof text, err, sizeof err);
	OPENSSL_cleanse(&k, sizeof k);
	if (r != EXIT_OK) {
		warnx("%s", err);
		return r;
	}
	fputs(text, stdout);
	return EXIT_OK;
}

static int
read_text(const char *path, size_t cap, char **buf, size_t *len)
{
	char err[512];

	if (file_read_capped(path, cap, buf, len, err, sizeof err) != 0) {
		warnx("%s", err);
		return -1;
	}
	return 0;
}

/* The state file of one log, by a hash of its origin: STATEDIR/log-HEX. */
static void
state_path(const char *dir, const char *origin, char *out, size_t outsz)
{
	uint8_t h[32];
	unsigned int n = sizeof h;
	char hex[33];
	int i;

	EVP_Digest(origin, strlen(origin), h, &n, EVP_sha256(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * (size_t)i, 3, "%02x", h[i]);
	snprintf(out, outsz, "%s/log-%s", dir, hex);
}

/* A checkpoint note signed by the log key: parsed into n and cp. 0, or -1 with err. */
static int
open_checkpoint(const struct note_key *log, const char *buf, size_t len, struct note *n,
    struct checkpoint *cp, char *err, size_t errlen)
{
	char why[512];

	if (note_parse(buf, len, n, why, sizeof why) != 0 ||
	    checkpoint_parse(n->text, n->textlen, cp, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (strcmp(cp->origin, log->name) != 0) {
		snprintf(err, errlen, "origin \"%s\" is not the log key's name \"%s\"", cp->origin,
		    log->name);
		return -1;
	}
	if (note_verify(n, log, NULL, why, sizeof why) != 1) {
		snprintf(err, errlen, "not signed by the log key %s", log->name);
		return -1;
	}
	return 0;
}

static int
cmd_cosign(int argc, char **argv)
{
	const char *sec = NULL, *logkey = NULL, *dir = NULL, *outpath = NULL;
	struct note *n = malloc(sizeof *n), *sn = malloc(sizeof *sn);
	struct tlog_consistency *c = malloc(sizeof *c);
	char err[1024], spath[4096], line[1024], *buf = NULL, *state = NULL;
	size_t len, used, slen;
	struct note_signer k;
	struct note_key log;
	struct checkpoint cp, was;
	uint64_t now = (uint64_t)time(NULL);
	int ch, r = EXIT_USAGE;

	if (n == NULL || sn == NULL || c == NULL)
		goto out;
	while ((ch = getopt(argc, argv, "d:l:o:s:t:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			logkey = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 's':
			sec = optarg;
			break;
		case 't':
			now = strtoull(optarg, NULL, 10);
			break;
		default:
			r = usage();
			goto out;
		}
	}
	if (optind + 1 != argc || sec == NULL || logkey == NULL || dir == NULL) {
		r = usage();
		goto out;
	}
	if ((r = notefile_read_signer(sec, &k, err, sizeof err)) != EXIT_OK) {
		warnx("%s", err);
		goto out;
	}
	if (k.pub.alg != NOTE_ALG_COSIG) {
		warnx("%s: not a witness key (algorithm 4)", sec);
		r = EXIT_FAIL;
		goto out;
	}
	if ((r = notefile_read_key(logkey, &log, err, sizeof err)) != EXIT_OK) {
		warnx("%s", err);
		goto out;
	}
	r = EXIT_SYSTEM;
	if (read_text(argv[optind], REQUEST_MAX, &buf, &len) != 0)
		goto out;
	r = EXIT_FAIL;
	/* The request: "old M", the consistency proof, a blank line, the checkpoint. */
	if (tlog_consistency_parse(buf, len, c, &used, err, sizeof err) != 0) {
		warnx("%s: %s", argv[optind], err);
		goto out;
	}
	if (open_checkpoint(&log, buf + used, len - used, n, &cp, err, sizeof err) != 0) {
		warnx("%s: the checkpoint: %s", argv[optind], err);
		goto out;
	}
	/* What this witness cosigned last for the log. */
	state_path(dir, cp.origin, spath, sizeof spath);
	if (file_read_capped(spath, NOTE_MAX, &state, &slen, err, sizeof err) == 0) {
		if (open_checkpoint(&log, state, slen, sn, &was, err, sizeof err) != 0) {
			warnx("%s: %s (the witness's state is damaged)", spath, err);
			r = EXIT_SYSTEM;
			goto out;
		}
	} else if (errno == ENOENT) {
		memset(&was, 0, sizeof was);
		merkle_empty_root(was.root);
	} else {
		warnx("%s", err);
		r = EXIT_SYSTEM;
		goto out;
	}
	if (cp.size < was.size) {
		warnx("refused: the log shrank: size %" PRIu64 " after size %" PRIu64
		      " was cosigned",
		    cp.size, was.size);
		goto out;
	}
	if (cp.size == was.size && memcmp(cp.root, was.root, MERKLE_HASH_SIZE) != 0) {
		warnx("refused: split view: the log signed two different trees of size %" PRIu64,
		    cp.size);
		goto out;
	}
	if (c->old != was.size) {
		warnx("refused: the proof is from size %" PRIu64 ", but the last checkpoint "
		      "cosigned has size %" PRIu64 " (send old %" PRIu64 ")",
		    c->old, was.size, was.size);
		goto out;
	}
	if (merkle_verify_consistency(
		was.size, cp.size, was.root, cp.root, c->path, c->npath, err, sizeof err) != 0) {
		warnx("refused: the tree of size %" PRIu64
		      " is not consistent with the one of size "
		      "%" PRIu64 " cosigned before: %s",
		    cp.size, was.size, err);
		goto out;
	}
	/* Remember first, then cosign: a crash never leaves a cosignature unrecorded. */
	r = EXIT_SYSTEM;
	if (file_write_atomic(spath, buf + used, len - used, 0644, err, sizeof err) != 0) {
		warnx("%s", err);
		goto out;
	}
	if (note_sign_line(&k, n->text, n->textlen, now, line, sizeof line) != 0) {
		warnx("cannot sign");
		goto out;
	}
	if (outpath) {
		if (file_write_atomic(outpath, line, strlen(line), 0644, err, sizeof err) != 0) {
			warnx("%s", err);
			goto out;
		}
	} else if (fputs(line, stdout) == EOF || fflush(stdout) != 0) {
		goto out;
	}
	r = EXIT_OK;
out:
	OPENSSL_cleanse(&k, sizeof k);
	free(n);
	free(sn);
	free(c);
	free(buf);
	free(state);
	return r;
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("blockd-witness %s\n", BLOCKD_VERSION);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
	if (argc < 2)
		return usage();
	optind = 1;
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "cosign") == 0)
		return cmd_cosign(argc - 1, argv + 1);
	warnx("unknown command '%s'", argv[1]);
	return usage();
}
