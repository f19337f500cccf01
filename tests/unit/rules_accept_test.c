/* Unit tests for acceptance: thresholds, rollback, no-op, expiry, change, caps, state. */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accept.h"
#include "fileio.h"
#include "minisign.h"
#include "rulefmt.h"

#define NOW 1780272000 /* 2026-06-01T00:00:00Z */

static char dir[64];
static char keysdir[128], statedir[128], listpath[128];
static struct minisign_seckey key_a, key_b, key_c; /* a and b trusted, c not */

static void
put(const char *path, const char *text, size_t len)
{
	char err[256];

	cr_assert_eq(file_write_atomic(path, text, len, 0644, err, sizeof err), 0, "%s", err);
}

static void
trust(const struct minisign_seckey *k, const char *name)
{
	struct minisign_pubkey pk;
	char path[256], *text;

	minisign_seckey_public(k, &pk);
	text = minisign_pubkey_format(&pk);
	snprintf(path, sizeof path, "%s/%s.pub", keysdir, name);
	put(path, text, strlen(text));
	free(text);
}

static void
setup(void)
{
	strcpy(dir, "/tmp/rules_accept.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(keysdir, sizeof keysdir, "%s/keys", dir);
	snprintf(statedir, sizeof statedir, "%s/state", dir);
	snprintf(listpath, sizeof listpath, "%s/list", dir);
	cr_assert_eq(mkdir(keysdir, 0755), 0);
	cr_assert_eq(minisign_keygen(&key_a), 0);
	cr_assert_eq(minisign_keygen(&key_b), 0);
	cr_assert_eq(minisign_keygen(&key_c), 0);
	trust(&key_a, "a");
	trust(&key_b, "b");
	trust(&key_a, "a-again"); /* the same key in two files is one key */
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A list with n domain entries (and "suffix co.uk" if psuffix), written to listpath. */
static void
write_list(unsigned long long serial, const char *expires, int n, int psuffix)
{
	size_t cap = 4096 + (size_t)n * 64, len = 0;
	char *t = malloc(cap);
	int i;

	len += (size_t)snprintf(t + len, cap - len,
	    "blocklist 1\nissuer Example Regulator\nscope test\nserial %llu\n"
	    "issued 2026-01-01T00:00:00Z\nexpires %s\norders 1\nentries %d\n\n"
	    "order CL-1\n\tauthority Court\n\tdate 2026-01-01\n\tservice X\n"
	    "\tnot-before 2026-01-01T00:00:00Z\n\tnot-after 2030-01-01T00:00:00Z\n"
	    "\tnotice Blocked by order CL-1.\n\tnotice-url https://orders.example/CL-1\n"
	    "\twide no\n\n",
	    serial, expires, n + psuffix);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "domain n%06d.x.example CL-1\n", i);
	if (psuffix)
		len += (size_t)snprintf(t + len, cap - len, "suffix co.uk CL-1\n");
	len += (size_t)snprintf(t + len, cap - len, "end %d\n", n + psuffix);
	put(listpath, t, len);
	free(t);
}

static void
sign(const struct minisign_seckey *k, int idx)
{
	char path[256], err[256], *buf, *sig;
	uint8_t d[64];
	size_t len;

	cr_assert_eq(file_read_capped(listpath, 1 << 26, &buf, &len, err, sizeof err), 0);
	cr_assert_eq(rules_blake2b512(buf, len, d), 0);
	free(buf);
	sig = minisign_sign(k, d, "test signature", "timestamp:0\tfile:list\thashed");
	cr_assert_not_null(sig);
	sigset_path(listpath, idx, path, sizeof path);
	put(path, sig, strlen(sig));
	free(sig);
}

static struct accept_policy
policy(unsigned threshold)
{
	struct accept_policy p = {.keys_dir = keysdir,
	    .threshold = threshold,
	    .max_list_bytes = 1 << 20,
	    .max_change = -1,
	    .state_dir = statedir,
	    .psl_path = "../data/rules/psl.dat",
	    .now = NOW};
	return p;
}

static void
expect_refused(const struct accept_policy *p, const char *want)
{
	struct accept_result r;

	cr_assert_eq(accept_check(p, listpath, &r), ACCEPT_REFUSED, "accepted: %s", r.reason);
	cr_assert_eq(r.outcome, ACCEPT_REFUSED);
	cr_assert_null(r.list);
	cr_assert_not_null(strstr(r.reason, want), "reason '%s' lacks '%s'", r.reason, want);
	accept_result_free(&r);
}

/* Checks and commits; returns the serial accepted. */
static uint64_t
accept_and_commit(const struct accept_policy *p)
{
	struct accept_result r;
	char err[512];
	uint64_t s;

	cr_assert_eq(accept_check(p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	cr_assert_eq(accept_commit(p, &r, err, sizeof err), 0, "%s", err);
	s = r.serial;
	accept_result_free(&r);
	return s;
}

TestSuite(rules_accept, .init = setup, .fini = teardown);

Test(rules_accept, two_distinct_keys_meet_threshold_two)
{
	struct accept_policy p = policy(2);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_b, 2);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	cr_assert_eq(r.valid_keys, 2);
	cr_assert_eq(r.list->nentries, 3);
	cr_assert_eq(r.list->serial, 5);
	cr_assert_eq(r.report.n, 0);
	accept_result_free(&r);
}

/* The copy in state_dir comes from the file verified: changed in place since, nothing is recorded. */
Test(rules_accept, commit_refuses_a_file_changed_after_verification)
{
	struct accept_policy p = policy(1);
	struct accept_result r;
	char err[512], path[512];
	FILE *f;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	f = fopen(listpath, "r+"); /* the same file, not a new one renamed over it */
	cr_assert_not_null(f);
	fputs("blocklist 2", f);
	fclose(f);
	cr_assert_eq(accept_commit(&p, &r, err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "changed after it was verified"), "%s", err);
	accept_result_free(&r);
	snprintf(path, sizeof path, "%s/rules.serial", statedir);
	cr_assert_eq(access(path, F_OK), -1, "the serial was recorded");
	snprintf(path, sizeof path, "%s/rules.5", statedir);
	cr_assert_eq(access(path, F_OK), -1, "the copy was kept");
}

Test(rules_accept, below_threshold_refused)
{
	struct accept_policy p = policy(2);

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p, "signed by 1 distinct trusted key, 2 required");
}

Test(rules_accept, same_key_twice_counts_once)
{
	struct accept_policy p = policy(2);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_a, 2);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED);
	cr_assert_eq(r.valid_keys, 1);
	cr_assert_not_null(strstr(r.sigs, "list.minisig.2: good, key ID"), "%s", r.sigs);
	cr_assert_not_null(strstr(r.sigs, "already signed (counts once)"), "%s", r.sigs);
	accept_result_free(&r);
}

