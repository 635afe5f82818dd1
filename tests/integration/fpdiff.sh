#!/bin/sh
# The differential test of F, D, Zba, Zbb, Zbc and Zbs (guest/diff/):
# boot fpdiff.elf under QEMU, the oracle, and under memvisor, and compare
# the hash each prints per instruction class and rounding mode. Prints
# every class as ok or FAIL; for a failing class it reruns that class on
# both, first with a running hash every 1000 operations to find the first
# block that differs, then with that block's operations in full, and shows
# the first operations whose result or fflags differ. memvisor runs under
# its interpreter against QEMU; each other CPU tier (tests/integration/
# cpu_tiers: the JIT) must then print exactly what the interpreter printed.
#
# Usage: tests/integration/fpdiff.sh BUILD-DIR   (tests/integration/run)
# Environment: FPDIFF_OPS (operations per class, default 1000000),
# FPDIFF_TIMEOUT (seconds per run, default 300), FPDIFF_DETAILS (failing
# classes to look into, default 5).
# Exit: 0 all classes agree, 1 something differs or a run failed, 77
# skipped (says why). Logs stay in BUILD-DIR/tests/fpdiff/.
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
memvisor=$build/memvisor
elf=$build/diff/fpdiff.elf
cross=${BM_CC:-riscv64-linux-gnu-gcc}
qemu=qemu-system-riscv64
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
ops=${FPDIFF_OPS:-1000000}
. "$here/cpu_tiers"
limit=${FPDIFF_TIMEOUT:-300}
details=${FPDIFF_DETAILS:-5}
chunk=1000

if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "skip: $qemu is not installed, so there is no oracle" \
		"(Debian: apt-get install qemu-system-misc)"
	exit 77
fi
if [ ! -r "$firmware" ]; then
	echo "skip: the OpenSBI firmware $firmware is missing" \
		"(Debian: apt-get install opensbi)"
	exit 77
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "skip: timeout(1) is not installed (coreutils)"
	exit 77
fi
if [ ! -x "$memvisor" ]; then
	echo "FAIL: $memvisor is not built (make all)"
	exit 1
fi
# `make integration` builds the guest first; by hand, build it here.
if [ ! -e "$elf" ]; then
	if ! command -v "$cross" >/dev/null 2>&1; then
		echo "skip: $cross is not installed, so $elf cannot be built" \
			"(Debian: apt-get install gcc-riscv64-linux-gnu)"
		exit 77
	fi
	if ! make -s -C "$root" BUILD="$build" fpdiff; then
		echo "FAIL: cannot build $elf"
		exit 1
	fi
fi

logs=$build/tests/fpdiff
mkdir -p "$logs"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run WHO ARGS OUT: boot the guest under WHO (qemu or memvisor) with the
# command line ARGS; OUT gets the console output without CRs and NULs.
# Sets rc (the emulator's or timeout's status) and ms (wall time).
run() {
	t0=$(now_ms)
	rc=0
	if [ "$1" = qemu ]; then
		timeout -k 5 "$limit" "$qemu" -M virt -m 256M -nographic \
			-no-reboot -bios "$firmware" -kernel "$elf" \
			-append "$2" </dev/null >"$3.raw" 2>&1 || rc=$?
	else
		# shellcheck disable=SC2086 # the options are words
		timeout -k 5 "$limit" "$memvisor" run --kernel "$elf" \
			--memory 256M --cmdline "$2" ${mv_opts:---cpu-tier interp} \
			</dev/null >"$3.raw" 2>&1 || rc=$?
	fi
	ms=$(($(now_ms) - t0))
	tr -d '\r\000' <"$3.raw" >"$3"
	rm -f "$3.raw"
}

# why WHO OUT: empty when the run completed, else what went wrong.
why() {
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "$1 did not finish within $limit s (FPDIFF_TIMEOUT)"
	elif ! grep -qx 'PASS fpdiff' "$2"; then
		echo "$1 stopped (status $rc) before the end; last line:" \
			"$(tail -n 1 "$2")"
	fi
}

