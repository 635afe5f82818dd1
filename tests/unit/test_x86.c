/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/jit/x86: each emitter's bytes against what GNU as
 * (binutils 2.40, --64, .intel_syntax noprefix) assembles for the same
 * instruction, written beside each expected sequence. Registers r8-r15,
 * rsp/r12 and rbp/r13 bases, byte registers that need an empty REX, and
 * 8- and 32-bit displacements and immediates are all covered, and the
 * scalar SSE, FMA (VEX), MXCSR and bit-count/bit-test forms. Then the
 * jumps' patching and the buffer's overflow rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/jit/x86.h"

static uint8_t mem[512];

static struct x86_buf start(void)
{
	struct x86_buf b;

	memset(mem, 0xcc, sizeof(mem));
	x86_buf_init(&b, mem, sizeof(mem));
	return b;
}

/* The emitted bytes must be exactly want[0..n). */
static void check(const struct x86_buf *b, const uint8_t *want, size_t n)
{
	assert_false(b->overflow);
	for (size_t i = 0; i < n && i < x86_buf_len(b); i++)
		if (b->start[i] != want[i])
			fail_msg("byte %zu: emitted %02x, as gives %02x", i,
				 b->start[i], want[i]);
	assert_int_equal(x86_buf_len(b), n);
}

static void test_moves(void **state)
{
	static const uint8_t want[] = {
	    0x48, 0x89, 0xc8,			      /* mov rax, rcx */
	    0x41, 0x89, 0xc1,			      /* mov r9d, eax */
	    0x4c, 0x89, 0xe1,			      /* mov rcx, r12 */
	    0xb8, 0x78, 0x56, 0x34, 0x12,	      /* mov eax, 0x12345678 */
	    0x41, 0xba, 0x05, 0, 0, 0,		      /* mov r10d, 5 */
	    0x48, 0xc7, 0xc2, 0xfe, 0xff, 0xff, 0xff, /* mov rdx, -2 */
	    0x49, 0xbb, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0,
	    /* movabs r11, 0x123456789abc */
	    0x48, 0x8d, 0x83, 0x90, 0, 0, 0, /* lea rax, [rbx+0x90] */
	    0x4c, 0x8d, 0x40, 0xff,	     /* lea r8, [rax-1] */
	    0x48, 0x63, 0xc0,		     /* movsxd rax, eax */
	    0x4c, 0x63, 0xd1,		     /* movsxd r10, ecx */
	};
	struct x86_buf b = start();

	(void)state;
	x86_mov_rr(&b, X86_RAX, X86_RCX, true);
	x86_mov_rr(&b, X86_R9, X86_RAX, false);
	x86_mov_rr(&b, X86_RCX, X86_R12, true);
	x86_mov_ri(&b, X86_RAX, 0x12345678);
	x86_mov_ri(&b, X86_R10, 5);
	x86_mov_ri(&b, X86_RDX, (uint64_t)-2);
	x86_mov_ri(&b, X86_R11, 0x123456789abcull);
	x86_lea(&b, X86_RAX, X86_RBX, 0x90);
	x86_lea(&b, X86_R8, X86_RAX, -1);
	x86_movsxd(&b, X86_RAX, X86_RAX);
	x86_movsxd(&b, X86_R10, X86_RCX);
	check(&b, want, sizeof(want));
}

