/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/decode: every compressed instruction form decodes to
 * what its 32-bit expansion decodes to, and reserved or unimplemented
 * encodings decode to exec_illegal.
 *
 * The pairs below were assembled with the RISC-V cross assembler (GNU as,
 * -march=rv64imac): the 16-bit word of the `c.` form and the 32-bit word
 * of the expansion that the C extension chapter of the unprivileged
 * specification gives for it (with .option norvc, so the assembler cannot
 * compress it back). The hint and reserved encodings are by hand, from
 * the same chapter's tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "cpu/decode.h"
#include "cpu/exec_fp.h"

struct pair {
	uint16_t c;	   /* the compressed instruction */
	uint32_t w;	   /* its 32-bit expansion */
	const char *asm_c; /* what it is, for failure messages */
};

static const struct pair pairs[] = {
    /* C0: stack-relative addi, loads and stores (rd', rs1', rs2' are
     * x8..x15); the largest offsets use every immediate bit. */
    {0x0048, 0x00410513, "c.addi4spn a0, sp, 4"},    /* addi a0, sp, 4 */
    {0x1fe0, 0x3fc10413, "c.addi4spn s0, sp, 1020"}, /* addi s0, sp, 1020 */
    {0x041c, 0x20010793, "c.addi4spn a5, sp, 512"},  /* addi a5, sp, 512 */
    {0x4188, 0x0005a503, "c.lw a0, 0(a1)"},	     /* lw a0, 0(a1) */
    {0x5fe4, 0x07c7a483, "c.lw s1, 124(a5)"},	     /* lw s1, 124(a5) */
    {0x4030, 0x04042603, "c.lw a2, 64(s0)"},	     /* lw a2, 64(s0) */
    {0x6188, 0x0005b503, "c.ld a0, 0(a1)"},	     /* ld a0, 0(a1) */
    {0x7fe4, 0x0f87b483, "c.ld s1, 248(a5)"},	     /* ld s1, 248(a5) */
    {0x6454, 0x08843683, "c.ld a3, 136(s0)"},	     /* ld a3, 136(s0) */
    {0xc188, 0x00a5a023, "c.sw a0, 0(a1)"},	     /* sw a0, 0(a1) */
    {0xdfe4, 0x0697ae23, "c.sw s1, 124(a5)"},	     /* sw s1, 124(a5) */
    {0xe188, 0x00a5b023, "c.sd a0, 0(a1)"},	     /* sd a0, 0(a1) */
    {0xffe4, 0x0e97bc23, "c.sd s1, 248(a5)"},	     /* sd s1, 248(a5) */
    {0xe4b8, 0x04e4b423, "c.sd a4, 72(s1)"},	     /* sd a4, 72(s1) */
    /* C0/C2 FP loads and stores (D). */
    {0x2188, 0x0005b507, "c.fld fa0, 0(a1)"},	   /* fld fa0, 0(a1) */
    {0x3fe4, 0x0f87b487, "c.fld fs1, 248(a5)"},	   /* fld fs1, 248(a5) */
    {0xa188, 0x00a5b027, "c.fsd fa0, 0(a1)"},	   /* fsd fa0, 0(a1) */
    {0xbfe4, 0x0e97bc27, "c.fsd fs1, 248(a5)"},	   /* fsd fs1, 248(a5) */
    {0x2002, 0x00013007, "c.fldsp ft0, 0(sp)"},	   /* fld ft0, 0(sp) */
    {0x3ffe, 0x1f813f87, "c.fldsp ft11, 504(sp)"}, /* fld ft11, 504(sp) */
    {0xa002, 0x00013027, "c.fsdsp ft0, 0(sp)"},	   /* fsd ft0, 0(sp) */
    {0xbffe, 0x1ff13c27, "c.fsdsp ft11, 504(sp)"}, /* fsd ft11, 504(sp) */
    /* C1: immediates, CA arithmetic, jumps and branches (offsets
     * relative to the instruction, as in the expansion). */
    {0x0001, 0x00000013, "c.nop"},		 /* addi x0, x0, 0 */
    {0x0505, 0x00150513, "c.addi a0, 1"},	 /* addi a0, a0, 1 */
    {0x1281, 0xfe028293, "c.addi t0, -32"},	 /* addi t0, t0, -32 */
    {0x017d, 0x01f10113, "c.addi sp, 31"},	 /* addi sp, sp, 31 */
    {0x1dfd, 0xfffd8d93, "c.addi s11, -1"},	 /* addi s11, s11, -1 */
    {0x2505, 0x0015051b, "c.addiw a0, 1"},	 /* addiw a0, a0, 1 */
    {0x3301, 0xfe03031b, "c.addiw t1, -32"},	 /* addiw t1, t1, -32 */
    {0x2401, 0x0004041b, "c.addiw s0, 0"},	 /* addiw s0, s0, 0 */
    {0x4501, 0x00000513, "c.li a0, 0"},		 /* addi a0, x0, 0 */
    {0x5381, 0xfe000393, "c.li t2, -32"},	 /* addi t2, x0, -32 */
    {0x40fd, 0x01f00093, "c.li ra, 31"},	 /* addi ra, x0, 31 */
    {0x6141, 0x01010113, "c.addi16sp sp, 16"},	 /* addi sp, sp, 16 */
    {0x7101, 0xe0010113, "c.addi16sp sp, -512"}, /* addi sp, sp, -512 */
    {0x617d, 0x1f010113, "c.addi16sp sp, 496"},	 /* addi sp, sp, 496 */
    {0x6169, 0x0d010113, "c.addi16sp sp, 208"},	 /* addi sp, sp, 208 */
    {0x6505, 0x00001537, "c.lui a0, 1"},	 /* lui a0, 1 */
    {0x62fd, 0x0001f2b7, "c.lui t0, 0x1f"},	 /* lui t0, 0x1f */
    {0x7481, 0xfffe04b7, "c.lui s1, 0xfffe0"},	 /* lui s1, 0xfffe0 */
    {0x70fd, 0xfffff0b7, "c.lui ra, 0xfffff"},	 /* lui ra, 0xfffff */
    {0x8105, 0x00155513, "c.srli a0, 1"},	 /* srli a0, a0, 1 */
    {0x90fd, 0x03f4d493, "c.srli s1, 63"},	 /* srli s1, s1, 63 */
    {0x9381, 0x0207d793, "c.srli a5, 32"},	 /* srli a5, a5, 32 */
    {0x8505, 0x40155513, "c.srai a0, 1"},	 /* srai a0, a0, 1 */
    {0x94fd, 0x43f4d493, "c.srai s1, 63"},	 /* srai s1, s1, 63 */
    {0x9781, 0x4207d793, "c.srai a5, 32"},	 /* srai a5, a5, 32 */
    {0x997d, 0xfff57513, "c.andi a0, -1"},	 /* andi a0, a0, -1 */
    {0x88fd, 0x01f4f493, "c.andi s1, 31"},	 /* andi s1, s1, 31 */
    {0x9b81, 0xfe07f793, "c.andi a5, -32"},	 /* andi a5, a5, -32 */
    {0x8801, 0x00047413, "c.andi s0, 0"},	 /* andi s0, s0, 0 */
    {0x8d0d, 0x40b50533, "c.sub a0, a1"},	 /* sub a0, a0, a1 */
    {0x8c1d, 0x40f40433, "c.sub s0, a5"},	 /* sub s0, s0, a5 */
    {0x8d2d, 0x00b54533, "c.xor a0, a1"},	 /* xor a0, a0, a1 */
    {0x8fa1, 0x0087c7b3, "c.xor a5, s0"},	 /* xor a5, a5, s0 */
    {0x8e55, 0x00d66633, "c.or a2, a3"},	 /* or a2, a2, a3 */
    {0x8cf9, 0x00e4f4b3, "c.and s1, a4"},	 /* and s1, s1, a4 */
    {0x9d0d, 0x40b5053b, "c.subw a0, a1"},	 /* subw a0, a0, a1 */
    {0x9f85, 0x409787bb, "c.subw a5, s1"},	 /* subw a5, a5, s1 */
    {0x9eb1, 0x00c686bb, "c.addw a3, a2"},	 /* addw a3, a3, a2 */
    {0x9c3d, 0x00f4043b, "c.addw s0, a5"},	 /* addw s0, s0, a5 */
    {0xb001, 0x801ff06f, "c.j .-2048"},		 /* jal x0, .-2048 */
    {0xaffd, 0x7fe0006f, "c.j .+2046"},		 /* jal x0, .+2046 */
    {0xa009, 0x0020006f, "c.j .+2"},		 /* jal x0, .+2 */
    {0xbffd, 0xfffff06f, "c.j .-2"},		 /* jal x0, .-2 */
    {0xa46d, 0x2aa0006f, "c.j .+0x2aa"},	 /* jal x0, .+0x2aa */
    {0xb46d, 0xaabff06f, "c.j .-0x556"},	 /* jal x0, .-0x556 */
    {0xd101, 0xf00500e3, "c.beqz a0, .-256"},	 /* beq a0, x0, .-256 */
    {0xccfd, 0x0e048f63, "c.beqz s1, .+254"},	 /* beq s1, x0, .+254 */
    {0xc64d, 0x0a060563, "c.beqz a2, .+0xaa"},	 /* beq a2, x0, .+0xaa */
    {0xe389, 0x00079163, "c.bnez a5, .+2"},	 /* bne a5, x0, .+2 */
    {0xfc7d, 0xfe041fe3, "c.bnez s0, .-2"},	 /* bne s0, x0, .-2 */
    {0xf6cd, 0xfa0695e3, "c.bnez a3, .-0x56"},	 /* bne a3, x0, .-0x56 */
    /* C2: shifts, stack-pointer loads/stores, jr/jalr/mv/add/ebreak. */
    {0x0506, 0x00151513, "c.slli a0, 1"},	 /* slli a0, a0, 1 */
    {0x1ffe, 0x03ff9f93, "c.slli t6, 63"},	 /* slli t6, t6, 63 */
    {0x1482, 0x02049493, "c.slli s1, 32"},	 /* slli s1, s1, 32 */
    {0x4502, 0x00012503, "c.lwsp a0, 0(sp)"},	 /* lw a0, 0(sp) */
    {0x52fe, 0x0fc12283, "c.lwsp t0, 252(sp)"},	 /* lw t0, 252(sp) */
    {0x4096, 0x04412083, "c.lwsp ra, 68(sp)"},	 /* lw ra, 68(sp) */
    {0x6502, 0x00013503, "c.ldsp a0, 0(sp)"},	 /* ld a0, 0(sp) */
    {0x72fe, 0x1f813283, "c.ldsp t0, 504(sp)"},	 /* ld t0, 504(sp) */
    {0x6db2, 0x10813d83, "c.ldsp s11, 264(sp)"}, /* ld s11, 264(sp) */
    {0x8082, 0x00008067, "c.jr ra"},		 /* jalr x0, 0(ra) */
    {0x8f82, 0x000f8067, "c.jr t6"},		 /* jalr x0, 0(t6) */
    {0x852e, 0x00b00533, "c.mv a0, a1"},	 /* add a0, x0, a1 */
    {0x8f86, 0x00100fb3, "c.mv t6, ra"},	 /* add t6, x0, ra */
    {0x8122, 0x00800133, "c.mv sp, s0"},	 /* add sp, x0, s0 */
    {0x9002, 0x00100073, "c.ebreak"},		 /* ebreak */
    {0x9282, 0x000280e7, "c.jalr t0"},		 /* jalr ra, 0(t0) */
    {0x9782, 0x000780e7, "c.jalr a5"},		 /* jalr ra, 0(a5) */
    {0x952e, 0x00b50533, "c.add a0, a1"},	 /* add a0, a0, a1 */
    {0x9f8a, 0x002f8fb3, "c.add t6, sp"},	 /* add t6, t6, sp */
    {0x912a, 0x00a10133, "c.add sp, a0"},	 /* add sp, sp, a0 */
    {0xc02a, 0x00a12023, "c.swsp a0, 0(sp)"},	 /* sw a0, 0(sp) */
    {0xdffe, 0x0ff12e23, "c.swsp t6, 252(sp)"},	 /* sw t6, 252(sp) */
    {0xc306, 0x08112223, "c.swsp ra, 132(sp)"},	 /* sw ra, 132(sp) */
    {0xe02a, 0x00a13023, "c.sdsp a0, 0(sp)"},	 /* sd a0, 0(sp) */
    {0xfffe, 0x1ff13c23, "c.sdsp t6, 504(sp)"},	 /* sd t6, 504(sp) */
    {0xe6ee, 0x15b13423, "c.sdsp s11, 328(sp)"}, /* sd s11, 328(sp) */

    /* HINTs (rd = x0, or a zero immediate / shift amount): legal, and
     * the same as their expansions. */
    {0x4015, 0x00500013, "c.li x0, 5"},
    {0x802e, 0x00b00033, "c.mv x0, a1"},
    {0x902e, 0x00b00033, "c.add x0, a1"},
    {0x6005, 0x00001037, "c.lui x0, 1"},
    {0x0006, 0x00101013, "c.slli x0, 1"},
    {0x0015, 0x00500013, "c.addi x0, 5"},
    {0x0501, 0x00050513, "c.addi a0, 0"},
    {0x0502, 0x00051513, "c.slli a0, 0"},
    {0x8101, 0x00055513, "c.srli a0, 0"},
    {0x8501, 0x40055513, "c.srai a0, 0"},
};

