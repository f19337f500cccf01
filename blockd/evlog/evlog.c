/* The enforcement log writer: events and state records to hash-chained JSON Lines, off the packet path. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "evlog.h"
#include "evlog_files.h"
#include "evlog_recover.h"
#include "fileio.h"
#include "base/log.h"
#include "logverify.h"
#include "pseudonym.h"

#define OBUF_SIZE   ((size_t)256 * 1024)
#define LINE_SIZE   (EVREC_LINE_MAX)
#define IDLE_MS     5
#define DRAIN_BATCH 4096 /* records per pass between fsync/rotation checks */

#ifndef BLOCKD_VERSION
#define BLOCKD_VERSION "unknown"
#endif

/*
 * The queue is a bounded multi-producer ring (after D. Vyukov's design):
 * each slot's turn says whose move it is, so producers claim a slot with
 * one compare-and-swap and never wait for the writer or each other's I/O.
 * Each slot also carries the drop counter as its producer saw it, so the
 * writer places a "dropped" record where the loss happened.
 * A slot holds its turn less its own index, so the ring starts as zeros:
 * fresh pages of an anonymous mapping, which take no memory until an event
 * first reaches them.
 */
struct slot {
	_Atomic uint64_t turn; /* read and written through turn_load() and turn_store() */
	uint64_t drops;
	struct event ev;
} __attribute__((aligned(64)));

/* A state record waiting for the writer; ticket orders it among the events. */
struct pending {
	struct pending *next;
	uint64_t ticket;
	struct evrec r;
};

/* Padding between the producers' and the writer's fields is on purpose: no false sharing. */
struct evlog {              // NOLINT(clang-analyzer-optin.performance.Padding)
	struct slot *slots; /* an anonymous mapping of slots_bytes */
	size_t slots_bytes;
	uint64_t mask;
	_Atomic uint64_t enq_pos __attribute__((aligned(64)));
	_Atomic uint64_t dropped __attribute__((aligned(64)));
	atomic_int reopen_req, rotate_req, sync_req, stopping;
	_Atomic uint64_t sync_gen; /* fsyncs asked for by evlog_flush() and done */

	/* State records and the writer's sleep. */
	pthread_mutex_t mu;
	pthread_cond_t wake, progress;
	struct pending *st_head, *st_tail;
	_Atomic unsigned nstates; /* lets the writer skip the mutex when there are none */
	int waiters;
	pthread_t thread;
	int threaded;

	/* The writer's own state. */
	_Atomic uint64_t deq_pos; /* only the writer stores it */
	uint64_t drops_logged;
	uint64_t seq;                  /* last seq written */
	char prev[EVREC_HASH_HEX + 1]; /* hash of the last record */
	uint64_t serial;               /* in force, for state records */
	int fd;
	uint64_t file_bytes;
	int64_t opened_us;
	int64_t last_sync_ms;
	int dirty;
	int write_failing;
	char *obuf;
	size_t olen;
	char line[LINE_SIZE];
	struct pseudonym ps;
	struct lv_hasher hasher;
	_Atomic uint64_t written, rotations, write_errors;

	char path[4096];
	char state_dir[4096];
	char appliance[128];
	unsigned fsync_ms;
	uint64_t rotate_bytes;
	unsigned rotate_seconds;
	int raw;
	int64_t (*now_fn)(void *);
	void *now_arg;
};

void
evlog_opts_config(struct evlog_opts *o, const struct blockd_config *c)
{
	memset(o, 0, sizeof(*o));
	o->path = c->log_path;
	o->state_dir = c->state_dir;
	o->appliance_id = c->appliance_id;
	o->queue = c->log_queue;
	o->fsync_interval_ms = c->fsync_interval_ms;
	o->rotate_bytes = c->rotate_bytes;
	o->rotate_seconds = c->rotate_seconds;
	o->raw_addresses = c->raw_addresses;
}

