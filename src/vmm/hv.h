/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor as a whole: one frame pool, one scheduler and every VM,
 * each named by a small integer id. This is what the control API (api/)
 * and the CLI drive. Every function is thread-safe.
 */
#ifndef MEMVISOR_VMM_HV_H
#define MEMVISOR_VMM_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmi/classify.h"
#include "vmm/balloons.h"
#include "vmm/rngs.h"
#include "vmm/vm.h"

struct hv;

/* What `list` and `stats` report of one VM. */
struct hv_vm_info {
	unsigned id;
	unsigned parent; /* id of the VM it was cloned from; 0: none */
	unsigned nvcpus;
	uint64_t ram_size; /* guest RAM in bytes */
	bool paused;
	bool stopped; /* shut down (exit_status is valid) */
	int exit_status;
	/* memory */
	uint64_t tables;	/* G-stage table frames it holds */
	uint64_t pages;		/* guest pages mapped */
	uint64_t frames_owned;	/* data frames only it references */
	uint64_t frames_shared; /* data frames it shares with other VMs */
	uint64_t replications;	/* shared tables it copied on access */
	uint64_t cow_breaks;	/* copy-on-write breaks (copies + takeovers) */
	uint64_t populated;	/* pages zero-filled on first touch */
	uint64_t zero_pages;	/* pages backed by the zero frame */
	/* sharing of free pages */
	uint64_t share_runs;	    /* hv_share() calls on it */
	uint64_t share_interval_ns; /* periodic sharing, 0: off */
	uint64_t shared_pages;	    /* pages moved to the zero frame */
	uint64_t released_frames;   /* frames given back by sharing */
	/* execution */
	uint64_t instret; /* instructions retired, all VCPUs */
	uint64_t exits;	  /* hypercall and WFI exits, all VCPUs */
	uint64_t cpu_ns;  /* host time its VCPUs spent on PCPUs, DLH included */
	enum hart_tier tier;		/* VCPU 0's (they all have one) */
	struct hart_tier_stats tier_st; /* the translating tier, all VCPUs */
	bool jit_shared; /* its code cache is its family's (cpu/jit/share.h) */
	/* deferrable hypercalls */
	uint64_t dlh_counter;	/* MEMVISOR_DLH_R_COUNTER_ADD's sum */
	uint64_t dlh_entries;	/* ring entries run */
	uint64_t dlh_drains;	/* drains that ran at least one */
	uint64_t dlh_notifies;	/* DLH_NOTIFY calls */
	uint64_t dlh_sync;	/* synchronous DLH calls */
	uint64_t dlh_malformed; /* rings found malformed */
	uint64_t dlh_hinted;	/* pages free-page hints gave back */
	uint64_t dlh_ns;	/* host time in drains, charged to this VM */
	/* disks (vmm/disks.h), in slot order */
	unsigned ndisks;
	struct virtio_blk_stats disks[VM_MAX_DISKS];
	/* network (vmm/nets.h); net.present false: none */
	struct vm_net_info net;
	/* entropy (vmm/rngs.h) and balloon (vmm/balloons.h) */
	bool has_rng, has_balloon;
	struct virtio_rng_stats rng;
	struct virtio_balloon_stats balloon;
	/* the VM generation ID (dev/vmgenid.h) */
	uint8_t genid[VMGENID_SIZE];
	uint64_t genid_changes;
};

/*
 * The reserve the warmer thread keeps once VMs have been cloned (see
 * frame_pool_prefault()): HV_WARM_FRAMES zero frames (16 MiB) for
 * copy-on-write breaks and populate, HV_WARM_RUNS ready G-stage roots
 * (4 MiB: a burst of 256 clones), refilled whenever either falls to half.
 * On hosts where the first touch of a page is slow (this project's CI
 * machines: ~14-22 µs), a clone or a copy-on-write break would otherwise
 * pay it on its own path. Before the first clone the warmer stays idle:
 * prefaulting while a guest boots competes with the guest's own first
 * touches.
 */
