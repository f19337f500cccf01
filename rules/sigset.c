/* Keyrings of trusted public keys, reading a list's signature files, and the threshold count. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "sigset.h"

void
keyring_free(struct keyring *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++)
		free(k->files[i]);
	free(k->files);
	free(k->keys);
	free(k->same);
	free(k);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
keyring_load(const char *dir, struct keyring **out, char *err, size_t errlen)
{
	struct keyring *k = calloc(1, sizeof *k);
	char **names = NULL, **nn, path[4096], why[256], *buf, id[17];
	size_t nnames = 0, i, j, len;
	struct minisign_pubkey key;
	struct dirent *d;
	DIR *dp;
	int dup;

	*out = NULL;
	if (k == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	dp = opendir(dir);
	if (dp == NULL) {
		snprintf(err, errlen, "keys directory %s: %s", dir, strerror(errno));
		free(k);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len < 5 || strcmp(d->d_name + len - 4, ".pub") != 0 || d->d_name[0] == '.')
			continue;
		nn = realloc(names, (nnames + 1) * sizeof *nn);
		if (nn == NULL || (nn[nnames] = strdup(d->d_name)) == NULL) {
			names = nn ? nn : names;
			snprintf(err, errlen, "%s: out of memory", dir);
			goto fail;
		}
		names = nn;
		nnames++;
	}
	closedir(dp);
	dp = NULL;
	/* Sorted, so messages and the kept file name do not depend on the directory order. */
	if (nnames)
		qsort(names, nnames, sizeof *names, cmpstr);
	k->keys = calloc(nnames ? nnames : 1, sizeof *k->keys);
	k->files = calloc(nnames ? nnames : 1, sizeof *k->files);
	k->same = calloc(nnames ? nnames : 1, sizeof *k->same);
	if (k->keys == NULL || k->files == NULL || k->same == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		goto fail;
	}
	for (i = 0; i < nnames; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (file_read_capped(path, MINISIGN_KEYFILE_MAX, &buf, &len, err, errlen) != 0)
			goto fail;
		if (minisign_pubkey_parse(buf, len, &key, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: %s", path, why);
			free(buf);
			goto fail;
		}
		free(buf);
		for (j = 0, dup = 0; j < k->n; j++) {
			if (memcmp(k->keys[j].keynum, key.keynum, 8) != 0)
				continue;
			if (memcmp(k->keys[j].pk, key.pk, 32) != 0) {
				minisign_keyid(key.keynum, id);
				snprintf(err, errlen,
				    "%s: key ID %s is also in %s with another key", path, id,
				    k->files[j]);
				goto fail;
			}
			dup = 1;
		}
		if (dup)
			continue;
		/* One key under another key ID (a re-exported key file) is still one signer. */
		k->same[k->n] = k->n;
		for (j = 0; j < k->n; j++)
			if (memcmp(k->keys[j].pk, key.pk, 32) == 0) {
				k->same[k->n] = k->same[j];
				break;
			}
		k->keys[k->n] = key;
		k->files[k->n] = strdup(path);
		if (k->files[k->n] == NULL) {
			snprintf(err, errlen, "%s: out of memory", dir);
			goto fail;
		}
		k->n++;
	}
	if (k->n == 0) {
		snprintf(err, errlen, "keys directory %s holds no .pub files", dir);
		goto fail;
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	*out = k;
	return 0;
fail:
	if (dp)
		closedir(dp);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	keyring_free(k);
	return -1;
}

int
sigset_path(const char *list, int i, char *buf, size_t bufsz)
{
	int n = i == 1 ? snprintf(buf, bufsz, "%s.minisig", list)
		       : snprintf(buf, bufsz, "%s.minisig.%d", list, i);

	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

void
sigset_free(struct sigset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->text[i]);
	s->n = 0;
}

int
sigset_read(const char *list, struct sigset *out, char *err, size_t errlen)
{
	char path[4096];
	int i;

	out->n = 0;
	for (i = 1; i <= SIGSET_MAX; i++) {
		if (sigset_path(list, i, path, sizeof path) != 0) {
			snprintf(err, errlen, "%s: path too long", list);
			goto fail;
		}
		if (file_read_capped(path, MINISIGN_SIGFILE_MAX, &out->text[out->n],
			&out->len[out->n], err, errlen) != 0) {
			if (errno == ENOENT)
				continue;
			goto fail;
		}
		out->index[out->n++] = i;
	}
	return 0;
fail:
	sigset_free(out);
	return -1;
}

static void __attribute__((format(printf, 3, 4)))
note(char *notes, size_t noteslen, const char *fmt, ...)
{
	size_t used = strlen(notes);
	va_list ap;

	if (used >= noteslen)
		return;
	va_start(ap, fmt);
	vsnprintf(notes + used, noteslen - used, fmt, ap);
	va_end(ap);
}

int
sigset_verify(const struct keyring *keys, const struct sigset *set, const char *list,
    const uint8_t digest[64], unsigned threshold, unsigned *valid, char *notes, size_t noteslen)
{
	/* counted[same key]: 1 + the index of the key ID that signed first, or 0. */
	size_t *counted = calloc(keys->n ? keys->n : 1, sizeof *counted);
	struct minisign_sig *sig = malloc(sizeof *sig);
	char name[4096], why[256], id[17];
	size_t i, k;

	*valid = 0;
	if (noteslen)
		notes[0] = '\0';
	if (counted == NULL || sig == NULL) {
		note(notes, noteslen, "out of memory\n");
		free(counted);
		free(sig);
		return -1;
	}
	for (i = 0; i < set->n; i++) {
		sigset_path(list, set->index[i], name, sizeof name);
		if (minisign_sig_parse(set->text[i], set->len[i], sig, why, sizeof why) != 0) {
			note(notes, noteslen, "%s: not counted: %s\n", name, why);
			continue;
		}
		minisign_keyid(sig->keynum, id);
		for (k = 0; k < keys->n; k++)
			if (memcmp(keys->keys[k].keynum, sig->keynum, 8) == 0)
				break;
		if (k == keys->n) {
			note(notes, noteslen, "%s: not counted: key ID %s is not a trusted key\n",
			    name, id);
			continue;
		}
		if (minisign_verify(&keys->keys[k], sig, digest, why, sizeof why) != 0) {
			note(notes, noteslen, "%s: not counted: key ID %s: %s\n", name, id, why);
			continue;
		}
		if (counted[keys->same[k]]) {
			size_t first = counted[keys->same[k]] - 1;
			char fid[17];

			if (first == k) {
				note(notes, noteslen,
				    "%s: good, key ID %s, but that key already signed (counts "
				    "once)\n",
				    name, id);
				continue;
			}
			minisign_keyid(keys->keys[first].keynum, fid);
			note(notes, noteslen,
			    "%s: good, key ID %s (%s), but it is the same Ed25519 key as key ID %s "
			    "(%s), which already signed (counts once)\n",
			    name, id, keys->files[k], fid, keys->files[first]);
			continue;
		}
		counted[keys->same[k]] = k + 1;
		(*valid)++;
		note(notes, noteslen, "%s: good, key ID %s (%s)\n", name, id, keys->files[k]);
	}
	free(counted);
	free(sig);
	return *valid >= threshold ? 0 : -1;
}
