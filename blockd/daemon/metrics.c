/* Prometheus metrics: the daemon's counters as text, served over HTTP on a loopback address. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "evlog/evlog.h"
#include "match/match.h"
#include "collateral.h"
#include "metrics.h"
#include "kernel/nfq.h"
#include "worker.h"

struct metrics {
	int fd;
};

struct metrics *
metrics_open(const char *listen_on, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	char host[64];
	const char *colon = strrchr(listen_on, ':');
	struct metrics *m;
	int one = 1, port;

	if (colon == NULL || (size_t)(colon - listen_on) >= sizeof(host)) {
		snprintf(err, errlen, "metrics listen %s: not ADDRESS:PORT", listen_on);
		return NULL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
	port = (int)strtol(colon + 1, NULL, 10);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd == -1 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(m->fd, (struct sockaddr *)&ss, sl) == -1 || listen(m->fd, 8) == -1) {
		snprintf(err, errlen, "metrics listen %s: %s", listen_on, strerror(errno));
		if (m->fd != -1)
			close(m->fd);
		free(m);
		return NULL;
	}
	return m;
bad:
	snprintf(err, errlen, "metrics listen %s: not a loopback address", listen_on);
	return NULL;
}

int
metrics_fd(const struct metrics *m)
{
	return m->fd;
}

void
metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	close(m->fd);
	free(m);
}

static void
help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* One sample: family{queue="N",name="value"} v; queue < 0 for none, label "name=value" or NULL. */
static void
sample(FILE *out, const char *family, int queue, const char *label, uint64_t v)
{
	const char *eq = label ? strchr(label, '=') : NULL;

	fputs(family, out);
	if (queue >= 0 || eq != NULL) {
		fputc('{', out);
		if (queue >= 0)
			fprintf(out, "queue=\"%d\"%s", queue, eq ? "," : "");
		if (eq != NULL)
			fprintf(out, "%.*s=\"%s\"", (int)(eq - label), label, eq + 1);
		fputc('}', out);
	}
	fprintf(out, " %llu\n", (unsigned long long)v);
}

/* The samples of metric family from the values v of one queue or all, in the table's order. */
static void
family_samples(FILE *out, const char *family, int queue, const struct counter_values *v)
{
	for (size_t i = 0; i < CTR_N; i++)
		if (counters_sample_first(i) && strcmp(counter_info[i].metric, family) == 0)
			sample(out, family, queue, counter_info[i].label,
			    counters_sample(v, family, counter_info[i].label));
}

/* The workers' counters: the metric families of counters.h, and what they imply. */
static void
render_counters(const struct blockd *d, FILE *out)
{
	static const char inspected[] = "blockd_inspected_total",
			  blocked[] = "blockd_blocked_total";
	struct counter_values all, one;

	worker_counters_sum(d->workers, d->nworkers, &all);
	for (size_t f = 0; f < CTR_N; f++) {
		const char *family = counter_info[f].metric;

		if (!counters_first(f, 1))
			continue;
		help(out, family, counter_info[f].kind == CTR_GAUGE ? "gauge" : "counter",
		    counter_info[f].help);
		if (counter_info[f].scope == CTR_ALL) {
			family_samples(out, family, -1, &all);
			continue;
		}
		for (unsigned i = 0; i < d->nworkers; i++) {
			worker_counters_sum(&d->workers[i], 1, &one);
			family_samples(out, family, d->workers[i].queue, &one);
		}
	}
	/* Of what each method inspected, what it did not block. */
	help(out, "blockd_passed_total", "counter", "Of those, passed.");
	for (size_t i = 0; i < CTR_N; i++) {
		const char *label = counter_info[i].label;

		if (counters_sample_first(i) && strcmp(counter_info[i].metric, inspected) == 0) {
			uint64_t in = counters_sample(&all, inspected, label);
			uint64_t bl = counters_sample(&all, blocked, label);

			sample(out, "blockd_passed_total", -1, label, in > bl ? in - bl : 0);
		}
	}
}