static void test_memory(void **state)
{
	static const uint8_t want[] = {
	    0x48, 0x8b, 0x43, 0x08,		/* mov rax, [rbx+8] */
	    0x4c, 0x8b, 0x83, 0x00, 0x02, 0, 0, /* mov r8, [rbx+0x200] */
	    0x48, 0x8b, 0x03,			/* mov rax, [rbx] */
	    0x49, 0x8b, 0x45, 0x00,		/* mov rax, [r13] */
	    0x49, 0x8b, 0x44, 0x24, 0x10,	/* mov rax, [r12+16] */
	    0x48, 0x8b, 0x04, 0x24,		/* mov rax, [rsp] */
	    0x0f, 0xb6, 0x43, 0x01,		/* movzx eax, byte [rbx+1] */
	    0x48, 0x0f, 0xbe, 0x4f, 0xfc,	/* movsx rcx, byte [rdi-4] */
	    0x0f, 0xb7, 0x16,			/* movzx edx, word [rsi] */
	    0x48, 0x0f, 0xbf, 0x43, 0x02,	/* movsx rax, word [rbx+2] */
	    0x8b, 0x43, 0x04,			/* mov eax, dword [rbx+4] */
	    0x4c, 0x63, 0x4b, 0x04,		/* movsxd r9, dword [rbx+4] */
	    0x48, 0x89, 0x43, 0x10,		/* mov [rbx+16], rax */
	    0x4c, 0x89, 0xbb, 0x00, 0x01, 0, 0, /* mov [rbx+0x100], r15 */
	    0x40, 0x88, 0x37,			/* mov [rdi], sil */
	    0x88, 0x07,				/* mov [rdi], al */
	    0x44, 0x88, 0x47, 0x01,		/* mov [rdi+1], r8b */
	    0x66, 0x89, 0x0f,			/* mov [rdi], cx */
	    0x66, 0x44, 0x89, 0x0f,		/* mov [rdi], r9w */
	    0x89, 0x17,				/* mov [rdi], edx */
	    0x48, 0xc7, 0x43, 0x18, 0xff, 0xff, 0xff, 0xff,
	    /* mov qword [rbx+24], -1 */
	    0x48, 0xc7, 0x83, 0x08, 0x01, 0, 0, 0x00, 0xf0, 0xff, 0x7f,
	    /* mov qword [rbx+0x108], 0x7ffff000 */
	};
	struct x86_buf b = start();

	(void)state;
	x86_load(&b, X86_RAX, X86_RBX, 8, 8, false);
	x86_load(&b, X86_R8, X86_RBX, 0x200, 8, true);
	x86_load(&b, X86_RAX, X86_RBX, 0, 8, false);
	x86_load(&b, X86_RAX, X86_R13, 0, 8, false);
	x86_load(&b, X86_RAX, X86_R12, 16, 8, false);
	x86_load(&b, X86_RAX, X86_RSP, 0, 8, false);
	x86_load(&b, X86_RAX, X86_RBX, 1, 1, false);
	x86_load(&b, X86_RCX, X86_RDI, -4, 1, true);
	x86_load(&b, X86_RDX, X86_RSI, 0, 2, false);
	x86_load(&b, X86_RAX, X86_RBX, 2, 2, true);
	x86_load(&b, X86_RAX, X86_RBX, 4, 4, false);
	x86_load(&b, X86_R9, X86_RBX, 4, 4, true);
	x86_store(&b, X86_RBX, 16, X86_RAX, 8);
	x86_store(&b, X86_RBX, 0x100, X86_R15, 8);
	x86_store(&b, X86_RDI, 0, X86_RSI, 1);
	x86_store(&b, X86_RDI, 0, X86_RAX, 1);
	x86_store(&b, X86_RDI, 1, X86_R8, 1);
	x86_store(&b, X86_RDI, 0, X86_RCX, 2);
	x86_store(&b, X86_RDI, 0, X86_R9, 2);
	x86_store(&b, X86_RDI, 0, X86_RDX, 4);
	x86_store_imm(&b, X86_RBX, 24, -1);
	x86_store_imm(&b, X86_RBX, 0x108, 0x7ffff000);
	check(&b, want, sizeof(want));
}

/* The same with an index register: [base + index + disp]. */
static void test_memory_index(void **state)
{
	static const uint8_t want[] = {
	    0x0f, 0xb6, 0x34, 0x28,	  /* movzx esi, byte [rax+rbp] */
	    0x4e, 0x0f, 0xbe, 0x04, 0x20, /* movsx r8, byte [rax+r12] */
	    0x4c, 0x8b, 0x1c, 0x30,	  /* mov r11, [rax+rsi] */
	    0x48, 0x63, 0x54, 0x38, 0x10, /* movsxd rdx, [rax+rdi+16] */
	    0x42, 0x88, 0x34, 0x28,	  /* mov [rax+r13], sil */
	    0x66, 0x89, 0x14, 0x28,	  /* mov [rax+rbp], dx */
	    0x46, 0x89, 0x04, 0x30,	  /* mov [rax+r14], r8d */
	    0x4e, 0x89, 0x1c, 0x38,	  /* mov [rax+r15], r11 */
	    0x49, 0x8b, 0x44, 0x09, 0x18, /* mov rax, [r9+rcx+0x18] */
	    0x48, 0x8b, 0x43, 0x08,	  /* mov rax, [rbx+8]: no index */
	};
	struct x86_buf b = start();

	(void)state;
	x86_load_index(&b, X86_RSI, X86_RAX, X86_RBP, 0, 1, false);
	x86_load_index(&b, X86_R8, X86_RAX, X86_R12, 0, 1, true);
	x86_load_index(&b, X86_R11, X86_RAX, X86_RSI, 0, 8, false);
	x86_load_index(&b, X86_RDX, X86_RAX, X86_RDI, 16, 4, true);
	x86_store_index(&b, X86_RAX, X86_R13, 0, X86_RSI, 1);
	x86_store_index(&b, X86_RAX, X86_RBP, 0, X86_RDX, 2);
	x86_store_index(&b, X86_RAX, X86_R14, 0, X86_R8, 4);
	x86_store_index(&b, X86_RAX, X86_R15, 0, X86_R11, 8);
	x86_load_index(&b, X86_RAX, X86_R9, X86_RCX, 0x18, 8, false);
	x86_load_index(&b, X86_RAX, X86_RBX, X86_NO_INDEX, 8, 8, false);
	check(&b, want, sizeof(want));
}

