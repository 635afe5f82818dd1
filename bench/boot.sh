#!/bin/bash
# Boot benchmark: wall time from start to the init's marker line, memvisor
# versus qemu-system-riscv64 (TCG) on the same Image and initramfs, runs
# alternating; plus memvisor's MIPS on a CPU-bound bare-metal loop.
# Usage: bench/boot.sh BUILD_DIR [RUNS] ; writes bench/results/boot.json
set -eu
build=${1:-build}
runs=${2:-7}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/boot.json"
image="$build/guest/Image-6.1"
initrd="$build/guest/boot.cpio"
mv="$build/memvisor"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
cmdline="console=hvc0 earlycon=sbi expect_cpus=1 panic=-1"
marker="MEMVISOR-BOOT-OK"

for f in "$image" "$initrd" "$mv"; do
	[ -e "$f" ] || { echo "boot bench: $f is missing (run make guest all)" >&2; exit 1; }
done

now() { date +%s.%N; }
# Evaluate with bc; print as a JSON-valid number (bc writes .5 for 0.5).
num() { printf '%.6f' "$(echo "$1" | bc -l)"; }

# Seconds from launching "$@" to the marker on its output (the guest then
# powers off; we wait for the exit). Prints "fail" when no marker came.
time_to_marker() {
	local t0 t1="" line
	t0=$(now)
	while IFS= read -r line; do
		case "$line" in
		*"$marker"*) [ -z "$t1" ] && t1=$(now) ;;
		esac
	done < <(timeout 120 "$@" </dev/null 2>&1)
	if [ -z "$t1" ]; then echo fail; else num "$t1 - $t0"; fi
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

have_qemu=1
command -v qemu-system-riscv64 >/dev/null && [ -e "$fw" ] || have_qemu=0

mvs=() qs=() ratios=()
for i in $(seq "$runs"); do
	m=$(time_to_marker "$mv" run --kernel "$image" --initrd "$initrd" --memory 256M --cmdline "$cmdline")
	[ "$m" = fail ] && { echo "boot bench: memvisor did not reach the marker" >&2; exit 1; }
	mvs+=("$m")
	if [ $have_qemu = 1 ]; then
		q=$(time_to_marker qemu-system-riscv64 -M virt -m 256M -smp 1 -nographic -bios "$fw" \
			-kernel "$image" -initrd "$initrd" -append "$cmdline")
		[ "$q" = fail ] && { echo "boot bench: qemu did not reach the marker" >&2; exit 1; }
		qs+=("$q")
		ratios+=("$(num "$m / $q")")
	fi
	printf 'run %d: memvisor %.3f s%s\n' "$i" "$m" "${q:+, qemu $(printf %.3f "$q") s}"
done

mv_med=$(printf '%s\n' "${mvs[@]}" | median)
if [ $have_qemu = 1 ]; then
	q_med=$(printf '%s\n' "${qs[@]}" | median)
	r_med=$(printf '%s\n' "${ratios[@]}" | median)
fi

# MIPS: two loop lengths, so start-up cost cancels out.
cc=riscv64-linux-gnu-gcc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 10000000 110000000; do
	$cc -march=rv64imac -mabi=lp64 -nostdlib -static -DITERATIONS=$n \
		-Wl,--no-warn-rwx-segments -T "$here/guests/link.ld" -o "$tmp/loop$n.elf" "$here/guests/loop.S"
done
loop_time() {
	local t0 t1
	t0=$(now); "$mv" run --kernel "$1" </dev/null >/dev/null; t1=$(now)
	num "$t1 - $t0"
}
mips=()
for i in $(seq 5); do
	a=$(loop_time "$tmp/loop10000000.elf")
	b=$(loop_time "$tmp/loop110000000.elf")
	mips+=("$(num "500000000 / ($b - $a) / 1000000")")
done
mips_med=$(printf '%s\n' "${mips[@]}" | median)

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -r)"
mkdir -p "$(dirname "$out")"
{
	echo "{"
	echo "  \"machine\": \"$machine\","
	echo "  \"runs\": $runs,"
	echo "  \"memvisor_boot_s\": [$(IFS=,; echo "${mvs[*]}")],"
	echo "  \"memvisor_boot_median_s\": $mv_med,"
	if [ $have_qemu = 1 ]; then
		echo "  \"qemu_boot_s\": [$(IFS=,; echo "${qs[*]}")],"
		echo "  \"qemu_boot_median_s\": $q_med,"
		echo "  \"ratio_median\": $r_med,"
	else
		echo "  \"qemu\": \"skipped: qemu-system-riscv64 or OpenSBI firmware missing\","
	fi
	echo "  \"mips_runs\": [$(IFS=,; echo "${mips[*]}")],"
	echo "  \"mips_median\": $mips_med"
	echo "}"
} >"$out"

printf '\n%-34s %10s %10s\n' "boot to init marker (median)" "value" "target"
printf '%-34s %9.3fs %10s\n' "memvisor" "$mv_med" ""
if [ $have_qemu = 1 ]; then
	printf '%-34s %9.3fs %10s\n' "qemu-system-riscv64 (TCG)" "$q_med" ""
	printf '%-34s %10.2f %10s\n' "ratio memvisor/qemu (median)" "$r_med" "<= 1.5"
fi
printf '%-34s %10.0f %10s\n' "MIPS, CPU-bound loop (median)" "$mips_med" ">= 300"
echo "wrote $out"
