/* Reading a log's files from a directory or over HTTP with curl, writing them durably, loading the tree. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "tiles.h"
#include "tlogstore.h"

static int
is_url(const char *base)
{
	return strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0;
}

/* curl URL into the file out; its HTTP status, or -1 with err. */
static int
curl_get(const char *url, const char *out, size_t cap, char *err, size_t errlen)
{
	char capstr[32], code[16] = "";
	int fd[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(capstr, sizeof capstr, "%zu", cap);
	if (pipe(fd) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execlp("curl", "curl", "--silent", "--show-error", "--location", "--max-redirs",
		    "5", "--max-filesize", capstr, "--proto", "=http,https", "--output", out,
		    "--write-out", "%{http_code}", "--", url, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	n = read(fd[0], code, sizeof code - 1);
	close(fd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s: curl failed (exit %d)", url,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	code[n > 0 ? n : 0] = '\0';
	return (int)strtol(code, NULL, 10);
}

int
tlogstore_read(const char *base, const char *rel, size_t cap, char **buf, size_t *len, char *err,
    size_t errlen)
{
	char path[4096], tmp[] = "/tmp/blockrules-fetch.XXXXXX";
	int fd, code, r;

	if (snprintf(path, sizeof path, "%s/%s", base, rel) >= (int)sizeof path) {
		snprintf(err, errlen, "%s/%s: path too long", base, rel);
		return -1;
	}
	if (!is_url(base)) {
		if (file_read_capped(path, cap, buf, len, err, errlen) == 0)
			return 0;
		return errno == ENOENT ? 1 : -1;
	}
	fd = mkstemp(tmp);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	close(fd);
	code = curl_get(path, tmp, cap, err, errlen);
	if (code == 200) {
		r = file_read_capped(tmp, cap, buf, len, err, errlen);
	} else if (code == 404 || code == 410) {
		r = 1;
	} else {
		if (code >= 0)
			snprintf(err, errlen, "%s: HTTP status %d", path, code);
		r = -1;
	}
	unlink(tmp);
	return r;
}

static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int
tlogstore_sync(const char *base, char *err, size_t errlen)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", base, strerror(errno));
		return -1;
	}
	r = syncfs(fd);
	if (r == -1)
		snprintf(err, errlen, "%s: syncfs: %s", base, strerror(errno));
	close(fd);
	return r;
}

/* Write, close, rename: durable only after tlogstore_sync(). */
static int
write_fast(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	ok = fwrite(buf, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
tlogstore_write(const char *base, const char *rel, const void *buf, size_t len, int sync, char *err,
    size_t errlen)
{
	char path[4096];

	if (snprintf(path, sizeof path, "%s/%s", base, rel) >= (int)sizeof path) {
		snprintf(err, errlen, "%s/%s: path too long", base, rel);
		return -1;
	}
	if (mkdirs(path) == -1) {
		snprintf(err, errlen, "%s: cannot make its directory: %s", path, strerror(errno));
		return -1;
	}
	if (!sync)
		return write_fast(path, buf, len, err, errlen);
	return file_write_atomic(path, buf, len, 0644, err, errlen);
}

int
tlogstore_load(const char *base, const struct note_key *key, struct checkpoint *cp,
    struct merkle_tree *t, char **note, size_t *notelen, char *err, size_t errlen)
{
	struct note *n = malloc(sizeof *n);
	char rel[TILE_PATH_MAX], why[512];
	uint8_t root[MERKLE_HASH_SIZE];
	uint64_t i, ntiles;
	size_t len, k;
	char *tile;
	int r;

	*note = NULL;
	merkle_init(t);
	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = tlogstore_read(base, "checkpoint", NOTE_MAX, note, notelen, err, errlen);
	if (r == 1)
		snprintf(err, errlen,
		    "%s/checkpoint: no such file (not a log? blockrules log init)", base);
	if (r != 0)
		goto fail;
	if (note_parse(*note, *notelen, n, why, sizeof why) == -1 ||
	    checkpoint_parse(n->text, n->textlen, cp, why, sizeof why) == -1) {
		snprintf(err, errlen, "%s/checkpoint: %s", base, why);
		goto fail;
	}
	if (note_verify(n, key, NULL, why, sizeof why) != 1) {
		snprintf(
		    err, errlen, "%s/checkpoint: not signed by the log key %s", base, key->name);
		goto fail;
	}
	ntiles = tile_count(0, cp->size);
	for (i = 0; i < ntiles; i++) {
		unsigned w = tile_width(0, i, cp->size);

		tile_path(0, i, w, rel, sizeof rel);
		r = tlogstore_read(
		    base, rel, (size_t)TILE_WIDTH * MERKLE_HASH_SIZE, &tile, &len, why, sizeof why);
		if (r != 0 || len != (size_t)w * MERKLE_HASH_SIZE) {
			snprintf(err, errlen, "%s/%s: %s", base, rel,
			    r == 0       ? "not the size its width says"
				: r == 1 ? "missing"
					 : why);
			if (r == 0)
				free(tile);
			goto fail;
		}
		for (k = 0; k < len; k += MERKLE_HASH_SIZE)
			if (merkle_append(t, (uint8_t *)tile + k) == -1) {
				free(tile);
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		free(tile);
	}
	merkle_root(t, t->size, root);
	if (memcmp(root, cp->root, MERKLE_HASH_SIZE) != 0) {
		snprintf(err, errlen,
		    "%s: the leaves in tile/0 do not give the checkpoint's root hash (size %" PRIu64
		    ")",
		    base, cp->size);
		goto fail;
	}
	free(n);
	return 0;
fail:
	free(n);
	free(*note);
	*note = NULL;
	merkle_free(t);
	return -1;
}