static int64_t
now_us(struct evlog *l)
{
	struct timespec ts;

	if (l->now_fn != NULL)
		return l->now_fn(l->now_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t
turn_load(const struct evlog *l, struct slot *s)
{
	return atomic_load_explicit(&s->turn, memory_order_acquire) + (uint64_t)(s - l->slots);
}

static inline void
turn_store(const struct evlog *l, struct slot *s, uint64_t turn)
{
	atomic_store_explicit(&s->turn, turn - (uint64_t)(s - l->slots), memory_order_release);
}

struct event *
evlog_reserve(struct evlog *l, struct evlog_ticket *t)
{
	uint64_t pos = atomic_load_explicit(&l->enq_pos, memory_order_relaxed);
	struct slot *s;
	int64_t dif;

	for (;;) {
		s = &l->slots[pos & l->mask];
		dif = (int64_t)(turn_load(l, s) - pos);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&l->enq_pos, &pos, pos + 1,
				memory_order_relaxed, memory_order_relaxed))
				break;
		} else if (dif < 0) {
			atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
			return NULL;
		} else
			pos = atomic_load_explicit(&l->enq_pos, memory_order_relaxed);
	}
	s->drops = atomic_load_explicit(&l->dropped, memory_order_relaxed);
	t->pos = pos;
	return &s->ev;
}

void
evlog_commit(struct evlog *l, const struct evlog_ticket *t)
{
	turn_store(l, &l->slots[t->pos & l->mask], t->pos + 1);
}

int
evlog_append(struct evlog *l, const struct event *ev)
{
	struct evlog_ticket t;
	struct event *slot = evlog_reserve(l, &t);

	if (slot == NULL)
		return -1;
	*slot = *ev;
	evlog_commit(l, &t);
	return 0;
}

static void
push_state(struct evlog *l, struct pending *p)
{
	pthread_mutex_lock(&l->mu);
	/* Events claimed before this point are written before this record. */
	p->ticket = atomic_load_explicit(&l->enq_pos, memory_order_acquire);
	p->next = NULL;
	if (l->st_tail != NULL)
		l->st_tail->next = p;
	else
		l->st_head = p;
	l->st_tail = p;
	atomic_fetch_add(&l->nstates, 1);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
}

static struct pending *
new_state(int state, uint64_t serial, const char *fmt, va_list ap)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->r.kind = EVREC_STATE;
	p->r.state = state;
	p->r.serial = serial;
	if (fmt != NULL)
		vsnprintf(p->r.reason, sizeof(p->r.reason), fmt, ap);
	return p;
}

static struct pending *make_state(int state, uint64_t serial, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct pending *
make_state(int state, uint64_t serial, const char *fmt, ...)
{
	struct pending *p;
	va_list ap;

	va_start(ap, fmt);
	p = new_state(state, serial, fmt, ap);
	va_end(ap);
	return p;
}

void
evlog_state(struct evlog *l, int state, uint64_t serial, const char *fmt, ...)
{
	struct pending *p;
	va_list ap;

	va_start(ap, fmt);
	p = new_state(state, serial, fmt, ap);
	va_end(ap);
	if (p == NULL) {
		log_warnx("evlog: out of memory: %s record lost", evrec_state_name(state));
		return;
	}
	push_state(l, p);
}

void
evlog_reopen(struct evlog *l)
{
	atomic_store(&l->reopen_req, 1);
}

void
evlog_rotate(struct evlog *l)
{
	atomic_store(&l->rotate_req, 1);
}

/* Write out obuf. 0, or -1 with what is left kept for the next try. */
static int
flush_out(struct evlog *l)
{
	size_t off = 0;
	ssize_t n;

	while (off < l->olen) {
		n = write(l->fd, l->obuf + off, l->olen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!l->write_failing)
				log_warn("evlog: write %s (records kept in memory and retried)",
				    l->path);
			l->write_failing = 1;
			atomic_fetch_add_explicit(&l->write_errors, 1, memory_order_relaxed);
			memmove(l->obuf, l->obuf + off, l->olen - off);
			l->olen -= off;
			l->file_bytes += off;
			return -1;
		}
		off += (size_t)n;
		l->dirty = 1;
	}
	if (l->write_failing)
		log_info("evlog: writing %s again", l->path);
	l->write_failing = 0;
	l->file_bytes += l->olen;
	l->olen = 0;
	return 0;
}

/* Chain the formatted line in jb into obuf. */
static void
emit(struct evlog *l, struct jbuf *jb)
{
	if (jb->overflow) {
		/* Cannot happen with bounded event fields; never write half a record. */
		log_warnx("evlog: record seq %" PRIu64 " too long, not written", l->seq);
		l->seq--;
		return;
	}
	memcpy(l->obuf + l->olen, jb->p, jb->len);
	l->olen += jb->len;
	lv_hasher_hex(&l->hasher, jb->p, jb->len, l->prev);
	atomic_fetch_add_explicit(&l->written, 1, memory_order_relaxed);
}

