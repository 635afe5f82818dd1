/* SPDX-License-Identifier: MIT */
/*
 * SBI SRST cold reboot: memvisor does not reboot guests, it exits with
 * status 3 (the runner checks it, and the line printed first).
 */
#include "lib.h"

TEST_NAME("srst_reboot");

void test_main(unsigned long hartid, unsigned long dtb)
{
	struct sbiret r;

	(void)hartid;
	(void)dtb;
	puts("srst_reboot: asking for a cold reboot\n");
	r = SBI2(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_COLD_REBOOT,
		 SBI_SRST_REASON_NONE);
	fail(1, "SBI SRST reboot returned", (uint64_t)r.error, 0, true);
}
