# The differential test of F/D and bitmanip against QEMU (guest/diff/):
# one bare-metal ELF, $(BUILD)/diff/fpdiff.elf, run under both by
# tests/integration/fpdiff.sh. Included by the top-level Makefile; uses
# the runtime of guest/baremetal/ (start.S, lib.c) and its compiler.
#
# The C code is built for RV64IMAC, not for the extensions under test:
# GCC would otherwise use Zbb (andn, rori, sext.w ...) and F/D in the
# harness's own code, and a wrong instruction in the hypervisor would
# corrupt the harness instead of showing up as one class's mismatch.
# ops.S enables F, D, Zba, Zbb, Zbc and Zbs for its stubs alone
# (.option arch).

DIFF_DIR := guest/diff
DIFF_OUT := $(BUILD)/diff
DIFF_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-fno-pie -nostdlib -static -ffreestanding -O2 -g -Wall -Wextra \
	-Wmissing-prototypes -Werror -I$(DIFF_DIR) -I$(BM_DIR) -Iinclude
DIFF_LDFLAGS := -T $(DIFF_DIR)/link.ld -Wl,--no-warn-rwx-segments \
	-Wl,--build-id=none
DIFF_SRCS := $(DIFF_DIR)/fpdiff.c $(DIFF_DIR)/bootargs.c $(DIFF_DIR)/ops.S \
	$(BM_DIR)/start.S $(BM_DIR)/lib.c

.PHONY: fpdiff
fpdiff: $(DIFF_OUT)/fpdiff.elf

$(DIFF_OUT)/fpdiff.elf: $(DIFF_SRCS) $(wildcard $(DIFF_DIR)/*.h) \
		$(BM_DIR)/lib.h $(DIFF_DIR)/link.ld include/memvisor/abi.h
	@mkdir -p $(dir $@)
	$(BM_CC) $(DIFF_CFLAGS) $(DIFF_LDFLAGS) -o $@ $(DIFF_SRCS) $(BM_LDLIBS)

ifneq ($(shell command -v $(BM_CC) 2>/dev/null),)
integration: fpdiff
endif
