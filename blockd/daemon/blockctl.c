/* blockctl: the operator's view of a running blockd, the log tools, and the compliance probe's command. */
#include <arpa/inet.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "ctl.h"
#include "evlog/evlog_files.h"
#include "exitcode.h"
#include "fileio.h"
#include "evlog/logverify.h"
#include "minisign.h"
#include "evlog/report.h"
#include "rulefmt.h"
#include "allowlist.h"
#include "probe.h"
#include "sigset.h"

/* Each command's synopsis, as in blockctl(8). */
static const struct {
	const char *cmd;
	const char *text;
} synopses[] = {
    {"status", "blockctl [-j] [-f config] [-s socket] status\n"},
    {"reload", "blockctl [-j] [-f config] [-s socket] reload [--override]\n"},
    {"lookup", "blockctl [-j] [-f config] [-s socket] lookup name | address | url\n"},
    {"stats", "blockctl [-j] [-f config] [-s socket] stats\n"},
    {"collateral", "blockctl [-j] [-f config] [-s socket] collateral [address | prefix]\n"},
    {"divert", "blockctl [-j] [-f config] [-s socket] divert\n"},
    {"log", "blockctl [-j] [-f config] log verify [file ...]\n"},
    {"report",
	"blockctl [-j] [-f config] report --from time --to time\n"
	"                [--format csv | json | html] [--probe file] ...\n"
	"                [-o file [--sign seckey]] [--appliance log_path ... | file ...]\n"},
    {"probe",
	"blockctl [-j] [-f config] probe -l list [-k keys_dir] -r resolver [--lookup address]\n"
	"                [-t test_address] [-a controls_file] ... [-c name | address] ...\n"
	"                [--no-siblings] [--methods dns,tls,http,quic,ip] [--rate n]\n"
	"                [--timeout ms] [--max-time seconds] [--ip-port port]\n"
	"                [--vantage label] [--metrics file] [-o file [--sign seckey]]\n"},
    {NULL, "blockctl -V | -h\n"},
};

/* The synopsis of cmd, or of every command if cmd is NULL or unknown. */
static void
usage_print(FILE *f, const char *cmd)
{
	size_t i, n = sizeof(synopses) / sizeof(synopses[0]), only = n;

	for (i = 0; cmd != NULL && i < n; i++)
		if (synopses[i].cmd != NULL && !strcmp(synopses[i].cmd, cmd))
			only = i;
	for (i = 0; i < n; i++)
		if (only == n || i == only) {
			fputs(only == n && i > 0 ? "       " : "usage: ", f);
			fputs(synopses[i].text, f);
		}
}

static void __attribute__((noreturn)) usage(const char *cmd)
{
	usage_print(stderr, cmd);
	exit(EXIT_USAGE);
}

/* -h, --help: the synopsis on standard output, and success. */
static void __attribute__((noreturn)) help(const char *cmd)
{
	usage_print(stdout, cmd);
	exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM);
}

/*
 * Without -f, a missing default config file means the defaults. Returns an
 * exit status: EXIT_OK, or the problems said on stderr.
 */
