/* The acceptance pipeline: caps, signatures, parse, serial, expiry, change, safeguards; commit. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accept.h"
#include "fileio.h"
#include "psl.h"
#include "rulefmt.h"

/* In the state dir, which blockd shares with other state: every name starts "rules.". */
#define STATE_SERIAL   "rules.serial"
#define STATE_CURRENT  "rules.current"
#define STATE_DIRNAME  "rules."
#define STATE_TLOG     "rules.tlog" /* the newest transparency log checkpoint seen */
#define TLOG_PROOF_CAP (2 * NOTE_MAX)
#define TLOG_CONS_CAP  (1u << 20)
#define STATE_FILE_MAX 4096
#define PSL_MAX        (16u << 20)

static int __attribute__((format(printf, 2, 3)))
refuse(struct accept_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof res->reason, fmt, ap);
	va_end(ap);
	res->outcome = ACCEPT_REFUSED;
	rulelist_free(res->list); /* a refused list is never handed out */
	res->list = NULL;
	return ACCEPT_REFUSED;
}

void
accept_result_free(struct accept_result *res)
{
	rulelist_free(res->list);
	res->list = NULL;
	safeguard_report_free(&res->report);
	free(res->raw);
	res->raw = NULL;
	if (res->fd >= 0)
		close(res->fd);
	res->fd = -1;
	sigset_free(&res->sigset);
	free(res->tlog);
	res->tlog = NULL;
	free(res->tlog_proof);
	res->tlog_proof = NULL;
}

/*
 * The list's inclusion in the transparency log, against the newest checkpoint
 * seen (STATE/rules.tlog). 0, or -1 with the reason in res (refused).
 */
static int
check_tlog(const struct accept_policy *p, const char *path, struct accept_result *res)
{
	char err[RULES_ERR_MAX * 2], file[4096], entry[TLOG_ENTRY_MAX], why[2048];
	char *cons = NULL, *seen = NULL;
	size_t conslen = 0, seenlen = 0;
	int n, r = -1;

	n = tlog_entry_format_hex(res->list, res->list_sha256, &res->sigset, entry, sizeof entry);
	if (n < 0)
		return refuse(res, "%s: transparency: the list's log entry is too long", path);
	snprintf(file, sizeof file, "%s.tlog-proof", path);
	if (file_read_capped(file, TLOG_PROOF_CAP, &res->tlog_proof, &res->tlog_prooflen, err,
		sizeof err) != 0) {
		if (errno == ENOENT)
			return refuse(res,
			    "%s: transparency: no inclusion proof (%s): a list is accepted only "
			    "from the transparency log",
			    path, file);
		return refuse(res, "transparency: %s", err);
	}
	snprintf(file, sizeof file, "%s.tlog-consistency", path);
	if (file_read_capped(file, TLOG_CONS_CAP, &cons, &conslen, err, sizeof err) != 0) {
		if (errno != ENOENT) {
			refuse(res, "transparency: %s", err);
			goto out;
		}
		cons = NULL;
	}
	if (p->state_dir) {
		snprintf(file, sizeof file, "%s/%s", p->state_dir, STATE_TLOG);
		if (file_read_capped(file, NOTE_MAX, &seen, &seenlen, err, sizeof err) != 0) {
			if (errno != ENOENT) {
				refuse(res, "transparency: %s", err);
				goto out;
			}
			seen = NULL;
		}
	}
	res->tlog = malloc(sizeof *res->tlog);
	if (res->tlog == NULL) {
		refuse(res, "%s: transparency: out of memory", path);
		goto out;
	}
	snprintf(file, sizeof file, "%s.tlog-proof", path);
	if (tlog_check(p->tlog, entry, (size_t)n, res->tlog_proof, res->tlog_prooflen, file, cons,
		conslen, seen, seenlen, res->tlog, why, sizeof why) != 0) {
		refuse(res, "transparency: %s", why);
		goto out;
	}
	r = 0;
out:
	free(cons);
	free(seen);
	return r;
}

void
accept_explain(const struct accept_result *res, unsigned threshold, char *buf, size_t buflen)
{
	const char *p, *nl;
	size_t used;

	snprintf(buf, buflen, "%s", res->reason);
	if (res->outcome != ACCEPT_REFUSED || res->valid_keys >= threshold || res->sigs[0] == '\0')
		return;
	/* sigs: one line per signature file; here joined by "; " after the reason. */
	for (p = res->sigs; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		used = strlen(buf);
		snprintf(buf + used, buflen - used, "%s%.*s", p == res->sigs ? ": " : "; ",
		    (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		if (nl == NULL)
			break;
	}
}

/* A decimal number ending at the next LF; *p moves past the LF. */
static int
read_number(const char **p, unsigned long long *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno != 0 || *end != '\n')
		return -1;
	*p = end + 1;
	return 0;
}

/* The value of a lowercase hex digit the caller has already checked. */
static unsigned
hexval(char c)
{
	return c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10) & 15u;
}

