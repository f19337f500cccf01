/* Prometheus metrics: the daemon's counters as text, served over HTTP on a loopback address. */
#ifndef BLOCKD_METRICS_H
#define BLOCKD_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct blockd;
struct metrics;

/*
 * metrics_open(): listens on listen ("127.0.0.1:9153" or "[::1]:9153", as
 * checked by config_load). Returns NULL with the reason in err.
 */
struct metrics *metrics_open(const char *listen, char *err, size_t errlen);
int metrics_fd(const struct metrics *); /* poll it for POLLIN */
/*
 * metrics_serve(): accepts one scrape and answers it with metrics_render().
 * A client that sends no request head within 200 ms is cut off, so the
 * control thread never waits longer.
 */
void metrics_serve(struct metrics *, const struct blockd *d);
void metrics_close(struct metrics *);

/*
 * metrics_render(): every counter in the Prometheus text format (version
 * 0.0.4). Workers' counters are read with relaxed atomic loads; nothing
 * blocks them.
 */
void metrics_render(const struct blockd *d, FILE *out);

#endif
