/* blockrules audit: fetch a list log from its tiles, verify every step, and print every order and entry it ever held. */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "fileio.h"
#include "rulefmt.h"
#include "tiles.h"
#include "tlogcmd.h"
#include "tlogentry.h"
#include "tlogstore.h"

#define LIST_CAP (256u << 20)

const char tlogcmd_audit_usage[] =
    "blockrules audit -p log-pubkey [-j] [-S seen-checkpoint] [-w save-checkpoint] log\n";

/* One list of the log, by leaf. */
struct alist {
	struct tlog_entry e;
};

/* An order or entry, present from list `from` to list `to` (exclusive; UINT64_MAX: still). */
struct span {
	char *key; /* "o\tREF\tAUTHORITY\tSERVICE" or "e\tTYPE\tVALUE\tREF" */
	uint64_t from, to;
};

struct audit {
	struct alist *lists;
	uint64_t nlists;
	struct span *spans;
	size_t nspans, capspans;
	char **prev; /* the previous list's keys, sorted, and their spans */
	size_t *prevspan, nprev;
};

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
keyf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static size_t
new_span(struct audit *a, char *key, uint64_t from)
{
	if (a->nspans == a->capspans) {
		size_t cap = a->capspans ? a->capspans * 2 : 1024;
		struct span *p = realloc(a->spans, cap * sizeof *p);

		if (p == NULL)
			return SIZE_MAX;
		a->spans = p;
		a->capspans = cap;
	}
	a->spans[a->nspans].key = key;
	a->spans[a->nspans].from = from;
	a->spans[a->nspans].to = UINT64_MAX;
	return a->nspans++;
}

