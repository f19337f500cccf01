/* Shared helpers for the libFuzzer harnesses in tests/fuzz/. */
#ifndef BLOCKD_FUZZ_H
#define BLOCKD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_split(): the input as two parts around its first NUL byte (the first
 * part is everything when there is none, the second then empty). Lets one
 * input carry a signature file and the file it signs.
 */
static inline void
fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *alen, const uint8_t **b,
    size_t *blen)
{
	size_t i;

	for (i = 0; i < size && data[i] != 0; i++)
		;
	*a = data;
	*alen = i;
	*b = i < size ? data + i + 1 : data + size;
	*blen = i < size ? size - i - 1 : 0;
}

#endif
