#!/bin/bash
# tests/integration/stock.sh BUILD — the stock kernel (Linux 6.12, plain
# `make defconfig` + guest/linux/config-stock.fragment; make guest-stock) on
# memvisor's virt platform: its console is the 8250 driver on ttyS0 (the
# NS16550A UART, interrupt 10 through the SiFive PLIC driver), earlycon the
# same UART. With 1 and 2 VCPUs the boot init must print
# "MEMVISOR-BOOT-OK cpus=N" and power off (exit 0), the kernel must have
# bound its PLIC and 8250 drivers to memvisor's device tree, and the same
# kernel and initramfs must boot under QEMU's virt machine (the oracle).
# Prints the time to init on each. Logs stay in BUILD/tests/stock/.
set -u
build=${1:-build}
image=$build/guest/Image-stock
initrd=$build/guest/boot.cpio
qemu=qemu-system-riscv64
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
for f in "$image" "$initrd" "$build/memvisor"; do
	if [ ! -e "$f" ]; then
		echo "   skip: $f is missing (make guest-stock builds the kernel, about 12 min; make guest the initramfs)"
		exit 77
	fi
done
logs=$build/tests/stock
mkdir -p "$logs"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run LOG COMMAND...: run it (no input); sets rc, and ms, the wall time to
# the marker line (empty when none came).
run() {
	local log=$1 t0 line
	shift
	t0=$(now_ms)
	ms=
	: >"$log"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$log"
		case $line in
		MEMVISOR-BOOT-OK*) [ -z "$ms" ] && ms=$(($(now_ms) - t0)) ;;
		esac
	done < <(timeout -k 5 180 "$@" </dev/null 2>&1 | tr -d '\r'; echo "rc=${PIPESTATUS[0]}")
	rc=$(sed -n 's/^rc=//p' "$log" | tail -n 1)
}

fail=0
check() { # check LOG LABEL CPUS PATTERN WHAT
	if grep -qE "$4" "$1"; then
		return 0
	fi
	echo "   FAIL $2 --cpus $3: no '$5' in the log ($1)"
	fail=1
	return 1
}

for n in 1 2; do
	log=$logs/memvisor-cpus-$n.log
	run "$log" "$build/memvisor" run --kernel "$image" --initrd "$initrd" \
		--memory 512M --cpus "$n" \
		--cmdline "console=ttyS0 earlycon=uart8250,mmio,0x10000000 expect_cpus=$n panic=-1"
	ok=1
	if [ "$rc" != 0 ] || ! grep -qx "MEMVISOR-BOOT-OK cpus=$n" "$log"; then
		echo "   FAIL memvisor --cpus $n (exit $rc; log $log)"
		tail -n 15 "$log" | sed 's/^/      | /'
		fail=1
		continue
	fi
	check "$log" memvisor "$n" 'earlycon: uart8250 at MMIO 0x0*10000000' "earlycon: uart8250 at MMIO 0x10000000" || ok=0
	check "$log" memvisor "$n" 'riscv-plic: .*mapped 31 interrupts' "riscv-plic: ... mapped 31 interrupts" || ok=0
	check "$log" memvisor "$n" 'ttyS0 at MMIO 0x10000000 \(irq = [0-9]+, .*\) is a 16550A' "ttyS0 at MMIO 0x10000000 (irq = ...) is a 16550A" || ok=0
	[ $ok = 1 ] && echo "   ok   memvisor --cpus $n: init after $ms ms (console ttyS0, earlycon uart8250)"
done

# The same boot under the ASan/UBSan build, when there is one.
if [ -x "$build/asan/memvisor" ]; then
	log=$logs/memvisor-asan.log
	run "$log" "$build/asan/memvisor" run --kernel "$image" --initrd "$initrd" \
		--memory 512M --cpus 2 \
		--cmdline "console=ttyS0 earlycon=uart8250,mmio,0x10000000 expect_cpus=2 panic=-1"
	if [ "$rc" = 0 ] && grep -qx "MEMVISOR-BOOT-OK cpus=2" "$log"; then
		echo "   ok   memvisor (ASan/UBSan) --cpus 2: init after $ms ms"
	else
		echo "   FAIL memvisor (ASan/UBSan) --cpus 2 (exit $rc; log $log)"
		tail -n 15 "$log" | sed 's/^/      | /'
		fail=1
	fi
fi

# No console= at all: Linux takes its console from the device tree's
# stdout-path, the UART under the default --console serial.
log=$logs/memvisor-stdout-path.log
run "$log" "$build/memvisor" run --kernel "$image" --initrd "$initrd" \
	--memory 512M --cmdline "earlycon expect_cpus=1 panic=-1"
if [ "$rc" = 0 ] && grep -qx "MEMVISOR-BOOT-OK cpus=1" "$log" &&
	grep -qE 'earlycon: ns16550a0 at MMIO 0x0*10000000' "$log" &&
	grep -q 'console \[ttyS0\] enabled' "$log"; then
	echo "   ok   memvisor, no console= (stdout-path: the UART): init after $ms ms"
else
	echo "   FAIL memvisor without console=: exit $rc (log $log)"
	tail -n 10 "$log" | sed 's/^/      | /'
	fail=1
fi

# --console sbi: no stdout-path, so a bare "earlycon" finds no UART (this
# kernel has no SBI console either: it runs to its power-off in silence).
log=$logs/memvisor-console-sbi.log
run "$log" "$build/memvisor" run --kernel "$image" --initrd "$initrd" \
	--memory 512M --console sbi --cmdline "earlycon expect_cpus=1 panic=-1"
if [ "$rc" = 0 ] && ! grep -q 'earlycon: ns16550a0' "$log"; then
	echo "   ok   memvisor --console sbi: no stdout-path, no UART earlycon; powered off"
else
	echo "   FAIL memvisor --console sbi: exit $rc, or the UART was stdout-path (log $log)"
	fail=1
fi

if ! command -v "$qemu" >/dev/null || [ ! -r "$firmware" ]; then
	echo "   (no QEMU oracle: $qemu or $firmware missing; make setup installs them)"
	exit $fail
fi
for n in 1 2; do
	log=$logs/qemu-cpus-$n.log
	run "$log" "$qemu" -M virt -m 512M -smp "$n" -nographic -no-reboot \
		-bios "$firmware" -kernel "$image" -initrd "$initrd" \
		-append "console=ttyS0 expect_cpus=$n panic=-1"
	if [ "$rc" = 0 ] && grep -qx "MEMVISOR-BOOT-OK cpus=$n" "$log"; then
		echo "   ok   QEMU oracle -smp $n: init after $ms ms"
	else
		echo "   FAIL QEMU oracle -smp $n (exit $rc; log $log): the kernel or initramfs is broken, not memvisor"
		tail -n 10 "$log" | sed 's/^/      | /'
		fail=1
	fi
done
exit $fail
