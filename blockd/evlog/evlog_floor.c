/* The highest list serial the enforcement log shows in force: a rollback floor that outlives the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog_files.h"
#include "evlog_floor.h"
#include "evrec.h"

#define CHUNK (256u << 10)

int
evlog_floor_line(const char *line, size_t len, uint64_t *serial)
{
	struct evrec r;
	const char *why;

	/* Block records outnumber state records by far: a cheap look before the parse. */
	if (len < 16 || memmem(line, len, "\"record\":\"state\"", 16) == NULL)
		return 0;
	if (evrec_parse(line, len, &r, &why) == -1 || r.kind != EVREC_STATE)
		return 0;
	if (r.state != EVS_START && r.state != EVS_RELOAD && r.state != EVS_STOP)
		return 0;
	if (r.serial == 0)
		return 0;
	*serial = r.serial;
	return 1;
}

/*
 * The newest matching record of one file, read backwards in chunks. 1, 0, or
 * -1 (err); *budget is what may still be read, and goes down.
 */
static int
scan_file(const char *path, uint64_t *serial, size_t *budget, char *err, size_t errlen)
{
	char *buf = malloc(2 * CHUNK + 1);
	size_t carry = 0; /* the start of a line whose beginning is not read yet, at buf + CHUNK */
	struct stat st;
	off_t end;
	int fd, rc = 0;

	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(buf);
		return errno == ENOENT ? 0 : -1;
	}
	end = st.st_size;
	while (end > 0 && *budget > 0 && rc == 0) {
		size_t want = (size_t)(end < (off_t)CHUNK ? end : (off_t)CHUNK), got = 0;
		char *p, *lineend;

		if (want > *budget)
			want = *budget;
		/* buf: [CHUNK - want, CHUNK) the new bytes, then the carried partial line. */
		while (got < want) {
			ssize_t n = pread(fd, buf + CHUNK - want + got, want - got,
			    end - (off_t)want + (off_t)got);
			if (n <= 0) {
				snprintf(err, errlen, "%s: %s", path,
				    n == 0 ? "shrank" : strerror(errno));
				rc = -1;
				break;
			}
			got += (size_t)n;
		}
		if (rc == -1)
			break;
		end -= (off_t)want;
		*budget -= want;
		p = buf + CHUNK - want;
		lineend = buf + CHUNK + carry;
		/* Whole lines from the last one back; the first stays partial unless at offset 0. */
		for (char *q = lineend; q > p;) {
			char *nl = memrchr(p, '\n', (size_t)(q - p));
			char *start = nl ? nl + 1 : p;

			if (nl == NULL && end > 0)
				break;
			if (q > start && evlog_floor_line(start, (size_t)(q - start), serial)) {
				rc = 1;
				break;
			}
			q = nl ? nl : p;
			lineend = q;
		}
		if (rc != 0)
			break;
		/* What is left before the first newline is the next round's carry. */
		carry = (size_t)(lineend - p);
		if (carry > CHUNK) {
			carry = 0; /* a line longer than a chunk is no record blockd writes */
			continue;
		}
		memmove(buf + CHUNK, p, carry);
	}
	close(fd);
	free(buf);
	return rc;
}

static int
newest_first(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

int
evlog_floor(
    const char *path, uint64_t *serial, char *file, size_t filelen, char *err, size_t errlen)
{
	size_t budget = EVLOG_FLOOR_SCAN_MAX;
	char pat[4096];
	glob_t g;
	int rc;

	rc = scan_file(path, serial, &budget, err, errlen);
	if (rc != 0) {
		if (rc == 1)
			snprintf(file, filelen, "%s", path);
		return rc;
	}
	/* Rotated files are named by their UTC time: newest first by name. */
	snprintf(pat, sizeof(pat), "%s" EVLOG_ROTATED_GLOB, path);
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), newest_first);
	for (size_t i = 0; i < g.gl_pathc && budget > 0 && rc == 0; i++) {
		rc = scan_file(g.gl_pathv[i], serial, &budget, err, errlen);
		if (rc == 1)
			snprintf(file, filelen, "%s", g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}
