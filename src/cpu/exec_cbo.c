/* SPDX-License-Identifier: MIT */
/*
 * Cache-block operations (Zicbom, Zicboz), written from the CMO
 * specification. Guest memory is host memory, coherent for every hart and
 * device: cbo.clean, cbo.flush and cbo.inval have no data to move and are
 * ordered like a fence; cbo.zero writes zeros over one block. Prefetches
 * (Zicbop) are ORI hints with rd = x0 and need nothing here.
 *
 * In U-mode each is allowed by senvcfg (CBZE, CBCFE, CBIE); S-mode has
 * them all (this machine's M-mode, memvisor, enables them in menvcfg).
 */
#include "cpu/decode.h"
#include "cpu/decode_util.h"
#include "cpu/mmu.h"
#include "cpu/trap.h"

#include <string.h>

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

/* The cbo.* function codes (imm[11:0]). */
enum cbo_fn {
	CBO_INVAL = 0,
	CBO_CLEAN = 1,
	CBO_FLUSH = 2,
	CBO_ZERO = 4,
};

bool decode_cbo(uint32_t r, struct insn *in)
{
	uint32_t fn = bits(r, 31, 20);

	if (bits(r, 11, 7) != 0)
		return illegal(in);
	switch (fn) {
	case CBO_ZERO:
		set(in, exec_cbo_zero, 0, bits(r, 19, 15), 0, fn);
		return false;
	case CBO_INVAL:
	case CBO_CLEAN:
	case CBO_FLUSH:
		set(in, exec_cbo_manage, 0, bits(r, 19, 15), 0, fn);
		return false;
	default:
		return illegal(in);
	}
}

OP(cbo_zero)
{
	uint64_t va = X(rs1), block = va & ~(uint64_t)(HART_CBO_BLOCK - 1);
	uint8_t *p;
	int r;

	if (h->priv == PRIV_U && !(h->senvcfg & SENVCFG_CBZE))
		return exec_illegal(h, in);
	/* A store of the whole block: page, permission and G-stage checks
	 * as for sd; a fault reports the effective address. */
	r = mmu_translate_cbo(h, block, MMU_STORE, insn_pc(h, in), va, &p);
	if (r)
		return r;
	memset(p, 0, HART_CBO_BLOCK);
	return 0;
}

OP(cbo_manage)
{
	uint64_t va = X(rs1);
	uint8_t *p;
	int r;

	if (h->priv == PRIV_U) {
		uint64_t cbie = (h->senvcfg & SENVCFG_CBIE) >> 4;

		if (in->imm == CBO_INVAL ? cbie == 0
					 : !(h->senvcfg & SENVCFG_CBCFE))
			return exec_illegal(h, in);
	}
	/* Allowed when a load or a store would be; a fault is reported as
	 * the store fault (the CMO specification). */
	r = mmu_translate_cbo(h, va & ~(uint64_t)(HART_CBO_BLOCK - 1), MMU_LOAD,
			      insn_pc(h, in), va, &p);
	if (r)
		return r;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}
