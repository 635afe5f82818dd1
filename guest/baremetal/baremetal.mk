# Bare-metal guest tests (guest/baremetal/): one ELF per topic, built with
# the RISC-V cross compiler into $(BUILD)/baremetal/, run by
# tests/integration/baremetal.sh. Included by the top-level Makefile.

BM_CC ?= riscv64-linux-gnu-gcc
BM_DIR := guest/baremetal
BM_OUT := $(BUILD)/baremetal
# RV64IMAC as memvisor runs it. Zicsr and Zifencei are named because
# binutils >= 2.38 no longer counts them in the base "i". medany: the code
# lives at 0x80000000, out of reach of medlow's absolute addressing.
# -fno-pie: the distribution compiler builds PIE by default, which makes
# `la` go through a GOT.
BM_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-fno-pie -nostdlib -static -ffreestanding -O2 -g -Wall -Wextra -Werror \
	-I$(BM_DIR) -Iinclude
BM_LDFLAGS := -T $(BM_DIR)/link.ld -Wl,--no-warn-rwx-segments \
	-Wl,--build-id=none
BM_LDLIBS := -lgcc

# Test programs: $(BM_DIR)/<name>.c; a test with assembly of its own lists
# it as an extra prerequisite below.
BM_TESTS := alu mem csr trap mmu smp sbi srst_fail srst_reboot dlh dlh_bench \
	dlh_fair dlh_hostile bitmanip asid sstc cbo fpu plic_uart virtio_hostile
BM_RUNTIME := $(BM_DIR)/start.S $(BM_DIR)/lib.c
BM_ELFS := $(BM_TESTS:%=$(BM_OUT)/%.elf)

.PHONY: baremetal
baremetal: $(BM_ELFS)

$(BM_OUT)/%.elf: $(BM_DIR)/%.c $(BM_RUNTIME) \
		$(wildcard $(BM_DIR)/*.h) $(BM_DIR)/link.ld include/memvisor/abi.h
	@mkdir -p $(dir $@)
	$(BM_CC) $(BM_CFLAGS) $(BM_LDFLAGS) -o $@ \
		$(filter %.c %.S,$^) $(BM_LDLIBS)

$(BM_OUT)/alu.elf: $(BM_DIR)/alu_rvc.S
# Sv39 page tables of their own (pt.h).
$(BM_OUT)/asid.elf $(BM_OUT)/cbo.elf: $(BM_DIR)/pt.c
# The device tree read from the guest (fdt.h).
$(BM_OUT)/sstc.elf $(BM_OUT)/virtio_hostile.elf: $(BM_DIR)/fdt.c

# The bit-manipulation test runs Zba/Zbb/Zbc/Zbs instructions (Zicond as
# .insn: binutils 2.40 does not know it); only this test is built for them.
$(BM_OUT)/bitmanip.elf: BM_CFLAGS := \
	$(patsubst -march=%,-march=%_zba_zbb_zbc_zbs,$(BM_CFLAGS))

# The FP test assembles F, D and their compressed forms; its C code stays
# in the integer ABI (lp64), so the runtime links with it unchanged.
$(BM_OUT)/fpu.elf: BM_CFLAGS += -march=rv64imafdc_zicsr_zifencei

# The guests run under `make integration`; without the cross compiler the
# runner skips them (and says why) instead of the build failing.
ifneq ($(shell command -v $(BM_CC) 2>/dev/null),)
integration: baremetal
endif
