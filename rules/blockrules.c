/* blockrules: the regulator's tool to make keys, build, sign, verify, compare and export lists. */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accept.h"
#include "allowlist.h"
#include "build.h"
#include "diff.h"
#include "exitcode.h"
#include "fileio.h"
#include "minisign.h"
#include "psl.h"
#include "reports.h"
#include "rpz.h"
#include "rulefmt.h"
#include "sigset.h"
#include "tlogcmd.h"

#define LIST_MAX_DEFAULT (256ull << 20) /* as blockd.conf's max_list_bytes */
#define INPUT_MAX        (256u << 20)

/* Each command's synopsis, as in blockrules(1). */
static const struct {
	const char *cmd;
	const char *text;
} synopses[] = {
    {"keygen", "blockrules keygen [-f] -p pubkey -s seckey\n"},
    {"build",
	"blockrules build -i issuer -S scope -e expires | -d days [-t issued]\n"
	"                  [-n serial] [-P previous] -o list order-file ...\n"},
    {"sign", "blockrules sign -s seckey [-c trusted-comment] [-x sigfile] list\n"},
    {"verify",
	"blockrules verify -k keydir [-n threshold] [-a allowlist] [-c max-change]\n"
	"                  [-D statedir] [-F] [-J max-serial-jump] [-m max-bytes]\n"
	"                  [-p suffix-list] [-s shared-infrastructure] [-t] [-T time]\n"
	"                  [-V max-validity-days] list\n"},
    {"lint", "blockrules lint list ...\n"},
    {"diff", "blockrules diff old-list new-list\n"},
    {"show", "blockrules show [-T time] list\n"},
    {"export",
	"blockrules export --rpz [-a allowlist] [-o file] [-p suffix-list]\n"
	"                  [-s shared-infrastructure] [-t] [-T time] [-z zone] list\n"},
    /* Compliance reports from the ISPs (rules/reports.c). */
    {"reports",
	"blockrules reports -k keydir [--format text | json | html] [-o file]\n"
	"                  [-t title] report ...\n"},
    {"log", tlogcmd_log_usage},
    {"audit", tlogcmd_audit_usage},
    {NULL, "blockrules --version | --help\n"},
};

/* The synopsis of cmd, or of every command if cmd is NULL. */
static void
usage_print(FILE *f, const char *cmd)
{
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof synopses / sizeof synopses[0]; i++) {
		if (cmd != NULL && (synopses[i].cmd == NULL || strcmp(synopses[i].cmd, cmd) != 0))
			continue;
		fputs(first ? "usage: " : "       ", f);
		fputs(synopses[i].text, f);
		first = 0;
	}
}

/* Wrong usage: every synopsis on standard error. */
static int
usage(void)
{
	usage_print(stderr, NULL);
	return EXIT_USAGE;
}

/* -h, --help: the synopsis on standard output, and success. */
static int
help(const char *cmd)
{
	usage_print(stdout, cmd);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM;
}

/* Whether -h or --help is among a command's arguments (before any "--"). */
static int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static int
parse_time_arg(const char *s, int64_t *t)
{
	if (rules_time_parse(s, strlen(s), t) == 0)
		return 0;
	warnx("'%s': expected a UTC time like 2026-01-31T12:00:00Z", s);
	return -1;
}

