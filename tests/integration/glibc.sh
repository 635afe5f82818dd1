#!/bin/bash
# tests/integration/glibc.sh BUILD — the standard riscv64 user space (Debian's
# glibc: rv64gc, lp64d, static) on both guest kernels, 6.1 and 6.12, under
# QEMU (the oracle) and under memvisor:
#  - guest/user/glibc.c (threads, printf of doubles, libm, qsort, strtod,
#    fenv, fcvt/fmin/fclass) prints its results between GLIBC-TEST-BEGIN and
#    GLIBC-TEST-END; under QEMU it must end with failures=0, and memvisor's
#    text between the markers must be QEMU's, byte for byte;
#  - guest/user/fpswitch.c (four processes keep their own values in all f
#    registers and fcsr across preemption, migration and signals) must print
#    FPSWITCH-PASS with 1 and 2 CPUs under both;
#  - the benchmark archive (guest/bench/, short runs) must print the same
#    results (energies, hash) under both, its timings aside.
# A QEMU failure means the guest build is broken; a memvisor failure after a
# QEMU pass is memvisor's. Builds the archives (make guest-glibc); the
# kernels come from make guest / make guest-6.12. Exits 77 (skip) when QEMU,
# its firmware, the cross compiler, Debian's riscv64 glibc or every kernel
# is missing. Console logs stay in BUILD/tests/glibc/.
set -u
build=${1:-build}
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.bash"
qemu="qemu-system-riscv64"
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
limit=${GLIBC_TEST_TIMEOUT:-180}
cmdline="console=hvc0 earlycon=sbi panic=-1"

skip() {
	echo "   skip: $*"
	exit 77
}
command -v "$qemu" >/dev/null ||
	skip "$qemu not found (Debian package qemu-system-misc; make setup installs it)"
[ -r "$firmware" ] ||
	skip "OpenSBI firmware $firmware not found (Debian package opensbi; make setup installs it)"
command -v riscv64-linux-gnu-gcc >/dev/null ||
	skip "riscv64-linux-gnu-gcc not found (Debian package gcc-riscv64-linux-gnu)"
[ -r /usr/riscv64-linux-gnu/lib/libc.a ] ||
	skip "Debian's riscv64 glibc is missing (package libc6-dev-riscv64-cross; make setup installs it)"
[ -x "$build/memvisor" ] || skip "$build/memvisor is missing (make builds it)"

mkdir -p "$build"
build=$(cd "$build" && pwd)
if ! make -s -C "$repo" BUILD="$build" guest-glibc >"$tmp/make.log" 2>&1; then
	sed 's/^/   | /' "$tmp/make.log"
	fail "make guest-glibc failed"
fi
logs=$build/tests/glibc
mkdir -p "$logs"

failed=0
bad() {
	echo "   FAIL $*"
	failed=$((failed + 1))
}

# qemu_run KERNEL INITRD CPUS LOG [CMDLINE-EXTRA]: one QEMU boot; sets rc.
# Linux gives a secondary CPU 1 s to come online; on an overloaded host a
# QEMU vCPU thread can miss that (the host's fault), so such a boot is retried.
qemu_run() {
	local _
	for _ in 1 2 3; do
		rc=0
		timeout -k 5 "$limit" "$qemu" -M virt -m 256M -smp "$3" -nographic -no-reboot \
			-bios "$firmware" -kernel "$1" -initrd "$2" -append "$cmdline ${5:-}" \
			</dev/null >"$4" 2>&1 || rc=$?
		grep -q 'failed to come online' "$4" || return 0
		echo "   (QEMU: a secondary CPU missed Linux's start-up deadline; retrying)"
	done
}

# memvisor_run KERNEL INITRD CPUS LOG [CMDLINE-EXTRA]: one memvisor boot; sets rc.
memvisor_run() {
	rc=0
	timeout -k 5 "$limit" "$build/memvisor" run --kernel "$1" --initrd "$2" \
		--memory 256M --cpus "$3" --cmdline "$cmdline ${5:-}" \
		</dev/null >"$4" 2>&1 || rc=$?
}

# The console writes CRLF line ends.
between_markers() { tr -d '\r' <"$1" | sed -n '/^GLIBC-TEST-BEGIN$/,/^GLIBC-TEST-END /p'; }
# last_lines LOG: why the guest ended: the kernel's report of a dying
# process or a panic when there is one, else the console's last lines.
last_lines() {
	local why
	why=$(tr -d '\r' <"$1" | grep -E 'unhandled signal|^epc |badaddr:|Kernel panic|Oops|BUG:' | head -n 6)
	[ -n "$why" ] || why=$(tr -d '\r' <"$1" | tail -n 12)
	sed 's/^/      | /' <<<"$why"
}
why() { # why RC: what a non-zero exit status means
	case $1 in
	0) echo "powered off" ;;
	124 | 137) echo "no power-off within $limit s" ;;
	*) echo "exit status $1" ;;
	esac
}

