/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/platform: a VM's PLIC and UART on its MMIO bus, the
 * PLIC's line reaching the right hart's sip.SEIP, the device tree's view
 * (devices, stdout-path per --console), the virtio slots, and a clone's
 * copies. The VMs here never run (no memory, no scheduler).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/devtree.h"
#include "vmm/platform.h"
#include "vmm/vm.h"

static struct vm *vm_make(unsigned ncpus, enum platform_console console)
{
	struct vm *vm = vm_alloc(ncpus);
	char why[128] = "";

	assert_non_null(vm);
	assert_int_equal(console_create(0, &vm->console), 0);
	assert_int_equal(console_capture(vm->console, 4096), 0);
	vm->owns_console = true;
	assert_int_equal(platform_create(vm, console, why, sizeof(why)), 0);
	assert_non_null(vm->platform);
	return vm;
}

static void vm_unmake(struct vm *vm)
{
	platform_destroy(vm);
	assert_null(vm->platform);
	platform_destroy(vm); /* twice is fine */
	console_destroy(vm->console);
	free(vm);
}

static uint64_t bus_rd(struct vm *vm, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(mmio_bus_access(&vm->mmio, gpa, size, false, &v), 0);
	return v;
}

static void bus_wr(struct vm *vm, uint64_t gpa, unsigned size, uint64_t v)
{
	assert_int_equal(mmio_bus_access(&vm->mmio, gpa, size, true, &v), 0);
}

static bool sei(struct vm *vm, unsigned hart)
{
	return atomic_load(&vm->vcpus[hart].hart.sip) & HART_IRQ_SEI;
}

#define PLIC_ENABLE(c) (PLATFORM_PLIC_BASE + PLIC_ENABLE_BASE + 0x80 * (c))
#define PLIC_CLAIM(c)                                                          \
	(PLATFORM_PLIC_BASE + PLIC_CONTEXT_BASE + 0x1000 * (c) + 4)

static void test_uart_output_on_bus(void **state)
{
	struct vm *vm = vm_make(1, PLATFORM_CONSOLE_SERIAL);
	char out[8];

	(void)state;
	for (const char *s = "ok\n"; *s; s++)
		bus_wr(vm, PLATFORM_UART_BASE + UART_RBR, 1, (uint8_t)*s);
	assert_int_equal(console_captured(vm->console, out, sizeof(out), NULL),
			 3);
	assert_memory_equal(out, "ok\n", 3);
	assert_int_equal(bus_rd(vm, PLATFORM_UART_BASE + UART_LSR, 1),
			 UART_LSR_THRE | UART_LSR_TEMT);
	/* Nothing between the PLIC and the UART, nor after the UART. */
	assert_null(
	    mmio_bus_find(&vm->mmio, PLATFORM_UART_BASE + PLATFORM_UART_SIZE));
	assert_non_null(mmio_bus_find(&vm->mmio, PLATFORM_PLIC_BASE));
	vm_unmake(vm);
}

static void test_seip_per_hart(void **state)
{
	struct vm *vm = vm_make(2, PLATFORM_CONSOLE_SERIAL);

	(void)state;
	bus_wr(vm, PLATFORM_PLIC_BASE + 4 * PLATFORM_UART_IRQ, 4, 1);
	bus_wr(vm, PLIC_ENABLE(1), 4, 1u << PLATFORM_UART_IRQ);
	/* Input with RX interrupts on: hart 1's SEIP, not hart 0's. */
	bus_wr(vm, PLATFORM_UART_BASE + UART_IER, 1, UART_IER_RDI);
	assert_false(sei(vm, 1));
	console_push_input(vm->console, "x", 1);
	assert_true(sei(vm, 1));
	assert_false(sei(vm, 0));
	assert_int_equal(bus_rd(vm, PLIC_CLAIM(1), 4), PLATFORM_UART_IRQ);
	assert_false(sei(vm, 1));
	assert_int_equal(bus_rd(vm, PLATFORM_UART_BASE + UART_RBR, 1), 'x');
	bus_wr(vm, PLIC_CLAIM(1), 4, PLATFORM_UART_IRQ);
	assert_false(sei(vm, 1));
	vm_unmake(vm);
}

