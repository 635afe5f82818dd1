# guest/guest.mk — what runs inside guests, cross-built for RISC-V. Included
# by the main Makefile (BUILD comes from there).
#
#   make guest        $(BUILD)/guest/Image-6.1 and the init archives
#                     ($(BUILD)/guest/boot.cpio, clone.cpio)
#   make guest-6.12   $(BUILD)/guest/Image-6.12 (4 more min; the
#                     introspection test runs both kernels)
#   make guest-stock  $(BUILD)/guest/Image-stock: Linux 6.12 with plain
#                     `make defconfig` + guest/linux/config-stock.fragment
#                     (about 12 min more; console=ttyS0 on the UART and PLIC)
#   make guest-glibc  the glibc archives ($(BUILD)/guest/glibc.cpio,
#                     fpswitch.cpio, bench.cpio) and the Linux CPU
#                     benchmark's programs (bench/kernels, timeit); part of
#                     make guest when Debian's riscv64 glibc is installed
#
# The kernels are built by guest/linux/build into cache folders
# $(BUILD)/guest/linux-VERSION-KEY/ (Image, vmlinux, System.map, .config and
# the configured tree src/). $(BUILD)/guest/linux-VERSION points at the
# current one and Image-VERSION at its Image, both as relative symlinks.

GUEST_DIR := $(BUILD)/guest
GUEST_CC := riscv64-linux-gnu-gcc
GUEST_LINUX := $(GUEST_DIR)/linux-6.1

# Init programs use Linux's header-only nolibc and the same kernel's UAPI
# headers (the tree's usr/include), never the host's /usr/include: hence
# -nostdinc, with GCC's own freestanding headers (stdarg.h) added back.
# rv64imac/lp64: they run on any machine, with or without F/D (glibc
# programs, below, need F/D). Recursive (=) so that
# the $(shell) only runs when an init program is built.
GUEST_INIT_CFLAGS = -Os -static -nostdlib -nostdinc -fno-builtin \
	-march=rv64imac -mabi=lp64 -Wall -Wextra -Werror \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-isystem $(GUEST_LINUX)/src/usr/include \
	-include $(GUEST_LINUX)/src/tools/include/nolibc/nolibc.h

.PHONY: guest guest-6.1 guest-6.12 guest-stock guest-glibc guest-linux-always
guest: $(GUEST_DIR)/Image-6.1 $(GUEST_DIR)/boot.cpio $(GUEST_DIR)/clone.cpio \
	$(GUEST_DIR)/vmi.cpio $(GUEST_DIR)/share.cpio $(GUEST_DIR)/dlh.cpio \
	$(GUEST_DIR)/idle.cpio $(GUEST_DIR)/disk.cpio
guest-6.1: $(GUEST_DIR)/Image-6.1
guest-6.12: $(GUEST_DIR)/Image-6.12
guest-stock: $(GUEST_DIR)/Image-stock
guest-glibc: $(GUEST_DIR)/glibc.cpio $(GUEST_DIR)/fpswitch.cpio $(GUEST_DIR)/bench.cpio \
	$(GUEST_DIR)/bench/kernels $(GUEST_DIR)/bench/timeit

# Without Debian's riscv64 glibc (libc6-dev-riscv64-cross, make setup
# installs it) make guest leaves the glibc archives out and their test skips.
GUEST_GLIBC := $(wildcard /usr/riscv64-linux-gnu/lib/libc.a)
ifneq ($(GUEST_GLIBC),)
guest: guest-glibc
endif

# The integration tests boot these. Without the cross compiler the tests
# skip (and say why) instead of the build failing, as for guest/baremetal.
ifneq ($(shell command -v $(GUEST_CC) 2>/dev/null),)
integration: guest guest-6.12 guest-stock
endif

# Whether a kernel is current is the build script's question (its cache key
# covers the Debian package version, the fragments and the script itself); it
# answers in about 0.1 s, so it runs every time. Re-pointing the symlinks
# leaves the Image's mtime alone, so nothing downstream rebuilds needlessly.
$(GUEST_DIR)/Image-%: guest-linux-always
	@img=$$(guest/linux/build $* $(GUEST_DIR)) && \
	cache=$$(basename "$$(dirname "$$img")") && \
	ln -sfn "$$cache" $(GUEST_DIR)/linux-$* && \
	ln -sfn linux-$*/Image $@

