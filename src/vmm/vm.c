/* SPDX-License-Identifier: MIT */
#include "vmm/vm.h"

#include "vmm/share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev/devtree.h"
#include "dev/loader.h"
#include "mem/gmem.h"
#include "vmm/sched.h"

/* Room reserved for the device tree at the top of RAM. */
#define VM_FDT_SLOT (64u << 10)

static bool vm_is_elf(const char *path)
{
	unsigned char magic[4] = {0};
	FILE *f = fopen(path, "rb");
	bool elf;

	if (!f)
		return false;
	elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
	fclose(f);
	return elf;
}

/* Load the kernel; sets the entry and the range it occupies. */
static int vm_load_kernel(struct vm *vm, const char *path, uint64_t *entry,
			  uint64_t *low, uint64_t *high, char *why,
			  size_t whylen)
{
	int r;

	if (vm_is_elf(path)) {
		struct loader_elf_info info;

		r = loader_elf(&vm->gs, path, &info, why, whylen);
		if (r)
			return r;
		*entry = info.entry;
		*low = info.low;
		*high = info.high;
		return 0;
	}
	struct loader_image_info info;

	r = loader_image(&vm->gs, path, vm->ram_base, &info, why, whylen);
	if (r)
		return r;
	*entry = info.entry;
	*low = info.entry;
	*high = info.end;
	return 0;
}

/* Place the initrd and the device tree; returns the device tree's gpa. */
static int vm_load_boot_data(struct vm *vm, const struct vm_config *cfg,
			     uint64_t kernel_low, uint64_t kernel_high,
			     uint64_t *fdt_gpa, char *why, size_t whylen)
{
	char isa[256], isa_ext[512];
	int isa_ext_len = isa_stringlist(vm->isa, isa_ext, sizeof(isa_ext));
	struct devtree_machine m = {
	    .ncpus = vm->nvcpus,
	    .isa = isa,
	    .isa_extensions = isa_ext,
	    .isa_extensions_len = isa_ext_len > 0 ? (size_t)isa_ext_len : 0,
	    .cbo_block_size = HART_CBO_BLOCK,
	    .ram_base = vm->ram_base,
	    .ram_size = vm->ram_size,
	    .bootargs = cfg->cmdline,
	    .timebase_hz = HART_TIMEBASE_HZ,
	};

	platform_devtree(vm, &m);
	struct loader_layout lay;
	uint64_t initrd_size = 0;
	void *blob;
	int size, r;

	if (isa_string(vm->isa, isa, sizeof(isa)) < 0 || isa_ext_len < 0)
		return -ENOSPC; /* cannot happen: the buffers hold every name */

	if (cfg->initrd) {
		r = loader_file_size(cfg->initrd, &initrd_size, why, whylen);
		if (r)
			return r;
	}
	r = loader_layout_linux(vm->ram_base, vm->ram_size, kernel_low,
				kernel_high, initrd_size, VM_FDT_SLOT, &lay,
				why, whylen);
	if (r)
		return r;
	if (cfg->initrd) {
		r = loader_initrd(&vm->gs, cfg->initrd, lay.initrd_gpa,
				  lay.initrd_size, &initrd_size, why, whylen);
		if (r)
			return r;
		m.initrd_start = lay.initrd_gpa;
		m.initrd_end = lay.initrd_gpa + initrd_size;
	}

	blob = calloc(1, VM_FDT_SLOT);
	if (!blob)
		return -ENOMEM;
	size = devtree_build(&m, blob, VM_FDT_SLOT);
	if (size < 0) {
		snprintf(why, whylen, "cannot build the device tree: %s",
			 strerror(-size));
		free(blob);
		return size;
	}
	r = gmem_write(&vm->gs, lay.fdt_gpa, blob, (size_t)size);
	free(blob);
	if (r) {
		snprintf(why, whylen, "cannot write the device tree: %s",
			 strerror(-r));
		return r;
	}
	*fdt_gpa = lay.fdt_gpa;
	return 0;
}