static void rotate_log(struct evlog *);
static int save_head(struct evlog *, const char *state);

/* Room for one more record, writing out (and rotating by size) if needed. 0, or -1 if the disk refuses. */
static int
room(struct evlog *l)
{
	if (OBUF_SIZE - l->olen >= LINE_SIZE)
		return 0;
	if (flush_out(l) < 0)
		return -1;
	if (l->rotate_bytes > 0 && l->file_bytes >= l->rotate_bytes)
		rotate_log(l);
	return 0;
}

static void
write_state(struct evlog *l, struct evrec *r)
{
	struct jbuf jb;

	r->seq = ++l->seq;
	r->time_us = now_us(l);
	if (r->serial == 0)
		r->serial = l->serial;
	if (r->state == EVS_RELOAD)
		l->serial = r->serial;
	snprintf(r->appliance, sizeof(r->appliance), "%s", l->appliance);
	jbuf_init(&jb, l->line, sizeof(l->line));
	evrec_format_state(&jb, r, l->prev);
	emit(l, &jb);
}

static void
write_drops(struct evlog *l, uint64_t upto)
{
	struct evrec r;

	memset(&r, 0, sizeof(r));
	r.kind = EVREC_STATE;
	r.state = EVS_DROPPED;
	r.count = upto - l->drops_logged;
	r.after_seq = l->seq;
	snprintf(r.reason, sizeof(r.reason), "%" PRIu64 " events dropped: the log queue was full",
	    r.count);
	l->drops_logged = upto;
	write_state(l, &r);
}

/* Move the pseudonym key to day, overwriting the file so the old day's key is gone. */
static void
advance_key(struct evlog *l, int64_t day)
{
	char kp[4200];

	if (l->raw || !pseudonym_advance(&l->ps, day))
		return;
	snprintf(kp, sizeof(kp), "%s/" EVLOG_KEY_FILE, l->state_dir);
	pseudonym_save(&l->ps, kp);
}

static void
write_event(struct evlog *l, const struct event *ev)
{
	char sub[INET6_ADDRSTRLEN + 1];
	struct jbuf jb;
	int64_t day;

	if (l->raw) {
		/*
		 * Only when [log] raw_addresses says so: some jurisdictions
		 * require the address itself in enforcement records. The log
		 * then holds personal data and falls under data protection
		 * law in full; the default is the daily pseudonym.
		 */
		if (inet_ntop(ev->family == 6 ? AF_INET6 : AF_INET, ev->client, sub, sizeof(sub)) ==
		    NULL)
			snprintf(sub, sizeof(sub), "?");
	} else {
		day = evrec_day((int64_t)ev->time_us);
		advance_key(l, day);
		pseudonym_of(&l->ps, day, ev->family, ev->client, sub);
	}
	if (ev->serial != 0)
		l->serial = ev->serial;
	jbuf_init(&jb, l->line, sizeof(l->line));
	evrec_format_event(&jb, ev, ++l->seq, l->appliance, sub, l->raw, l->prev);
	emit(l, &jb);
}

/* The next state record whose ticket says it goes before event position pos, or NULL. */
static struct pending *
take_state(struct evlog *l, uint64_t pos, int any)
{
	struct pending *p = NULL;

	if (atomic_load_explicit(&l->nstates, memory_order_acquire) == 0)
		return NULL;
	pthread_mutex_lock(&l->mu);
	if (l->st_head != NULL && (any || l->st_head->ticket <= pos)) {
		p = l->st_head;
		l->st_head = p->next;
		if (l->st_head == NULL)
			l->st_tail = NULL;
		atomic_fetch_sub(&l->nstates, 1);
	}
	pthread_mutex_unlock(&l->mu);
	return p;
}

