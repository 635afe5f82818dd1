/* SPDX-License-Identifier: MIT */
/*
 * The machine's devices and where they sit: the layout of QEMU's `virt`
 * board, so that a kernel built with plain `make defconfig` finds what it
 * expects (dev/ has each device; this file places them).
 *
 *   0x0c000000  PLIC (SiFive-compatible), PLATFORM_PLIC_NDEV sources
 *   0x10000000  NS16550A UART, PLIC source 10
 *   0x10001000  virtio-mmio slots, 4 KiB each, PLIC sources 1..8
 *   0x80000000  RAM
 */
#ifndef MEMVISOR_VMM_PLATFORM_H
#define MEMVISOR_VMM_PLATFORM_H

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

#endif
