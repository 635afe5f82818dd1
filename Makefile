# memvisor — hand-written Makefile with explicit source lists.
#
#   make            build build/memvisor
#   make check      install missing packages, run every test (unit, ASan, guests)
#   make demo       install missing packages, boot the busybox system from
#                   its disk, clone it 100 times, each serving its own page
#   make bench      run the benchmarks (bench/results/*.json)
#   make asan       run the unit tests in an -fsanitize=address,undefined build
#   make format     apply .clang-format
#   make fuzz       run the libFuzzer targets for a bounded number of inputs

BUILD ?= build
CC ?= gcc
SAN ?= 0

CFLAGS := -std=gnu11 -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
	-Werror -O2 -g -pthread -Isrc -Iinclude -MMD -MP
LDFLAGS := -pthread
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# libslirp's .pc requires glib's, which its header does not need.
SLIRP_LIBS := $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp)
LDLIBS := -lfdt -lelf -ljansson -lz -lcrypto $(SLIRP_LIBS)

# One list per layer (DESIGN.md); includes point down the layers only.
MEM_SRCS := src/mem/frame.c src/mem/gstage.c src/mem/gstage_clone.c src/mem/gstage_share.c src/mem/gstage_check.c src/mem/gmem.c
DEV_SRCS := src/dev/devtree.c src/dev/loader.c src/dev/loader_elf.c \
	src/dev/loader_initrd.c src/dev/console.c src/dev/mmio.c src/dev/plic.c \
	src/dev/uart.c src/dev/vmgenid.c src/dev/rtc.c \
	src/dev/virtio/mmio.c src/dev/virtio/queue.c src/dev/virtio/disk.c \
	src/dev/virtio/blk.c src/dev/virtio/net.c src/dev/virtio/usernet.c \
	src/dev/virtio/worker.c src/dev/virtio/rng.c src/dev/virtio/balloon.c
CPU_SRCS := src/cpu/decode.c src/cpu/exec_alu.c src/cpu/exec_branch.c \
	src/cpu/exec_bitmanip.c \
	src/cpu/exec_mem.c src/cpu/exec_amo.c src/cpu/exec_system.c src/cpu/csr.c \
	src/cpu/decode_fp.c src/cpu/exec_fp.c src/cpu/fpu.c \
	src/cpu/decode_bitmanip.c src/cpu/exec_cbo.c \
	src/cpu/trap.c src/cpu/mmu.c src/cpu/block.c src/cpu/hart.c src/cpu/isa.c \
	src/cpu/jit/x86.c src/cpu/jit/codecache.c src/cpu/jit/translate.c src/cpu/jit/translate_exit.c src/cpu/jit/translate_mem.c src/cpu/jit/translate_alu.c \
	src/cpu/jit/translate_fp.c src/cpu/jit/share.c src/cpu/jit/jit.c src/cpu/jit/perfmap.c
VMI_SRCS := src/vmi/kernel.c src/vmi/symbols.c src/vmi/profile.c src/vmi/classify.c
VMM_SRCS := src/vmm/vm.c src/vmm/devices.c src/vmm/disks.c src/vmm/nets.c src/vmm/rngs.c src/vmm/balloons.c src/vmm/sbi.c src/vmm/sched.c src/vmm/clone.c src/vmm/hv.c src/vmm/hv_warm.c src/vmm/hv_memory.c src/vmm/dlh.c \
	src/vmm/inspect.c src/vmm/share.c src/vmm/dedup.c src/vmm/platform.c
API_SRCS := src/api/api.c src/api/api_requests.c
CLI_SRCS := src/cli/main.c src/cli/options.c src/cli/cmd_run.c src/cli/cmd_ctl.c

LIB_SRCS := $(MEM_SRCS) $(DEV_SRCS) $(CPU_SRCS) $(VMI_SRCS) $(VMM_SRCS) $(API_SRCS)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)

# Unit tests: tests/unit/test_<name>.c, one per module, cmocka.
UNIT_TESTS := isa mmu mmio plic uart platform rtc frame gstage gstage_cow gstage_clone gstage_share gmem devtree loader console decode bitmanip fpu sbi api dlh vmi share dedup hv virtio disk virtio_net virtio_rng virtio_balloon usernet x86 codecache jit jitshare
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)

# Benchmarks: bench/<name>.c.
BENCHES := memcore clone vmclone madvise dlh blk
BENCH_BINS := $(BENCHES:%=$(BUILD)/bench/%)

.PHONY: all setup unit asan check integration demo bench clean format fuzz
all: $(BUILD)/memvisor

setup:
	@scripts/setup $(BUILD)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Where memvisor finds the introspection interface's sources at run time.
$(BUILD)/src/vmm/inspect.o: CFLAGS += -DMEMVISOR_SOURCE_DIR='"$(CURDIR)"'

$(BUILD)/libmemvisor.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/memvisor: $(CLI_OBJS) $(BUILD)/libmemvisor.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libmemvisor.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# test_fpu checks the soft-float against the host's SSE unit and libm's
# fma(): IEEE operations exactly as written, in the rounding mode set at
# run time.
$(BUILD)/tests/unit/test_fpu.o: CFLAGS += -ffp-contract=off -fno-fast-math \
	-frounding-math -fsignaling-nans -mno-fma