static void test_alu(void **state)
{
	static const uint8_t want[] = {
	    0x48, 0x01, 0xc8,			      /* add rax, rcx */
	    0x45, 0x29, 0xd1,			      /* sub r9d, r10d */
	    0x48, 0x31, 0xc0,			      /* xor rax, rax */
	    0x48, 0x39, 0xd1,			      /* cmp rcx, rdx */
	    0x48, 0x83, 0xc0, 0x01,		      /* add rax, 1 */
	    0x48, 0x83, 0xe0, 0xfe,		      /* and rax, -2 */
	    0x81, 0xc9, 0x00, 0x10, 0, 0,	      /* or ecx, 0x1000 */
	    0x48, 0x81, 0xf1, 0xff, 0xff, 0xff, 0x7f, /* xor rcx, 0x7fffffff */
	    0x49, 0x81, 0xec, 0x7f, 0xff, 0xff, 0xff, /* sub r12, -129 */
	    0x48, 0x83, 0xf8, 0x7f,		      /* cmp rax, 127 */
	    0x48, 0x03, 0x43, 0x08,		      /* add rax, [rbx+8] */
	    0x2b, 0x83, 0x00, 0x01, 0, 0,	      /* sub eax, [rbx+0x100] */
	    0x48, 0x3b, 0x4b, 0x10,		      /* cmp rcx, [rbx+16] */
	    0x4c, 0x23, 0x13,			      /* and r10, [rbx] */
	    0x49, 0x3b, 0x54, 0x09, 0x10, /* cmp rdx, [r9+rcx+0x10] */
	    0x49, 0x03, 0x44, 0x09, 0x18, /* add rax, [r9+rcx+0x18] */
	    0x3b, 0x44, 0x0d, 0x00,	  /* cmp eax, [rbp+rcx] */
	    0x4f, 0x03, 0x84, 0x25, 0x00, 0x02, 0, 0,
	    /* add r8, [r13+r12+0x200] */
	    0x48, 0x83, 0x83, 0x08, 0x01, 0, 0, 0x04,
	    /* add qword [rbx+0x108], 4 */
	    0x48, 0x81, 0x83, 0x08, 0x01, 0, 0, 0x00, 0x10, 0, 0,
	    /* add qword [rbx+0x108], 0x1000 */
	};
	struct x86_buf b = start();

	(void)state;
	x86_alu_rr(&b, X86_ADD, X86_RAX, X86_RCX, true);
	x86_alu_rr(&b, X86_SUB, X86_R9, X86_R10, false);
	x86_alu_rr(&b, X86_XOR, X86_RAX, X86_RAX, true);
	x86_alu_rr(&b, X86_CMP, X86_RCX, X86_RDX, true);
	x86_alu_ri(&b, X86_ADD, X86_RAX, 1, true);
	x86_alu_ri(&b, X86_AND, X86_RAX, -2, true);
	x86_alu_ri(&b, X86_OR, X86_RCX, 0x1000, false);
	x86_alu_ri(&b, X86_XOR, X86_RCX, 0x7fffffff, true);
	x86_alu_ri(&b, X86_SUB, X86_R12, -129, true);
	x86_alu_ri(&b, X86_CMP, X86_RAX, 127, true);
	x86_alu_rm(&b, X86_ADD, X86_RAX, X86_RBX, 8, true);
	x86_alu_rm(&b, X86_SUB, X86_RAX, X86_RBX, 0x100, false);
	x86_alu_rm(&b, X86_CMP, X86_RCX, X86_RBX, 16, true);
	x86_alu_rm(&b, X86_AND, X86_R10, X86_RBX, 0, true);
	x86_alu_rmx(&b, X86_CMP, X86_RDX, X86_R9, X86_RCX, 0x10, true);
	x86_alu_rmx(&b, X86_ADD, X86_RAX, X86_R9, X86_RCX, 0x18, true);
	x86_alu_rmx(&b, X86_CMP, X86_RAX, X86_RBP, X86_RCX, 0, false);
	x86_alu_rmx(&b, X86_ADD, X86_R8, X86_R13, X86_R12, 0x200, true);
	x86_alu_mi(&b, X86_ADD, X86_RBX, 0x108, 4);
	x86_alu_mi(&b, X86_ADD, X86_RBX, 0x108, 0x1000);
	check(&b, want, sizeof(want));
}

