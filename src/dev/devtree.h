/* SPDX-License-Identifier: MIT */
/*
 * The flattened device tree a guest is booted with.
 *
 * It describes the machine of DESIGN.md and nothing more: harts (the ISA
 * the caller names, Sv48, each with its local interrupt controller), one
 * RAM range, and /chosen (command line, initrd). There is no CLINT, PLIC or
 * UART node: timer, IPIs and the console are SBI calls.
 *
 * Each cpu node carries the ISA both as the legacy "riscv,isa" string and as
 * "riscv,isa-base" + "riscv,isa-extensions", because Linux 6.12 without
 * CONFIG_RISCV_ISA_FALLBACK reads only the newer form.
 */
#ifndef MEMVISOR_DEV_DEVTREE_H
#define MEMVISOR_DEV_DEVTREE_H

#include <stddef.h>
#include <stdint.h>

/* Room enough for a tree with up to 64 harts and a 4 KiB command line. */
#define DEVTREE_MAX_SIZE (64u * 1024)

/* The usual timebase: the time CSR counts at 10 MHz. */
#define DEVTREE_TIMEBASE_HZ 10000000u

/*
 * A memory-mapped device under /soc: node "<node>@<base>", its reg, and
 * its interrupt on the PLIC.
 */
struct devtree_device {
	const char *node;	/* node name before the unit address */
	const char *compatible; /* a stringlist: names, each NUL-terminated */
	size_t compatible_len;	/* bytes of compatible, the NULs included */
	uint64_t base, size;	/* reg */
	uint32_t irq;		/* interrupts on the PLIC; 0: none */
	uint32_t clock_hz;	/* clock-frequency; 0: no such property */
};

/* What the device tree describes. */
struct devtree_machine {
	unsigned ncpus; /* harts 0 .. ncpus - 1; at least 1 */
	/* Every hart's ISA: "riscv,isa" (e.g. "rv64imac_zicsr"), and the
	 * "riscv,isa-extensions" stringlist (names, each NUL-terminated,
	 * isa_extensions_len bytes in all); both required. */
	const char *isa;
	const char *isa_extensions;
	size_t isa_extensions_len;
	uint32_t cbo_block_size; /* Zicbom/Zicboz block; 0: no such property */
	uint64_t ram_base;	 /* guest RAM [ram_base, ram_base + ram_size) */
	uint64_t ram_size;	 /* nonzero */
	const char *bootargs;	 /* kernel command line; NULL: none */
	uint64_t initrd_start;	 /* initrd [start, end) in guest-physical */
	uint64_t initrd_end;	 /* memory; both 0: no initrd */
	uint32_t timebase_hz;	 /* frequency of the time CSR; nonzero */

	/* The platform: a PLIC with plic_ndev sources, routing to every
	 * hart's S-mode external interrupt (context n = hart n); size 0: no
	 * PLIC and no devices. */
	uint64_t plic_base, plic_size;
	uint32_t plic_ndev;
	const struct devtree_device *devices; /* ndevices of them */
	unsigned ndevices;
	/* /chosen/stdout-path: the console, one of devices; NULL: none
	 * (the SBI console). */
	const struct devtree_device *stdout_dev;
};

/*
 * Build the device tree of machine m into buf (size bytes, 8-byte aligned,
 * owned by the caller). Returns the size of the blob (at most size), or
 * -EINVAL when m is inconsistent (no cpus, no ISA, empty or wrapping RAM,
 * zero timebase, devices without a PLIC or with an irq beyond plic_ndev, an
 * initrd with end < start or outside RAM), -ENOSPC when buf is too small (its
 * contents are then undefined). The blob is a complete, finished FDT (version
 * 17) ready to be copied into guest memory.
 */
int devtree_build(const struct devtree_machine *m, void *buf, size_t size);

#endif
