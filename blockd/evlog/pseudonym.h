/* Subscriber pseudonyms: a keyed hash of the client address under a key that changes every UTC day. */
#ifndef BLOCKD_PSEUDONYM_H
#define BLOCKD_PSEUDONYM_H

#include <stdint.h>

#define PSEUDONYM_HEX 32 /* 128 bits of HMAC-SHA-256, lowercase hex */

/*
 * The key is a one-way ratchet. The file holds the chain key of one UTC day
 * d; the day key is HMAC-SHA-256(chain_d, "blockd pseudonym day YYYY-MM-DD")
 * and the next day's chain key is HMAC-SHA-256(chain_d, "blockd pseudonym
 * next"). Advancing overwrites the file, so once a day is over nobody,
 * including whoever later reads the appliance's disk, can re-derive its key
 * and link or reverse that day's pseudonyms (a day key alone lets its holder
 * test guesses: the IPv4 space is small). The price: whoever takes a copy of
 * the file today can compute today's and later days' keys, until the
 * operator replaces the file with fresh random bytes; and a past day's
 * pseudonyms can never be recomputed, not even for a lawful request.
 * Within one day the same subscriber always gets the same pseudonym, so
 * reports can count distinct subscribers per day.
 */
struct evp_mac_ctx_st;

struct pseudonym {
	int64_t day; /* UTC day number of chain */
	uint8_t chain[32];
	uint8_t daykey[32];
	uint8_t prevkey[32]; /* the day before's key, for events queued across midnight */
	int have_prev;
	/* HMAC contexts keyed once per day (a one-shot HMAC costs ten times more); NULL: one-shot. */
	struct evp_mac_ctx_st *mac, *prevmac;
};

/* pseudonym_init(): from a chain key for day. Pure; pseudonym_wipe() frees. */
void pseudonym_init(struct pseudonym *, const uint8_t chain[32], int64_t day);
/*
 * pseudonym_advance(): move forward to day (never backward: a clock set back
 * keeps the newest key). Returns 1 if the chain moved (save it), else 0.
 */
int pseudonym_advance(struct pseudonym *, int64_t day);
/*
 * pseudonym_of(): the pseudonym of a client address (family 4: addr[0..3],
 * 6: addr[0..15]) seen on day, into out (PSEUDONYM_HEX + 1 bytes). Uses
 * the current key, or the previous day's for the day before. Pure.
 */
void pseudonym_of(
    const struct pseudonym *, int64_t day, int family, const uint8_t *addr, char *out);
/* pseudonym_wipe(): erase key material and free the contexts. */
void pseudonym_wipe(struct pseudonym *);

/*
 * pseudonym_load(): read path, creating it (mode 0600, random chain key)
 * if missing, then advance to today and save if that moved it. Returns 0,
 * or -1 with the reason logged (path named).
 */
int pseudonym_load(struct pseudonym *, const char *path, int64_t today);
/* pseudonym_save(): replace path atomically (0600, fsync'd). 0, or -1 logged. */
int pseudonym_save(const struct pseudonym *, const char *path);

#endif
