/* TLS server_name: a host_name read as the server reads it, into a ClientHello's facts. */
#ifndef BLOCKD_TLS_NAME_H
#define BLOCKD_TLS_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/*
 * tls_take_name(): the host_name n[0..len) as the server reads it. OpenSSL
 * refuses a NUL and more than 255 bytes and takes any other bytes; nginx
 * (ngx_http_validate_host()) cuts a ":port", drops one trailing dot and
 * lowercases, and takes a name with a space, a control, '/' or an empty
 * label for none at all. A name blockd can match whole sets out->has_sni;
 * any other sets odd_name, with the longest run of whole labels at its
 * right that blockd can match in sni. Returns NULL, or why OpenSSL refuses
 * the name. Pure; out is the caller's.
 */
const char *tls_take_name(const uint8_t *n, size_t len, struct tls_hello *out);

#endif
