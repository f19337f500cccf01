/* Exit statuses: one table for blockd, blockctl and blockrules, as their man pages list it. */
#ifndef BLOCKD_EXITCODE_H
#define BLOCKD_EXITCODE_H

/*
 * Every program exits with one of these, and each code means the same in
 * all of them (blockd(8), blockctl(8) and blockrules(1), EXIT STATUS). The
 * daemon's control socket answers "ERR <code>" with the same codes, and
 * blockctl exits with the code it got.
 *
 * EXIT_OK       done; lookup: blocked; verify: accepted whole; log verify: intact.
 * EXIT_FAIL     the answer is no: a list, signature, key, configuration or log
 *               is invalid or refused, a reload was refused, lookup found nothing.
 * EXIT_USAGE    wrong usage: options, command or arguments; a malformed request.
 * EXIT_SYSTEM   the system failed: a file could not be read or written, the
 *               daemon could not be reached, blockd could not start or must stop,
 *               out of memory.
 * EXIT_PARTIAL  done, with exceptions: list entries refused by the safeguards,
 *               log lines that are not records (report), a torn last line
 *               (log verify).
 * EXIT_DENIED   permission denied by the daemon: not root, not in the control group.
 */
#define EXIT_OK      0
#define EXIT_FAIL    1
#define EXIT_USAGE   2
#define EXIT_SYSTEM  3
#define EXIT_PARTIAL 4
#define EXIT_DENIED  5

#endif
