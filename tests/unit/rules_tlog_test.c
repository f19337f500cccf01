/* Unit tests for transparency logs: RFC 9162 trees and proofs, signed notes, checkpoints, tiles. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "merkle.h"
#include "minisign.h"
#include "note.h"
#include "tiles.h"
#include "tlogentry.h"

static void
hexto(const char *hex, uint8_t *out)
{
	size_t i;

	for (i = 0; i < strlen(hex) / 2; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* The eight leaves of RFC 6962's reference tests (as in certificate-transparency's test data). */
static const struct {
	const char *data;
	size_t len;
} leaves[] = {
    {"", 0},
    {"\x00", 1},
    {"\x10", 1},
    {"\x20\x21", 2},
    {"\x30\x31", 2},
    {"\x40\x41\x42\x43", 4},
    {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
    {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

static const char *roots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void
build(struct merkle_tree *t, size_t n)
{
	uint8_t h[32];
	size_t i;

	merkle_init(t);
	for (i = 0; i < n; i++) {
		merkle_leaf_hash(leaves[i % 8].data, leaves[i % 8].len, h);
		if (i >= 8)
			h[0] ^= (uint8_t)i, h[1] ^= (uint8_t)(i >> 8);
		cr_assert_eq(merkle_append(t, h), 0);
	}
}

Test(rules_tlog, rfc6962_roots)
{
	struct merkle_tree t;
	uint8_t want[32], got[32];
	size_t n;

	merkle_empty_root(got);
	hexto("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	cr_assert_arr_eq(got, want, 32);
	build(&t, 8);
	for (n = 1; n <= 8; n++) {
		hexto(roots[n - 1], want);
		cr_assert_eq(merkle_root(&t, n, got), 0);
		cr_assert_arr_eq(got, want, 32, "root of size %zu", n);
	}
	cr_assert_eq(merkle_root(&t, 9, got), -1);
	merkle_free(&t);
}

Test(rules_tlog, rfc6962_inclusion_vectors)
{
	struct merkle_tree t;
	uint8_t proof[MERKLE_PROOF_MAX][32], want[3][32];
	size_t len;
	char err[128];

	build(&t, 8);
	cr_assert_eq(merkle_prove_inclusion(&t, 0, 8, proof, &len, err, sizeof err), 0);
	cr_assert_eq(len, 3);
	hexto("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", want[0]);
	hexto("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", want[1]);
	hexto("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", want[2]);
	cr_assert_arr_eq(proof, want, sizeof want);
	cr_assert_eq(merkle_prove_inclusion(&t, 5, 8, proof, &len, err, sizeof err), 0);
	hexto("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", want[0]);
	hexto("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", want[1]);
	hexto("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", want[2]);
	cr_assert_eq(len, 3);
	cr_assert_arr_eq(proof, want, sizeof want);
	cr_assert_eq(merkle_prove_inclusion(&t, 8, 8, proof, &len, err, sizeof err), -1);
	merkle_free(&t);
}

Test(rules_tlog, rfc6962_consistency_vectors)
{
	struct merkle_tree t;
	uint8_t proof[MERKLE_PROOF_MAX][32], want[3][32];
	size_t len;
	char err[128];

	build(&t, 8);
	cr_assert_eq(merkle_prove_consistency(&t, 6, 8, proof, &len, err, sizeof err), 0);
	cr_assert_eq(len, 3);
	hexto("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", want[0]);
	hexto("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", want[1]);
	hexto("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", want[2]);
	cr_assert_arr_eq(proof, want, sizeof want);
	cr_assert_eq(merkle_prove_consistency(&t, 4, 8, proof, &len, err, sizeof err), 0);
	cr_assert_eq(len, 1);
	cr_assert_arr_eq(proof[0], t.level[2][1], 32); /* MTH(D[4:8]) */
	merkle_free(&t);
}

/* Every proof of every pair of sizes up to 70 verifies, and any change to it does not. */
Test(rules_tlog, proofs_round_trip_and_tamper)
{
	struct merkle_tree t;
	uint8_t proof[MERKLE_PROOF_MAX][32], r1[32], r2[32], leaf[32];
	uint64_t m, n, i;
	size_t len;
	char err[128];

	build(&t, 70);
	for (n = 1; n <= 70; n++) {
		cr_assert_eq(merkle_root(&t, n, r2), 0);
		for (i = 0; i < n; i++) {
			memcpy(leaf, t.level[0][i], 32);
			cr_assert_eq(
			    merkle_prove_inclusion(&t, i, n, proof, &len, err, sizeof err), 0);
			cr_assert_eq(
			    merkle_verify_inclusion(i, n, leaf, proof, len, r2, err, sizeof err), 0,
			    "%" PRIu64 " in %" PRIu64 ": %s", i, n, err);
			if (len > 0) {
				cr_assert_eq(merkle_verify_inclusion(
						 i, n, leaf, proof, len - 1, r2, err, sizeof err),
				    -1);
				proof[len - 1][3] ^= 1;
				cr_assert_eq(merkle_verify_inclusion(
						 i, n, leaf, proof, len, r2, err, sizeof err),
				    -1);
			}
			if (n > 1)
				cr_assert_eq(merkle_verify_inclusion((i + 1) % n, n, leaf, proof,
						 len, r2, err, sizeof err),
				    -1);
		}
		for (m = 1; m <= n; m++) {
			cr_assert_eq(merkle_root(&t, m, r1), 0);
			cr_assert_eq(
			    merkle_prove_consistency(&t, m, n, proof, &len, err, sizeof err), 0);
			cr_assert_eq(
			    merkle_verify_consistency(m, n, r1, r2, proof, len, err, sizeof err), 0,
			    "%" PRIu64 " to %" PRIu64 ": %s", m, n, err);
			if (len > 0) {
				cr_assert_eq(merkle_verify_consistency(
						 m, n, r1, r2, proof, len - 1, err, sizeof err),
				    -1);
				proof[0][0] ^= 1;
				cr_assert_eq(merkle_verify_consistency(
						 m, n, r1, r2, proof, len, err, sizeof err),
				    -1);
				proof[0][0] ^= 1;
				/* A rewritten old tree: the same proof, another old root. */
				r1[5] ^= 1;
				cr_assert_eq(merkle_verify_consistency(
						 m, n, r1, r2, proof, len, err, sizeof err),
				    -1);
			}
		}
	}
	cr_assert_eq(merkle_verify_consistency(5, 4, r1, r2, proof, 0, err, sizeof err), -1);
	cr_assert_str_eq(err, "the tree shrank: the old size is larger than the new one");
	merkle_free(&t);
}

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT                                                   \
	"If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG                                                                               \
	"\xe2\x80\x94 PeterNeumann "                                                            \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy" \
	"BwJnAM=\n"

/* The signed-note specification's example key and note (also Go's note package tests). */
Test(rules_tlog, signed_note_example)
{
	struct note_signer s;
	struct note_key k;
	struct note *n = malloc(sizeof *n);
	char err[256], buf[512];
	uint64_t when;

	cr_assert_eq(
	    note_signer_parse(PETER_SKEY, strlen(PETER_SKEY), &s, err, sizeof err), 0, "%s", err);
	cr_assert_eq(
	    note_key_parse(PETER_VKEY, strlen(PETER_VKEY), &k, err, sizeof err), 0, "%s", err);
	cr_assert_eq(k.hash, 0xc74f20a3);
	cr_assert_arr_eq(k.pk, s.pub.pk, 32);
	cr_assert_eq(note_key_format(&k, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, PETER_VKEY);
	cr_assert_eq(note_signer_format(&s, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, PETER_SKEY);
	cr_assert_eq(note_sign_line(&s, PETER_TEXT, strlen(PETER_TEXT), 0, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, PETER_SIG);

	const char *msg = PETER_TEXT "\n" PETER_SIG;
	cr_assert_eq(note_parse(msg, strlen(msg), n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n->nsigs, 1);
	cr_assert_eq(n->textlen, strlen(PETER_TEXT));
	cr_assert_eq(note_verify(n, &k, &when, err, sizeof err), 1, "%s", err);

	/* The wrong key hash, a changed text, a key of another name. */
	struct note_key other = k;
	other.hash ^= 1;
	cr_assert_eq(note_verify(n, &other, &when, err, sizeof err), 0);
	char *bad = strdup(msg);
	bad[3] = 'X';
	cr_assert_eq(note_parse(bad, strlen(bad), n, err, sizeof err), 0);
	cr_assert_eq(note_verify(n, &k, &when, err, sizeof err), -1);
	cr_assert_str_eq(err, "the signature of PeterNeumann+c74f20a3 does not verify");
	free(bad);
	free(n);
}

Test(rules_tlog, note_key_refusals)
{
	struct note_key k;
	char err[256];
	const char *bad[] = {
	    "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* hash */
	    "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* alg */
	    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    "PeterNeumann+c74f20a3",
	    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
	    PETER_SKEY,
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(
		    note_key_parse(bad[i], strlen(bad[i]), &k, err, sizeof err), -1, "%zu", i);
	cr_assert_eq(note_name_ok("a+b", 3), 0);
	cr_assert_eq(note_name_ok("a\xc2\xa0"
				  "b",
			 4),
	    0); /* NO-BREAK SPACE */
	cr_assert_eq(note_name_ok("example.com/log", 15), 1);
}

Test(rules_tlog, note_parse_refusals)
{
	struct note *n = malloc(sizeof *n);
	char err[256];
	const char *bad[] = {
	    "text\n",                                 /* no signatures */
	    "text\n\n",                               /* blank line, nothing after */
	    "text\n\n- name AAAAAAAA\n",              /* not an em dash */
	    "text\n\n\xe2\x80\x94 name AAAA\n",       /* under 5 bytes */
	    "text\n\n\xe2\x80\x94 name AAAAAAAA",     /* no final newline */
	    "te\txt\n\n\xe2\x80\x94 name AAAAAAAA\n", /* a control character */
	    "te\xff\n\n\xe2\x80\x94 name AAAAAAAA\n", /* not UTF-8 */
	    "text\n\n\xe2\x80\x94 na+me AAAAAAAA\n",  /* a '+' in the name */
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(note_parse(bad[i], strlen(bad[i]), n, err, sizeof err), -1, "%zu", i);
	free(n);
}

Test(rules_tlog, cosignature_v1)
{
	struct note_signer w;
	struct note *n = malloc(sizeof *n);
	uint8_t seed[32], raw[76], msg[256];
	char err[256], line[512], key[256], note[1024];
	const char *body = "example.com/behind-the-sofa\n20852163\n"
			   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	uint64_t when = 0;
	struct note_key k;
	size_t ml;

	memset(seed, 7, sizeof seed);
	cr_assert_eq(
	    note_signer_make("witness.example.com/w1", NOTE_ALG_COSIG, seed, &w, err, sizeof err),
	    0);
	cr_assert_eq(note_sign_line(&w, body, strlen(body), 1679315147, line, sizeof line), 0);
	snprintf(note, sizeof note, "%s\n%s", body, line);
	cr_assert_eq(note_parse(note, strlen(note), n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(note_key_format(&w.pub, key, sizeof key), 0);
	cr_assert_eq(note_key_parse(key, strlen(key), &k, err, sizeof err), 0, "%s", err);
	cr_assert_eq(k.alg, NOTE_ALG_COSIG);
	cr_assert_eq(note_verify(n, &k, &when, err, sizeof err), 1, "%s", err);
	cr_assert_eq(when, 1679315147);

	/* The signed message is the specification's: header, time line, checkpoint body. */
	cr_assert_eq(minisign_b64_decode(line + 5 + strlen("witness.example.com/w1"),
			 strlen(line) - 6 - strlen("witness.example.com/w1"), raw, sizeof raw),
	    76);
	ml = (size_t)snprintf((char *)msg, sizeof msg, "cosignature/v1\ntime 1679315147\n%s", body);
	cr_assert_eq(raw[4 + 7], 1679315147 & 0xff);
	cr_assert_eq(minisign_ed25519_verify(w.pub.pk, raw + 12, msg, ml), 0);

	/* The key hash uses algorithm byte 4: the same key as a note signer is another key. */
	cr_assert_neq(note_key_hash(w.pub.name, NOTE_ALG_ED25519, w.pub.pk), w.pub.hash);
	free(n);
}

Test(rules_tlog, checkpoint_body)
{
	const char *text = "example.com/behind-the-sofa\n20852163\n"
			   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension one\n";
	struct checkpoint c;
	char err[256], buf[2048];

	cr_assert_eq(checkpoint_parse(text, strlen(text), &c, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.origin, "example.com/behind-the-sofa");
	cr_assert_eq(c.size, 20852163);
	cr_assert_str_eq(c.ext, "extension one\n");
	cr_assert_eq(checkpoint_format(&c, buf, sizeof buf), (int)strlen(text));
	cr_assert_str_eq(buf, text);

	const char *bad[] = {
	    "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
	    "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
	    "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
	    "o\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(
		    checkpoint_parse(bad[i], strlen(bad[i]), &c, err, sizeof err), -1, "%zu", i);
}

Test(rules_tlog, proof_file)
{
	const char *file =
	    "c2sp.org/tlog-proof@v1\n"
	    "extra YWdl\n"
	    "index 73894\n"
	    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
	    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
	    "\n"
	    "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
	    "\n\xe2\x80\x94 example.com/fancylog AAAAAAAA\n";
	struct tlog_proof *p = malloc(sizeof *p);
	struct tlog_consistency *c = malloc(sizeof *c);
	char err[256], buf[1024], *again;
	size_t used;

	cr_assert_eq(tlog_proof_parse(file, strlen(file), p, err, sizeof err), 0, "%s", err);
	cr_assert_eq(p->index, 73894);
	cr_assert_eq(p->npath, 2);
	cr_assert_eq(p->extralen, 4);
	cr_assert_eq(strncmp(p->note, "example.com/fancylog\n", 21), 0);
	again = tlog_proof_format(p);
	cr_assert_str_eq(again, file);
	free(again);
	cr_assert_eq(tlog_proof_parse(file, 60, p, err, sizeof err), -1);
	cr_assert_eq(tlog_proof_parse(file + 1, strlen(file) - 1, p, err, sizeof err), -1);
	cr_assert_str_eq(err, "line 1: expected c2sp.org/tlog-proof@v1");

	const char *cons = "old 12\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n\nrest";
	cr_assert_eq(
	    tlog_consistency_parse(cons, strlen(cons), c, &used, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c->old, 12);
	cr_assert_eq(c->npath, 1);
	cr_assert_eq(used, strlen(cons) - 4);
	cr_assert_eq(tlog_consistency_format(c, buf, sizeof buf), (int)used);
	cr_assert_eq(strncmp(buf, cons, used), 0);
	cr_assert_eq(tlog_consistency_parse("old 012\n\n", 9, c, &used, err, sizeof err), -1);
	free(p);
	free(c);
}

Test(rules_tlog, tile_paths)
{
	char buf[TILE_PATH_MAX];

	cr_assert_eq(tile_path(0, 1234067, 256, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "tile/0/x001/x234/067");
	cr_assert_eq(tile_path(1, 1, 3, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "tile/1/001.p/3");
	cr_assert_eq(tile_path(TILE_ENTRIES, 1000, 256, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "tile/entries/x001/000");
	cr_assert_eq(tile_path(3, 123456078, 2, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "tile/3/x123/x456/078.p/2");
	cr_assert_eq(tile_path(0, 0, 0, buf, sizeof buf), -1);
	cr_assert_eq(tile_path(0, 0, 257, buf, sizeof buf), -1);
	cr_assert_eq(tile_path(0, 0, 256, buf, 8), -1);
}

Test(rules_tlog, tiles_and_bundles)
{
	struct merkle_tree t;
	uint8_t *tile = malloc(TILE_WIDTH * 32), bundle[64];
	const uint8_t *e;
	size_t pos = 0, el;
	char err[128];

	build(&t, 70000);
	cr_assert_eq(tile_count(0, 70000), 274);
	cr_assert_eq(tile_width(0, 273, 70000), 70000 - 273 * 256);
	cr_assert_eq(tile_count(1, 70000), 2);
	cr_assert_eq(tile_width(1, 1, 70000), 273 - 256);
	cr_assert_eq(tile_count(2, 70000), 1);
	cr_assert_eq(tile_width(2, 0, 70000), 1);
	cr_assert_eq(tile_width(2, 0, 65535), 0);
	cr_assert_eq(tile_hashes(&t, 1, 1, 70000, tile), 17 * 32);
	cr_assert_arr_eq(tile, t.level[8][256], 32);
	cr_assert_eq(tile_check(&t, 1, 1, 70000, tile, 17 * 32, err, sizeof err), 0);
	tile[40] ^= 1;
	cr_assert_eq(tile_check(&t, 1, 1, 70000, tile, 17 * 32, err, sizeof err), -1);
	cr_assert_str_eq(err, "hash 1 differs from the one the leaves give");
	merkle_free(&t);
	free(tile);

	cr_assert_eq(bundle_put(bundle, sizeof bundle, &pos, "abc", 3), 0);
	cr_assert_eq(bundle_put(bundle, sizeof bundle, &pos, "", 0), 0);
	cr_assert_eq(bundle_put(bundle, sizeof bundle, &pos, bundle, 60), -1);
	cr_assert_eq(pos, 7);
	cr_assert_arr_eq(bundle,
	    "\x00\x03"
	    "abc\x00\x00",
	    7);
	el = pos;
	pos = 0;
	cr_assert_eq(bundle_next(bundle, el, &pos, &e, &el, err, sizeof err), 1);
	cr_assert_eq(el, 3);
	el = 7;
	cr_assert_eq(bundle_next(bundle, el, &pos, &e, &el, err, sizeof err), 1);
	cr_assert_eq(el, 0);
	el = 7;
	cr_assert_eq(bundle_next(bundle, el, &pos, &e, &el, err, sizeof err), 0);
	pos = 0;
	cr_assert_eq(bundle_next(bundle, 4, &pos, &e, &el, err, sizeof err), -1);
}

/* A log of n entries "entry I\n", its checkpoint of size m signed by k and cosigned by w. */
static char *
signed_checkpoint(
    struct merkle_tree *t, uint64_t m, const struct note_signer *k, const struct note_signer *w)
{
	struct checkpoint c;
	char *out = malloc(4096);
	int n;

	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", k->pub.name);
	c.size = m;
	merkle_root(t, m, c.root);
	n = checkpoint_format(&c, out, 4096);
	out[n] = '\n';
	cr_assert_eq(note_sign_line(k, out, (size_t)n, 0, out + n + 1, 4096 - (size_t)n - 1), 0);
	if (w)
		cr_assert_eq(note_sign_line(w, out, (size_t)n, 1700000000, out + strlen(out),
				 4096 - strlen(out)),
		    0);
	return out;
}

static char *
proof_for(struct merkle_tree *t, uint64_t index, uint64_t size, const char *note, size_t drop)
{
	struct tlog_proof *p = calloc(1, sizeof *p);
	char err[128], *s;

	p->index = index;
	cr_assert_eq(
	    merkle_prove_inclusion(t, index, size, p->path, &p->npath, err, sizeof err), 0);
	p->npath -= drop;
	p->note = note;
	p->notelen = strlen(note);
	s = tlog_proof_format(p);
	free(p);
	return s;
}

static char *
consistency_for(struct merkle_tree *t, uint64_t m, uint64_t n)
{
	struct tlog_consistency *c = calloc(1, sizeof *c);
	char err[128], *s = malloc(8192);

	c->old = m;
	cr_assert_eq(merkle_prove_consistency(t, m, n, c->path, &c->npath, err, sizeof err), 0);
	cr_assert_gt(tlog_consistency_format(c, s, 8192), 0);
	free(c);
	return s;
}

static int
chk(const struct tlog_policy *pol, const char *ent, const char *proof, const char *cons,
    const char *seen, struct tlog_verdict *v, char *err, size_t errlen)
{
	return tlog_check(pol, ent, strlen(ent), proof, strlen(proof), "L.tlog-proof", cons,
	    cons ? strlen(cons) : 0, seen, seen ? strlen(seen) : 0, v, err, errlen);
}

Test(rules_tlog, appliance_check_refusals)
{
	struct note_signer k, w, w2;
	struct tlog_policy pol;
	struct tlog_verdict *v = malloc(sizeof *v);
	struct merkle_tree t, fork;
	uint8_t seed[32], h[32];
	char entry[64], key[256], wkeys[600], err[2048], *cp, *cp5, *cpf, *pf, *cons;
	int i;

	memset(seed, 1, sizeof seed);
	note_signer_make("log.example/lists", NOTE_ALG_ED25519, seed, &k, err, sizeof err);
	memset(seed, 2, sizeof seed);
	note_signer_make("witness.example/a", NOTE_ALG_COSIG, seed, &w, err, sizeof err);
	memset(seed, 3, sizeof seed);
	note_signer_make("witness.example/b", NOTE_ALG_COSIG, seed, &w2, err, sizeof err);
	merkle_init(&t);
	merkle_init(&fork);
	for (i = 0; i < 10; i++) {
		snprintf(entry, sizeof entry, "entry %d\n", i);
		merkle_leaf_hash(entry, strlen(entry), h);
		merkle_append(&t, h);
		snprintf(entry, sizeof entry, "forked %d\n", i);
		merkle_leaf_hash(entry, strlen(entry), h);
		merkle_append(&fork, h);
	}
	note_key_format(&k.pub, key, sizeof key);
	note_key_format(&w.pub, wkeys, sizeof wkeys);
	strcat(wkeys, " ");
	note_key_format(&w2.pub, wkeys + strlen(wkeys), sizeof wkeys - strlen(wkeys));
	cr_assert_eq(tlog_policy_parse(key, wkeys, 1, &pol, err, sizeof err), 0, "%s", err);
	cr_assert_eq(tlog_policy_parse(key, wkeys, 3, &pol, err, sizeof err), -1);
	cr_assert_eq(tlog_policy_parse(wkeys, "", 0, &pol, err, sizeof err), -1);
	cr_assert_eq(tlog_policy_parse(key, key, 1, &pol, err, sizeof err), -1);
	cr_assert_eq(tlog_policy_parse(key, wkeys, 1, &pol, err, sizeof err), 0, "%s", err);

	cp = signed_checkpoint(&t, 10, &k, &w);
	cp5 = signed_checkpoint(&t, 5, &k, &w);
	cpf = signed_checkpoint(&fork, 10, &k, &w);
	cons = consistency_for(&t, 5, 10);
#define CHECK(ent, proof, c, seen) chk(&pol, ent, proof, c, seen, v, err, sizeof err)

	/* Control: included, cosigned, consistent with the checkpoint of size 5 seen before. */
	pf = proof_for(&t, 7, 10, cp, 0);
	cr_assert_eq(CHECK("entry 7\n", pf, cons, cp5), 0, "%s", err);
	cr_assert_eq(v->cp.size, 10);
	cr_assert_eq(v->cosigned, 1);
	cr_assert_eq(v->newer, 1);
	cr_assert_eq(CHECK("entry 7\n", pf, NULL, cp), 0, "%s", err);
	cr_assert_eq(v->newer, 0);

	/* A list absent from the log. */
	cr_assert_eq(CHECK("entry 77\n", pf, cons, cp5), -1);
	cr_assert(strstr(err, "the list is not in the log under this checkpoint (leaf 7 of 10)"),
	    "%s", err);
	free(pf);
	/* A truncated proof. */
	pf = proof_for(&t, 7, 10, cp, 1);
	cr_assert_eq(CHECK("entry 7\n", pf, cons, cp5), -1);
	cr_assert(strstr(err, "the inclusion proof is too short"), "%s", err);
	free(pf);
	/* Too few cosignatures. */
	pol.quorum = 2;
	pf = proof_for(&t, 7, 10, cp, 0);
	cr_assert_eq(CHECK("entry 7\n", pf, cons, cp5), -1);
	cr_assert_str_eq(
	    err, "L.tlog-proof: the checkpoint is cosigned by 1 trusted witness, 2 required");
	pol.quorum = 1;
	/* A rolled-back tree: size 5 after size 10 was seen. */
	free(pf);
	pf = proof_for(&t, 3, 5, cp5, 0);
	cr_assert_eq(CHECK("entry 3\n", pf, NULL, cp), -1);
	cr_assert(strstr(err,
		      "the log was rolled back: its checkpoint of size 5 is older than the "
		      "newest seen (size 10)"),
	    "%s", err);
	free(pf);
	/* A split view: another tree of size 10. */
	pf = proof_for(&fork, 3, 10, cpf, 0);
	cr_assert_eq(CHECK("forked 3\n", pf, NULL, cp), -1);
	cr_assert(
	    strstr(err, "split view: the log signed two different trees of size 10"), "%s", err);
	/* The fork after size 5 was seen: its history is not the one seen. */
	free(cons);
	cons = consistency_for(&fork, 5, 10);
	cr_assert_eq(CHECK("forked 3\n", pf, cons, cp5), -1);
	cr_assert(strstr(err, "the log's history was rewritten"), "%s", err);
	/* No consistency proof from the size seen. */
	cr_assert_eq(CHECK("forked 3\n", pf, NULL, cp5), -1);
	cr_assert(strstr(err, "no consistency proof from the newest checkpoint seen (size 5)"),
	    "%s", err);
	free(pf);
	/* Not signed by the log key. */
	{
		struct note_signer other;

		memset(seed, 9, sizeof seed);
		note_signer_make(
		    "log.example/lists", NOTE_ALG_ED25519, seed, &other, err, sizeof err);
		free(cpf);
		cpf = signed_checkpoint(&t, 10, &other, &w);
		pf = proof_for(&t, 7, 10, cpf, 0);
		cr_assert_eq(CHECK("entry 7\n", pf, NULL, NULL), -1);
		cr_assert(strstr(err, "the checkpoint is not signed by the log key"), "%s", err);
		free(pf);
	}
#undef CHECK
	free(cp);
	free(cp5);
	free(cpf);
	free(cons);
	free(v);
	merkle_free(&t);
	merkle_free(&fork);
}
