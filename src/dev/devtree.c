/* SPDX-License-Identifier: MIT */
/* The guest's device tree, written with libfdt's sequential-write API. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "dev/devtree.h"

#define DEVTREE_ISA_BASE "rv64i"
#define DEVTREE_MMU	 "riscv,sv48"

/* The harts a PLIC node routes to (interrupts-extended). */
#define DEVTREE_PLIC_MAX_HARTS 64

/*
 * A writer with a sticky error: after the first failure every call does
 * nothing, and devtree_build() looks at the error once, at the end.
 */
struct devtree_writer {
	void *fdt;
	int err; /* first libfdt error, or 0 */
};

static void devtree_begin(struct devtree_writer *w, const char *name)
{
	if (!w->err)
		w->err = fdt_begin_node(w->fdt, name);
}

static void devtree_end(struct devtree_writer *w)
{
	if (!w->err)
		w->err = fdt_end_node(w->fdt);
}

static void devtree_prop(struct devtree_writer *w, const char *name,
			 const void *val, size_t len)
{
	if (!w->err)
		w->err = fdt_property(w->fdt, name, val, (int)len);
}

static void devtree_str(struct devtree_writer *w, const char *name,
			const char *s)
{
	devtree_prop(w, name, s, strlen(s) + 1);
}

static void devtree_u32(struct devtree_writer *w, const char *name, uint32_t v)
{
	fdt32_t be = cpu_to_fdt32(v);

	devtree_prop(w, name, &be, sizeof(be));
}

static void devtree_u64(struct devtree_writer *w, const char *name, uint64_t v)
{
	fdt64_t be = cpu_to_fdt64(v);

	devtree_prop(w, name, &be, sizeof(be));
}

static int devtree_check(const struct devtree_machine *m)
{
	bool has_initrd = m->initrd_start || m->initrd_end;

	if (!m->ncpus || !m->ram_size || !m->timebase_hz)
		return -EINVAL;
	if (m->ndevices && (!m->devices || !m->plic_size))
		return -EINVAL;
	if (m->plic_size && m->ncpus > DEVTREE_PLIC_MAX_HARTS)
		return -EINVAL;
	for (unsigned i = 0; i < m->ndevices; i++) {
		const struct devtree_device *d = &m->devices[i];

		if (!d->node || !d->compatible || !d->compatible_len ||
		    d->compatible[d->compatible_len - 1] != '\0' || !d->size ||
		    d->irq > m->plic_ndev)
			return -EINVAL;
	}
	if (m->stdout_dev && (m->stdout_dev < m->devices ||
			      m->stdout_dev >= m->devices + m->ndevices))
		return -EINVAL;
	if (!m->isa || !m->isa_extensions || !m->isa_extensions_len ||
	    m->isa_extensions[m->isa_extensions_len - 1] != '\0')
		return -EINVAL;
	if (m->ram_base + m->ram_size < m->ram_base)
		return -EINVAL;
	if (has_initrd &&
	    (m->initrd_end < m->initrd_start || m->initrd_start < m->ram_base ||
	     m->initrd_end > m->ram_base + m->ram_size))
		return -EINVAL;
	return 0;
}

/* The phandle of hart n's interrupt controller (0 is not a valid phandle). */
static uint32_t devtree_intc_phandle(unsigned n)
{
	return n + 1;
}

/* The PLIC's phandle: after every hart's. */
#define DEVTREE_PLIC_PHANDLE 0x8000u

/* The S-mode external interrupt's number on a hart's local controller. */
#define DEVTREE_IRQ_S_EXT 9

static void devtree_reg(struct devtree_writer *w, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

	devtree_prop(w, "reg", reg, sizeof(reg));
}

static void devtree_plic(struct devtree_writer *w,
			 const struct devtree_machine *m)
{
	static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	fdt32_t ext[2 * DEVTREE_PLIC_MAX_HARTS];
	char name[48];

	snprintf(name, sizeof(name), "plic@%llx",
		 (unsigned long long)m->plic_base);
	devtree_begin(w, name);
	devtree_prop(w, "compatible", compat, sizeof(compat));
	devtree_reg(w, m->plic_base, m->plic_size);
	devtree_u32(w, "#address-cells", 0);
	devtree_u32(w, "#interrupt-cells", 1);
	devtree_prop(w, "interrupt-controller", "", 0);
	devtree_u32(w, "riscv,ndev", m->plic_ndev);
	/* Context n is hart n's S-mode: the machine has no guest M-mode. */
	for (unsigned n = 0; n < m->ncpus; n++) {
		ext[2 * n] = cpu_to_fdt32(devtree_intc_phandle(n));
		ext[2 * n + 1] = cpu_to_fdt32(DEVTREE_IRQ_S_EXT);
	}
	devtree_prop(w, "interrupts-extended", ext,
		     2 * m->ncpus * sizeof(ext[0]));
	devtree_u32(w, "phandle", DEVTREE_PLIC_PHANDLE);
	devtree_end(w);
}

static void devtree_device_name(const struct devtree_device *d, char *buf,
				size_t size)
{
	snprintf(buf, size, "%s@%llx", d->node, (unsigned long long)d->base);
}

