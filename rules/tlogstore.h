/* A transparency log's files: read from a directory or an http(s) URL (through curl), written durably. */
#ifndef BLOCKD_TLOGSTORE_H
#define BLOCKD_TLOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "merkle.h"
#include "note.h"

#define TLOG_FILE_MAX (256u << 20) /* a list copied into the log, or any file read from it */

/*
 * tlogstore_read(): the file rel under base (a directory, or an http:// or
 * https:// URL fetched with curl, run with an argument vector). 0 and a
 * malloc'd buffer (NUL-terminated), 1 when it does not exist (HTTP 404), or
 * -1 with the reason in err.
 */
int tlogstore_read(const char *base, const char *rel, size_t cap, char **buf, size_t *len,
    char *err, size_t errlen);

/*
 * tlogstore_write(): writes rel under the directory base, making its
 * directories, through a temporary file renamed into place; durable (fsync'd
 * with its directory) when sync, else left for tlogstore_sync(). 0 or -1 with err.
 */
int tlogstore_write(const char *base, const char *rel, const void *buf, size_t len, int sync,
    char *err, size_t errlen);

/* tlogstore_sync(): everything written under base reaches the disk (syncfs). 0 or -1 with err. */
int tlogstore_sync(const char *base, char *err, size_t errlen);

/*
 * tlogstore_load(): the log at base: its checkpoint (verified with key), and
 * the tree of its leaves read from the level 0 tiles, whose root must be the
 * checkpoint's. note gets the checkpoint file (malloc'd). 0, or -1 with err.
 */
int tlogstore_load(const char *base, const struct note_key *key, struct checkpoint *cp,
    struct merkle_tree *t, char **note, size_t *notelen, char *err, size_t errlen);

#endif
