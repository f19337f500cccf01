/* C2SP tlog-tiles: tile and entry bundle paths, hash tiles from a tree's stored hashes, entry bundles. */
#ifndef BLOCKD_TILES_H
#define BLOCKD_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define TILE_HEIGHT    8
#define TILE_WIDTH     256  /* hashes in a full tile, entries in a full bundle */
#define TILE_ENTRIES   (-1) /* the level argument naming entry bundles */
#define TILE_PATH_MAX  128
#define TILE_ENTRY_MAX 65535 /* an entry's length in a bundle is two bytes */

/*
 * tile_path(): "tile/L/N" or "tile/entries/N", N written in groups of three
 * digits, each but the last led by 'x' ("x001/x234/067"), and ".p/W" after it
 * when the tile is partial (width < TILE_WIDTH). 0, or -1 when bufsz is short
 * or width is 0 or above TILE_WIDTH.
 */
int tile_path(int level, uint64_t index, unsigned width, char *buf, size_t bufsz);

/*
 * tile_width(): how many hashes (or, for TILE_ENTRIES, entries) tile index
 * of level holds in the tree of n leaves; 0 when it holds none.
 * tile_count(): how many tiles of level the tree of n leaves has, the
 * partial one included.
 */
unsigned tile_width(int level, uint64_t index, uint64_t n);
uint64_t tile_count(int level, uint64_t n);

/*
 * tile_hashes(): the contents of hash tile index of level for the tree of n
 * leaves (n <= t->size): tile_width() hashes of tree level 8 * level, into out
 * (TILE_WIDTH * 32 bytes). Returns the length written.
 */
size_t tile_hashes(
    const struct merkle_tree *t, int level, uint64_t index, uint64_t n, uint8_t *out);

/*
 * tile_check(): does a tile read back (data, len bytes) hold exactly what t's
 * stored hashes put there? 0, or -1 with the reason in err.
 */
int tile_check(const struct merkle_tree *t, int level, uint64_t index, uint64_t n,
    const uint8_t *data, size_t len, char *err, size_t errlen);

/*
 * Entry bundles: each entry is its length in two bytes (big-endian) and its
 * bytes. bundle_put() appends one entry at out + *pos (outsz bytes in all): 0
 * or -1 when it does not fit. bundle_next() reads the entry at *pos: 1 and the
 * entry, 0 at the end, -1 with the reason in err when the bundle is cut short.
 */
int bundle_put(uint8_t *out, size_t outsz, size_t *pos, const void *entry, size_t len);
int bundle_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **entry, size_t *elen,
    char *err, size_t errlen);

#endif
