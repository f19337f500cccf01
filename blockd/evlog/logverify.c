/* Verify the enforcement log's hash chain across files: edited, removed, reordered records, torn tails. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "evlog_files.h"
#include "base/json.h"
#include "logverify.h"

static void
to_hex(const unsigned char *md, char out[EVREC_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[EVREC_HASH_HEX] = '\0';
}

void
logverify_hash(const void *buf, size_t len, char out[EVREC_HASH_HEX + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(buf, len, md);
	to_hex(md, out);
}

void
lv_hasher_init(struct lv_hasher *h)
{
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = h->md ? EVP_MD_CTX_new() : NULL;
	if (h->ctx == NULL) {
		EVP_MD_free(h->md);
		h->md = NULL;
	}
}

void
lv_hasher_hex(struct lv_hasher *h, const void *buf, size_t len, char out[EVREC_HASH_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (h->md != NULL && EVP_DigestInit_ex(h->ctx, h->md, NULL) &&
	    EVP_DigestUpdate(h->ctx, buf, len) && EVP_DigestFinal_ex(h->ctx, md, &mdlen) &&
	    mdlen == SHA256_DIGEST_LENGTH) {
		to_hex(md, out);
		return;
	}
	logverify_hash(buf, len, out);
}

void
lv_hasher_free(struct lv_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

void
logverify_init(struct logverify *v, uint64_t head_seq, const char *head_hash)
{
	memset(v, 0, sizeof(*v));
	lv_hasher_init(&v->hasher);
	if (head_hash != NULL) {
		v->head_seq = head_seq;
		snprintf(v->head_hash, sizeof(v->head_hash), "%s", head_hash);
	}
}

void
logverify_free(struct logverify *v)
{
	lv_hasher_free(&v->hasher);
}

static void __attribute__((format(printf, 6, 7))) problem(struct logverify *v, int kind,
    const char *file, size_t line, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->status == LOGVERIFY_BAD)
		return;
	v->status = LOGVERIFY_BAD;
	v->problem = kind;
	snprintf(v->file, sizeof(v->file), "%s", file);
	v->line = line;
	v->seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->what, sizeof(v->what), fmt, ap);
	va_end(ap);
}

/* One complete line (newline included in len). Returns -1 once a problem is final. */
static int
check_record(struct logverify *v, const char *name, size_t lineno, const char *line, size_t len)
{
	struct evrec r;
	const char *err;
	char hash[EVREC_HASH_HEX + 1];

	if (evrec_parse(line, len - 1, &r, &err) < 0) {
		problem(v, LV_MALFORMED, name, lineno, 0,
		    "malformed record (%s): edited or corrupted", err);
		return -1;
	}
	lv_hasher_hex(&v->hasher, line, len, hash);

	if (v->pending) {
		if (r.seq <= v->pend_seq)
			problem(v, LV_REORDERED, v->pend_file, v->pend_line, v->pend_seq,
			    "reordered: seq %" PRIu64 " comes before seq %" PRIu64 " (%s:%zu)",
			    v->pend_seq, r.seq, name, lineno);
		else
			problem(v, LV_REMOVED, v->pend_file, v->pend_line, v->pend_seq,
			    "removed: records seq %" PRIu64 "..%" PRIu64
			    " are missing before this one",
			    v->last_seq + 1, v->pend_seq - 1);
		return -1;
	}
	if (v->records > 0) {
		if (r.seq <= v->last_seq) {
			problem(v, LV_REORDERED, name, lineno, r.seq,
			    "reordered or duplicated: seq %" PRIu64 " follows seq %" PRIu64
			    " (%s:%zu)",
			    r.seq, v->last_seq, v->last_file, v->last_line);
			return -1;
		}
		if (r.seq > v->last_seq + 1) {
			/* Removal or a swap; the next record tells which. */
			v->pending = 1;
			v->pend_seq = r.seq;
			snprintf(v->pend_file, sizeof(v->pend_file), "%s", name);
			v->pend_line = lineno;
			return 0;
		}
		if (strcmp(r.prev, v->last_hash) != 0) {
			problem(v, LV_EDITED, v->last_file, v->last_line, v->last_seq,
			    "edited: this record's SHA-256 is not the prev recorded by seq %" PRIu64
			    " (%s:%zu)",
			    r.seq, name, lineno);
			return -1;
		}
	} else
		v->first_seq = r.seq;
	if (v->head_hash[0] != '\0' && r.seq == v->head_seq) {
		if (strcmp(hash, v->head_hash) != 0) {
			problem(v, LV_HEAD, name, lineno, r.seq,
			    "edited: this record's SHA-256 is not the chain head saved at stop");
			return -1;
		}
		v->head_seen = 1;
	}
	v->records++;
	v->last_seq = r.seq;
	memcpy(v->last_hash, hash, sizeof(hash));
	snprintf(v->last_file, sizeof(v->last_file), "%s", name);
	v->last_line = lineno;
	return 0;
}

