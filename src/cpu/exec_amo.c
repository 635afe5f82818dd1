/* SPDX-License-Identifier: MIT */
/*
 * The A extension as host atomics on guest memory, so harts on different
 * host threads see each other's atomic operations.
 *
 * LR records the host address and the value it read; SC succeeds by a
 * compare-and-swap against that value. Unlike a real reservation this lets
 * an SC succeed after another hart wrote the same value back (ABA); the
 * constrained LR/SC loops compilers and Linux emit (compare-and-swap,
 * fetch-and-op) still compute the right result. A trap clears the
 * reservation.
 */
#include "cpu/mmu.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

static inline uint64_t sx32(uint32_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* LR: load, and remember where and what for the SC. */
#define LR(name, type, ext)                                                    \
	OP(name)                                                               \
	{                                                                      \
		void *p;                                                       \
		int r = mmu_atomic_host(h, in, X(rs1), sizeof(type), MMU_LOAD, \
					&p);                                   \
		if (r)                                                         \
			return r;                                              \
		type v = __atomic_load_n((type *)p, __ATOMIC_SEQ_CST);         \
		h->lr_host = p;                                                \
		h->lr_value = v;                                               \
		X(rd) = ext(v);                                                \
		return 0;                                                      \
	}

/* SC: store if the reservation's place still holds what LR read. */
#define SC(name, type)                                                         \
	OP(name)                                                               \
	{                                                                      \
		void *p;                                                       \
		int r = mmu_atomic_host(h, in, X(rs1), sizeof(type),           \
					MMU_STORE, &p);                        \
		if (r)                                                         \
			return r;                                              \
		type expect = (type)h->lr_value;                               \
		bool ok = h->lr_host == p &&                                   \
			  __atomic_compare_exchange_n(                         \
			      (type *)p, &expect, (type)X(rs2), false,         \
			      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);             \
		h->lr_host = NULL;                                             \
		X(rd) = !ok;                                                   \
		return 0;                                                      \
	}

/* A read-modify-write with a host builtin. */
#define AMO_FETCH(name, type, builtin, ext)                                    \
	OP(name)                                                               \
	{                                                                      \
		void *p;                                                       \
		int r = mmu_atomic_host(h, in, X(rs1), sizeof(type),           \
					MMU_STORE, &p);                        \
		if (r)                                                         \
			return r;                                              \
		type old = builtin((type *)p, (type)X(rs2), __ATOMIC_SEQ_CST); \
		X(rd) = ext(old);                                              \
		return 0;                                                      \
	}

/* A read-modify-write with a compare-and-swap loop (min/max). */
#define AMO_CAS(name, type, ctype, pick, ext)                                  \
	OP(name)                                                               \
	{                                                                      \
		void *p;                                                       \
		int r = mmu_atomic_host(h, in, X(rs1), sizeof(type),           \
					MMU_STORE, &p);                        \
		if (r)                                                         \
			return r;                                              \
		type src = (type)X(rs2);                                       \
		type old = __atomic_load_n((type *)p, __ATOMIC_RELAXED);       \
		type val;                                                      \
		do {                                                           \
			val = pick((ctype)old, (ctype)src) ? old : src;        \
		} while (!__atomic_compare_exchange_n((type *)p, &old, val,    \
						      true, __ATOMIC_SEQ_CST,  \
						      __ATOMIC_RELAXED));      \
		X(rd) = ext(old);                                              \
		return 0;                                                      \
	}

#define EXT_W(v) sx32((uint32_t)(v))
#define EXT_D(v) ((uint64_t)(v))
#define LT(a, b) ((a) < (b))
#define GT(a, b) ((a) > (b))

LR(lr_w, uint32_t, EXT_W)
LR(lr_d, uint64_t, EXT_D)
SC(sc_w, uint32_t)
SC(sc_d, uint64_t)
AMO_FETCH(amoswap_w, uint32_t, __atomic_exchange_n, EXT_W)
AMO_FETCH(amoadd_w, uint32_t, __atomic_fetch_add, EXT_W)
AMO_FETCH(amoxor_w, uint32_t, __atomic_fetch_xor, EXT_W)
AMO_FETCH(amoand_w, uint32_t, __atomic_fetch_and, EXT_W)
AMO_FETCH(amoor_w, uint32_t, __atomic_fetch_or, EXT_W)
AMO_CAS(amomin_w, uint32_t, int32_t, LT, EXT_W)
AMO_CAS(amomax_w, uint32_t, int32_t, GT, EXT_W)
AMO_CAS(amominu_w, uint32_t, uint32_t, LT, EXT_W)
AMO_CAS(amomaxu_w, uint32_t, uint32_t, GT, EXT_W)
AMO_FETCH(amoswap_d, uint64_t, __atomic_exchange_n, EXT_D)
AMO_FETCH(amoadd_d, uint64_t, __atomic_fetch_add, EXT_D)
AMO_FETCH(amoxor_d, uint64_t, __atomic_fetch_xor, EXT_D)
AMO_FETCH(amoand_d, uint64_t, __atomic_fetch_and, EXT_D)
AMO_FETCH(amoor_d, uint64_t, __atomic_fetch_or, EXT_D)
AMO_CAS(amomin_d, uint64_t, int64_t, LT, EXT_D)
AMO_CAS(amomax_d, uint64_t, int64_t, GT, EXT_D)
AMO_CAS(amominu_d, uint64_t, uint64_t, LT, EXT_D)
AMO_CAS(amomaxu_d, uint64_t, uint64_t, GT, EXT_D)
