/* SPDX-License-Identifier: MIT */
/* The SBI, written from the RISC-V SBI specification v2.0. */
#include "vmm/sbi.h"

#include <errno.h>

#include "memvisor/abi.h"
#include "mem/gmem.h"
#include "vmm/dlh.h"

/* Everything a handler needs about the call. */
struct sbi_ctx {
	struct sched *s;
	struct vcpu *v;
	uint64_t fid;
	const uint64_t *a; /* a0..a5 */
	enum sbi_action action;
};

struct sbi_ext {
	uint64_t eid;
	const char *name;
	bool legacy; /* v0.1: a0 = the result's value, a1 untouched */
	struct sbi_ret (*call)(struct sbi_ctx *c);
};

static const struct sbi_ret sbi_not_supported = {SBI_ERR_NOT_SUPPORTED, 0};
static const struct sbi_ret sbi_ok = {SBI_SUCCESS, 0};

static struct sbi_ret sbi_value(int64_t value)
{
	return (struct sbi_ret){SBI_SUCCESS, value};
}

static struct sbi_ret sbi_error(int64_t error)
{
	return (struct sbi_ret){error, 0};
}

/*
 * Call fn for every VCPU a (hart_mask, hart_mask_base) pair names.
 * Returns SBI_SUCCESS or SBI_ERR_INVALID_PARAM for a hart that does not
 * exist (nothing is done then).
 */
static int64_t sbi_for_harts(struct sbi_ctx *c, uint64_t mask, uint64_t base,
			     void (*fn)(struct sbi_ctx *c, struct vcpu *t))
{
	struct vm *vm = c->v->vm;

	if (base == UINT64_MAX) {
		for (unsigned i = 0; i < vm->nvcpus; i++)
			fn(c, &vm->vcpus[i]);
		return SBI_SUCCESS;
	}
	for (unsigned b = 0; b < 64; b++)
		if (((mask >> b) & 1) && !vm_vcpu(vm, base + b))
			return SBI_ERR_INVALID_PARAM;
	for (unsigned b = 0; b < 64; b++)
		if ((mask >> b) & 1)
			fn(c, vm_vcpu(vm, base + b));
	return SBI_SUCCESS;
}

/* ---- legacy v0.1 ---- */

static struct sbi_ret sbi_legacy_set_timer(struct sbi_ctx *c)
{
	hart_set_timer(&c->v->hart, c->a[0]);
	return sbi_ok;
}

static struct sbi_ret sbi_legacy_putchar(struct sbi_ctx *c)
{
	console_putc(c->v->vm->console, (uint8_t)c->a[0]);
	return sbi_ok;
}

static struct sbi_ret sbi_legacy_getchar(struct sbi_ctx *c)
{
	return sbi_value(console_getc(c->v->vm->console));
}

static struct sbi_ret sbi_legacy_clear_ipi(struct sbi_ctx *c)
{
	hart_clear_pending(&c->v->hart, HART_IRQ_SSI);
	return sbi_ok;
}

static struct sbi_ret sbi_legacy_shutdown(struct sbi_ctx *c)
{
	vm_stop(c->v->vm, VM_EXIT_SHUTDOWN, NULL);
	return sbi_ok;
}

/* ---- BASE ---- */

static struct sbi_ret sbi_base(struct sbi_ctx *c)
{
	switch (c->fid) {
	case SBI_BASE_GET_SPEC_VERSION:
		return sbi_value(2 << 24); /* v2.0 */
	case SBI_BASE_GET_IMPL_ID:
		return sbi_value(SBI_IMPL_ID_MEMVISOR);
	case SBI_BASE_GET_IMPL_VERSION:
		return sbi_value(MEMVISOR_ABI_VERSION);
	case SBI_BASE_PROBE_EXTENSION:
		return sbi_value(sbi_probe(c->a[0]));
	case SBI_BASE_GET_MVENDORID:
	case SBI_BASE_GET_MARCHID:
	case SBI_BASE_GET_MIMPID:
		return sbi_value(0);
	}
	return sbi_not_supported;
}

/* ---- TIME ---- */

static struct sbi_ret sbi_time(struct sbi_ctx *c)
{
	if (c->fid != SBI_TIME_SET_TIMER)
		return sbi_not_supported;
	hart_set_timer(&c->v->hart, c->a[0]);
	return sbi_ok;
}

/* ---- IPI ---- */

static void sbi_ipi_one(struct sbi_ctx *c, struct vcpu *t)
{
	hart_set_pending(&t->hart, HART_IRQ_SSI);
	sched_wake(c->s, t);
}

static struct sbi_ret sbi_ipi(struct sbi_ctx *c)
{
	if (c->fid != SBI_IPI_SEND_IPI)
		return sbi_not_supported;
	return sbi_error(sbi_for_harts(c, c->a[0], c->a[1], sbi_ipi_one));
}

/* ---- RFENCE ---- */