void
metrics_render(const struct blockd *d, FILE *out)
{
	struct evlog_stats es = {0};
	const struct match_snapshot *snap;

	render_counters(d, out);

	snap = snapref_peek(d->snaps);
	help(out, "blockd_list_serial", "gauge", "Serial of the block list in force (0: none).");
	fprintf(out, "blockd_list_serial %llu\n", (unsigned long long)d->serial);
	help(out, "blockd_list_expiry_timestamp_seconds", "gauge",
	    "When the list in force expires (0: no list).");
	fprintf(out, "blockd_list_expiry_timestamp_seconds %lld\n",
	    snap ? (long long)match_list(snap)->expires : 0LL);
	help(out, "blockd_reloads_total", "counter", "List reloads, by result.");
	fprintf(out, "blockd_reloads_total{result=\"accepted\"} %llu\n",
	    (unsigned long long)d->reloads_ok);
	fprintf(out, "blockd_reloads_total{result=\"refused\"} %llu\n",
	    (unsigned long long)d->reloads_refused);
	help(out, "blockd_failing_open", "gauge", "1 while packets pass unjudged (fail-open).");
	fprintf(out, "blockd_failing_open %d\n", d->failopen ? 1 : 0);
	help(out, "blockd_ip_set_intervals", "gauge",
	    "Address intervals in the kernel's block sets.");
	fprintf(out, "blockd_ip_set_intervals{family=\"v4\"} %zu\n", d->ipset_st.block4);
	fprintf(out, "blockd_ip_set_intervals{family=\"v6\"} %zu\n", d->ipset_st.block6);
	size_t observing, held;
	collateral_counts(d->coll, &observing, &held);
	help(out, "blockd_collateral_entries", "gauge",
	    "Address entries kept out of the kernel's sets: under observation, or held for the "
	    "unrelated services seen on them.");
	fprintf(out, "blockd_collateral_entries{state=\"observing\"} %zu\n", observing);
	fprintf(out, "blockd_collateral_entries{state=\"held\"} %zu\n", held);

	if (d->log != NULL)
		evlog_stats(d->log, &es);
	help(out, "blockd_log_events_total", "counter",
	    "Enforcement events handed to the log writer, by outcome.");
	fprintf(out, "blockd_log_events_total{outcome=\"queued\"} %llu\n",
	    (unsigned long long)es.queued);
	fprintf(out, "blockd_log_events_total{outcome=\"dropped\"} %llu\n",
	    (unsigned long long)es.dropped);
	help(out, "blockd_log_records_written_total", "counter", "Log records written.");
	fprintf(out, "blockd_log_records_written_total %llu\n", (unsigned long long)es.written);
	help(out, "blockd_log_write_errors_total", "counter", "Failed log writes.");
	fprintf(out, "blockd_log_write_errors_total %llu\n", (unsigned long long)es.write_errors);
}

void
metrics_serve(struct metrics *m, const struct blockd *d)
{
	struct timeval tv = {.tv_usec = 200000};
	char req[2048], *body = NULL;
	size_t len = 0, blen = 0;
	FILE *out;
	int fd;

	fd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * The control loop waits here, so the whole request gets 200 ms, not
	 * each read: a client trickling bytes cannot hold the loop for longer.
	 */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len < sizeof(req) - 1) {
		ssize_t r = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		if (r <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= 200) {
			close(fd);
			return;
		}
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (strncmp(req, "GET ", 4) != 0) {
		static const char bad[] = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n"
					  "Connection: close\r\n\r\n";
		(void)send(fd, bad, sizeof(bad) - 1, MSG_NOSIGNAL);
		close(fd);
		return;
	}
	if ((out = open_memstream(&body, &blen)) != NULL) {
		char head[160];
		int n;

		metrics_render(d, out);
		fclose(out);
		n = snprintf(head, sizeof(head),
		    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    blen);
		if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
			(void)send(fd, body, blen, MSG_NOSIGNAL);
		free(body);
	}
	close(fd);
}