static void test_shift_mul_flags(void **state)
{
	static const uint8_t want[] = {
	    0x48, 0xc1, 0xe0, 0x03,		/* shl rax, 3 */
	    0xc1, 0xe9, 0x1f,			/* shr ecx, 31 */
	    0x49, 0xc1, 0xf9, 0x3f,		/* sar r9, 63 */
	    0x48, 0xd3, 0xe0,			/* shl rax, cl */
	    0xd3, 0xfa,				/* sar edx, cl */
	    0x49, 0xd3, 0xeb,			/* shr r11, cl */
	    0x48, 0x0f, 0xaf, 0xc1,		/* imul rax, rcx */
	    0x41, 0x0f, 0xaf, 0xc1,		/* imul eax, r9d */
	    0x48, 0x0f, 0xaf, 0x43, 0x28,	/* imul rax, [rbx+0x28] */
	    0x85, 0xc0,				/* test eax, eax */
	    0x49, 0x85, 0xc8,			/* test r8, rcx */
	    0x0f, 0x9c, 0xc0,			/* setl al */
	    0x0f, 0xb6, 0xc0,			/* movzx eax, al */
	    0x40, 0x0f, 0x92, 0xc6,		/* setb sil */
	    0x40, 0x0f, 0xb6, 0xf6,		/* movzx esi, sil */
	    0x41, 0x0f, 0x95, 0xc1,		/* setne r9b */
	    0x45, 0x0f, 0xb6, 0xc9,		/* movzx r9d, r9b */
	    0x48, 0x99,				/* cqo */
	    0x99,				/* cdq */
	    0x48, 0xf7, 0xf9,			/* idiv rcx */
	    0xf7, 0xf9,				/* idiv ecx */
	    0x48, 0xf7, 0xf1,			/* div rcx */
	    0xf7, 0xf1,				/* div ecx */
	    0x48, 0xf7, 0xe1,			/* mul rcx */
	    0x48, 0xf7, 0xe9,			/* imul rcx */
	    0x48, 0xf7, 0xd8,			/* neg rax */
	    0xf7, 0xd8,				/* neg eax */
	    0x49, 0xf7, 0xd9,			/* neg r9 */
	    0x48, 0x0f, 0x4f, 0xc1,		/* cmovg rax, rcx */
	    0x49, 0x0f, 0x42, 0xc1,		/* cmovb rax, r9 */
	    0x0f, 0x44, 0xc2,			/* cmove eax, edx */
	    0x48, 0x0f, 0xbe, 0xc0,		/* movsx rax, al */
	    0x48, 0x0f, 0xbf, 0xc1,		/* movsx rax, cx */
	    0x0f, 0xb7, 0xc1,			/* movzx eax, cx */
	    0x48, 0x0f, 0xbe, 0xc6,		/* movsx rax, sil */
	    0x41, 0x0f, 0xb7, 0xc1,		/* movzx eax, r9w */
	    0x48, 0x0f, 0xc8,			/* bswap rax */
	    0x49, 0x0f, 0xcc,			/* bswap r12 */
	    0xc4, 0xe3, 0xfb, 0xf0, 0xc8, 0x06, /* rorx rcx, rax, 6 */
	    0xc4, 0xe3, 0xfb, 0xf0, 0xd0, 0x0f, /* rorx rdx, rax, 15 */
	    0xc4, 0x43, 0xfb, 0xf0, 0xcd, 0x17, /* rorx r9, r13, 23 */
	    0xc4, 0xc3, 0xfb, 0xf0, 0xe9, 0x01, /* rorx rbp, r9, 1 */
	    0x48, 0xf7, 0xd0,			/* not rax */
	    0x48, 0xd3, 0xc0,			/* rol rax, cl */
	    0xd3, 0xc8,				/* ror eax, cl */
	    0x48, 0xc1, 0xc8, 0x07,		/* ror rax, 7 */
	    0x41, 0xc1, 0xc5, 0x03,		/* rol r13d, 3 */
	    0x48, 0x8d, 0x04, 0x41,		/* lea rax, [rcx+rax*2] */
	    0x48, 0x8d, 0x54, 0xc5, 0x00,	/* lea rdx, [rbp+rax*8+0] */
	    0x4f, 0x8d, 0x64, 0x8d, 0x00,	/* lea r12, [r13+r9*4+0] */
	    0x48, 0x8d, 0x04, 0x11,		/* lea rax, [rcx+rdx*1] */
	};
	struct x86_buf b = start();

	(void)state;
	x86_shift_ri(&b, X86_SHL, X86_RAX, 3, true);
	x86_shift_ri(&b, X86_SHR, X86_RCX, 31, false);
	x86_shift_ri(&b, X86_SAR, X86_R9, 63, true);
	x86_shift_cl(&b, X86_SHL, X86_RAX, true);
	x86_shift_cl(&b, X86_SAR, X86_RDX, false);
	x86_shift_cl(&b, X86_SHR, X86_R11, true);
	x86_imul_rr(&b, X86_RAX, X86_RCX, true);
	x86_imul_rr(&b, X86_RAX, X86_R9, false);
	x86_imul_rm(&b, X86_RAX, X86_RBX, 0x28, true);
	x86_test_rr(&b, X86_RAX, X86_RAX, false);
	x86_test_rr(&b, X86_R8, X86_RCX, true);
	x86_setcc_zx(&b, X86_CC_L, X86_RAX);
	x86_setcc_zx(&b, X86_CC_B, X86_RSI);
	x86_setcc_zx(&b, X86_CC_NE, X86_R9);
	x86_cqo(&b, true);
	x86_cqo(&b, false);
	x86_unary(&b, X86_IDIV, X86_RCX, true);
	x86_unary(&b, X86_IDIV, X86_RCX, false);
	x86_unary(&b, X86_DIV, X86_RCX, true);
	x86_unary(&b, X86_DIV, X86_RCX, false);
	x86_unary(&b, X86_MUL, X86_RCX, true);
	x86_unary(&b, X86_IMUL1, X86_RCX, true);
	x86_unary(&b, X86_NEG, X86_RAX, true);
	x86_unary(&b, X86_NEG, X86_RAX, false);
	x86_unary(&b, X86_NEG, X86_R9, true);
	x86_cmov(&b, X86_CC_G, X86_RAX, X86_RCX, true);
	x86_cmov(&b, X86_CC_B, X86_RAX, X86_R9, true);
	x86_cmov(&b, X86_CC_E, X86_RAX, X86_RDX, false);
	x86_extend(&b, X86_RAX, X86_RAX, 1, true);
	x86_extend(&b, X86_RAX, X86_RCX, 2, true);
	x86_extend(&b, X86_RAX, X86_RCX, 2, false);
	x86_extend(&b, X86_RAX, X86_RSI, 1, true);
	x86_extend(&b, X86_RAX, X86_R9, 2, false);
	x86_bswap(&b, X86_RAX, true);
	x86_bswap(&b, X86_R12, true);
	x86_rorx(&b, X86_RCX, X86_RAX, 6);
	x86_rorx(&b, X86_RDX, X86_RAX, 15);
	x86_rorx(&b, X86_R9, X86_R13, 23);
	x86_rorx(&b, X86_RBP, X86_R9, 1);
	x86_unary(&b, X86_NOT, X86_RAX, true);
	x86_shift_cl(&b, X86_ROL, X86_RAX, true);
	x86_shift_cl(&b, X86_ROR, X86_RAX, false);
	x86_shift_ri(&b, X86_ROR, X86_RAX, 7, true);
	x86_shift_ri(&b, X86_ROL, X86_R13, 3, false);
	x86_lea_index(&b, X86_RAX, X86_RCX, X86_RAX, 1);
	x86_lea_index(&b, X86_RDX, X86_RBP, X86_RAX, 3);
	x86_lea_index(&b, X86_R12, X86_R13, X86_R9, 2);
	x86_lea_index(&b, X86_RAX, X86_RCX, X86_RDX, 0);
	check(&b, want, sizeof(want));
}