/* The serial file: "serial N\ndigest HEX\nentries N\n". */
int
accept_last(const char *state_dir, uint64_t *serial, uint8_t digest[64], size_t *entries, char *err,
    size_t errlen)
{
	unsigned long long s, n;
	const char *p;
	char path[4096], *buf;
	size_t len, i;
	int ok;

	snprintf(path, sizeof path, "%s/%s", state_dir, STATE_SERIAL);
	if (file_read_capped(path, STATE_FILE_MAX, &buf, &len, err, errlen) != 0)
		return errno == ENOENT ? 0 : -1;
	p = buf;
	ok = strncmp(p, "serial ", 7) == 0 && (p += 7, read_number(&p, &s) == 0) &&
	    strncmp(p, "digest ", 7) == 0 && strspn(p + 7, "0123456789abcdef") == 128 &&
	    p[135] == '\n';
	if (ok) {
		for (i = 0; i < 64; i++)
			digest[i] = (uint8_t)(hexval(p[7 + 2 * i]) << 4 | hexval(p[8 + 2 * i]));
		p += 136;
		ok = strncmp(p, "entries ", 8) == 0 && (p += 8, read_number(&p, &n) == 0) &&
		    *p == '\0';
	}
	free(buf);
	if (!ok) {
		snprintf(
		    err, errlen, "%s: damaged (expected serial, digest and entries lines)", path);
		return -1;
	}
	*serial = s;
	*entries = (size_t)n;
	return 1;
}

static void
phase(const struct accept_policy *p, const char *step)
{
	if (p->phase != NULL)
		p->phase(p->phase_arg, step);
}

