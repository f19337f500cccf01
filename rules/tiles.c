/* tlog-tiles: the paths of tiles and entry bundles, hash tiles cut from stored hashes, bundles. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tiles.h"

int
tile_path(int level, uint64_t index, unsigned width, char *buf, size_t bufsz)
{
	char digits[32], lv[16];
	size_t nd, off;
	int n;

	if (width == 0 || width > TILE_WIDTH || level < TILE_ENTRIES || level > 7)
		return -1;
	nd = (size_t)snprintf(digits, sizeof digits, "%" PRIu64, index);
	if (level == TILE_ENTRIES)
		snprintf(lv, sizeof lv, "entries");
	else
		snprintf(lv, sizeof lv, "%d", level);
	n = snprintf(buf, bufsz, "tile/%s/", lv);
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	off = (size_t)n;
	/* Pad to a multiple of three digits, then one path element a group. */
	{
		char pad[32];
		size_t pl = (3 - nd % 3) % 3, g;

		memset(pad, '0', pl);
		memcpy(pad + pl, digits, nd + 1);
		nd += pl;
		for (g = 0; g < nd; g += 3) {
			int last = g + 3 == nd;

			n = snprintf(buf + off, bufsz - off, "%s%.3s%s", last ? "" : "x", pad + g,
			    last ? "" : "/");
			if (n < 0 || (size_t)n >= bufsz - off)
				return -1;
			off += (size_t)n;
		}
	}
	if (width < TILE_WIDTH) {
		n = snprintf(buf + off, bufsz - off, ".p/%u", width);
		if (n < 0 || (size_t)n >= bufsz - off)
			return -1;
	}
	return 0;
}

/* Hashes stored at the bottom of level's tiles in a tree of n leaves. */
static uint64_t
level_hashes(int level, uint64_t n)
{
	int shift = level == TILE_ENTRIES ? 0 : TILE_HEIGHT * level;

	return shift >= 64 ? 0 : n >> shift;
}

unsigned
tile_width(int level, uint64_t index, uint64_t n)
{
	uint64_t have = level_hashes(level, n), start;

	if (index > UINT64_MAX / TILE_WIDTH)
		return 0;
	start = index * TILE_WIDTH;
	if (have <= start)
		return 0;
	return have - start >= TILE_WIDTH ? TILE_WIDTH : (unsigned)(have - start);
}

uint64_t
tile_count(int level, uint64_t n)
{
	uint64_t have = level_hashes(level, n);

	return (have + TILE_WIDTH - 1) / TILE_WIDTH;
}

size_t
tile_hashes(const struct merkle_tree *t, int level, uint64_t index, uint64_t n, uint8_t *out)
{
	unsigned w = tile_width(level, index, n), i;
	int lv = TILE_HEIGHT * level;

	if (level < 0 || n > t->size)
		return 0;
	for (i = 0; i < w; i++)
		memcpy(out + (size_t)i * MERKLE_HASH_SIZE, t->level[lv][index * TILE_WIDTH + i],
		    MERKLE_HASH_SIZE);
	return (size_t)w * MERKLE_HASH_SIZE;
}

int
tile_check(const struct merkle_tree *t, int level, uint64_t index, uint64_t n, const uint8_t *data,
    size_t len, char *err, size_t errlen)
{
	uint8_t want[TILE_WIDTH * MERKLE_HASH_SIZE];
	size_t wl = tile_hashes(t, level, index, n, want), i;

	if (len != wl) {
		snprintf(err, errlen, "%zu bytes where %zu were expected", len, wl);
		return -1;
	}
	for (i = 0; i < wl; i += MERKLE_HASH_SIZE)
		if (memcmp(data + i, want + i, MERKLE_HASH_SIZE) != 0) {
			snprintf(err, errlen, "hash %zu differs from the one the leaves give",
			    i / MERKLE_HASH_SIZE);
			return -1;
		}
	return 0;
}

int
bundle_put(uint8_t *out, size_t outsz, size_t *pos, const void *entry, size_t len)
{
	if (len > TILE_ENTRY_MAX || *pos > outsz || outsz - *pos < 2 + len)
		return -1;
	out[*pos] = (uint8_t)(len >> 8);
	out[*pos + 1] = (uint8_t)len;
	memcpy(out + *pos + 2, entry, len);
	*pos += 2 + len;
	return 0;
}

int
bundle_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **entry, size_t *elen,
    char *err, size_t errlen)
{
	size_t n;

	if (*pos >= len)
		return 0;
	if (len - *pos < 2) {
		snprintf(err, errlen, "an entry's length is cut short at byte %zu", *pos);
		return -1;
	}
	n = (size_t)buf[*pos] << 8 | buf[*pos + 1];
	if (len - *pos - 2 < n) {
		snprintf(err, errlen, "an entry of %zu bytes at byte %zu is cut short", n, *pos);
		return -1;
	}
	*entry = buf + *pos + 2;
	*elen = n;
	*pos += 2 + n;
	return 1;
}
