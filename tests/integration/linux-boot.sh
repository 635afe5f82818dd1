#!/bin/bash
# Boot Debian's Linux 6.1 on memvisor to the boot init with 1, 2 and 4 VCPUs
# (and with the ASan/UBSan build when it exists): the init prints
# "MEMVISOR-BOOT-OK cpus=N" after checking it sees N CPUs, then powers off,
# so memvisor must exit 0.
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
if [ -x "$build/asan/memvisor" ]; then
	for n in 1 2; do
		boot "$build/asan/memvisor" "$n" "memvisor (ASan/UBSan)"
	done
else
	echo "   FAIL: $build/asan/memvisor is missing (make asan builds it)"
	fail=1
fi
exit $fail