static int
check(const struct accept_policy *p, const char *path, int restoring, struct accept_result *res)
{
	char err[RULES_ERR_MAX * 2], t[32];
	struct keyring *keys = NULL;
	uint8_t last_digest[64];
	size_t last_entries = 0;
	int have_last = 0;
	double change;

	memset(res, 0, sizeof *res);
	res->outcome = ACCEPT_REFUSED;
	res->fd = -1;
	if (p->threshold < 1)
		return refuse(res, "policy: the signature threshold must be at least 1");
	if (p->keys_dir == NULL || p->psl_path == NULL)
		return refuse(
		    res, "policy: a keys directory and a public suffix list are required");
	if (p->state_dir) {
		have_last = accept_last(
		    p->state_dir, &res->last_serial, last_digest, &last_entries, err, sizeof err);
		if (have_last < 0)
			return refuse(res, "state: %s", err);
	}
	if (restoring && !have_last)
		return refuse(res, "state dir %s holds no accepted list yet", p->state_dir);

	/* 1. Sizes, then signatures over the raw bytes: nothing is parsed before this. */
	if (file_read_keep(
		path, p->max_list_bytes, &res->raw, &res->rawlen, &res->fd, err, sizeof err))
		return refuse(res, "%s", err);
	if (sigset_read(path, &res->sigset, err, sizeof err) != 0)
		return refuse(res, "%s", err);
	if (res->sigset.n == 0)
		return refuse(res, "%s: no signature file (expected %s.minisig)", path, path);
	if (keyring_load(p->keys_dir, &keys, err, sizeof err) != 0)
		return refuse(res, "%s", err);
	phase(p, "read");
	if (rules_blake2b512(res->raw, res->rawlen, res->digest) != 0) {
		keyring_free(keys);
		return refuse(res, "%s: BLAKE2b-512 failed", path);
	}
	phase(p, "hash");
	if (sigset_verify(keys, &res->sigset, path, res->digest, p->threshold, &res->valid_keys,
		res->sigs, sizeof res->sigs) != 0) {
		keyring_free(keys);
		return refuse(res,
		    "%s: signed by %u distinct trusted key%s, %u required (keys in %s)", path,
		    res->valid_keys, res->valid_keys == 1 ? "" : "s", p->threshold, p->keys_dir);
	}
	keyring_free(keys);
	phase(p, "signatures");

	/*
	 * The very bytes accepted last (a reload asked for again, or the rules
	 * directory's watch firing after blockctl reload): the same list, a no-op,
	 * known without parsing it again (at a start, p->restart reads it once
	 * below as the list restored).
	 */
	if (have_last && !restoring && !p->restart && memcmp(res->digest, last_digest, 64) == 0) {
		res->serial = res->last_serial;
		snprintf(res->reason, sizeof res->reason,
		    "%s: serial %llu is already the accepted list: nothing to do", path,
		    (unsigned long long)res->serial);
		res->outcome = ACCEPT_SAME;
		return ACCEPT_SAME;
	}

	/* 2. The strict parse, in the text's own memory: the list takes it, and
	   accept_commit() copies the file from the descriptor it was read from. */
	char *raw = res->raw;

	res->raw = NULL;
	/* The transparency log's entry names the file by its SHA-256: taken before the parse. */
	if (p->tlog)
		tlog_sha256_hex(raw, res->rawlen, res->list_sha256, NULL);
	if (rulelist_parse_owned(raw, res->rawlen, path, res->digest, &res->list, err, sizeof err))
		return refuse(res, "%s", err);
	phase(p, "parse");
	res->serial = res->list->serial;
	res->signed_entries = res->list->nentries;

	/* 3. Serial: never roll back; the same list again is a no-op. */
	if (have_last && res->serial < res->last_serial)
		return refuse(res,
		    "%s: serial %llu is lower than the accepted serial %llu (rollback)", path,
		    (unsigned long long)res->serial, (unsigned long long)res->last_serial);
	if (res->serial < p->serial_floor)
		return refuse(res,
		    "%s: serial %llu is lower than serial %llu, which %s shows accepted "
		    "(rollback)",
		    path, (unsigned long long)res->serial, (unsigned long long)p->serial_floor,
		    p->floor_source ? p->floor_source : "the enforcement log");
	/* Not even the override passes the ceiling: below it, 2^63 successors always remain. */
	if (res->serial > ACCEPT_SERIAL_CEILING)
		return refuse(res,
		    "%s: serial %llu is above %llu, which would leave no room for the lists that "
		    "must follow it (ask the issuer for a list with a lower serial)",
		    path, (unsigned long long)res->serial,
		    (unsigned long long)ACCEPT_SERIAL_CEILING);
	if (!restoring && p->max_serial_jump && (have_last || p->serial_floor)) {
		uint64_t base = have_last && res->last_serial > p->serial_floor ? res->last_serial
										: p->serial_floor;

		if (res->serial > base && res->serial - base > p->max_serial_jump && !p->override)
			return refuse(res,
			    "%s: serial %llu jumps %llu past the accepted serial %llu, more than "
			    "max_serial_jump (%llu): accept it with the override if it is intended",
			    path, (unsigned long long)res->serial,
			    (unsigned long long)(res->serial - base), (unsigned long long)base,
			    (unsigned long long)p->max_serial_jump);
	}
	if (have_last && res->serial == res->last_serial) {
		if (memcmp(res->digest, last_digest, 64) != 0)
			return refuse(res,
			    "%s: serial %llu was already accepted with different content (a new "
			    "list needs a higher serial)",
			    path, (unsigned long long)res->serial);
		if (!restoring && p->restart)
			restoring = 1; /* the same bytes as the copy in state_dir: read once */
		if (!restoring) {
			rulelist_free(res->list);
			res->list = NULL;
			snprintf(res->reason, sizeof res->reason,
			    "%s: serial %llu is already the accepted list: nothing to do", path,
			    (unsigned long long)res->serial);
			res->outcome = ACCEPT_SAME;
			return ACCEPT_SAME;
		}
	}

	/* 3b. Transparency: the list is in the public log, seen as everyone sees it. */
	if (p->tlog && check_tlog(p, path, res) != 0)
		return ACCEPT_REFUSED;

	/* 4. Expiry. */
	if (p->now >= res->list->expires)
		return refuse(res, "%s: expired at %s (ask the issuer for a current list)", path,
		    rules_time_format(res->list->expires, t, sizeof t));

	/* 4b. Issue time and validity span: a list from the future or valid for decades is
	   a mistake or an attack, never an order. */
	if (res->list->issued > p->now + p->max_skew)
		return refuse(res,
		    "%s: issued at %s, more than %lld s ahead of this appliance's clock (check the "
		    "clocks here and at the issuer)",
		    path, rules_time_format(res->list->issued, t, sizeof t),
		    (long long)p->max_skew);
	if (p->max_validity > 0 && res->list->expires - res->list->issued > p->max_validity)
		return refuse(res,
		    "%s: valid for %lld days from its issue time, more than max_validity (%lld "
		    "days)",
		    path, (long long)((res->list->expires - res->list->issued) / 86400),
		    (long long)(p->max_validity / 86400));

	/* 5. Change against the last accepted list. */
	if (have_last && !restoring && p->max_change >= 0) {
		change = last_entries == 0
		    ? (res->signed_entries ? 1e300 : 0)
		    : ((double)res->signed_entries - (double)last_entries) / (double)last_entries;
		if (change < 0)
			change = -change;
		if (change > p->max_change && !p->override)
			return refuse(res,
			    "%s: %zu entries against %zu in the accepted serial %llu, a change of "
			    "more than %.0f %%: accept it with the change override if it is "
			    "intended",
			    path, res->signed_entries, last_entries,
			    (unsigned long long)res->last_serial, p->max_change * 100);
	}

	/* 6. Safeguards, entry by entry. */
	phase(p, "checks");
	if (p->defer_safeguards) {
		res->outcome = ACCEPT_NEW;
		return ACCEPT_NEW;
	}
	(void)accept_safeguards(p, path, res); /* a failure: accept_finish() refuses */
	return accept_finish(p, path, res);
}

