/* The control socket: parsing requests, checking peers, answering, and the client side. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "ctl.h"
#include "exitcode.h"

/* One client: its request read, then its answer sent, before its deadline. */
struct ctl_client {
	int fd;           /* -1: the slot is free */
	int64_t deadline; /* CLOCK_MONOTONIC ms: cut off after this */
	size_t len;       /* request bytes read */
	char *out;        /* the answer ("OK\n" or "ERR N\n", then the body); NULL while reading */
	size_t outlen, outoff;
	char buf[CTL_REQUEST_MAX + 1];
};

struct ctl {
	int fd;
	gid_t gid;
	gid_t override_gid;
	int has_override_gid; /* else only root may override */
	unsigned long refused;
	int64_t accept_paused; /* until then the listener is not polled (out of descriptors) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client cl[CTL_CLIENTS_MAX];
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
    {"collateral", CTL_COLLATERAL, -1}, /* an optional entry */
    {"divert", CTL_DIVERT, 0},
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
		if (ctl_cmds[c].cmd == CTL_COLLATERAL) {
			if (nargs <= 1) {
				req->arg = nargs ? w[i + 1] : NULL;
				return 0;
			}
			snprintf(err, errlen, "collateral takes at most one argument, an entry");
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
ctl_open(const char *path, const char *group, const char *override_group, char *err, size_t errlen)
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
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		c->cl[i].fd = -1;
	c->gid = getgid();
	if (group[0] != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "control_group %s: no such group", group);
			free(c);
			return NULL;
		}
		c->gid = gr->gr_gid;
	}
	if (override_group[0] != '\0') {
		if ((gr = getgrnam(override_group)) == NULL) {
			snprintf(err, errlen, "override_group %s: no such group", override_group);
			free(c);
			return NULL;
		}
		c->override_gid = gr->gr_gid;
		c->has_override_gid = 1;
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
	if (chmod(path, 0660) == -1 || listen(c->fd, 64) == -1) {
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

unsigned long
ctl_refused(const struct ctl *c)
{
	return c->refused;
}

/* Root, or group gid as primary or supplementary group; *uid gets the peer's user. */
static int
peer_in(int fd, int has_gid, gid_t gid, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct passwd pw, *pwp;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	*uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return 0;
	*uid = cr.uid;
	if (cr.uid == 0 || (has_gid && cr.gid == gid))
		return 1;
	if (!has_gid)
		return 0;
	if (getpwuid_r(cr.uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) == -1)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
client_close(struct ctl_client *cl)
{
	close(cl->fd);
	free(cl->out);
	cl->fd = -1;
	cl->out = NULL;
	cl->len = cl->outlen = cl->outoff = 0;
}

/* The answer to send: the status line, then body; sent by client_send() as the peer takes it. */
static void
client_answer(struct ctl_client *cl, int status, const char *body, size_t len)
{
	char head[32];
	int n = status == 0 ? snprintf(head, sizeof(head), "OK\n")
			    : snprintf(head, sizeof(head), "ERR %d\n", status);

	cl->out = malloc((size_t)n + len);
	if (cl->out == NULL) {
		client_close(cl);
		return;
	}
	memcpy(cl->out, head, (size_t)n);
	if (len)
		memcpy(cl->out + n, body, len);
	cl->outlen = (size_t)n + len;
	cl->outoff = 0;
	cl->deadline = now_ms() + CTL_TIMEOUT_MS;
}

/* Sends what the socket takes now; closes the client once all is sent or the peer is gone. */
static void
client_send(struct ctl_client *cl)
{
	while (cl->outoff < cl->outlen) {
		ssize_t w = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0)
			break;
		cl->outoff += (size_t)w;
	}
	client_close(cl);
}

/* A whole request (or what arrived of it): the peer checked, the request parsed and run. */
static void
client_request(struct ctl *c, struct ctl_client *cl, const struct ctl_ops *ops, void *ctx)
{
	struct ctl_request req;
	char err[128], *body = NULL, *nl = memchr(cl->buf, '\n', cl->len);
	size_t blen = 0;
	FILE *out;
	int status = EXIT_USAGE;
	uid_t uid;

	/*
	 * The request is read before anything is answered, also for a peer
	 * that will be refused: closing on unread data would reset the
	 * connection and the client would see a broken pipe, not the refusal.
	 */
	if (!peer_in(cl->fd, 1, c->gid, &uid)) {
		c->refused++;
		client_answer(
		    cl, EXIT_DENIED, "permission denied: not root or in the control group\n", 52);
		return;
	}
	if (nl == NULL) {
		c->refused++;
		snprintf(err, sizeof(err), "%s\n",
		    cl->len > CTL_REQUEST_MAX
			? "request too long"
			: "incomplete request (no newline within one second)");
		client_answer(cl, EXIT_USAGE, err, strlen(err));
		return;
	}
	if (ctl_parse(cl->buf, (size_t)(nl - cl->buf) + 1, &req, err, sizeof(err)) == -1) {
		c->refused++;
		strcat(err, "\n");
		client_answer(cl, EXIT_USAGE, err, strlen(err));
		return;
	}
	/* Skipping max_change or max_serial_jump is narrower than using blockctl at all. */
	if (req.cmd == CTL_RELOAD && req.override &&
	    !peer_in(cl->fd, c->has_override_gid, c->override_gid, &uid)) {
		static const char no[] = "permission denied: reload --override needs root or the "
					 "override group ([blockd] override_group)\n";

		c->refused++;
		log_warnx("control: uid %u asked for reload --override without permission",
		    (unsigned)uid);
		client_answer(cl, EXIT_DENIED, no, sizeof(no) - 1);
		return;
	}
	if ((out = open_memstream(&body, &blen)) == NULL) {
		client_answer(cl, EXIT_SYSTEM, "out of memory\n", 14);
		return;
	}
	switch (req.cmd) {
	case CTL_STATUS:
		status = ops->status(ctx, req.json, out);
		break;
	case CTL_RELOAD:
		status = ops->reload(ctx, req.override, (unsigned)uid, req.json, out);
		break;
	case CTL_LOOKUP:
		status = ops->lookup(ctx, req.arg, req.json, out);
		break;
	case CTL_STATS:
		status = ops->stats(ctx, req.json, out);
		break;
	case CTL_COLLATERAL:
		status = ops->collateral(ctx, req.arg, req.json, out);
		break;
	case CTL_DIVERT:
		status = ops->divert(ctx, req.json, out);
		break;
	}
	fclose(out);
	client_answer(cl, status, body, blen);
	free(body);
}

/* Reads what has arrived; a newline, a full buffer, the peer's end or the deadline ends the request. */
static void
client_read(struct ctl *c, struct ctl_client *cl, int64_t now, const struct ctl_ops *ops, void *ctx)
{
	int done = 0;

	while (!done && cl->len < sizeof(cl->buf)) {
		ssize_t r =
		    recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			done = 1;
			break;
		}
		done = memchr(cl->buf + cl->len, '\n', (size_t)r) != NULL;
		cl->len += (size_t)r;
	}
	if (done || cl->len == sizeof(cl->buf) || now >= cl->deadline)
		client_request(c, cl, ops, ctx);
}

size_t
ctl_pollfds(const struct ctl *c, struct pollfd *pf)
{
	size_t n = 1, busy = 0;

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		if (c->cl[i].fd == -1)
			continue;
		pf[n++] = (struct pollfd){c->cl[i].fd, c->cl[i].out ? POLLOUT : POLLIN, 0};
		busy++;
	}
	/*
	 * With every slot taken, or no descriptor to accept into, new clients
	 * wait in the listen queue.
	 */
	pf[0] = (struct pollfd){
	    busy < CTL_CLIENTS_MAX && now_ms() >= c->accept_paused ? c->fd : -1, POLLIN, 0};
	return n;
}

