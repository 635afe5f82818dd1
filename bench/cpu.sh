#!/bin/bash
# CPU benchmark: every ratio from one run, written to bench/results/cpu.json.
#
#   - boot to init and tight-loop MIPS (bench/boot.sh, its figures copied);
#   - the CPU tiers on bare-metal kernels (bench/tiers.sh, its geometric
#     means copied): the JIT against the interpreter, and against QEMU;
#   - an FP-heavy and a bitmanip-heavy glibc program (guest/bench/) in a
#     Linux guest: memvisor against qemu-system-riscv64 (TCG), same kernel
#     and initramfs, runs alternating; the programs time themselves;
#   - a pipe ping-pong between two processes on one CPU (round trips per
#     second): memvisor with ASIDs, without (--cpu-disable asid), and QEMU;
#   - exits per second of an idle Linux guest (guest/init/idle.c), whose
#     timer goes through Sstc, against the same guest made to use the SBI
#     timer (--cpu-disable sstc); read from `ctl stats`.
#   - CPU-bound work in a Linux guest on the busybox system (bench/cpu-linux.sh,
#     its results under "linux_guest"): busybox gzip, bzip2 and sort on a
#     fixed input, the kernels of guest/bench/kernels.c, fp and bitmanip;
#     memvisor's JIT and interpreter against QEMU, boot to init, and the
#     JIT's translation cost and code-cache size.
#
# Usage: bench/cpu.sh BUILD_DIR [RUNS]   (RUNS alternating runs; default 3)
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/cpu.json"
mv="$build/memvisor"
image="$build/guest/Image-6.1"
bench_cpio="$build/guest/bench.cpio"
idle_cpio="$build/guest/idle.cpio"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin

for f in "$mv" "$image" "$bench_cpio" "$idle_cpio"; do
	[ -e "$f" ] || { echo "cpu bench: $f is missing (make all guest)" >&2; exit 1; }
done
have_qemu=1
command -v qemu-system-riscv64 >/dev/null && [ -e "$fw" ] || have_qemu=0

tmp=$(mktemp -d)
# No background job left is the normal case: kill's complaint must not
# become the script's exit status under set -e.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
num() { printf '%.6f' "$(echo "$1" | bc -l)"; }
json_list() { local IFS=,; echo "[$*]"; }

# --- boot and MIPS --------------------------------------------------------
"$here/boot.sh" "$build" 5
boot_ratio=$(sed -n 's/.*"ratio_median": \([0-9.]*\).*/\1/p' "$here/results/boot.json")
mips=$(sed -n 's/.*"mips_median": \([0-9.]*\).*/\1/p' "$here/results/boot.json")

# --- CPU tiers ------------------------------------------------------------
"$here/tiers.sh" "$build" "$runs"
jit_interp=$(sed -n 's/.*"jit_over_interp_geomean": \([0-9.]*\).*/\1/p' "$here/results/tiers.json")
jit_qemu=$(sed -n 's/.*"jit_vs_qemu_geomean": \([0-9.]*\).*/\1/p' "$here/results/tiers.json")

# --- the glibc programs ---------------------------------------------------
cmdline="console=hvc0 earlycon=sbi panic=-1 quiet"
qemu_cmdline=$cmdline