static int
read_list(const char *path, size_t cap, char **buf, size_t *len, struct rulelist **l)
{
	char err[RULES_ERR_MAX * 2];

	if (file_read_capped(path, cap, buf, len, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	if (l && rulelist_parse(*buf, *len, path, NULL, l, err, sizeof err) != 0) {
		warnx("%s", err);
		free(*buf);
		*buf = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
write_new(const char *path, const char *text, int mode, int force)
{
	char err[RULES_ERR_MAX];

	if (!force && access(path, F_OK) == 0) {
		warnx("%s exists: not overwriting it (-f to replace)", path);
		return EXIT_USAGE;
	}
	if (file_write_atomic(path, text, strlen(text), mode, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

static int
cmd_keygen(int argc, char **argv)
{
	const char *pubpath = NULL, *secpath = NULL;
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
	char *pub, *sec, id[17];
	int c, force = 0, r;

	while ((c = getopt(argc, argv, "fp:s:")) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'p':
			pubpath = optarg;
			break;
		case 's':
			secpath = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || pubpath == NULL || secpath == NULL)
		return usage();
	if (!force && (access(secpath, F_OK) == 0 || access(pubpath, F_OK) == 0)) {
		warnx("%s exists: not overwriting it (-f to replace)",
		    access(secpath, F_OK) == 0 ? secpath : pubpath);
		return EXIT_USAGE;
	}
	if (minisign_keygen(&sk) != 0) {
		warnx("no random bytes for a key");
		return EXIT_SYSTEM;
	}
	minisign_seckey_public(&sk, &pk);
	pub = minisign_pubkey_format(&pk);
	sec = minisign_seckey_format(&sk);
	explicit_bzero(&sk, sizeof sk);
	if (pub == NULL || sec == NULL) {
		free(pub);
		free(sec);
		warnx("out of memory");
		return EXIT_SYSTEM;
	}
	r = write_new(secpath, sec, 0600, force);
	if (r == EXIT_OK)
		r = write_new(pubpath, pub, 0644, force);
	explicit_bzero(sec, strlen(sec));
	free(sec);
	free(pub);
	if (r == EXIT_OK) {
		minisign_keyid(pk.keynum, id);
		printf("key ID %s: public key %s, secret key %s (unencrypted: keep it offline)\n",
		    id, pubpath, secpath);
	}
	return r;
}

static int
cmd_build(int argc, char **argv)
{
	struct build_header h = {NULL, NULL, 0, 0, 0, NULL};
	const char *out = NULL, *prevpath = NULL, *expires = NULL, *issued = NULL;
	char err[RULES_ERR_MAX * 2], hex[129], *buf, *text, *end;
	struct rulelist *prev = NULL, *check;
	unsigned long long serial = 0, days = 0;
	struct builder *b;
	size_t len;
	int c, i, r;

	while ((c = getopt(argc, argv, "d:e:i:n:o:P:S:t:")) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			days = strtoull(optarg, &end, 10);
			if (errno || *end || days == 0 || days > 36500) {
				warnx("-d %s: expected a number of days from 1 to 36500", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			expires = optarg;
			break;
		case 'i':
			h.issuer = optarg;
			break;
		case 'n':
			errno = 0;
			serial = strtoull(optarg, &end, 10);
			if (errno || *end || serial == 0 || optarg[0] == '-') {
				warnx("-n %s: expected a serial from 1 to 18446744073709551615",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			prevpath = optarg;
			break;
		case 'S':
			h.scope = optarg;
			break;
		case 't':
			issued = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind == argc || out == NULL || h.issuer == NULL || h.scope == NULL ||
	    (expires == NULL) == (days == 0))
		return usage();
	h.issued = (int64_t)time(NULL);
	if (issued && parse_time_arg(issued, &h.issued) != 0)
		return EXIT_USAGE;
	if (expires && parse_time_arg(expires, &h.expires) != 0)
		return EXIT_USAGE;
	if (days)
		h.expires = h.issued + (int64_t)days * 86400;
	h.serial = serial ? serial : 1;
	if (prevpath) {
		r = read_list(prevpath, LIST_MAX_DEFAULT, &buf, &len, &prev);
		if (r != EXIT_OK)
			return r;
		free(buf);
		rules_hex(prev->digest, 64, hex);
		h.previous = hex;
		if (serial == 0 && prev->serial == UINT64_MAX) {
			warnx("%s: serial %llu cannot be increased", prevpath,
			    (unsigned long long)prev->serial);
			rulelist_free(prev);
			return EXIT_FAIL;
		}
		if (serial == 0)
			h.serial = prev->serial + 1;
		if (h.serial <= prev->serial) {
			warnx("-n %llu: not above the previous list's serial %llu", serial,
			    (unsigned long long)prev->serial);
			rulelist_free(prev);
			return EXIT_FAIL;
		}
		rulelist_free(prev);
	}
	b = builder_create();
	if (b == NULL) {
		warnx("out of memory");
		return EXIT_SYSTEM;
	}
	for (i = optind; i < argc; i++) {
		if (file_read_capped(argv[i], INPUT_MAX, &buf, &len, err, sizeof err) != 0) {
			warnx("%s", err);
			builder_free(b);
			return EXIT_SYSTEM;
		}
		r = builder_add_order(b, buf, len, argv[i], err, sizeof err);
		free(buf);
		if (r != 0) {
			warnx("%s", err);
			builder_free(b);
			return EXIT_FAIL;
		}
	}
	text = builder_finish(b, &h, &len, err, sizeof err);
	builder_free(b);
	if (text == NULL) {
		warnx("%s", err);
		return EXIT_FAIL;
	}
	/* What we write must read back: the builder and the parser agree on the form. */
	if (rulelist_parse(text, len, out, NULL, &check, err, sizeof err) != 0) {
		warnx("internal error, built list does not parse: %s", err);
		free(text);
		return EXIT_SYSTEM;
	}
	if (file_write_atomic(out, text, len, 0644, err, sizeof err) != 0) {
		warnx("%s", err);
		free(text);
		rulelist_free(check);
		return EXIT_SYSTEM;
	}
	printf("%s: serial %llu, %zu orders, %zu entries\n", out, (unsigned long long)check->serial,
	    check->norders, check->nentries);
	rulelist_free(check);
	free(text);
	return EXIT_OK;
}

static int
cmd_sign(int argc, char **argv)
{
	const char *secpath = NULL, *sigpath = NULL, *trusted = NULL;
	char err[RULES_ERR_MAX * 2], why[256], path[4096], id[17], untrusted[128], tc[512];
	char *buf, *sig, *copy;
	struct minisign_seckey sk;
	struct minisign_sig old;
	struct rulelist *l;
	size_t len;
	int c, i, r;

	while ((c = getopt(argc, argv, "c:s:x:")) != -1) {
		switch (c) {
		case 'c':
			trusted = optarg;
			break;
		case 's':
			secpath = optarg;
			break;
		case 'x':
			sigpath = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || secpath == NULL)
		return usage();
	if (file_read_capped(secpath, MINISIGN_KEYFILE_MAX, &buf, &len, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_SYSTEM;
	}
	r = minisign_seckey_parse(buf, len, &sk, why, sizeof why);
	explicit_bzero(buf, len);
	free(buf);
	if (r != 0) {
		warnx("%s: %s", secpath, why);
		return EXIT_FAIL;
	}
	minisign_keyid(sk.keynum, id);
	/* Only a list that parses is worth signing. */
	r = read_list(argv[optind], LIST_MAX_DEFAULT, &buf, &len, &l);
	if (r != EXIT_OK) {
		explicit_bzero(&sk, sizeof sk);
		return r;
	}
	if (sigpath == NULL) {
		for (i = 1; i <= SIGSET_MAX; i++) {
			sigset_path(argv[optind], i, path, sizeof path);
			if (access(path, F_OK) != 0)
				break;
			if (file_read_capped(
				path, MINISIGN_SIGFILE_MAX, &copy, &len, err, sizeof err) == 0) {
				r = minisign_sig_parse(copy, len, &old, why, sizeof why) == 0 &&
				    memcmp(old.keynum, sk.keynum, 8) == 0;
				free(copy);
				if (r) {
					warnx(
					    "%s: already signed by key ID %s (-x %s to replace it)",
					    path, id, path);
					goto fail;
				}
			}
		}
		if (i > SIGSET_MAX) {
			warnx("%s: already has %d signature files", argv[optind], SIGSET_MAX);
			goto fail;
		}
		sigpath = path;
	}
	snprintf(untrusted, sizeof untrusted, "signature from blockrules secret key %s", id);
	copy = strdup(argv[optind]);
	snprintf(tc, sizeof tc, "timestamp:%lld\tfile:%s\thashed", (long long)time(NULL),
	    copy ? basename(copy) : "list");
	free(copy);
	sig = minisign_sign(&sk, l->digest, untrusted, trusted ? trusted : tc);
	explicit_bzero(&sk, sizeof sk);
	if (sig == NULL) {
		warnx("signing failed (a comment must be one line)");
		free(buf);
		rulelist_free(l);
		return EXIT_FAIL;
	}
	r = file_write_atomic(sigpath, sig, strlen(sig), 0644, err, sizeof err);
	free(sig);
	free(buf);
	if (r != 0) {
		warnx("%s", err);
		rulelist_free(l);
		return EXIT_SYSTEM;
	}
	printf("%s: serial %llu signed by key ID %s\n", sigpath, (unsigned long long)l->serial, id);
	rulelist_free(l);
	return EXIT_OK;
fail:
	explicit_bzero(&sk, sizeof sk);
	free(buf);
	rulelist_free(l);
	return EXIT_FAIL;
}

/* The shared-infrastructure files (-s, or the shipped one) as safeguard sources. */
struct shared_files {
	const char *path[SAFEGUARD_SHARED_MAX];
	struct allowlist *list[SAFEGUARD_SHARED_MAX];
	size_t n;
};

static int
shared_add(struct shared_files *sf, const char *path)
{
	if (sf->n == SAFEGUARD_SHARED_MAX) {
		warnx("-s %s: at most %d shared-infrastructure files", path, SAFEGUARD_SHARED_MAX);
		return -1;
	}
	sf->path[sf->n++] = path;
	return 0;
}

static int
shared_load(struct shared_files *sf, struct safeguard_source *src, size_t *nsrc)
{
	char err[RULES_ERR_MAX * 2];
	size_t i;

	if (sf->n == 0)
		sf->path[sf->n++] = BLOCKRULES_SHARED_PATH;
	for (i = 0; i < sf->n; i++) {
		if (allowlist_load(sf->path[i], &sf->list[i], err, sizeof err) != 0) {
			warnx("shared infrastructure: %s%s", err,
			    strcmp(sf->path[i], BLOCKRULES_SHARED_PATH) == 0
				? " (name the list with -s)"
				: "");
			return -1;
		}
		src[i].fname = sf->path[i];
		src[i].entries = sf->list[i]->entries;
		src[i].n = sf->list[i]->n;
	}
	*nsrc = sf->n;
	return 0;
}

static void
shared_free(struct shared_files *sf)
{
	for (size_t i = 0; i < sf->n; i++)
		allowlist_free(sf->list[i]);
}

static int
cmd_verify(int argc, char **argv)
{
	struct accept_policy p = {.threshold = 1,
	    .max_list_bytes = LIST_MAX_DEFAULT,
	    .max_change = -1,
	    .max_serial_jump = ACCEPT_MAX_SERIAL_JUMP_DEFAULT,
	    .max_validity = ACCEPT_MAX_VALIDITY_DEFAULT,
	    .max_skew = ACCEPT_MAX_SKEW_DEFAULT,
	    .psl_path = PSL_DEFAULT_PATH};
	struct shared_files shared = {{NULL}, {NULL}, 0};
	const char *allowpath = NULL;
	struct allowlist *allow = NULL;
	struct accept_result res;
	char err[RULES_ERR_MAX * 2], *end;
	unsigned long long v;
	double d;
	size_t i;
	int c, rc;

	p.now = (int64_t)time(NULL);
	while ((c = getopt(argc, argv, "a:c:D:FJ:k:m:n:p:s:tT:V:")) != -1) {
		switch (c) {
		case 'a':
			allowpath = optarg;
			break;
		case 'c':
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || !(d >= 0)) {
				warnx("-c %s: expected a fraction such as 0.25", optarg);
				return EXIT_USAGE;
			}
			p.max_change = d;
			break;
		case 'D':
			p.state_dir = optarg;
			break;
		case 'F':
			p.override = 1;
			break;
		case 'J':
		case 'V':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0' ||
			    (c == 'V' && v > 36500)) {
				warnx("-%c %s: expected a number (0 for no limit)", c, optarg);
				return EXIT_USAGE;
			}
			if (c == 'J')
				p.max_serial_jump = v;
			else
				p.max_validity = (int64_t)v * 86400;
			break;
		case 's':
			if (shared_add(&shared, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 't':
			p.documentation = 1;
			break;
		case 'k':
			p.keys_dir = optarg;
			break;
		case 'm':
		case 'n':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || v == 0 || optarg[0] == '-' || (c == 'n' && v > 64)) {
				warnx("-%c %s: expected a positive number", c, optarg);
				return EXIT_USAGE;
			}
			if (c == 'm')
				p.max_list_bytes = (size_t)v;
			else
				p.threshold = (unsigned)v;
			break;
		case 'p':
			p.psl_path = optarg;
			break;
		case 'T':
			if (parse_time_arg(optarg, &p.now) != 0)
				return EXIT_USAGE;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || p.keys_dir == NULL)
		return usage();
	if (allowpath) {
		if (allowlist_load(allowpath, &allow, err, sizeof err) != 0) {
			warnx("%s", err);
			return EXIT_FAIL;
		}
		p.allow = allow->entries;
		p.nallow = allow->n;
	}
	if (shared_load(&shared, p.shared, &p.nshared) != 0) {
		shared_free(&shared);
		allowlist_free(allow);
		return EXIT_SYSTEM;
	}
	accept_check(&p, argv[optind], &res);
	fputs(res.sigs, stdout);
	switch (res.outcome) {
	case ACCEPT_REFUSED:
		warnx("refused: %s", res.reason);
		rc = EXIT_FAIL;
		break;
	case ACCEPT_SAME:
		printf("%s\n", res.reason);
		rc = EXIT_OK;
		break;
	default:
		for (i = 0; i < res.report.n; i++)
			printf("%s\n", res.report.items[i].msg);
		printf("%s\n", res.reason);
		rc = res.report.n ? EXIT_PARTIAL : EXIT_OK;
	}
	accept_result_free(&res);
	allowlist_free(allow);
	shared_free(&shared);
	return rc;
}

static int
cmd_lint(int argc, char **argv)
{
	struct rulelist *l;
	char *buf;
	size_t len;
	int i, r, rc = EXIT_OK;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	for (i = 1; i < argc; i++) {
		r = read_list(argv[i], LIST_MAX_DEFAULT, &buf, &len, &l);
		if (r != EXIT_OK) {
			if (rc == EXIT_OK || r == EXIT_SYSTEM)
				rc = r;
			continue;
		}
		printf("%s: ok, serial %llu, %zu orders, %zu entries\n", argv[i],
		    (unsigned long long)l->serial, l->norders, l->nentries);
		free(buf);
		rulelist_free(l);
	}
	return rc;
}

static int
cmd_diff(int argc, char **argv)
{
	struct rulelist *a = NULL, *b = NULL;
	char *ba = NULL, *bb = NULL, *text;
	size_t len, nadd, ndel;
	int r;

	if (argc != 3 || argv[1][0] == '-')
		return usage();
	r = read_list(argv[1], LIST_MAX_DEFAULT, &ba, &len, &a);
	if (r == EXIT_OK)
		r = read_list(argv[2], LIST_MAX_DEFAULT, &bb, &len, &b);
	if (r == EXIT_OK) {
		text = rulelist_diff(a, b, &nadd, &ndel);
		if (text == NULL) {
			warnx("out of memory");
			r = EXIT_SYSTEM;
		} else {
			fputs(text, stdout);
			printf("%zu entries added, %zu removed\n", nadd, ndel);
			free(text);
		}
	}
	free(ba);
	free(bb);
	rulelist_free(a);
	rulelist_free(b);
	return r;
}

static int
cmd_show(int argc, char **argv)
{
	int64_t now = (int64_t)time(NULL);
	size_t *counts, i, len;
	char t1[32], t2[32], hex[129], *buf;
	const struct rule_order *o;
	struct rulelist *l;
	int c, r;

	while ((c = getopt(argc, argv, "T:")) != -1) {
		if (c != 'T')
			return usage();
		if (parse_time_arg(optarg, &now) != 0)
			return EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return usage();
	r = read_list(argv[optind], LIST_MAX_DEFAULT, &buf, &len, &l);
	if (r != EXIT_OK)
		return r;
	free(buf);
	rules_hex(l->digest, 64, hex);
	printf("list      %s\nissuer    %s\nscope     %s\nserial    %llu\n", argv[optind],
	    l->issuer, l->scope, (unsigned long long)l->serial);
	printf("issued    %s\nexpires   %s%s\n", rules_time_format(l->issued, t1, sizeof t1),
	    rules_time_format(l->expires, t2, sizeof t2), now >= l->expires ? " (expired)" : "");
	printf("digest    %s\nprevious  %s\n", hex, l->previous ? l->previous : "(none)");
	printf("orders    %zu\nentries   %zu\n", l->norders, l->nentries);
	/* Entries by order and kind, in one pass. */
	counts = calloc(l->norders ? l->norders * RULE_NTYPES : 1, sizeof *counts);
	if (counts == NULL) {
		warnx("out of memory");
		rulelist_free(l);
		return EXIT_SYSTEM;
	}
	for (i = 0; i < l->nentries; i++)
		counts[l->entries[i].order * RULE_NTYPES + l->entries[i].type]++;
	for (i = 0; i < l->norders; i++) {
		o = &l->orders[i];
		printf("\norder %s (%s)\n  authority %s, %s\n  service   %s\n", o->ref,
		    rule_order_active(o, now) ? "in force"
			: now < o->not_before ? "not yet in force"
					      : "lapsed",
		    o->authority, rules_date_format(o->date, t1, sizeof t1), o->service);
		printf("  in force  %s to %s\n", rules_time_format(o->not_before, t1, sizeof t1),
		    rules_time_format(o->not_after, t2, sizeof t2));
		printf("  notice    %s\n  url       %s\n  wide      %s\n  shared    %s\n",
		    o->notice, o->notice_url, o->allow_wide ? "yes" : "no",
		    o->allow_shared ? "yes" : "no");
		printf("  entries   %zu domain, %zu suffix, %zu IPv4, %zu IPv6, %zu url\n",
		    counts[i * RULE_NTYPES + RULE_DOMAIN], counts[i * RULE_NTYPES + RULE_SUFFIX],
		    counts[i * RULE_NTYPES + RULE_IPV4], counts[i * RULE_NTYPES + RULE_IPV6],
		    counts[i * RULE_NTYPES + RULE_URL]);
	}
	free(counts);
	rulelist_free(l);
	return EXIT_OK;
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"rpz", no_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
	const char *out = NULL, *zone = "rpz.blockd.", *allowpath = NULL,
		   *pslpath = PSL_DEFAULT_PATH;
	int64_t now = (int64_t)time(NULL);
	char err[RULES_ERR_MAX * 2], *buf, *text;
	struct safeguard_report rep = {NULL, 0};
	struct shared_files shared = {{NULL}, {NULL}, 0};
	struct safeguard_input in = {0};
	struct allowlist *allow = NULL;
	struct psl *psl = NULL;
	struct rulelist *l = NULL;
	size_t len, i;
	int c, r, rpz = 0;

	while ((c = getopt_long(argc, argv, "a:o:p:s:tT:z:", longopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			rpz = 1;
			break;
		case 'a':
			allowpath = optarg;
			break;
		case 'p':
			pslpath = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			if (shared_add(&shared, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 't':
			in.documentation = 1;
			break;
		case 'T':
			if (parse_time_arg(optarg, &now) != 0)
				return EXIT_USAGE;
			break;
		case 'z':
			zone = optarg;
			break;
		default:
			return usage();
		}
	}
	if (!rpz || optind + 1 != argc)
		return usage();
	len = strlen(zone);
	if (len < 2 || zone[len - 1] != '.' || rules_check_name(zone, len - 1, err, sizeof err)) {
		warnx("-z %s: expected an absolute zone name such as rpz.example.", zone);
		return EXIT_USAGE;
	}
	/* The same safeguards as acceptance: a zone must not carry what blockd would refuse. */
	if (allowpath && allowlist_load(allowpath, &allow, err, sizeof err) != 0) {
		warnx("%s", err);
		return EXIT_FAIL;
	}
	if (file_read_capped(pslpath, INPUT_MAX, &buf, &len, err, sizeof err) != 0 ||
	    psl_parse(buf, len, pslpath, &psl, err, sizeof err) != 0) {
		warnx("public suffix list: %s", err);
		allowlist_free(allow);
		return EXIT_SYSTEM;
	}
	free(buf);
	r = shared_load(&shared, in.shared, &in.nshared) != 0
	    ? EXIT_SYSTEM
	    : read_list(argv[optind], LIST_MAX_DEFAULT, &buf, &len, &l);
	if (r == EXIT_OK) {
		free(buf);
		in.psl = psl;
		in.allow = allow ? allow->entries : NULL;
		in.nallow = allow ? allow->n : 0;
		if (safeguard_apply(l, argv[optind], &in, &rep) != 0)
			r = EXIT_SYSTEM;
	}
	psl_free(psl);
	allowlist_free(allow);
	shared_free(&shared);
	if (r != EXIT_OK) {
		rulelist_free(l);
		safeguard_report_free(&rep);
		return r;
	}
	for (i = 0; i < rep.n; i++)
		warnx("%s", rep.items[i].msg);
	safeguard_report_free(&rep);
	text = rpz_format(l, zone, now, &len);
	rulelist_free(l);
	if (text == NULL) {
		warnx("out of memory");
		return EXIT_SYSTEM;
	}
	if (out == NULL) {
		r = EXIT_OK;
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			r = EXIT_SYSTEM;
		if (r != EXIT_OK)
			warnx("writing the zone: %s", strerror(errno));
	} else if (file_write_atomic(out, text, len, 0644, err, sizeof err) != 0) {
		warnx("%s", err);
		r = EXIT_SYSTEM;
	}
	free(text);
	return r;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {{"keygen", cmd_keygen}, {"build", cmd_build}, {"sign", cmd_sign},
	    {"verify", cmd_verify}, {"lint", cmd_lint}, {"diff", cmd_diff}, {"show", cmd_show},
	    {"export", cmd_export}, {"log", tlogcmd_log}, {"audit", tlogcmd_audit},
	    /* Compliance reports from the ISPs (rules/reports.c). */
	    {"reports", reports_main}};
	size_t i;

	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("blockrules %s\n", BLOCKD_VERSION);
		return EXIT_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return help(NULL);
	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (wants_help(argc - 1, argv + 1))
				return help(cmds[i].name);
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	warnx("unknown command '%s'", argv[1]);
	return usage();
}
