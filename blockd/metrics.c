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
#include "evlog.h"
#include "match.h"
#include "metrics.h"
#include "nfq.h"
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

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static void
help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* One counter summed over the workers. */
#define SUM(field)                                            \
	({                                                    \
		uint64_t s_ = 0;                              \
		for (unsigned i_ = 0; i_ < d->nworkers; i_++) \
			s_ += LD(d->workers[i_].field);       \
		s_;                                           \
	})

void
metrics_render(const struct blockd *d, FILE *out)
{
	static const char *const methods[] = {"dns", "tls", "quic", "http"};
	struct evlog_stats es = {0};
	uint64_t inspected[4], blocked[4];
	const struct match_snapshot *snap;
	unsigned i;

	help(out, "blockd_queue_packets_total", "counter",
	    "Packets received from each NFQUEUE queue, by verdict.");
	for (i = 0; i < d->nworkers; i++) {
		const struct nfqueue_counters *q = &d->workers[i].q.c;

		fprintf(out, "blockd_queue_packets_total{queue=\"%u\",verdict=\"accept\"} %llu\n",
		    d->workers[i].queue, (unsigned long long)LD(q->accepted));
		fprintf(out, "blockd_queue_packets_total{queue=\"%u\",verdict=\"drop\"} %llu\n",
		    d->workers[i].queue, (unsigned long long)LD(q->dropped));
	}
	help(out, "blockd_queue_missed_total", "counter",
	    "Packets the kernel queued but blockd never saw (queue overflow, fail-open).");
	for (i = 0; i < d->nworkers; i++)
		fprintf(out, "blockd_queue_missed_total{queue=\"%u\"} %llu\n", d->workers[i].queue,
		    (unsigned long long)LD(d->workers[i].q.c.missed));
	help(out, "blockd_queue_enobufs_total", "counter",
	    "Times a queue's netlink socket ran out of buffer.");
	for (i = 0; i < d->nworkers; i++)
		fprintf(out, "blockd_queue_enobufs_total{queue=\"%u\"} %llu\n", d->workers[i].queue,
		    (unsigned long long)LD(d->workers[i].q.c.enobufs));

	inspected[0] = SUM(c.dns_queries);
	blocked[0] = SUM(c.dns_blocked);
	inspected[1] = SUM(c.tls_hellos);
	blocked[1] = SUM(c.tls_blocked) + SUM(c.tls_no_sni_blocked);
	inspected[2] = SUM(c.quic_initials);
	blocked[2] = SUM(c.quic_blocked);
	inspected[3] = SUM(c.http_requests);
	blocked[3] = SUM(c.http_blocked);
	help(out, "blockd_inspected_total", "counter",
	    "DNS queries, TLS ClientHellos, QUIC Initials and HTTP requests read.");
	for (i = 0; i < 4; i++)
		fprintf(out, "blockd_inspected_total{method=\"%s\"} %llu\n", methods[i],
		    (unsigned long long)inspected[i]);
	help(out, "blockd_blocked_total", "counter", "Of those, blocked.");
	for (i = 0; i < 4; i++)
		fprintf(out, "blockd_blocked_total{method=\"%s\"} %llu\n", methods[i],
		    (unsigned long long)blocked[i]);
	help(out, "blockd_passed_total", "counter", "Of those, passed.");
	for (i = 0; i < 4; i++)
		fprintf(out, "blockd_passed_total{method=\"%s\"} %llu\n", methods[i],
		    (unsigned long long)(inspected[i] > blocked[i] ? inspected[i] - blocked[i]
								   : 0));
	help(out, "blockd_unreadable_total", "counter",
	    "Packets passed because they could not be read (malformed, fragments, not the "
	    "protocol).");
	fprintf(out, "blockd_unreadable_total %llu\n",
	    (unsigned long long)(SUM(c.dns_bad) + SUM(c.tls_not_tls) + SUM(c.http_other) +
		SUM(c.quic_other) + SUM(c.pkt_truncated)));
	help(out, "blockd_flows_without_buffer_total", "counter",
	    "Flows passed undecided because no stream buffer was free.");
	fprintf(out, "blockd_flows_without_buffer_total %llu\n",
	    (unsigned long long)SUM(c.flow_no_stream));
	help(out, "blockd_evasive_total", "counter",
	    "TLS and QUIC hellos whose repeated bytes disagreed (segments, CRYPTO frames).");
	fprintf(out, "blockd_evasive_total{method=\"tls\"} %llu\n",
	    (unsigned long long)SUM(c.tls_evasive));
	fprintf(out, "blockd_evasive_total{method=\"quic\"} %llu\n",
	    (unsigned long long)SUM(c.quic_evasive));
	help(out, "blockd_fake_segments_total", "counter",
	    "TCP segments left unread because the server would not take them, by reason.");
	fprintf(out, "blockd_fake_segments_total{reason=\"checksum\"} %llu\n",
	    (unsigned long long)SUM(c.tcp_bad_checksum));
	fprintf(out, "blockd_fake_segments_total{reason=\"ttl\"} %llu\n",
	    (unsigned long long)SUM(c.tcp_low_ttl));
	help(out, "blockd_unjudged_total", "counter",
	    "Flows still undecided at the last packet the rules queue: TLS hellos not yet whole, "
	    "HTTP connections whose later requests pass, QUIC flows with no hello read.");
	fprintf(out, "blockd_unjudged_total{method=\"tls\"} %llu\n",
	    (unsigned long long)SUM(c.tls_unfinished));
	fprintf(out, "blockd_unjudged_total{method=\"http\"} %llu\n",
	    (unsigned long long)SUM(c.http_unjudged));
	fprintf(out, "blockd_unjudged_total{method=\"quic\"} %llu\n",
	    (unsigned long long)SUM(c.quic_unfinished));
	help(out, "blockd_flows", "gauge",
	    "TLS, HTTP and QUIC flows in each queue's flow table, at its last batch.");
	for (i = 0; i < d->nworkers; i++)
		fprintf(out, "blockd_flows{queue=\"%u\"} %llu\n", d->workers[i].queue,
		    (unsigned long long)LD(d->workers[i].c.flows_active));
	help(out, "blockd_flow_capacity", "gauge", "Flows each queue's table has room for.");
	for (i = 0; i < d->nworkers; i++)
		fprintf(out, "blockd_flow_capacity{queue=\"%u\"} %llu\n", d->workers[i].queue,
		    (unsigned long long)LD(d->workers[i].c.flows_capacity));
	help(out, "blockd_flows_evicted_total", "counter",
	    "Live flows dropped from a full table, oldest first.");
	fprintf(out, "blockd_flows_evicted_total %llu\n", (unsigned long long)SUM(c.flows_evicted));
	help(out, "blockd_flow_streams_in_use", "gauge",
	    "Stream buffers held by flows still waiting for a name.");
	fprintf(
	    out, "blockd_flow_streams_in_use %llu\n", (unsigned long long)SUM(c.streams_in_use));
	help(out, "blockd_inject_errors_total", "counter",
	    "Answers, resets and notices that could not be sent.");
	fprintf(out, "blockd_inject_errors_total %llu\n", (unsigned long long)SUM(c.inject_errors));

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