# bench_guest LOG ONLY [memvisor|qemu] [options]: one boot of the benchmark
# guest running only program ONLY; its output in LOG.
bench_guest() {
	local log=$1 only=$2 who=$3
	shift 3
	if [ "$who" = qemu ]; then
		timeout 600 qemu-system-riscv64 -M virt -m 256M -smp 1 -nographic \
			-bios "$fw" -kernel "$image" -initrd "$bench_cpio" \
			-append "$qemu_cmdline bench_only=$only" </dev/null >"$log" 2>&1
	else
		timeout 600 "$mv" run --kernel "$image" --initrd "$bench_cpio" \
			--memory 256M --cmdline "$cmdline bench_only=$only" "$@" \
			</dev/null >"$log" 2>&1
	fi
	grep -q "BENCH-DONE failed=0" "$log" || {
		echo "cpu bench: $only under $who $* failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	}
}

# field LOG NAME KEY: the value of KEY= on the "BENCH NAME" line.
field() { sed -n "s/^BENCH $2 .*$3=\([0-9.]*\).*/\1/p" "$1" | tr -d '\r' | head -n 1; }

declare -A mv_s q_s
for prog in fp bitmanip; do
	mv_s[$prog]="" q_s[$prog]=""
	for i in $(seq "$runs"); do
		bench_guest "$tmp/m.log" "$prog" memvisor
		mv_s[$prog]+=" $(field "$tmp/m.log" "$prog" seconds)"
		if [ $have_qemu = 1 ]; then
			bench_guest "$tmp/q.log" "$prog" qemu
			q_s[$prog]+=" $(field "$tmp/q.log" "$prog" seconds)"
		fi
		printf 'run %d %-8s memvisor %ss%s\n' "$i" "$prog" \
			"$(field "$tmp/m.log" "$prog" seconds)" \
			"${q_s[$prog]:+, qemu $(field "$tmp/q.log" "$prog" seconds)s}"
	done
done

pipe_asid="" pipe_noasid="" pipe_q=""
for i in $(seq "$runs"); do
	bench_guest "$tmp/m.log" pipe memvisor
	pipe_asid+=" $(field "$tmp/m.log" pipe per-second)"
	bench_guest "$tmp/n.log" pipe memvisor --cpu-disable asid
	pipe_noasid+=" $(field "$tmp/n.log" pipe per-second)"
	if [ $have_qemu = 1 ]; then
		bench_guest "$tmp/q.log" pipe qemu
		pipe_q+=" $(field "$tmp/q.log" pipe per-second)"
	fi
	printf 'run %d pipe     memvisor %s/s, without ASIDs %s/s%s\n' "$i" \
		"$(field "$tmp/m.log" pipe per-second)" \
		"$(field "$tmp/n.log" pipe per-second)" \
		"${pipe_q:+, qemu $(field "$tmp/q.log" pipe per-second)/s}"
done

# --- idle exits -----------------------------------------------------------
# idle_rate [options]: exits per second of the idle guest over 4 s.
idle_rate() {
	local sock="$tmp/api.sock" e0 e1 t0 t1 pid
	rm -f "$sock"
	"$mv" run --kernel "$image" --initrd "$idle_cpio" --memory 128M \
		--cmdline "$cmdline idle_s=8" --api-sock "$sock" "$@" \
		</dev/null >"$tmp/idle.log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		grep -q MEMVISOR-IDLE-READY "$tmp/idle.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1 # let the boot's last timers settle
	exits() { "$mv" ctl --api-sock "$sock" --json stats 1 | sed -n 's/.*"exits": *\([0-9]*\).*/\1/p'; }
	e0=$(exits) t0=$(date +%s.%N)
	sleep 4
	e1=$(exits) t1=$(date +%s.%N)
	wait "$pid" || true
	num "($e1 - $e0) / ($t1 - $t0)"
}
idle_sstc="" idle_sbi=""
for i in $(seq "$runs"); do
	idle_sstc+=" $(idle_rate)"
	idle_sbi+=" $(idle_rate --cpu-disable sstc)"
done

# --- CPU-bound work in a Linux guest -------------------------------------
"$here/cpu-linux.sh" "$build" "$runs" "$tmp/linux.json" || exit 1

# --- results --------------------------------------------------------------
med() { printf '%s\n' $1 | median; }
fp_mv=$(med "${mv_s[fp]}") bm_mv=$(med "${mv_s[bitmanip]}")
pa=$(med "$pipe_asid") pn=$(med "$pipe_noasid")
is=$(med "$idle_sstc") ib=$(med "$idle_sbi")
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -r)"
{
	echo "{"
	echo "  \"machine\": \"$machine\","
	echo "  \"runs\": $runs,"
	echo "  \"boot_ratio_memvisor_over_qemu\": $boot_ratio,"
	echo "  \"tight_loop_mips\": $mips,"
	echo "  \"tiers_jit_over_interp_geomean\": $jit_interp,"
	[ -n "$jit_qemu" ] && echo "  \"tiers_jit_vs_qemu_geomean\": $jit_qemu,"
	echo "  \"fp_memvisor_s\": $(json_list ${mv_s[fp]}),"
	echo "  \"bitmanip_memvisor_s\": $(json_list ${mv_s[bitmanip]}),"
	if [ $have_qemu = 1 ]; then
		fp_q=$(med "${q_s[fp]}") bm_q=$(med "${q_s[bitmanip]}") pq=$(med "$pipe_q")
		echo "  \"fp_qemu_s\": $(json_list ${q_s[fp]}),"
		echo "  \"bitmanip_qemu_s\": $(json_list ${q_s[bitmanip]}),"
		echo "  \"fp_speed_vs_qemu\": $(num "$fp_q / $fp_mv"),"
		echo "  \"bitmanip_speed_vs_qemu\": $(num "$bm_q / $bm_mv"),"
		echo "  \"pipe_qemu_per_s\": $(json_list $pipe_q),"
		echo "  \"pipe_speed_vs_qemu\": $(num "$pa / $pq"),"
	fi
	echo "  \"pipe_asid_per_s\": $(json_list $pipe_asid),"
	echo "  \"pipe_no_asid_per_s\": $(json_list $pipe_noasid),"
	echo "  \"pipe_asid_gain\": $(num "$pa / $pn"),"
	echo "  \"idle_exits_per_s_sstc\": $(json_list $idle_sstc),"
	echo "  \"idle_exits_per_s_sbi_timer\": $(json_list $idle_sbi),"
	echo "  \"idle_exits_sbi_over_sstc\": $(num "$ib / $is"),"
	echo "  \"linux_guest\": $(sed '2,$s/^/  /' "$tmp/linux.json")"
	echo "}"
} >"$out"

printf '\n%-44s %12s %12s %8s\n' "median of $runs" memvisor qemu ratio
if [ $have_qemu = 1 ]; then
	printf '%-44s %11.3fs %11.3fs %7.2fx\n' "FP loop (n-body), s" "$fp_mv" "$fp_q" "$(num "$fp_q / $fp_mv")"
	printf '%-44s %11.3fs %11.3fs %7.2fx\n' "bitmanip loop, s" "$bm_mv" "$bm_q" "$(num "$bm_q / $bm_mv")"
	printf '%-44s %12.0f %12.0f %7.2fx\n' "pipe round trips/s" "$pa" "$pq" "$(num "$pa / $pq")"
fi
printf '%-44s %12.0f %12s %7.2fx\n' "pipe round trips/s without ASIDs" "$pn" "" "$(num "$pa / $pn")"
printf '%-44s %12.1f\n' "idle exits/s with Sstc" "$is"
printf '%-44s %12.1f %12s %7.2fx\n' "idle exits/s with the SBI timer" "$ib" "" "$(num "$ib / $is")"
echo "wrote $out"