$(BUILD)/tests/test_fpu: LDLIBS += -lm

# Host-side helpers of the integration tests.
$(BUILD)/tests/vmi_compare: tests/integration/vmi_compare.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# The scheduler-fairness test's host side (tests/integration/dlh.sh).
$(BUILD)/tests/dlh_fair: $(BUILD)/tests/integration/dlh_fair.o $(BUILD)/libmemvisor.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
integration: $(BUILD)/tests/dlh_fair

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libmemvisor.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

# Every test binary runs, failing or not; the summary decides.
unit: $(UNIT_BINS)
	@failed=""; for t in $(UNIT_BINS); do echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; done; \
	if [ -n "$$failed" ]; then echo "unit tests FAILED:$$failed"; exit 1; fi; \
	echo "unit tests: all $(words $(UNIT_BINS)) passed"

asan:
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 all unit

check: setup
	$(MAKE) all unit
	$(MAKE) asan
	$(MAKE) fuzz
	$(MAKE) integration

integration: all $(BUILD)/tests/vmi_compare
	@tests/integration/run $(BUILD)

# The busybox system on the stock kernel (clones, HTTP), then Linux 6.1's
# deferrable hypercalls (guest: Image-6.1, dlh.cpio).
demo: setup all guest-stock rootfs guest
	scripts/demo $(BUILD)

bench: all guest $(BENCH_BINS)
	@mkdir -p bench/results
	$(BUILD)/bench/memcore --json bench/results/memcore.json
	$(BUILD)/bench/clone --json bench/results/clone-gstage.json
	$(BUILD)/bench/blk --json bench/results/blk.json
	bench/boot.sh $(BUILD)
	$(BUILD)/bench/vmclone --kernel $(BUILD)/guest/Image-6.1 \
		--initrd $(BUILD)/guest/clone.cpio --live 1000 \
		--json bench/results/clone.json
	bench/share.sh $(BUILD)
	bench/inspect.sh $(BUILD)
	bench/cpu.sh $(BUILD)
	bench/jitshare.sh $(BUILD)
	bench/platform.sh $(BUILD)
	bench/giveback.sh $(BUILD)
	$(BUILD)/bench/dlh --memvisor $(BUILD)/memvisor \
		--bench-elf $(BUILD)/baremetal/dlh_bench.elf \
		--kernel $(BUILD)/guest/Image-6.1 --initrd $(BUILD)/guest/dlh.cpio \
		--json bench/results/dlh.json
bench: baremetal guest-stock rootfs

# libFuzzer targets (tests/fuzz/fuzz_<name>.c), built with clang from the
# sources they exercise (objects under build/fuzz/obj/, instrumented); each
# starts from its committed corpus (tests/fuzz/corpus/<name>) and writes
# what it finds under build/, with its dictionary (tests/fuzz/<name>.dict)
# when it has one; FUZZ_RUNS inputs each.
FUZZ_CC ?= $(shell command -v clang-14 || command -v clang)
FUZZ_RUNS ?= 200000
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Isrc -Iinclude -pthread \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_virtqueue_SRCS := src/dev/virtio/queue.c $(MEM_SRCS)
FUZZ_api_SRCS := $(LIB_SRCS)
FUZZ_api_LIBS := $(LDLIBS)
FUZZERS := virtqueue api

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_OBJ)/src/vmm/inspect.o: FUZZ_CFLAGS += -DMEMVISOR_SOURCE_DIR='"$(CURDIR)"'

$(BUILD)/fuzz/fuzz_virtqueue: $(FUZZ_virtqueue_SRCS:%.c=$(FUZZ_OBJ)/%.o)
$(BUILD)/fuzz/fuzz_api: $(FUZZ_api_SRCS:%.c=$(FUZZ_OBJ)/%.o)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter %.o,$^) $(FUZZ_$*_LIBS)

fuzz: $(FUZZERS:%=$(BUILD)/fuzz/fuzz_%)
	@for f in $(FUZZERS); do \
		dict=tests/fuzz/$$f.dict; \
		mkdir -p $(BUILD)/fuzz/found-$$f && \
		$(BUILD)/fuzz/fuzz_$$f -runs=$(FUZZ_RUNS) -max_len=4096 \
			$$([ -f $$dict ] && echo -dict=$$dict) \
			-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/ \
			$(BUILD)/fuzz/found-$$f tests/fuzz/corpus/$$f || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

include guest/baremetal/baremetal.mk
include tests/isa/isa.mk
include guest/diff/diff.mk
include guest/guest.mk
include guest/rootfs/rootfs.mk

-include $(patsubst %.o,%.d,$(LIB_OBJS) $(CLI_OBJS)) \
	$(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%.d) $(BENCHES:%=$(BUILD)/bench/%.d) \
	$(patsubst %.c,$(FUZZ_OBJ)/%.d,$(sort $(FUZZ_api_SRCS)))
