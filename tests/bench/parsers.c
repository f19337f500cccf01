/* Benchmark of the pure protocol code: ClientHello, QUIC Initial, HTTP request, flow table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/flow.h"
#include "wire/http.h"
#include "wire/quic.h"
#include "wire/reasm.h"
#include "wire/tls.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
load(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "parsers: %s: cannot open (run from the source tree)\n", path);
		exit(1);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

struct result {
	const char *name;
	double ns;
};

static struct result results[8];
static int nresults;

static void
report(const char *name, double secs, unsigned long n)
{
	double ns = secs * 1e9 / (double)n;

	printf("%-34s %10.0f ns/op %12.0f ops/s\n", name, ns, 1e9 / ns);
	results[nresults].name = name;
	results[nresults].ns = ns;
	nresults++;
}

int
main(int argc, char **argv)
{
	static uint8_t hello[4096], initial[1200];
	static const char req[] = "GET /videos/watch?v=12345 HTTP/1.1\r\nHost: www.example.test\r\n"
				  "User-Agent: bench/1.0\r\nAccept: */*\r\nAccept-Language: en\r\n"
				  "Connection: keep-alive\r\n\r\n";
	size_t hl = load("tests/data/tls/openssl-sni.bin", hello, sizeof(hello));
	size_t il = load("tests/data/quic/rfc9001-client-initial.bin", initial, sizeof(initial));
	struct reasm *r = malloc(sizeof(*r));
	struct quic_ctx *q = quic_ctx_create();
	struct flow_table *ft = flow_table_create(1u << 20, 1024, 60, 12345);
	struct tls_hello h;
	struct quic_info qi;
	struct http_parser hp;
	struct http_request hr;
	unsigned long i, n, sink = 0;
	double t;
	FILE *out = NULL;

	if (argc == 3 && strcmp(argv[1], "--json") == 0 && (out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (r == NULL || q == NULL || ft == NULL)
		return 1;

	n = 1000000;
	t = now_s();
	for (i = 0; i < n; i++)
		sink += (unsigned long)tls_parse_client_hello(hello, hl, 0, &h);
	report("tls_parse_client_hello", now_s() - t, n);

	t = now_s();
	for (i = 0; i < n; i++) {
		reasm_reset(r);
		reasm_add(r, 100, hello + 100, hl - 100);
		reasm_add(r, 0, hello, 100);
		sink +=
		    (unsigned long)tls_parse_client_hello(reasm_data(r), reasm_contig(r), 0, &h);
	}
	report("reasm 2 segments reversed + tls", now_s() - t, n);

	n = 200000;
	t = now_s();
	for (i = 0; i < n; i++)
		sink += (unsigned long)quic_parse_datagram(q, initial, il, NULL, &qi);
	report("quic_parse_datagram (RFC 9001 A.2)", now_s() - t, n);

	t = now_s();
	for (i = 0; i < n; i++) {
		struct quic_keys k;
		uint8_t dcid[8] = {
		    (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), 1, 2, 3, 4, 5};

		sink +=
		    (unsigned long)quic_initial_keys(q, QUIC_V1, dcid, sizeof(dcid), &k) + k.key[0];
	}
	report("quic_initial_keys (new DCID)", now_s() - t, n);

	n = 1000000;
	t = now_s();
	for (i = 0; i < n; i++) {
		size_t used;

		http_parser_init(&hp);
		sink += (unsigned long)http_parse(
		    &hp, (const uint8_t *)req, sizeof(req) - 1, &used, &hr);
	}
	report("http_parse (one request)", now_s() - t, n);

	n = 2000000;
	t = now_s();
	for (i = 0; i < n; i++) {
		struct flow_key k;
		uint8_t s[4] = {192, 0, 2, (uint8_t)i}, d[4] = {198, 51, 100, (uint8_t)(i >> 8)};

		flow_key_v4(&k, 6, s, (uint16_t)(i >> 16), d, 443);
		sink += flow_insert(ft, &k, (int64_t)(i >> 18), NULL)->verdict;
	}
	report("flow_insert (1M table, churn)", now_s() - t, n);

	if (out != NULL) {
		fprintf(out, "{\"bench\":\"parsers\",\"results\":[");
		for (int k = 0; k < nresults; k++)
			fprintf(out, "%s{\"name\":\"%s\",\"ns_per_op\":%.1f}", k ? "," : "",
			    results[k].name, results[k].ns);
		fprintf(out, "]}\n");
		fclose(out);
	}
	flow_table_destroy(ft);
	quic_ctx_destroy(q);
	free(r);
	return sink == 0 ? 1 : 0;
}
