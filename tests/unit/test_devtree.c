/* SPDX-License-Identifier: MIT */
/* Unit tests for dev/devtree: build a tree, read every property back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "dev/devtree.h"

/* The blob buffer: 8-byte aligned, as devtree_build() asks. */
static uint64_t blob_buf[DEVTREE_MAX_SIZE / 8];

static const char base_isa_ext[] = "i\0m\0a\0c\0zicsr\0zifencei";

static const struct devtree_machine base_machine = {
    .ncpus = 1,
    .isa = "rv64imac_zicsr_zifencei",
    .isa_extensions = base_isa_ext,
    .isa_extensions_len = sizeof(base_isa_ext),
    .cbo_block_size = 64,
    .ram_base = 0x80000000,
    .ram_size = 256ull << 20,
    .bootargs = "console=hvc0 earlycon=sbi",
    .timebase_hz = DEVTREE_TIMEBASE_HZ,
};

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("node %s: %s", path, fdt_strerror(off));
	return off;
}

static uint32_t prop_u32(const void *fdt, int off, const char *name)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, off, name, &len);

	if (!p)
		fail_msg("property %s missing", name);
	assert_int_equal(len, 4);
	return fdt32_to_cpu(*p);
}

static uint64_t prop_u64(const void *fdt, int off, const char *name)
{
	int len;
	const fdt64_t *p = fdt_getprop(fdt, off, name, &len);
	fdt64_t v;

	if (!p)
		fail_msg("property %s missing", name);
	assert_int_equal(len, 8);
	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

/* A string property: exactly one NUL-terminated string. */
static void assert_prop_str(const void *fdt, int off, const char *name,
			    const char *want)
{
	int len;
	const char *p = fdt_getprop(fdt, off, name, &len);

	if (!p)
		fail_msg("property %s missing", name);
	assert_int_equal(len, (int)strlen(want) + 1);
	assert_string_equal(p, want);
}

static void assert_prop_empty(const void *fdt, int off, const char *name)
{
	int len = -1;

	if (!fdt_getprop(fdt, off, name, &len))
		fail_msg("property %s missing", name);
	assert_int_equal(len, 0);
}

static void assert_no_prop(const void *fdt, int off, const char *name)
{
	int len;

	assert_null(fdt_getprop(fdt, off, name, &len));
	assert_int_equal(len, -FDT_ERR_NOTFOUND);
}

static int subnode_count(const void *fdt, int off)
{
	int n = 0, sub;

	fdt_for_each_subnode(sub, fdt, off) n++;
	return n;
}

static void check_cpu(const void *fdt, unsigned n, uint32_t *phandles)
{
	static const char *const ext[] = {"i", "m",	"a",
					  "c", "zicsr", "zifencei"};
	char path[64];
	int cpu, intc;

	snprintf(path, sizeof(path), "/cpus/cpu@%x", n);
	cpu = node(fdt, path);
	assert_prop_str(fdt, cpu, "device_type", "cpu");
	assert_int_equal(prop_u32(fdt, cpu, "reg"), n);
	assert_prop_str(fdt, cpu, "status", "okay");
	assert_prop_str(fdt, cpu, "compatible", "riscv");
	assert_prop_str(fdt, cpu, "riscv,isa", "rv64imac_zicsr_zifencei");
	assert_prop_str(fdt, cpu, "riscv,isa-base", "rv64i");
	assert_prop_str(fdt, cpu, "mmu-type", "riscv,sv48");
	assert_int_equal(prop_u32(fdt, cpu, "riscv,cbom-block-size"), 64);
	assert_int_equal(prop_u32(fdt, cpu, "riscv,cboz-block-size"), 64);
	assert_int_equal(fdt_stringlist_count(fdt, cpu, "riscv,isa-extensions"),
			 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(fdt_stringlist_get(fdt, cpu,
						       "riscv,isa-extensions",
						       i, NULL),
				    ext[i]);
	assert_int_equal(subnode_count(fdt, cpu), 1);

	snprintf(path, sizeof(path), "/cpus/cpu@%x/interrupt-controller", n);
	intc = node(fdt, path);
	assert_prop_str(fdt, intc, "compatible", "riscv,cpu-intc");
	assert_int_equal(prop_u32(fdt, intc, "#interrupt-cells"), 1);
	assert_prop_empty(fdt, intc, "interrupt-controller");
	phandles[n] = fdt_get_phandle(fdt, intc);
	assert_int_not_equal(phandles[n], 0);
	assert_int_equal(fdt_node_offset_by_phandle(fdt, phandles[n]), intc);
}

/* Build m and check everything in it against m. */
static void check_machine(const struct devtree_machine *m)
{
	void *fdt = blob_buf;
	uint32_t phandles[64];
	char path[64];
	int size, root, cpus, mem, chosen;
	int len;
	const fdt64_t *reg;

	assert_true(m->ncpus <= 64);
	memset(blob_buf, 0xa5, sizeof(blob_buf));
	size = devtree_build(m, blob_buf, sizeof(blob_buf));
	assert_true(size > 0);
	assert_int_equal(fdt_check_header(fdt), 0);
	assert_int_equal(fdt_totalsize(fdt), size);
	assert_int_equal(fdt_num_mem_rsv(fdt), 0);

	root = node(fdt, "/");
	assert_int_equal(prop_u32(fdt, root, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, root, "#size-cells"), 2);
	assert_prop_str(fdt, root, "compatible", "memvisor");
	assert_prop_str(fdt, root, "model", "memvisor");
	/* cpus, memory, chosen: and no CLINT, PLIC or UART. */
	assert_int_equal(subnode_count(fdt, root), 3);

	cpus = node(fdt, "/cpus");
	assert_int_equal(prop_u32(fdt, cpus, "#address-cells"), 1);
	assert_int_equal(prop_u32(fdt, cpus, "#size-cells"), 0);
	assert_int_equal(prop_u32(fdt, cpus, "timebase-frequency"),
			 m->timebase_hz);
	assert_int_equal(subnode_count(fdt, cpus), m->ncpus);
	for (unsigned n = 0; n < m->ncpus; n++) {
		check_cpu(fdt, n, phandles);
		for (unsigned k = 0; k < n; k++)
			assert_int_not_equal(phandles[k], phandles[n]);
	}
	snprintf(path, sizeof(path), "/cpus/cpu@%x", m->ncpus);
	assert_int_equal(fdt_path_offset(fdt, path), -FDT_ERR_NOTFOUND);

	snprintf(path, sizeof(path), "/memory@%llx",
		 (unsigned long long)m->ram_base);
	mem = node(fdt, path);
	assert_prop_str(fdt, mem, "device_type", "memory");
	reg = fdt_getprop(fdt, mem, "reg", &len);
	assert_non_null(reg);
	assert_int_equal(len, 16);
	assert_int_equal(fdt64_ld(&reg[0]), m->ram_base);
	assert_int_equal(fdt64_ld(&reg[1]), m->ram_size);

	chosen = node(fdt, "/chosen");
	if (m->bootargs)
		assert_prop_str(fdt, chosen, "bootargs", m->bootargs);
	else
		assert_no_prop(fdt, chosen, "bootargs");
	if (m->initrd_start || m->initrd_end) {
		assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-start"),
				 m->initrd_start);
		assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-end"),
				 m->initrd_end);
	} else {
		assert_no_prop(fdt, chosen, "linux,initrd-start");
		assert_no_prop(fdt, chosen, "linux,initrd-end");
	}
	/* The console is SBI: no stdout-path to a node that is not there. */
	assert_no_prop(fdt, chosen, "stdout-path");
}

