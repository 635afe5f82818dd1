/* SPDX-License-Identifier: MIT */
/*
 * The hypercall ABI a memvisor guest sees: the SBI (Supervisor Binary
 * Interface, RISC-V SBI specification v2.0) implemented by memvisor itself,
 * plus memvisor's own extension in the experimental range.
 *
 * Calling convention (SBI spec, "Binary Encoding"): ecall from S-mode with
 *   IN  a7 = extension ID (EID), a6 = function ID (FID), a0..a5 = arguments
 *   OUT a0 = error (SBI_SUCCESS or SBI_ERR_*), a1 = value
 * Legacy extensions (EID 0x00..0x0F) return a single value in a0.
 * Guest code may include this header: it has no host dependencies. Code
 * that has the standard SBI definitions already (a Linux driver, with
 * <asm/sbi.h>) defines MEMVISOR_ABI_OWN_ONLY first and gets memvisor's
 * own extension alone.
 */
#ifndef MEMVISOR_ABI_H
#define MEMVISOR_ABI_H

#ifndef MEMVISOR_ABI_OWN_ONLY

/* Error codes returned in a0. */
#define SBI_SUCCESS		  0
#define SBI_ERR_FAILED		  (-1)
#define SBI_ERR_NOT_SUPPORTED	  (-2)
#define SBI_ERR_INVALID_PARAM	  (-3)
#define SBI_ERR_DENIED		  (-4)
#define SBI_ERR_INVALID_ADDRESS	  (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED	  (-7)
#define SBI_ERR_ALREADY_STOPPED	  (-8)

/* Legacy (v0.1) extensions: the EID is the function. */
#define SBI_LEGACY_SET_TIMER	      0x00 /* IN a0 = deadline (time units) */
#define SBI_LEGACY_CONSOLE_PUTCHAR    0x01 /* IN a0 = byte */
#define SBI_LEGACY_CONSOLE_GETCHAR    0x02 /* OUT a0 = byte or -1 */
#define SBI_LEGACY_CLEAR_IPI	      0x03
#define SBI_LEGACY_SEND_IPI	      0x04 /* IN a0 = gpa of hart mask */
#define SBI_LEGACY_REMOTE_FENCE_I     0x05 /* IN a0 = gpa of hart mask */
#define SBI_LEGACY_REMOTE_SFENCE_VMA  0x06 /* IN a0 = gpa of hart mask */
#define SBI_LEGACY_REMOTE_SFENCE_ASID 0x07 /* IN a0 = gpa of hart mask */
#define SBI_LEGACY_SHUTDOWN	      0x08

/* Base extension. */
#define SBI_EXT_BASE		  0x10
#define SBI_BASE_GET_SPEC_VERSION 0 /* OUT a1 = (major << 24) | minor */
#define SBI_BASE_GET_IMPL_ID	  1 /* OUT a1 = SBI_IMPL_ID_MEMVISOR */
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXTENSION  3 /* IN a0 = EID; OUT a1 = 1 if present */
#define SBI_BASE_GET_MVENDORID	  4
#define SBI_BASE_GET_MARCHID	  5
#define SBI_BASE_GET_MIMPID	  6

/* Timer: IN a0 = absolute deadline in time-CSR units. */
#define SBI_EXT_TIME	   0x54494d45
#define SBI_TIME_SET_TIMER 0

/* IPI: IN a0 = hart mask, a1 = hart mask base (-1: all harts). */
#define SBI_EXT_IPI	 0x735049
#define SBI_IPI_SEND_IPI 0

/* Remote fences: IN a0 = hart mask, a1 = base, a2 = start, a3 = size. */
#define SBI_EXT_RFENCE		   0x52464e43
#define SBI_RFENCE_FENCE_I	   0
#define SBI_RFENCE_SFENCE_VMA	   1
#define SBI_RFENCE_SFENCE_VMA_ASID 2 /* IN a4 = ASID */

