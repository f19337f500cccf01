/*
 * Fuzzes out-of-band bytes in stream reassembly (reasm_oob_tcp with
 * reasm_add_tcp) against a plain model: the stream is every byte of the
 * sequence space, first copy kept, without the urgent ones, whichever came
 * first. Offsets stay inside the window so nothing is truncated. Each
 * operation is read from the input:
 *   add: 2-byte offset, 1-byte length, the bytes
 *   oob: 2-byte offset of the urgent byte
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/reasm.h"

#define SPAN (REASM_MAX - 512)

static uint8_t model_data[SPAN];
static uint8_t model_have[SPAN];
static uint8_t expect[SPAN];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reasm r;
	uint32_t oob[REASM_OOB_MAX], noob = 0;
	const uint32_t isn = 0xffffff00u;
	size_t pos = 0;
	int ops = 0;

	reasm_reset(&r);
	memset(model_have, 0, sizeof(model_have));
	while (pos + 3 <= size && ops++ < 256) {
		unsigned op = data[pos] & 1;
		uint32_t off = (uint32_t)(data[pos + 1] << 8 | data[pos + 2]) % SPAN;

		pos += 3;
		if (op == 1) {
			int want = 1;
			for (uint32_t i = 0; i < noob; i++)
				if (oob[i] == off)
					want = 0;
			if (want && noob == REASM_OOB_MAX)
				want = -1;
			if (reasm_oob_tcp(&r, isn, isn + 1 + off) != want)
				abort();
			if (want == 1)
				oob[noob++] = off;
			continue;
		}
		if (pos >= size)
			break;
		size_t len = data[pos++];
		if (pos + len > size)
			len = size - pos;
		if (off + len > SPAN)
			len = SPAN - off;
		(void)reasm_add_tcp(&r, isn, isn + 1 + off, data + pos, len);
		for (size_t i = 0; i < len; i++)
			if (!model_have[off + i]) {
				model_have[off + i] = 1;
				model_data[off + i] = data[pos + i];
			}
		pos += len;

		size_t n = 0;
		for (uint32_t w = 0; w < SPAN; w++) {
			int hole = 0;
			for (uint32_t i = 0; i < noob; i++)
				if (oob[i] == w)
					hole = 1;
			if (hole)
				continue;
			if (!model_have[w])
				break;
			expect[n++] = model_data[w];
		}
		if (reasm_contig(&r) != n || memcmp(reasm_data(&r), expect, n) != 0)
			abort();
	}
	return 0;
}
