/* Small file helpers: capped reads and durable, atomic writes. */
#ifndef BLOCKD_FILEIO_H
#define BLOCKD_FILEIO_H

#include <stddef.h>

/*
 * file_read_capped(): reads path whole if it is a regular file of at most cap
 * bytes (checked with fstat before reading). Never blocks on a FIFO or device:
 * they are opened non-blocking and refused as not regular files. Returns 0 with a malloc'd
 * buffer (NUL-terminated, not counted in *len), or -1 with "path: why" in err.
 * errno is ENOENT if the file does not exist.
 */
int file_read_capped(
    const char *path, size_t cap, char **buf, size_t *len, char *err, size_t errlen);

/*
 * file_write_atomic(): writes buf to path through a temporary file in the
 * same directory: write, fsync, rename, fsync the directory. mode is the new
 * file's mode. 0 or -1 with "path: why" in err; path is unchanged on failure.
 */
int file_write_atomic(
    const char *path, const void *buf, size_t len, int mode, char *err, size_t errlen);

/* file_fsync_dir(): fsync the directory holding path (or path itself if a directory). */
int file_fsync_dir(const char *dir);

#endif
