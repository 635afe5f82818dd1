/*
 * bitmanip.c — the bit-manipulation CPU benchmark guest program, built with
 * -march=rv64gc_zba_zbb_zbs (guest/guest.mk): a hash over ROUNDS rounds
 * whose inner step is made of what Zba/Zbb/Zbs accelerate: population
 * count (cpop), leading/trailing zeros (clz/ctz), rotates (rori/ror),
 * byte reversal (rev8), and-not (andn), min/max, single-bit set/test
 * (bset/bext), and table lookups whose address is base + index*2/4/8
 * (sh1add/sh2add/sh3add).
 *
 * Prints the final hash (the same on every correct machine) and its own
 * wall time:
 *
 *   BENCH bitmanip rounds=N hash=XXXXXXXXXXXXXXXX seconds=S
 *
 * An optional argument overrides the number of rounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

enum { ROUNDS = 32000000, TABLE = 4096 };

static uint16_t t16[TABLE];
static uint32_t t32[TABLE];
static uint64_t t64[TABLE];

static inline uint64_t rotr(uint64_t x, unsigned r)
{
	return (x >> (r & 63)) | (x << ((64 - r) & 63));
}

static void fill(void)
{
	uint64_t z = 0x243f6a8885a308d3ULL;

	for (int i = 0; i < TABLE; i++) {
		z ^= z << 13;
		z ^= z >> 7;
		z ^= z << 17;
		t16[i] = (uint16_t)z;
		t32[i] = (uint32_t)(z >> 16);
		t64[i] = z * 0x9e3779b97f4a7c15ULL;
	}
}

/* noinline: one step is one visible function in the objdump. */
static __attribute__((noinline)) uint64_t step(uint64_t h, uint64_t i)
{
	uint64_t a = h & (TABLE - 1);
	uint64_t b = (h >> 20) & (TABLE - 1);
	uint32_t w = (uint32_t)(h >> 32);
	uint64_t x;

	x = t16[a] + t32[b] + t64[(a ^ b) & (TABLE - 1)];
	h ^= rotr(x, 23);
	h += (uint64_t)__builtin_popcountll(h ^ i);
	h ^= (uint64_t)__builtin_clzll(h | 1) << 7;
	h += (uint64_t)__builtin_ctzll(x | (1ULL << 63));
	h = rotr(h, (unsigned)(i & 63)) ^ __builtin_bswap64(h);
	h ^= x & ~(h >> 3);
	h |= 1ULL << (w & 63);
	h ^= (h >> (i & 63)) & 1;
	h += w < (uint32_t)x ? w : (uint32_t)x;
	return h;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : ROUNDS;
	uint64_t h = 0x6a09e667f3bcc908ULL;
	double t0, t1;

	fill();
	t0 = seconds();
	for (long i = 0; i < rounds; i++)
		h = step(h, (uint64_t)i);
	t1 = seconds();
	printf("BENCH bitmanip rounds=%ld hash=%016llx seconds=%.3f\n", rounds,
	       (unsigned long long)h, t1 - t0);
	return 0;
}