/* Hart state management. */
#define SBI_EXT_HSM		    0x48534d
#define SBI_HSM_HART_START	    0 /* IN a0 = hartid, a1 = start pc, a2 = opaque */
#define SBI_HSM_HART_STOP	    1
#define SBI_HSM_HART_GET_STATUS	    2 /* IN a0 = hartid; OUT a1 = state */
#define SBI_HSM_HART_SUSPEND	    3 /* IN a0 = type (0: retentive) */
#define SBI_HSM_STATE_STARTED	    0
#define SBI_HSM_STATE_STOPPED	    1
#define SBI_HSM_STATE_START_PENDING 2
#define SBI_HSM_STATE_STOP_PENDING  3
#define SBI_HSM_STATE_SUSPENDED	    4

/* System reset: IN a0 = type, a1 = reason. */
#define SBI_EXT_SRST		  0x53525354
#define SBI_SRST_RESET		  0
#define SBI_SRST_TYPE_SHUTDOWN	  0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE	  0
#define SBI_SRST_REASON_FAILURE	  1

/* Debug console: IN a0 = bytes, a1 = gpa (the low XLEN bits), a2 = the
 * bits above XLEN (must be 0: no such memory). */
#define SBI_EXT_DBCN	    0x4442434e
#define SBI_DBCN_WRITE	    0 /* OUT a1 = bytes written */
#define SBI_DBCN_READ	    1 /* OUT a1 = bytes read (0: none ready) */
#define SBI_DBCN_WRITE_BYTE 2 /* IN a0 = byte */

#endif /* MEMVISOR_ABI_OWN_ONLY */

/* memvisor's own extension, in the experimental range. */
#define SBI_EXT_MEMVISOR	 0x084d5653 /* "\x08MVS" */
#define MEMVISOR_GET_ABI_VERSION 0	    /* OUT a1 = MEMVISOR_ABI_VERSION */
#define MEMVISOR_ABI_VERSION	 2	    /* 2: several DLH rings */

/*
 * Deferrable low-overhead hypercalls (DLH): the guest posts calls into a
 * ring in its own memory with no exit; memvisor runs them, in order, each
 * exactly once, just before it next restores any VCPU of that VM (and at
 * a DLH_NOTIFY). A VM's queue is up to MEMVISOR_DLH_MAX_RINGS rings, all
 * drained together: a guest can give each hart a ring of its own, so that
 * harts post without sharing a lock, or use one. A ring is one contiguous
 * guest-physical region:
 *
 *   gpa + 0                   struct memvisor_dlh_ring (64 bytes)
 *   gpa + 64 + i * 64         struct memvisor_dlh_entry, i < entries
 *
 * Slot of index n: n & (entries - 1). Indices are free-running uint32_t.
 *
 * Memory ordering. Guest (producer): write the entry's IN fields (and set
 * status to MEMVISOR_DLH_PENDING if it wants to tell completion by the
 * status), then publish with a release: `fence w,w` (or `fence rw,w`)
 * before storing producer, or an AMO with .rl. Several producers of one
 * ring serialise themselves (a lock, or claim a slot with an AMO and
 * publish in order); a ring per hart needs neither. The ring is full when
 * producer - consumer == entries; the guest then makes the call
 * synchronously (MEMVISOR_DLH_CALL_SYNC) instead, so no call is ever
 * dropped. memvisor (consumer): read producer, then the entries before
 * it, run them, write status and result, and only then publish consumer
 * (the host's stores are ordered, x86-TSO; a guest reading consumer and
 * then the entries needs a `fence r,r` between the two loads).
 *
 * memvisor keeps its own copy of consumer: what the guest writes there is
 * ignored. A producer more than `entries` ahead of consumer is a malformed
 * ring: memvisor sets MEMVISOR_DLH_RING_ERROR in flags and runs nothing
 * more from it until it is registered again. Each drain runs at most what
 * was posted when it began (at most `entries` per ring), and its time is
 * charged to the VM's time slice: a guest posting without end delays only
 * itself.
 */
