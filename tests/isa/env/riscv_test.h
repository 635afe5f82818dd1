/* SPDX-License-Identifier: MIT */
/*
 * memvisor's test environment for the riscv-tests ISA suites: what
 * `#include "riscv_test.h"` gives a test of $(RISCV_TESTS)/isa/<suite>/.
 *
 * The upstream "p" environment starts in M-mode and drops to U-mode (the
 * rv64u* suites) or S-mode (rv64si). A memvisor guest has no M-mode: it
 * starts in S-mode and the SBI is memvisor's. So here:
 *
 *   - _start (RVTEST_CODE_BEGIN) runs in S-mode, clears the registers,
 *     points stvec at the test's stvec_handler if it defines one (a weak
 *     symbol), else at the environment's trap vector, and enters the test
 *     by sret: in U-mode for RVTEST_RV64U/RVTEST_RV64UF, as upstream, and
 *     in S-mode for RVTEST_RV64S.
 *   - RVTEST_PASS and RVTEST_FAIL run in either mode. They set TESTNUM as
 *     upstream (1 for a pass) and jump to rvtest_pass / rvtest_fail
 *     (rvtest.c), which print "rvtest: PASS" or "rvtest: FAIL testnum N"
 *     on the SBI console and shut down through SBI SRST with reason "none"
 *     or "system failure" (memvisor exits 0 or 1).
 *   - From U-mode those SBI calls trap (scause "ecall from U-mode"): the
 *     environment's trap vector makes the call itself, from S-mode, and
 *     returns to the instruction after the ecall. Any other trap there is
 *     a failure ("rvtest: FAIL testnum N: unexpected trap ..."). Upstream,
 *     a U-mode ecall also ends the test (M-mode handles it), and the causes
 *     it delegates to stvec_handler are the ones a test's handler expects.
 *   - A test's stvec_handler gets every trap, as upstream it gets the
 *     delegated ones; the undelegated ones would fail there in M-mode,
 *     and the handlers fail on a cause they do not expect.
 *
 * Tests that need M-mode (RVTEST_RV64M) do not apply: see
 * tests/isa/not_applicable. The CSR and cause constants below are from the
 * RISC-V privileged specification; the SBI IDs match include/memvisor/abi.h
 * (not included: it has C declarations).
 */
#ifndef MEMVISOR_RISCV_TEST_H
#define MEMVISOR_RISCV_TEST_H

/* ---- Layout (link.ld) ---- */

#define DRAM_BASE     0x80000000
#define RISCV_PGSHIFT 12
#define RISCV_PGSIZE  (1 << RISCV_PGSHIFT)

/* ---- Privileged-architecture constants the suites use ---- */

#define SSTATUS_SIE	   0x00000002
#define SSTATUS_SPIE	   0x00000020
#define SSTATUS_SPP	   0x00000100
#define SSTATUS_FS	   0x00006000
#define SSTATUS_FS_INITIAL 0x00002000
#define SSTATUS_SUM	   0x00040000
#define SSTATUS_MXR	   0x00080000
#define SSTATUS_UXL	   0x0000000300000000
#define SSTATUS_SD	   0x8000000000000000

#define SIP_SSIP 0x002
#define SIP_STIP 0x020
#define SIP_SEIP 0x200

#define CAUSE_MISALIGNED_FETCH	  0x0
#define CAUSE_FETCH_ACCESS	  0x1
#define CAUSE_ILLEGAL_INSTRUCTION 0x2
#define CAUSE_BREAKPOINT	  0x3
#define CAUSE_MISALIGNED_LOAD	  0x4
#define CAUSE_LOAD_ACCESS	  0x5
#define CAUSE_MISALIGNED_STORE	  0x6
#define CAUSE_STORE_ACCESS	  0x7
#define CAUSE_USER_ECALL	  0x8
#define CAUSE_SUPERVISOR_ECALL	  0x9
#define CAUSE_FETCH_PAGE_FAULT	  0xc
#define CAUSE_LOAD_PAGE_FAULT	  0xd
#define CAUSE_STORE_PAGE_FAULT	  0xf

#define SATP_MODE      0xf000000000000000
#define SATP_MODE_SV39 8
#define PTE_V	       0x001
#define PTE_R	       0x002
#define PTE_W	       0x004
#define PTE_X	       0x008
#define PTE_U	       0x010
#define PTE_A	       0x040
#define PTE_D	       0x080
#define PTE_PPN_SHIFT  10

/* ---- SBI (include/memvisor/abi.h) ---- */

#define RVTEST_SBI_EXT_SRST	       0x53525354
#define RVTEST_SBI_SRST_RESET	       0
#define RVTEST_SBI_SRST_TYPE_SHUTDOWN  0
#define RVTEST_SBI_SRST_REASON_NONE    0
#define RVTEST_SBI_SRST_REASON_FAILURE 1
#define RVTEST_SBI_EXT_DBCN	       0x4442434e
#define RVTEST_SBI_DBCN_WRITE_BYTE     2
#define RVTEST_SBI_LEGACY_PUTCHAR      0x01