static int
config_file(struct blockd_config *conf, const char *cfpath)
{
	char err[4096];
	int rc;

	if (cfpath == NULL && access(BLOCKD_CONF_PATH, F_OK) == -1) {
		config_defaults(conf);
		return EXIT_OK;
	}
	rc = config_load(conf, cfpath ? cfpath : BLOCKD_CONF_PATH, err, sizeof(err));
	if (rc != EXIT_OK)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/*
 * A log's files, oldest first: blockd's rotated files (PATH.YYYYMMDDTHHMMSS...Z,
 * which sort by time) and then the live file PATH. Returns the number found.
 */
static size_t
log_files_at(const char *path, glob_t *g)
{
	char pat[4096 + 32];

	snprintf(pat, sizeof(pat), "%s" EVLOG_ROTATED_GLOB, path);
	if (glob(pat, 0, NULL, g) != 0)
		g->gl_pathc = 0;
	if (access(path, F_OK) == 0)
		glob(path, GLOB_APPEND, NULL, g);
	return g->gl_pathc;
}

/* This appliance's log, from [log] path. */
static size_t
log_files(const struct blockd_config *conf, glob_t *g)
{
	return log_files_at(conf->log_path, g);
}

/* log verify's result as an exit status: a torn last line is intact, with an exception. */
static int
log_exit(int rc)
{
	switch (rc) {
	case LOGVERIFY_OK:
		return EXIT_OK;
	case LOGVERIFY_BAD:
		return EXIT_FAIL;
	case LOGVERIFY_TORN:
		return EXIT_PARTIAL;
	default:
		return EXIT_SYSTEM;
	}
}

/* blockctl log verify [file ...] */
static int
cmd_log(const struct blockd_config *conf, int json, int argc, char **argv)
{
	char head[sizeof(conf->state_dir) + 16];
	glob_t g = {0};
	int rc;

	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		usage("log");
	if (argc > 2)
		return log_exit(logverify_files_fmt(
		    (const char *const *)argv + 2, (size_t)argc - 2, NULL, json, stdout));
	if (log_files(conf, &g) == 0) {
		fprintf(stderr, "blockctl: %s: no log files\n", conf->log_path);
		return EXIT_SYSTEM;
	}
	/* The whole log of this appliance: the saved head also catches a cut-off end. */
	snprintf(head, sizeof(head), "%s/" EVLOG_HEAD_FILE, conf->state_dir);
	rc = logverify_files_fmt((const char *const *)g.gl_pathv, g.gl_pathc,
	    access(head, R_OK) == 0 ? head : NULL, json, stdout);
	globfree(&g);
	return log_exit(rc);
}

/* "2026-11-21", "2026-11-21T10:00:00Z": UTC microseconds, or -1. */
static int64_t
parse_time(const char *s)
{
	struct tm tm = {0};
	const char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end != '\0')
			return -1;
	}
	return (int64_t)timegm(&tm) * 1000000;
}

