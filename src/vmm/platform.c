/* SPDX-License-Identifier: MIT */
#include "vmm/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sched.h"
#include "vmm/vm.h"

static const char platform_uart_compat[] = "ns16550a";
static const char platform_virtio_compat[] = "virtio,mmio";
static const char platform_vmgenid_compat[] = "microsoft,vmgenid";
static const char platform_rtc_compat[] = "google,goldfish-rtc";

/* The PLIC's context ctx (hart ctx) changed its external-interrupt line. */
static void platform_eip(void *opaque, unsigned ctx, bool level)
{
	struct vm *vm = opaque;
	struct vcpu *v;

	if (ctx >= vm->nvcpus)
		return;
	v = &vm->vcpus[ctx];
	if (!level) {
		hart_clear_pending(&v->hart, HART_IRQ_SEI);
		return;
	}
	hart_set_pending(&v->hart, HART_IRQ_SEI);
	if (vm->sched)
		sched_wake(vm->sched, v);
}

/* The PLIC, the UART and their places on the bus, for a VM of nvcpus. */
static int platform_alloc(struct vm *vm, enum platform_console console,
			  struct platform **out, char *why, size_t whylen)
{
	struct platform *p = calloc(1, sizeof(*p));
	struct devtree_device *d;
	int r;

	if (!p) {
		snprintf(why, whylen, "out of host memory for the devices");
		return -ENOMEM;
	}
	p->vm = vm;
	p->console = console;
	r = plic_init(&p->plic, PLATFORM_PLIC_NDEV, vm->nvcpus, platform_eip,
		      vm);
	if (r) {
		snprintf(why, whylen, "cannot set up a PLIC for %u harts",
			 vm->nvcpus);
		goto err_free;
	}
	uart_init(&p->uart, vm->console, &p->plic.chip, PLATFORM_UART_IRQ);
	r = vmgenid_init(&p->genid, &p->plic.chip, PLATFORM_VMGENID_IRQ);
	if (r) {
		snprintf(why, whylen, "cannot make a VM generation ID: %s",
			 strerror(-r));
		goto err_uart;
	}
	r = rtc_init(&p->rtc, &p->plic.chip, PLATFORM_RTC_IRQ);
	if (r) {
		snprintf(why, whylen, "cannot set up the clock: %s",
			 strerror(-r));
		goto err_genid;
	}
	r = mmio_bus_add(&vm->mmio, PLATFORM_PLIC_BASE, PLATFORM_PLIC_SIZE,
			 &plic_mmio_ops, &p->plic, "plic");
	if (!r)
		r = mmio_bus_add(&vm->mmio, PLATFORM_UART_BASE,
				 PLATFORM_UART_SIZE, &uart_mmio_ops, &p->uart,
				 "uart");
	if (!r)
		r = mmio_bus_add(&vm->mmio, PLATFORM_VMGENID_BASE, VMGENID_SIZE,
				 &vmgenid_mmio_ops, &p->genid, "vmgenid");
	if (!r)
		r = mmio_bus_add(&vm->mmio, PLATFORM_RTC_BASE, RTC_SIZE,
				 &rtc_mmio_ops, &p->rtc, "rtc");
	if (r) {
		snprintf(
		    why, whylen,
		    "cannot place the PLIC, UART, generation ID and clock: "
		    "%s",
		    strerror(-r));
		goto err_rtc;
	}
	d = &p->devices[p->ndevices++];
	d->node = "serial";
	d->compatible = platform_uart_compat;
	d->compatible_len = sizeof(platform_uart_compat);
	d->base = PLATFORM_UART_BASE;
	d->size = PLATFORM_UART_SIZE;
	d->irq = PLATFORM_UART_IRQ;
	d->clock_hz = PLATFORM_UART_HZ;
	d = &p->devices[p->ndevices++];
	d->node = "vmgenid";
	d->compatible = platform_vmgenid_compat;
	d->compatible_len = sizeof(platform_vmgenid_compat);
	d->base = PLATFORM_VMGENID_BASE;
	d->size = VMGENID_SIZE;
	d->irq = PLATFORM_VMGENID_IRQ;
	d = &p->devices[p->ndevices++];
	d->node = "rtc";
	d->compatible = platform_rtc_compat;
	d->compatible_len = sizeof(platform_rtc_compat);
	d->base = PLATFORM_RTC_BASE;
	d->size = RTC_SIZE;
	d->irq = PLATFORM_RTC_IRQ;
	*out = p;
	return 0;

err_rtc:
	rtc_destroy(&p->rtc);
err_genid:
	vmgenid_destroy(&p->genid);
err_uart:
	uart_destroy(&p->uart);
	plic_destroy(&p->plic);
err_free:
	free(p);
	return r;
}

