/* Per-client shares of a worker's flow slots and stream buffers: counts by source address. */
#ifndef BLOCKD_CLIENTS_H
#define BLOCKD_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * How many flow slots and stream buffers each client holds in one
 * worker's flow table, so that one client cannot take more than its share
 * and leave every other subscriber's flows unjudged. A client is an IPv4
 * address, or an IPv6 /64 (one subscriber's prefix: a host picks any
 * address in it). Counts are kept exactly by the caller: client_take()
 * when a flow or buffer is taken, client_give() when it goes back (the
 * flow table's drop hook for flows it removes itself). An entry whose
 * counts are both 0 is removed. Fixed size, allocated once; one per
 * worker thread, no locks.
 */

enum client_res {
	CLIENT_FLOWS = 0, /* flow slots */
	CLIENT_STREAMS,   /* stream buffers */
};

struct client_table;

/*
 * client_table_create(): room for clients distinct clients (at least one
 * per flow slot, so it never fills while counts are exact); seed keys the
 * hash. NULL if clients is 0 or memory is short.
 */
struct client_table *client_table_create(uint32_t clients, uint64_t seed);
void client_table_destroy(struct client_table *);

/*
 * client_take(): counts one more of res for the client of addr (family 4:
 * 4 bytes, 6: 16 bytes, of which the first 8 count), unless it holds cap
 * already or the table is full. Returns 0 (taken), or -1 (not taken).
 */
int client_take(struct client_table *, int family, const uint8_t *addr, int res, uint32_t cap);
/* client_give(): one fewer of res for that client; nothing if it holds none. */
void client_give(struct client_table *, int family, const uint8_t *addr, int res);
/* client_held(): how many of res that client holds. */
uint32_t client_held(const struct client_table *, int family, const uint8_t *addr, int res);
/* client_count(): clients holding anything. */
uint32_t client_count(const struct client_table *);

#endif
