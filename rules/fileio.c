/* Capped reads and atomic, durable writes for lists, signatures, keys and state. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "hugemem.h"

int
file_read_capped(const char *path, size_t cap, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	return file_read_keep(path, cap, bufp, lenp, NULL, err, errlen);
}

int
file_read_keep(
    const char *path, size_t cap, char **bufp, size_t *lenp, int *fdp, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd, e;

	/* Non-blocking, so a FIFO is refused below instead of waiting for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((unsigned long long)st.st_size > cap) {
		snprintf(err, errlen, "%s: %lld bytes, more than the limit of %zu", path,
		    (long long)st.st_size, cap);
		close(fd);
		errno = EFBIG;
		return -1;
	}
	buf = huge_alloc((size_t)st.st_size + 1); /* a list: tens of megabytes */
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* Read at most the size seen: a file growing meanwhile is read no further. */
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(
			    err, errlen, "%s: %s", path, r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	if (fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	return 0;
}

int
file_fsync_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int fd, r;

	if (copy == NULL)
		return -1;
	dir = (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) ? copy : dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
file_write_atomic(const char *path, const void *buf, size_t len, int mode, char *err, size_t errlen)
{
	char tmp[4096];
	const char *p = buf;
	size_t done = 0;
	ssize_t r;
	int fd;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (done < len) {
		r = write(fd, p + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		done += (size_t)r;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if (file_fsync_dir(path) != 0) {
		snprintf(err, errlen, "%s: fsync of its directory: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int
file_copy_fd(const char *path, int src, size_t len, int mode,
    void (*seen)(void *arg, const void *buf, size_t n), void *arg, char *err, size_t errlen)
{
	char *buf;
	size_t done = 0, want;
	ssize_t r;
	int fd, e;

	buf = malloc(FILE_COPY_CHUNK);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	while (done < len) {
		want = len - done < FILE_COPY_CHUNK ? len - done : FILE_COPY_CHUNK;
		r = pread(src, buf, want, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			snprintf(err, errlen, "%s: reading its source: %s", path,
			    e ? strerror(e) : "the file shrank");
			goto fail;
		}
		if (seen != NULL)
			seen(arg, buf, (size_t)r);
		for (size_t w = 0; w < (size_t)r;) {
			ssize_t k = write(fd, buf + w, (size_t)r - w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				goto fail;
			}
			w += (size_t)k;
		}
		done += (size_t)r;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(buf);
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}