/*
 * The decoder gives addi two shortcut handlers: exec_li (rs1 = x0) and
 * exec_mv (imm = 0), and decodes C.MV (spec: add rd, x0, rs2) as mv.
 * These are one instruction spelled differently; map each to plain addi
 * so that the comparison looks through the spelling and at the fields.
 */
static struct insn canonical(struct insn in)
{
	if (in.fn == exec_li) {
		in.fn = exec_addi;
		in.rs1 = 0;
	} else if (in.fn == exec_mv) {
		in.fn = exec_addi;
		in.imm = 0;
	} else if (in.fn == exec_add && in.rs1 == 0) {
		in.fn = exec_addi;
		in.rs1 = in.rs2;
		in.rs2 = 0;
		in.imm = 0;
	}
	return in;
}

static void test_compressed_matches_expansion(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct insn c = {0}, w = {0};
		bool c_ends = decode(pairs[i].c, &c);
		bool w_ends = decode(pairs[i].w, &w);

		if (c.fn == exec_illegal)
			fail_msg("%s (0x%04x) decodes as illegal",
				 pairs[i].asm_c, pairs[i].c);
		assert_int_equal(c.len, 2);
		assert_int_equal(w.len, 4);
		assert_int_equal(c.raw, pairs[i].c);
		c = canonical(c);
		w = canonical(w);
		if (c.fn != w.fn || c.rd != w.rd || c.rs1 != w.rs1 ||
		    c.rs2 != w.rs2 || c.rs3 != w.rs3 || c.rm != w.rm ||
		    c.imm != w.imm || c.csr != w.csr || c_ends != w_ends)
			fail_msg("%s (0x%04x) vs its expansion 0x%08x: "
				 "fn %s, rd %u/%u, rs1 %u/%u, rs2 %u/%u, "
				 "imm %lld/%lld, ends block %d/%d",
				 pairs[i].asm_c, pairs[i].c, pairs[i].w,
				 c.fn == w.fn ? "same" : "differs", c.rd, w.rd,
				 c.rs1, w.rs1, c.rs2, w.rs2, (long long)c.imm,
				 (long long)w.imm, c_ends, w_ends);
	}
}

