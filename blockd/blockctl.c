/* blockctl: the operator's view of a running blockd, and the log tools. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"

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
	    "       blockctl -V\n");
	exit(EX_USAGE);
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

	if (sock == NULL) {
		/* Without -f, a missing default config file means the defaults. */
		if (cfpath == NULL && access(BLOCKD_CONF_PATH, F_OK) == -1)
			config_defaults(&conf);
		else if (config_load(&conf, cfpath ? cfpath : BLOCKD_CONF_PATH, stderr) == -1)
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