secs() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }

echo "-- fpdiff: $ops operations per class, QEMU then memvisor"
run qemu "fpdiff.ops=$ops" "$logs/qemu.log"
qemu_ms=$ms
bad=$(why QEMU "$logs/qemu.log")
if [ -z "$bad" ] && grep -q '^H .* trap after ' "$logs/qemu.log"; then
	bad="an instruction traps under QEMU: $(grep -m 1 '^H .* trap after ' \
		"$logs/qemu.log")"
fi
if [ -n "$bad" ]; then
	echo "FAIL: the oracle run failed: $bad; log: $logs/qemu.log"
	exit 1
fi
run memvisor "fpdiff.ops=$ops" "$logs/memvisor.log"
mv_ms=$ms
mv_bad=$(why memvisor "$logs/memvisor.log")
echo "   QEMU $(secs "$qemu_ms"), memvisor $(secs "$mv_ms")" \
	"(wall time, boot included)"
[ -n "$mv_bad" ] && echo "   memvisor: $mv_bad"
# Known wrong results of the oracle, which the guest puts right (fpdiff.c).
grep '^fpdiff: oracle errata' "$logs/qemu.log" | sed 's/^fpdiff: /   /'

grep '^H ' "$logs/qemu.log" >"$logs/qemu.h"
grep '^H ' "$logs/memvisor.log" >"$logs/memvisor.h"

# One row per class: "ok CLASS N" or "FAIL CLASS MODE... | first memvisor
# line that differs"; the oracle's lines say which classes exist.
awk '
	FILENAME == ARGV[1] { mv[$2 " " $3] = $0; next }
	{
		key = $2 " " $3
		if (!($2 in lines)) order[n++] = $2
		lines[$2]++
		if ((key in mv) && mv[key] == $0) next
		modes[$2] = modes[$2] " " $3
		if (!($2 in first))
			first[$2] = key in mv ? mv[key] : "(no line from memvisor)"
	}
	END {
		for (i = 0; i < n; i++) {
			c = order[i]
			if (c in modes)
				print "FAIL", c, modes[c] " | " first[c]
			else
				print "ok", c, lines[c]
		}
	}' "$logs/memvisor.h" "$logs/qemu.h" >"$logs/verdict"

nclasses=$(wc -l <"$logs/verdict")
nfail=$(grep -c '^FAIL ' "$logs/verdict")
while read -r verdict class rest; do
	if [ "$verdict" = ok ]; then
		echo "   ok    $class ($rest line$([ "$rest" = 1 ] || echo s))"
	else
		echo "   FAIL  $class: differs in: ${rest%% | *}"
		echo "         memvisor: ${rest#* | }"
	fi
done <"$logs/verdict"

# show_ops QEMU-OUT MEMVISOR-OUT CLASS MODE: the first operations (D lines)
# whose result or fflags differ.
show_ops() {
	grep "^D $3 $4 " "$1" >"$1.d"
	grep "^D $3 $4 " "$2" >"$2.d"
	awk '
		FILENAME == ARGV[1] { mv[$4] = $0; next }
		!($4 in mv) || mv[$4] != $0 {
			if (shown++ == 5) exit
			print "         op " $4 ": " $5, $6, $7, $8
			print "           QEMU     -> " $10, $11
			if ($4 in mv) {
				split(mv[$4], f, " -> ")
				print "           memvisor -> " f[2]
			} else {
				print "           memvisor: no such line"
			}
		}' "$2.d" "$1.d"
}

