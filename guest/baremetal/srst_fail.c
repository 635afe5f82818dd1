/* SPDX-License-Identifier: MIT */
/*
 * SBI SRST shutdown with reason "system failure": memvisor must exit with
 * status 1 (the runner checks it, and the line printed first).
 */
#include "lib.h"

TEST_NAME("srst_fail");

void test_main(unsigned long hartid, unsigned long dtb)
{
	struct sbiret r;

	(void)hartid;
	(void)dtb;
	puts("srst_fail: shutting down with reason system failure\n");
	r = SBI2(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
		 SBI_SRST_REASON_FAILURE);
	/* SRST does not return on success (SBI spec, SRST chapter). */
	fail(1, "SBI SRST shutdown returned", (uint64_t)r.error, 0, true);
}
