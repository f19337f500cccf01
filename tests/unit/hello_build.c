/* Test helper: builds TLS ClientHellos with chosen extensions, and wraps them in records. */
#include <stdio.h>
#include <string.h>

#include "hello_build.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static void
put(struct wbuf *w, const void *src, size_t n)
{
	if (w->len + n <= w->cap)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void
put8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

static void
put16(struct wbuf *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v);
}

static void
fill(struct wbuf *w, size_t n, unsigned seed)
{
	while (n--) {
		seed = seed * 1103515245u + 12345u;
		put8(w, seed >> 16);
	}
}

#define MAXEXT 24

struct ext {
	uint8_t data[20000];
	size_t len;
};

static void
ext_begin(struct wbuf *w, struct ext *e, unsigned type)
{
	w->p = e->data;
	w->len = 0;
	w->cap = sizeof(e->data);
	put16(w, type);
	put16(w, 0); /* length, patched in ext_end */
}

static void
ext_end(struct wbuf *w, struct ext *e)
{
	size_t n = w->len - 4;

	e->data[2] = (uint8_t)(n >> 8);
	e->data[3] = (uint8_t)n;
	e->len = w->len;
}

size_t
hello_build(uint8_t *out, size_t cap, const struct hello_opts *o)
{
	static struct ext ex[MAXEXT];
	struct wbuf w;
	size_t n = 0, i, total, snilen = 0;
	unsigned order[MAXEXT], seed = o->shuffle;

	if (o->sni)
		snilen = o->sni_len ? o->sni_len : strlen(o->sni);
	if (o->grease) {
		ext_begin(&w, &ex[n], 0x0a0a);
		ext_end(&w, &ex[n++]);
	}
	if (o->sni) {
		int copies = o->dup_sni ? 2 : 1;

		while (copies--) {
			ext_begin(&w, &ex[n], 0x0000);
			put16(&w, (unsigned)(3 + snilen) * (o->two_names ? 2 : 1));
			put8(&w, 0);
			put16(&w, (unsigned)snilen);
			put(&w, o->sni, snilen);
			if (o->two_names) {
				put8(&w, 0);
				put16(&w, (unsigned)snilen);
				put(&w, o->sni, snilen);
			}
			ext_end(&w, &ex[n++]);
		}
	}
	ext_begin(&w, &ex[n], 0x0017); /* extended_master_secret */
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0xff01); /* renegotiation_info */
	put8(&w, 0);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x000a); /* supported_groups */
	put16(&w, o->grease ? 8 : 6);
	if (o->grease)
		put16(&w, 0x3a3a);
	put16(&w, 0x11ec);
	put16(&w, 0x001d);
	put16(&w, 0x0017);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x000d); /* signature_algorithms */
	put16(&w, 8);
	put16(&w, 0x0403);
	put16(&w, 0x0804);
	put16(&w, 0x0401);
	put16(&w, 0x0503);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x0010); /* ALPN */
	put16(&w, 12);
	put8(&w, 2);
	put(&w, "h2", 2);
	put8(&w, 8);
	put(&w, "http/1.1", 8);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x002b); /* supported_versions */
	put8(&w, 4);
	put16(&w, 0x0304);
	put16(&w, 0x0303);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x002d); /* psk_key_exchange_modes */
	put8(&w, 1);
	put8(&w, 1);
	ext_end(&w, &ex[n++]);
	ext_begin(&w, &ex[n], 0x0033); /* key_share */
	{
		size_t klen = 4 + 32 + (o->pq ? 4 + 1216 : 0) + (o->grease ? 5 : 0);

		put16(&w, (unsigned)klen);
		if (o->grease) {
			put16(&w, 0x3a3a);
			put16(&w, 1);
			put8(&w, 0);
		}
		if (o->pq) {
			put16(&w, 0x11ec);
			put16(&w, 1216);
			fill(&w, 1216, 7);
		}
		put16(&w, 0x001d);
		put16(&w, 32);
		fill(&w, 32, 9);
	}
	ext_end(&w, &ex[n++]);
	if (o->ech) {
		ext_begin(&w, &ex[n], 0xfe0d);
		put8(&w, 0); /* outer */
		put16(&w, 0x0001);
		put16(&w, 0x0001);
		put8(&w, 0x42); /* config id */
		put16(&w, 32);
		fill(&w, 32, 11);
		put16(&w, 144);
		fill(&w, 144, 13);
		ext_end(&w, &ex[n++]);
	}
	if (o->grease) {
		ext_begin(&w, &ex[n], 0x1a1a);
		put8(&w, 0);
		ext_end(&w, &ex[n++]);
	}
	if (o->pad) {
		ext_begin(&w, &ex[n], 0x0015);
		for (i = 0; i < o->pad; i++)
			put8(&w, 0);
		ext_end(&w, &ex[n++]);
	}
	for (i = 0; i < n; i++)
		order[i] = (unsigned)i;
	if (seed) {
		for (i = n - 1; i > 0; i--) {
			unsigned j, t;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 16) % (unsigned)(i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
	}

	w.p = out;
	w.len = 0;
	w.cap = cap;
	put8(&w, 1);
	put8(&w, 0);
	put16(&w, 0); /* length, patched below */
	put16(&w, 0x0303);
	fill(&w, 32, 3);
	put8(&w, 32);
	fill(&w, 32, 5);
	put16(&w, o->grease ? 8 : 6);
	if (o->grease)
		put16(&w, 0x7a7a);
	put16(&w, 0x1301);
	put16(&w, 0x1302);
	put16(&w, 0x1303);
	put8(&w, 1);
	put8(&w, 0);
	total = 0;
	for (i = 0; i < n; i++)
		total += ex[order[i]].len;
	put16(&w, (unsigned)total);
	for (i = 0; i < n; i++)
		put(&w, ex[order[i]].data, ex[order[i]].len);
	if (w.len > cap)
		return 0;
	out[1] = (uint8_t)((w.len - 4) >> 16);
	out[2] = (uint8_t)((w.len - 4) >> 8);
	out[3] = (uint8_t)(w.len - 4);
	return w.len;
}

size_t
hello_records(uint8_t *out, size_t cap, const uint8_t *hs, size_t hslen, size_t frag)
{
	size_t off = 0, len = 0;

	while (off < hslen) {
		size_t n = hslen - off < frag ? hslen - off : frag;

		if (len + 5 + n > cap)
			return 0;
		out[len++] = 0x16;
		out[len++] = 3;
		out[len++] = 1;
		out[len++] = (uint8_t)(n >> 8);
		out[len++] = (uint8_t)n;
		memcpy(out + len, hs + off, n);
		len += n;
		off += n;
	}
	return len;
}

size_t
hello_read_file(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}
