/* The daemon's start, step by step: monotonic and CPU time at each, for the log and blockctl status. */
#ifndef BLOCKD_STARTPROF_H
#define BLOCKD_STARTPROF_H

#include <stdint.h>

#define STARTPROF_MAX 32

/*
 * One mark a step: the step's name (a string constant, not copied), the
 * monotonic clock when it ended, and the CPU the process and its waited-for
 * children (nft, iptables) had used by then, in microseconds.
 */
struct startprof_mark {
	const char *step;
	uint64_t mono_us;
	uint64_t cpu_us;
};

struct startprof {
	struct startprof_mark m[STARTPROF_MAX];
	unsigned n;            /* marks taken; past STARTPROF_MAX further ones are not kept */
	uint64_t enforcing_us; /* monotonic: the list, the queues and the rules all in force */
};

/* startprof_mark(): a mark for step (which ended now); also an accept_policy's phase callback. */
void startprof_mark(void *prof, const char *step);

/* startprof_enforcing(): now, everything is in force (the last mark's time). */
void startprof_enforcing(struct startprof *);

/* startprof_log(): the steps on one debug line: "start: STEP MS ms (CPU MS ms), ...". */
void startprof_log(const struct startprof *);

struct jbuf;

/*
 * startprof_json(): "start":{"main_mono_us":N,"enforcing_mono_us":N,"cpu_us":N,
 * "steps":{STEP:{"us":N,"cpu_us":N},...}} into blockctl status --json, each step's
 * time since the one before, in the order taken; nothing before the first mark.
 */
void startprof_json(const struct startprof *, struct jbuf *j);

#endif
