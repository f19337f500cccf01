/* JSON for the enforcement log: escape and write one object into a fixed buffer, parse one back. */
#ifndef BLOCKD_JSON_H
#define BLOCKD_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A writer over a caller-owned buffer: never allocates. Once the buffer is
 * full, overflow is set and further output is discarded; the caller checks
 * overflow once at the end. Strings are escaped per RFC 8259; bytes that are
 * not valid UTF-8 are written as U+FFFD so every line is valid JSON whatever
 * a packet carried.
 */
struct jbuf {
	char *p;
	size_t len, cap;
	int overflow;
	int first; /* no member written yet in the innermost object */
};

void jbuf_init(struct jbuf *, char *mem, size_t cap);
void jbuf_open(struct jbuf *);  /* '{' */
void jbuf_close(struct jbuf *); /* '}' */
void jbuf_raw(struct jbuf *, const char *s, size_t len);
void jbuf_str(struct jbuf *, const char *s, size_t len); /* quoted and escaped */
void jbuf_key(struct jbuf *, const char *key);           /* [,]"key": */
void jbuf_kstr(struct jbuf *, const char *key, const char *s);
void jbuf_kuint(struct jbuf *, const char *key, uint64_t v);
void jbuf_kint(struct jbuf *, const char *key, int64_t v);
void jbuf_kbool(struct jbuf *, const char *key, int v);
void jbuf_kobj(struct jbuf *, const char *key); /* "key":{ ... close with jbuf_close */

enum jtype { JSON_STRING = 1, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL };

/* One scalar member; nested objects are flattened to "outer.inner" keys. */
struct jfield {
	const char *key;
	const char *val; /* unescaped, NUL-terminated (numbers as written) */
	size_t vlen;     /* may contain NUL bytes if the JSON had \u0000 */
	int type;        /* enum jtype */
};

/*
 * json_parse_flat(): parses one JSON object (objects nested up to 4 deep, no
 * arrays) from s[0..len). Keys and values are stored in sb. Returns the
 * number of fields, or -1 with a short reason in *err (a static string) if
 * the text is not such an object or does not fit in f/sb. Pure.
 */
int json_parse_flat(const char *s, size_t len, struct jfield *f, size_t maxf, char *sb,
    size_t sbcap, const char **err);

/* json_get(): the field named key, or NULL. */
const struct jfield *json_get(const struct jfield *f, int n, const char *key);

/* json_fstr(): s as a quoted, escaped JSON string to out. */
void json_fstr(FILE *out, const char *s);

#endif