/* IN a0 = ring gpa (4 KiB aligned), a1 = entries, a2 = ring number
 * (< MEMVISOR_DLH_MAX_RINGS). Replaces that ring, starting it empty;
 * a1 = 0 unregisters it (a0 ignored): its entries not run yet never run.
 * Rings may not overlap (SBI_ERR_INVALID_ADDRESS). */
#define MEMVISOR_DLH_REGISTER 1
/* Run what is posted now, in every ring of the VM: when it returns, every
 * entry published before the call has run, unless a ring is malformed
 * (then a0 = SBI_ERR_FAILED). OUT a1 = entries run by this call. */
#define MEMVISOR_DLH_NOTIFY 2
/* One routine, synchronously: IN a0 = routine, a1..a4 = args;
 * OUT a0 = status, a1 = result (as in a ring entry). */
#define MEMVISOR_DLH_CALL_SYNC 3
/* The calling VCPU's exits so far (hypercalls, WFI, ends of time slices),
 * for benchmarks. OUT a1 = exits. */
#define MEMVISOR_GET_VCPU_EXITS 4

#define MEMVISOR_DLH_MAX_RINGS	 8    /* rings per VM */
#define MEMVISOR_DLH_MAX_ENTRIES 4096 /* entries: a power of two, 1..this */
#define MEMVISOR_DLH_RING_ERROR	 (1u << 0)	 /* flags: malformed ring */
#define MEMVISOR_DLH_PENDING	 (-0x7fffffffll) /* a status no call gives */

struct memvisor_dlh_ring {
	unsigned int producer; /* IN: entries posted (the guest writes) */
	unsigned int consumer; /* OUT: entries run (memvisor writes) */
	unsigned int flags;    /* OUT: MEMVISOR_DLH_RING_* */
	unsigned int reserved[13];
};

struct memvisor_dlh_entry {
	unsigned int routine;	    /* IN: MEMVISOR_DLH_R_* */
	unsigned int reserved;	    /* IN: 0 */
	long long status;	    /* OUT: SBI_SUCCESS or SBI_ERR_* */
	long long result;	    /* OUT: the routine's value */
	unsigned long long args[4]; /* IN */
	unsigned long long reserved2;
};

/* Routines, the same deferred or synchronous. An unknown routine gets
 * SBI_ERR_NOT_SUPPORTED, bad arguments SBI_ERR_INVALID_PARAM (or
 * SBI_ERR_INVALID_ADDRESS for memory that is not the guest's RAM). */
/* A statistics update: IN arg0 = n. OUT result = the VM's counter after
 * adding n. The host reads the counter as dlh_counter (ctl stats). */
#define MEMVISOR_DLH_R_COUNTER_ADD 1
/* IN arg0 = gpa, arg1 = bytes (<= 4096) to the console. OUT result = bytes. */
#define MEMVISOR_DLH_R_CONSOLE_WRITE 2
/* IN arg0 = mask of hart ids: each flushes its TLB before it next runs
 * guest code (not waited for). */
#define MEMVISOR_DLH_R_TLB_FLUSH 3
/*
 * Free-page hint. IN arg0 = gpa (4 KiB aligned), arg1 = pages (>= 1): the
 * guest no longer needs the contents of [gpa, gpa + pages * 4 KiB), all of
 * it guest RAM. memvisor backs those pages by one shared zero page, copy-
 * on-write, and gives the memory behind them back to the host; the guest
 * reads zeros there and its next write to such a page gets a fresh zeroed
 * page. The guest must not use the pages until the call has run (the
 * consumer index passed the entry, or the synchronous call returned):
 * what it writes there before may be lost. OUT result = pages released.
 */
#define MEMVISOR_DLH_R_FREE_HINT 4

/* Our SBI implementation ID (BASE get_impl_id). */
#define SBI_IMPL_ID_MEMVISOR 0x4d56

#endif
