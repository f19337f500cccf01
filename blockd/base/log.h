/* Logging for the daemon and the tools: stderr, or syslog once daemonised. */
#ifndef BLOCKD_LOG_H
#define BLOCKD_LOG_H

#include <stdarg.h>

/*
 * log_init(): name is the program name shown in each line; to_syslog selects
 * syslog (journald) instead of stderr; verbose enables log_debug().
 * Every function may be called from any thread; none of them allocates.
 * The packet path must not log per packet: it counts instead.
 */
void log_init(const char *name, int to_syslog, int verbose);
void log_warn(const char *, ...)
    __attribute__((format(printf, 1, 2))); /* appends strerror(errno) */
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* fatal(), fatalx(): log at LOG_CRIT and exit with EXIT_SYSTEM (exitcode.h). */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn)); /* + strerror */
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
