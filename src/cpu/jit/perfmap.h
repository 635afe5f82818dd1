/* SPDX-License-Identifier: MIT */
/*
 * Linux perf's map of JIT code (tools/perf/Documentation/jit-interface.txt:
 * /tmp/perf-PID.map, one "START SIZE NAME" line per piece of code), so
 * `perf report` names the translations a profile lands in. Written only
 * when the environment has MEMVISOR_PERF_MAP set (a developer's tool: it
 * costs a line of text per translation). Beside it, /tmp/perf-PID.bin
 * holds each piece's bytes at its offset in the code cache's memfd (the
 * offset `perf report` gives for samples in it), to disassemble with
 * `objdump -D -b binary -m i386:x86-64 --start-address=OFF`. Internal to
 * cpu/jit/.
 */
#ifndef MEMVISOR_CPU_JIT_PERFMAP_H
#define MEMVISOR_CPU_JIT_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Record that [code, code + size) translates the block of ninsn
 * instructions at host address host (named after it: "rv:HOST+N"); or,
 * when name is not NULL, that it is the named piece of shared code. bytes
 * is where it was written, off its offset in the code cache's memfd.
 */
void perfmap_note(const void *code, size_t size, uintptr_t host, unsigned ninsn,
		  const char *name, const void *bytes, size_t off);

#endif