/* The report's signature goes beside it, in the same minisign format as lists. */
static int
sign_report(const char *seckey, const char *out, const char *buf, size_t len)
{
	struct minisign_seckey sk;
	char err[512], why[256], sigpath[4096], tc[512], untrusted[128], id[17], *kbuf, *sig;
	uint8_t digest[64];
	size_t klen;
	int r;

	if (file_read_capped(seckey, MINISIGN_KEYFILE_MAX, &kbuf, &klen, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: %s\n", err);
		return EXIT_SYSTEM;
	}
	r = minisign_seckey_parse(kbuf, klen, &sk, why, sizeof(why));
	explicit_bzero(kbuf, klen);
	free(kbuf);
	if (r != 0) {
		fprintf(stderr, "blockctl: %s: %s\n", seckey, why);
		return EXIT_FAIL;
	}
	rules_blake2b512(buf, len, digest);
	minisign_keyid(sk.keynum, id);
	snprintf(untrusted, sizeof(untrusted), "signature from blockd report key %s", id);
	snprintf(tc, sizeof(tc), "timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), out);
	sig = minisign_sign(&sk, digest, untrusted, tc);
	explicit_bzero(&sk, sizeof(sk));
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", out);
	if (sig == NULL ||
	    file_write_atomic(sigpath, sig, strlen(sig), 0644, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: %s\n", sig == NULL ? "signing failed" : err);
		free(sig);
		return EXIT_SYSTEM;
	}
	free(sig);
	return EXIT_OK;
}

/*
 * A fleet report's sources: each --appliance path's files, globbed into
 * g[0..n). EXIT_OK, or EXIT_SYSTEM said on stderr (g freed by the caller).
 */
static int
fleet_sources(const char *const *apps, size_t n, glob_t *g, struct report_source *src)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (log_files_at(apps[i], &g[i]) == 0) {
			fprintf(stderr,
			    "blockctl: report: --appliance %s: no log files (that path, or its "
			    "rotated files %s.YYYYMMDDTHHMMSS...Z)\n",
			    apps[i], apps[i]);
			return EXIT_SYSTEM;
		}
		src[i].label = apps[i];
		src[i].paths = (const char *const *)g[i].gl_pathv;
		src[i].npaths = g[i].gl_pathc;
	}
	return EXIT_OK;
}

#define FLEET_MAX 256 /* --appliance paths */

/* blockctl report --from T --to T [--format F] [-o FILE [--sign KEY]] [--appliance P ... | file ...] */
static int
cmd_report(const struct blockd_config *conf, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'm'},
	    {"output", required_argument, NULL, 'o'},
	    {"sign", required_argument, NULL, 'k'},
	    {"probe", required_argument, NULL, 'p'},
	    {"appliance", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct report_opts ro = {.format = json ? REPORT_JSON : REPORT_CSV};
	struct report_source src[FLEET_MAX];
	glob_t fleet[FLEET_MAX];
	const char *probes[64], *apps[FLEET_MAX];
	const char *out = NULL, *seckey = NULL;
	char err[512], *buf = NULL;
	size_t len = 0, napps = 0, i;
	glob_t g = {0};
	int ch, rc;

	ro.from_us = ro.to_us = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'F':
			ro.from_us = parse_time(optarg);
			break;
		case 'T':
			ro.to_us = parse_time(optarg);
			break;
		case 'm':
			if ((ro.format = report_format_from(optarg)) == 0) {
				fprintf(stderr, "blockctl: --format: csv, json or html\n");
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (ro.nprobes == sizeof(probes) / sizeof(probes[0])) {
				fprintf(stderr, "blockctl: report: at most 64 --probe files\n");
				return EXIT_USAGE;
			}
			probes[ro.nprobes++] = optarg;
			ro.probes = probes;
			break;
		case 'a':
			if (napps == FLEET_MAX) {
				fprintf(stderr, "blockctl: report: at most %d --appliance paths\n",
				    FLEET_MAX);
				return EXIT_USAGE;
			}
			apps[napps++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			seckey = optarg;
			break;
		default:
			usage("report");
		}
	}
	if (ro.from_us < 0 || ro.to_us < 0 || ro.to_us <= ro.from_us) {
		fprintf(stderr,
		    "blockctl: report: --from and --to are required, as YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ, with --from before --to\n");
		return EXIT_USAGE;
	}
	if (seckey != NULL && out == NULL) {
		fprintf(stderr,
		    "blockctl: report: --sign needs -o FILE (the signature is FILE.minisig)\n");
		return EXIT_USAGE;
	}
	if (ro.nprobes > 0 && ro.format != REPORT_HTML) {
		fprintf(stderr, "blockctl: report: --probe goes with --format html\n");
		return EXIT_USAGE;
	}
	if (napps > 0 && optind < argc) {
		fprintf(stderr,
		    "blockctl: report: log files go with one appliance; for a fleet, give each "
		    "appliance's log path with --appliance\n");
		return EXIT_USAGE;
	}
	memset(fleet, 0, sizeof(fleet));
	if (napps > 0) {
		rc = fleet_sources(apps, napps, fleet, src);
		ro.fleet = src;
		ro.nfleet = napps;
	} else if (optind < argc) {
		ro.paths = (const char *const *)argv + optind;
		ro.npaths = (size_t)(argc - optind);
		rc = EXIT_OK;
	} else if (log_files(conf, &g) > 0) {
		ro.paths = (const char *const *)g.gl_pathv;
		ro.npaths = g.gl_pathc;
		rc = EXIT_OK;
	} else {
		fprintf(stderr, "blockctl: %s: no log files\n", conf->log_path);
		return EXIT_SYSTEM;
	}
	if (rc == EXIT_OK)
		rc = report_render(&ro, &buf, &len, stderr);
	globfree(&g);
	for (i = 0; i < napps; i++)
		globfree(&fleet[i]);
	if (rc != REPORT_OK && rc != REPORT_PARTIAL)
		return rc;
	if (out == NULL) {
		fwrite(buf, 1, len, stdout);
	} else if (file_write_atomic(out, buf, len, 0644, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: %s\n", err);
		rc = EXIT_SYSTEM;
	} else if (seckey != NULL) {
		int sr = sign_report(seckey, out, buf, len);
		if (sr != EXIT_OK)
			rc = sr;
	}
	free(buf);
	return rc;
}

/* The list the probe tests: the signed file, verified with the regulator's keys. NULL on error. */
static struct rulelist *
probe_list(const char *path, const char *keys_dir, unsigned threshold)
{
	struct keyring *keys = NULL;
	struct sigset sigs = {0};
	struct rulelist *l = NULL;
	char err[4096], *buf = NULL;
	uint8_t digest[64];
	unsigned valid = 0;
	size_t len;

	if (keyring_load(keys_dir, &keys, err, sizeof(err)) != 0 ||
	    file_read_capped(path, (size_t)1 << 30, &buf, &len, err, sizeof(err)) != 0 ||
	    sigset_read(path, &sigs, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: probe: %s\n", err);
		goto out;
	}
	rules_blake2b512(buf, len, digest);
	if (sigset_verify(keys, &sigs, path, digest, threshold, &valid, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: probe: %s: %u of %u trusted signatures (keys in %s)\n%s",
		    path, valid, threshold, keys_dir, err);
		goto out;
	}
	if (rulelist_parse(buf, len, path, digest, &l, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: probe: %s\n", err);
		l = NULL;
	} else if (l->expires < time(NULL)) {
		fprintf(stderr, "blockctl: probe: %s: serial %llu has expired; probing it anyway\n",
		    path, (unsigned long long)l->serial);
	}
out:
	free(buf);
	sigset_free(&sigs);
	keyring_free(keys);
	return l;
}

/* --methods dns,tls,...: a mask of 1 << enum probe_method, 0 if a name is unknown. */
static unsigned
probe_methods(const char *s)
{
	char buf[128], *tok, *save = NULL;
	unsigned m = 0;
	int v;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if ((v = probe_method_from(tok)) == 0)
			return 0;
		m |= 1u << v;
	}
	return m;
}

/* The probe's controls: files in the allowlist's format, and single names or addresses. */
struct probe_controls {
	struct allowlist *files[16];
	size_t nfiles;
	char text[8192]; /* -c values as allowlist lines */
	size_t tlen;
	struct rule_entry *all;
	size_t n;
};

static int
probe_controls_join(struct probe_controls *pc)
{
	struct allowlist *single = NULL;
	char err[512];
	size_t n = 0, i;

	if (pc->tlen > 0) {
		if (allowlist_parse(pc->text, pc->tlen, "-c", &single, err, sizeof(err)) != 0) {
			fprintf(stderr, "blockctl: probe: %s\n", err);
			return -1;
		}
		pc->files[pc->nfiles++] = single;
	}
	for (i = 0; i < pc->nfiles; i++)
		n += pc->files[i]->n;
	if ((pc->all = calloc(n ? n : 1, sizeof(*pc->all))) == NULL)
		return -1;
	for (i = 0; i < pc->nfiles; i++) {
		memcpy(pc->all + pc->n, pc->files[i]->entries, pc->files[i]->n * sizeof(*pc->all));
		pc->n += pc->files[i]->n;
	}
	return 0;
}

/* The probe's results for node_exporter's textfile collector (blockd-alerts.yml reads them). */
static int
probe_metrics(const char *path, const struct probe_report *r)
{
	static const int verdicts[] = {
	    PROBE_PASS, PROBE_FAIL, PROBE_OVERBLOCKED, PROBE_ERRORED, PROBE_NOTRUN};
	char lab[300], err[512], *buf = NULL;
	size_t len = 0, o = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	/* The label value escaped as the text format wants it. */
	for (const char *p = r->vantage; *p && o + 3 < sizeof(lab); p++) {
		if (*p == '\\' || *p == '"' || *p == '\n')
			lab[o++] = '\\';
		lab[o++] = *p == '\n' ? 'n' : *p;
	}
	lab[o] = '\0';
	if (f == NULL)
		return EXIT_SYSTEM;
	fprintf(f,
	    "# HELP blockd_probe_checks Checks of the last compliance probe, by result.\n"
	    "# TYPE blockd_probe_checks gauge\n");
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		fprintf(f, "blockd_probe_checks{vantage=\"%s\",result=\"%s\"} %zu\n", lab,
		    probe_verdict_name(verdicts[i]), probe_count(r, verdicts[i]));
	fprintf(f,
	    "# HELP blockd_probe_last_run_timestamp_seconds When the last compliance probe ended.\n"
	    "# TYPE blockd_probe_last_run_timestamp_seconds gauge\n"
	    "blockd_probe_last_run_timestamp_seconds{vantage=\"%s\"} %lld\n",
	    lab, (long long)r->finished);
	if (fclose(f) != 0)
		return EXIT_SYSTEM;
	rc = file_write_atomic(path, buf, len, 0644, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "blockctl: %s\n", err);
	free(buf);
	return rc == 0 ? EXIT_OK : EXIT_SYSTEM;
}

/* A whole decimal number for an option; -1 (an out-of-range value for each) if it is not one. */
static int
opt_int(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v >= 0 && v <= 1000000 ? (int)v : -1;
}

/* blockctl probe: see blockctl(8), PROBE. */
static int
cmd_probe(const struct blockd_config *conf, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"list", required_argument, NULL, 'l'},
	    {"keys", required_argument, NULL, 'k'},
	    {"resolver", required_argument, NULL, 'r'},
	    {"lookup", required_argument, NULL, 'L'},
	    {"test-address", required_argument, NULL, 't'},
	    {"controls", required_argument, NULL, 'a'},
	    {"control", required_argument, NULL, 'c'},
	    {"no-siblings", no_argument, NULL, 'N'},
	    {"methods", required_argument, NULL, 'm'},
	    {"rate", required_argument, NULL, 'R'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"max-time", required_argument, NULL, 'X'},
	    {"ip-port", required_argument, NULL, 'P'},
	    {"vantage", required_argument, NULL, 'v'},
	    {"metrics", required_argument, NULL, 'M'},
	    {"output", required_argument, NULL, 'o'},
	    {"sign", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	struct probe_opts po = {.siblings = 1,
	    .rate = 20,
	    .timeout_ms = 2000,
	    .max_seconds = 600,
	    .ip_port = 443,
	    .methods = ~0u};
	struct probe_controls pc = {0};
	struct probe_report r = {0};
	struct rulelist *list = NULL;
	const char *listpath = NULL, *keys = conf->keys_dir, *out = NULL, *seckey = NULL,
		   *metrics = NULL;
	char err[512], host[256], *buf = NULL;
	size_t len = 0, i;
	int ch, rc = EXIT_SYSTEM;
	unsigned char a6[16];

	optind = 1;
	while ((ch = getopt_long(argc, argv, "l:k:r:t:a:c:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listpath = optarg;
			break;
		case 'k':
			keys = optarg;
			break;
		case 'r':
			po.resolver = optarg;
			break;
		case 'L':
			po.lookup = optarg;
			break;
		case 't':
			po.test_addr = optarg;
			break;
		case 'a':
			if (pc.nfiles >= sizeof(pc.files) / sizeof(pc.files[0]) - 1) {
				fprintf(stderr, "blockctl: probe: at most 15 controls files\n");
				goto out;
			}
			if (allowlist_load(optarg, &pc.files[pc.nfiles], err, sizeof(err)) != 0) {
				fprintf(stderr, "blockctl: probe: %s\n", err);
				goto out;
			}
			pc.nfiles++;
			break;
		case 'c': {
			/* An address is an "ip" control, anything else a "domain" one. */
			int isaddr = inet_pton(AF_INET, optarg, a6) == 1 ||
			    inet_pton(AF_INET6, optarg, a6) == 1;
			int n = snprintf(pc.text + pc.tlen, sizeof(pc.text) - pc.tlen, "%s %s\n",
			    isaddr ? "ip" : "domain", optarg);
			if (n < 0 || (size_t)n >= sizeof(pc.text) - pc.tlen) {
				fprintf(stderr, "blockctl: probe: too many -c controls\n");
				rc = EXIT_USAGE;
				goto out;
			}
			pc.tlen += (size_t)n;
			break;
		}
		case 'N':
			po.siblings = 0;
			break;
		case 'm':
			if ((po.methods = probe_methods(optarg)) == 0) {
				fprintf(stderr,
				    "blockctl: probe: --methods: dns, tls, http, quic, ip\n");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'R':
			po.rate = strtod(optarg, NULL);
			break;
		case 'T':
			po.timeout_ms = opt_int(optarg);
			break;
		case 'X':
			po.max_seconds = opt_int(optarg);
			break;
		case 'P':
			po.ip_port = opt_int(optarg);
			break;
		case 'v':
			po.vantage = optarg;
			break;
		case 'M':
			metrics = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'S':
			seckey = optarg;
			break;
		default:
			usage("probe");
		}
	}
	if (listpath == NULL || po.resolver == NULL || optind != argc || !(po.rate > 0) ||
	    po.rate > 1000 || po.timeout_ms < 10 || po.timeout_ms > 60000 || po.max_seconds < 1 ||
	    po.ip_port < 1 || po.ip_port > 65535) {
		fprintf(stderr,
		    "blockctl: probe: needs -l list and -r resolver; --rate in (0, 1000], "
		    "--timeout 10 to 60000 ms, --max-time >= 1 s, --ip-port 1 to 65535\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (seckey != NULL && out == NULL) {
		fprintf(stderr,
		    "blockctl: probe: --sign needs -o FILE (the signature is FILE.minisig)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (po.vantage == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = '\0';
		po.vantage = host;
	}
	if ((list = probe_list(listpath, keys, conf->signatures_required)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (probe_controls_join(&pc) != 0)
		goto out;
	po.list = list;
	po.controls = pc.all;
	po.ncontrols = pc.n;
	po.progress = isatty(STDERR_FILENO) ? stderr : NULL;
	if (probe_run(&po, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: probe: %s\n", err);
		goto out;
	}
	if ((buf = probe_format(&r, json, &len)) == NULL) {
		fprintf(stderr, "blockctl: probe: out of memory\n");
		goto out;
	}
	if (out == NULL) {
		fwrite(buf, 1, len, stdout);
	} else if (file_write_atomic(out, buf, len, 0644, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: %s\n", err);
		goto out;
	} else if (seckey != NULL && sign_report(seckey, out, buf, len) != EXIT_OK) {
		goto out;
	}
	if (metrics != NULL && probe_metrics(metrics, &r) != EXIT_OK)
		goto out;
	/* Every check passed: 0; a failure or overblocking: 1; only errors or skips: 4. */
	if (probe_count(&r, PROBE_FAIL) + probe_count(&r, PROBE_OVERBLOCKED) > 0)
		rc = EXIT_FAIL;
	else
		rc = probe_count(&r, PROBE_PASS) == r.n ? EXIT_OK : EXIT_PARTIAL;
out:
	free(buf);
	probe_report_free(&r);
	rulelist_free(list);
	free(pc.all);
	for (i = 0; i < pc.nfiles; i++)
		allowlist_free(pc.files[i]);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"config", required_argument, NULL, 'f'},
	    {"socket", required_argument, NULL, 's'},
	    {"override", no_argument, NULL, 'o'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct blockd_config conf;
	const char *cfpath = NULL, *sock = NULL, *cmd;
	char line[CTL_REQUEST_MAX], err[512];
	int ch, json = 0, override = 0, rc;

	while ((ch = getopt_long(argc, argv, "+jf:s:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'f':
			cfpath = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'o':
			override = 1;
			break;
		case 'V':
			printf("blockctl %s\n", BLOCKD_VERSION);
			return EXIT_OK;
		case 'h':
			help(NULL);
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(NULL);
	cmd = argv[0];
	/* Options may also follow the command, as in "reload --override". */
	for (int i = 1, n = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			help(cmd);
		if (!strcmp(argv[i], "--override"))
			override = 1;
		else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = 1;
		else
			argv[n++] = argv[i];
		if (i == argc - 1)
			argc = n;
	}
	if (override && strcmp(cmd, "reload") != 0)
		usage(cmd);

	if (!strcmp(cmd, "log") || !strcmp(cmd, "report") || !strcmp(cmd, "probe")) {
		if ((rc = config_file(&conf, cfpath)) != EXIT_OK)
			return rc;
		if (!strcmp(cmd, "log"))
			return cmd_log(&conf, json, argc, argv);
		if (!strcmp(cmd, "probe"))
			return cmd_probe(&conf, json, argc, argv);
		return cmd_report(&conf, json, argc, argv);
	}
	if (sock == NULL) {
		if ((rc = config_file(&conf, cfpath)) != EXIT_OK)
			return rc;
		sock = conf.control_socket;
	}

	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats") || !strcmp(cmd, "divert")) {
		if (argc != 1)
			usage(cmd);
		snprintf(line, sizeof(line), "%s%s", json ? "json " : "", cmd);
	} else if (!strcmp(cmd, "reload")) {
		if (argc != 1)
			usage(cmd);
		snprintf(line, sizeof(line), "%sreload%s", json ? "json " : "",
		    override ? " override" : "");
	} else if (!strcmp(cmd, "collateral")) {
		if (argc > 2 ||
		    (argc == 2 &&
			(strchr(argv[1], ' ') != NULL || argv[1][0] == '\0' ||
			    strlen(argv[1]) > 64)))
			usage(cmd);
		snprintf(line, sizeof(line), "%scollateral%s%s", json ? "json " : "",
		    argc == 2 ? " " : "", argc == 2 ? argv[1] : "");
	} else if (!strcmp(cmd, "lookup")) {
		if (argc != 2 || strchr(argv[1], ' ') != NULL || argv[1][0] == '\0')
			usage(cmd);
		if (strlen(argv[1]) > CTL_REQUEST_MAX - 32) {
			fprintf(stderr, "blockctl: lookup: argument too long\n");
			return EXIT_USAGE;
		}
		snprintf(line, sizeof(line), "%slookup %s", json ? "json " : "", argv[1]);
	} else {
		fprintf(stderr, "blockctl: unknown command \"%s\"\n", cmd);
		usage(NULL);
	}
	fflush(stdout);
	rc = ctl_request(sock, line, stdout, err, sizeof(err));
	if (rc == -1) {
		fprintf(stderr, "blockctl: %s\n", err);
		return EXIT_SYSTEM;
	}
	return rc;
}