Test(rules_accept, untrusted_key_not_counted)
{
	struct accept_policy p = policy(2);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_c, 3);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED);
	cr_assert_not_null(strstr(r.sigs, "list.minisig.3: not counted: key ID"), "%s", r.sigs);
	cr_assert_not_null(strstr(r.sigs, "is not a trusted key"), "%s", r.sigs);
	accept_result_free(&r);
}

/* The one-line explanation says what became of each signature when too few counted. */
Test(rules_accept, explain_names_each_signature)
{
	struct accept_policy p = policy(2);
	struct accept_result r;
	char why[2048], want[512];

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_c, 3);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED);
	accept_explain(&r, p.threshold, why, sizeof why);
	snprintf(want, sizeof want,
	    "%s: signed by 1 distinct trusted key, 2 required (keys in %s): %s.minisig: good, "
	    "key ID ",
	    listpath, keysdir, listpath);
	cr_assert_eq(strncmp(why, want, strlen(want)), 0, "'%s' does not start '%s'", why, want);
	snprintf(want, sizeof want, "; %s.minisig.3: not counted: key ID ", listpath);
	cr_assert_not_null(strstr(why, want), "'%s' lacks '%s'", why, want);
	cr_assert(
	    strstr(why, " is not a trusted key") != NULL && strchr(why, '\n') == NULL, "%s", why);
	/* Cut to fit, still terminated. */
	accept_explain(&r, p.threshold, why, 16);
	cr_assert_eq(strlen(why), 15);
	accept_result_free(&r);

	/* Refused after the signatures counted: the reason alone. */
	put(listpath, "not a list\n", 11);
	sign(&key_a, 1);
	sign(&key_b, 2);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED);
	accept_explain(&r, p.threshold, why, sizeof why);
	cr_assert_str_eq(why, r.reason);
	accept_result_free(&r);
}