int
ctl_timeout(const struct ctl *c, int max_ms)
{
	int64_t now = now_ms(), t = max_ms;

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].fd != -1 && c->cl[i].deadline - now < t)
			t = c->cl[i].deadline - now;
	if (c->accept_paused > now && c->accept_paused - now < t)
		t = c->accept_paused - now;
	return t < 0 ? 0 : (int)t;
}

void
ctl_serve(struct ctl *c, const struct ctl_ops *ops, void *ctx)
{
	int64_t now = now_ms();

	/* New clients into free slots, each read at once: most send their request with the connect. */
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &c->cl[i];
		if (cl->fd != -1)
			continue;
		if (now < c->accept_paused)
			break;
		if ((cl->fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
			/* Out of descriptors the listener stays readable: rest, do not spin. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				c->accept_paused = now + CTL_ACCEPT_PAUSE_MS;
			break;
		}
		cl->deadline = now + CTL_TIMEOUT_MS;
		cl->len = 0;
	}
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &c->cl[i];
		if (cl->fd != -1 && cl->out == NULL)
			client_read(c, cl, now, ops, ctx);
		if (cl->fd == -1 || cl->out == NULL)
			continue;
		/* A client that does not take its answer in time is dropped. */
		if (now_ms() >= cl->deadline)
			client_close(cl);
		else
			client_send(cl);
	}
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->cl[i].fd != -1)
			client_close(&c->cl[i]);
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
