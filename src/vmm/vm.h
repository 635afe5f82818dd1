/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: guest memory (a G-stage over the shared frame pool),
 * its VCPUs, its console, and its life from boot to shutdown.
 */
#ifndef MEMVISOR_VMM_VM_H
#define MEMVISOR_VMM_VM_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/hart.h"
#include "cpu/jit/share.h"
#include "dev/console.h"
#include "dev/mmio.h"
#include "mem/gstage.h"
#include "vmm/dlh.h"
#include "vmm/inspect.h"
#include "vmm/devices.h"
#include "vmm/disks.h"
#include "vmm/nets.h"
#include "vmm/platform.h"

#define VM_RAM_BASE  0x80000000ull
#define VM_MAX_VCPUS 8
#define VM_WHY_LEN   256

_Static_assert(VM_MAX_VCPUS <= DLH_MAX_RINGS, "a DLH ring per hart");

struct vm;
struct pcpu;
struct share_age;
struct virtio_rng;
struct vm_balloon;

/* Where a VCPU is in the scheduler's eyes (vmm/sched.c). */
enum vcpu_state {
	VCPU_STOPPED,  /* not started (SBI HSM) or stopped */
	VCPU_RUNNABLE, /* on the run queue */
	VCPU_RUNNING,  /* on a PCPU */
	VCPU_IDLE,     /* in WFI or HSM suspend, waiting for an interrupt */
	VCPU_PAUSED,   /* its VM is paused */
};

struct vcpu {
	struct hart hart;
	struct vm *vm;
	_Atomic int state;   /* enum vcpu_state; changed under the sched lock */
	bool stop_requested; /* HSM hart_stop: leave the CPU as STOPPED */
	bool suspended;	     /* idle through HSM hart_suspend */
	bool paused_idle;    /* PAUSED from IDLE: resumes waiting there */
	struct vcpu *next;   /* run queue / idle list link */
	uint64_t exits_ecall, exits_wfi, slices;
};

/* The VCPU a hart belongs to. */
static inline struct vcpu *vcpu_of_hart(struct hart *h)
{
	return (struct vcpu *)((char *)h - offsetof(struct vcpu, hart));
}

/* How a VM ended; the value memvisor run exits with. */
enum vm_exit {
	VM_EXIT_SHUTDOWN = 0, /* SBI SRST shutdown, no reason given */
	VM_EXIT_FAILURE = 1,  /* SRST with reason "system failure" */
	VM_EXIT_REBOOT = 3,   /* SRST reboot: memvisor does not reboot guests */
	VM_EXIT_ERROR = 4,    /* memvisor stopped the VM (e.g. out of memory) */
};

struct vm_config {
	const char *kernel;  /* Linux Image or bare-metal ELF */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: none */
	uint64_t ram_size;
	unsigned ncpus;
	/* Introspection: the kernel's symbols (NULL: found beside it) and
	 * where its profile is built (NULL: inspect_default_config()). */
	const char *symbols;
	const struct vmi_profile_config *vmi;
	/* Features the guest is not given (--cpu-disable): extensions of
	 * ISA_OPTIONAL, and ASIDs. Both 0: the whole machine. */
	isa_set isa_off;
	bool asid_off;
	/* How its harts run guest code (--cpu-tier); HART_TIER_DEFAULT:
	 * hart_default_tier(). */
	enum hart_tier tier;
	unsigned jit_threshold; /* --jit-threshold; 0: JIT_THRESHOLD */
	bool jit_private;	/* --jit-share off: a code cache per hart */
	/* Where the device tree's stdout-path points (--console); the UART
	 * and the SBI console are both there either way. */
	enum platform_console console;
	/* Its disks (--disk), each a virtio-blk device. */
	const struct vm_disk_config *disks;
	unsigned ndisks;
	/* Its network (--net user), NULL: none. */
	const struct vm_net_config *net;
	/* A virtio-rng device (--rng), a virtio-balloon (--balloon). */
	bool rng, balloon;
};