/* A FIFO where a list or a signature belongs is refused, never opened blocking (no writer). */
Test(rules_accept, fifo_refused_without_blocking, .timeout = 5)
{
	struct accept_policy p = policy(1);
	char path[256];

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sigset_path(listpath, 2, path, sizeof path);
	cr_assert_eq(mkfifo(path, 0644), 0);
	snprintf(path, sizeof path, "%s.minisig.2: not a regular file", listpath);
	expect_refused(&p, path);
	cr_assert_eq(unlink(listpath), 0);
	cr_assert_eq(mkfifo(listpath, 0644), 0);
	snprintf(path, sizeof path, "%s: not a regular file", listpath);
	expect_refused(&p, path);
}

Test(rules_accept, unsigned_list_refused)
{
	struct accept_policy p = policy(1);

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	expect_refused(&p, "no signature file (expected");
}

Test(rules_accept, tampered_list_refused)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	write_list(5, "2027-01-01T00:00:00Z", 4, 0);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED);
	cr_assert_not_null(strstr(r.sigs, "signature does not match the file"), "%s", r.sigs);
	accept_result_free(&r);
}

Test(rules_accept, signatures_checked_before_parsing)
{
	struct accept_policy p = policy(1);

	put(listpath, "not a list\n", 11);
	sign(&key_c, 1);
	expect_refused(&p, "signed by 0 distinct trusted keys, 1 required");
	sign(&key_a, 1);
	expect_refused(&p, "/list:1: first line must be 'blocklist 1'");
}

Test(rules_accept, rollback_refused)
{
	struct accept_policy p = policy(1);

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_and_commit(&p), 5);
	write_list(4, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p, "serial 4 is lower than the accepted serial 5 (rollback)");
}

Test(rules_accept, equal_serial_is_a_noop)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	accept_and_commit(&p);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_SAME, "%s", r.reason);
	cr_assert_null(r.list);
	cr_assert_eq(r.serial, 5, "the same bytes are known without a parse, serial and all");
	cr_assert_not_null(strstr(r.reason, "already the accepted list"));
	accept_result_free(&r);
	/* The same serial with other content is not a no-op but a refusal. */
	write_list(5, "2027-01-01T00:00:00Z", 4, 0);
	sign(&key_a, 1);
	expect_refused(&p, "serial 5 was already accepted with different content");
}