/* The list at leaf i: its keys against the previous list's; spans opened and closed. */
static int
track(struct audit *a, const struct rulelist *l, uint64_t i)
{
	size_t n = l->norders + l->nentries, k, p = 0, *span;
	char **keys = calloc(n ? n : 1, sizeof *keys), v[RULES_URL_MAX + 1];

	span = calloc(n ? n : 1, sizeof *span);
	if (keys == NULL || span == NULL)
		goto oom;
	for (k = 0; k < l->norders; k++) {
		const struct rule_order *o = &l->orders[k];

		keys[k] = keyf("o\t%s\t%s\t%s", o->ref, o->authority, o->service);
		if (keys[k] == NULL)
			goto oom;
	}
	for (k = 0; k < l->nentries; k++) {
		const struct rule_entry *e = &l->entries[k];

		keys[l->norders + k] = keyf("e\t%s\t%s\t%s", rule_type_name(e->type),
		    rule_entry_value(e, v, sizeof v), l->orders[e->order].ref);
		if (keys[l->norders + k] == NULL)
			goto oom;
	}
	qsort(keys, n, sizeof *keys, cmpstr);
	/* Merge with the previous list: kept keys keep their span, the rest open or close. */
	for (k = 0; k < n || p < a->nprev;) {
		int c = k == n ? 1 : p == a->nprev ? -1 : strcmp(keys[k], a->prev[p]);

		if (c == 0) {
			span[k++] = a->prevspan[p];
			free(a->prev[p++]);
		} else if (c < 0) {
			char *dup = strdup(keys[k]);

			if (dup == NULL || (span[k] = new_span(a, dup, i)) == SIZE_MAX) {
				free(dup);
				goto oom;
			}
			k++;
		} else {
			a->spans[a->prevspan[p]].to = i;
			free(a->prev[p++]);
		}
	}
	free(a->prev);
	free(a->prevspan);
	a->prev = keys;
	a->prevspan = span;
	a->nprev = n;
	return 0;
oom:
	for (k = 0; keys && k < n; k++)
		free(keys[k]);
	free(keys);
	free(span);
	return -1;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* "serial S (issued T)" of list i, or the JSON object. */
static void
when(FILE *f, const struct audit *a, uint64_t i, int json)
{
	char t[32];

	if (i == UINT64_MAX) {
		fputs(json ? "null" : "", f);
		return;
	}
	rules_time_format(a->lists[i].e.issued, t, sizeof t);
	if (json)
		fprintf(f, "{\"leaf\":%" PRIu64 ",\"serial\":%" PRIu64 ",\"issued\":\"%s\"}", i,
		    a->lists[i].e.serial, t);
	else
		fprintf(f, "serial %" PRIu64 " (leaf %" PRIu64 ", issued %s)", a->lists[i].e.serial,
		    i, t);
}

static void
print(FILE *f, const struct audit *a, const struct checkpoint *cp, int json)
{
	char root[45], t[32], *fld[4];
	size_t s, k;
	uint64_t i;
	int kind, first;

	tlog_hash_b64(cp->root, root);
	if (json) {
		fputs("{\"origin\":", f);
		json_str(f, cp->origin);
		fprintf(f, ",\"size\":%" PRIu64 ",\"root\":\"%s\",\"verified\":true,\"lists\":[",
		    cp->size, root);
	} else {
		fprintf(f,
		    "log %s: tree size %" PRIu64 ", root %s: checkpoint, tiles, entries and "
		    "lists verified\n",
		    cp->origin, cp->size, root);
	}
	for (i = 0; i < a->nlists; i++) {
		const struct tlog_entry *e = &a->lists[i].e;

		rules_time_format(e->issued, t, sizeof t);
		if (json) {
			fprintf(f,
			    "%s{\"leaf\":%" PRIu64 ",\"serial\":%" PRIu64 ",\"issued\":\"%s\","
			    "\"issuer\":",
			    i ? "," : "", i, e->serial, t);
			json_str(f, e->issuer);
			fputs(",\"scope\":", f);
			json_str(f, e->scope);
			fprintf(f, ",\"sha256\":\"%s\",\"signatures\":%zu}", e->list_hex, e->nsigs);
		} else {
			fprintf(f,
			    "list leaf %" PRIu64 ": serial %" PRIu64 ", issued %s by %s (%s), "
			    "sha256 %s\n",
			    i, e->serial, t, e->issuer, e->scope, e->list_hex);
		}
	}
	if (json)
		fputs("]", f);
	for (kind = 'o'; kind; kind = kind == 'o' ? 'e' : 0) {
		if (json)
			fputs(kind == 'o' ? ",\"orders\":[" : ",\"entries\":[", f);
		first = 1;
		for (s = 0; s < a->nspans; s++) {
			const struct span *sp = &a->spans[s];
			char *copy = strdup(sp->key), *save = NULL, *tok;

			if (copy == NULL || sp->key[0] != kind) {
				free(copy);
				continue;
			}
			(void)strtok_r(copy, "\t", &save);
			for (k = 0; k < 4; k++) {
				tok = strtok_r(NULL, "\t", &save);
				fld[k] = tok ? tok : "";
			}
			if (json) {
				fputs(first ? "{" : ",{", f);
				if (kind == 'o') {
					fputs("\"ref\":", f);
					json_str(f, fld[0]);
					fputs(",\"authority\":", f);
					json_str(f, fld[1]);
					fputs(",\"service\":", f);
					json_str(f, fld[2]);
				} else {
					fputs("\"type\":", f);
					json_str(f, fld[0]);
					fputs(",\"value\":", f);
					json_str(f, fld[1]);
					fputs(",\"order\":", f);
					json_str(f, fld[2]);
				}
				fputs(",\"entered\":", f);
				when(f, a, sp->from, 1);
				fputs(",\"left\":", f);
				when(f, a, sp->to, 1);
				fputs("}", f);
			} else {
				if (kind == 'o')
					fprintf(f, "order %s (%s; %s): entered ", fld[0], fld[1],
					    fld[2]);
				else
					fprintf(f, "entry %s %s (order %s): entered ", fld[0],
					    fld[1], fld[2]);
				when(f, a, sp->from, 0);
				if (sp->to == UINT64_MAX) {
					fputs(", still listed\n", f);
				} else {
					fputs(", left ", f);
					when(f, a, sp->to, 0);
					fputc('\n', f);
				}
			}
			first = 0;
			free(copy);
		}
		if (json)
			fputs("]", f);
	}
	if (json)
		fputs("}\n", f);
}

static void
audit_free(struct audit *a)
{
	size_t k;

	for (k = 0; k < a->nspans; k++)
		free(a->spans[k].key);
	for (k = 0; k < a->nprev; k++)
		free(a->prev[k]);
	free(a->spans);
	free(a->prev);
	free(a->prevspan);
	free(a->lists);
}

/* Every entry bundle: entries parsed, leaves hashed into t. */
static int
read_entries(const char *log, const struct checkpoint *cp, struct audit *a, struct merkle_tree *t)
{
	char rel[TILE_PATH_MAX], err[RULES_ERR_MAX * 2], *b;
	uint64_t bi, nb = tile_count(TILE_ENTRIES, cp->size);
	uint8_t leaf[MERKLE_HASH_SIZE];
	const uint8_t *e;
	size_t len, pos, el;
	unsigned w, got;
	int r;

	a->lists = calloc(cp->size ? cp->size : 1, sizeof *a->lists);
	if (a->lists == NULL)
		return EXIT_SYSTEM;
	for (bi = 0; bi < nb; bi++) {
		w = tile_width(TILE_ENTRIES, bi, cp->size);
		tile_path(TILE_ENTRIES, bi, w, rel, sizeof rel);
		r = tlogstore_read(
		    log, rel, (size_t)TILE_WIDTH * (2 + TLOG_ENTRY_MAX), &b, &len, err, sizeof err);
		if (r != 0) {
			warnx("audit failed: %s/%s: %s", log, rel, r == 1 ? "missing" : err);
			return r == 1 ? EXIT_FAIL : EXIT_SYSTEM;
		}
		for (pos = 0, got = 0;
		     (r = bundle_next((uint8_t *)b, len, &pos, &e, &el, err, sizeof err)) == 1;
		     got++) {
			uint64_t i = bi * TILE_WIDTH + got;

			if (got == w)
				break;
			if (tlog_entry_parse(
				(const char *)e, el, &a->lists[i].e, err, sizeof err)) {
				warnx("audit failed: leaf %" PRIu64 ": %s", i, err);
				free(b);
				return EXIT_FAIL;
			}
			merkle_leaf_hash(e, el, leaf);
			if (merkle_append(t, leaf) != 0) {
				free(b);
				return EXIT_SYSTEM;
			}
			a->nlists++;
		}
		free(b);
		if (r == -1 || got != w || pos != len) {
			warnx("audit failed: %s/%s: %s", log, rel,
			    r == -1 ? err : "not the number of entries its name says");
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

/* Every hash tile against the tree the entries give. */
static int
check_tiles(const char *log, const struct merkle_tree *t, uint64_t n)
{
	char rel[TILE_PATH_MAX], err[RULES_ERR_MAX * 2], *b;
	uint64_t ti;
	size_t len;
	int level, r;

	for (level = 0; level < 8 && (n >> (TILE_HEIGHT * level)) > 0; level++)
		for (ti = 0; ti < tile_count(level, n); ti++) {
			unsigned w = tile_width(level, ti, n);

			if (w == 0)
				continue;
			tile_path(level, ti, w, rel, sizeof rel);
			r = tlogstore_read(log, rel, (size_t)TILE_WIDTH * MERKLE_HASH_SIZE, &b,
			    &len, err, sizeof err);
			if (r != 0) {
				warnx(
				    "audit failed: %s/%s: %s", log, rel, r == 1 ? "missing" : err);
				return r == 1 ? EXIT_FAIL : EXIT_SYSTEM;
			}
			r = tile_check(t, level, ti, n, (uint8_t *)b, len, err, sizeof err);
			free(b);
			if (r != 0) {
				warnx("audit failed: %s/%s: %s: the tiles and the entries disagree "
				      "(an "
				      "entry was rewritten)",
				    log, rel, err);
				return EXIT_FAIL;
			}
		}
	return EXIT_OK;
}

/* Every list file: its hash is the entry's, and it parses; its orders and entries tracked. */
static int
read_lists(const char *log, struct audit *a)
{
	char rel[128], err[RULES_ERR_MAX * 2], hex[65], *b;
	struct rulelist *l;
	uint8_t h[32];
	unsigned int hl;
	size_t len;
	uint64_t i;
	int r, k;

	for (i = 0; i < a->nlists; i++) {
		snprintf(rel, sizeof rel, "lists/%s", a->lists[i].e.list_hex);
		r = tlogstore_read(log, rel, LIST_CAP, &b, &len, err, sizeof err);
		if (r != 0) {
			warnx("audit failed: leaf %" PRIu64 ": %s/%s: %s", i, log, rel,
			    r == 1 ? "missing: the log does not publish the list it logged" : err);
			return r == 1 ? EXIT_FAIL : EXIT_SYSTEM;
		}
		hl = sizeof h;
		EVP_Digest(b, len, h, &hl, EVP_sha256(), NULL);
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * (size_t)k, 3, "%02x", h[k]);
		if (strcmp(hex, a->lists[i].e.list_hex) != 0) {
			warnx("audit failed: leaf %" PRIu64 ": %s/%s: its SHA-256 is %s, not the "
			      "logged one",
			    i, log, rel, hex);
			free(b);
			return EXIT_FAIL;
		}
		r = rulelist_parse(b, len, rel, NULL, &l, err, sizeof err);
		free(b);
		if (r != 0) {
			warnx("audit failed: leaf %" PRIu64 ": %s", i, err);
			return EXIT_FAIL;
		}
		if (l->serial != a->lists[i].e.serial || l->issued != a->lists[i].e.issued ||
		    strcmp(l->issuer, a->lists[i].e.issuer) != 0 ||
		    strcmp(l->scope, a->lists[i].e.scope) != 0) {
			warnx("audit failed: leaf %" PRIu64 ": the list's header is not the logged "
			      "one",
			    i);
			rulelist_free(l);
			return EXIT_FAIL;
		}
		r = track(a, l, i);
		rulelist_free(l);
		if (r != 0)
			return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* The checkpoint seen before (saved by an earlier audit): the same history, never shrunk. */
static int
check_seen(const char *path, const struct note_key *key, const struct merkle_tree *t,
    const struct checkpoint *cp)
{
	struct note *n = malloc(sizeof *n);
	char err[RULES_ERR_MAX * 2], *b = NULL, r1[45], r2[45];
	struct checkpoint was;
	uint8_t root[MERKLE_HASH_SIZE];
	size_t len;
	int r = EXIT_FAIL;

	if (n == NULL)
		return EXIT_SYSTEM;
	if (file_read_capped(path, NOTE_MAX, &b, &len, err, sizeof err) != 0) {
		warnx("%s", err);
		r = EXIT_SYSTEM;
	} else if (note_parse(b, len, n, err, sizeof err) != 0 ||
	    checkpoint_parse(n->text, n->textlen, &was, err, sizeof err) != 0 ||
	    note_verify(n, key, NULL, err, sizeof err) != 1) {
		warnx("%s: not a checkpoint of this log: %s", path, err);
	} else if (was.size > cp->size) {
		warnx("audit failed: the log was rolled back: size %" PRIu64 ", but size %" PRIu64
		      " was seen before (%s)",
		    cp->size, was.size, path);
	} else {
		merkle_root(t, was.size, root);
		if (memcmp(root, was.root, MERKLE_HASH_SIZE) != 0) {
			tlog_hash_b64(root, r1);
			tlog_hash_b64(was.root, r2);
			warnx(
			    "audit failed: the log's history was rewritten: its first %" PRIu64
			    " entries now give root %s, but the log signed %s for them before (%s)",
			    was.size, r1, r2, path);
		} else {
			r = EXIT_OK;
		}
	}
	free(n);
	free(b);
	return r;
}

int
tlogcmd_audit(int argc, char **argv)
{
	const char *pub = NULL, *seen = NULL, *save = NULL, *log;
	char err[RULES_ERR_MAX * 2], *kb, *note = NULL;
	size_t kl, notelen;
	struct audit a;
	struct note_key key;
	struct checkpoint cp;
	struct merkle_tree t, tiles;
	uint8_t root[MERKLE_HASH_SIZE];
	int c, r, json = 0;

	memset(&a, 0, sizeof a);
	merkle_init(&t);
	optind = 1;
	while ((c = getopt(argc, argv, "jp:S:w:")) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'S':
			seen = optarg;
			break;
		case 'w':
			save = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || pub == NULL)
		goto usage;
	log = argv[optind];
	if (file_read_capped(pub, NOTE_KEY_MAX, &kb, &kl, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	r = note_key_parse(kb, kl, &key, err, sizeof err);
	free(kb);
	if (r != 0) {
		warnx("%s: %s", pub, err);
		return EXIT_FAIL;
	}
	/* The checkpoint and level 0 tiles (tlogstore_load), then everything else. */
	if (tlogstore_load(log, &key, &cp, &tiles, &note, &notelen, err, sizeof err) != 0) {
		warnx("audit failed: %s", err);
		return EXIT_FAIL;
	}
	merkle_free(&tiles);
	if ((r = read_entries(log, &cp, &a, &t)) != EXIT_OK)
		goto out;
	merkle_root(&t, t.size, root);
	if (t.size != cp.size || memcmp(root, cp.root, MERKLE_HASH_SIZE) != 0) {
		warnx("audit failed: the entries do not give the checkpoint's root hash: an entry "
		      "was "
		      "rewritten");
		r = EXIT_FAIL;
		goto out;
	}
	if ((r = check_tiles(log, &t, cp.size)) != EXIT_OK)
		goto out;
	if (seen && (r = check_seen(seen, &key, &t, &cp)) != EXIT_OK)
		goto out;
	if ((r = read_lists(log, &a)) != EXIT_OK)
		goto out;
	print(stdout, &a, &cp, json);
	if (fflush(stdout) != 0)
		r = EXIT_SYSTEM;
	if (save && file_write_atomic(save, note, notelen, 0644, err, sizeof err) != 0) {
		warnx("%s", err);
		r = EXIT_SYSTEM;
	}
out:
	free(note);
	merkle_free(&t);
	audit_free(&a);
	return r;
usage:
	fprintf(stderr, "usage: %s", tlogcmd_audit_usage);
	return EXIT_USAGE;
}
