/* blockctl: the operator's view of a running blockd, and the log tools. */
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "evlog_files.h"
#include "fileio.h"
#include "logverify.h"
#include "minisign.h"
#include "report.h"
#include "rulefmt.h"

/* Exit statuses, documented in blockctl(8). */
#define EX_OK       0
#define EX_FAIL     1 /* refused, not found, verification failed */
#define EX_USAGE    2
#define EX_NODAEMON 3

static void
usage(void)
{
	fprintf(stderr,
	    "usage: blockctl [-j] [-f config] [-s socket] status\n"
	    "       blockctl [-j] [-f config] [-s socket] reload [--override]\n"
	    "       blockctl [-j] [-f config] [-s socket] lookup name | address | url\n"
	    "       blockctl [-j] [-f config] [-s socket] stats\n"
	    "       blockctl [-j] [-f config] log verify [file ...]\n"
	    "       blockctl [-j] [-f config] report --from time --to time [--format csv | json]\n"
	    "                [-o file [--sign seckey]] [file ...]\n"
	    "       blockctl -V\n");
	exit(EX_USAGE);
}

/* Without -f, a missing default config file means the defaults. */
static int
config_file(struct blockd_config *conf, const char *cfpath)
{
	if (cfpath == NULL && access(BLOCKD_CONF_PATH, F_OK) == -1) {
		config_defaults(conf);
		return 0;
	}
	return config_load(conf, cfpath ? cfpath : BLOCKD_CONF_PATH, stderr);
}

/*
 * The log's files, oldest first: blockd's rotated files (PATH.YYYYMMDDTHHMMSS...Z,
 * which sort by time) and then the live file. Returns the number found.
 */
static size_t
log_files(const struct blockd_config *conf, glob_t *g)
{
	char pat[sizeof(conf->log_path) + 32];

	snprintf(pat, sizeof(pat), "%s" EVLOG_ROTATED_GLOB, conf->log_path);
	if (glob(pat, 0, NULL, g) != 0)
		g->gl_pathc = 0;
	if (access(conf->log_path, F_OK) == 0)
		glob(conf->log_path, GLOB_APPEND, NULL, g);
	return g->gl_pathc;
}

/* blockctl log verify [file ...] */
static int
cmd_log(const struct blockd_config *conf, int json, int argc, char **argv)
{
	char head[sizeof(conf->state_dir) + 16];
	glob_t g = {0};
	int rc;

	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		usage();
	if (argc > 2)
		return logverify_files_fmt(
		    (const char *const *)argv + 2, (size_t)argc - 2, NULL, json, stdout);
	if (log_files(conf, &g) == 0) {
		fprintf(stderr, "blockctl: %s: no log files\n", conf->log_path);
		return LOGVERIFY_ERROR;
	}
	/* The whole log of this appliance: the saved head also catches a cut-off end. */
	snprintf(head, sizeof(head), "%s/" EVLOG_HEAD_FILE, conf->state_dir);
	rc = logverify_files_fmt((const char *const *)g.gl_pathv, g.gl_pathc,
	    access(head, R_OK) == 0 ? head : NULL, json, stdout);
	globfree(&g);
	return rc;
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
		return REPORT_ERROR;
	}
	r = minisign_seckey_parse(kbuf, klen, &sk, why, sizeof(why));
	explicit_bzero(kbuf, klen);
	free(kbuf);
	if (r != 0) {
		fprintf(stderr, "blockctl: %s: %s\n", seckey, why);
		return REPORT_USAGE;
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
		return REPORT_ERROR;
	}
	free(sig);
	return REPORT_OK;
}

/* blockctl report --from T --to T [--format F] [-o FILE [--sign KEY]] [file ...] */
static int
cmd_report(const struct blockd_config *conf, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'm'},
	    {"output", required_argument, NULL, 'o'},
	    {"sign", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	struct report_opts ro = {.format = json ? REPORT_JSON : REPORT_CSV};
	const char *out = NULL, *seckey = NULL;
	char err[512], *buf = NULL;
	size_t len = 0;
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
				fprintf(stderr, "blockctl: --format: csv or json\n");
				return REPORT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			seckey = optarg;
			break;
		default:
			usage();
		}
	}
	if (ro.from_us < 0 || ro.to_us < 0 || ro.to_us <= ro.from_us) {
		fprintf(stderr,
		    "blockctl: report: --from and --to are required, as YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ, with --from before --to\n");
		return REPORT_USAGE;
	}
	if (seckey != NULL && out == NULL) {
		fprintf(stderr,
		    "blockctl: report: --sign needs -o FILE (the signature is FILE.minisig)\n");
		return REPORT_USAGE;
	}
	if (optind < argc) {
		ro.paths = (const char *const *)argv + optind;
		ro.npaths = (size_t)(argc - optind);
	} else if (log_files(conf, &g) > 0) {
		ro.paths = (const char *const *)g.gl_pathv;
		ro.npaths = g.gl_pathc;
	} else {
		fprintf(stderr, "blockctl: %s: no log files\n", conf->log_path);
		return REPORT_ERROR;
	}
	rc = report_render(&ro, &buf, &len, stderr);
	globfree(&g);
	if (rc != REPORT_OK && rc != REPORT_PARTIAL)
		return rc;
	if (out == NULL) {
		fwrite(buf, 1, len, stdout);
	} else if (file_write_atomic(out, buf, len, 0644, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockctl: %s\n", err);
		rc = REPORT_ERROR;
	} else if (seckey != NULL) {
		int sr = sign_report(seckey, out, buf, len);
		if (sr != REPORT_OK)
			rc = sr;
	}
	free(buf);
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
			return EX_OK;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	/* Options may also follow the command, as in "reload --override". */
	for (int i = 1, n = 1; i < argc; i++) {
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
		usage();

	if (!strcmp(cmd, "log") || !strcmp(cmd, "report")) {
		if (config_file(&conf, cfpath) == -1)
			return EX_USAGE;
		if (!strcmp(cmd, "log"))
			return cmd_log(&conf, json, argc, argv);
		return cmd_report(&conf, json, argc, argv);
	}
	if (sock == NULL) {
		if (config_file(&conf, cfpath) == -1)
			return EX_USAGE;
		sock = conf.control_socket;
	}

	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats")) {
		if (argc != 1)
			usage();
		snprintf(line, sizeof(line), "%s%s", json ? "json " : "", cmd);
	} else if (!strcmp(cmd, "reload")) {
		if (argc != 1)
			usage();
		snprintf(line, sizeof(line), "%sreload%s", json ? "json " : "",
		    override ? " override" : "");
	} else if (!strcmp(cmd, "lookup")) {
		if (argc != 2 || strchr(argv[1], ' ') != NULL || argv[1][0] == '\0')
			usage();
		if (strlen(argv[1]) > CTL_REQUEST_MAX - 32) {
			fprintf(stderr, "blockctl: lookup: argument too long\n");
			return EX_USAGE;
		}
		snprintf(line, sizeof(line), "%slookup %s", json ? "json " : "", argv[1]);
	} else {
		fprintf(stderr, "blockctl: unknown command \"%s\"\n", cmd);
		usage();
	}
	fflush(stdout);
	rc = ctl_request(sock, line, stdout, err, sizeof(err));
	if (rc == -1) {
		fprintf(stderr, "blockctl: %s\n", err);
		return EX_NODAEMON;
	}
	return rc;
}
