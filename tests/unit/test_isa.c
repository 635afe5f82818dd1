/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/isa: the device tree's two spellings of an extension
 * set, in the order the ISA manual's naming chapter gives (single letters
 * in canonical order, then the multi-letter names, Z before S).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/isa.h"

static void test_string(void **state)
{
	char buf[256];
	isa_set set = ISA_BIT(ISA_I) | ISA_BIT(ISA_M) | ISA_BIT(ISA_A) |
		      ISA_BIT(ISA_C) | ISA_BIT(ISA_ZICSR) |
		      ISA_BIT(ISA_ZIFENCEI) | ISA_BIT(ISA_SSTC);

	(void)state;
	assert_int_equal(isa_string(set, buf, sizeof(buf)),
			 (int)strlen("rv64imac_zicsr_zifencei_sstc"));
	assert_string_equal(buf, "rv64imac_zicsr_zifencei_sstc");
	/* F and D go between A and C. */
	set |= ISA_BIT(ISA_F) | ISA_BIT(ISA_D);
	isa_string(set, buf, sizeof(buf));
	assert_string_equal(buf, "rv64imafdc_zicsr_zifencei_sstc");
	assert_int_equal(isa_string(set, buf, 10), -ENOSPC);
}

static void test_stringlist(void **state)
{
	static const char want[] = "i\0m\0zba\0svpbmt";
	char buf[64];
	isa_set set = ISA_BIT(ISA_I) | ISA_BIT(ISA_M) | ISA_BIT(ISA_ZBA) |
		      ISA_BIT(ISA_SVPBMT);

	(void)state;
	assert_int_equal(isa_stringlist(set, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(isa_stringlist(set, buf, 8), -ENOSPC);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(isa_ext_lookup("sstc"), ISA_SSTC);
	assert_int_equal(isa_ext_lookup("zicboz"), ISA_ZICBOZ);
	assert_int_equal(isa_ext_lookup("sv57"), -1);
	assert_string_equal(isa_ext_name(ISA_ZIHINTPAUSE), "zihintpause");
	assert_null(isa_ext_name(ISA_EXT_COUNT));
	/* Every implemented extension has a name that looks itself up. */
	for (int e = 0; e < ISA_EXT_COUNT; e++)
		assert_int_equal(isa_ext_lookup(isa_ext_name(e)), e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_stringlist),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