static void sbi_fence_i_one(struct sbi_ctx *c, struct vcpu *t)
{
	if (t == c->v) {
		hart_flush_icache(&t->hart);
		return;
	}
	hart_request(&t->hart, HART_REQ_FLUSH_ICACHE);
	sched_wait_served(c->v, t, HART_REQ_FLUSH_ICACHE);
}

static void sbi_sfence_one(struct sbi_ctx *c, struct vcpu *t)
{
	uint64_t start = c->a[2], size = c->a[3];

	if (t != c->v) {
		hart_request(&t->hart, HART_REQ_FLUSH_TLB);
		sched_wait_served(c->v, t, HART_REQ_FLUSH_TLB);
		return;
	}
	/* Locally, a small range is cheaper page by page; start = size = 0
	 * and size = 2^64 - 1 mean the whole address space. */
	if (size != 0 && size <= 64 * 4096ull && start + size >= start) {
		for (uint64_t va = start & ~0xfffull; va < start + size;
		     va += 4096)
			hart_flush_tlb_page(&t->hart, va);
		return;
	}
	hart_flush_tlb(&t->hart);
}

static struct sbi_ret sbi_rfence(struct sbi_ctx *c)
{
	switch (c->fid) {
	case SBI_RFENCE_FENCE_I:
		return sbi_error(
		    sbi_for_harts(c, c->a[0], c->a[1], sbi_fence_i_one));
	case SBI_RFENCE_SFENCE_VMA:
	case SBI_RFENCE_SFENCE_VMA_ASID: /* no ASIDs: flush them all */
		return sbi_error(
		    sbi_for_harts(c, c->a[0], c->a[1], sbi_sfence_one));
	}
	return sbi_not_supported;
}

/* ---- HSM ---- */

static struct sbi_ret sbi_hsm(struct sbi_ctx *c)
{
	struct vcpu *t;

	switch (c->fid) {
	case SBI_HSM_HART_START:
		t = vm_vcpu(c->v->vm, c->a[0]);
		if (!t)
			return sbi_error(SBI_ERR_INVALID_PARAM);
		if (c->a[1] < c->v->vm->ram_base ||
		    c->a[1] >= c->v->vm->ram_base + c->v->vm->ram_size)
			return sbi_error(SBI_ERR_INVALID_ADDRESS);
		if (sched_start_vcpu(c->s, t, c->a[1], c->a[2]))
			return sbi_error(SBI_ERR_ALREADY_AVAILABLE);
		return sbi_ok;
	case SBI_HSM_HART_STOP:
		c->v->stop_requested = true;
		return sbi_ok;
	case SBI_HSM_HART_GET_STATUS:
		t = vm_vcpu(c->v->vm, c->a[0]);
		if (!t)
			return sbi_error(SBI_ERR_INVALID_PARAM);
		switch (atomic_load(&t->state)) {
		case VCPU_STOPPED:
			return sbi_value(SBI_HSM_STATE_STOPPED);
		case VCPU_IDLE:
			/* In WFI a hart is still STARTED; SUSPENDED is only
			 * what hart_suspend enters. */
			return sbi_value(t->suspended ? SBI_HSM_STATE_SUSPENDED
						      : SBI_HSM_STATE_STARTED);
		default:
			return sbi_value(SBI_HSM_STATE_STARTED);
		}
	case SBI_HSM_HART_SUSPEND:
		/* The default retentive suspend is a WFI; the default
		 * non-retentive one is valid but not offered; every other
		 * type is reserved or platform-specific, of which there are
		 * none. */
		if (c->a[0] == 0x80000000u)
			return sbi_error(SBI_ERR_NOT_SUPPORTED);
		if (c->a[0] != 0)
			return sbi_error(SBI_ERR_INVALID_PARAM);
		c->v->suspended = true;
		c->action = SBI_ACTION_IDLE;
		return sbi_ok;
	}
	return sbi_not_supported;
}

/* ---- SRST ---- */

static struct sbi_ret sbi_srst(struct sbi_ctx *c)
{
	uint64_t type = c->a[0], reason = c->a[1];
	int status;

	if (c->fid != SBI_SRST_RESET)
		return sbi_not_supported;
	if (type > SBI_SRST_TYPE_WARM_REBOOT || reason > 1)
		return sbi_error(SBI_ERR_INVALID_PARAM);
	if (type != SBI_SRST_TYPE_SHUTDOWN)
		status = VM_EXIT_REBOOT;
	else
		status = reason == SBI_SRST_REASON_FAILURE ? VM_EXIT_FAILURE
							   : VM_EXIT_SHUTDOWN;
	vm_stop(c->v->vm, status, NULL);
	return sbi_ok;
}

/* ---- DBCN ---- */

static struct sbi_ret sbi_dbcn(struct sbi_ctx *c)
{
	struct vm *vm = c->v->vm;
	uint64_t len = c->a[0], gpa = c->a[1];
	uint8_t buf[256];
	uint64_t done = 0;