static void test_control(void **state)
{
	static const uint8_t want[] = {
	    0xff, 0xe0,			  /* jmp rax */
	    0x41, 0xff, 0xd3,		  /* call r11 */
	    0xff, 0xd0,			  /* call rax */
	    0xff, 0x16,			  /* call [rsi] */
	    0xff, 0x50, 0x08,		  /* call [rax+8] */
	    0xe8, 0xef, 0xff, 0xff, 0xff, /* call back to the first byte */
	    0x53,			  /* push rbx */
	    0x41, 0x54,			  /* push r12 */
	    0x41, 0x5f,			  /* pop r15 */
	    0x5b,			  /* pop rbx */
	    0xc3,			  /* ret */
	};
	struct x86_buf b = start();

	(void)state;
	x86_jmp_r(&b, X86_RAX);
	x86_call_r(&b, X86_R11);
	x86_call_r(&b, X86_RAX);
	x86_call_m(&b, X86_RSI, 0);
	x86_call_m(&b, X86_RAX, 8);
	x86_call_rel(&b, b.start);
	x86_push(&b, X86_RBX);
	x86_push(&b, X86_R12);
	x86_pop(&b, X86_R15);
	x86_pop(&b, X86_RBX);
	x86_ret(&b);
	check(&b, want, sizeof(want));
}