/* Format everything queued into obuf (writing it out as it fills). Returns records made. */
static int
drain(struct evlog *l)
{
	struct pending *p;
	struct slot *s;
	uint64_t before = atomic_load_explicit(&l->written, memory_order_relaxed), d;
	int batch;

	/* A bounded batch, so fsync and rotation still happen under constant load. */
	for (batch = 0; batch < DRAIN_BATCH; batch++) {
		if (room(l) < 0)
			break;
		s = &l->slots[l->deq_pos & l->mask];
		if (turn_load(l, s) != l->deq_pos + 1) {
			/* Nothing ready: states left, then losses nobody has stamped yet. */
			if ((p = take_state(l, l->deq_pos, 1)) != NULL) {
				write_state(l, &p->r);
				free(p);
				continue;
			}
			d = atomic_load_explicit(&l->dropped, memory_order_acquire);
			if (d > l->drops_logged)
				write_drops(l, d);
			break;
		}
		if ((p = take_state(l, l->deq_pos, 0)) != NULL) {
			write_state(l, &p->r);
			free(p);
			continue;
		}
		if (s->drops > l->drops_logged) {
			write_drops(l, s->drops);
			if (room(l) < 0)
				break;
		}
		write_event(l, &s->ev);
		turn_store(l, s, l->deq_pos + l->mask + 1);
		atomic_store_explicit(&l->deq_pos, l->deq_pos + 1, memory_order_release);
	}
	if (l->olen > 0)
		flush_out(l);
	return (int)(atomic_load_explicit(&l->written, memory_order_relaxed) - before);
}

static void
sync_file(struct evlog *l)
{
	if (l->dirty && fdatasync(l->fd) < 0)
		log_warn("evlog: fdatasync %s", l->path);
	l->dirty = 0;
	l->last_sync_ms = mono_ms();
}

static int
open_log(struct evlog *l)
{
	struct stat st;
	int fd;

	fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_warn("evlog: open %s", l->path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("evlog: stat %s", l->path);
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->file_bytes = (uint64_t)st.st_size;
	l->opened_us = now_us(l);
	return 0;
}

static void
reopen_log(struct evlog *l)
{
	int old = l->fd;

	sync_file(l);
	if (open_log(l) < 0) {
		l->fd = old; /* keep writing where we were */
		return;
	}
	close(old);
}

/* The rotated name for a file rotated at when: PATH.20261121T212723.123456Z, one not taken. */
static void
archive_name(struct evlog *l, int64_t when, char *to, size_t tolen)
{
	char t[32], stamp[32];
	struct stat st;
	int k;

	/*
	 * 2026-11-21T21:27:23.123456Z -> PATH.20261121T212723.123456Z: sorts by
	 * time. A name already taken (a clock set back) moves on by a
	 * microsecond, so every rotated name keeps that form.
	 */
	for (k = 0; k < 1000; k++, when++) {
		evrec_time_fmt(when, t);
		snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2sT%.2s%.2s%.9sZ", t, t + 5, t + 8,
		    t + 11, t + 14, t + 17);
		snprintf(to, tolen, "%s.%s", l->path, stamp);
		if (lstat(to, &st) != 0)
			break;
	}
}

/*
 * Rotation never leaves the live name missing, so a crash at any point
 * finds a current log file:
 *   1. the live file is written out and fsync'd;
 *   2. link(2) gives it its rotated name as well, made durable (fsync of the
 *      directory) before anything else: the records now have two names;
 *   3. an empty file is created under PATH.new (EVLOG_NEXT_SUFFIX) and fsync'd;
 *   4. rename(2) puts it over the live name in one step, and the directory
 *      is fsync'd; the old records keep only their rotated name.
 * A crash between 2 and 4 leaves the rotated name a hard link to the live
 * file (and perhaps PATH.new): evlog_recover() at the next start undoes
 * the rotation. A crash after 4 leaves an empty live file after a rotated
 * one: evlog_recover() continues the chain from the rotated file.
 */
static void
rotate_log(struct evlog *l)
{
	char to[4200], tmp[4200];
	int fd;

	if (flush_out(l) < 0)
		return;
	sync_file(l);
	archive_name(l, now_us(l), to, sizeof(to));
	snprintf(tmp, sizeof(tmp), "%s" EVLOG_NEXT_SUFFIX, l->path);
	if (link(l->path, to) < 0) {
		log_warn("evlog: rotate %s to %s", l->path, to);
		goto later;
	}
	if (file_fsync_dir(l->path) < 0)
		log_warn("evlog: fsync the directory of %s", l->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0 || fsync(fd) < 0) {
		log_warn("evlog: rotate %s: create %s", l->path, tmp);
		goto undo;
	}
	if (rename(tmp, l->path) < 0) {
		log_warn("evlog: rotate %s: rename %s", l->path, tmp);
		goto undo;
	}
	if (file_fsync_dir(l->path) < 0)
		log_warn("evlog: fsync the directory of %s", l->path);
	close(l->fd);
	l->fd = fd;
	l->file_bytes = 0;
	l->opened_us = now_us(l);
	atomic_fetch_add_explicit(&l->rotations, 1, memory_order_relaxed);
	/* A crash before the new file's first record is durable must still find the chain. */
	save_head(l, "running");
	return;
undo:
	/* The live file is the one it was; its second name goes. */
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (unlink(to) < 0)
		log_warn("evlog: unlink %s", to);
later:
	l->opened_us = now_us(l); /* try again after another period */
}

