/* Unit tests for snapref.c: lock-free readers across snapshot swaps (run under ASan too). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "match/match.h"
#include "match_testlist.h"

static struct match_snapshot *
gen_snapshot(uint64_t serial)
{
	static const struct tent t[] = {
	    {RULE_SUFFIX, "blocked.test", 0},
	    {RULE_IPV4, "192.0.2.0/24", 0},
	};
	struct rulelist *l = tl_make(t, 2, NULL, 1, serial);
	struct match_snapshot *s = NULL;
	char err[128];

	cr_assert_eq(match_build(l, NULL, 0, &s, err, sizeof(err)), 0, "%s", err);
	return s;
}

struct reader_arg {
	struct snapref *ref;
	unsigned slot;
	atomic_int *stop;
	unsigned long lookups;
	int bad;
};

static void *
reader(void *p)
{
	struct reader_arg *a = p;
	uint64_t last = 0;

	while (!atomic_load(a->stop)) {
		const struct match_snapshot *s = snapref_enter(a->ref, a->slot);

		if (s != NULL) {
			uint64_t serial = match_list(s)->serial;

			/* Touch the snapshot's memory: a freed one trips ASan here. */
			if (match_domain(s, "www.blocked.test", 16, 1, NULL) != MATCH_BLOCK)
				a->bad++;
			if (serial < last)
				a->bad++; /* went back to an older list */
			last = serial;
			a->lookups++;
		}
		snapref_leave(a->ref, a->slot);
	}
	return NULL;
}

Test(snapref, swaps_under_concurrent_readers)
{
	enum { NREADERS = 3, NSWAPS = 300 };
	struct snapref *ref = snapref_create(NREADERS);
	pthread_t th[NREADERS];
	struct reader_arg arg[NREADERS];
	atomic_int stop = 0;
	unsigned i;

	cr_assert_not_null(ref);
	cr_assert_null(snapref_enter(ref, 0), "no snapshot before the first list");
	snapref_leave(ref, 0);
	cr_assert_null(snapref_peek(ref));
	for (i = 0; i < NREADERS; i++) {
		arg[i] = (struct reader_arg){ref, i, &stop, 0, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, reader, &arg[i]), 0);
	}
	for (i = 1; i <= NSWAPS; i++) {
		snapref_swap(ref, gen_snapshot(i));
		cr_assert_eq(match_list(snapref_peek(ref))->serial, i);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < NREADERS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(arg[i].bad, 0, "reader %u saw a wrong or older snapshot", i);
		cr_assert_gt(arg[i].lookups, 0);
	}
	snapref_destroy(ref);
}

struct pin_arg {
	struct snapref *ref;
	atomic_int entered, left;
	const struct match_snapshot *seen;
};

static void *
pinning_reader(void *p)
{
	struct pin_arg *a = p;

	a->seen = snapref_enter(a->ref, 0);
	atomic_store(&a->entered, 1);
	nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	/* Still pinned: the old snapshot must be intact. */
	if (a->seen != NULL && match_list(a->seen)->serial == 1)
		atomic_store(&a->left, 1);
	snapref_leave(a->ref, 0);
	return NULL;
}

Test(snapref, swap_waits_for_a_pinned_reader)
{
	struct snapref *ref = snapref_create(2);
	struct pin_arg a = {0};
	pthread_t th;
	struct timespec poll = {0, 1000000};
	const struct match_snapshot *s;

	a.ref = ref;
	snapref_swap(ref, gen_snapshot(1));
	cr_assert_eq(pthread_create(&th, NULL, pinning_reader, &a), 0);
	while (!atomic_load(&a.entered))
		nanosleep(&poll, NULL);
	snapref_swap(ref, gen_snapshot(2));
	cr_assert_eq(atomic_load(&a.left), 1, "swap returned while a reader held the old snapshot");
	pthread_join(th, NULL);

	s = snapref_enter(ref, 1);
	cr_assert_eq(match_list(s)->serial, 2, "a new reader sees the new snapshot");
	snapref_leave(ref, 1);
	snapref_destroy(ref);
}
