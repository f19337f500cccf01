/* The shared current snapshot: lock-free readers, epoch-based reclamation on swap. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "match.h"

/*
 * Each reader slot holds the global epoch it saw on entering, or 0 while
 * outside (snapref_enter() and snapref_leave(), match.h). A swap publishes
 * the new snapshot, advances the epoch, and frees the old one once every
 * slot is 0 or has caught up with the new epoch: such a reader entered
 * after the publication and cannot hold the old one. Readers never wait
 * and never write anything shared but their own slot.
 */

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