static void test_one_cpu(void **state)
{
	(void)state;
	check_machine(&base_machine);
}

static void test_four_cpus_initrd(void **state)
{
	struct devtree_machine m = base_machine;

	(void)state;
	m.ncpus = 4;
	m.ram_base = 0x100000000ull; /* both reg cells in use */
	m.ram_size = 5ull << 30;
	m.initrd_start = 0x17fc00000ull;
	m.initrd_end = 0x17fd23456ull;
	m.timebase_hz = 1000000;
	check_machine(&m);
}

static void test_no_bootargs(void **state)
{
	struct devtree_machine m = base_machine;

	(void)state;
	m.bootargs = NULL;
	check_machine(&m);
}

/* DEVTREE_MAX_SIZE promises room for 64 harts and a 4 KiB command line. */
static void test_max_cpus_fit(void **state)
{
	struct devtree_machine m = base_machine;
	static char args[4096];

	(void)state;
	memset(args, 'a', sizeof(args) - 1);
	m.bootargs = args;
	m.ncpus = 64;
	m.initrd_start = 0x80800000;
	m.initrd_end = 0x80900000;
	check_machine(&m);
}

static void test_buffer_too_small(void **state)
{
	int size, small;

	(void)state;
	size = devtree_build(&base_machine, blob_buf, sizeof(blob_buf));
	assert_true(size > 0);
	/* One byte short fails; exactly enough succeeds. */
	small = devtree_build(&base_machine, blob_buf, (size_t)size - 1);
	assert_int_equal(small, -ENOSPC);
	assert_int_equal(devtree_build(&base_machine, blob_buf, (size_t)size),
			 size);
	assert_int_equal(devtree_build(&base_machine, blob_buf, 16), -ENOSPC);
}