/* A forward jcc and jmp patched to their targets, as as resolves labels. */
static void test_sse(void **state)
{
	static const uint8_t want[] = {
	    0xf2, 0x0f, 0x58, 0xc1,	  /* addsd xmm0, xmm1 */
	    0xf3, 0x41, 0x0f, 0x5c, 0xd1, /* subss xmm2, xmm9 */
	    0xf2, 0x0f, 0x59, 0x83, 0x08,
	    0x01, 0x00, 0x00, /* mulsd xmm0, [rbx+0x108] */
	    0xf3, 0x45, 0x0f, 0x5e, 0x44,
	    0x24, 0x08,			  /* divss xmm8, [r12+0x8] */
	    0xf2, 0x0f, 0x51, 0xc8,	  /* sqrtsd xmm1, xmm0 */
	    0xf2, 0x0f, 0x5d, 0xc1,	  /* minsd xmm0, xmm1 */
	    0xf3, 0x0f, 0x5f, 0xc1,	  /* maxss xmm0, xmm1 */
	    0xf2, 0x0f, 0x5a, 0xc0,	  /* cvtsd2ss xmm0, xmm0 */
	    0xf3, 0x0f, 0x5a, 0x43, 0x10, /* cvtss2sd xmm0, [rbx+0x10] */
	    0xf2, 0x0f, 0x10, 0x83, 0x10,
	    0x01, 0x00, 0x00,		  /* movsd xmm0, [rbx+0x110] */
	    0xf3, 0x0f, 0x10, 0x4d, 0x00, /* movss xmm1, [rbp+0x0] */
	    0xf2, 0x0f, 0x11, 0x83, 0x18,
	    0x01, 0x00, 0x00, /* movsd [rbx+0x118], xmm0 */
	    0xf3, 0x45, 0x0f, 0x11, 0x55,
	    0x04,			  /* movss [r13+0x4], xmm10 */
	    0xf3, 0x0f, 0x6f, 0x51, 0x20, /* movdqu xmm2, [rcx+0x20] */
	    0xf3, 0x0f, 0x7f, 0x11,	  /* movdqu [rcx], xmm2 */
	    0xf3, 0x0f, 0x6f, 0x69, 0x30, /* movdqu xmm5, [rcx+0x30] */
	    0xf3, 0x0f, 0x7f, 0x69, 0x10, /* movdqu [rcx+0x10], xmm5 */
	    0x66, 0x48, 0x0f, 0x6e, 0xc0, /* movq xmm0, rax */
	    0x66, 0x0f, 0x6e, 0xc9,	  /* movd xmm1, ecx */
	    0x66, 0x48, 0x0f, 0x7e, 0xc0, /* movq rax, xmm0 */
	    0x66, 0x44, 0x0f, 0x7e, 0xca, /* movd edx, xmm9 */
	    0x66, 0x49, 0x0f, 0x7e, 0xc1, /* movq r9, xmm0 */
	    0x66, 0x0f, 0x2e, 0x83, 0x20,
	    0x01, 0x00, 0x00, /* ucomisd xmm0, [rbx+0x120] */
	    0x66, 0x0f, 0x2f, 0x8b, 0x20,
	    0x01, 0x00, 0x00,		  /* comisd xmm1, [rbx+0x120] */
	    0x0f, 0x2e, 0x43, 0x08,	  /* ucomiss xmm0, [rbx+0x8] */
	    0x0f, 0x2f, 0x44, 0x24, 0x08, /* comiss xmm0, [rsp+0x8] */
	    0x66, 0x0f, 0x2e, 0xc0,	  /* ucomisd xmm0, xmm0 */
	    0x41, 0x0f, 0x2f, 0xc8,	  /* comiss xmm1, xmm8 */
	    0xf2, 0x48, 0x0f, 0x2a, 0xc0, /* cvtsi2sd xmm0, rax */
	    0xf3, 0x0f, 0x2a, 0xc1,	  /* cvtsi2ss xmm0, ecx */
	    0xf2, 0x41, 0x0f, 0x2a, 0xc9, /* cvtsi2sd xmm1, r9d */
	    0xf2, 0x48, 0x0f, 0x2c, 0xc0, /* cvttsd2si rax, xmm0 */
	    0xf2, 0x0f, 0x2d, 0xc0,	  /* cvtsd2si eax, xmm0 */
	    0xf3, 0x4c, 0x0f, 0x2c, 0xc1, /* cvttss2si r8, xmm1 */
	    0xf3, 0x41, 0x0f, 0x2d, 0xc9, /* cvtss2si ecx, xmm9 */
	    0xc4, 0xe2, 0xf1, 0xa9, 0x83,
	    0x28, 0x01, 0x00, 0x00, /* vfmadd213sd xmm0, xmm1, [rbx+0x128] */
	    0xc4, 0xe2, 0x71, 0xab, 0x43,
	    0x10, /* vfmsub213ss xmm0, xmm1, [rbx+0x10] */
	    0xc4, 0x42, 0xb1, 0xad, 0x44,
	    0x24, 0x40, /* vfnmadd213sd xmm8, xmm9, [r12+0x40] */
	    0xc4, 0xe2, 0x01, 0xaf, 0x03, /* vfnmsub213ss xmm0, xmm15, [rbx] */
	    0x0f, 0xae, 0x5c, 0x24, 0xf8, /* stmxcsr [rsp-0x8] */
	    0x0f, 0xae, 0x54, 0x24, 0xf8, /* ldmxcsr [rsp-0x8] */
	    0x0f, 0xae, 0x9b, 0x00, 0x02,
	    0x00, 0x00, /* stmxcsr [rbx+0x200] */
	};
	struct x86_buf b = start();

	(void)state;
	x86_sse_rr(&b, X86_ADDS, true, X86_XMM0, X86_XMM1);
	x86_sse_rr(&b, X86_SUBS, false, X86_XMM2, X86_XMM9);
	x86_sse_rm(&b, X86_MULS, true, X86_XMM0, X86_RBX, 0x108);
	x86_sse_rm(&b, X86_DIVS, false, X86_XMM8, X86_R12, 8);
	x86_sse_rr(&b, X86_SQRTS, true, X86_XMM1, X86_XMM0);
	x86_sse_rr(&b, X86_MINS, true, X86_XMM0, X86_XMM1);
	x86_sse_rr(&b, X86_MAXS, false, X86_XMM0, X86_XMM1);
	x86_sse_rr(&b, X86_CVTS, true, X86_XMM0, X86_XMM0);
	x86_sse_rm(&b, X86_CVTS, false, X86_XMM0, X86_RBX, 0x10);
	x86_movs_load(&b, true, X86_XMM0, X86_RBX, 0x110);
	x86_movs_load(&b, false, X86_XMM1, X86_RBP, 0);
	x86_movs_store(&b, true, X86_RBX, 0x118, X86_XMM0);
	x86_movs_store(&b, false, X86_R13, 4, X86_XMM10);
	x86_movdqu_load(&b, X86_XMM2, X86_RCX, 0x20);
	x86_movdqu_store(&b, X86_RCX, 0, X86_XMM2);
	x86_movdqu_load(&b, X86_XMM5, X86_RCX, 0x30);
	x86_movdqu_store(&b, X86_RCX, 0x10, X86_XMM5);
	x86_movq_to_xmm(&b, X86_XMM0, X86_RAX, true);
	x86_movq_to_xmm(&b, X86_XMM1, X86_RCX, false);
	x86_movq_from_xmm(&b, X86_RAX, X86_XMM0, true);
	x86_movq_from_xmm(&b, X86_RDX, X86_XMM9, false);
	x86_movq_from_xmm(&b, X86_R9, X86_XMM0, true);
	x86_comis_rm(&b, true, true, X86_XMM0, X86_RBX, 0x120);
	x86_comis_rm(&b, false, true, X86_XMM1, X86_RBX, 0x120);
	x86_comis_rm(&b, true, false, X86_XMM0, X86_RBX, 8);
	x86_comis_rm(&b, false, false, X86_XMM0, X86_RSP, 8);
	x86_comis_rr(&b, true, true, X86_XMM0, X86_XMM0);
	x86_comis_rr(&b, false, false, X86_XMM1, X86_XMM8);
	x86_cvt_from_int(&b, true, X86_XMM0, X86_RAX, true);
	x86_cvt_from_int(&b, false, X86_XMM0, X86_RCX, false);
	x86_cvt_from_int(&b, true, X86_XMM1, X86_R9, false);
	x86_cvt_to_int(&b, true, X86_RAX, X86_XMM0, true, true);
	x86_cvt_to_int(&b, true, X86_RAX, X86_XMM0, false, false);
	x86_cvt_to_int(&b, false, X86_R8, X86_XMM1, true, true);
	x86_cvt_to_int(&b, false, X86_RCX, X86_XMM9, false, false);
	x86_fma_rm(&b, X86_FMADD, true, X86_XMM0, X86_XMM1, X86_RBX, 0x128);
	x86_fma_rm(&b, X86_FMSUB, false, X86_XMM0, X86_XMM1, X86_RBX, 0x10);
	x86_fma_rm(&b, X86_FNMADD, true, X86_XMM8, X86_XMM9, X86_R12, 0x40);
	x86_fma_rm(&b, X86_FNMSUB, false, X86_XMM0, X86_XMM15, X86_RBX, 0);
	x86_stmxcsr(&b, X86_RSP, -8);
	x86_ldmxcsr(&b, X86_RSP, -8);
	x86_stmxcsr(&b, X86_RBX, 0x200);
	check(&b, want, sizeof(want));
}