static void test_devtree_view(void **state)
{
	struct vm *vm = vm_make(1, PLATFORM_CONSOLE_SERIAL);
	struct vm *sbi = vm_make(1, PLATFORM_CONSOLE_SBI);
	struct devtree_machine m = {0};

	(void)state;
	platform_devtree(vm, &m);
	assert_int_equal(m.plic_base, PLATFORM_PLIC_BASE);
	assert_int_equal(m.plic_ndev, PLATFORM_PLIC_NDEV);
	assert_int_equal(m.ndevices, 3);
	assert_string_equal(m.devices[0].compatible, "ns16550a");
	assert_int_equal(m.devices[0].base, PLATFORM_UART_BASE);
	assert_int_equal(m.devices[0].irq, PLATFORM_UART_IRQ);
	assert_ptr_equal(m.stdout_dev, &m.devices[0]);
	assert_string_equal(m.devices[1].compatible, "microsoft,vmgenid");
	assert_int_equal(m.devices[1].base, PLATFORM_VMGENID_BASE);
	assert_int_equal(m.devices[1].size, VMGENID_SIZE);
	assert_int_equal(m.devices[1].irq, PLATFORM_VMGENID_IRQ);
	assert_string_equal(m.devices[2].compatible, "google,goldfish-rtc");
	assert_int_equal(m.devices[2].base, PLATFORM_RTC_BASE);
	assert_int_equal(m.devices[2].size, RTC_SIZE);
	assert_int_equal(m.devices[2].irq, PLATFORM_RTC_IRQ);
	memset(&m, 0, sizeof(m));
	platform_devtree(sbi, &m);
	assert_int_equal(m.ndevices, 3);
	assert_null(m.stdout_dev);
	vm_unmake(sbi);
	vm_unmake(vm);
}

static int dummy_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	(void)dev;
	(void)size;
	*val = off;
	return 0;
}

static int dummy_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	(void)dev;
	(void)off;
	(void)size;
	(void)val;
	return 0;
}

static const struct mmio_ops dummy_ops = {dummy_read, dummy_write};

static void test_virtio_slots(void **state)
{
	struct vm *vm = vm_make(2, PLATFORM_CONSOLE_SERIAL);
	struct devtree_machine m = {
	    .ncpus = 2,
	    .isa = "rv64imac",
	    .isa_extensions = "i\0m\0a\0c",
	    .isa_extensions_len = 8,
	    .ram_base = VM_RAM_BASE,
	    .ram_size = 64 << 20,
	    .timebase_hz = DEVTREE_TIMEBASE_HZ,
	};
	struct irq_chip *chip = NULL;
	unsigned irq = 0;
	void *blob;

	(void)state;
	for (int n = 0; n < PLATFORM_VIRTIO_SLOTS; n++) {
		assert_int_equal(
		    platform_add_virtio(vm, &dummy_ops, NULL, &irq, &chip), n);
		assert_int_equal(irq, PLATFORM_VIRTIO_IRQ0 + n);
		assert_ptr_equal(chip, &vm->platform->plic.chip);
		assert_int_equal(bus_rd(vm,
					PLATFORM_VIRTIO_BASE +
					    n * PLATFORM_VIRTIO_SIZE + 0x70,
					4),
				 0x70);
	}
	assert_int_equal(platform_add_virtio(vm, &dummy_ops, NULL, &irq, &chip),
			 -ENOSPC);
	/* A slot's line goes through the PLIC like the UART's. */
	bus_wr(vm, PLATFORM_PLIC_BASE + 4 * 3, 4, 1);
	bus_wr(vm, PLIC_ENABLE(0), 4, 1u << 3);
	irq_set(chip, 3, true);
	assert_true(sei(vm, 0));
	irq_set(chip, 3, false);
	assert_false(sei(vm, 0));

	platform_devtree(vm, &m);
	assert_int_equal(m.ndevices, 3 + PLATFORM_VIRTIO_SLOTS);
	assert_string_equal(m.devices[3].compatible, "virtio,mmio");
	blob = calloc(1, DEVTREE_MAX_SIZE);
	assert_non_null(blob);
	assert_true(devtree_build(&m, blob, DEVTREE_MAX_SIZE) > 0);
	free(blob);
	vm_unmake(vm);
}

static void test_clone_copies(void **state)
{
	struct vm *vm = vm_make(2, PLATFORM_CONSOLE_SBI);
	struct vm *c = vm_alloc(2);
	char out[8];

	(void)state;
	bus_wr(vm, PLATFORM_PLIC_BASE + 4 * PLATFORM_UART_IRQ, 4, 2);
	bus_wr(vm, PLIC_ENABLE(1), 4, 1u << PLATFORM_UART_IRQ);
	bus_wr(vm, PLATFORM_UART_BASE + UART_SCR, 1, 0x99);
	bus_wr(vm, PLATFORM_UART_BASE + UART_IER, 1, UART_IER_THRI);
	assert_true(sei(vm, 1));

	assert_non_null(c);
	assert_int_equal(console_create(0, &c->console), 0);
	assert_int_equal(console_capture(c->console, 64), 0);
	assert_int_equal(platform_clone(c, vm), 0);
	/* The copied line reaches the clone's own hart. */
	assert_true(sei(c, 1));
	assert_int_equal(bus_rd(c, PLATFORM_UART_BASE + UART_SCR, 1), 0x99);
	assert_int_equal(
	    bus_rd(c, PLATFORM_PLIC_BASE + 4 * PLATFORM_UART_IRQ, 4), 2);
	assert_int_equal(c->platform->console, PLATFORM_CONSOLE_SBI);
	/* Served in the clone only. */
	assert_int_equal(bus_rd(c, PLIC_CLAIM(1), 4), PLATFORM_UART_IRQ);
	assert_false(sei(c, 1));
	assert_true(sei(vm, 1));
	/* Its output is its own. */
	bus_wr(c, PLATFORM_UART_BASE + UART_RBR, 1, 'c');
	assert_int_equal(console_captured(c->console, out, sizeof(out), NULL),
			 1);
	assert_int_equal(console_captured(vm->console, out, sizeof(out), NULL),
			 0);
	vm_unmake(c);
	vm_unmake(vm);
}

