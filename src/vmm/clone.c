/* SPDX-License-Identifier: MIT */
#include "vmm/clone.h"

#include <errno.h>
#include <stdlib.h>

int vm_clone(struct vm *src, unsigned eager_levels, uint16_t net_port,
	     struct vm **out)
{
	struct vm *c;
	int r;

	c = vm_alloc(src->nvcpus);
	if (!c)
		return -ENOMEM;
	c->parent = src->id;
	c->clone_net_port = net_port;
	c->inspect = inspect_get(src->inspect);
	c->ram_base = src->ram_base;
	c->ram_size = src->ram_size;
	/* Guest time goes on: the clone's clock is its parent's. */
	c->time_base_ns = src->time_base_ns;
	/* Its harts run the translations of src's family (cpu/jit/share.h):
	 * the frames they were made from are its own now too. */
	c->jit_share = jit_share_get(src->jit_share);

	/* The clone's ring is its own to register: it starts with none. */
	r = dlh_init(&c->dlh);
	if (r)
		goto err_free;
	r = console_create(0, &c->console);
	if (r)
		goto err_dlh;
	c->owns_console = true;
	r = console_capture(c->console, CLONE_CONSOLE_CAPTURE);
	if (r)
		goto err_console;
	/* The devices hold still from before the memory is cloned until
	 * their state is copied: both are of the same moment. */
	vm_devices_freeze(src);
	if (eager_levels == CLONE_COPY_ALL)
		r = gstage_copy_all(&c->gs, &src->gs);
	else
		r = gstage_clone(&c->gs, &src->gs, eager_levels);
	if (r) {
		vm_devices_thaw(src);
		goto err_console;
	}

	for (unsigned i = 0; i < c->nvcpus; i++) {
		struct vcpu *v = &c->vcpus[i];
		const struct vcpu *p = &src->vcpus[i];

		vm_vcpu_init(c, i);
		hart_copy_state(&v->hart, &p->hart);
		/* One paused in WFI waits there in the clone too (the
		 * scheduler looks at its interrupts when it adds the clone). */
		if (p->paused_idle)
			atomic_store(&v->state, VCPU_IDLE);
		else if (atomic_load(&p->state) != VCPU_STOPPED)
			atomic_store(&v->state, VCPU_RUNNABLE);
	}
	/* After the harts: the copied PLIC sets their SEIP. */
	r = platform_clone(c, src);
	if (r) {
		vm_devices_thaw(src);
		goto err_harts;
	}
	/* Each device carries on from src's, in the same slot (a disk as a
	 * copy-on-write overlay of src's). */
	r = vm_devices_clone(c, src);
	vm_devices_thaw(src);
	if (r)
		goto err_platform;
	*out = c;
	return 0;

err_platform:
	platform_destroy(c);
err_harts:
	for (unsigned i = 0; i < c->nvcpus; i++)
		hart_destroy(&c->vcpus[i].hart);
	gstage_destroy(&c->gs);

err_console:
	console_destroy(c->console);
err_dlh:
	dlh_destroy(&c->dlh);
err_free:
	jit_share_put(c->jit_share);
	inspect_put(c->inspect);
	free(c);
	return r;
}