static void test_bits(void **state)
{
	static const uint8_t want[] = {
	    0xf3, 0x48, 0x0f, 0xbd, 0xc1, /* lzcnt rax, rcx */
	    0xf3, 0x41, 0x0f, 0xbd, 0xc1, /* lzcnt eax, r9d */
	    0xf3, 0x4c, 0x0f, 0xbc, 0xc0, /* tzcnt r8, rax */
	    0xf3, 0x0f, 0xbc, 0xc0,	  /* tzcnt eax, eax */
	    0xf3, 0x49, 0x0f, 0xb8, 0xc4, /* popcnt rax, r12 */
	    0xf3, 0x0f, 0xb8, 0xca,	  /* popcnt ecx, edx */
	    0x48, 0x0f, 0xa3, 0xc8,	  /* bt rax, rcx */
	    0x48, 0x0f, 0xab, 0xc8,	  /* bts rax, rcx */
	    0x49, 0x0f, 0xb3, 0xd1,	  /* btr r9, rdx */
	    0x4c, 0x0f, 0xbb, 0xd0,	  /* btc rax, r10 */
	    0x0f, 0xa3, 0xc8,		  /* bt eax, ecx */
	    0x48, 0x0f, 0xba, 0xe0, 0x3f, /* bt rax, 0x3f */
	    0x49, 0x0f, 0xba, 0xe9, 0x05, /* bts r9, 0x5 */
	    0x48, 0x0f, 0xba, 0xf0, 0x1f, /* btr rax, 0x1f */
	    0x48, 0x0f, 0xba, 0xf9, 0x3f, /* btc rcx, 0x3f */
	    0x0f, 0xba, 0xf0, 0x1f,	  /* btr eax, 0x1f */
	    0xc7, 0x83, 0x04, 0x02, 0x00, 0x00, 0xff, 0xff, 0xff,
	    0xff, /* mov [rbx+0x204], 0xffffffff */
	    0xc7, 0x44, 0x24, 0xf8, 0x80, 0x1f, 0x00, 0x00, /* mov [rsp-0x8],
							       0x1f80 */
	};
	struct x86_buf b = start();

	(void)state;
	x86_count(&b, X86_LZCNT, X86_RAX, X86_RCX, true);
	x86_count(&b, X86_LZCNT, X86_RAX, X86_R9, false);
	x86_count(&b, X86_TZCNT, X86_R8, X86_RAX, true);
	x86_count(&b, X86_TZCNT, X86_RAX, X86_RAX, false);
	x86_count(&b, X86_POPCNT, X86_RAX, X86_R12, true);
	x86_count(&b, X86_POPCNT, X86_RCX, X86_RDX, false);
	x86_bt_rr(&b, X86_BT, X86_RAX, X86_RCX, true);
	x86_bt_rr(&b, X86_BTS, X86_RAX, X86_RCX, true);
	x86_bt_rr(&b, X86_BTR, X86_R9, X86_RDX, true);
	x86_bt_rr(&b, X86_BTC, X86_RAX, X86_R10, true);
	x86_bt_rr(&b, X86_BT, X86_RAX, X86_RCX, false);
	x86_bt_ri(&b, X86_BT, X86_RAX, 63, true);
	x86_bt_ri(&b, X86_BTS, X86_R9, 5, true);
	x86_bt_ri(&b, X86_BTR, X86_RAX, 31, true);
	x86_bt_ri(&b, X86_BTC, X86_RCX, 63, true);
	x86_bt_ri(&b, X86_BTR, X86_RAX, 31, false);
	x86_store_imm32(&b, X86_RBX, 0x204, -1);
	x86_store_imm32(&b, X86_RSP, -8, 0x1f80);
	check(&b, want, sizeof(want));
}