struct vm {
	unsigned id; /* given by hv_add(); 0 until then */
	struct gstage gs;
	uint64_t ram_base, ram_size;
	struct mmio_bus mmio;	   /* its devices (vmm/platform.h) */
	struct platform *platform; /* PLIC, UART; NULL in bare test VMs */
	struct virtio_blk *disks[VM_MAX_DISKS]; /* vmm/disks.h */
	unsigned disk_slot[VM_MAX_DISKS];	/* their virtio slots */
	unsigned ndisks;
	struct vm_net *net;	/* vmm/nets.h; NULL: no network */
	struct virtio_rng *rng; /* vmm/rngs.h; NULL: none */
	unsigned rng_slot;
	struct vm_balloon *balloon; /* vmm/balloons.h; NULL: none */
	uint16_t clone_net_port;    /* a clone's first forwarded host port; 0:
				       free ones (vm_clone()) */
	unsigned nvcpus;
	struct console *console;
	bool owns_console; /* vm_destroy() destroys it */
	uint64_t time_base_ns;
	isa_set isa;		/* what its harts implement (cpu/isa.h) */
	unsigned asid_bits;	/* their satp ASIDLEN */
	enum hart_tier tier;	/* theirs; HART_TIER_DEFAULT: the host's */
	unsigned jit_threshold; /* theirs (struct hart) */
	/* The code cache of its harts, its parent's and its clones' (one
	 * reference; cpu/jit/share.h); NULL: each hart has its own. */
	struct jit_share *jit_share;
	struct sched *sched;	 /* set by sched_add_vm() */
	struct dlh dlh;		 /* deferrable hypercalls: no ring at first */
	struct inspect *inspect; /* its kernel, shared with its clones */

	_Atomic bool stopping;	 /* shutdown requested: VCPUs leave the CPUs */
	_Atomic uint64_t cpu_ns; /* host time its VCPUs spent on PCPUs, the
				    DLH work done for it included */
	uint64_t slice_debt_ns;	 /* under the scheduler's lock: how much
				    longer than SCHED_SLICE_NS its slices
				    took, not yet paid back (vmm/sched.c) */
	bool paused;		 /* under the scheduler's lock */
	uint64_t resumes;	 /* times it was resumed: ages page maps */
	struct {
		uint64_t interval_ns, next_ns; /* periodic sharing; 0: off */
		uint64_t runs, shared, released;
		struct share_age *age; /* periodic: how long pages are free */
	} share; /* free-page sharing (vmm/share.h), under the hv lock */
	unsigned parent;      /* id of the VM this one was cloned from */
	int exit_status;      /* enum vm_exit, valid once stopping */
	char why[VM_WHY_LEN]; /* what stopped it, for VM_EXIT_ERROR */
	struct vcpu vcpus[];  /* nvcpus of them: a clone pays for its own */
};

/* Allocate a zeroed struct vm with room for nvcpus VCPUs; NULL if none. */
struct vm *vm_alloc(unsigned nvcpus);

/*
 * Create a VM from cfg with its memory in pool: load the kernel (a RISC-V
 * Linux Image, or an ELF for bare-metal guests), the initrd and a device
 * tree, and put VCPU 0 at the entry with a1 = device tree address; the
 * other VCPUs wait for SBI HSM hart_start. Output goes to console (the
 * caller keeps owning it). Returns 0 and sets *out, or a negative errno
 * with a one-line reason in why.
 */
int vm_create(const struct vm_config *cfg, struct frame_pool *pool,
	      struct console *console, struct vm **out, char *why,
	      size_t whylen);

/* Free vm and all its memory. Its VCPUs must not be on a PCPU. */
void vm_destroy(struct vm *vm);

/* Ask the VM to stop with status (first request wins). Any thread. */
void vm_stop(struct vm *vm, int status, const char *why);

/* The VCPU with hart id hartid, or NULL. */
struct vcpu *vm_vcpu(struct vm *vm, uint64_t hartid);

/*
 * Set up VCPU i of vm (hart_init(), owner, state STOPPED, and, in a VM of
 * several VCPUs, the copy-on-write shootdown hook). vm's gs, nvcpus and
 * time_base_ns must be set.
 */
void vm_vcpu_init(struct vm *vm, unsigned i);

#endif
