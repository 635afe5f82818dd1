/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/jit/codecache: the two views of the cache (the
 * writable one not executable, the executable one not writable, as the
 * process's own mappings say), code written in one running from the
 * other, the bound (a translation that does not fit is refused), and what
 * a flush keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/jit/codecache.h"
#include "cpu/jit/jit.h"

#define SIZE 16384

/* The permissions ("rw-s") of the mapping holding p, from /proc/self/maps. */
static void perms_of(const void *p, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	assert_non_null(f);
	strcpy(out, "none");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (uintptr_t)p >= lo && (uintptr_t)p < hi) {
			memcpy(out, perms, 5);
			break;
		}
	}
	fclose(f);
}

/* mov eax, v; ret */
static void emit_return(struct x86_buf *b, uint32_t v)
{
	x86_mov_ri(b, X86_RAX, v);
	x86_ret(b);
}

static void test_views(void **state)
{
	struct codecache cc;
	struct x86_buf b;
	char perms[5];
	int (*fn)(void);

	(void)state;
	assert_int_equal(codecache_init(&cc, SIZE), 0);
	perms_of(cc.rw, perms);
	assert_string_equal(perms, "rw-s");
	perms_of(cc.rx, perms);
	assert_string_equal(perms, "r-xs");
	assert_ptr_not_equal(cc.rw, cc.rx);

	codecache_begin(&cc, &b);
	emit_return(&b, 42);
	fn = (int (*)(void))codecache_commit(&cc, &b);
	assert_ptr_equal((void *)fn, cc.rx);
	if (jit_supported())
		assert_int_equal(fn(), 42);
	codecache_destroy(&cc);
}

static void test_bound_and_flush(void **state)
{
	struct codecache cc;
	struct x86_buf b;
	void *first, *code;
	unsigned n = 0;

	(void)state;
	assert_int_equal(codecache_init(&cc, SIZE), 0);
	codecache_begin(&cc, &b);
	emit_return(&b, 1);
	first = codecache_commit(&cc, &b);
	assert_non_null(first);
	codecache_keep(&cc);

	/* 100-byte pieces until one does not fit. */
	for (;;) {
		static const uint8_t nops[100] = {[0 ... 99] = 0x90};

		codecache_begin(&cc, &b);
		x86_emit(&b, nops, sizeof(nops));
		code = codecache_commit(&cc, &b);
		if (!code)
			break;
		assert_true((uint8_t *)code + 100 <= cc.rx + cc.size);
		n++;
	}
	assert_true(n >= SIZE / 112 - 2 && n <= SIZE / 100);
	assert_true(cc.used <= cc.size);

	/* A flush keeps what was kept, the rest is free again, its memory
	 * given back (it reads as zeros). */
	assert_int_equal(cc.rx[8192], 0x90);
	codecache_flush(&cc);
	assert_int_equal(cc.rx[8192], 0);
	assert_int_equal(cc.flushes, 1);
	assert_int_equal(cc.used, cc.keep);
	codecache_begin(&cc, &b);
	emit_return(&b, 7);
	code = codecache_commit(&cc, &b);
	assert_ptr_equal(code, cc.rx + cc.keep);
	if (jit_supported()) {
		assert_int_equal(((int (*)(void))first)(), 1);
		assert_int_equal(((int (*)(void))code)(), 7);
	}
	codecache_destroy(&cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_views),
	    cmocka_unit_test(test_bound_and_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