int
logverify_feed(struct logverify *v, const char *name, const char *buf, size_t len)
{
	size_t off = 0, lineno = 0;

	if (v->status == LOGVERIFY_BAD)
		return v->status;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		lineno++;
		if (nl == NULL) {
			/* A last line without its newline: the write never finished. */
			if (v->status == LOGVERIFY_OK) {
				v->status = LOGVERIFY_TORN;
				v->problem = LV_TORN;
				snprintf(v->file, sizeof(v->file), "%s", name);
				v->line = lineno;
				v->seq = 0;
				v->torn_bytes = len - off;
				snprintf(v->what, sizeof(v->what),
				    "torn tail: %zu bytes after the last complete record; a crash "
				    "or "
				    "power loss, not tampering (blockd removes it at its next "
				    "start)",
				    len - off);
			}
			break;
		}
		if (check_record(v, name, lineno, buf + off, (size_t)(nl - buf) - off + 1) < 0)
			return v->status;
		off = (size_t)(nl - buf) + 1;
	}
	return v->status;
}

int
logverify_finish(struct logverify *v)
{
	if (v->status == LOGVERIFY_BAD)
		return v->status;
	if (v->pending) {
		problem(v, LV_REMOVED, v->pend_file, v->pend_line, v->pend_seq,
		    "removed: records seq %" PRIu64 "..%" PRIu64 " are missing before this one",
		    v->last_seq + 1, v->pend_seq - 1);
		return v->status;
	}
	if (v->head_hash[0] != '\0' && !v->head_seen) {
		if (v->records > 0 && v->head_seq > v->last_seq)
			problem(v, LV_HEAD, v->last_file, v->last_line, v->last_seq,
			    "removed: the log ends at seq %" PRIu64
			    " but the chain head saved at stop is seq %" PRIu64,
			    v->last_seq, v->head_seq);
		else if (v->records > 0 && v->head_seq >= v->first_seq)
			problem(v, LV_HEAD, v->last_file, v->last_line, v->last_seq,
			    "the chain head saved at stop (seq %" PRIu64 ") is not in these files",
			    v->head_seq);
	}
	return v->status;
}

void
logverify_print(const struct logverify *v, FILE *out)
{
	if (v->status == LOGVERIFY_BAD || v->status == LOGVERIFY_TORN) {
		if (v->seq != 0)
			fprintf(out, "%s:%zu: seq %" PRIu64 ": %s\n", v->file, v->line, v->seq,
			    v->what);
		else
			fprintf(out, "%s:%zu: %s\n", v->file, v->line, v->what);
	}
	if (v->status == LOGVERIFY_BAD)
		return;
	if (v->records == 0)
		fprintf(out, "no complete records\n");
	else
		fprintf(out, "%" PRIu64 " records, seq %" PRIu64 "..%" PRIu64 ": chain intact%s\n",
		    v->records, v->first_seq, v->last_seq,
		    v->head_seen ? ", ends at the saved head or beyond" : "");
}

int
logverify_seen(struct lv_fileid *seen, size_t *n, int fd)
{
	struct stat st;
	size_t i;

	if (fstat(fd, &st) < 0)
		return -1;
	for (i = 0; i < *n; i++)
		if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
			return 1;
	seen[*n].dev = st.st_dev;
	seen[*n].ino = st.st_ino;
	(*n)++;
	return 0;
}

/*
 * Whole file into memory (mmap); *buf NULL for an empty file or one among
 * seen already (another name of it).
 */
static int
map_file(const char *path, struct lv_fileid *seen, size_t *nseen, const char **buf, size_t *len,
    FILE *out)
{
	struct stat st;
	void *p;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(out, "%s: not a regular file (decompress rotated logs first)\n", path);
		close(fd);
		return -1;
	}
	if (logverify_seen(seen, nseen, fd) != 0) {
		close(fd);
		return 0;
	}
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			fprintf(out, "%s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		*buf = p;
		*len = (size_t)st.st_size;
	}
	close(fd);
	return 0;
}