glibc_test() { # glibc_test VERSION KERNEL
	local v=$1 kernel=$2 q=$logs/glibc-$1-qemu.log m=$logs/glibc-$1-memvisor.log
	qemu_run "$kernel" "$build/guest/glibc.cpio" 2 "$q"
	between_markers "$q" >"$q.out"
	if [ "$rc" -ne 0 ] || ! tail -n 1 "$q.out" | grep -qx 'GLIBC-TEST-END failures=0'; then
		bad "linux $v: QEMU: the glibc guest did not end with failures=0 ($(why "$rc")); the guest build is broken; log $q"
		grep '^FAIL' "$q.out" | head -n 10 | sed 's/^/      | /'
		last_lines "$q"
		return
	fi
	echo "   ok   linux $v: QEMU: glibc guest, $(wc -l <"$q.out") lines, failures=0"
	memvisor_run "$kernel" "$build/guest/glibc.cpio" 2 "$m"
	between_markers "$m" >"$m.out"
	if [ "$rc" -eq 0 ] && cmp -s "$q.out" "$m.out"; then
		echo "   ok   linux $v: memvisor: the same $(wc -l <"$m.out") lines as QEMU"
		return
	fi
	if [ ! -s "$m.out" ]; then
		bad "linux $v: memvisor: no GLIBC-TEST-BEGIN output ($(why "$rc")); log $m"
		last_lines "$m"
		return
	fi
	bad "linux $v: memvisor's output differs from QEMU's ($(why "$rc")); logs $q, $m"
	diff "$q.out" "$m.out" | head -n 20 | sed 's/^/      | /'
}

fpswitch_test() { # fpswitch_test VERSION KERNEL CPUS
	local v=$1 kernel=$2 n=$3 who log
	for who in qemu memvisor; do
		log=$logs/fpswitch-$v-$who-cpus-$n.log
		${who}_run "$kernel" "$build/guest/fpswitch.cpio" "$n" "$log"
		if [ "$rc" -eq 0 ] && tr -d '\r' <"$log" | grep -qx 'FPSWITCH-PASS procs=[0-9]*'; then
			echo "   ok   linux $v: $who --cpus $n: FPSWITCH-PASS"
			continue
		fi
		bad "linux $v: $who --cpus $n: no FPSWITCH-PASS ($(why "$rc")); log $log"
		tr -d '\r' <"$log" | grep -E '^(FPSWITCH-FAIL|fpswitch:)' | head -n 8 | sed 's/^/      | /'
		last_lines "$log"
		[ $who = qemu ] && break # the oracle failed: the guest is broken
	done
}

# Short runs (a fraction of a second each under QEMU): what the benchmark
# computes must agree; the timings (seconds=, per-second=) differ.
bench_args="bench_fp=20000 bench_bitmanip=200000 bench_pipe=0.2"
bench_results() {
	tr -d '\r' <"$1" | grep -E '^BENCH' |
		sed -E 's/ (seconds|per-second|round-trips)=[0-9.]+//g'
}
bench_test() { # bench_test VERSION KERNEL
	local v=$1 kernel=$2 q=$logs/bench-$1-qemu.log m=$logs/bench-$1-memvisor.log
	qemu_run "$kernel" "$build/guest/bench.cpio" 2 "$q" "$bench_args"
	bench_results "$q" >"$q.out"
	if [ "$rc" -ne 0 ] || ! grep -qx 'BENCH-DONE failed=0' "$q.out"; then
		bad "linux $v: QEMU: the benchmark guest did not end with BENCH-DONE failed=0 ($(why "$rc")); log $q"
		last_lines "$q"
		return
	fi
	echo "   ok   linux $v: QEMU: benchmark guest, BENCH-DONE failed=0"
	memvisor_run "$kernel" "$build/guest/bench.cpio" 2 "$m" "$bench_args"
	bench_results "$m" >"$m.out"
	if [ "$rc" -eq 0 ] && cmp -s "$q.out" "$m.out"; then
		echo "   ok   linux $v: memvisor: the same benchmark results as QEMU"
		return
	fi
	bad "linux $v: memvisor: benchmark results differ from QEMU's ($(why "$rc")); logs $q, $m"
	diff "$q.out" "$m.out" | head -n 10 | sed 's/^/      | /'
	[ -s "$m.out" ] || last_lines "$m"
}

ran=0
for v in 6.1 6.12; do
	kernel=$build/guest/Image-$v
	if [ ! -e "$kernel" ]; then
		echo "   skip: $kernel is missing (make guest-$v builds it)"
		continue
	fi
	if ! grep -qx 'CONFIG_FPU=y' "$build/guest/linux-$v/.config" 2>/dev/null; then
		bad "linux $v: $kernel was built without CONFIG_FPU=y (stale build? make guest-$v)"
		continue
	fi
	ran=$((ran + 1))
	glibc_test "$v" "$kernel"
	for n in 1 2; do
		fpswitch_test "$v" "$kernel" "$n"
	done
	bench_test "$v" "$kernel"
done
[ $ran -gt 0 ] || skip "no guest kernel (make guest and make guest-6.12 build them)"
[ $failed -eq 0 ] || fail "$failed check(s) failed"
