/* Test helper: builds TLS ClientHellos with chosen extensions, and wraps them in records. */
#ifndef TEST_HELLO_BUILD_H
#define TEST_HELLO_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct hello_opts {
	const char *sni;  /* NULL: no server_name extension */
	size_t sni_len;   /* 0: strlen(sni); else raw length (for embedded NULs) */
	int grease;       /* add GREASE cipher suite, groups and two GREASE extensions */
	int pq;           /* X25519MLKEM768 key share (1216 bytes) besides X25519 */
	int ech;          /* encrypted_client_hello extension */
	unsigned shuffle; /* nonzero: seed for a random extension order */
	size_t pad;       /* padding extension of this many bytes (0: none) */
	int dup_sni;      /* server_name extension twice */
	int two_names;    /* two host_name entries in one server_name list */
};

/* hello_build(): the handshake message (4-byte header + body) into out; returns its length. */
size_t hello_build(uint8_t *out, size_t cap, const struct hello_opts *o);

/* hello_records(): wraps hs in handshake records of at most frag bytes each; returns the length. */
size_t hello_records(uint8_t *out, size_t cap, const uint8_t *hs, size_t hslen, size_t frag);

/* hello_read_file(): reads a test data file (relative to tests/unit); returns its length or 0. */
size_t hello_read_file(const char *path, uint8_t *out, size_t cap);

#endif
