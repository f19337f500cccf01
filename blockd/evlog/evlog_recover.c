/* The enforcement log across restarts: repairs at start, and the chain head kept for the next one. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog_files.h"
#include "evlog_recover.h"
#include "fileio.h"
#include "base/log.h"
#include "logverify.h"

#define SCAN_BUF  ((size_t)256 * 1024)  /* a last line longer than this is not a record */
#define TORN_COPY ((size_t)1024 * 1024) /* bytes of a torn fragment kept */

/* What recovery works with: the live file, and a buffer for reading it. */
struct rec {
	int fd;
	const char *path;
	const char *state_dir;
	int64_t now_us;
	char *buf; /* SCAN_BUF bytes */
};

/* The log's last complete record and any torn fragment after it. */
struct tail {
	off_t keep;        /* bytes up to and including the last newline */
	uint64_t torn;     /* bytes after it */
	int have_line;     /* a last complete line exists */
	int parsed;        /* and it is a record */
	struct evrec last; /* that record */
	char hash[EVREC_HASH_HEX + 1];
};

static int
read_at(int fd, char *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Offset of the last '\n' in [0, end), or -1. */
static off_t
last_newline(int fd, off_t end, char *buf, size_t cap)
{
	while (end > 0) {
		size_t n = end > (off_t)cap ? cap : (size_t)end;
		off_t off = end - (off_t)n;
		char *nl;

		if (read_at(fd, buf, n, off) < 0)
			return -2;
		if ((nl = memrchr(buf, '\n', n)) != NULL)
			return off + (nl - buf);
		end = off;
	}
	return -1;
}

/* The last complete line of the file open as fd (named name), and what follows it. */
static int
scan_tail(struct rec *c, int fd, const char *name, struct tail *t)
{
	char *buf = c->buf;
	struct stat st;
	off_t size, nl, prev_nl;
	size_t len;
	const char *err;

	memset(t, 0, sizeof(*t));
	if (fstat(fd, &st) < 0)
		return -1;
	size = st.st_size;
	if (size == 0)
		return 0;
	if ((nl = last_newline(fd, size, buf, SCAN_BUF)) == -2)
		return -1;
	t->keep = nl + 1;
	t->torn = (uint64_t)(size - t->keep);
	if (nl < 0)
		return 0;
	if ((prev_nl = last_newline(fd, nl, buf, SCAN_BUF)) == -2)
		return -1;
	len = (size_t)(nl - prev_nl); /* the line with its newline */
	t->have_line = 1;
	if (len > SCAN_BUF) {
		strcpy(t->hash, EVLOG_ZERO_HASH);
		log_warnx("evlog: %s: last line is too long to be a record", name);
		return 0;
	}
	if (read_at(fd, buf, len, prev_nl + 1) < 0)
		return -1;
	logverify_hash(buf, len, t->hash);
	if (evrec_parse(buf, len - 1, &t->last, &err) == 0)
		t->parsed = 1;
	else
		log_warnx("evlog: %s: last line is not a record (%s); blockctl log verify will "
			  "name it",
		    name, err);
	return 0;
}

/* The time of the file's first record, so rotation by age survives restarts; 0 if none. */
static int64_t
first_record_time(struct rec *c)
{
	struct evrec r;
	const char *err, *nl;
	ssize_t n = pread(c->fd, c->buf, EVREC_LINE_MAX, 0);

	if (n <= 0 || (nl = memchr(c->buf, '\n', (size_t)n)) == NULL ||
	    evrec_parse(c->buf, (size_t)(nl - c->buf), &r, &err) < 0)
		return 0;
	return r.time_us;
}

/* Keep a copy of a torn fragment (its first TORN_COPY bytes) in state_dir, then cut it off. */
static int
cut_torn(struct rec *c, const struct tail *t)
{
	char path[4300], ts[32];
	uint64_t left = t->torn > TORN_COPY ? TORN_COPY : t->torn;
	off_t off = t->keep;
	size_t n;
	int cfd;

	evrec_time_fmt(c->now_us, ts);
	snprintf(path, sizeof(path), "%s/" EVLOG_TORN_PREFIX "%s", c->state_dir, ts);
	if ((cfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) >= 0) {
		/* Through the scan buffer, a piece at a time. */
		for (; left > 0; left -= n, off += (off_t)n) {
			n = left > SCAN_BUF ? SCAN_BUF : (size_t)left;
			if (read_at(c->fd, c->buf, n, off) < 0)
				break;
			if (write(cfd, c->buf, n) != (ssize_t)n) {
				log_warn("evlog: write %s", path);
				break;
			}
		}
		close(cfd);
	}
	if (ftruncate(c->fd, t->keep) < 0 || fsync(c->fd) < 0) {
		log_warn("evlog: truncate the torn tail of %s", c->path);
		return -1;
	}
	log_warnx("evlog: %s: cut a torn last line of %" PRIu64 " bytes (copy in %s)", c->path,
	    t->torn, path);
	return 0;
}

/*
 * The last complete record of the newest file blockd rotated (PATH.<time>Z,
 * names that sort by time). 0 with *r filled, or -1 if there is none.
 */
static int
newest_rotated(struct rec *c, struct tail *r)
{
	char pat[4200];
	glob_t g;
	int fd, rc = -1;

	snprintf(pat, sizeof(pat), "%s" EVLOG_ROTATED_GLOB, c->path);
	if (glob(pat, 0, NULL, &g) != 0)
		return -1;
	if (g.gl_pathc > 0 && (fd = open(g.gl_pathv[g.gl_pathc - 1], O_RDONLY | O_CLOEXEC)) >= 0) {
		if (scan_tail(c, fd, g.gl_pathv[g.gl_pathc - 1], r) == 0 && r->parsed)
			rc = 0;
		close(fd);
	}
	globfree(&g);
	return rc;
}

/*
 * A rotation cut short by a crash (evlog.c's rotate_log()): the empty
 * PATH.new goes, and so does a rotated name that is a hard link to the live
 * file, which stays the live file. 0, or -1 if a name could not be removed.
 */
static int
undo_rotation(struct rec *c)
{
	char next[4200], pat[4200];
	struct stat live, st;
	glob_t g;
	size_t i;
	int changed = 0, rc = 0;

	snprintf(next, sizeof(next), "%s" EVLOG_NEXT_SUFFIX, c->path);
	if (unlink(next) == 0) {
		log_warnx("evlog: removed %s, left by a rotation cut short", next);
		changed = 1;
	} else if (errno != ENOENT) {
		log_warn("evlog: unlink %s", next);
		rc = -1;
	}
	if (fstat(c->fd, &live) < 0) {
		log_warn("evlog: stat %s", c->path);
		return -1;
	}
	snprintf(pat, sizeof(pat), "%s" EVLOG_ROTATED_GLOB, c->path);
	if (live.st_nlink > 1 && glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			if (lstat(g.gl_pathv[i], &st) < 0 || st.st_dev != live.st_dev ||
			    st.st_ino != live.st_ino)
				continue;
			if (unlink(g.gl_pathv[i]) < 0) {
				log_warn("evlog: unlink %s", g.gl_pathv[i]);
				rc = -1;
				continue;
			}
			log_warnx("evlog: removed %s, a second name of %s left by a rotation cut "
				  "short",
			    g.gl_pathv[i], c->path);
			changed = 1;
		}
		globfree(&g);
	}
	if (changed && file_fsync_dir(c->path) < 0)
		log_warn("evlog: fsync the directory of %s", c->path);
	return rc;
}