/* Reopen, rotation and fsync, when due. */
static void
maintain(struct evlog *l)
{
	int64_t age, now = now_us(l);
	int req;

	/* Even on a day without events, yesterday's key must not stay on disk. */
	advance_key(l, evrec_day(now));

	if (atomic_exchange(&l->reopen_req, 0)) {
		flush_out(l);
		reopen_log(l);
		save_head(l, "running");
	}
	age = now - l->opened_us;
	if (atomic_exchange(&l->rotate_req, 0) ||
	    (l->file_bytes > 0 && l->rotate_bytes > 0 && l->file_bytes >= l->rotate_bytes) ||
	    (l->file_bytes > 0 && l->rotate_seconds > 0 &&
		age >= (int64_t)l->rotate_seconds * 1000000))
		rotate_log(l);
	req = atomic_exchange(&l->sync_req, 0);
	if (req || (l->dirty && (l->fsync_ms == 0 || mono_ms() - l->last_sync_ms >= l->fsync_ms)))
		sync_file(l);
	if (req)
		atomic_fetch_add(&l->sync_gen, 1);
}

int
evlog_pump(struct evlog *l)
{
	int n = 0, k;

	do {
		k = drain(l);
		n += k;
		maintain(l);
	} while (k > 0 && l->olen == 0);
	if (l->olen > 0)
		return -1;
	return n;
}

static void *
writer_main(void *arg)
{
	struct evlog *l = arg;
	struct timespec ts;
	int n;

	while (!atomic_load(&l->stopping)) {
		n = drain(l);
		maintain(l);
		pthread_mutex_lock(&l->mu);
		if (l->waiters > 0)
			pthread_cond_broadcast(&l->progress);
		if (n == 0 && l->st_head == NULL && !atomic_load(&l->stopping)) {
			/* Producers never signal (no syscalls on the packet path): poll. */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += IDLE_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&l->wake, &l->mu, &ts);
		}
		pthread_mutex_unlock(&l->mu);
	}
	return NULL;
}

void
evlog_flush(struct evlog *l)
{
	uint64_t target = atomic_load(&l->enq_pos);

	if (!l->threaded) {
		atomic_store(&l->sync_req, 1);
		evlog_pump(l);
		return;
	}
	uint64_t gen;

	pthread_mutex_lock(&l->mu);
	l->waiters++;
	pthread_cond_signal(&l->wake);
	while (atomic_load(&l->deq_pos) < target || l->st_head != NULL)
		pthread_cond_wait(&l->progress, &l->mu);
	/* Written; now one fsync that starts after that. */
	gen = atomic_load(&l->sync_gen);
	atomic_store(&l->sync_req, 1);
	pthread_cond_signal(&l->wake);
	while (atomic_load(&l->sync_gen) == gen)
		pthread_cond_wait(&l->progress, &l->mu);
	l->waiters--;
	pthread_mutex_unlock(&l->mu);
}

void
evlog_stats(struct evlog *l, struct evlog_stats *st)
{
	st->queued = atomic_load_explicit(&l->enq_pos, memory_order_relaxed);
	st->dropped = atomic_load_explicit(&l->dropped, memory_order_relaxed);
	st->written = atomic_load_explicit(&l->written, memory_order_relaxed);
	st->rotations = atomic_load_explicit(&l->rotations, memory_order_relaxed);
	st->write_errors = atomic_load_explicit(&l->write_errors, memory_order_relaxed);
}

static int
save_head(struct evlog *l, const char *state)
{
	return evlog_head_save(l->state_dir, l->seq, l->prev, state, now_us(l));
}

static void
free_log(struct evlog *l)
{
	struct pending *p;

	while ((p = l->st_head) != NULL) {
		l->st_head = p->next;
		free(p);
	}
	if (l->fd >= 0)
		close(l->fd);
	pseudonym_wipe(&l->ps);
	lv_hasher_free(&l->hasher);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->wake);
	pthread_cond_destroy(&l->progress);
	free(l->obuf);
	if (l->slots != NULL)
		munmap(l->slots, l->slots_bytes);
	free(l);
}

