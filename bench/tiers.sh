#!/bin/bash
# CPU tiers benchmark: the kernels of bench/guests/cpu.c (integer mixing,
# memory passes, unpredictable branches, calls, a sort, an n-body step in
# double, a single-precision matrix multiply) in a bare-metal
# guest, under memvisor's interpreter, its JIT, and qemu-system-riscv64
# (TCG, with OpenSBI) when installed; runs alternating, medians of the
# guest's own time-CSR ticks per kernel (boot and exit excluded; the JIT's
# translation time included). Every run must compute the same checksums.
#
# Usage: bench/tiers.sh BUILD_DIR [RUNS]   (RUNS default 5)
# Writes bench/results/tiers.json; prints a table.
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/tiers.json"
mv="$build/memvisor"
cc=${BM_CC:-riscv64-linux-gnu-gcc}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
kernels="int mem branch call sort nbody matmul"

[ -x "$mv" ] || { echo "tiers bench: $mv is missing (make all)" >&2; exit 1; }
command -v "$cc" >/dev/null || { echo "tiers bench: $cc is missing" >&2; exit 1; }
have_qemu=1
command -v qemu-system-riscv64 >/dev/null && [ -e "$fw" ] || have_qemu=0
tiers="interp jit"
[ $have_qemu = 1 ] && tiers="$tiers qemu"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -march=rv64imafdc_zicsr -mabi=lp64d -mcmodel=medany -fno-pie -nostdlib \
	-static -ffreestanding -O2 -Wall -Wextra -Werror \
	-Wl,--no-warn-rwx-segments -Wl,--build-id=none -T "$here/guests/cpu.ld" \
	-o "$tmp/cpu.elf" "$here/guests/cpu_start.S" "$here/guests/cpu.c" -lgcc

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
num() { printf '%.4f' "$(echo "$1" | bc -l)"; }

# run TIER LOG: one boot of the guest.
run() {
	case $1 in
	qemu)
		timeout 600 qemu-system-riscv64 -M virt -m 256M -smp 1 -nographic \
			-bios "$fw" -kernel "$tmp/cpu.elf" </dev/null >"$2" 2>&1 ;;
	*)
		timeout 600 "$mv" run --kernel "$tmp/cpu.elf" --memory 64M \
			--cpu-tier "$1" </dev/null >"$2" 2>&1 ;;
	esac
	grep -aq BENCH-DONE "$2" || {
		echo "tiers bench: the guest under $1 did not finish:" >&2
		tail -n 5 "$2" >&2
		exit 1
	}
}

# field LOG KERNEL KEY
field() { tr -d '\r' <"$1" | sed -n "s/^BENCH $2 .*$3=\([0-9]*\).*/\1/p" | head -n 1; }

declare -A ticks check
for i in $(seq "$runs"); do
	line="run $i"
	for t in $tiers; do
		run "$t" "$tmp/$t.log"
		for k in $kernels; do
			ticks[$t,$k]+=" $(field "$tmp/$t.log" "$k" ticks)"
			c=$(field "$tmp/$t.log" "$k" check)
			if [ -z "${check[$k]:-}" ]; then
				check[$k]=$c
			elif [ "${check[$k]}" != "$c" ]; then
				echo "tiers bench: $k under $t computed $c, not ${check[$k]}" >&2
				exit 1
			fi
		done
		line+=", $t done"
	done
	echo "$line"
done

declare -A med
for t in $tiers; do
	for k in $kernels; do
		med[$t,$k]=$(printf '%s\n' ${ticks[$t,$k]} | median)
	done
done

# geomean of interp/jit and qemu/jit over the kernels
geo() {
	local a=$1 b=$2 s=0
	for k in $kernels; do
		s=$(echo "$s + l(${med[$a,$k]} / ${med[$b,$k]})" | bc -l)
	done
	num "e($s / $(echo $kernels | wc -w))"
}

machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -r)"
mkdir -p "$here/results"
{
	echo "{"
	echo "  \"machine\": \"$machine\","
	echo "  \"runs\": $runs,"
	echo "  \"unit\": \"time CSR ticks (10 MHz), median per kernel\","
	for t in $tiers; do
		for k in $kernels; do
			echo "  \"${t}_${k}_ticks\": [$(echo ${ticks[$t,$k]} | tr ' ' ,)],"
			echo "  \"${t}_${k}_median\": ${med[$t,$k]},"
		done
	done
	for k in $kernels; do
		echo "  \"jit_over_interp_$k\": $(num "${med[interp,$k]} / ${med[jit,$k]}"),"
		[ $have_qemu = 1 ] &&
			echo "  \"jit_vs_qemu_$k\": $(num "${med[qemu,$k]} / ${med[jit,$k]}"),"
	done
	[ $have_qemu = 1 ] && echo "  \"jit_vs_qemu_geomean\": $(geo qemu jit),"
	echo "  \"jit_over_interp_geomean\": $(geo interp jit)"
	echo "}"
} >"$out"

printf '\n%-8s %12s %12s %12s %10s %10s\n' "median" interp jit qemu jit/interp "vs qemu"
for k in $kernels; do
	q=- r=-
	if [ $have_qemu = 1 ]; then
		q=${med[qemu,$k]}
		r=$(num "${med[qemu,$k]} / ${med[jit,$k]}")x
	fi
	printf '%-8s %12s %12s %12s %9sx %10s\n' "$k" "${med[interp,$k]}" \
		"${med[jit,$k]}" "$q" "$(num "${med[interp,$k]} / ${med[jit,$k]}")" "$r"
done
printf '%-8s %12s %12s %12s %9sx %10s\n' geomean "" "" "" "$(geo interp jit)" \
	"$([ $have_qemu = 1 ] && echo "$(geo qemu jit)x" || echo -)"
echo "(ticks of the 10 MHz time CSR; jit/interp: speed-up over the interpreter;"
echo " vs qemu: memvisor's JIT speed relative to QEMU's, >1 is faster)"
echo "wrote $out"