/* The generation ID as the guest reads it, 8 bytes at a time. */
static void genid_read(struct vm *vm, uint64_t id[2])
{
	id[0] = bus_rd(vm, PLATFORM_VMGENID_BASE, 8);
	id[1] = bus_rd(vm, PLATFORM_VMGENID_BASE + 8, 8);
}

static void test_vmgenid(void **state)
{
	struct vm *vm = vm_make(1, PLATFORM_CONSOLE_SBI);
	struct vm *c = vm_alloc(1);
	uint64_t before[2], again[2], parent[2], clone[2], val = 0;

	(void)state;
	genid_read(vm, before);
	genid_read(vm, again);
	assert_memory_equal(before, again, sizeof(before));
	assert_true(before[0] || before[1]);
	/* Byte reads see the same bytes; writes and reads past it fault. */
	assert_int_equal(bus_rd(vm, PLATFORM_VMGENID_BASE + 15, 1),
			 before[1] >> 56);
	assert_int_equal(
	    mmio_bus_access(&vm->mmio, PLATFORM_VMGENID_BASE, 4, true, &val),
	    -EFAULT);
	assert_int_equal(mmio_bus_access(&vm->mmio, PLATFORM_VMGENID_BASE + 12,
					 8, false, &val),
			 -EFAULT);
	bus_wr(vm, PLATFORM_PLIC_BASE + 4 * PLATFORM_VMGENID_IRQ, 4, 1);
	bus_wr(vm, PLIC_ENABLE(0), 4, 1u << PLATFORM_VMGENID_IRQ);
	assert_false(sei(vm, 0));

	assert_non_null(c);
	assert_int_equal(console_create(0, &c->console), 0);
	assert_int_equal(platform_clone(c, vm), 0);
	/* The clone is a new generation and says so; the parent is not. */
	assert_false(sei(vm, 0));
	assert_true(sei(c, 0));
	assert_int_equal(bus_rd(c, PLIC_CLAIM(0), 4), PLATFORM_VMGENID_IRQ);
	genid_read(c, clone);
	bus_wr(c, PLIC_CLAIM(0), 4, PLATFORM_VMGENID_IRQ);
	/* Read: the line is down, nothing more pending. */
	assert_false(sei(c, 0));
	genid_read(vm, parent);
	assert_memory_equal(parent, before, sizeof(before));
	assert_memory_not_equal(clone, before, sizeof(before));
	vm_unmake(c);
	vm_unmake(vm);
}

/* The clock is on the bus, set from the host's; a clone's goes on from
 * its parent's, a time the parent set included. */
static void test_rtc(void **state)
{
	struct vm *vm = vm_make(1, PLATFORM_CONSOLE_SBI);
	struct vm *c = vm_alloc(1);
	const uint64_t set = 1500000000ull * 1000000000ull; /* 2017 */
	uint64_t lo, t;

	(void)state;
	lo = bus_rd(vm, PLATFORM_RTC_BASE, 4);
	t = bus_rd(vm, PLATFORM_RTC_BASE + 4, 4) << 32 | lo;
	assert_true(t > 1700000000ull * 1000000000ull); /* after 2023 */
	bus_wr(vm, PLATFORM_RTC_BASE + 4, 4, set >> 32);
	bus_wr(vm, PLATFORM_RTC_BASE, 4, (uint32_t)set);
	assert_non_null(c);
	assert_int_equal(console_create(0, &c->console), 0);
	assert_int_equal(platform_clone(c, vm), 0);
	lo = bus_rd(c, PLATFORM_RTC_BASE, 4);
	t = bus_rd(c, PLATFORM_RTC_BASE + 4, 4) << 32 | lo;
	assert_true(t >= set && t < set + 60ull * 1000000000ull);
	vm_unmake(c);
	vm_unmake(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uart_output_on_bus),
	    cmocka_unit_test(test_seip_per_hart),
	    cmocka_unit_test(test_devtree_view),
	    cmocka_unit_test(test_virtio_slots),
	    cmocka_unit_test(test_clone_copies),
	    cmocka_unit_test(test_vmgenid),
	    cmocka_unit_test(test_rtc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
