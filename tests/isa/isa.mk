# The riscv-tests ISA suites under memvisor: each test of
# $(RISCV_TESTS)/isa/<suite>/<test>.S, built against memvisor's own S-mode
# environment (tests/isa/env/) into $(BUILD)/isa/<suite>-<test>.elf and run
# by tests/integration/isa.sh. Included by the top-level Makefile.
#
# The riscv-tests sources are not in this repository. They are found at
# $(RISCV_TESTS): by default the shared checkout beside this tree
# (../shared/riscv-tests); a clone elsewhere names it, e.g.
#   make check RISCV_TESTS=/path/to/riscv-tests
# (exported, so the runner under `make integration` looks there too).
# Without it the ISA run is skipped, and says why.
#
#   make isa                       build every suite's tests
#   make isa ISA_SUITES="rv64ui"   only these suites (the runner honours
#                                  ISA_SUITES too)

RISCV_TESTS ?= $(CURDIR)/../shared/riscv-tests
export RISCV_TESTS

ISA_CC ?= riscv64-linux-gnu-gcc
ISA_SUITES ?= rv64ui rv64um rv64ua rv64uc rv64uf rv64ud rv64uzba rv64uzbb \
	rv64uzbc rv64uzbs rv64uzicond rv64si
export ISA_SUITES
ISA_DIR := tests/isa
ISA_OUT := $(BUILD)/isa
ISA_SRC := $(RISCV_TESTS)/isa

# Binutils learnt Zicond in 2.41; with an older one the environment spells
# czero.eqz/czero.nez as .insn (riscv_test.h). Probed only when a target
# here is built, and once.
ISA_ZICOND = $(eval ISA_ZICOND := $(shell echo 'czero.eqz a0, a0, a0' | \
	$(ISA_CC) -march=rv64gc_zicond -mabi=lp64 -x assembler -c \
	-o /dev/null - 2>/dev/null && echo yes))$(ISA_ZICOND)

# RV64GC and the bitmanip extensions the suites test; Zicsr and Zifencei
# named because binutils >= 2.38 no longer counts them in "i". medany and
# -fno-pie as for guest/baremetal/.
ISA_CFLAGS = -march=rv64gc_zba_zbb_zbc_zbs$(if $(ISA_ZICOND),_zicond)_zicsr_zifencei \
	-mabi=lp64 -mcmodel=medany -fno-pie -nostdlib -static -ffreestanding \
	-I$(ISA_DIR)/env -I$(ISA_SRC)/macros/scalar \
	$(if $(ISA_ZICOND),,-DRVTEST_ZICOND_INSN)
ISA_LDFLAGS := -T $(ISA_DIR)/env/link.ld -Wl,--no-warn-rwx-segments \
	-Wl,--build-id=none

# The tests that do not apply to a guest without M-mode, with the reasons
# (the first word of each line is the test).
ISA_NA := $(shell sed -e '/^\#/d' -e 's/[[:space:]].*//' \
	$(ISA_DIR)/not_applicable)

# Every <test>.S of a suite is a test (each suite's Makefrag lists the same).
ISA_TESTS := $(filter-out $(ISA_NA),$(foreach s,$(ISA_SUITES), \
	$(patsubst %.S,$(s)-%,$(notdir $(wildcard $(ISA_SRC)/$(s)/*.S)))))
ISA_ELFS := $(ISA_TESTS:%=$(ISA_OUT)/%.elf)

ISA_ENV_OBJS := $(ISA_OUT)/env/rvtest.o $(ISA_OUT)/env/report.o
ISA_ENV_DEPS := $(ISA_DIR)/env/riscv_test.h $(ISA_DIR)/env/link.ld \
	$(ISA_SRC)/macros/scalar/test_macros.h $(ISA_DIR)/isa.mk

.PHONY: isa
isa: $(ISA_ELFS)
	@if [ ! -d "$(ISA_SRC)" ]; then \
		echo "isa: no riscv-tests at $(RISCV_TESTS) (set RISCV_TESTS=/path/to/riscv-tests)"; \
		exit 1; fi

# The environment itself is plain RV64IMAC, so a test of an extension the
# CPU lacks still gets to report its failure (the compiler would use Zba
# and friends in report.c).
ISA_ENV_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
	-fno-pie -nostdlib -static -ffreestanding -I$(ISA_DIR)/env

$(ISA_OUT)/env/rvtest.o: $(ISA_DIR)/env/rvtest.S $(ISA_ENV_DEPS)
	@mkdir -p $(dir $@)
	$(ISA_CC) $(ISA_ENV_CFLAGS) -c -o $@ $<

$(ISA_OUT)/env/report.o: $(ISA_DIR)/env/report.c $(ISA_ENV_DEPS)
	@mkdir -p $(dir $@)
	$(ISA_CC) $(ISA_ENV_CFLAGS) -O2 -g -Wall -Wextra -Werror -c -o $@ $<

# One rule per suite: $(ISA_OUT)/rv64ui-add.elf from rv64ui/add.S. About
# 160 tests: each prints one short line, not its command.
define ISA_SUITE_RULE
$(ISA_OUT)/$(1)-%.elf: $(ISA_SRC)/$(1)/%.S $(ISA_ENV_OBJS) $(ISA_ENV_DEPS)
	@mkdir -p $$(dir $$@)
	@echo "  ISA     $$@"
	@$$(ISA_CC) $$(ISA_CFLAGS) $$(ISA_LDFLAGS) -o $$@ $$< $(ISA_ENV_OBJS)
endef
$(foreach s,$(ISA_SUITES),$(eval $(call ISA_SUITE_RULE,$(s))))

# Run under `make integration` when the cross compiler and the sources are
# there; else the runner skips and says which is missing.
ifneq ($(shell command -v $(ISA_CC) 2>/dev/null),)
ifneq ($(wildcard $(ISA_SRC)/.),)
integration: isa
endif
endif
