/*
 * Fuzzes stream reassembly (reasm_add, reasm_add_tcp, reasm_consume) against
 * a plain model of the documented policy: bytes before the window are
 * ignored, first copy wins, differing overlaps are conflicts, bytes past the
 * window are dropped; and a twin made by reasm_copy_last_wins(), fed the same
 * operations, against a model where the last copy wins. Each operation is
 * read from the input:
 *   0..: add: 2-byte offset from base - 1024, 1-byte length (x 8), the bytes
 *   consume: 2-byte count (up to the contiguous prefix)
 *   tcp add: the same as add, through sequence numbers near the 2^32 wrap
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/reasm.h"

#define MODEL_MAX (1 << 18)

static uint8_t model_data[MODEL_MAX];
static uint8_t model_have[MODEL_MAX];
static uint8_t model_last[MODEL_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reasm r, twin;
	static const uint8_t zeros[2048];
	uint64_t base = 0, i, contig = 0, top = 0;
	size_t pos = 0;
	const uint32_t isn = 0xfffff000u;
	int ops = 0;

	reasm_reset(&r);
	reasm_copy_last_wins(&twin, &r);
	while (pos + 3 <= size && ops++ < 256) {
		unsigned op = data[pos] % 3;
		int64_t off =
		    (int64_t)base + (int64_t)((data[pos + 1] << 8 | data[pos + 2]) % 20480) - 1024;
		size_t len;
		const uint8_t *p;
		int res, want = 0, want_last = 0;

		pos += 3;
		if (op == 1) {
			uint64_t n = (uint64_t)(off + 1024 - (int64_t)base);

			n = contig ? n % (contig + 1) : 0;
			reasm_consume(&r, n);
			reasm_consume(&twin, n);
			base += n;
			contig -= n;
			continue;
		}
		if (off < 0)
			off = 0;
		if (pos >= size)
			break;
		len = (size_t)data[pos++] * 8;
		/* The bytes: from the input while it lasts, zeros after (a common retransmission). */
		p = pos + len <= size ? data + pos : zeros;
		if (pos + len <= size)
			pos += len;
		if ((uint64_t)off + len >= MODEL_MAX)
			break;
		if ((uint64_t)off + len > top)
			top = (uint64_t)off + len;

		for (i = (uint64_t)off; i < (uint64_t)off + len; i++) {
			uint8_t b = p[i - (uint64_t)off];

			if (i < base)
				continue;
			if (i >= base + REASM_MAX) {
				want |= REASM_TRUNCATED;
				continue;
			}
			if (!model_have[i]) {
				model_have[i] = 1;
				model_data[i] = b;
				model_last[i] = b;
				want |= REASM_NEW;
				want_last |= REASM_NEW;
				continue;
			}
			if (model_data[i] != b)
				want |= REASM_CONFLICT;
			if (model_last[i] != b)
				want_last |= REASM_CONFLICT;
			model_last[i] = b;
		}
		want_last |= want & REASM_TRUNCATED;
		if (op == 0)
			res = reasm_add(&r, (uint64_t)off, p, len);
		else
			res = reasm_add_tcp(&r, isn, (uint32_t)(isn + 1 + (uint64_t)off), p, len);
		if (res != want)
			abort();
		if (reasm_add(&twin, (uint64_t)off, p, len) != want_last)
			abort();
		for (contig = 0;
		     base + contig < MODEL_MAX && contig < REASM_MAX && model_have[base + contig];
		     contig++)
			;
		if (reasm_contig(&r) != contig)
			abort();
		/* The bytes this piece touched, within the prefix; all of it at the end. */
		if ((uint64_t)off < base + contig && (uint64_t)off + len > base) {
			uint64_t from = (uint64_t)off > base ? (uint64_t)off : base;
			uint64_t to = (uint64_t)off + len < base + contig ? (uint64_t)off + len
									  : base + contig;

			if (memcmp(reasm_data(&r) + (from - base), model_data + from, to - from) !=
			    0)
				abort();
		}
	}
	if (memcmp(reasm_data(&r), model_data + base, contig) != 0)
		abort();
	if (reasm_contig(&twin) != contig ||
	    memcmp(reasm_data(&twin), model_last + base, contig) != 0)
		abort();
	memset(model_have, 0, top);
	return 0;
}