	/* base_addr_hi holds the address bits above XLEN: none exist here. */
	if ((c->fid == SBI_DBCN_WRITE || c->fid == SBI_DBCN_READ) && c->a[2])
		return sbi_error(SBI_ERR_INVALID_PARAM);
	switch (c->fid) {
	case SBI_DBCN_WRITE:
		while (done < len) {
			size_t n =
			    len - done < sizeof(buf) ? len - done : sizeof(buf);
			if (gmem_read(&vm->gs, gpa + done, buf, n))
				return sbi_error(SBI_ERR_INVALID_PARAM);
			console_write(vm->console, buf, n);
			done += n;
		}
		return sbi_value((int64_t)done);
	case SBI_DBCN_READ:
		while (done < len && done < sizeof(buf)) {
			int ch = console_getc(vm->console);
			if (ch < 0)
				break;
			buf[done++] = (uint8_t)ch;
		}
		if (done && gmem_write(&vm->gs, gpa, buf, done))
			return sbi_error(SBI_ERR_INVALID_PARAM);
		return sbi_value((int64_t)done);
	case SBI_DBCN_WRITE_BYTE:
		console_putc(vm->console, (uint8_t)c->a[0]);
		return sbi_ok;
	}
	return sbi_not_supported;
}

/* ---- memvisor's own ---- */

static struct sbi_ret sbi_memvisor(struct sbi_ctx *c)
{
	struct vm *vm = c->v->vm;
	int64_t result;
	int r;

	switch (c->fid) {
	case MEMVISOR_GET_ABI_VERSION:
		return sbi_value(MEMVISOR_ABI_VERSION);
	case MEMVISOR_DLH_REGISTER:
		r = dlh_register(vm, c->v, c->a[2], c->a[0], c->a[1]);
		if (r == -EINVAL)
			return sbi_error(SBI_ERR_INVALID_PARAM);
		if (r == -EFAULT)
			return sbi_error(SBI_ERR_INVALID_ADDRESS);
		return r ? sbi_error(SBI_ERR_FAILED) : sbi_ok;
	case MEMVISOR_DLH_NOTIFY:
		r = dlh_notify(vm, c->v);
		c->action = SBI_ACTION_CHARGE;
		return r < 0 ? sbi_error(SBI_ERR_FAILED) : sbi_value(r);
	case MEMVISOR_DLH_CALL_SYNC:
		r = (int)dlh_call_sync(vm, c->v, c->a[0], &c->a[1], &result);
		if (dlh_costly(c->a[0]))
			c->action = SBI_ACTION_CHARGE;
		return (struct sbi_ret){r, r ? 0 : result};
	case MEMVISOR_GET_VCPU_EXITS:
		return sbi_value((int64_t)(c->v->exits_ecall + c->v->exits_wfi +
					   c->v->slices));
	}
	return sbi_not_supported;
}

static const struct sbi_ext sbi_exts[] = {
    {SBI_LEGACY_SET_TIMER, "legacy set_timer", true, sbi_legacy_set_timer},
    {SBI_LEGACY_CONSOLE_PUTCHAR, "legacy putchar", true, sbi_legacy_putchar},
    {SBI_LEGACY_CONSOLE_GETCHAR, "legacy getchar", true, sbi_legacy_getchar},
    {SBI_LEGACY_CLEAR_IPI, "legacy clear_ipi", true, sbi_legacy_clear_ipi},
    {SBI_LEGACY_SHUTDOWN, "legacy shutdown", true, sbi_legacy_shutdown},
    {SBI_EXT_BASE, "base", false, sbi_base},
    {SBI_EXT_TIME, "time", false, sbi_time},
    {SBI_EXT_IPI, "ipi", false, sbi_ipi},
    {SBI_EXT_RFENCE, "rfence", false, sbi_rfence},
    {SBI_EXT_HSM, "hsm", false, sbi_hsm},
    {SBI_EXT_SRST, "srst", false, sbi_srst},
    {SBI_EXT_DBCN, "dbcn", false, sbi_dbcn},
    {SBI_EXT_MEMVISOR, "memvisor", false, sbi_memvisor},
};

static const struct sbi_ext *sbi_find(uint64_t eid)
{
	for (size_t i = 0; i < sizeof(sbi_exts) / sizeof(sbi_exts[0]); i++)
		if (sbi_exts[i].eid == eid)
			return &sbi_exts[i];
	return NULL;
}

bool sbi_probe(uint64_t eid)
{
	return sbi_find(eid) != NULL;
}

int sbi_call(struct sched *s, struct vcpu *v)
{
	struct hart *h = &v->hart;
	struct sbi_ctx c = {
	    .s = s,
	    .v = v,
	    .fid = h->x[16],
	    .a = &h->x[10],
	    .action = SBI_ACTION_CONTINUE,
	};
	const struct sbi_ext *ext = sbi_find(h->x[17]);
	struct sbi_ret ret = ext ? ext->call(&c) : sbi_not_supported;

	if (ext && ext->legacy) {
		h->x[10] = (uint64_t)ret.value;
	} else {
		h->x[10] = (uint64_t)ret.error;
		h->x[11] = (uint64_t)ret.value;
	}
	h->pc += 4;
	return c.action;
}