Test(rules_accept, expired_refused)
{
	struct accept_policy p = policy(1);

	write_list(5, "2026-05-31T23:59:59Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p, "expired at 2026-05-31T23:59:59Z");
	p.now = NOW - 2;
	write_list(5, "2026-05-31T23:59:59Z", 3, 0);
	sign(&key_a, 1);
	struct accept_result r;
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
}

Test(rules_accept, change_fraction_needs_override)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	p.max_change = 0.5;
	write_list(5, "2027-01-01T00:00:00Z", 10, 0);
	sign(&key_a, 1);
	accept_and_commit(&p);
	write_list(6, "2027-01-01T00:00:00Z", 16, 0);
	sign(&key_a, 1);
	expect_refused(
	    &p, "16 entries against 10 in the accepted serial 5, a change of more than 50 %");
	write_list(6, "2027-01-01T00:00:00Z", 4, 0);
	sign(&key_a, 1);
	expect_refused(&p, "4 entries against 10");
	write_list(6, "2027-01-01T00:00:00Z", 15, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
	write_list(6, "2027-01-01T00:00:00Z", 30, 0);
	sign(&key_a, 1);
	p.override = 1;
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
}

Test(rules_accept, size_caps)
{
	struct accept_policy p = policy(1);
	char path[256];
	char *big = malloc(MINISIGN_SIGFILE_MAX + 1);

	write_list(5, "2027-01-01T00:00:00Z", 100, 0);
	sign(&key_a, 1);
	p.max_list_bytes = 1000;
	expect_refused(&p, "more than the limit of 1000");
	p.max_list_bytes = 1 << 20;
	memset(big, 'A', MINISIGN_SIGFILE_MAX + 1);
	sigset_path(listpath, 2, path, sizeof path);
	put(path, big, MINISIGN_SIGFILE_MAX + 1);
	free(big);
	expect_refused(&p, "list.minisig.2: 16385 bytes, more than the limit of 16384");
}

Test(rules_accept, safeguards_refuse_entries_not_the_list)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	write_list(5, "2027-01-01T00:00:00Z", 3, 1);
	sign(&key_a, 1);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	cr_assert_eq(r.signed_entries, 4);
	cr_assert_eq(r.list->nentries, 3);
	cr_assert_eq(r.report.n, 1);
	cr_assert_eq(r.report.items[0].reason, SAFEGUARD_PUBLIC_SUFFIX);
	cr_assert_eq(r.report.items[0].line, 23);
	cr_assert_not_null(strstr(r.report.items[0].msg,
	    "/list:23: suffix co.uk (order CL-1): refused: co.uk is a public suffix"));
	accept_result_free(&r);
}

Test(rules_accept, missing_public_suffix_list_refuses)
{
	struct accept_policy p = policy(1);

	p.psl_path = "/nonexistent/psl.dat";
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p, "public suffix list: /nonexistent/psl.dat");
}

Test(rules_accept, commit_persists_and_restores)
{
	struct accept_policy p = policy(2);
	struct accept_result r;
	char path[256], err[256], *buf;
	uint8_t d[64];
	uint64_t serial;
	size_t len, entries;

	/* Other state shares the directory and must survive commits. */
	cr_assert_eq(mkdir(statedir, 0755), 0);
	snprintf(path, sizeof path, "%s/chain.head", statedir);
	put(path, "x\n", 2);
	snprintf(path, sizeof path, "%s/list.5", statedir);
	cr_assert_eq(mkdir(path, 0755), 0);
	write_list(9, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_b, 2);
	accept_and_commit(&p);
	cr_assert_eq(accept_last(statedir, &serial, d, &entries, err, sizeof err), 1, "%s", err);
	cr_assert_eq(serial, 9);
	cr_assert_eq(entries, 3);
	snprintf(path, sizeof path, "%s/rules.current/list.minisig.2", statedir);
	cr_assert_eq(access(path, R_OK), 0);
	/* The list file itself may go away: blockd starts from the state dir's copy. */
	unlink(listpath);
	cr_assert_eq(accept_restore(&p, &r), ACCEPT_NEW, "%s", r.reason);
	cr_assert_eq(r.serial, 9);
	cr_assert_eq(r.list->nentries, 3);
	cr_assert_eq(accept_commit(&p, &r, err, sizeof err), 0, "%s", err);
	accept_result_free(&r);
	/* A newer list replaces the copy; the old directory is pruned. */
	write_list(10, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&key_b, 2);
	accept_and_commit(&p);
	snprintf(path, sizeof path, "%s/rules.9", statedir);
	cr_assert_neq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/rules.10", statedir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/chain.head", statedir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/list.5", statedir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/rules.serial", statedir);
	cr_assert_eq(file_read_capped(path, 4096, &buf, &len, err, sizeof err), 0);
	cr_assert_eq(strncmp(buf, "serial 10\ndigest ", 17), 0, "%s", buf);
	free(buf);
}

Test(rules_accept, restore_without_state_refuses)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	cr_assert_eq(accept_restore(&p, &r), ACCEPT_REFUSED);
	cr_assert_not_null(strstr(r.reason, "holds no accepted list yet"));
	accept_result_free(&r);
}