static void gap_rec(struct evlog_resume *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The gap record to write first, with its reason. */
static void
gap_rec(struct evlog_resume *out, const char *fmt, ...)
{
	va_list ap;

	memset(&out->gap_rec, 0, sizeof(out->gap_rec));
	out->gap = 1;
	out->gap_rec.kind = EVREC_STATE;
	out->gap_rec.state = EVS_GAP;
	va_start(ap, fmt);
	vsnprintf(out->gap_rec.reason, sizeof(out->gap_rec.reason), fmt, ap);
	va_end(ap);
}

/* Where the chain continues, and whether the previous run ended without a stop. */
static int
resume(struct rec *c, struct evlog_resume *out)
{
	char headpath[4200], hhash[EVREC_HASH_HEX + 1];
	uint64_t hseq = 0;
	int have_head, hstopped = 0;
	int64_t first, hlast_us = 0;
	struct tail t, rt;

	snprintf(headpath, sizeof(headpath), "%s/" EVLOG_HEAD_FILE, c->state_dir);
	have_head = logverify_read_head(headpath, &hseq, hhash, &hstopped, NULL) == 0;

	if (undo_rotation(c) < 0)
		return -1;
	if (scan_tail(c, c->fd, c->path, &t) < 0) {
		log_warn("evlog: read %s", c->path);
		return -1;
	}
	if (t.torn > 0 && cut_torn(c, &t) < 0)
		return -1;
	out->file_bytes = (uint64_t)t.keep;
	if (t.have_line && (first = first_record_time(c)) != 0)
		out->first_us = first;

	/*
	 * An empty live file after a rotation: the chain goes on from the
	 * rotated file if it is ahead of the saved head (a crash can come
	 * between the rename and saving the head).
	 */
	if (!t.have_line && newest_rotated(c, &rt) == 0 && (!have_head || rt.last.seq > hseq)) {
		have_head = 1;
		hseq = rt.last.seq;
		strcpy(hhash, rt.hash);
		hstopped = rt.last.state == EVS_STOP;
		hlast_us = rt.last.time_us;
	}

	strcpy(out->prev, EVLOG_ZERO_HASH);
	out->seq = 0;
	if (t.have_line) {
		strcpy(out->prev, t.hash);
		out->seq = t.parsed ? t.last.seq : hseq;
	}
	if (t.have_line && t.parsed && have_head && t.last.seq < hseq &&
	    !(t.torn > 0 && hseq == t.last.seq + 1)) {
		/*
		 * The file ends before where the last run stopped: a power loss
		 * took fsync'd data, or records were removed. The chain goes on
		 * from what the file holds; this record keeps the evidence.
		 */
		gap_rec(out,
		    "%s ends at seq %" PRIu64 " but the chain head saved by the last run is seq "
		    "%" PRIu64 ": records were lost or removed",
		    c->path, t.last.seq, hseq);
		out->gap_rec.last_seq = t.last.seq;
		out->gap_rec.last_time_us = t.last.time_us;
	} else if (t.have_line && (!t.parsed || t.last.state != EVS_STOP || t.torn > 0)) {
		gap_rec(out, "%s",
		    t.torn > 0 ? "blockd ended without a stop record; a torn last line was cut off"
			       : "blockd ended without a stop record");
		out->gap_rec.last_seq = out->seq;
		out->gap_rec.last_time_us = t.parsed ? t.last.time_us : 0;
	} else if (!t.have_line && have_head) {
		/* A new file (rotated away while stopped): continue from the saved head. */
		out->seq = hseq;
		strcpy(out->prev, hhash);
		if (!hstopped || t.torn > 0) {
			gap_rec(out,
			    "blockd ended without a stop record; its last records are not in %s",
			    c->path);
			out->gap_rec.last_seq = hseq;
			out->gap_rec.last_time_us = hlast_us;
		}
	} else if (t.torn > 0) {
		gap_rec(out, "a torn first line was cut off");
	}
	if (out->gap)
		out->gap_rec.torn_bytes = t.torn;
	return 0;
}

int
evlog_recover(
    int fd, const char *path, const char *state_dir, int64_t now_us, struct evlog_resume *out)
{
	struct rec c = {.fd = fd, .path = path, .state_dir = state_dir, .now_us = now_us};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((c.buf = malloc(SCAN_BUF)) == NULL) {
		log_warnx("evlog: out of memory to recover %s", path);
		return -1;
	}
	rc = resume(&c, out);
	free(c.buf);
	return rc;
}

int
evlog_head_save(
    const char *state_dir, uint64_t seq, const char *prev, const char *state, int64_t now_us)
{
	char path[4200], tmp[4300], buf[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/" EVLOG_HEAD_FILE, state_dir);
	snprintf(tmp, sizeof(tmp), "%s" EVLOG_HEAD_TMP_SUFFIX, path);
	n = snprintf(buf, sizeof(buf), "%s %" PRIu64 " %s %s %" PRId64 "\n", EVLOG_HEAD_MAGIC, seq,
	    prev, state, now_us);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		log_warn("evlog: save chain head %s", tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		log_warn("evlog: rename %s", tmp);
		return -1;
	}
	return 0;
}
