/* Running nft and iptables: argument vectors (never a shell), a script on stdin, the complaint kept. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfcmd.h"

void
nfcmd_add(struct nfcmd_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->over)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = 1;
	else
		b->len += (size_t)n;
}

size_t
nfcmd_len(const struct nfcmd_buf *b)
{
	return b->over ? 0 : b->len;
}

/* Reads what is left of fd into buf (NUL-terminated), discarding what does not fit. */
static void
drain(int fd, char *buf, size_t cap, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return;
	if (buf && cap) {
		size_t k = (size_t)n;
		if (k > cap - 1 - *len)
			k = cap - 1 - *len;
		memcpy(buf + *len, tmp, k);
		*len += k;
		buf[*len] = '\0';
	}
}

int
nfcmd_run(char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int in[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;
	size_t ol = 0, el = 0;

	if (out && outlen)
		out[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(po, O_CLOEXEC) == -1 ||
	    pipe2(pe, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(po[1]);
	close(pe[1]);
	in[0] = po[1] = pe[1] = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(rc));
		goto out;
	}
	if (input) {
		size_t left = strlen(input);
		while (left) {
			ssize_t n = write(in[1], input, left);
			if (n <= 0)
				break;
			input += n;
			left -= (size_t)n;
		}
	}
	close(in[1]);
	in[1] = -1;
	struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	while (pf[0].fd != -1 || pf[1].fd != -1) {
		if (poll(pf, 2, 10000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd == -1 || pf[i].revents == 0)
				continue;
			if (pf[i].revents & POLLIN) {
				if (i == 0)
					drain(po[0], out, outlen, &ol);
				else
					drain(pe[0], err, errlen, &el);
			} else {
				pf[i].fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* The first line of the tool's complaint is the one that says what is wrong. */
	if (err && el > 0) {
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = '\0';
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] != -1)
			close(in[i]);
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
	}
	return status;
}

int
nfcmd_nft(const char *script, char *err, size_t errlen)
{
	char *const argv[] = {"nft", "-f", "-", NULL};
	return nfcmd_run(argv, script, NULL, 0, err, errlen) == 0 ? 0 : -1;
}