#define HV_WARM_FRAMES 4096u
#define HV_WARM_RUNS   256u

/*
 * Create the hypervisor: a frame pool of host_memory bytes and npcpus PCPU
 * threads (0: one per host core). Returns 0 and sets *out, or a negative
 * errno.
 */
int hv_create(uint64_t host_memory, unsigned npcpus, struct hv **out);

/* Stop every VM, the PCPUs, and free everything. */
void hv_destroy(struct hv *hv);

/* The frame pool VMs of hv take their memory from. */
struct frame_pool *hv_pool(struct hv *hv);

/*
 * Take vm (from vm_create() on hv_pool()) into hv and start it. Returns its
 * id (> 0) or a negative errno; on error vm stays the caller's.
 */
int hv_add(struct hv *hv, struct vm *vm);

/*
 * Pause a VM: every VCPU leaves its PCPU and stays off until hv_resume().
 * Returns 0, -ENOENT (no such VM), -EALREADY (already paused) or -ESRCH
 * (the VM has stopped).
 */
int hv_pause(struct hv *hv, unsigned id);
int hv_resume(struct hv *hv, unsigned id);

/*
 * Clone VM id count times (vm_clone(), eager_levels G-stage levels copied;
 * 1 is the lazy clone). With a network, clone i's forwards listen on host
 * ports net_port + i * (forwards) on, or on free ones when net_port is 0
 * (hv_info() says which). The source is paused at a safe point for the whole
 * operation and resumed after (unless it was paused before). New ids go to
 * ids[0..*made-1]. Returns 0 when all count clones were made; otherwise a
 * negative errno (-ENOMEM when the host-memory limit was reached) with the
 * clones made so far still valid and counted in *made.
 */
int hv_clone(struct hv *hv, unsigned id, unsigned count, unsigned eager_levels,
	     unsigned net_port, unsigned *ids, unsigned *made);

/*
 * Have the warmer fill its reserve up now (HV_WARM_FRAMES frames and
 * HV_WARM_RUNS roots ready), even when it is above the half at which the
 * warmer refills on its own, and wait for that pass. For a caller that
 * wants the steady state a running memvisor is in between requests (the
 * benchmarks). Returns 0 when the pass left the reserve full; -EAGAIN when
 * no VM was cloned yet (the warmer is idle); -ENOSPC when the host-memory
 * limit leaves no room for the reserve; -ETIMEDOUT after timeout_ns.
 */
int hv_warm_wait(struct hv *hv, uint64_t timeout_ns);

/* Stop and free VM id (its clones are unaffected). Returns 0 or -ENOENT. */
int hv_destroy_vm(struct hv *hv, unsigned id);

/*
 * Append len bytes to VM id's console input. Returns the number of bytes
 * queued (the rest did not fit), or -ENOENT.
 */
long hv_console_input(struct hv *hv, unsigned id, const void *buf, size_t len);

/*
 * Copy up to len bytes of VM id's captured console output (oldest first)
 * into buf. Returns the number of bytes the capture holds (may exceed
 * len), -ENOENT, or -ENODEV when that VM's console is not captured (its
 * output goes to memvisor's standard output).
 */
long hv_console_output(struct hv *hv, unsigned id, void *buf, size_t len);

/*
 * The page map of VM id (vmi_classify()): get its kernel's profile first
 * (built on first use, which may take minutes; other requests go on
 * meanwhile), then pause the VM, classify every frame of its RAM (with
 * free_only: only free blocks told from the rest) and resume it (unless
 * it was paused already). Returns 0, filling *map
 * (release with vmi_map_free()) and *pause_ns (how long the VM stood
 * still), or a negative errno with the reason in why: -ENOENT (no such
 * VM), -ESRCH (it has stopped), or an error of vmi_profile_get() or
 * vmi_classify().
 */
int hv_inspect(struct hv *hv, unsigned id, bool free_only, struct vmi_map *map,
	       uint64_t *pause_ns, char *why, size_t whylen);