Test(rules_accept, keyring_rejects_conflicting_key_ids)
{
	struct accept_policy p = policy(1);
	struct minisign_seckey evil = key_c;

	memcpy(evil.keynum, key_a.keynum, 8);
	trust(&evil, "z-evil");
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p, "is also in");
}

Test(rules_accept, damaged_state_refuses)
{
	struct accept_policy p = policy(1);
	char path[256];

	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	accept_and_commit(&p);
	snprintf(path, sizeof path, "%s/rules.serial", statedir);
	put(path, "serial 5\ndigest 00\nentries 3\n", 29);
	expect_refused(&p, "state: ");
	expect_refused(&p, "/rules.serial: damaged (expected serial, digest and entries lines)");
}

/* One Ed25519 key exported under a second key ID: a second file, not a second signer. */
Test(rules_accept, one_key_under_two_key_ids_counts_once)
{
	struct accept_policy p = policy(2);
	struct minisign_seckey again = key_a;
	struct accept_result r;

	again.keynum[0] ^= 0x5a; /* same secret and public key, another key ID */
	trust(&again, "a-reexported");
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	sign(&again, 2);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_REFUSED, "%s", r.reason);
	cr_assert_eq(r.valid_keys, 1);
	cr_assert_not_null(strstr(r.reason, "signed by 1 distinct trusted key, 2 required"));
	cr_assert_not_null(
	    strstr(r.sigs, "but it is the same Ed25519 key as key ID"), "%s", r.sigs);
	cr_assert_not_null(strstr(r.sigs, "a-reexported.pub"), "%s", r.sigs);
	cr_assert_not_null(strstr(r.sigs, "/a-again.pub"), "%s", r.sigs);
	accept_result_free(&r);
	sign(&key_b, 3);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	cr_assert_eq(r.valid_keys, 2);
	accept_result_free(&r);
}

Test(rules_accept, validity_and_issue_time_bounded)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	p.max_validity = ACCEPT_MAX_VALIDITY_DEFAULT;
	p.max_skew = ACCEPT_MAX_SKEW_DEFAULT;
	write_list(5, "9999-12-31T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p,
	    "valid for 2912442 days from its issue time, more than max_validity "
	    "(366 days)");
	p.max_validity = 0;
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
	/* Issued 2026-01-01: seen from 2025-12-31T23:54:00Z it lies 6 minutes ahead. */
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	p.now = 1767225600 - 360;
	expect_refused(&p,
	    "issued at 2026-01-01T00:00:00Z, more than 300 s ahead of this "
	    "appliance's clock");
	p.now = 1767225600 - 240;
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
}

Test(rules_accept, serial_jumps_and_ceiling_need_the_override)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	p.max_serial_jump = ACCEPT_MAX_SERIAL_JUMP_DEFAULT;
	write_list(18446744073709551615ULL, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p,
	    "serial 18446744073709551615 is above 9223372036854775807, which "
	    "would leave no room for the lists that must follow it");
	p.override = 1;
	expect_refused(&p, "is above 9223372036854775807");
	p.override = 0;
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_and_commit(&p), 5);
	write_list(5000000006ULL, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p,
	    "serial 5000000006 jumps 5000000001 past the accepted serial 5, more "
	    "than max_serial_jump (1000000000)");
	p.override = 1;
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
	p.override = 0;
	write_list(1000000005ULL, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
}

/* The state dir lost: the floor from the enforcement log still refuses a rollback. */
Test(rules_accept, serial_floor_without_state)
{
	struct accept_policy p = policy(1);
	struct accept_result r;

	p.serial_floor = 7;
	p.floor_source = "enforcement.jsonl";
	write_list(5, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	expect_refused(&p,
	    "serial 5 is lower than serial 7, which enforcement.jsonl shows "
	    "accepted (rollback)");
	write_list(7, "2027-01-01T00:00:00Z", 3, 0);
	sign(&key_a, 1);
	cr_assert_eq(accept_check(&p, listpath, &r), ACCEPT_NEW, "%s", r.reason);
	accept_result_free(&r);
}
