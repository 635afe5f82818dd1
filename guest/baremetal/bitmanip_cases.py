#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate bitmanip_cases.h: Zba/Zbb/Zbc/Zbs/Zicond test vectors for the
bitmanip guest test.

The expected values come from the model below, written from the RISC-V
unprivileged specification's "B" chapter (the Operation of each Zba, Zbb,
Zbc and Zbs instruction, RV64) and the Zicond chapter, bit by bit as the
spec's pseudo-code goes. The model knows nothing of memvisor; the guest
compares it with what memvisor's CPU computes.

    python3 guest/baremetal/bitmanip_cases.py \\
        | clang-format --assume-filename=bitmanip_cases.h \\
        > guest/baremetal/bitmanip_cases.h
"""

XLEN = 64
M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def bit(x, i):
    return (x >> i) & 1


def sext(x, n):
    """The low n bits of x, sign-extended to 64 (as an unsigned value)."""
    x &= (1 << n) - 1
    return (x - (1 << n) if bit(x, n - 1) else x) & M64


def s64(x):
    return x - (1 << 64) if bit(x, 63) else x


def clz(x, width):
    for i in range(width - 1, -1, -1):
        if bit(x, i):
            return width - 1 - i
    return width


def ctz(x, width):
    for i in range(width):
        if bit(x, i):
            return i
    return width


def cpop(x, width):
    return sum(bit(x, i) for i in range(width))


def rotr(x, n, width):
    """Rotate the low width bits of x right by n (mod width)."""
    n %= width
    r = 0
    for i in range(width):
        if bit(x, i):
            r |= 1 << ((i - n) % width)
    return r


def orc_b(x):
    r = 0
    for byte in range(8):
        if (x >> (8 * byte)) & 0xFF:
            r |= 0xFF << (8 * byte)
    return r


def rev8(x):
    r = 0
    for byte in range(8):
        r |= ((x >> (8 * byte)) & 0xFF) << (8 * (7 - byte))
    return r


# The spec's clmul, clmulh and clmulr loops, as written there.
def clmul(a, b):
    out = 0
    for i in range(XLEN):
        if bit(b, i):
            out ^= a << i
    return out & M64


def clmulh(a, b):
    out = 0
    for i in range(1, XLEN):
        if bit(b, i):
            out ^= a >> (XLEN - i)
    return out & M64


def clmulr(a, b):
    out = 0
    for i in range(XLEN):
        if bit(b, i):
            out ^= a >> (XLEN - i - 1)
    return out & M64


# Register-register instructions: name -> (assembly, operation).
# Zicond's two are spelt with .insn: binutils 2.40 does not know them.
RR = {
    "add_uw": ("add.uw", lambda a, b: (b + (a & M32)) & M64),
    "sh1add": ("sh1add", lambda a, b: (b + (a << 1)) & M64),
    "sh2add": ("sh2add", lambda a, b: (b + (a << 2)) & M64),
    "sh3add": ("sh3add", lambda a, b: (b + (a << 3)) & M64),
    "sh1add_uw": ("sh1add.uw", lambda a, b: (b + ((a & M32) << 1)) & M64),
    "sh2add_uw": ("sh2add.uw", lambda a, b: (b + ((a & M32) << 2)) & M64),
    "sh3add_uw": ("sh3add.uw", lambda a, b: (b + ((a & M32) << 3)) & M64),
    "andn": ("andn", lambda a, b: a & ~b & M64),
    "orn": ("orn", lambda a, b: (a | ~b) & M64),
    "xnor": ("xnor", lambda a, b: ~(a ^ b) & M64),
    "max": ("max", lambda a, b: a if s64(a) >= s64(b) else b),
    "maxu": ("maxu", lambda a, b: a if a >= b else b),
    "min": ("min", lambda a, b: a if s64(a) <= s64(b) else b),
    "minu": ("minu", lambda a, b: a if a <= b else b),
    "rol": ("rol", lambda a, b: rotr(a, -(b & 63), 64)),
    "rolw": ("rolw", lambda a, b: sext(rotr(a & M32, -(b & 31), 32), 32)),
    "ror": ("ror", lambda a, b: rotr(a, b & 63, 64)),
    "rorw": ("rorw", lambda a, b: sext(rotr(a & M32, b & 31, 32), 32)),
    "clmul": ("clmul", clmul),
    "clmulh": ("clmulh", clmulh),
    "clmulr": ("clmulr", clmulr),
    "bclr": ("bclr", lambda a, b: a & ~(1 << (b & 63)) & M64),
    "bext": ("bext", lambda a, b: bit(a, b & 63)),
    "binv": ("binv", lambda a, b: a ^ (1 << (b & 63))),
    "bset": ("bset", lambda a, b: a | (1 << (b & 63))),
    "czero_eqz": (".insn r OP, 5, 7,", lambda a, b: 0 if b == 0 else a),
    "czero_nez": (".insn r OP, 7, 7,", lambda a, b: 0 if b != 0 else a),
}

# One-operand instructions.
UNARY = {
    "clz": ("clz", lambda a: clz(a, 64)),
    "clzw": ("clzw", lambda a: clz(a & M32, 32)),
    "ctz": ("ctz", lambda a: ctz(a, 64)),
    "ctzw": ("ctzw", lambda a: ctz(a & M32, 32)),
    "cpop": ("cpop", lambda a: cpop(a, 64)),
    "cpopw": ("cpopw", lambda a: cpop(a & M32, 32)),
    "sext_b": ("sext.b", lambda a: sext(a, 8)),
    "sext_h": ("sext.h", lambda a: sext(a, 16)),
    "zext_h": ("zext.h", lambda a: a & 0xFFFF),
    "orc_b": ("orc.b", orc_b),
    "rev8": ("rev8", rev8),
}

# Register-immediate instructions: each immediate is a separate handler
# in the guest (the immediate is part of the instruction).
IMM = {
    "slli_uw": ("slli.uw", [0, 1, 31, 32, 63],
                lambda a, i: ((a & M32) << i) & M64),
    "rori": ("rori", [0, 1, 31, 32, 63], lambda a, i: rotr(a, i, 64)),
    "roriw": ("roriw", [0, 1, 16, 31],
              lambda a, i: sext(rotr(a & M32, i, 32), 32)),
    "bclri": ("bclri", [0, 31, 32, 63], lambda a, i: a & ~(1 << i) & M64),
    "bexti": ("bexti", [0, 31, 32, 63], lambda a, i: bit(a, i)),
    "binvi": ("binvi", [0, 31, 32, 63], lambda a, i: a ^ (1 << i)),
    "bseti": ("bseti", [0, 31, 32, 63], lambda a, i: a | (1 << i)),
}

INT64_MIN = 1 << 63

# Operand pairs every register-register instruction sees: zero, the
# signs and extremes, shift amounts and bit indices 0/31/32/63/64 (only
# the low 6 or 5 bits count), words with bit 31 set and garbage above.
PAIRS = [
    (0, 0),
    (1, 1),
    (0x0123456789ABCDEF, 0xFEDCBA9876543210),
    (M64, 1),
    (1, M64),
    (M64, M64),
    (INT64_MIN, (1 << 63) - 1),
    ((1 << 63) - 1, INT64_MIN),
    (INT64_MIN, 0),
    (0, INT64_MIN),
    (0xFEDCBA9876543210, 0),
    (0xFEDCBA9876543210, 31),
    (0xFEDCBA9876543210, 32),
    (0xFEDCBA9876543210, 63),
    (0xFEDCBA9876543210, 64),
    (0xFFFFFFFF80000000, 0x7FFFFFFF),
    (0x1234567880000001, 0xFFFFFFFF00000001),
    (0x0000000080000000, 0x00000000FFFFFFFF),
    (0xDEADBEEF00000000, 0x12345678),
    (0x8000000000000001, 0x8000000000000001),
    (0x00FF00FF00FF00FF, 0x0F0F0F0F0F0F0F0F),
    (3, 3),
]

INPUTS = [
    0, 1, M64, (1 << 63) - 1, INT64_MIN, 0x0123456789ABCDEF,
    0xFFFFFFFF80000000, 0x7FFFFFFF, 0x80000000, 0x12345678FFFF8080,
    0x0000010000000000, 0x00FF000000007F00, 0xDEADBEEF00000000,
]


def imm_name(op, i):
    return f"{op}_{i}"


def main():
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/* Zba/Zbb/Zbc/Zbs/Zicond test vectors.")
    w(" * Generated by bitmanip_cases.py: do not edit. */")
    w("")
    w("/* Register-register instructions: X(name, assembly). */")
    w("#define BM_RR_OPS(X) \\")
    w(" \\\n".join(f'\tX({op}, "{asm}")' for op, (asm, _) in RR.items()))
    w("")
    w("/* One-operand instructions: X(name, assembly). */")
    w("#define BM_UNARY_OPS(X) \\")
    w(" \\\n".join(f'\tX({op}, "{asm}")' for op, (asm, _) in UNARY.items()))
    w("")
    w("/* Register-immediate instructions: X(handler, assembly, imm). */")
    w("#define BM_IMM_OPS(X) \\")
    w(" \\\n".join(f'\tX({imm_name(op, i)}, "{asm}", {i})'
                   for op, (asm, imms, _) in IMM.items() for i in imms))
    w("")
    for kind, ops in (("rr", "BM_RR_OPS"), ("unary", "BM_UNARY_OPS")):
        w(f"enum bm_{kind}_op {{")
        w(f"#define BM_ENUM(name, insn) BM_{kind.upper()}_##name,")
        w(f"\t{ops}(BM_ENUM)")
        w("#undef BM_ENUM")
        w("};")
        w("")
    w("enum bm_imm_op {")
    w("#define BM_ENUM(name, insn, imm) BM_IMM_##name,")
    w("\tBM_IMM_OPS(BM_ENUM)")
    w("#undef BM_ENUM")
    w("};")
    w("")
    w("/* Expected: rd = op(a, b). */")
    w("struct bm_rr_case {")
    w("\tenum bm_rr_op op;")
    w("\tuint64_t a, b, want;")
    w("};")
    w("")
    w("/* Expected: rd = op(a). */")
    w("struct bm_unary_case {")
    w("\tenum bm_unary_op op;")
    w("\tuint64_t a, want;")
    w("};")
    w("")
    w("/* Expected: rd = op(a, the handler's immediate). */")
    w("struct bm_imm_case {")
    w("\tenum bm_imm_op op;")
    w("\tuint64_t a, want;")
    w("};")
    w("")
    w("static const struct bm_rr_case bm_rr_cases[] = {")
    for op, (_, fn) in RR.items():
        for a, b in PAIRS:
            w(f"\t{{ BM_RR_{op}, 0x{a:016x}ul, 0x{b:016x}ul, "
              f"0x{fn(a, b):016x}ul }},")
    w("};")
    w("")
    w("static const struct bm_unary_case bm_unary_cases[] = {")
    for op, (_, fn) in UNARY.items():
        for a in INPUTS:
            w(f"\t{{ BM_UNARY_{op}, 0x{a:016x}ul, 0x{fn(a):016x}ul }},")
    w("};")
    w("")
    w("static const struct bm_imm_case bm_imm_cases[] = {")
    for op, (_, imms, fn) in IMM.items():
        for i in imms:
            for a in INPUTS:
                w(f"\t{{ BM_IMM_{imm_name(op, i)}, 0x{a:016x}ul, "
                  f"0x{fn(a, i):016x}ul }},")
    w("};")
    print("\n".join(out))


if __name__ == "__main__":
    main()
