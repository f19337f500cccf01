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
 * file_read_keep(): file_read_capped(), and the descriptor it read is left
 * open in *fd (close-on-exec; the caller closes it) when fd is not NULL: the
 * very file that was read, even if path is replaced meanwhile.
 */
int file_read_keep(
    const char *path, size_t cap, char **buf, size_t *len, int *fd, char *err, size_t errlen);

/*
 * file_copy_fd(): writes the first len bytes of descriptor src (read from
 * offset 0, FILE_COPY_CHUNK bytes at a time, never the whole file in memory)
 * to path, created with mode, then fsync'd; seen (if not NULL) is called on
 * every chunk in order, before it is written. Not atomic: path is a temporary
 * name the caller renames. 0 or -1 with "path: why" in err (also when src
 * holds fewer than len bytes).
 */
#define FILE_COPY_CHUNK (1u << 20)
int file_copy_fd(const char *path, int src, size_t len, int mode,
    void (*seen)(void *arg, const void *buf, size_t n), void *arg, char *err, size_t errlen);

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
