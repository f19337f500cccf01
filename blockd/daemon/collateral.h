/* Staged address entries: observed before they are enforced, and held when they carry unrelated services. */
#ifndef BLOCKD_COLLATERAL_H
#define BLOCKD_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct blockd_config;
struct match_snapshot;
struct evlog;
struct worker;
struct pkt;

/*
 * A new ip or prefix entry (one not in force in the list accepted before)
 * is first observed for [safeguards] observe: it stays out of the kernel's
 * block sets, and every flow to it a worker reads (TLS and QUIC hellos,
 * HTTP requests) passes, is logged as an observe event and is measured:
 * the server names seen (cohost.h), the subscribers by pseudonym. At the
 * end of the window the entry is enforced, or held if it carries more
 * unlisted registrable domains than collateral_max and its order does not
 * say "shared yes"; either is recorded in the enforcement log.
 *
 * Threads. Workers call collateral_seen() only: it reads the published
 * stage (which entries are observed or held, for which snapshot) with one
 * atomic load, and hands what it saw to its own fixed ring; it never
 * blocks, never allocates, and drops (counted) what a full ring cannot
 * take. Everything else runs on the control thread, which owns the state:
 * it folds the rings once a second, decides, and keeps the state across
 * reloads (in memory) and restarts (STATE_DIR/collateral.state).
 */
struct collateral;

/*
 * collateral_open(): before the workers start; nworkers rings. The public
 * suffix list is read from cfg (without it, a name's last two labels make
 * its domain). Returns NULL with err (out of memory).
 */
struct collateral *collateral_open(
    const struct blockd_config *cfg, unsigned nworkers, char *err, size_t errlen);
/* collateral_close(): after the workers stopped. NULL is fine. */
void collateral_close(struct collateral *);

/*
 * collateral_list(): next is about to be published (snapref_swap()), or
 * NULL. Its address entries are matched with those known: new ones start
 * their window now (at start, a list restored from state_dir keeps what
 * it enforced, fresh 0; a list accepted fresh at start is observed whole
 * but for what the state file says), known ones keep their state. The
 * stage for next is published to the workers at once; the previous one is
 * freed by collateral_published(), after the swap.
 */
void collateral_list(struct collateral *, const struct match_snapshot *next, int fresh,
    struct evlog *log, int64_t now);
void collateral_published(struct collateral *);

/*
 * collateral_held(): for ipset_build(): the bitmap over s's entries of
 * those kept out of the kernel's sets (observed or held), or NULL (none,
 * or s is not the snapshot the stage was built for).
 */
const uint8_t *collateral_held(const struct collateral *, const struct match_snapshot *s);

/*
 * collateral_tick(): the control thread's tick: fold what the workers saw
 * (cur is the snapshot in force), then decide every entry whose window
 * ended (recorded in log). Returns 1 if an entry left the held bitmap (the
 * kernel's sets must be rebuilt), else 0.
 */
int collateral_tick(
    struct collateral *, const struct match_snapshot *cur, struct evlog *log, int64_t now);

/*
 * collateral_seen(): the packet path, once per hello or request read on a
 * flow: name (len bytes, need not be NUL-terminated; NULL for none) seen
 * on p, going to p's destination, by method (enum ev_method). Nothing
 * happens unless an observed or held entry covers the destination.
 */
void collateral_seen(struct worker *, const struct match_snapshot *snap, const struct pkt *p,
    int method, const char *name, size_t len);

/* collateral_counts(): entries observed now, and held. */
void collateral_counts(const struct collateral *, size_t *observing, size_t *held);

/*
 * collateral_answer(): blockctl collateral [ENTRY]: each observed, held or
 * observed-then-enforced entry (only ENTRY's, an address or prefix, if not
 * NULL) with what was seen on it, as text or JSON, to out. Returns an exit
 * status: 0, or 1 if ENTRY is not a staged entry.
 */
int collateral_answer(const struct collateral *, const struct match_snapshot *cur,
    const char *entry, int json, int64_t now, FILE *out);

#endif