/* What one hv_share() did. */
struct hv_share_result {
	uint64_t free_pages; /* pages the guest's kernel held free */
	uint64_t shared;     /* of them, moved to the zero frame now */
	uint64_t pcp_pages;  /* free too, but on the kernel's per-CPU lists,
				not its buddy lists: not in the map */
	uint64_t released;   /* frames given back to the pool (host) */
	uint64_t pause_ns;   /* how long the VM stood still */
	uint64_t identify_ns, share_ns; /* the two parts of the pause */
	uint64_t release_ns; /* giving the frames back, after the pause */
};

/*
 * Share VM id's free pages (mechanism 4): as hv_inspect() with free_only,
 * then, in the
 * same pause, back every free page of the map by the zero frame
 * (share_free()); once the VM runs again, give the frames back to the host
 * (frame_put_vec()). Serialised with clone and destroy. stable_only: share
 * only the pages that were free at the last stable_only call too (the
 * periodic policy; the first such call shares nothing).
 * Returns 0 and fills *res, or a negative errno with the reason in why
 * (as hv_inspect(): no such VM, not Linux, no profile ... and then
 * nothing changed).
 */
int hv_share(struct hv *hv, unsigned id, bool stable_only,
	     struct hv_share_result *res, char *why, size_t whylen);

/*
 * Share VM id's free pages every interval_ns from now on (0: stop), or,
 * with id 0, every VM's and every VM made later (clones too). A thread
 * does it, started on first use; it shares the pages that stayed free
 * for a whole interval (hv_share() with stable_only). Returns 0, -ENOENT, or
 * the error of starting the thread.
 */
int hv_share_interval(struct hv *hv, unsigned id, uint64_t interval_ns);

/* What one hv_dedup() did. */
struct hv_dedup_result {
	uint64_t vms;	   /* VMs merged across */
	uint64_t pages;	   /* data pages looked at */
	uint64_t frames;   /* distinct frames behind them */
	uint64_t zero;	   /* pages of zeros moved to the zero frame */
	uint64_t merged;   /* pages moved onto an equal page's frame */
	uint64_t released; /* frames given back to the host */
	uint64_t pause_ns; /* how long the VMs stood still */
	uint64_t release_ns;
};

/*
 * Content-based merging across every running VM (dedup_merge()): all are
 * paused meanwhile, then the frames no longer needed go back to the host.
 * Returns 0 and fills *res, or -ENOMEM (what was merged stays merged).
 */
int hv_dedup(struct hv *hv, struct hv_dedup_result *res);

/*
 * Check the memory of every VM at once (gstage_check(): every frame's
 * reference count equals the references to it, nothing leaked, nothing
 * shared is writable), with every VM paused meanwhile. Slow: it visits
 * every table. Sets *nvms to the VMs checked. Returns 0, -EUCLEAN (the
 * first violation is printed on stderr), or -ENOMEM.
 */
int hv_check(struct hv *hv, size_t *nvms);

/* Fill *info for VM id. Returns 0 or -ENOENT. */
int hv_info(struct hv *hv, unsigned id, struct hv_vm_info *info);

/*
 * Ask VM id's guest to hold bytes of its memory in its balloon
 * (vm_balloon_set_target()). Returns 0, -ENOENT (no such VM), -ESRCH
 * (stopped), -ENODEV (no balloon) or -ERANGE (more than its RAM).
 */
int hv_balloon(struct hv *hv, unsigned id, uint64_t bytes);

/*
 * Ids of the VMs (live or stopped, not destroyed), ascending, into
 * ids[0..max-1]. Returns how many VMs there are (may exceed max).
 */
size_t hv_list(struct hv *hv, unsigned *ids, size_t max);

/*
 * Block until every VM has stopped, or VM id has stopped when id != 0.
 * Returns the exit status of VM id (or of the first VM when id is 0).
 */
int hv_wait(struct hv *hv, unsigned id);

#endif
