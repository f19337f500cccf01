/* blockrules reports: signed reports from many ISPs verified against their keys and aggregated. */
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "exitcode.h"
#include "fileio.h"
#include "minisign.h"
#include "probefmt.h"
#include "reports.h"
#include "rulefmt.h"
#include "sigset.h"

#define REPORT_FILE_MAX (256u << 20)

/* The refusals, one "FILE: reason" a line. */
struct refusals {
	char *text;
	size_t len;
	size_t n;
};

static void __attribute__((format(printf, 3, 4)))
refuse(struct refusals *r, const char *file, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	size_t l;
	char *p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "blockrules: reports: %s: refused: %s\n", file, line);
	l = strlen(file) + strlen(line) + 4;
	if ((p = realloc(r->text, r->len + l + 1)) == NULL)
		return;
	r->text = p;
	r->len += (size_t)snprintf(p + r->len, l + 1, "%s: %s\n", file, line);
	r->n++;
}

/* The ISP a key file names: its base name without ".pub". */
static void
isp_name(const char *keyfile, char *out, size_t len)
{
	char tmp[4096], *b;
	size_t l;

	snprintf(tmp, sizeof(tmp), "%s", keyfile);
	b = basename(tmp);
	l = strlen(b);
	if (l > 4 && strcmp(b + l - 4, ".pub") == 0)
		l -= 4;
	snprintf(out, len, "%.*s", (int)l, b);
}

/*
 * One report: its signature checked against the ISPs' keys, then read into c.
 * 0 taken, -1 refused (the reason recorded).
 */
static int
one_report(struct comp *c, const struct keyring *keys, const char *keydir, const char *path,
    struct refusals *ref)
{
	char err[2048], sigpath[4096], isp[256], id[17], *buf = NULL, *sbuf = NULL;
	struct minisign_sig sig;
	uint8_t digest[64];
	size_t len, slen, k;
	long i;
	int rc = -1;

	snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
	if (file_read_capped(path, REPORT_FILE_MAX, &buf, &len, err, sizeof(err)) != 0) {
		refuse(ref, path, "cannot be read: %s", err);
		goto out;
	}
	if (file_read_capped(sigpath, MINISIGN_SIGFILE_MAX, &sbuf, &slen, err, sizeof(err)) != 0) {
		refuse(ref, path, "unsigned: no signature file %s (%s)", sigpath, err);
		goto out;
	}
	if (minisign_sig_parse(sbuf, slen, &sig, err, sizeof(err)) != 0) {
		refuse(ref, path, "%s: not a minisign signature: %s", sigpath, err);
		goto out;
	}
	minisign_keyid(sig.keynum, id);
	for (k = 0; k < keys->n; k++)
		if (memcmp(keys->keys[k].keynum, sig.keynum, sizeof(sig.keynum)) == 0)
			break;
	if (k == keys->n) {
		refuse(ref, path, "signed by key ID %s, which is none of the ISPs' keys in %s", id,
		    keydir);
		goto out;
	}
	isp_name(keys->files[k], isp, sizeof(isp));
	rules_blake2b512(buf, len, digest);
	if (minisign_verify(&keys->keys[k], &sig, digest, err, sizeof(err)) != 0) {
		refuse(ref, path,
		    "the signature of %s (key ID %s) does not verify: %s; the report was changed "
		    "after it was signed, or is not the one signed",
		    isp, id, err);
		goto out;
	}
	if ((i = comp_isp(c, isp)) < 0) {
		refuse(ref, path, "out of memory");
		goto out;
	}
	if (len >= 15 && memcmp(buf, "blockd-probe 1\n", 15) == 0) {
		struct probe_report pr;
		if (probe_parse(buf, len, path, &pr, err, sizeof(err)) != 0) {
			refuse(ref, path, "signed by %s, but not a probe report: %s", isp, err);
			goto out;
		}
		if (comp_add_probe(c, (uint32_t)i, &pr) != 0) {
			probe_report_free(&pr);
			refuse(ref, path, "out of memory");
			goto out;
		}
		probe_report_free(&pr);
	} else if (len >= 4 && memcmp(buf, "day,", 4) == 0) {
		if (comp_add_csv(c, (uint32_t)i, buf, len, path, err, sizeof(err)) != 0) {
			refuse(ref, path, "signed by %s, but %s", isp, err);
			goto out;
		}
	} else {
		refuse(ref, path,
		    "signed by %s, but neither a probe report (blockctl probe) nor an enforcement "
		    "report in CSV (blockctl report --format csv)",
		    isp);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(sbuf);
	return rc;
}

int
reports_main(int argc, char **argv)
{
	static const struct option longopts[] = {{"format", required_argument, NULL, 'F'},
	    {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	const char *keydir = NULL, *out = NULL, *title = "Compliance across ISPs";
	struct refusals ref = {0};
	struct keyring *keys = NULL;
	struct comp c;
	char err[2048], *text = NULL;
	size_t len = 0, taken = 0;
	int ch, format = 0, rc = EXIT_SYSTEM; /* 0 text, 1 json, 2 html */

	while ((ch = getopt_long(argc, argv, "k:o:t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keydir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			title = optarg;
			break;
		case 'j':
			format = 1;
			break;
		case 'F':
			if (strcmp(optarg, "text") == 0)
				format = 0;
			else if (strcmp(optarg, "json") == 0)
				format = 1;
			else if (strcmp(optarg, "html") == 0)
				format = 2;
			else {
				fprintf(
				    stderr, "blockrules: reports: --format: text, json or html\n");
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "blockrules: reports: see blockrules reports --help\n");
			return EXIT_USAGE;
		}
	}
	if (keydir == NULL || optind >= argc) {
		fprintf(stderr,
		    "blockrules: reports: needs -k keydir (the ISPs' public keys, one "
		    "NAME.pub per ISP) and report files\n");
		return EXIT_USAGE;
	}
	if (keyring_load(keydir, &keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockrules: reports: %s\n", err);
		return EXIT_FAIL;
	}
	comp_init(&c, title);
	for (int i = optind; i < argc; i++)
		taken += one_report(&c, keys, keydir, argv[i], &ref) == 0;
	if (comp_sort(&c) != 0)
		text = NULL;
	else
		text = format == 2 ? comp_html(&c, ref.text, &len)
				   : comp_format(&c, format, ref.text, &len);
	if (text == NULL) {
		fprintf(stderr, "blockrules: reports: out of memory\n");
		goto done;
	}
	if (out == NULL) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
			fprintf(stderr, "blockrules: reports: standard output: write failed\n");
			goto done;
		}
	} else if (file_write_atomic(out, text, len, 0644, err, sizeof(err)) != 0) {
		fprintf(stderr, "blockrules: reports: %s\n", err);
		goto done;
	}
	rc = taken == 0 ? EXIT_FAIL : ref.n > 0 ? EXIT_PARTIAL : EXIT_OK;
done:
	free(text);
	free(ref.text);
	comp_free(&c);
	keyring_free(keys);
	return rc;
}