# detail CLASS MODE MEMVISOR-LINE: where memvisor and QEMU part ways in
# one line of the test.
detail() {
	c=$1 m=$2
	args="fpdiff.ops=$ops fpdiff.class=$c fpdiff.mode=$m"
	tag=$(echo "$c-$m" | tr -c 'a-z0-9.\n-' '_')
	case $3 in
	*" trap after "*)
		# The operation memvisor trapped on, as QEMU ran it.
		n=${3#* trap after }
		n=${n%% *}
		run qemu "$args fpdiff.from=$n fpdiff.count=1" \
			"$logs/$tag.qemu.ops"
		echo "         $c $m: memvisor traps on operation $n;" \
			"operands a b c imm -> result fflags (NV DZ OF UF NX):"
		grep "^D $c $m " "$logs/$tag.qemu.ops" | awk '{
			print "         op " $4 ": " $5, $6, $7, $8
			print "           QEMU     -> " $10, $11 }'
		echo "           memvisor: ${3#H $c $m }"
		return
		;;
	esac
	run qemu "$args fpdiff.chunk=$chunk" "$logs/$tag.qemu.chunks"
	run memvisor "$args fpdiff.chunk=$chunk" "$logs/$tag.memvisor.chunks"
	# The first block whose running hash differs (or that memvisor did
	# not reach).
	grep "^C $c $m " "$logs/$tag.qemu.chunks" >"$logs/$tag.qemu.c"
	grep "^C $c $m " "$logs/$tag.memvisor.chunks" >"$logs/$tag.memvisor.c"
	k=$(awk '
		FILENAME == ARGV[1] { mv[$4] = $5; next }
		!($4 in mv) || $5 != mv[$4] { print $4; exit }' \
		"$logs/$tag.memvisor.c" "$logs/$tag.qemu.c")
	# No block differs: the difference is in the last, partial one.
	[ -n "$k" ] || k=$(wc -l <"$logs/$tag.qemu.c")
	from=$((k * chunk))
	args="$args fpdiff.from=$from fpdiff.count=$chunk"
	run qemu "$args" "$logs/$tag.qemu.ops"
	run memvisor "$args" "$logs/$tag.memvisor.ops"
	echo "         $c $m: first difference in operations $from.." \
		"$((from + chunk - 1)); operands a b c imm -> result fflags" \
		"(NV DZ OF UF NX):"
	show_ops "$logs/$tag.qemu.ops" "$logs/$tag.memvisor.ops" "$c" "$m"
}

if [ "$nfail" -gt 0 ] && [ "$details" -gt 0 ]; then
	echo "-- where the first $details failing classes differ" \
		"(logs: $logs/)"
	grep '^FAIL ' "$logs/verdict" | head -n "$details" |
		while read -r verdict class mode rest; do
			detail "$class" "$mode" "${rest#*| }"
		done
fi

echo "fpdiff: $((nclasses - nfail)) of $nclasses classes agree with QEMU"

# The other tiers: every line as the interpreter printed it.
tier_bad=0
for tier in $tiers; do
	[ "$tier" = interp ] && continue
	mv_opts=$(tier_opts "$tier")
	run memvisor "fpdiff.ops=$ops" "$logs/memvisor-$tier.log"
	mv_opts=
	grep '^H ' "$logs/memvisor-$tier.log" >"$logs/memvisor-$tier.h"
	bad=$(why "memvisor --cpu-tier $tier" "$logs/memvisor-$tier.log")
	if [ -z "$bad" ] && ! cmp -s "$logs/memvisor.h" "$logs/memvisor-$tier.h"; then
		bad="differs from the interpreter first at: $(diff \
			"$logs/memvisor.h" "$logs/memvisor-$tier.h" | sed -n 2p)"
	fi
	if [ -n "$bad" ]; then
		echo "   FAIL  --cpu-tier $tier: $bad"
		tier_bad=1
	else
		echo "   ok    --cpu-tier $tier: the interpreter's $(wc -l \
			<"$logs/memvisor.h") lines exactly ($(secs "$ms"))"
	fi
done
[ "$nfail" -eq 0 ] && [ -z "$mv_bad" ] && [ "$tier_bad" -eq 0 ]
