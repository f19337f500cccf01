/* The highest list serial the enforcement log shows in force: a rollback floor that outlives the state directory. */
#ifndef BLOCKD_EVLOG_FLOOR_H
#define BLOCKD_EVLOG_FLOOR_H

#include <stddef.h>
#include <stdint.h>

/* At most this much of the log is read looking for it, newest records first. */
#define EVLOG_FLOOR_SCAN_MAX (64u << 20)

/*
 * evlog_floor_line(): pure. If line (without its newline) is a start, reload
 * or stop record naming a serial above 0, 1 and *serial; else 0.
 */
int evlog_floor_line(const char *line, size_t len, uint64_t *serial);

/*
 * evlog_floor(): the serial of the newest start, reload or stop record in the
 * log at path (the live file, then the rotated ones from the newest), read
 * backwards; serials only grow, so it is the highest accepted. 1 with *serial
 * and the file it is in (file, filelen), 0 when the log has none (or none in
 * its newest EVLOG_FLOOR_SCAN_MAX bytes), -1 with err when a file cannot be
 * read.
 */
int evlog_floor(
    const char *path, uint64_t *serial, char *file, size_t filelen, char *err, size_t errlen);

#endif