int vm_create(const struct vm_config *cfg, struct frame_pool *pool,
	      struct console *console, struct vm **out, char *why,
	      size_t whylen)
{
	uint64_t entry, low, high, fdt_gpa;
	struct vm *vm;
	int r;

	if (cfg->ncpus < 1 || cfg->ncpus > VM_MAX_VCPUS) {
		snprintf(why, whylen, "%u VCPUs: expected 1 to %u", cfg->ncpus,
			 VM_MAX_VCPUS);
		return -EINVAL;
	}
	vm = vm_alloc(cfg->ncpus);
	if (!vm)
		return -ENOMEM;
	vm->ram_base = VM_RAM_BASE;
	vm->ram_size = cfg->ram_size;
	vm->console = console;
	vm->time_base_ns = hart_host_ns();
	vm->isa = ISA_IMPLEMENTED & ~(cfg->isa_off & ISA_OPTIONAL);
	vm->asid_bits = cfg->asid_off ? 0 : ISA_ASID_BITS;
	vm->tier = cfg->tier;
	vm->jit_threshold = cfg->jit_threshold;
	/* Without one (sharing off, the interpreter, no room for one) each
	 * hart makes its own. */
	if (!cfg->jit_private &&
	    (cfg->tier == HART_TIER_DEFAULT ? hart_default_tier()
					    : cfg->tier) == HART_TIER_JIT &&
	    jit_share_create(0, &vm->jit_share))
		vm->jit_share = NULL;

	r = dlh_init(&vm->dlh);
	if (r) {
		snprintf(why, whylen, "cannot set up the DLH queue");
		goto err_free;
	}
	r = gstage_init(&vm->gs, pool, GSTAGE_SV48X4);
	if (r) {
		snprintf(why, whylen, "no host memory for the G-stage root");
		goto err_dlh;
	}
	r = gstage_set_ram(&vm->gs, vm->ram_base, vm->ram_size);
	if (r) {
		snprintf(why, whylen, "--memory %llu bytes: not a usable size",
			 (unsigned long long)vm->ram_size);
		goto err_gstage;
	}
	r = vm_load_kernel(vm, cfg->kernel, &entry, &low, &high, why, whylen);
	if (r)
		goto err_gstage;
	/* The harts first: the PLIC reaches them from its first line. */
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm_vcpu_init(vm, i);
	r = platform_create(vm, cfg->console, why, whylen);
	if (r)
		goto err_harts;
	/* Before the device tree, which describes them. */
	r = vm_devices_create(vm, cfg, why, whylen);
	if (r)
		goto err_platform;
	r = vm_load_boot_data(vm, cfg, low, high, &fdt_gpa, why, whylen);
	if (r)
		goto err_platform;
	r = inspect_create(cfg->kernel, cfg->symbols, cfg->vmi, &vm->inspect);
	if (r) {
		snprintf(why, whylen, "out of host memory");
		goto err_platform;
	}

	hart_reset(&vm->vcpus[0].hart, entry, fdt_gpa);
	atomic_store(&vm->vcpus[0].state, VCPU_RUNNABLE);
	*out = vm;
	return 0;

err_platform:
	vm_devices_destroy(vm);
	platform_destroy(vm);
err_harts:
	for (unsigned i = 0; i < vm->nvcpus; i++)
		hart_destroy(&vm->vcpus[i].hart);
err_gstage:
	gstage_destroy(&vm->gs);
err_dlh:
	dlh_destroy(&vm->dlh);
err_free:
	jit_share_put(vm->jit_share);
	free(vm);
	return r;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	/* The devices' workers first: they raise lines on the platform's
	 * PLIC and write guest memory. */
	vm_devices_destroy(vm);
	platform_destroy(vm);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		hart_destroy(&vm->vcpus[i].hart);
	jit_share_put(vm->jit_share); /* after its harts: they used it */
	gstage_destroy(&vm->gs);
	dlh_destroy(&vm->dlh);
	inspect_put(vm->inspect);
	share_age_free(vm->share.age);
	if (vm->owns_console)
		console_destroy(vm->console);
	free(vm);
}

void vm_stop(struct vm *vm, int status, const char *why)
{
	bool expected = false;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, true))
		return;
	vm->exit_status = status;
	if (why)
		snprintf(vm->why, sizeof(vm->why), "%s", why);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		hart_request(&vm->vcpus[i].hart, HART_REQ_KICK);
}

struct vcpu *vm_vcpu(struct vm *vm, uint64_t hartid)
{
	return hartid < vm->nvcpus ? &vm->vcpus[hartid] : NULL;
}

void vm_vcpu_init(struct vm *vm, unsigned i)
{
	struct vcpu *v = &vm->vcpus[i];

	hart_init(&v->hart, i, &vm->gs, vm->time_base_ns);
	v->hart.isa = vm->isa;
	v->hart.mmio = &vm->mmio;
	v->hart.asid_bits = vm->asid_bits;
	if (vm->tier != HART_TIER_DEFAULT)
		v->hart.tier = vm->tier;
	v->hart.jit_threshold = vm->jit_threshold;
	v->hart.jit_share = vm->jit_share;
	if (vm->nvcpus > 1)
		v->hart.shootdown = sched_shootdown;
	v->vm = vm;
	atomic_init(&v->state, VCPU_STOPPED);
}

struct vm *vm_alloc(unsigned nvcpus)
{
	struct vm *vm = calloc(1, sizeof(*vm) + nvcpus * sizeof(vm->vcpus[0]));

	if (vm)
		vm->nvcpus = nvcpus;
	return vm;
}
