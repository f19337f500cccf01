/* Subscriber pseudonyms: a keyed hash of the client address under a key that changes every UTC day. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/bytes.h"
#include "evrec.h"
#include "base/log.h"
#include "pseudonym.h"

#define KEYFILE_MAGIC "blockd-pseudonym-v1"
#define NEXT_LABEL    "blockd pseudonym next"
#define DAY_LABEL     "blockd pseudonym day "

static void
hmac(const uint8_t key[32], const void *msg, size_t len, uint8_t out[32])
{
	unsigned int olen = 32;

	HMAC(EVP_sha256(), key, 32, msg, len, out, &olen);
}

static void
derive_daykey(const uint8_t chain[32], int64_t day, uint8_t out[32])
{
	char label[sizeof(DAY_LABEL) + 16];
	char d[11];

	evrec_day_fmt(day, d);
	snprintf(label, sizeof(label), "%s%s", DAY_LABEL, d);
	hmac(chain, label, strlen(label), out);
}

/* An HMAC-SHA-256 context keyed with key, or NULL (callers fall back to one-shot HMAC). */
static EVP_MAC_CTX *
keyed_mac(const uint8_t key[32])
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (ctx != NULL && !EVP_MAC_init(ctx, key, 32, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

void
pseudonym_init(struct pseudonym *p, const uint8_t chain[32], int64_t day)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->chain, chain, 32);
	p->day = day;
	derive_daykey(p->chain, p->day, p->daykey);
	p->mac = keyed_mac(p->daykey);
}

int
pseudonym_advance(struct pseudonym *p, int64_t day)
{
	uint8_t next[32];

	if (day <= p->day)
		return 0;
	/* A clock far ahead would make this loop long; a year of steps is cheap anyway. */
	EVP_MAC_CTX_free(p->prevmac);
	p->prevmac = NULL;
	while (p->day < day) {
		hmac(p->chain, NEXT_LABEL, strlen(NEXT_LABEL), next);
		memcpy(p->prevkey, p->daykey, 32);
		memcpy(p->chain, next, 32);
		p->day++;
		derive_daykey(p->chain, p->day, p->daykey);
	}
	/* The last step left the key of day - 1 in prevkey. */
	p->have_prev = 1;
	EVP_MAC_CTX_free(p->mac);
	p->mac = keyed_mac(p->daykey);
	p->prevmac = keyed_mac(p->prevkey);
	OPENSSL_cleanse(next, sizeof(next));
	return 1;
}

void
pseudonym_of(const struct pseudonym *p, int64_t day, int family, const uint8_t *addr, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t msg[17], mac[32];
	const uint8_t *key = p->daykey;
	EVP_MAC_CTX *ctx = p->mac;
	size_t alen = family == 6 ? 16 : 4, i, outl;

	if (day == p->day - 1 && p->have_prev) {
		key = p->prevkey;
		ctx = p->prevmac;
	}
	msg[0] = (uint8_t)family;
	memcpy(msg + 1, addr, alen);
	/* A NULL key re-initialises the context with the key it already holds. */
	if (ctx == NULL || !EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, msg, 1 + alen) || !EVP_MAC_final(ctx, mac, &outl, sizeof(mac)))
		hmac(key, msg, 1 + alen, mac);
	for (i = 0; i < PSEUDONYM_HEX / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[PSEUDONYM_HEX] = '\0';
}

void
pseudonym_wipe(struct pseudonym *p)
{
	EVP_MAC_CTX_free(p->mac);
	EVP_MAC_CTX_free(p->prevmac);
	OPENSSL_cleanse(p, sizeof(*p));
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
pseudonym_save(const struct pseudonym *p, const char *path)
{
	char tmp[4096], d[11], line[128];
	int fd, n;
	size_t i;

	evrec_day_fmt(p->day, d);
	n = snprintf(line, sizeof(line), "%s %s ", KEYFILE_MAGIC, d);
	for (i = 0; i < 32; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", p->chain[i]);
	line[n++] = '\n';
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("pseudonym key: create %s", tmp);
		return -1;
	}
	/* O_CREAT's mode does not apply to an existing file. */
	if (fchmod(fd, 0600) < 0 || write(fd, line, (size_t)n) != n || fsync(fd) < 0) {
		log_warn("pseudonym key: write %s", tmp);
		close(fd);
		unlink(tmp);
		OPENSSL_cleanse(line, sizeof(line));
		return -1;
	}
	close(fd);
	OPENSSL_cleanse(line, sizeof(line));
	if (rename(tmp, path) < 0) {
		log_warn("pseudonym key: rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
pseudonym_load(struct pseudonym *p, const char *path, int64_t today)
{
	char buf[256], magic[32], d[16], hexkey[80];
	uint8_t chain[32];
	int64_t day_us;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (RAND_bytes(chain, sizeof(chain)) != 1) {
			log_warnx("pseudonym key: no random bytes for %s", path);
			return -1;
		}
		pseudonym_init(p, chain, today);
		OPENSSL_cleanse(chain, sizeof(chain));
		log_info("pseudonym key: created %s", path);
		return pseudonym_save(p, path);
	}
	if (fd < 0) {
		log_warn("pseudonym key: open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warnx(
		    "pseudonym key: %s is readable by others than its owner; chmod 0600 it", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("pseudonym key: read %s", path);
		return -1;
	}
	buf[n] = '\0';
	if (sscanf(buf, "%31s %15s %79s", magic, d, hexkey) != 3 ||
	    strcmp(magic, KEYFILE_MAGIC) != 0 || strlen(hexkey) != 64 ||
	    evrec_time_parse(d, &day_us) < 0 || unhex(hexkey, chain, 32) < 0) {
		log_warnx("pseudonym key: %s: not a blockd pseudonym key; move it away to create a "
			  "new one",
		    path);
		OPENSSL_cleanse(buf, sizeof(buf));
		OPENSSL_cleanse(hexkey, sizeof(hexkey));
		return -1;
	}
	pseudonym_init(p, chain, evrec_day(day_us));
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(hexkey, sizeof(hexkey));
	OPENSSL_cleanse(chain, sizeof(chain));
	if (pseudonym_advance(p, today))
		return pseudonym_save(p, path);
	return 0;
}