$(GUEST_DIR)/init/%: guest/init/%.c guest/init/lib.h guest/init/churn.h $(GUEST_DIR)/Image-6.1
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_INIT_CFLAGS) -o $@ $< -lgcc

# One archive per init program; naming the programs explicitly keeps make
# from deleting them as intermediate files.
$(GUEST_DIR)/boot.cpio: $(GUEST_DIR)/init/boot guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/clone.cpio: $(GUEST_DIR)/init/clone guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/vmi.cpio: $(GUEST_DIR)/init/vmi guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/share.cpio: $(GUEST_DIR)/init/share guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/dlh.cpio: $(GUEST_DIR)/init/dlh guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/disk.cpio: $(GUEST_DIR)/init/disk guest/init/pack
	guest/init/pack $< $@

# Programs on Debian's riscv64 glibc, static, with the cross compiler's
# defaults: rv64gc, lp64d, the standard riscv64 user space. They need a
# kernel with FPU support and a machine whose device tree says f and d.
GUEST_USER_CFLAGS := -O2 -static -Wall -Wextra -Werror
GUEST_USER_LIBS := -lm -lpthread
GUEST_OBJDUMP := riscv64-linux-gnu-objdump

# The glibc test changes the rounding mode at run time: -frounding-math keeps
# GCC from folding or moving FP arithmetic across fesetround().
$(GUEST_DIR)/user/glibc: guest/user/glibc.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_USER_CFLAGS) -frounding-math -o $@ $< $(GUEST_USER_LIBS)

$(GUEST_DIR)/user/fpswitch: guest/user/fpswitch.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_USER_CFLAGS) -o $@ $< $(GUEST_USER_LIBS)

# The benchmark programs (guest/bench/): fp, pipe and the runner with the
# defaults; bitmanip with Zba/Zbb/Zbs, and its inner step must really use
# them (checked in the disassembly of step(), aliases off). bench.cpio's
# /init runs all three, each printing "BENCH NAME ... seconds=S", then
# "BENCH-DONE failed=N", and powers off; bench_only=NAME on the kernel
# command line runs one, bench_fp=STEPS, bench_bitmanip=ROUNDS and
# bench_pipe=SECONDS change their length (see guest/bench/run.c).
# kernels (int, memory, branch, sort, threads) and timeit are not in
# bench.cpio: bench/cpu-linux.sh and tests/integration/stress.sh write them,
# with fp and bitmanip, into a copy of the busybox root file system.
GUEST_BITMANIP_INSNS := cpop clz ctz rori rev8 andn sh1add sh2add sh3add bset

$(GUEST_DIR)/bench/%: guest/bench/%.c guest/bench/bench.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_USER_CFLAGS) -o $@ $< $(GUEST_USER_LIBS)

$(GUEST_DIR)/bench/bitmanip: guest/bench/bitmanip.c guest/bench/bench.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_USER_CFLAGS) -march=rv64gc_zba_zbb_zbs -o $@.tmp $<
	@dis=$$($(GUEST_OBJDUMP) -d -M no-aliases --disassemble=step $@.tmp) && \
	for insn in $(GUEST_BITMANIP_INSNS); do \
		printf "%s\n" "$$dis" | grep -qw "$$insn" || { \
			echo "$@: step() has no $$insn instruction; GCC did not use Zba/Zbb/Zbs as expected" >&2; \
			rm -f $@.tmp $@; exit 1; }; \
	done
	mv $@.tmp $@

$(GUEST_DIR)/glibc.cpio: $(GUEST_DIR)/user/glibc guest/init/pack
	guest/init/pack $< $@

$(GUEST_DIR)/fpswitch.cpio: $(GUEST_DIR)/user/fpswitch guest/init/pack
	guest/init/pack $< $@

GUEST_BENCH := $(GUEST_DIR)/bench/fp $(GUEST_DIR)/bench/bitmanip $(GUEST_DIR)/bench/pipe
$(GUEST_DIR)/bench.cpio: $(GUEST_DIR)/bench/run $(GUEST_BENCH) guest/init/pack
	guest/init/pack $< $@ $(GUEST_BENCH)

# The idle guest of bench/cpu.sh (timer exits with Sstc and without).
$(GUEST_DIR)/idle.cpio: $(GUEST_DIR)/init/idle guest/init/pack
	guest/init/pack $< $@