/* A few decodings by value, so that a mistake shared by both forms (the
 * comparison above cannot see it) shows here. */
static void test_compressed_fields(void **state)
{
	struct insn in;

	(void)state;
	decode(0x1fe0, &in); /* c.addi4spn s0, sp, 1020 */
	assert_ptr_equal(in.fn, exec_addi);
	assert_int_equal(in.rd, 8);
	assert_int_equal(in.rs1, 2);
	assert_int_equal(in.imm, 1020);
	decode(0x7101, &in); /* c.addi16sp sp, -512 */
	assert_ptr_equal(in.fn, exec_addi);
	assert_int_equal(in.rd, 2);
	assert_int_equal(in.imm, -512);
	decode(0x7481, &in); /* c.lui s1, 0xfffe0 */
	assert_ptr_equal(in.fn, exec_lui);
	assert_int_equal(in.rd, 9);
	assert_int_equal(in.imm, -0x20000);
	decode(0xb001, &in); /* c.j .-2048 */
	assert_ptr_equal(in.fn, exec_jal);
	assert_int_equal(in.rd, 32); /* x0: the sink */
	assert_int_equal(in.imm, -2048);
	decode(0xccfd, &in); /* c.beqz s1, .+254 */
	assert_ptr_equal(in.fn, exec_beq);
	assert_int_equal(in.rs1, 9);
	assert_int_equal(in.rs2, 0);
	assert_int_equal(in.imm, 254);
	decode(0xfffe, &in); /* c.sdsp t6, 504(sp) */
	assert_ptr_equal(in.fn, exec_sd);
	assert_int_equal(in.rs1, 2);
	assert_int_equal(in.rs2, 31);
	assert_int_equal(in.imm, 504);
	decode(0x7fe4, &in); /* c.ld s1, 248(a5) */
	assert_ptr_equal(in.fn, exec_ld);
	assert_int_equal(in.rd, 9);
	assert_int_equal(in.rs1, 15);
	assert_int_equal(in.imm, 248);
	decode(0x94fd, &in); /* c.srai s1, 63 */
	assert_ptr_equal(in.fn, exec_srai);
	assert_int_equal(in.imm, 63);
	decode(0x2002, &in); /* c.fldsp ft0, 0(sp): f0 is a real register */
	assert_ptr_equal(in.fn, exec_fld);
	assert_int_equal(in.rd, 0);
	assert_int_equal(in.rs1, 2);
	assert_int_equal(in.imm, 0);
	decode(0xbffe, &in); /* c.fsdsp ft11, 504(sp) */
	assert_ptr_equal(in.fn, exec_fsd);
	assert_int_equal(in.rs1, 2);
	assert_int_equal(in.rs2, 31);
	assert_int_equal(in.imm, 504);
	assert_int_equal(in.len, 2);
	assert_int_equal(in.raw, 0xbffe);
	decode(0x9282, &in); /* c.jalr t0 */
	assert_ptr_equal(in.fn, exec_jalr);
	assert_int_equal(in.rd, 1);
	assert_int_equal(in.rs1, 5);
	assert_int_equal(in.imm, 0);
}

