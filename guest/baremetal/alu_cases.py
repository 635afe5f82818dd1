#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate alu_cases.h: RV64I/M test vectors for the alu guest test.

The expected values come from the model below, written from the RISC-V
unprivileged specification (RV32I/RV64I "Integer Computational
Instructions", and "M" Standard Extension, including its table of
division by zero and overflow results). The model knows nothing of
memvisor; the guest compares it with what memvisor's CPU computes.

    python3 guest/baremetal/alu_cases.py \
        | clang-format --assume-filename=alu_cases.h > guest/baremetal/alu_cases.h
"""

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def s64(x):
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def s32(x):
    x &= M32
    return x - (1 << 32) if x >> 31 else x


def sx32(x):
    """Sign-extend the low 32 bits to 64 (the W instructions' result)."""
    return s32(x) & M64


def div_trunc(a, b):
    """Integer division rounding towards zero (the spec's DIV)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def rem_trunc(a, b):
    return a - b * div_trunc(a, b)


def div(a, b):
    a, b = s64(a), s64(b)
    if b == 0:
        return M64                      # -1
    if a == -(1 << 63) and b == -1:
        return a & M64                  # overflow: the dividend
    return div_trunc(a, b) & M64


def rem(a, b):
    a, b = s64(a), s64(b)
    if b == 0:
        return a & M64                  # the dividend
    if a == -(1 << 63) and b == -1:
        return 0
    return rem_trunc(a, b) & M64


def divw(a, b):
    a, b = s32(a), s32(b)
    if b == 0:
        return M64
    if a == -(1 << 31) and b == -1:
        return sx32(a)
    return sx32(div_trunc(a, b))


def remw(a, b):
    a, b = s32(a), s32(b)
    if b == 0:
        return sx32(a)
    if a == -(1 << 31) and b == -1:
        return 0
    return sx32(rem_trunc(a, b))


RR = {
    "add": lambda a, b: (a + b) & M64,
    "sub": lambda a, b: (a - b) & M64,
    "sll": lambda a, b: (a << (b & 63)) & M64,
    "slt": lambda a, b: int(s64(a) < s64(b)),
    "sltu": lambda a, b: int(a < b),
    "xor": lambda a, b: a ^ b,
    "srl": lambda a, b: a >> (b & 63),
    "sra": lambda a, b: (s64(a) >> (b & 63)) & M64,
    "or": lambda a, b: a | b,
    "and": lambda a, b: a & b,
    "addw": lambda a, b: sx32(a + b),
    "subw": lambda a, b: sx32(a - b),
    "sllw": lambda a, b: sx32((a & M32) << (b & 31)),
    "srlw": lambda a, b: sx32((a & M32) >> (b & 31)),
    "sraw": lambda a, b: (s32(a) >> (b & 31)) & M64,
    "mul": lambda a, b: (a * b) & M64,
    "mulh": lambda a, b: ((s64(a) * s64(b)) >> 64) & M64,
    "mulhsu": lambda a, b: ((s64(a) * b) >> 64) & M64,
    "mulhu": lambda a, b: (a * b) >> 64,
    "div": div,
    "divu": lambda a, b: M64 if b == 0 else a // b,
    "rem": rem,
    "remu": lambda a, b: a if b == 0 else a % b,
    "mulw": lambda a, b: sx32(a * b),
    "divw": divw,
    "divuw": lambda a, b: M64 if b & M32 == 0 else sx32((a & M32) // (b & M32)),
    "remw": remw,
    "remuw": lambda a, b: sx32(a) if b & M32 == 0 else sx32((a & M32) % (b & M32)),
}

# Operand pairs every register-register instruction sees: zero, signs,
# the extremes, shift amounts 31/32/63/64 (only the low 5 or 6 bits
# count), garbage in the upper half for the W forms, division by zero and
# the one signed overflow, INT_MIN / -1.
INT64_MIN = 1 << 63
PAIRS = [
    (0, 0),
    (3, 7),
    (M64, 1),                                   # -1, 1
    (M64, M64),                                 # -1, -1
    ((1 << 63) - 1, 1),                         # INT64_MAX, 1
    (INT64_MIN, M64),                           # INT64_MIN, -1
    (INT64_MIN, INT64_MIN),
    ((-7) & M64, 2),
    (7, (-2) & M64),
    ((-7) & M64, (-2) & M64),
    (0x0123456789ABCDEF, 0xFEDCBA9876543210),
    (0xFEDCBA9876543210, 63),
    (0xFEDCBA9876543210, 64),
    (0xFEDCBA9876543210, 31),
    (0xFEDCBA9876543210, 32),
    (0x1234567880000000, 0xFFFFFFFF7FFFFFFF),   # W forms: upper halves
    (0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFFF),   # INT32_MIN, -1
    (0x0000000080000000, 0x00000000FFFFFFFF),   # same low words
    (0xDEADBEEF00000005, 0),                    # / 0, low word 5
    (M64, 0),
    (INT64_MIN, 0),
    (0x00000000FFFFFFFE, 0x1234567800000001),   # divuw: big low words
    (M64, (-2) & M64),                          # mulhu/mulhsu extremes
    ((-2) & M64, 3),
]

# Register-immediate instructions: each immediate is a separate handler
# (the immediate is part of the instruction).
IMM = {
    "addi": [0, 1, -1, 2047, -2048],
    "slti": [0, -1, 2047, -2048],
    "sltiu": [0, 1, -1, -2048],
    "xori": [-1, 0x555, -2048],
    "ori": [0x7FF, -2048],
    "andi": [-1, 0xFF, -2048, 0],
    "slli": [0, 1, 31, 32, 63],
    "srli": [0, 1, 31, 32, 63],
    "srai": [0, 1, 31, 32, 63],
    "addiw": [0, 1, -1, 2047, -2048],
    "slliw": [0, 1, 31],
    "srliw": [0, 1, 31],
    "sraiw": [0, 1, 31],
}

IMM_FN = {
    "addi": lambda a, i: (a + i) & M64,
    "slti": lambda a, i: int(s64(a) < i),
    "sltiu": lambda a, i: int(a < (i & M64)),
    "xori": lambda a, i: a ^ (i & M64),
    "ori": lambda a, i: a | (i & M64),
    "andi": lambda a, i: a & (i & M64),
    "slli": lambda a, i: (a << i) & M64,
    "srli": lambda a, i: a >> i,
    "srai": lambda a, i: (s64(a) >> i) & M64,
    "addiw": lambda a, i: sx32(a + i),
    "slliw": lambda a, i: sx32((a & M32) << i),
    "srliw": lambda a, i: sx32((a & M32) >> i),
    "sraiw": lambda a, i: (s32(a) >> i) & M64,
}

IMM_INPUTS = [
    0, 1, M64, (1 << 63) - 1, INT64_MIN, 0x0123456789ABCDEF,
    0xFFFFFFFF80000000, 0x7FFFFFFF, 0x80000000, 0x12345678FFFFF800,
]


def imm_name(op, i):
    return f"{op}_{'m' if i < 0 else ''}{abs(i)}"


def main():
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/* RV64I/M test vectors. Generated by alu_cases.py: do not edit. */")
    w("")
    w("/* Register-register instructions: X(name). */")
    w("#define RR_OPS(X) \\")
    w(" \\\n".join(f"\tX({op})" for op in RR))
    w("")
    w("/* Register-immediate instructions: X(handler, instruction, imm). */")
    w("#define IMM_OPS(X) \\")
    w(" \\\n".join(f"\tX({imm_name(op, i)}, {op}, {i})"
                   for op, imms in IMM.items() for i in imms))
    w("")
    w("enum rr_op {")
    w("#define RR_ENUM(name) RR_##name,")
    w("\tRR_OPS(RR_ENUM)")
    w("#undef RR_ENUM")
    w("};")
    w("")
    w("enum imm_op {")
    w("#define IMM_ENUM(name, insn, imm) IMM_##name,")
    w("\tIMM_OPS(IMM_ENUM)")
    w("#undef IMM_ENUM")
    w("};")
    w("")
    w("/* Expected: rd = op(a, b). */")
    w("struct rr_case {")
    w("\tenum rr_op op;")
    w("\tuint64_t a, b, want;")
    w("};")
    w("")
    w("/* Expected: rd = op(a, the handler's immediate). */")
    w("struct imm_case {")
    w("\tenum imm_op op;")
    w("\tuint64_t a, want;")
    w("};")
    w("")
    w("static const struct rr_case rr_cases[] = {")
    for op, fn in RR.items():
        for a, b in PAIRS:
            w(f"\t{{ RR_{op}, 0x{a:016x}ul, 0x{b:016x}ul, "
              f"0x{fn(a, b):016x}ul }},")
    w("};")
    w("")
    w("static const struct imm_case imm_cases[] = {")
    for op, imms in IMM.items():
        for i in imms:
            for a in IMM_INPUTS:
                w(f"\t{{ IMM_{imm_name(op, i)}, 0x{a:016x}ul, "
                  f"0x{IMM_FN[op](a, i):016x}ul }},")
    w("};")
    print("\n".join(out))


if __name__ == "__main__":
    main()