int platform_create(struct vm *vm, enum platform_console console, char *why,
		    size_t whylen)
{
	return platform_alloc(vm, console, &vm->platform, why, whylen);
}

void platform_destroy(struct vm *vm)
{
	struct platform *p = vm->platform;

	if (!p)
		return;
	rtc_destroy(&p->rtc);
	vmgenid_destroy(&p->genid);
	uart_destroy(&p->uart);
	plic_destroy(&p->plic);
	free(p);
	vm->platform = NULL;
}

int platform_clone(struct vm *clone, struct vm *src)
{
	struct platform *sp = src->platform, *p;
	char why[128];
	int r;

	if (!sp)
		return 0;
	r = platform_alloc(clone, sp->console, &p, why, sizeof(why));
	if (r)
		return r;
	/* The virtio slots' descriptions; their devices are their own. */
	memcpy(p->devices, sp->devices, sizeof(p->devices));
	p->ndevices = sp->ndevices;
	p->nvirtio = sp->nvirtio;
	clone->platform = p;
	plic_copy_state(&p->plic, &sp->plic);
	uart_copy_state(&p->uart, &sp->uart);
	/* A clone is a new generation: its kernel reseeds its random pool
	 * (the parent keeps its own identifier). Its clock goes on. */
	r = rtc_copy_state(&p->rtc, &sp->rtc);
	if (!r)
		r = vmgenid_change(&p->genid);
	if (r) {
		platform_destroy(clone);
		return r;
	}
	return 0;
}

void platform_devtree(const struct vm *vm, struct devtree_machine *m)
{
	const struct platform *p = vm->platform;

	if (!p)
		return;
	m->plic_base = PLATFORM_PLIC_BASE;
	m->plic_size = PLATFORM_PLIC_SIZE;
	m->plic_ndev = PLATFORM_PLIC_NDEV;
	m->devices = p->devices;
	m->ndevices = p->ndevices;
	m->stdout_dev =
	    p->console == PLATFORM_CONSOLE_SERIAL ? &p->devices[0] : NULL;
}

static uint64_t platform_virtio_base(unsigned slot)
{
	return PLATFORM_VIRTIO_BASE + slot * PLATFORM_VIRTIO_SIZE;
}

void platform_virtio_line(struct vm *vm, unsigned slot, unsigned *irq_out,
			  struct irq_chip **chip_out)
{
	*irq_out = PLATFORM_VIRTIO_IRQ0 + slot;
	*chip_out = vm->platform ? &vm->platform->plic.chip : NULL;
}

int platform_put_virtio(struct vm *vm, unsigned slot,
			const struct mmio_ops *ops, void *dev)
{
	if (!vm->platform || slot >= vm->platform->nvirtio)
		return -ENODEV;
	return mmio_bus_add(&vm->mmio, platform_virtio_base(slot),
			    PLATFORM_VIRTIO_SIZE, ops, dev, "virtio-mmio");
}

int platform_add_virtio(struct vm *vm, const struct mmio_ops *ops, void *dev,
			unsigned *irq_out, struct irq_chip **chip_out)
{
	struct platform *p = vm->platform;
	struct devtree_device *d;
	unsigned n;
	uint64_t base;
	int r;

	if (!p)
		return -ENODEV;
	if (p->nvirtio >= PLATFORM_VIRTIO_SLOTS)
		return -ENOSPC;
	n = p->nvirtio;
	base = platform_virtio_base(n);
	r = mmio_bus_add(&vm->mmio, base, PLATFORM_VIRTIO_SIZE, ops, dev,
			 "virtio-mmio");
	if (r)
		return r;
	p->nvirtio++;
	d = &p->devices[p->ndevices++];
	d->node = "virtio_mmio";
	d->compatible = platform_virtio_compat;
	d->compatible_len = sizeof(platform_virtio_compat);
	d->base = base;
	d->size = PLATFORM_VIRTIO_SIZE;
	platform_virtio_line(vm, n, irq_out, chip_out);
	d->irq = *irq_out;
	return (int)n;
}
