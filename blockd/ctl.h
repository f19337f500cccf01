/* The control socket: blockctl's requests to the daemon, and their answers. */
#ifndef BLOCKD_CTL_H
#define BLOCKD_CTL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Protocol: the client sends one request line of at most CTL_REQUEST_MAX
 * bytes, "[json] COMMAND [ARG...]\n", words separated by single spaces,
 * printable ASCII only. The daemon answers with a status line, "OK\n" or
 * "ERR <code>\n" where code is blockctl's exit status, then the body (text,
 * or one JSON object when the request began with "json"), then closes.
 */
#define CTL_REQUEST_MAX 4096
#define CTL_ARGS_MAX    4

enum ctl_cmd { CTL_STATUS = 1, CTL_RELOAD, CTL_LOOKUP, CTL_STATS };

struct ctl_request {
	int cmd;         /* enum ctl_cmd */
	int json;        /* answer in JSON */
	int override;    /* reload: accept a change above max_change */
	const char *arg; /* lookup: what to look up; points into the parsed buffer */
};

/*
 * ctl_parse(): parses a request line in place (buf is modified, req points
 * into it; buf must have room for len + 1 bytes, as the line is terminated
 * in place). Returns 0, or -1 with what is wrong in err. Pure.
 */
int ctl_parse(char *buf, size_t len, struct ctl_request *req, char *err, size_t errlen);

/*
 * What the daemon does for each command: each writes the answer body to out
 * and returns the exit status blockctl should use (0 success).
 */
struct ctl_ops {
	int (*status)(void *ctx, int json, FILE *out);
	int (*reload)(void *ctx, int override, int json, FILE *out);
	int (*lookup)(void *ctx, const char *what, int json, FILE *out);
	int (*stats)(void *ctx, int json, FILE *out);
};

struct ctl;

/*
 * ctl_open(): creates the socket at path (replacing a stale one), owned by
 * root and group (a group name; "" keeps the current group), mode 0660.
 * Returns NULL with the reason in err.
 */
struct ctl *ctl_open(const char *path, const char *group, char *err, size_t errlen);
int ctl_fd(const struct ctl *); /* poll it for POLLIN */
/*
 * ctl_serve(): accepts one client and answers it. The peer must be root or
 * in the socket's group (SO_PEERCRED), else it is refused; a slow client is
 * cut off after one second. Never blocks longer; returns 0, or -1 if the
 * client was refused or broke the protocol (counted in ctl_refused()).
 */
int ctl_serve(struct ctl *, const struct ctl_ops *, void *ctx);
unsigned long ctl_refused(const struct ctl *);
void ctl_close(struct ctl *); /* removes the socket file */

/* Client side: sends line, copies the body to out. Returns the exit status, or -1 (err). */
int ctl_request(const char *path, const char *line, FILE *out, char *err, size_t errlen);

#endif
