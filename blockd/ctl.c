/* The control socket: parsing requests, checking peers, answering, and the client side. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

struct ctl {
	int fd;
	gid_t gid;
	unsigned long refused;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static const struct {
	const char *name;
	int cmd;
	int nargs;
} ctl_cmds[] = {
    {"status", CTL_STATUS, 0},
    {"reload", CTL_RELOAD, -1}, /* optional "override" */
    {"lookup", CTL_LOOKUP, 1},
    {"stats", CTL_STATS, 0},
};

int
ctl_parse(char *buf, size_t len, struct ctl_request *req, char *err, size_t errlen)
{
	char *w[CTL_ARGS_MAX + 2], *p;
	size_t i, nw = 0;

	memset(req, 0, sizeof(*req));
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0) {
		snprintf(err, errlen, "empty request");
		return -1;
	}
	if (len >= CTL_REQUEST_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", CTL_REQUEST_MAX - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			snprintf(err, errlen, "byte %zu of the request is not printable ASCII", i);
			return -1;
		}
	buf[len] = '\0';
	for (p = buf;;) {
		if (*p == ' ' || nw == sizeof(w) / sizeof(w[0])) {
			snprintf(err, errlen, "%s",
			    *p == ' ' ? "words must be separated by one space" : "too many words");
			return -1;
		}
		w[nw++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
		if (*p == '\0') {
			snprintf(err, errlen, "trailing space");
			return -1;
		}
	}
	i = 0;
	if (!strcmp(w[0], "json")) {
		req->json = 1;
		i = 1;
	}
	if (i == nw) {
		snprintf(err, errlen, "no command");
		return -1;
	}
	for (size_t c = 0; c < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); c++) {
		size_t nargs = nw - i - 1;

		if (strcmp(w[i], ctl_cmds[c].name) != 0)
			continue;
		req->cmd = ctl_cmds[c].cmd;
		if (ctl_cmds[c].cmd == CTL_RELOAD) {
			if (nargs == 1 && !strcmp(w[i + 1], "override")) {
				req->override = 1;
				return 0;
			}
			if (nargs == 0)
				return 0;
			snprintf(err, errlen, "reload takes no argument but \"override\"");
			return -1;
		}
		if (nargs != (size_t)ctl_cmds[c].nargs) {
			snprintf(err, errlen, "%s takes %d argument%s", w[i], ctl_cmds[c].nargs,
			    ctl_cmds[c].nargs == 1 ? "" : "s");
			return -1;
		}
		req->arg = nargs ? w[i + 1] : NULL;
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%.32s\"", w[i]);
	return -1;
}