#ifdef __ASSEMBLER__
/* Assembler macros: clang-format would take them for C. */
/* clang-format off */

/* The register a test keeps its current case number in. */
#define TESTNUM gp

/*
 * Zicond as instructions for an assembler without it (binutils < 2.41):
 * tests/isa/isa.mk defines RVTEST_ZICOND_INSN then. R-type, opcode OP,
 * funct7 0000111; funct3 101 for czero.eqz, 111 for czero.nez.
 */
#ifdef RVTEST_ZICOND_INSN
	.macro czero.eqz rd, rs1, rs2
	.insn r 0x33, 5, 7, \rd, \rs1, \rs2
	.endm
	.macro czero.nez rd, rs1, rs2
	.insn r 0x33, 7, 7, \rd, \rs1, \rs2
	.endm
#endif

/* ---- The machine a test asks for: rvtest_init runs in S-mode, just
 * before sret enters the test ---- */

/* U-mode, FP off. */
#define RVTEST_RV64U                                                           \
	.macro rvtest_init;                                                    \
	.endm

/* U-mode, FP on (sstatus.FS Initial) with fcsr cleared. */
#define RVTEST_RV64UF                                                          \
	.macro rvtest_init;                                                    \
	li t0, SSTATUS_FS_INITIAL;                                             \
	csrs sstatus, t0;                                                      \
	csrwi fcsr, 0;                                                         \
	.endm

/* S-mode. */
#define RVTEST_RV64S                                                           \
	.macro rvtest_init;                                                    \
	li t0, SSTATUS_SPP;                                                    \
	csrs sstatus, t0;                                                      \
	.endm

/* M-mode: a memvisor guest has none (tests/isa/not_applicable). */
#define RVTEST_RV64M                                                           \
	.error "RVTEST_RV64M: this test needs M-mode, which a memvisor guest does not have (tests/isa/not_applicable)"

/* x1..x31 = 0: the state the tests start from upstream. */
#define RVTEST_INIT_XREG                                                       \
	li x1, 0;                                                              \
	li x2, 0;                                                              \
	li x3, 0;                                                              \
	li x4, 0;                                                              \
	li x5, 0;                                                              \
	li x6, 0;                                                              \
	li x7, 0;                                                              \
	li x8, 0;                                                              \
	li x9, 0;                                                              \
	li x10, 0;                                                             \
	li x11, 0;                                                             \
	li x12, 0;                                                             \
	li x13, 0;                                                             \
	li x14, 0;                                                             \
	li x15, 0;                                                             \
	li x16, 0;                                                             \
	li x17, 0;                                                             \
	li x18, 0;                                                             \
	li x19, 0;                                                             \
	li x20, 0;                                                             \
	li x21, 0;                                                             \
	li x22, 0;                                                             \
	li x23, 0;                                                             \
	li x24, 0;                                                             \
	li x25, 0;                                                             \
	li x26, 0;                                                             \
	li x27, 0;                                                             \
	li x28, 0;                                                             \
	li x29, 0;                                                             \
	li x30, 0;                                                             \
	li x31, 0

/*
 * Entry, in S-mode with interrupts masked (sie = 0) and translation off.
 * The test's code follows in .text.init. t0 and t1 are cleared again in
 * the test's mode, after sret.
 */
#define RVTEST_CODE_BEGIN                                                      \
	.section .text.init, "ax", @progbits;                                  \
	.align 6;                                                              \
	.weak stvec_handler;                                                   \
	.globl _start;                                                         \
_start:                                                                        \
	RVTEST_INIT_XREG;                                                      \
	csrw sie, zero;                                                        \
	csrw sip, zero;                                                        \
	csrw satp, zero;                                                       \
	csrw sscratch, zero;                                                   \
	csrw sstatus, zero;                                                    \
	la t0, rvtest_trap_vector;                                             \
	la t1, stvec_handler;                                                  \
	beqz t1, 1f;                                                           \
	mv t0, t1;                                                             \
1:	csrw stvec, t0;                                                        \
	rvtest_init;                                                           \
	la t0, 2f;                                                             \
	csrw sepc, t0;                                                         \
	sret;                                                                  \
2:	li t0, 0;                                                              \
	li t1, 0

#define RVTEST_CODE_END unimp

/* TESTNUM = 1 says "passed" (a test's stvec_handler may check it). */
#define RVTEST_PASS                                                            \
	fence;                                                                 \
	li TESTNUM, 1;                                                         \
	j rvtest_pass

/* TESTNUM holds the failing case. */
#define RVTEST_FAIL                                                            \
	fence;                                                                 \
	j rvtest_fail

#define RVTEST_DATA_BEGIN                                                      \
	.align 4;                                                              \
	.global begin_signature;                                               \
begin_signature:

#define RVTEST_DATA_END                                                        \
	.align 4;                                                              \
	.global end_signature;                                                 \
end_signature:

/* clang-format on */
#endif /* __ASSEMBLER__ */

#endif