/* /soc: the PLIC and the devices, addressed like the root (2 cells). */
static void devtree_soc(struct devtree_writer *w,
			const struct devtree_machine *m)
{
	char name[64];

	if (!m->plic_size)
		return;
	devtree_begin(w, "soc");
	devtree_u32(w, "#address-cells", 2);
	devtree_u32(w, "#size-cells", 2);
	devtree_str(w, "compatible", "simple-bus");
	devtree_prop(w, "ranges", "", 0);
	devtree_plic(w, m);
	for (unsigned i = 0; i < m->ndevices; i++) {
		const struct devtree_device *d = &m->devices[i];

		devtree_device_name(d, name, sizeof(name));
		devtree_begin(w, name);
		devtree_prop(w, "compatible", d->compatible, d->compatible_len);
		devtree_reg(w, d->base, d->size);
		if (d->clock_hz)
			devtree_u32(w, "clock-frequency", d->clock_hz);
		if (d->irq) {
			devtree_u32(w, "interrupt-parent",
				    DEVTREE_PLIC_PHANDLE);
			devtree_u32(w, "interrupts", d->irq);
		}
		devtree_end(w);
	}
	devtree_end(w);
}

static void devtree_cpu(struct devtree_writer *w,
			const struct devtree_machine *m, unsigned n)
{
	char name[32];

	snprintf(name, sizeof(name), "cpu@%x", n);
	devtree_begin(w, name);
	devtree_str(w, "device_type", "cpu");
	devtree_u32(w, "reg", n);
	devtree_str(w, "status", "okay");
	devtree_str(w, "compatible", "riscv");
	devtree_str(w, "riscv,isa", m->isa);
	devtree_str(w, "riscv,isa-base", DEVTREE_ISA_BASE);
	devtree_prop(w, "riscv,isa-extensions", m->isa_extensions,
		     m->isa_extensions_len);
	if (m->cbo_block_size) {
		devtree_u32(w, "riscv,cbom-block-size", m->cbo_block_size);
		devtree_u32(w, "riscv,cboz-block-size", m->cbo_block_size);
	}
	devtree_str(w, "mmu-type", DEVTREE_MMU);

	devtree_begin(w, "interrupt-controller");
	devtree_u32(w, "#interrupt-cells", 1);
	devtree_prop(w, "interrupt-controller", "", 0);
	devtree_str(w, "compatible", "riscv,cpu-intc");
	devtree_u32(w, "phandle", devtree_intc_phandle(n));
	devtree_end(w);

	devtree_end(w);
}

static void devtree_cpus(struct devtree_writer *w,
			 const struct devtree_machine *m)
{
	devtree_begin(w, "cpus");
	devtree_u32(w, "#address-cells", 1);
	devtree_u32(w, "#size-cells", 0);
	devtree_u32(w, "timebase-frequency", m->timebase_hz);
	for (unsigned n = 0; n < m->ncpus; n++)
		devtree_cpu(w, m, n);
	devtree_end(w);
}

static void devtree_memory(struct devtree_writer *w,
			   const struct devtree_machine *m)
{
	/* #address-cells = #size-cells = 2: one 64-bit address, one size. */
	fdt64_t reg[2] = {cpu_to_fdt64(m->ram_base), cpu_to_fdt64(m->ram_size)};
	char name[32];

	snprintf(name, sizeof(name), "memory@%llx",
		 (unsigned long long)m->ram_base);
	devtree_begin(w, name);
	devtree_str(w, "device_type", "memory");
	devtree_prop(w, "reg", reg, sizeof(reg));
	devtree_end(w);
}

static void devtree_chosen(struct devtree_writer *w,
			   const struct devtree_machine *m)
{
	devtree_begin(w, "chosen");
	if (m->stdout_dev) {
		char name[64], path[80];

		devtree_device_name(m->stdout_dev, name, sizeof(name));
		snprintf(path, sizeof(path), "/soc/%s", name);
		devtree_str(w, "stdout-path", path);
	}
	if (m->bootargs)
		devtree_str(w, "bootargs", m->bootargs);
	if (m->initrd_start || m->initrd_end) {
		devtree_u64(w, "linux,initrd-start", m->initrd_start);
		devtree_u64(w, "linux,initrd-end", m->initrd_end);
	}
	devtree_end(w);
}

int devtree_build(const struct devtree_machine *m, void *buf, size_t size)
{
	struct devtree_writer w = {.fdt = buf};
	int err;

	err = devtree_check(m);
	if (err)
		return err;
	if (size > INT_MAX)
		size = INT_MAX;

	w.err = fdt_create(buf, (int)size);
	if (!w.err)
		w.err = fdt_finish_reservemap(buf);
	devtree_begin(&w, "");
	devtree_u32(&w, "#address-cells", 2);
	devtree_u32(&w, "#size-cells", 2);
	devtree_str(&w, "compatible", "memvisor");
	devtree_str(&w, "model", "memvisor");
	devtree_cpus(&w, m);
	devtree_memory(&w, m);
	devtree_soc(&w, m);
	devtree_chosen(&w, m);
	devtree_end(&w);
	if (!w.err)
		w.err = fdt_finish(buf);
	/* libfdt's codes, as the negative errno this project returns. */
	if (w.err)
		return w.err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
	return (int)fdt_totalsize(buf);
}
