/* The shared current snapshot: lock-free readers, epoch-based reclamation on swap. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "match.h"

/*
 * Each reader slot holds the global epoch it saw on entering, or 0 while
 * outside. A swap publishes the new snapshot, advances the epoch, and frees
 * the old one once every slot is 0 or has caught up with the new epoch:
 * such a reader entered after the publication and cannot hold the old one.
 * Readers never wait and never write anything shared but their own slot.
 */
struct reader_slot {
	_Atomic uint64_t epoch;
	char pad[64 - sizeof(uint64_t)]; /* one cache line per reader */
};

struct snapref {
	_Atomic(struct match_snapshot *) cur;
	_Atomic uint64_t epoch;
	pthread_mutex_t swap_lock; /* swaps come from the control thread; serialise anyway */
	unsigned nreaders;
	struct reader_slot *readers;
};

struct snapref *
snapref_create(unsigned nreaders)
{
	struct snapref *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (nreaders > 0 &&
	    posix_memalign((void **)&r->readers, 64, nreaders * sizeof(*r->readers)) != 0) {
		free(r);
		return NULL;
	}
	for (unsigned i = 0; i < nreaders; i++)
		atomic_init(&r->readers[i].epoch, 0);
	r->nreaders = nreaders;
	atomic_init(&r->cur, NULL);
	atomic_init(&r->epoch, 1);
	pthread_mutex_init(&r->swap_lock, NULL);
	return r;
}

void
snapref_destroy(struct snapref *r)
{
	if (r == NULL)
		return;
	match_free(atomic_load(&r->cur));
	pthread_mutex_destroy(&r->swap_lock);
	free(r->readers);
	free(r);
}

const struct match_snapshot *
snapref_enter(struct snapref *r, unsigned reader)
{
	/* Announce first, then read the pointer: the swap side checks in the opposite order. */
	atomic_store(&r->readers[reader].epoch, atomic_load(&r->epoch));
	return atomic_load(&r->cur);
}

void
snapref_leave(struct snapref *r, unsigned reader)
{
	atomic_store_explicit(&r->readers[reader].epoch, 0, memory_order_release);
}

void
snapref_swap(struct snapref *r, struct match_snapshot *s)
{
	struct match_snapshot *old;
	uint64_t e;
	unsigned i;

	pthread_mutex_lock(&r->swap_lock);
	old = atomic_exchange(&r->cur, s);
	e = atomic_fetch_add(&r->epoch, 1) + 1;
	for (i = 0; i < r->nreaders; i++) {
		for (;;) {
			uint64_t v = atomic_load(&r->readers[i].epoch);

			if (v == 0 || v >= e)
				break;
			/* A worker is inside a batch on the old snapshot: it leaves within microseconds. */
			nanosleep(&(struct timespec){0, 50000}, NULL);
		}
	}
	pthread_mutex_unlock(&r->swap_lock);
	match_free(old);
}

const struct match_snapshot *
snapref_peek(struct snapref *r)
{
	return atomic_load(&r->cur);
}
