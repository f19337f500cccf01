/*
 * Fuzzes the flow table with keys an attacker chooses (5-tuples, v4 and
 * v6): a small table and stream pool driven through inserts, lookups,
 * removals, stream use and expiry, with time moving on. Each flow carries a
 * tag of its key in app_state and in its stream's first byte, so a flow or
 * stream buffer handed to the wrong key, a stale flow after its removal or
 * a table over capacity is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "wire/flow.h"
#include "fuzz.h"

#define CAPACITY 8
#define STREAMS  4
#define TIMEOUT  5
#define NKEYS    32

static void
make_key(struct flow_key *k, unsigned id)
{
	uint8_t a4[4] = {192, 0, 2, (uint8_t)(id & 3)};
	uint8_t b4[4] = {198, 51, 100, 1};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
	uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};

	a6[15] = (uint8_t)(id & 3);
	if (id & 16)
		flow_key_v6(k, id & 8 ? IPPROTO_UDP : IPPROTO_TCP, a6, (uint16_t)(40000 + (id & 4)),
		    b6, 443);
	else
		flow_key_v4(k, id & 8 ? IPPROTO_UDP : IPPROTO_TCP, a4, (uint16_t)(40000 + (id & 4)),
		    b4, 443);
}

static void
check_flow(const struct flow *f, const struct flow_key *k, unsigned id, int created)
{
	if (memcmp(&f->key, k, sizeof(*k)) != 0)
		abort();
	if (!created && f->app_state != id + 1)
		abort(); /* a live flow lost its tag: handed to another key or not zeroed */
	if (created && (f->app_state != 0 || f->verdict != FLOW_UNDECIDED || f->stream != NULL))
		abort(); /* a new flow must start zeroed */
	if (f->stream != NULL && reasm_contig(f->stream) > 0 && reasm_data(f->stream)[0] != id + 1)
		abort(); /* a stream buffer shared between flows */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_table *t;
	struct flow_key keys[NKEYS];
	struct flow_stats st;
	struct flow *f;
	int64_t now = 1000;
	unsigned id;
	size_t i;
	int created;

	t = flow_table_create(CAPACITY, STREAMS, TIMEOUT, 0x0123456789abcdefull);
	if (t == NULL)
		abort();
	for (id = 0; id < NKEYS; id++)
		make_key(&keys[id], id);
	for (i = 0; i + 1 < size; i += 2) {
		id = data[i + 1] % NKEYS;
		switch (data[i] & 7) {
		case 0:
		case 1:
			f = flow_insert(t, &keys[id], now, &created);
			check_flow(f, &keys[id], id, created);
			f->app_state = id + 1;
			if (flow_lookup(t, &keys[id], now) != f)
				abort();
			break;
		case 2:
			if ((f = flow_lookup(t, &keys[id], now)) != NULL)
				check_flow(f, &keys[id], id, 0);
			break;
		case 3:
			if ((f = flow_lookup(t, &keys[id], now)) != NULL) {
				flow_remove(t, f);
				if (flow_lookup(t, &keys[id], now) != NULL)
					abort();
			}
			break;
		case 4:
			if ((f = flow_lookup(t, &keys[id], now)) != NULL) {
				struct reasm *r = flow_stream(t, f);
				uint8_t tag = (uint8_t)(id + 1);

				if (r != NULL && reasm_contig(r) == 0)
					(void)reasm_add(r, 0, &tag, 1);
				check_flow(f, &keys[id], id, 0);
			}
			break;
		case 5:
			if ((f = flow_lookup(t, &keys[id], now)) != NULL)
				flow_stream_release(t, f);
			break;
		case 6:
			now += data[i] >> 3 & 7;
			break;
		case 7:
			(void)flow_expire(t, now, data[i + 1] & 15);
			break;
		}
		flow_stats(t, &st);
		if (st.active > CAPACITY || st.streams.in_use > STREAMS ||
		    st.streams.in_use > st.active)
			abort();
	}
	flow_table_destroy(t);
	return 0;
}
