#!/bin/bash
# Boot Debian's Linux 6.1 on memvisor to the boot init with 1, 2 and 4 VCPUs
# (and with the ASan/UBSan build when it exists): the init prints
# "MEMVISOR-BOOT-OK cpus=N" after checking it sees N CPUs, then powers off,
# so memvisor must exit 0. Then 6.1 and 6.12 show the ISA in /proc/cpuinfo.
set -u
build=${1:-build}
image="$build/guest/Image-6.1"
initrd="$build/guest/boot.cpio"
for f in "$image" "$initrd" "$build/memvisor"; do
	if [ ! -e "$f" ]; then
		echo "   skip: $f is missing (make guest builds it)"
		exit 77
	fi
done

fail=0
boot() { # boot BINARY CPUS LABEL [memvisor options...]
	local bin=$1 cpus=$2 label=$3 out rc
	shift 3
	out=$(timeout 120 "$bin" run --kernel "$image" --initrd "$initrd" --memory 256M \
		--cpus "$cpus" --cmdline "console=hvc0 earlycon=sbi expect_cpus=$cpus panic=-1" \
		"$@" </dev/null 2>&1 | tr -d "\r"; exit "${PIPESTATUS[0]}")
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^MEMVISOR-BOOT-OK cpus=$cpus\$" <<<"$out"; then
		echo "   ok   $label --cpus $cpus $*"
	else
		echo "   FAIL $label --cpus $cpus $* (exit $rc)"
		tail -n 15 <<<"$out" | sed 's/^/      | /'
		fail=1
	fi
}

for n in 1 2 4; do
	boot "$build/memvisor" "$n" memvisor
done
boot "$build/memvisor" 4 memvisor --pcpus 1
# /proc/cpuinfo: the extensions each kernel found in memvisor's device tree
# and knows (6.1 knows few multi-letter ones; 6.12 also shows zca/zcd, its
# names for the parts of C it implies). An extension missing here is one
# the guest cannot use; one too many is advertised but not implemented.
isa_check() { # isa_check VERSION EXPECTED
	local img="$build/guest/Image-$1" out got
	if [ ! -e "$img" ]; then
		echo "   FAIL: $img is missing (make guest-$1)"
		fail=1
		return
	fi
	out=$(timeout 120 "$build/memvisor" run --kernel "$img" --initrd "$initrd" \
		--memory 256M --cmdline "console=hvc0 earlycon=sbi panic=-1" \
		</dev/null 2>&1 | tr -d "\r")
	got=$(sed -n 's/^MEMVISOR-ISA //p' <<<"$out")
	if [ "$got" = "$2" ]; then
		echo "   ok   Linux $1 /proc/cpuinfo isa: $got"
	else
		echo "   FAIL Linux $1 /proc/cpuinfo isa: '$got', expected '$2'"
		fail=1
	fi
}
isa_check 6.1 rv64imafdc_sstc_svpbmt_zicbom_zihintpause
isa_check 6.12 rv64imafdc_zicbom_zicboz_zicntr_zicond_zicsr_zifencei_zihintntl_zihintpause_zihpm_zca_zcd_zba_zbb_zbc_zbs_sstc_svpbmt

if [ -x "$build/asan/memvisor" ]; then
	for n in 1 2; do
		boot "$build/asan/memvisor" "$n" "memvisor (ASan/UBSan)"
	done
else
	echo "   FAIL: $build/asan/memvisor is missing (make asan builds it)"
	fail=1
fi
exit $fail