static void test_jumps(void **state)
{
	static const uint8_t want[] = {
	    0x0f, 0x8c, 0x05, 0,    0,	  0, /* jl 1f */
	    0xe9, 0x01, 0,    0,    0,	     /* jmp 2f */
	    0xc3,			     /* 1: ret */
	    0xc3,			     /* 2: ret */
	    0xe9, 0xee, 0xff, 0xff, 0xff,    /* jmp back to the first byte */
	};
	struct x86_buf b = start();
	uint8_t *j1, *j2, *j3;

	(void)state;
	j1 = x86_jcc_fwd(&b, X86_CC_L);
	j2 = x86_jmp_fwd(&b);
	x86_patch(&b, j1, b.p);
	x86_ret(&b);
	x86_patch(&b, j2, b.p);
	x86_ret(&b);
	j3 = x86_jmp_fwd(&b);
	x86_patch(&b, j3, b.start);
	check(&b, want, sizeof(want));
}

/* Nothing is written past the end, and overflow says so. */
static void test_overflow(void **state)
{
	struct x86_buf b;

	(void)state;
	memset(mem, 0xcc, sizeof(mem));
	x86_buf_init(&b, mem, 6);
	x86_load(&b, X86_RAX, X86_RBX, 8, 8, false); /* 4 bytes: fits */
	assert_false(b.overflow);
	assert_int_equal(x86_buf_len(&b), 4);
	x86_load(&b, X86_RAX, X86_RBX, 8, 8, false); /* 4 more: does not */
	assert_true(b.overflow);
	assert_true(x86_buf_len(&b) <= 6);
	assert_int_equal(mem[6], 0xcc);
	assert_int_equal(mem[7], 0xcc);
	assert_null(x86_jmp_fwd(&b));
	x86_ret(&b);
	assert_true(b.overflow);
	assert_int_equal(mem[6], 0xcc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_moves),
	    cmocka_unit_test(test_memory),
	    cmocka_unit_test(test_memory_index),
	    cmocka_unit_test(test_alu),
	    cmocka_unit_test(test_shift_mul_flags),
	    cmocka_unit_test(test_control),
	    cmocka_unit_test(test_sse),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_jumps),
	    cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
