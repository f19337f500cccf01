/* Per-client shares of a worker's flow slots and stream buffers: open addressing, backward-shift deletion. */
#include <stdlib.h>
#include <string.h>

#include "clients.h"

struct client {
	uint8_t key[9]; /* family, then 8 address bytes; key[0] == 0: empty slot */
	uint32_t held[2];
};

struct client_table {
	struct client *slots;
	uint32_t mask; /* slots - 1, a power of two */
	uint32_t used;
	uint32_t max_used;  /* used stays below this: the table is at most half full */
	uint64_t secret[2]; /* slot_of()'s, made from the seed */
};

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

struct client_table *
client_table_create(uint32_t clients, uint64_t seed)
{
	struct client_table *t;
	uint32_t n = 2;

	if (clients == 0 || clients > 0x40000000u)
		return NULL;
	while (n < clients * 2)
		n <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = calloc(n, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->max_used = clients;
	t->secret[0] = mix(seed ^ 0x2545f4914f6cdd1dULL);
	t->secret[1] = mix(t->secret[0] ^ 0x9e3779b97f4a7c15ULL);
	return t;
}

void
client_table_destroy(struct client_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

/*
 * A client as the slots keep it: its family and one word, the address's
 * first 8 bytes (IPv4: 4, then zeros), as key[1..9) holds them.
 */
static uint64_t
addr_word(int family, const uint8_t *addr)
{
	uint64_t w = 0;

	if (family == 4)
		memcpy(&w, addr, 4);
	else
		memcpy(&w, addr, 8);
	return w;
}

static uint64_t
slot_word(const struct client *c)
{
	uint64_t w;

	memcpy(&w, c->key + 1, 8);
	return w;
}

/*
 * The client's home slot: its word and family, each masked by a secret,
 * folded by one wide multiply (as flow_hash()), so that no one can aim
 * clients at one run of slots.
 */
static uint32_t
slot_of(const struct client_table *t, uint8_t family, uint64_t w)
{
	unsigned __int128 r =
	    (unsigned __int128)(w ^ t->secret[0]) * (unsigned __int128)(family ^ t->secret[1]);

	return (uint32_t)((uint64_t)r ^ (uint64_t)(r >> 64)) & t->mask;
}

/* The slot holding the client (family, w), or the empty slot where it would go. */
static inline uint32_t
find(const struct client_table *t, uint8_t family, uint64_t w)
{
	uint32_t i = slot_of(t, family, w);

	/* Compared as the family byte and one word: no call for nine bytes. */
	while (t->slots[i].key[0] != 0 &&
	    (t->slots[i].key[0] != family || slot_word(&t->slots[i]) != w))
		i = (i + 1) & t->mask;
	return i;
}

/* Empties slot i and moves later entries of its run back, so every lookup still finds them. */
static void
erase(struct client_table *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].key[0] == 0)
			break;
		uint32_t home = slot_of(t, t->slots[j].key[0], slot_word(&t->slots[j]));
		/* j may move to i if its home is not in (i, j], cyclically. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->used--;
}

int
client_take(struct client_table *t, int family, const uint8_t *addr, int res, uint32_t cap)
{
	uint64_t w = addr_word(family, addr);
	uint32_t i = slot_of(t, (uint8_t)family, w);
	struct client *c;

	/* find(), with the slot's address kept rather than its index: fewer registers. */
	while ((c = &t->slots[i])->key[0] != 0 && (c->key[0] != family || slot_word(c) != w))
		i = (i + 1) & t->mask;
	uint32_t *held = &c->held[res];
	if (c->key[0] == 0) {
		if (cap == 0 || t->used >= t->max_used)
			return -1;
		c->key[0] = (uint8_t)family;
		memcpy(c->key + 1, &w, 8);
		t->used++;
	} else if (*held >= cap) {
		return -1;
	}
	(*held)++;
	return 0;
}

void
client_give(struct client_table *t, int family, const uint8_t *addr, int res)
{
	uint32_t i = find(t, (uint8_t)family, addr_word(family, addr));

	if (t->slots[i].key[0] == 0 || t->slots[i].held[res] == 0)
		return;
	t->slots[i].held[res]--;
	if (t->slots[i].held[CLIENT_FLOWS] == 0 && t->slots[i].held[CLIENT_STREAMS] == 0)
		erase(t, i);
}

uint32_t
client_held(const struct client_table *t, int family, const uint8_t *addr, int res)
{
	uint32_t i = find(t, (uint8_t)family, addr_word(family, addr));

	return t->slots[i].key[0] == 0 ? 0 : t->slots[i].held[res];
}

uint32_t
client_count(const struct client_table *t)
{
	return t->used;
}
