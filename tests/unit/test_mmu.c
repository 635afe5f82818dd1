/* SPDX-License-Identifier: MIT */
/*
 * The software TLB's sets (cpu/mmu.h): pages a power of two apart, as the
 * halves of a large array that a merge compares, must not share a set, or
 * a loop over three such streams misses on every access and walks the
 * tables; mmu_tlb_index() names a set's first entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu/mmu.h"

static const uint64_t bases[] = {
    0x0,	   0x1000,	   0x3ff000,
    0x7fff0000,	   0x3fffff000ull, 0xffffffc000000000ull,
    0x2aaab000ull,
};

static void test_index_in_range(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (uint64_t p = 0; p < 4 * TLB_SIZE; p++)
			assert_true(mmu_tlb_index(bases[i] + (p << 12)) <
				    TLB_SIZE);
	/* The first entry of a set. */
	for (uint64_t p = 0; p < 4 * TLB_SIZE; p++)
		assert_int_equal(mmu_tlb_index(p << 12) % TLB_WAYS, 0);
}

/* Two streams TLB_SIZE << k pages apart (4, 8, 16 ... MiB). */
static void test_power_of_two_strides(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (unsigned k = 0; k < 8; k++)
			for (uint64_t p = 0; p < 64; p++) {
				uint64_t a = bases[i] + (p << 12);
				uint64_t b =
				    a + ((uint64_t)TLB_SIZE << (12 + k));

				assert_int_not_equal(mmu_tlb_index(a),
						     mmu_tlb_index(b));
			}
}

/* A sequential run of TLB_SETS pages takes every set once. */
static void test_sequential_run(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint8_t seen[TLB_SIZE] = {0};
		uint64_t first = bases[i] >> 12 & ~(uint64_t)(TLB_SETS - 1);

		for (uint64_t p = 0; p < TLB_SETS; p++) {
			unsigned x = mmu_tlb_index((first + p) << 12);

			assert_int_equal(seen[x], 0);
			seen[x] = 1;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_in_range),
	    cmocka_unit_test(test_power_of_two_strides),
	    cmocka_unit_test(test_sequential_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
