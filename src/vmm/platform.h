/* SPDX-License-Identifier: MIT */
/*
 * The machine's devices and where they sit: the layout of QEMU's `virt`
 * board, so that a kernel built with plain `make defconfig` finds what it
 * expects (dev/ has each device; this file places them).
 *
 *   0x00101000  real-time clock (Goldfish layout), PLIC source 12
 *   0x0c000000  PLIC (SiFive-compatible), PLATFORM_PLIC_NDEV sources
 *   0x10000000  NS16550A UART, PLIC source 10
 *   0x10001000  virtio-mmio slots, 4 KiB each, PLIC sources 1..8
 *   0x10009000  VM generation ID (16 bytes), PLIC source 11
 *   0x80000000  RAM
 */
#ifndef MEMVISOR_VMM_PLATFORM_H
#define MEMVISOR_VMM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "dev/devtree.h"
#include "dev/irq.h"
#include "dev/mmio.h"
#include "dev/plic.h"
#include "dev/rtc.h"
#include "dev/uart.h"
#include "dev/vmgenid.h"

#define PLATFORM_PLIC_BASE 0x0c000000ull
#define PLATFORM_PLIC_SIZE 0x04000000ull
#define PLATFORM_PLIC_NDEV 31

#define PLATFORM_UART_BASE 0x10000000ull
#define PLATFORM_UART_SIZE 0x100ull
#define PLATFORM_UART_IRQ  10
#define PLATFORM_UART_HZ   3686400u

#define PLATFORM_VIRTIO_BASE  0x10001000ull
#define PLATFORM_VIRTIO_SIZE  0x1000ull
#define PLATFORM_VIRTIO_SLOTS 8
#define PLATFORM_VIRTIO_IRQ0  1 /* slot n: PLIC source 1 + n */

#define PLATFORM_VMGENID_BASE 0x10009000ull
#define PLATFORM_VMGENID_IRQ  11

#define PLATFORM_RTC_BASE 0x00101000ull
#define PLATFORM_RTC_IRQ  12

struct vm;

/* Where /chosen/stdout-path points (memvisor run --console). */
enum platform_console {
	PLATFORM_CONSOLE_SERIAL, /* the UART: what a stock kernel needs */
	PLATFORM_CONSOLE_SBI,	 /* none: the SBI console (hvc0) */
};

/* A VM's devices; vm->platform. */
struct platform {
	struct vm *vm;
	struct plic plic;
	struct uart uart;
	struct vmgenid genid;
	struct rtc rtc;
	enum platform_console console;
	unsigned nvirtio; /* virtio slots taken, 0 .. nvirtio - 1 */
	/* What the device tree describes: the UART, the generation ID, the
	 * clock, then the virtio slots. */
	struct devtree_device devices[3 + PLATFORM_VIRTIO_SLOTS];
	unsigned ndevices;
};

/*
 * Give vm its platform: a PLIC routing to each of its harts (context n =
 * hart n: the PLIC sets and clears sip.SEIP and wakes an idle VCPU), a
 * UART on vm->console, a VM generation ID (dev/vmgenid.h) and a
 * real-time clock (dev/rtc.h), all on
 * vm->mmio. vm's nvcpus, vcpus and console
 * must be set. console says where stdout-path points. Returns 0 (sets
 * vm->platform), or a negative errno with a one-line reason in why.
 */
int platform_create(struct vm *vm, enum platform_console console, char *why,
		    size_t whylen);

/* Free vm->platform (NULL is fine); before vm's console goes. */
void platform_destroy(struct vm *vm);

/*
 * Give clone, a clone of src (src quiescent), its own platform: a copy of
 * src's device state, on clone's own console, with a new generation ID
 * (its interrupt raised) and src's clock going on; the harts' SEIP follows
 * the copied PLIC. clone's
 * VCPUs, mmio bus and console must be set up. Virtio devices are not copied
 * here. Returns 0 or a negative errno.
 */
int platform_clone(struct vm *clone, struct vm *src);

/*
 * Put the platform into the description of the machine m: the PLIC, the
 * devices and stdout-path. The pointers stay valid while vm lives.
 */
void platform_devtree(const struct vm *vm, struct devtree_machine *m);

/*
 * Take the next virtio-mmio slot n for a device served by ops on dev:
 * its registers at PLATFORM_VIRTIO_BASE + n * PLATFORM_VIRTIO_SIZE on
 * vm->mmio, a device tree node "virtio_mmio@..." with compatible
 * "virtio,mmio", and PLIC source PLATFORM_VIRTIO_IRQ0 + n, returned in
 * *irq_out with the chip to raise it on in *chip_out. Before the device
 * tree is built (inside vm_create()). Returns n, or -ENOSPC when every
 * slot is taken, -ENODEV without a platform, or mmio_bus_add()'s error.
 */
int platform_add_virtio(struct vm *vm, const struct mmio_ops *ops, void *dev,
			unsigned *irq_out, struct irq_chip **chip_out);

/*
 * For a clone's devices, which sit where their parent's do: the interrupt
 * line of virtio slot (its PLIC source and chip), and the registers of the
 * slot's device ops/dev on vm->mmio (the slot's device tree node came
 * with platform_clone()). platform_put_virtio() returns 0, -ENODEV
 * without a platform or a slot not taken, or mmio_bus_add()'s error.
 */
void platform_virtio_line(struct vm *vm, unsigned slot, unsigned *irq_out,
			  struct irq_chip **chip_out);
int platform_put_virtio(struct vm *vm, unsigned slot,
			const struct mmio_ops *ops, void *dev);

#endif
