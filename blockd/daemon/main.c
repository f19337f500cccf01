/* blockd: program entry point: options, config, signals, the main loop. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "ctl.h"
#include "ctlops.h"
#include "daemon.h"
#include "inforce.h"
#include "base/log.h"
#include "metrics.h"
#include "evlog/evlog.h"
#include "exitcode.h"
#include "listload.h"
#include "preflight.h"
#include "startprof.h"
#include "match/match.h"
#include "kernel/privs.h"
#include "kernel/sandbox.h"
#include "watch.h"

#define STATS_INTERVAL_MS 1000

static const char usage_text[] = "usage: blockd [-dhnVv] [-f config]\n";

static void __attribute__((noreturn)) usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* -n: the config, the keys and the list blockd would enforce, checked without touching the network. */
static int
check(const struct blockd_config *cfg, int verbose)
{
	struct listload_floor floor;
	struct listload ll;
	uint64_t state_serial;
	char err[4096];

	if (verbose)
		config_print(cfg, stdout);
	/* The same checks as a start, so that "OK" means blockd will start. */
	if (preflight(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAIL;
	}
	(void)daemon_serial_floor(cfg, &floor, &state_serial);
	if (listload(cfg, LISTLOAD_CHECK, &floor, NULL, &ll, err, sizeof(err)) == -1) {
		fprintf(stderr, "blockd: %s\n", err);
		listload_done(&ll);
		return EXIT_FAIL;
	}
	if (ll.snap) {
		const struct rulelist *l = match_list(ll.snap);
		fprintf(stderr, "blockd: list serial %llu: %zu entries, %zu orders: OK\n",
		    (unsigned long long)l->serial, l->nentries, l->norders);
		match_free(ll.snap);
	} else {
		fprintf(stderr, "blockd: no list yet in %s/%s or %s\n", cfg->rules_dir,
		    LISTLOAD_FILE, cfg->state_dir);
	}
	listload_done(&ll);
	fprintf(stderr, "blockd: configuration OK\n");
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	const char *conf = BLOCKD_CONF_PATH;
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int debug = 0, checkonly = 0, verbose = 0, ch, rc;
	static struct blockd d;
	char err[1024], cerr[4096];

	while ((ch = getopt_long(argc, argv, "df:hnVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conf = optarg;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM;
		case 'V':
			printf("blockd %s\n", BLOCKD_VERSION);
			return EXIT_OK;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	startprof_mark(&d.prof, "main");
	log_init("blockd", 0, verbose);
	if ((rc = config_load(&d.cfg, conf, cerr, sizeof(cerr))) != EXIT_OK) {
		fprintf(stderr, "%s\n", cerr);
		return rc;
	}
	log_debug("config %s: rules_dir %s, keys_dir %s, state_dir %s", conf, d.cfg.rules_dir,
	    d.cfg.keys_dir, d.cfg.state_dir);
	if (checkonly)
		return check(&d.cfg, verbose);
	startprof_mark(&d.prof, "config");
	if (preflight(&d.cfg, cerr, sizeof(cerr)) == -1) {
		fprintf(stderr, "%s\n", cerr);
		return EXIT_FAIL;
	}
	startprof_mark(&d.prof, "preflight");
	if (!privs_have_net_admin())
		fatalx("must run as root or with CAP_NET_ADMIN and CAP_NET_RAW (it binds netfilter "
		       "queues and installs rules)");

	if (!debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init("blockd", 1, verbose);
	}

	/* Signals arrive on a signalfd; workers inherit the blocked mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fatalx("sigmask");
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd == -1)
		fatal("signalfd");

	/*
	 * The control socket is made (and given its group) while still root;
	 * then, still single-threaded, the switch to the service user, so the
	 * workers and the log writer started next inherit it.
	 */
	if (notify_open(&d.notify, getenv("NOTIFY_SOCKET"), getenv("WATCHDOG_USEC"),
		getenv("WATCHDOG_PID"), getpid(), err, sizeof(err)) == -1)
		log_warnx("%s: not notifying the service manager", err);
	if (privs_prepare(&d.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	struct ctl *ctl = ctl_open(
	    d.cfg.control_socket, d.cfg.control_group, d.cfg.override_group, err, sizeof(err));
	if (ctl == NULL)
		log_warnx(
		    "control socket %s: %s; running without blockctl", d.cfg.control_socket, err);
	/* Bound while still root, like the control socket; off unless configured. */
	struct metrics *metrics = NULL;
	if (d.cfg.metrics_listen[0] != '\0' &&
	    (metrics = metrics_open(d.cfg.metrics_listen, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	int dropped;
	if (privs_drop(&d.cfg, &dropped, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (dropped) {
		if (sandbox_apply(err, sizeof(err)) == -1)
			fatalx("%s", err);
		log_info("running as uid %u with CAP_NET_ADMIN and CAP_NET_RAW, system calls "
			 "filtered",
		    (unsigned)geteuid());
	}
	startprof_mark(&d.prof, "privileges");
	if (daemon_start(&d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	ctlops_started((int64_t)time(NULL));
	daemon_ops_ready(&d);
	struct watch w;
	if (watch_open(&w, d.cfg.rules_dir, err, sizeof(err)) == -1)
		log_warnx("%s: lists put there need SIGHUP or blockctl reload", err);
	log_info("started, config %s", conf);
	startprof_log(&d.prof);

	int running = 1;
	while (running) {
		/* pf[4]: an IP set load finished; daemon_check_enforcement() takes it. */
		struct pollfd pf[5 + CTL_POLLFDS] = {{sfd, POLLIN, 0}, {w.ifd, POLLIN, 0},
		    {w.tfd, POLLIN, 0}, {metrics ? metrics_fd(metrics) : -1, POLLIN, 0},
		    {inforce_ip_fd(&d), POLLIN, 0}};
		size_t npf = 5 + (ctl ? ctl_pollfds(ctl, pf + 5) : 0);
		int n =
		    poll(pf, npf, ctl ? ctl_timeout(ctl, STATS_INTERVAL_MS) : STATS_INTERVAL_MS);
		if (n == -1 && errno != EINTR)
			fatal("poll");
		/* Every time round: clients are read, answered and timed out without blocking. */
		if (ctl)
			ctl_serve(ctl, &ctlops, &d);
		if (n > 0 && metrics && (pf[3].revents & POLLIN))
			metrics_serve(metrics, &d);
		if (n > 0 && (pf[1].revents & POLLIN))
			watch_changed(&w);
		if (n > 0 && (pf[2].revents & POLLIN) && watch_due(&w)) {
			log_info("%s changed: reloading the list", d.cfg.rules_dir);
			(void)daemon_reload(&d, 0, 0, err, sizeof(err));
		}
		if (n > 0 && (pf[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			switch (si.ssi_signo) {
			case SIGHUP:
				log_info("SIGHUP: reloading the list");
				(void)daemon_reload(&d, 0, 0, err, sizeof(err));
				break;
			case SIGUSR1:
				/* logrotate renamed the enforcement log */
				evlog_reopen(d.log);
				break;
			case SIGTERM:
			case SIGINT:
				log_info(
				    "%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				running = 0;
				break;
			}
		}
		daemon_check_enforcement(&d);
		daemon_ops_tick(&d);
	}
	daemon_ops_stopping(&d);
	watch_close(&w);
	if (ctl)
		ctl_close(ctl);
	metrics_close(metrics);
	daemon_stop(&d);
	close(sfd);
	notify_close(&d.notify);
	log_info("stopped");
	return EXIT_OK;
}