static void test_reserved_compressed(void **state)
{
	static const struct {
		uint16_t c;
		const char *what;
	} reserved[] = {
	    {0x0000, "all zeros (defined illegal)"},
	    {0x0004, "c.addi4spn with nzuimm = 0"},
	    {0x001c, "c.addi4spn with nzuimm = 0, rd' = a5"},
	    {0x6101, "c.addi16sp with nzimm = 0"},
	    {0x6081, "c.lui ra with nzimm = 0"},
	    {0x6281, "c.lui t0 with nzimm = 0"},
	    {0x4002, "c.lwsp with rd = x0"},
	    {0x6002, "c.ldsp with rd = x0"},
	    {0x8002, "c.jr with rs1 = x0"},
	    {0x2001, "c.addiw with rd = x0"},
	    {0x9c41, "CA funct6 100111, funct2 10"},
	    {0x9c61, "CA funct6 100111, funct2 11"},
	    {0x8000, "C0 funct3 100"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct insn in = {0};

		decode(reserved[i].c, &in);
		if (in.fn != exec_illegal)
			fail_msg("0x%04x (%s) does not decode as illegal",
				 reserved[i].c, reserved[i].what);
		assert_int_equal(in.len, 2);
		assert_int_equal(in.raw, reserved[i].c); /* stval's value */
	}
}

static void test_reserved_32(void **state)
{
	static const struct {
		uint32_t w;
		const char *what;
	} reserved[] = {
	    {0x04317053, "fadd.h (no Zfh: fmt 2)"},
	    {0x063170d3, "fadd.q (no Q: fmt 3)"},
	    {0x003150d3, "fadd.s with static rm 5"},
	    {0x003160d3, "fadd.s with static rm 6"},
	    {0x1a20d043, "fmadd.d with static rm 5"},
	    {0x1c20f043, "fmadd with fmt 2 (no Zfh)"},
	    {0x58117053, "fsqrt.s with rs2 = 1"},
	    {0x40007053, "fcvt.s.s (rs2 = fmt)"},
	    {0x40207053, "fcvt.s.h (no Zfh)"},
	    {0x22003053, "fsgnj.d funct3 3"},
	    {0x2a002053, "fmin.d funct3 2"},
	    {0xa0003553, "feq.s funct3 3"},
	    {0xc0407553, "fcvt.w.s with rs2 = 4"},
	    {0xd0507053, "fcvt.s.w with rs2 = 5"},
	    {0xe0102553, "fmv.x.w funct3 2"},
	    {0xe0100553, "fmv.x.w with rs2 = 1"},
	    {0xf0001053, "fmv.w.x funct3 1"},
	    {0x0005c007, "flq (no Q: LOAD-FP funct3 4)"},
	    {0x00051007, "flh (no Zfh: LOAD-FP funct3 1)"},
	    {0x0005e027, "LOAD-FP/STORE-FP funct3 6 (vector)"},
	    {0xfe000053, "OP-FP funct5 0x1f"},
	    {0x04051513, "slli with imm[11:6] = 1"},
	    {0x0205151b, "slliw with shamt[5] = 1"},
	    {0x0205551b, "srliw with shamt[5] = 1"},
	    {0x1015252f, "lr.w with rs2 != 0"},
	    {0x00057503, "load funct3 7"},
	    {0x00a54023, "store funct3 4"},
	    {0x00a51033 | (0x20u << 25), "OP funct7 0x20 funct3 1"},
	    {0x30200073, "mret (M-mode)"},
	    {0x00200073, "uret (gone)"},
	    {0x000000f3, "ecall with rd != 0"},
	    {0xffffffff, "all ones"},
	    {0x0000202f | (0x05u << 27), "AMO funct5 0x05"},
	    {0x0000402f, "AMO funct3 4"},
	    {0x0030200f, "cbo with function 3"},
	    {0x0040228f, "cbo.zero with rd != 0"},
	    {0x0050200f, "cbo with function 5"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct insn in = {0};

		decode(reserved[i].w, &in);
		if (in.fn != exec_illegal)
			fail_msg("0x%08x (%s) does not decode as illegal",
				 reserved[i].w, reserved[i].what);
		assert_int_equal(in.len, 4);
		assert_int_equal(in.raw, reserved[i].w);
	}
}

/* Zicbom/Zicboz: cbo.inval/clean/flush/zero (a0), from GNU as
 * -march=rv64gc_zicbom_zicboz. */
static void test_cbo(void **state)
{
	static const struct {
		uint32_t w;
		exec_fn fn;
		int64_t imm;
	} cbo[] = {
	    {0x0005200f, exec_cbo_manage, 0}, /* cbo.inval (a0) */
	    {0x0015200f, exec_cbo_manage, 1}, /* cbo.clean (a0) */
	    {0x0025200f, exec_cbo_manage, 2}, /* cbo.flush (a0) */
	    {0x0045200f, exec_cbo_zero, 4},   /* cbo.zero (a0) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cbo) / sizeof(cbo[0]); i++) {
		struct insn in = {0};

		assert_false(decode(cbo[i].w, &in));
		assert_ptr_equal(in.fn, cbo[i].fn);
		assert_int_equal(in.rs1, 10);
		assert_int_equal(in.imm, cbo[i].imm);
	}
}

/* F and D encodings by value (assembled with GNU as, -march=rv64gc). */
static void test_fp_fields(void **state)
{
	struct insn in;

	(void)state;
	assert_false(decode(0x0020f053, &in)); /* fadd.s ft0, ft1, ft2 */
	assert_ptr_equal(in.fn, exec_fadd_s);
	assert_int_equal(in.rd, 0); /* f0, not the sink */
	assert_int_equal(in.rs1, 1);
	assert_int_equal(in.rs2, 2);
	assert_int_equal(in.rm, 7);
	assert_false(decode(0x1a209043, &in)); /* fmadd.d ft0,ft1,ft2,ft3,rtz */
	assert_ptr_equal(in.fn, exec_fmadd_d);
	assert_int_equal(in.rd, 0);
	assert_int_equal(in.rs1, 1);
	assert_int_equal(in.rs2, 2);
	assert_int_equal(in.rs3, 3);
	assert_int_equal(in.rm, 1);
	assert_false(decode(0xe0000053, &in)); /* fmv.x.w zero, ft0 */
	assert_ptr_equal(in.fn, exec_fmv_x_w);
	assert_int_equal(in.rd, 32); /* x0: the sink */
	assert_int_equal(in.rs1, 0);
	assert_false(decode(0xc2153553, &in)); /* fcvt.wu.d a0, fa0, rup */
	assert_ptr_equal(in.fn, exec_fcvt_wu_d);
	assert_int_equal(in.rd, 10);
	assert_int_equal(in.rs1, 10);
	assert_int_equal(in.rm, 3);
	assert_false(decode(0x00052007, &in)); /* flw ft0, 0(a0) */
	assert_ptr_equal(in.fn, exec_flw);
	assert_int_equal(in.rd, 0);
	assert_int_equal(in.rs1, 10);
	assert_false(decode(0xfe852e27, &in)); /* fsw fs0, -4(a0) */
	assert_ptr_equal(in.fn, exec_fsw);
	assert_int_equal(in.rs1, 10);
	assert_int_equal(in.rs2, 8);
	assert_int_equal(in.imm, -4);
	assert_false(decode(0x4015f553, &in)); /* fcvt.s.d fa0, fa1 */
	assert_ptr_equal(in.fn, exec_fcvt_s_d);
	assert_false(decode(0x4205f553, &in)); /* fcvt.d.s fa0, fa1 */
	assert_ptr_equal(in.fn, exec_fcvt_d_s);
	assert_false(decode(0xa2b52553, &in)); /* feq.d a0, fa0, fa1 */
	assert_ptr_equal(in.fn, exec_feq_d);
	assert_false(decode(0xe2051553, &in)); /* fclass.d a0, fa0 */
	assert_ptr_equal(in.fn, exec_fclass_d);
	assert_false(decode(0xd2357053, &in)); /* fcvt.d.lu ft0, a0 */
	assert_ptr_equal(in.fn, exec_fcvt_from_lu_d);
	assert_false(decode(0xf2050053, &in)); /* fmv.d.x ft0, a0 */
	assert_ptr_equal(in.fn, exec_fmv_d_x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compressed_matches_expansion),
	    cmocka_unit_test(test_compressed_fields),
	    cmocka_unit_test(test_reserved_compressed),
	    cmocka_unit_test(test_reserved_32),
	    cmocka_unit_test(test_cbo),
	    cmocka_unit_test(test_fp_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