int
accept_safeguards(const struct accept_policy *p, const char *path, struct accept_result *res)
{
	char err[RULES_ERR_MAX * 2];
	struct safeguard_input in = {0};
	struct psl *psl = NULL;
	size_t len;
	char *pslbuf;
	int r;

	if (file_read_capped(p->psl_path, PSL_MAX, &pslbuf, &len, err, sizeof err) != 0) {
		snprintf(res->reason, sizeof res->reason,
		    "public suffix list: %s (install the publicsuffix package)", err);
		return -1;
	}
	if (psl_parse(pslbuf, len, p->psl_path, &psl, err, sizeof err) != 0) {
		free(pslbuf);
		snprintf(res->reason, sizeof res->reason, "%s", err);
		return -1;
	}
	free(pslbuf);
	phase(p, "public suffixes");
	in.psl = psl;
	in.allow = p->allow;
	in.nallow = p->nallow;
	memcpy(in.shared, p->shared, sizeof in.shared);
	in.nshared = p->nshared;
	in.documentation = p->documentation;
	r = safeguard_check(res->list, path, &in, &res->report);
	psl_free(psl);
	if (r != 0) {
		snprintf(
		    res->reason, sizeof res->reason, "%s: out of memory in the safeguards", path);
		return -1;
	}
	phase(p, "safeguards");
	res->reason[0] = '\0';
	return 0;
}

int
accept_finish(const struct accept_policy *p, const char *path, struct accept_result *res)
{
	char why[sizeof res->reason];

	(void)p;
	if (res->reason[0] != '\0') { /* accept_safeguards() failed: the reason is set */
		memcpy(why, res->reason, sizeof why);
		return refuse(res, "%s", why);
	}
	safeguard_drop(res->list, &res->report);
	snprintf(res->reason, sizeof res->reason,
	    "%s: serial %llu accepted: %zu of %zu entries, %zu refused by safeguards, %u "
	    "signature%s",
	    path, (unsigned long long)res->serial, res->list->nentries, res->signed_entries,
	    res->report.n, res->valid_keys, res->valid_keys == 1 ? "" : "s");
	res->outcome = ACCEPT_NEW;
	return ACCEPT_NEW;
}

int
accept_check(const struct accept_policy *p, const char *path, struct accept_result *res)
{
	return check(p, path, 0, res);
}

void
accept_state_list(const char *state_dir, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s/%s/list", state_dir, STATE_CURRENT);
}

int
accept_restore(const struct accept_policy *p, struct accept_result *res)
{
	char path[4096];

	if (p->state_dir == NULL) {
		memset(res, 0, sizeof *res);
		res->fd = -1;
		return refuse(res, "no state dir to restore from");
	}
	accept_state_list(p->state_dir, path, sizeof path);
	return check(p, path, 1, res);
}

static int
remove_dir(const char *dir)
{
	char path[4096];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	return rmdir(dir);
}

/* Removes rules.N directories other than keep, left by earlier commits. */
static void
prune(const char *state, const char *keep)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(state);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, STATE_DIRNAME, strlen(STATE_DIRNAME)) != 0 ||
		    strcmp(d->d_name, keep) == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", state, d->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_dir(path);
	}
	closedir(dp);
}

/* snprintf for paths: -1 if the result would not fit. */
static int __attribute__((format(printf, 3, 4))) pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void
hash_chunk(void *arg, const void *buf, size_t n)
{
	rules_b2_update(arg, buf, n);
}