static void test_invalid_machine(void **state)
{
	struct devtree_machine m;

	(void)state;
	m = base_machine;
	m.ncpus = 0;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.ram_size = 0;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.ram_base = UINT64_MAX - 4095;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.timebase_hz = 0;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.initrd_start = 0x80900000;
	m.initrd_end = 0x80800000;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.initrd_start = 0x8ff00000;
	m.initrd_end = 0x90000001; /* one byte past the end of RAM */
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.isa = NULL;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m = base_machine;
	m.isa_extensions_len = 3; /* "i\0m": not NUL-terminated */
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
}

/* A platform: the PLIC routes to each hart's S-mode external interrupt,
 * devices sit under /soc with their interrupt, stdout-path names the UART. */
static void test_platform(void **state)
{
	static const char uart_compat[] = "ns16550a";
	static const char virtio_compat[] = "virtio,mmio";
	const struct devtree_device dev[] = {
	    {.node = "serial",
	     .compatible = uart_compat,
	     .compatible_len = sizeof(uart_compat),
	     .base = 0x10000000,
	     .size = 0x100,
	     .irq = 10,
	     .clock_hz = 3686400},
	    {.node = "virtio_mmio",
	     .compatible = virtio_compat,
	     .compatible_len = sizeof(virtio_compat),
	     .base = 0x10001000,
	     .size = 0x1000,
	     .irq = 1},
	};
	struct devtree_machine m = base_machine;
	const fdt32_t *ext;
	int len, plic, uart, virtio, chosen;

	(void)state;
	m.ncpus = 2;
	m.plic_base = 0x0c000000;
	m.plic_size = 0x4000000;
	m.plic_ndev = 31;
	m.devices = dev;
	m.ndevices = 2;
	m.stdout_dev = &dev[0];
	assert_true(devtree_build(&m, blob_buf, sizeof(blob_buf)) > 0);
	plic = node(blob_buf, "/soc/plic@c000000");
	assert_int_equal(fdt_stringlist_count(blob_buf, plic, "compatible"), 2);
	assert_string_equal(
	    fdt_stringlist_get(blob_buf, plic, "compatible", 0, NULL),
	    "sifive,plic-1.0.0");
	assert_int_equal(prop_u32(blob_buf, plic, "riscv,ndev"), 31);
	ext = fdt_getprop(blob_buf, plic, "interrupts-extended", &len);
	assert_non_null(ext);
	assert_int_equal(len, 4 * 4);
	assert_int_equal(
	    fdt32_to_cpu(ext[0]),
	    fdt_get_phandle(blob_buf, node(blob_buf, "/cpus/cpu@0/"
						     "interrupt-controller")));
	assert_int_equal(fdt32_to_cpu(ext[1]), 9);
	assert_int_equal(
	    fdt32_to_cpu(ext[2]),
	    fdt_get_phandle(blob_buf, node(blob_buf, "/cpus/cpu@1/"
						     "interrupt-controller")));
	assert_int_equal(fdt32_to_cpu(ext[3]), 9);

	uart = node(blob_buf, "/soc/serial@10000000");
	assert_prop_str(blob_buf, uart, "compatible", "ns16550a");
	assert_int_equal(prop_u32(blob_buf, uart, "interrupts"), 10);
	assert_int_equal(prop_u32(blob_buf, uart, "interrupt-parent"),
			 fdt_get_phandle(blob_buf, plic));
	assert_int_equal(prop_u32(blob_buf, uart, "clock-frequency"), 3686400);
	virtio = node(blob_buf, "/soc/virtio_mmio@10001000");
	assert_int_equal(prop_u32(blob_buf, virtio, "interrupts"), 1);
	chosen = node(blob_buf, "/chosen");
	assert_prop_str(blob_buf, chosen, "stdout-path",
			"/soc/serial@10000000");

	/* An interrupt beyond the PLIC's sources, devices without a PLIC. */
	struct devtree_device bad = dev[0];
	bad.irq = 32;
	m.devices = &bad;
	m.ndevices = 1;
	m.stdout_dev = NULL;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
	m.devices = dev;
	m.plic_size = 0;
	assert_int_equal(devtree_build(&m, blob_buf, sizeof(blob_buf)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_platform),
	    cmocka_unit_test(test_one_cpu),
	    cmocka_unit_test(test_four_cpus_initrd),
	    cmocka_unit_test(test_no_bootargs),
	    cmocka_unit_test(test_max_cpus_fit),
	    cmocka_unit_test(test_buffer_too_small),
	    cmocka_unit_test(test_invalid_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