int
logverify_read_head(
    const char *path, uint64_t *seq, char hash[EVREC_HASH_HEX + 1], int *stopped, FILE *err)
{
	char buf[256], magic[32], num[24], state[16], h[80], *end;
	FILE *f = fopen(path, "re");
	int ok;

	if (f == NULL) {
		if (err != NULL)
			fprintf(err, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fgets(buf, sizeof(buf), f) != NULL &&
	    sscanf(buf, "%31s %23s %79s %15s", magic, num, h, state) == 4 &&
	    strcmp(magic, EVLOG_HEAD_MAGIC) == 0 && strlen(h) == EVREC_HASH_HEX;
	if (ok) {
		errno = 0;
		*seq = strtoull(num, &end, 10);
		ok = errno == 0 && *end == '\0' && num[0] != '-';
	}
	fclose(f);
	if (!ok) {
		if (err != NULL)
			fprintf(err, "%s: not a blockd chain head file\n", path);
		return -1;
	}
	memcpy(hash, h, EVREC_HASH_HEX + 1);
	*stopped = strcmp(state, "stopped") == 0;
	return 0;
}

void
logverify_print_json(const struct logverify *v, FILE *out)
{
	static const char *const names[] = {"intact", "bad", "torn", "error"};

	fprintf(out,
	    "{\"status\":\"%s\",\"records\":%" PRIu64 ",\"first_seq\":%" PRIu64
	    ",\"last_seq\":%" PRIu64 ",\"head_seen\":%s",
	    v->status >= 0 && v->status <= 3 ? names[v->status] : "error", v->records, v->first_seq,
	    v->last_seq, v->head_seen ? "true" : "false");
	if (v->status == LOGVERIFY_BAD || v->status == LOGVERIFY_TORN) {
		fprintf(out, ",\"file\":");
		json_fstr(out, v->file);
		fprintf(out, ",\"line\":%zu,\"seq\":%" PRIu64 ",\"what\":", v->line, v->seq);
		json_fstr(out, v->what);
	}
	fprintf(out, "}\n");
}

static int
verify(const char *const *paths, size_t n, uint64_t head_seq, const char *head_hash, int json,
    FILE *out)
{
	struct logverify *v = malloc(sizeof(*v));
	struct lv_fileid *seen = calloc(n ? n : 1, sizeof(*seen));
	const char *buf;
	size_t i, len, nseen = 0;
	int rc;

	if (n == 0) {
		fprintf(out, "no log files given\n");
		free(v);
		free(seen);
		return LOGVERIFY_ERROR;
	}
	if (v == NULL || seen == NULL) {
		fprintf(out, "out of memory\n");
		free(v);
		free(seen);
		return LOGVERIFY_ERROR;
	}
	logverify_init(v, head_seq, head_hash);
	for (i = 0; i < n; i++) {
		if (map_file(paths[i], seen, &nseen, &buf, &len, out) < 0) {
			logverify_free(v);
			free(v);
			free(seen);
			return LOGVERIFY_ERROR;
		}
		rc = logverify_feed(v, paths[i], buf, len);
		if (buf != NULL)
			munmap((void *)buf, len);
		if (rc == LOGVERIFY_BAD)
			break;
	}
	rc = logverify_finish(v);
	if (json)
		logverify_print_json(v, out);
	else
		logverify_print(v, out);
	logverify_free(v);
	free(v);
	free(seen);
	return rc;
}

int
logverify_files(const char *const *paths, size_t n, FILE *out)
{
	return verify(paths, n, 0, NULL, 0, out);
}

int
logverify_files_head(const char *const *paths, size_t n, const char *head_path, FILE *out)
{
	return logverify_files_fmt(paths, n, head_path, 0, out);
}

int
logverify_files_fmt(const char *const *paths, size_t n, const char *head_path, int json, FILE *out)
{
	char hash[EVREC_HASH_HEX + 1];
	uint64_t seq;
	int stopped;

	if (head_path == NULL)
		return verify(paths, n, 0, NULL, json, out);
	/* In JSON mode problems reading the head go to stderr, keeping out one object. */
	if (logverify_read_head(head_path, &seq, hash, &stopped, json ? stderr : out) < 0)
		return LOGVERIFY_ERROR;
	return verify(paths, n, seq, hash, json, out);
}