struct ctl *
ctl_open(const char *path, const char *group, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *c;
	struct group *gr;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->gid = getgid();
	if (group[0] != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "control_group %s: no such group", group);
			free(c);
			return NULL;
		}
		c->gid = gr->gr_gid;
	}
	strcpy(sun.sun_path, path);
	strcpy(c->path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	unlink(path);
	old = umask(0117);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	umask(old);
	/* Started as root: root owns it. Started as the service user: it keeps the owner. */
	if (chown(path, geteuid() == 0 ? 0 : (uid_t)-1, c->gid) == -1) {
		snprintf(err, errlen, "%s: chown: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, 0660) == -1 || listen(c->fd, 16) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return c;
fail:
	close(c->fd);
	unlink(path);
	free(c);
	return NULL;
}

int
ctl_fd(const struct ctl *c)
{
	return c->fd;
}

unsigned long
ctl_refused(const struct ctl *c)
{
	return c->refused;
}

/* Root, or the socket's group as primary or supplementary group. */
static int
peer_allowed(const struct ctl *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct passwd pw, *pwp;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return 0;
	if (cr.uid == 0 || cr.gid == c->gid)
		return 1;
	if (getpwuid_r(cr.uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) == -1)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == c->gid)
			return 1;
	return 0;
}

static void
answer(int fd, int status, const char *body, size_t len)
{
	char head[32];
	int n;

	if (status == 0)
		n = snprintf(head, sizeof(head), "OK\n");
	else
		n = snprintf(head, sizeof(head), "ERR %d\n", status);
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n)
		return;
	while (len > 0) {
		ssize_t w = send(fd, body, len, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		body += w;
		len -= (size_t)w;
	}
}

int
ctl_serve(struct ctl *c, const struct ctl_ops *ops, void *ctx)
{
	struct timeval tv = {.tv_sec = 1};
	struct ctl_request req;
	char buf[CTL_REQUEST_MAX + 1] = "", err[128], *body = NULL;
	size_t len = 0, blen = 0;
	FILE *out;
	int fd, status = 2;

	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * The request is read before anything is answered, also for a peer
	 * that will be refused: closing on unread data would reset the
	 * connection and the client would see a broken pipe, not the refusal.
	 */
	while (len < sizeof(buf) && memchr(buf, '\n', len) == NULL) {
		ssize_t r = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (!peer_allowed(c, fd)) {
		c->refused++;
		answer(fd, 5, "permission denied: not root or in the control group\n", 52);
		close(fd);
		return -1;
	}
	if (memchr(buf, '\n', len) == NULL) {
		c->refused++;
		snprintf(err, sizeof(err), "%s\n",
		    len >= CTL_REQUEST_MAX ? "request too long"
					   : "incomplete request (no newline within one second)");
		answer(fd, 2, err, strlen(err));
		close(fd);
		return -1;
	}
	len = (size_t)((char *)memchr(buf, '\n', len) - buf) + 1;
	if (ctl_parse(buf, len, &req, err, sizeof(err)) == -1) {
		c->refused++;
		strcat(err, "\n");
		answer(fd, 2, err, strlen(err));
		close(fd);
		return -1;
	}
	if ((out = open_memstream(&body, &blen)) == NULL) {
		answer(fd, 1, "out of memory\n", 14);
		close(fd);
		return 0;
	}
	switch (req.cmd) {
	case CTL_STATUS:
		status = ops->status(ctx, req.json, out);
		break;
	case CTL_RELOAD:
		status = ops->reload(ctx, req.override, req.json, out);
		break;
	case CTL_LOOKUP:
		status = ops->lookup(ctx, req.arg, req.json, out);
		break;
	case CTL_STATS:
		status = ops->stats(ctx, req.json, out);
		break;
	}
	fclose(out);
	answer(fd, status, body, blen);
	free(body);
	close(fd);
	return 0;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

int
ctl_request(const char *path, const char *line, FILE *out, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 30};
	char buf[4096], *nl;
	size_t have = 0, llen = strlen(line);
	int fd, status = -1, got_head = 0;
	ssize_t r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: %s (is blockd running?)", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* One send, so the daemon reads the request whole before it answers. */
	if (llen >= sizeof(buf) - 1) {
		snprintf(err, errlen, "request too long");
		close(fd);
		return -1;
	}
	memcpy(buf, line, llen);
	buf[llen] = '\n';
	if (send(fd, buf, llen + 1, MSG_NOSIGNAL) != (ssize_t)llen + 1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((r = recv(fd, buf + have, sizeof(buf) - have, 0)) > 0) {
		have += (size_t)r;
		if (!got_head) {
			if ((nl = memchr(buf, '\n', have)) == NULL) {
				if (have == sizeof(buf))
					break;
				continue;
			}
			*nl = '\0';
			if (!strcmp(buf, "OK"))
				status = 0;
			else if (!strncmp(buf, "ERR ", 4))
				status = (int)strtol(buf + 4, NULL, 10);
			else
				break;
			got_head = 1;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		fwrite(buf, 1, have, out);
		have = 0;
	}
	close(fd);
	if (!got_head || status < 0) {
		snprintf(err, errlen, "%s: no valid answer from blockd", path);
		return -1;
	}
	return status;
}
