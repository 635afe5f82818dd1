// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * memvisor_dlh: free page reporting through memvisor's deferrable
 * low-overhead hypercalls (DLH).
 *
 * memvisor (a user-space RISC-V hypervisor) gives each hart of a guest a
 * ring in guest memory for hypercalls it runs later, just before it next
 * restores one of the guest's VCPUs, or at once on a notify; the ABI is
 * memvisor's include/memvisor/abi.h, copied here as memvisor_abi.h by the
 * guest build. This driver registers one ring and, when
 * memvisor_dlh.reporting=1 is on the command line, registers with the
 * kernel's page_reporting framework: every batch of free pages the
 * framework hands over (up to PAGE_REPORTING_CAPACITY chunks of
 * 2^page_reporting_order pages) becomes one ring entry per chunk
 * (MEMVISOR_DLH_R_FREE_HINT) and one notify for the batch. memvisor backs
 * the pages by its zero page and gives their memory back to the host.
 *
 * The notify is not optional here: when the report callback returns, the
 * framework hands the pages back to the buddy allocator, and a hint that
 * ran after the kernel reused a page would zero the new contents. The
 * notify returns once every entry posted before it has run; an entry it
 * did not run (a ring memvisor found broken) is made synchronously.
 *
 * memvisor_dlh.sync=1 makes one synchronous hypercall per chunk instead
 * (MEMVISOR_DLH_CALL_SYNC), the baseline the ring is measured against.
 * The counters are in /sys/module/memvisor_dlh/parameters/.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>

#include <asm/sbi.h>

#define MEMVISOR_ABI_OWN_ONLY /* the SBI's own names come from asm/sbi.h */
#include "memvisor_abi.h"

#define MVDLH_ENTRIES 32 /* a whole report batch; header + 32 in a page */

struct mvdlh_ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[MVDLH_ENTRIES];
};

static_assert(sizeof(struct mvdlh_ring) <= PAGE_SIZE);
static_assert(MVDLH_ENTRIES >= PAGE_REPORTING_CAPACITY);

static bool reporting;
module_param(reporting, bool, 0444);
MODULE_PARM_DESC(reporting, "report free pages to memvisor (default off)");

static bool sync;
module_param(sync, bool, 0444);
MODULE_PARM_DESC(sync, "one synchronous hypercall per chunk, not the ring");

/* Counters, read through sysfs. */
static unsigned long reports, chunks, pages_reported, pages_released;
static unsigned long notifies, sync_calls, fallbacks, errors, report_ns;
module_param(reports, ulong, 0444);
module_param(chunks, ulong, 0444);
module_param(pages_reported, ulong, 0444);
module_param(pages_released, ulong, 0444);
module_param(notifies, ulong, 0444);
module_param(sync_calls, ulong, 0444);
module_param(fallbacks, ulong, 0444);
module_param(errors, ulong, 0444);
module_param(report_ns, ulong, 0444);

static struct mvdlh_ring *ring;
static u32 reclaimed; /* entries whose results were collected */
static DEFINE_MUTEX(mvdlh_lock);

static struct sbiret mvdlh_call(unsigned long fid, unsigned long a0,
				unsigned long a1, unsigned long a2)
{
	return sbi_ecall(SBI_EXT_MEMVISOR, fid, a0, a1, a2, 0, 0, 0);
}

/* The hint of one chunk, made synchronously. */
static void mvdlh_hint_sync(phys_addr_t gpa, unsigned long pages)
{
	struct sbiret r = mvdlh_call(MEMVISOR_DLH_CALL_SYNC,
				     MEMVISOR_DLH_R_FREE_HINT, gpa, pages);

	sync_calls++;
	if (r.error)
		errors++;
	else
		pages_released += r.value;
}

/* Lock held. Post one hint; false when the ring is full. */
static bool mvdlh_post(phys_addr_t gpa, unsigned long pages)
{
	u32 p = ring->h.producer;
	struct memvisor_dlh_entry *e = &ring->e[p % MVDLH_ENTRIES];

	if (p - reclaimed >= MVDLH_ENTRIES)
		return false;
	e->routine = MEMVISOR_DLH_R_FREE_HINT;
	e->reserved = 0;
	e->status = MEMVISOR_DLH_PENDING;
	e->result = 0;
	e->args[0] = gpa;
	e->args[1] = pages;
	e->args[2] = e->args[3] = 0;
	/* The entry before the index that publishes it. */
	smp_wmb();
	WRITE_ONCE(ring->h.producer, p + 1);
	return true;
}

