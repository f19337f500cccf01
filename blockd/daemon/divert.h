/* Diversion by BGP: the divert set kept current and handed to a local BIRD, announced while blockd is healthy. */
#ifndef BLOCKD_DIVERT_H
#define BLOCKD_DIVERT_H

#include <stdint.h>
#include <stdio.h>

struct blockd_config;
struct match_snapshot;
struct evlog;

/*
 * With [divert] bird_socket set, the core routers send the appliance only
 * the traffic whose destination is in the divert set: the list's address
 * and prefix entries, the prefixes its orders name (divert), the addresses
 * its names resolve to (through
 * [divert] resolver, refreshed at their TTL, at most resolve_rate names a
 * second) and the operator's prefixes; at most [divert] max prefixes, the
 * list's own first. The set is written as BIRD static routes into
 * [divert] include and BIRD is told to reconfigure through its control
 * socket; a new version at most once a second.
 *
 * failure = open: the routes go via the liveness interface (tun.h), which
 * is up only while blockd is healthy (no fail-open period in progress), and
 * which the kernel removes when blockd exits for any reason; BIRD then
 * withdraws the routes and the core sends the traffic elsewhere. failure =
 * closed: the routes are blackhole routes, announced whether blockd runs or
 * not. Each withdrawal and announcement is recorded in the enforcement log.
 *
 * Threads. Resolution and BIRD run on the divert thread; the control
 * thread hands it each new list (divert_list()) and the health
 * (divert_health()), and reads its status (divert_answer()); neither waits
 * on the other but for a short lock.
 */
struct divert;

/*
 * divert_open(): NULL with *err empty when [divert] is off; else the
 * interface created (down) and the set empty. NULL with the reason in err
 * when it cannot be made.
 */
struct divert *divert_open(
    const struct blockd_config *cfg, struct evlog *log, char *err, size_t errlen);
/* divert_run(): the thread started (after the hooks are installed). 0, or -1 with err. */
int divert_run(struct divert *, char *err, size_t errlen);
/* divert_list(): the snapshot about to be in force (NULL: none); its entries are copied. */
void divert_list(struct divert *, const struct match_snapshot *snap);
/*
 * divert_health(): from the control thread's tick: healthy is 0 while a
 * fail-open period is in progress. Takes the interface up or down when it
 * changes, and records it.
 */
void divert_health(struct divert *, int healthy, const char *why);
/* divert_close(): interface down (routes withdrawn), thread stopped, all freed. NULL is fine. */
void divert_close(struct divert *);
/* divert_answer(): blockctl divert: the state, the set's version, counts and prefixes. */
int divert_answer(struct divert *, int json, FILE *out);

#endif