void
evlog_close(struct evlog *l)
{
	struct pending *p;

	if (l->threaded) {
		pthread_mutex_lock(&l->mu);
		atomic_store(&l->stopping, 1);
		pthread_cond_signal(&l->wake);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
	}
	/* drain() works in bounded batches: repeat until all is written (or the disk refuses). */
	while (drain(l) > 0 && l->olen == 0)
		;
	if ((p = make_state(EVS_STOP, 0, "clean stop")) != NULL)
		push_state(l, p);
	while (drain(l) > 0 && l->olen == 0)
		;
	if (l->olen > 0 && flush_out(l) < 0)
		log_warnx(
		    "evlog: %zu bytes of records could not be written to %s", l->olen, l->path);
	sync_file(l);
	save_head(l, "stopped");
	free_log(l);
}

/* Repair the log left by the last run (evlog_recover.c) and go on with its chain. */
static int
recover(struct evlog *l)
{
	struct evlog_resume r;
	struct pending *p;

	if (evlog_recover(l->fd, l->path, l->state_dir, now_us(l), &r) < 0)
		return -1;
	l->seq = r.seq;
	memcpy(l->prev, r.prev, sizeof(l->prev));
	l->file_bytes = r.file_bytes;
	if (r.first_us != 0)
		l->opened_us = r.first_us;
	if (r.gap) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			log_warnx("evlog: out of memory: gap record lost");
			return 0;
		}
		p->r = r.gap_rec;
		push_state(l, p);
	}
	return 0;
}

static int64_t
clock_day(struct evlog *l)
{
	return evrec_day(now_us(l));
}

struct evlog *
evlog_open(const struct evlog_opts *o)
{
	struct evlog *l;
	struct pending *p;
	uint64_t slots = 2;
	char kp[4200];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warnx("evlog: out of memory");
		return NULL;
	}
	l->fd = -1;
	lv_hasher_init(&l->hasher);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->wake, NULL);
	pthread_cond_init(&l->progress, NULL);
	snprintf(l->path, sizeof(l->path), "%s", o->path ? o->path : EVLOG_DEFAULT_PATH);
	snprintf(l->state_dir, sizeof(l->state_dir), "%s", o->state_dir ? o->state_dir : ".");
	snprintf(l->appliance, sizeof(l->appliance), "%s", o->appliance_id ? o->appliance_id : "");
	l->fsync_ms = o->fsync_interval_ms;
	l->rotate_bytes = o->rotate_bytes;
	l->rotate_seconds = o->rotate_seconds;
	l->raw = o->raw_addresses;
	l->serial = o->serial;
	l->now_fn = o->now_us;
	l->now_arg = o->now_arg;
	l->last_sync_ms = mono_ms();

	while (slots < o->queue && slots < (1u << 24))
		slots <<= 1;
	l->mask = slots - 1;
	l->slots_bytes = (size_t)slots * sizeof(struct slot);
	l->slots =
	    mmap(NULL, l->slots_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->slots == MAP_FAILED)
		l->slots = NULL;
	l->obuf = malloc(OBUF_SIZE);
	if (l->slots == NULL || l->obuf == NULL) {
		log_warnx("evlog: out of memory for a queue of %" PRIu64 " events", slots);
		goto fail;
	}
	if (!l->raw) {
		snprintf(kp, sizeof(kp), "%s/" EVLOG_KEY_FILE, l->state_dir);
		if (pseudonym_load(&l->ps, kp, clock_day(l)) < 0)
			goto fail;
	}
	if (open_log(l) < 0 || recover(l) < 0)
		goto fail;
	if (save_head(l, "running") < 0)
		goto fail;
	if (o->start_reason != NULL)
		p = make_state(EVS_START, 0, "%s", o->start_reason);
	else
		p = make_state(EVS_START, 0, "blockd %s", BLOCKD_VERSION);
	if (p != NULL)
		push_state(l, p);
	if (!o->manual) {
		if ((errno = pthread_create(&l->thread, NULL, writer_main, l)) != 0) {
			log_warn("evlog: writer thread");
			goto fail;
		}
		l->threaded = 1;
	}
	return l;
fail:
	free_log(l);
	return NULL;
}