/* Lock held. Register the ring afresh, empty: entries posted and not run
 * yet never run. */
static int mvdlh_register(void)
{
	struct sbiret r = mvdlh_call(MEMVISOR_DLH_REGISTER, virt_to_phys(ring),
				     MVDLH_ENTRIES, 0);

	reclaimed = ring->h.producer;
	return r.error ? -EIO : 0;
}

/*
 * Lock held. Collect the results of the entries memvisor ran. Any it did
 * not run (a ring it found malformed, guest memory it could not reach)
 * must not run later, after the kernel has reused the pages: the ring is
 * registered afresh first, then those hints are made synchronously.
 */
static void mvdlh_reclaim(void)
{
	u32 consumer = READ_ONCE(ring->h.consumer);
	u32 producer = ring->h.producer, first;

	/* The results after the index that published them. */
	smp_rmb();
	for (; reclaimed != producer; reclaimed++) {
		struct memvisor_dlh_entry *e =
			&ring->e[reclaimed % MVDLH_ENTRIES];

		if (consumer - reclaimed - 1 >= MVDLH_ENTRIES)
			break; /* not run */
		if (e->status != SBI_SUCCESS)
			errors++;
		else
			pages_released += e->result;
	}
	if (reclaimed == producer)
		return;
	first = reclaimed;
	if (mvdlh_register())
		errors++;
	for (; first != producer; first++) {
		struct memvisor_dlh_entry *e = &ring->e[first % MVDLH_ENTRIES];

		fallbacks++;
		mvdlh_hint_sync(e->args[0], e->args[1]);
	}
}

static int mvdlh_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl, unsigned int nents)
{
	u64 t0 = ktime_get_ns();
	struct scatterlist *sg;
	bool posted = false;
	unsigned int i;

	mutex_lock(&mvdlh_lock);
	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t gpa = page_to_phys(sg_page(sg));
		unsigned long pages = sg->length >> PAGE_SHIFT;

		chunks++;
		pages_reported += pages;
		if (!sync && mvdlh_post(gpa, pages)) {
			posted = true;
			continue;
		}
		if (!sync)
			fallbacks++;
		mvdlh_hint_sync(gpa, pages);
	}
	if (posted) {
		/* Every entry posted has run when this returns. */
		mvdlh_call(MEMVISOR_DLH_NOTIFY, 0, 0, 0);
		notifies++;
		mvdlh_reclaim();
	}
	reports++;
	report_ns += ktime_get_ns() - t0;
	mutex_unlock(&mvdlh_lock);
	return 0;
}

static struct page_reporting_dev_info mvdlh_prdev = {
	.report = mvdlh_report,
};

static int __init mvdlh_init(void)
{
	struct sbiret r;
	int err;

	if (sbi_spec_is_0_1() ||
	    sbi_probe_extension(SBI_EXT_MEMVISOR) <= 0)
		return 0; /* not memvisor: nothing to do */
	r = mvdlh_call(MEMVISOR_GET_ABI_VERSION, 0, 0, 0);
	if (r.error || r.value < 2) {
		pr_info("memvisor_dlh: memvisor ABI %ld has no ring per hart\n",
			r.error ? 0 : r.value);
		return 0;
	}
	ring = (struct mvdlh_ring *)get_zeroed_page(GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	if (mvdlh_register()) {
		pr_err("memvisor_dlh: memvisor refused the ring at %pa\n",
		       &(phys_addr_t){ virt_to_phys(ring) });
		free_page((unsigned long)ring);
		ring = NULL;
		return -EIO;
	}
	if (!reporting) {
		pr_info("memvisor_dlh: ring of %d at %pa; free page reporting off (memvisor_dlh.reporting=1)\n",
			MVDLH_ENTRIES, &(phys_addr_t){ virt_to_phys(ring) });
		return 0;
	}
	err = page_reporting_register(&mvdlh_prdev);
	if (err) {
		pr_err("memvisor_dlh: page_reporting_register: %d\n", err);
		return err;
	}
	pr_info("memvisor_dlh: free page reporting on, %s\n",
		sync ? "one synchronous call per chunk" :
		       "through the ring, one notify per batch");
	return 0;
}
device_initcall(mvdlh_init);

MODULE_DESCRIPTION("free page reporting through memvisor's deferrable hypercalls");
MODULE_LICENSE("Dual MIT/GPL");