/* The list file into path from the descriptor it was verified from, hashed again on the way. */
static int
copy_verified(const char *path, const struct accept_result *res, char *err, size_t errlen)
{
	struct rules_b2 *b = rules_b2_new();
	uint8_t d[64];
	int rc;

	if (b == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = file_copy_fd(path, res->fd, res->rawlen, 0640, hash_chunk, b, err, errlen);
	if (rules_b2_end(b, d) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: BLAKE2b-512 failed", path);
		rc = -1;
	}
	if (rc == 0 && memcmp(d, res->digest, sizeof d) != 0) {
		snprintf(err, errlen,
		    "%s: the list file changed after it was verified; not recorded (the list in "
		    "force stays in force)",
		    path);
		rc = -1;
	}
	return rc;
}

int
accept_commit(
    const struct accept_policy *p, const struct accept_result *res, char *err, size_t errlen)
{
	char dir[4096], tmpdir[4096], path[4096], name[64], sig[4096], cur[4096], curtmp[4096];
	char hex[129], text[512], target[64];
	ssize_t n;
	size_t i;

	if (res->outcome != ACCEPT_NEW || res->fd < 0) {
		snprintf(err, errlen, "only a newly accepted list can be committed");
		return -1;
	}
	if (p->state_dir == NULL) {
		snprintf(err, errlen, "no state dir configured");
		return -1;
	}
	snprintf(name, sizeof name, STATE_DIRNAME "%llu", (unsigned long long)res->serial);
	if (pathf(dir, sizeof dir, "%s/%s", p->state_dir, name) ||
	    pathf(tmpdir, sizeof tmpdir, "%s/%s.tmp", p->state_dir, name) ||
	    pathf(path, sizeof path, "%s/list", tmpdir) ||
	    pathf(cur, sizeof cur, "%s/%s", p->state_dir, STATE_CURRENT) ||
	    pathf(curtmp, sizeof curtmp, "%s/%s.tmp", p->state_dir, STATE_CURRENT)) {
		snprintf(err, errlen, "%s: path too long", p->state_dir);
		return -1;
	}
	if (mkdir(p->state_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", p->state_dir, strerror(errno));
		return -1;
	}
	/* Committing the list that is already current (after a restore) changes nothing. */
	n = readlink(cur, target, sizeof target - 1);
	if (n > 0 && (size_t)n == strlen(name) && memcmp(target, name, (size_t)n) == 0) {
		uint64_t last = 0;
		uint8_t d[64];
		size_t e;

		if (accept_last(p->state_dir, &last, d, &e, err, errlen) == 1 &&
		    last == res->serial && memcmp(d, res->digest, 64) == 0)
			return 0;
	}
	remove_dir(tmpdir);
	if (mkdir(tmpdir, 0750) != 0) {
		snprintf(err, errlen, "%s: %s", tmpdir, strerror(errno));
		return -1;
	}
	if (copy_verified(path, res, err, errlen) != 0)
		goto fail;
	for (i = 0; i < res->sigset.n; i++) {
		if (sigset_path(path, res->sigset.index[i], sig, sizeof sig) != 0 ||
		    file_write_atomic(
			sig, res->sigset.text[i], res->sigset.len[i], 0640, err, errlen) != 0)
			goto fail;
	}
	if (res->tlog_proof) {
		if (pathf(sig, sizeof sig, "%s.tlog-proof", path) ||
		    file_write_atomic(sig, res->tlog_proof, res->tlog_prooflen, 0640, err, errlen))
			goto fail;
	}
	/* First the new directory, then the "current" link, then the serial. */
	remove_dir(dir);
	if (rename(tmpdir, dir) != 0 || file_fsync_dir(p->state_dir) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	unlink(curtmp);
	if (symlink(name, curtmp) != 0 || rename(curtmp, cur) != 0 ||
	    file_fsync_dir(p->state_dir) != 0) {
		snprintf(err, errlen, "%s: %s", cur, strerror(errno));
		return -1;
	}
	rules_hex(res->digest, 64, hex);
	snprintf(text, sizeof text, "serial %llu\ndigest %s\nentries %zu\n",
	    (unsigned long long)res->serial, hex, res->signed_entries);
	if (pathf(path, sizeof path, "%s/%s", p->state_dir, STATE_SERIAL) ||
	    file_write_atomic(path, text, strlen(text), 0640, err, errlen) != 0)
		return -1;
	/* The checkpoint becomes the newest seen only once it is larger (never smaller). */
	if (res->tlog && res->tlog->newer &&
	    (pathf(path, sizeof path, "%s/%s", p->state_dir, STATE_TLOG) ||
		file_write_atomic(path, res->tlog->note, res->tlog->notelen, 0640, err, errlen) !=
		    0))
		return -1;
	prune(p->state_dir, name);
	return 0;
fail:
	remove_dir(tmpdir);
	return -1;
}
